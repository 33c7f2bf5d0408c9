"""Edge of chaos: memory, largest Lyapunov exponent and task scores of identity residuals.

Identity residuals (``residual="identity"``, R = lambda I) with N=100 units, swept three
ways with :func:`wcrnn_rc.sweeps.parameter_sweep`:

- residual_scale lambda in 0.5 .. 1.05 at coupling 0.01;
- the same scales at coupling 0.1;
- coupling in 0.001 .. 1 at residual_scale 0.99.

Every cell reports, as mean ± std over network seeds (3 by default, the same seeds in
every cell): the linear memory capacity and the largest Lyapunov exponent (i.i.d.
uniform drive; ``parameter_sweep``'s metrics), the held-out accuracy on permuted
sequential digits (last state, standardised ridge readout) and the held-out NRMSE on
NARMA10 (one 5000-step series; the task code is in ``findings_baselines.py``). Each
cell is put in a regime by its mean largest exponent: subcritical below -0.005,
near-critical within ±0.005, supercritical above 0.005 (per step: a perturbation
grows or shrinks by less than a factor e over 200 steps, longer than the 64-step
sequences and the 2N = 200 delays of the memory capacity). An orthogonal residual
(R = lambda Q, Q Haar-random) on the same grid gives a reference memory capacity and
exponent.

Run from the repository root::

    python benchmarks/findings_edge_of_chaos.py            # offline data, about 1 minute
    python benchmarks/findings_edge_of_chaos.py --full --data-home ~/scikit_learn_data

``--full`` replaces permuted sequential digits by psMNIST (10000 training images from
the first 60000, 2000 test images from the last 10000). It writes
``benchmarks/results/findings_edge_of_chaos.json`` and ``.png`` (a copy of the figure
goes to ``docs/results/figures/``).
"""

import functools
import time

import numpy as np
from _findings import (
    finding_parser,
    load_record,
    markdown_table,
    mean_std,
    panel_letters,
    report,
    save_figure,
    style,
)
from findings_baselines import DYNAMICS_METRICS, load_task, task_metric

from wcrnn_rc import WCRNNReservoir
from wcrnn_rc.plotting import LABELS, PALETTE
from wcrnn_rc.sweeps import parameter_sweep

NAME = "findings_edge_of_chaos"
N_UNITS = 100
THRESHOLD = 0.005
NRMSE_TOP = 20.0  # the NARMA10 panels stop here
SCALES = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 1.0, 1.01, 1.02, 1.05)
COUPLINGS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
# (label, swept parameter, grid)
SWEEPS = (
    ("scale, coupling 0.01", "residual_scale", {"residual_scale": SCALES, "coupling": [0.01]}),
    ("scale, coupling 0.1", "residual_scale", {"residual_scale": SCALES, "coupling": [0.1]}),
    ("coupling, scale 0.99", "coupling", {"residual_scale": [0.99], "coupling": COUPLINGS}),
)
# Colour-blind-safe background (Okabe-Ito): a diverging blue / grey / vermillion scale
# centred on lambda_max = 0, the sign of the quantity it encodes.
REGIME_COLOURS = {
    "subcritical": PALETTE[5],
    "near-critical": "#BBBBBB",
    "supercritical": PALETTE[1],
}
REGIME_ALPHA = 0.18
LYAPUNOV_BOTTOM = -0.2  # the Lyapunov panels stop here
# Panel titles of the three sweeps (the JSON keys are the SWEEPS labels).
SWEEP_TITLES = {
    "scale, coupling 0.01": r"$\lambda$ swept at coupling $\varepsilon = 0.01$",
    "scale, coupling 0.1": r"$\lambda$ swept at coupling $\varepsilon = 0.1$",
    "coupling, scale 0.99": r"$\varepsilon$ swept at residual scale $\lambda = 0.99$",
}


def regime(max_lyapunov, threshold=THRESHOLD):
    """The regime of a network from its largest Lyapunov exponent (per step).

    Parameters
    ----------
    max_lyapunov : float
        Largest Lyapunov exponent.
    threshold : float, default=THRESHOLD
        Half-width of the near-critical band around 0.

    Returns
    -------
    regime : str
        ``"subcritical"`` below ``-threshold``, ``"supercritical"`` above ``threshold``,
        ``"near-critical"`` in between (edges included); ``"undefined"`` for NaN.
    """
    if not np.isfinite(max_lyapunov):
        return "undefined"
    if max_lyapunov < -threshold:
        return "subcritical"
    if max_lyapunov > threshold:
        return "supercritical"
    return "near-critical"


def state_bound(scale):
    """Whether the identity residual's states stay bounded: |h_i| <= eps / (1 - lambda)."""
    if scale < 1:
        return "bounded"
    return "marginal" if scale == 1 else "unbounded"


def _seed_values(results, metric, n_seeds):
    return np.array([results[f"seed{j}_{metric}"] for j in range(n_seeds)]).T


def _format(values, digits):
    values = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(values)):
        return "diverged"
    if np.mean(values) >= 100:  # a failed fit: a mean ± std in 3 significant figures
        return f"{np.mean(values):.3g} ± {np.std(values):.2g}"
    return mean_std(values, digits=digits)


def _shade(ax, regimes):
    for i, name in enumerate(regimes):
        if name in REGIME_COLOURS:
            ax.axvspan(i - 0.5, i + 0.5, color=REGIME_COLOURS[name], alpha=REGIME_ALPHA,
                       linewidth=0)  # fmt: skip


def _off_scale(ax, xs, mean, limit, marker, label):
    """Mark the cells whose mean lies beyond ``limit`` at the edge; return the others."""
    off = ~(mean <= limit) if marker == "^" else ~(mean >= limit)
    if off.any():
        ax.plot(xs[off], np.full(off.sum(), limit), marker, color="black", markerfacecolor="white",
                markersize=8, linestyle="none", clip_on=False, zorder=5, label=label)  # fmt: skip
    return ~off


def _figure(sweeps, task_label):
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    style()
    panels = (
        ("memory_capacity", "memory capacity MC"),
        ("max_lyapunov", LABELS["max_lyapunov"].replace(" exponent", "\nexponent")),
        ("psdigits", task_label),
        ("narma10", "NARMA10 NRMSE (log scale)"),
    )
    fig, axes = plt.subplots(len(sweeps), len(panels), figsize=(17, 3.9 * len(sweeps)))
    for row, sweep in zip(axes, sweeps, strict=True):
        xs = np.arange(len(sweep["values"]))
        for ax, (metric, ylabel) in zip(row, panels, strict=True):
            _shade(ax, sweep["regimes"])
            values = sweep["seeds"][metric]
            mean, std = np.nanmean(values, axis=1), np.nanstd(values, axis=1)
            shown = np.ones(len(xs), dtype=bool)
            if metric == "narma10":  # failed fits reach 1e19: mark them at the top
                shown = _off_scale(ax, xs, mean, NRMSE_TOP, "^",
                                   f"NRMSE > {NRMSE_TOP:g} (off scale)")  # fmt: skip
            if metric == "max_lyapunov":
                shown = _off_scale(ax, xs, mean, LYAPUNOV_BOTTOM, "v",
                                   f"below {LYAPUNOV_BOTTOM:g} (off scale)")  # fmt: skip
            if metric in sweep["reference"]:
                ref = sweep["reference"][metric].mean(axis=1)
                ref_shown = ref >= LYAPUNOV_BOTTOM if metric == "max_lyapunov" else np.isfinite(ref)
                ax.plot(xs[ref_shown], ref[ref_shown], "s--", color=PALETTE[0], markersize=5,
                        label=r"orthogonal residual $R = \lambda Q$ (reference)")  # fmt: skip
            ax.errorbar(xs[shown], mean[shown], yerr=std[shown], marker="o", color="black",
                        capsize=2, label=r"identity residual $R = \lambda I$")  # fmt: skip
            if metric == "max_lyapunov":
                ax.axhline(0, color="black", linewidth=0.8)
                for level in (-THRESHOLD, THRESHOLD):
                    ax.axhline(level, color="black", linewidth=0.6, linestyle=":")
                top = ax.get_ylim()[1]
                ax.set_ylim(max(ax.get_ylim()[0], LYAPUNOV_BOTTOM), top)
            if metric == "narma10":
                ax.set_yscale("log")
                ax.set_ylim(0.3, NRMSE_TOP)
                ax.axhline(1, color="black", linewidth=0.6, linestyle=":")
            if metric == "psdigits":
                ax.axhline(0.1, color="black", linewidth=0.6, linestyle=":")
            ax.set_xticks(xs, [f"{v:g}" for v in sweep["values"]], rotation=45)
            ax.set_xlim(-0.5, len(xs) - 0.5)
            ax.set_xlabel(LABELS[sweep["param"]])
            ax.set_ylabel(ylabel)
            ax.set_title(SWEEP_TITLES.get(sweep["label"], sweep["label"]))
    panel_letters(axes, x=-0.18)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    lines = {}  # one legend entry per label, from every panel
    for ax in np.ravel(axes):
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            lines.setdefault(label, handle)
    fig.legend(lines.values(), lines.keys(), loc="upper center", ncol=len(lines), fontsize=10,
               bbox_to_anchor=(0.5, 0.96), frameon=False)  # fmt: skip
    handles = [
        Patch(color=REGIME_COLOURS["subcritical"], alpha=REGIME_ALPHA * 2,
              label=rf"subcritical: $\lambda_{{\max}} < -{THRESHOLD}$"),
        Patch(color=REGIME_COLOURS["near-critical"], alpha=REGIME_ALPHA * 2,
              label=rf"near-critical: $|\lambda_{{\max}}| \leq {THRESHOLD}$"),
        Patch(color=REGIME_COLOURS["supercritical"], alpha=REGIME_ALPHA * 2,
              label=rf"supercritical: $\lambda_{{\max}} > {THRESHOLD}$"),
    ]  # fmt: skip
    fig.legend(handles=handles, loc="upper center", ncol=3, fontsize=10,
               bbox_to_anchor=(0.5, 0.935), frameon=False,
               title="background: regime of the identity network")  # fmt: skip
    fig.suptitle(
        f"Identity residuals ($N = {N_UNITS}$): memory capacity, largest Lyapunov exponent "
        f"and task scores (mean ± std over {sweeps[0]['seeds']['memory_capacity'].shape[1]} "
        "seeds; dotted: chance accuracy, NRMSE 1)",
        y=0.995,
    )
    return fig


def replot(record):
    """Redraw the figure from a saved JSON record (nothing is recomputed)."""
    sweeps = []
    for label, param, _ in SWEEPS:
        saved = record["sweeps"][label]
        sweeps.append({
            "label": label, "param": param, "values": [p[param] for p in saved["params"]],
            "regimes": saved["regimes"],
            "seeds": {m: np.array(v, dtype=float) for m, v in saved["seed_values"].items()},
            "reference": {m: np.array(v, dtype=float)
                          for m, v in saved["orthogonal_seed_values"].items()},
        })  # fmt: skip
    return _figure(sweeps, "psMNIST accuracy" if record["full"] else "psdigits accuracy")


def main(argv=None):
    """Run the three sweeps; print and write the table and the figure."""
    args = finding_parser(__doc__).parse_args(argv)
    if args.replot:
        save_figure(NAME, replot(load_record(NAME)))
        return
    started = time.perf_counter()
    psdigits = load_task("psdigits", full=args.full, data_home=args.data_home)
    narma = load_task("narma10")
    task_label = "psMNIST accuracy" if args.full else "psdigits accuracy"
    metrics = {
        **DYNAMICS_METRICS,
        "psdigits": functools.partial(task_metric, task=psdigits),
        "narma10": functools.partial(task_metric, task=narma),
    }
    base = WCRNNReservoir(n_units=N_UNITS, residual="identity", sequence_features="last")
    reference = WCRNNReservoir(n_units=N_UNITS, residual="orthogonal")

    sweeps, rows, payload_sweeps = [], [], {}
    for label, param, grid in SWEEPS:
        results = parameter_sweep(
            base, grid, metrics=metrics, n_seeds=args.seeds, n_jobs=args.n_jobs, random_state=0
        )
        ref = parameter_sweep(
            reference, grid, metrics=DYNAMICS_METRICS, n_seeds=args.seeds,
            n_jobs=args.n_jobs, random_state=0,
        )  # fmt: skip
        seeds = {m: _seed_values(results, m, args.seeds) for m in metrics}
        ref_seeds = {m: _seed_values(ref, m, args.seeds) for m in DYNAMICS_METRICS}
        regimes = [regime(v) for v in results["mean_max_lyapunov"]]
        values = [p[param] for p in results["params"]]
        sweeps.append({
            "label": label, "param": param, "values": values, "regimes": regimes,
            "seeds": seeds, "reference": ref_seeds,
        })  # fmt: skip
        for i, point in enumerate(results["params"]):
            rows.append([
                label,
                f"{point['residual_scale']:g}",
                f"{point['coupling']:g}",
                regimes[i],
                state_bound(point["residual_scale"]),
                _format(seeds["memory_capacity"][i], 1),
                _format(seeds["max_lyapunov"][i], 4),
                _format(seeds["psdigits"][i], 3),
                _format(seeds["narma10"][i], 3),
                _format(ref_seeds["memory_capacity"][i], 1),
                _format(ref_seeds["max_lyapunov"][i], 4),
            ])  # fmt: skip
        payload_sweeps[label] = {
            "params": results["params"],
            "regimes": regimes,
            "seed_values": {m: v.tolist() for m, v in seeds.items()},
            "orthogonal_seed_values": {m: v.tolist() for m, v in ref_seeds.items()},
            "mean_time_s": results["mean_time"].tolist(),
        }

    # Where each task peaks, and in which regime.
    best_rows = []
    for sweep in sweeps:
        for metric, better in (("psdigits", np.nanargmax), ("narma10", np.nanargmin)):
            means = np.nanmean(sweep["seeds"][metric], axis=1)
            i = int(better(means))
            best_rows.append([
                sweep["label"], task_label if metric == "psdigits" else "NARMA10 NRMSE",
                f"{sweep['param']} = {sweep['values'][i]:g}", f"{means[i]:.3f}",
                sweep["regimes"][i],
                f"{np.nanmean(sweep['seeds']['max_lyapunov'][i]):.4f}",
            ])  # fmt: skip
    best_headers = ["sweep", "task", "best cell", "score", "regime", "lambda_max"]

    headers = [
        "sweep", "scale", "coupling", "regime", "states", "MC", "lambda_max",
        task_label, "NARMA10 NRMSE", "MC orthogonal", "lambda_max orthogonal",
    ]  # fmt: skip
    figure = None if args.no_save else _figure(sweeps, task_label)
    payload = {
        "n_units": N_UNITS,
        "threshold": THRESHOLD,
        "full": args.full,
        "tasks": {"psdigits": psdigits.description, "narma10": narma.description},
        "sweeps": payload_sweeps,
        "best_headers": best_headers,
        "best_rows": best_rows,
        "wall_time_s": time.perf_counter() - started,
    }
    report(NAME, headers, rows, payload=payload, figure=figure, save=not args.no_save,
           started=started)  # fmt: skip
    print("\nBest cell of each task in each sweep:")
    print(markdown_table(best_headers, best_rows))


if __name__ == "__main__":
    main()
