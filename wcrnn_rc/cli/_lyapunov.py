"""``wcrnn-rc lyapunov``: the numeric Lyapunov spectrum of one reservoir against theory."""

import numpy as np

from ..analysis import lyapunov_spectrum
from ._common import check_params, describe, parallel_runs, quiet, reservoir, supercritical_note
from ._output import fmt, print_table, spectrum_figure, write_csv


def _spectrum_of_network(args, seeds):
    network_seed, drive_seed = seeds
    with quiet():  # here, in the worker: warning filters do not reach loky's processes
        network = reservoir(args, random_state=network_seed).fit(np.zeros((1, 1)))
        numeric = lyapunov_spectrum(
            network,
            n_exponents=min(args.units, 100) if args.exponents is None else args.exponents,
            n_steps=args.steps,
            washout=args.washout,
            random_state=drive_seed,
        )
    return network, numeric


def run(args):
    """``wcrnn-rc lyapunov``: print the leading exponents against theory; write files."""
    out = args.output
    check_params(args)
    runs = parallel_runs(_spectrum_of_network, args, "Lyapunov spectrum")
    numeric = np.array([spectrum for _, spectrum in runs])
    mean = numeric.mean(axis=0)
    # The built-in residuals' eigenvalue moduli do not depend on the seed.
    theory = runs[0][0].residual_lyapunov_exponents_[: len(mean)]
    networks = f"{args.seeds} networks, " if args.seeds > 1 else ""
    print(f"Lyapunov spectrum: {describe(args)}; {networks}seed {args.seed}")
    with np.errstate(invalid="ignore"):  # -inf - -inf (a residual with eigenvalue 0)
        difference = mean - theory
    rows = [
        [i + 1, fmt(mean[i]), fmt(theory[i]), fmt(difference[i])]
        for i in range(min(args.rows, len(mean)))
    ]
    print_table(["index", "numeric", "theory", "numeric - theory"], rows)
    finite = np.isfinite(difference)
    largest = np.max(np.abs(difference[finite])) if finite.any() else float("nan")
    print(
        f" ({len(rows)} of {len(mean)} exponents shown, per step, {args.steps} steps after a "
        f"{args.washout}-step washout; max |numeric - theory| = {fmt(largest)})"
    )
    print(f" lambda_max = {fmt(mean[0])}, theory log max|eig R| = {fmt(theory[0])}")
    supercritical_note([args.scale])
    if out is not None:
        header = ["index", "theory", "mean_numeric"] + [
            f"seed{j}_numeric" for j in range(args.seeds)
        ]
        table = [[i + 1, theory[i], mean[i], *numeric[:, i]] for i in range(len(mean))]
        write_csv(out / "lyapunov_spectrum.csv", header, table)
        spectrum_figure(runs[0][0], mean, describe(args), out / "lyapunov_spectrum.png")
        print(f" wrote lyapunov_spectrum.csv and lyapunov_spectrum.png to {out}")
    return 0
