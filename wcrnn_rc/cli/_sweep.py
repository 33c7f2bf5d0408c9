"""``wcrnn-rc sweep``: a grid of residuals x scales x couplings (also the demo's stage 1)."""

import time
from contextlib import nullcontext

import numpy as np

from ..sweeps import parameter_sweep
from ._cluster import dask_backend
from ._common import SweepMetric, check_params, quiet, reservoir, supercritical_note
from ._output import fmt, print_table, pyplot, save, write_csv

# Table heading, file-name stem and title of each sweep metric.
METRIC_NAMES = {
    "memory_capacity": ("MC", "memory", "memory capacity MC"),
    "max_lyapunov": ("lambda_max", "lyapunov", "largest Lyapunov exponent lambda_max"),
    "spectral_radius": ("rho(R)", "spectral_radius", "spectral radius of R"),
}


def normalise_grid(args):
    # Sorted, without repeats: a heatmap cell per value, rows in reading order.
    args.residual = list(dict.fromkeys(args.residual))
    args.scale = sorted(set(args.scale))
    args.coupling = sorted(set(args.coupling))


def run_grid(args, metrics, scheduler=None):
    """Run the grid of ``args``; return the results and the row order for tables."""
    grid = {"residual": args.residual, "residual_scale": args.scale, "coupling": args.coupling}
    check_params(args, grid)
    backend = dask_backend(scheduler) if scheduler else nullcontext()
    with backend, quiet():
        results = parameter_sweep(
            reservoir(args),
            grid,
            metrics={name: SweepMetric(name) for name in metrics},
            n_seeds=args.seeds,
            n_jobs=args.n_jobs,
            random_state=args.seed,
            verbose=0 if args.quiet else 1,
        )
    params = results["params"]
    order = sorted(
        range(len(params)),
        key=lambda i: (
            args.residual.index(params[i]["residual"]),
            params[i]["residual_scale"],
            params[i]["coupling"],
        ),
    )
    return results, order


def _regime(lyapunov):
    if np.isnan(lyapunov):
        return "diverged"
    return "subcritical" if lyapunov < 0 else "supercritical"


def _print_sweep(results, order, metrics):
    headers = ["residual", "scale", "coupling"]
    for name in metrics:
        label = METRIC_NAMES[name][0]
        headers += [f"{label} mean", f"{label} std"]
    if "max_lyapunov" in metrics:
        headers.append("regime")
    rows = []
    for i in order:
        params = results["params"][i]
        row = [params["residual"], f"{params['residual_scale']:g}", f"{params['coupling']:g}"]
        for name in metrics:
            spec = ".2f" if name == "memory_capacity" else ".4f"
            row += [fmt(results[f"mean_{name}"][i], spec), fmt(results[f"std_{name}"][i], spec)]
        if "max_lyapunov" in metrics:
            row.append(_regime(results["mean_max_lyapunov"][i]))
        rows.append(row)
    print_table(headers, rows)


def notes(results, metrics, scales):
    supercritical_note(scales)
    if any(np.isnan(results[f"mean_{name}"]).any() for name in metrics):
        print(" nan: some networks' states overflowed (diverged)")


def print_pivots(results, metrics, args):
    """One short table per residual and metric: scales down, couplings across."""
    for residual in args.residual:
        subset = _select(results, residual)
        for name in metrics:
            values = dict(
                zip(
                    ((p["residual_scale"], p["coupling"]) for p in subset["params"]),
                    subset[f"mean_{name}"],
                    strict=True,
                )
            )
            spec = ".2f" if name == "memory_capacity" else ".4f"
            print(f" {METRIC_NAMES[name][2]}, {residual} residual (mean of {args.seeds}):")
            print_table(
                ["scale \\ coupling", *(f"{c:g}" for c in args.coupling)],
                [[f"{s:g}", *(fmt(values[s, c], spec) for c in args.coupling)] for s in args.scale],
            )


def write_sweep_csv(path, results, order, metrics, args):
    header = ["residual", "residual_scale", "coupling", "n_units"]
    header += [f"{stat}_{name}" for name in metrics for stat in ("mean", "std")]
    header += [f"seed{j}_{name}" for name in metrics for j in range(args.seeds)]
    rows = []
    for i in order:
        params = results["params"][i]
        row = [params["residual"], params["residual_scale"], params["coupling"], args.units]
        rows.append(row + [results[key][i] for key in header[4:]])
    write_csv(path, header, rows)


def _select(results, residual):
    """The rows of ``results`` for one residual family (plot_sweep takes two parameters)."""
    keep = np.array([params["residual"] == residual for params in results["params"]])
    return {
        key: [p for p, k in zip(value, keep, strict=True) if k] if key == "params" else value[keep]
        for key, value in results.items()
    }


def write_heatmaps(out, results, metrics, args):
    from ..plotting import plot_sweep

    plt = pyplot()
    names = []
    for name in metrics:
        label, stem, _ = METRIC_NAMES[name]
        fig, axes = plt.subplots(
            1, len(args.residual), figsize=(6.0 * len(args.residual), 4.4), squeeze=False
        )
        for ax, residual in zip(axes[0], args.residual, strict=True):
            subset = _select(results, residual)
            plot_sweep(subset, f"mean_{name}", "residual_scale", "coupling", ax=ax)
            ax.set_title(
                f"{label}: {residual} residual, {args.units} units, mean of {args.seeds}",
                fontsize=9,
            )
        save(fig, out / f"sweep_{stem}.png")
        names.append(f"sweep_{stem}.png")
    return names


def run(args):
    """``wcrnn-rc sweep``: print the grid's table; write sweep.csv and heatmaps."""
    normalise_grid(args)
    out = args.output
    metrics = list(dict.fromkeys(args.metrics))
    n_points = len(args.residual) * len(args.scale) * len(args.coupling)
    print(
        f"Sweep: {n_points} grid point(s) x {args.seeds} network(s), {args.units} units, "
        f"{args.activation}; seed {args.seed}"
        + (f"; on the dask scheduler {args.scheduler}" if args.scheduler else ""),
        flush=True,
    )
    start = time.perf_counter()
    results, order = run_grid(args, metrics, scheduler=args.scheduler)
    _print_sweep(results, order, metrics)
    notes(results, metrics, args.scale)
    print(f" ({time.perf_counter() - start:.1f} s)")
    if out is not None:
        write_sweep_csv(out / "sweep.csv", results, order, metrics, args)
        figures = write_heatmaps(out, results, metrics, args)
        print(f" wrote sweep.csv and {', '.join(figures)} to {out}")
    return 0
