"""``wcrnn-rc memory``: the memory capacity and memory curve of one reservoir."""

import numpy as np

from ..analysis import memory_capacity
from ._common import check_params, describe, parallel_runs, quiet, reservoir, supercritical_note
from ._output import memory_figure, print_table, write_csv


def _memory_of_network(args, seeds):
    network_seed, drive_seed = seeds
    network = reservoir(args, random_state=network_seed)
    with quiet():  # here, in the worker: warning filters do not reach loky's processes
        return memory_capacity(
            network,
            max_delay=args.max_delay,
            n_steps=args.steps,
            return_curve=True,
            random_state=drive_seed,
        )


def run(args):
    """``wcrnn-rc memory``: print the memory curve's first delays and MC; write files."""
    out = args.output
    check_params(args)
    runs = parallel_runs(_memory_of_network, args, "memory capacity")
    capacities = np.array([mc for mc, _ in runs])
    curves = np.array([curve for _, curve in runs])
    mean = curves.mean(axis=0)
    networks = f"{args.seeds} networks, " if args.seeds > 1 else ""
    print(f"Memory capacity: {describe(args)}; {networks}seed {args.seed}")
    rows = [
        [k + 1, f"{mean[k]:.3f}", f"{mean[: k + 1].sum():.2f}"]
        for k in range(min(args.rows, len(mean)))
    ]
    print_table(["delay k", "MC_k", "sum to k"], rows)
    print(f" ({min(args.rows, len(mean))} of {len(mean)} delays shown)")
    spread = f" +- {capacities.std():.2f} over {args.seeds} networks" if args.seeds > 1 else ""
    print(f" MC = {capacities.mean():.2f}{spread} (at most n_units = {args.units})")
    supercritical_note([args.scale])
    if out is not None:
        header = ["delay", "mean_mc"] + [f"seed{j}_mc" for j in range(args.seeds)]
        table = [[k + 1, mean[k], *curves[:, k]] for k in range(len(mean))]
        write_csv(out / "memory_curve.csv", header, table)
        memory_figure(curves, describe(args), out / "memory_curve.png", n_units=args.units)
        print(f" wrote memory_curve.csv and memory_curve.png to {out}")
    return 0
