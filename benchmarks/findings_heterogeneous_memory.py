"""Heterogeneous memory: heterogeneous residuals against homogeneous ones on mixed delays.

A heterogeneous residual ``R = diag(exp(-1 / tau_i))`` (``residual="heterogeneous"``,
tau log-uniform over 1..100 steps) gives every unit its own memory timescale; an
identity residual ``R = lambda I`` gives all units one. This script compares, at the
same N=100 and coupling (0.01 in the main table; 0.001 .. 0.1 in the coupling sweep):

- heterogeneous, tau log-uniform over 1..100 steps;
- identity, tau = 5 steps (lambda = exp(-1/5) = 0.819): short memory;
- identity, tau = 50 steps (lambda = exp(-1/50) = 0.980): long memory;
- identity with the heterogeneous residual's mean eigenvalue (lambda = 0.828, the same
  trace of R; tau = 5.3);
- identity with its mean timescale (tau = 21.8 steps, lambda = 0.955);

and three references: the library's default rotational residual (lambda = 0.95,
angles spread over (0, pi)) at the same coupling, whose complex eigenvalues give far
more memory than any real diagonal residual; and, at their own couplings, a plain ESN
(``residual="none"``, coupling 1, spectral radius 0.9) and a leaky ESN (leak rate 0.3,
spectral radius 0.9), as in ``findings_baselines.py``.

Task: ``make_delay_task(n_steps=12000, delay=[1, 2, 5, 10, 20, 50, 100])``, one series;
a ridge readout on the standardised states recalls every delay. Steps 0..499 are
washout; alpha (1e-8..1e2) is chosen per delay on steps 8000..9999 after training on
500..7999, then the readout is refitted on 500..9999 and scored (R^2) on steps
10000..11999. Memory curves: :func:`wcrnn_rc.analysis.memory_capacity` with delays up
to 200 and its default estimate (``method="debiased"``, ``max(8000, 80 N)`` = 8000
readout steps). Until the library's 0.2 this script passed ``n_steps=10000``, because
the held-out estimate's default 2000 steps read these thinly spread memories about
half as large; the debiased default needs no such override.
Every cell runs 3 networks (the same 3 in every cell), mean ± std. Run j's network
seed and drive seed (the memory capacity's i.i.d. drive) are spawned independently by
:func:`wcrnn_rc.sweeps.draw_seeds` with ``random_state=0``, so the networks are those
of :func:`wcrnn_rc.sweeps.parameter_sweep` with the same seeds.

Run from the repository root::

    python benchmarks/findings_heterogeneous_memory.py     # under a minute

The task is generated, so ``--full`` changes nothing here (it is accepted for a uniform
command line). It writes ``benchmarks/results/findings_heterogeneous_memory.json`` and
``.png`` (a copy of the figure goes to ``docs/results/figures/``).
"""

import time

import numpy as np
from _findings import (
    finding_parser,
    load_record,
    markdown_table,
    mean_std,
    panel_letters,
    report,
    ridge_predict,
    save_figure,
    style,
)
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from wcrnn_rc import WCRNNReservoir
from wcrnn_rc.analysis import memory_capacity
from wcrnn_rc.datasets import make_delay_task
from wcrnn_rc.plotting import PALETTE
from wcrnn_rc.residuals import HeterogeneousResidual
from wcrnn_rc.sweeps import draw_seeds

NAME = "findings_heterogeneous_memory"
N_UNITS = 100
DELAYS = (1, 2, 5, 10, 20, 50, 100)
TIMESCALES = (1.0, 100.0)
COUPLING = 0.01
COUPLINGS = (0.001, 0.003, 0.01, 0.03, 0.1)
N_STEPS, WASHOUT, VAL_START, TEST_START = 12000, 500, 8000, 10000
ALPHAS = np.logspace(-8, 2, 11)
MC_MAX_DELAY = 200


def homogeneous_matches(n_units=N_UNITS, timescales=TIMESCALES):
    """The identity scales that match the heterogeneous residual's mean.

    Returns
    -------
    mean_eigenvalue : float
        ``mean_i exp(-1 / tau_i)``: the same trace of R.
    mean_timescale : float
        ``mean_i tau_i`` in steps.

    Examples
    --------
    >>> eig, tau = homogeneous_matches(3, (1.0, 100.0))   # tau = 1, 10, 100
    >>> round(tau, 1)
    37.0
    """
    residual = HeterogeneousResidual(timescales=timescales).build(n_units)
    return float(residual.diagonal_.mean()), float(residual.timescales_.mean())


def variants():
    """``{label: (reservoir parameters, same_coupling)}`` of every contender."""
    mean_eig, mean_tau = homogeneous_matches()
    tau_eig = -1.0 / np.log(mean_eig)
    same = {
        f"heterogeneous, tau {TIMESCALES[0]:g}..{TIMESCALES[1]:g}": {
            "residual": HeterogeneousResidual(timescales=TIMESCALES)
        },
        "identity, tau 5": {"residual": "identity", "residual_scale": np.exp(-1 / 5)},
        "identity, tau 50": {"residual": "identity", "residual_scale": np.exp(-1 / 50)},
        f"identity, mean eigenvalue (tau {tau_eig:.1f})": {
            "residual": "identity",
            "residual_scale": mean_eig,
        },
        f"identity, mean timescale (tau {mean_tau:.1f})": {
            "residual": "identity",
            "residual_scale": np.exp(-1 / mean_tau),
        },
    }
    out = {label: (params, True) for label, params in same.items()}
    out["rotational 0.95 (reference, same coupling)"] = (
        {"residual": "rotational", "residual_scale": 0.95},
        True,
    )
    out["ESN (reference, coupling 1)"] = (
        {"residual": "none", "coupling": 1.0, "recurrent_gain": 0.9},
        False,
    )
    out["leaky ESN a=0.3 (reference)"] = (
        {"residual": "identity", "residual_scale": 0.7, "coupling": 0.3, "recurrent_gain": 0.9},
        False,
    )
    return out


def r2_columns(y_true, y_pred):
    """R^2 per column, ``1 - MSE / variance``."""
    return 1.0 - np.mean((y_pred - y_true) ** 2, axis=0) / np.var(y_true, axis=0)


def _ridge(states, Y, alpha, fit_rows, predict_rows):
    prediction = ridge_predict(states, Y, alpha, fit_rows, predict_rows)
    return prediction.reshape(len(prediction), -1)  # Ridge drops a single target column


def delay_scores(states, Y):
    """Held-out R^2 per delay, alpha chosen per delay on the validation block.

    Parameters
    ----------
    states : ndarray of shape (N_STEPS, n_units)
    Y : ndarray of shape (N_STEPS, n_delays)

    Returns
    -------
    r2 : ndarray of shape (n_delays,)
    alphas : ndarray of shape (n_delays,)
    """
    fit_val, val = slice(WASHOUT, VAL_START), slice(VAL_START, TEST_START)
    fit_test, test = slice(WASHOUT, TEST_START), slice(TEST_START, len(Y))
    val_r2 = np.array([r2_columns(Y[val], _ridge(states, Y, a, fit_val, val)) for a in ALPHAS])
    val_r2[~np.isfinite(val_r2)] = -np.inf
    alphas = ALPHAS[np.argmax(val_r2, axis=0)]
    r2 = np.empty(Y.shape[1])
    for alpha in np.unique(alphas):
        columns = alphas == alpha
        r2[columns] = r2_columns(
            Y[test][:, columns], _ridge(states, Y[:, columns], alpha, fit_test, test)
        )
    return r2, alphas


def evaluate(params, coupling, seed, drive_seed, X, Y):
    """Per-delay R^2, memory capacity and memory curve of one network."""
    params = {"coupling": coupling, **params}
    reservoir = WCRNNReservoir(n_units=N_UNITS, random_state=int(seed), **params)
    with threadpool_limits(limits=1):  # parallelism comes from joblib
        states = reservoir.fit(X).transform(X)
        r2, alphas = delay_scores(states, Y)
        mc, curve = memory_capacity(
            reservoir,
            max_delay=MC_MAX_DELAY,
            return_curve=True,
            random_state=int(drive_seed),
        )
    return {"r2": r2.tolist(), "alphas": alphas.tolist(), "mc": mc, "curve": curve.tolist()}


# Okabe-Ito (colour-blind safe) and a grey for the eighth contender; markers as a second cue.
COLOURS = (*PALETTE, "#999999")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _display(label):
    """A contender's label with mathtext symbols (the JSON keys keep the plain text)."""
    return label.replace("tau", r"$\tau$").replace("a=0.3", r"$a = 0.3$")


def _figure(main_cells, sweep_cells, labels):
    import matplotlib.pyplot as plt

    from wcrnn_rc.plotting import plot_memory_curve

    style()
    fig, axes = plt.subplots(2, 2, figsize=(14, 10))
    colours = dict(zip(labels, COLOURS, strict=False))
    markers = dict(zip(labels, MARKERS, strict=False))
    ax = axes[0, 0]
    curves = {label: np.array([c["curve"] for c in main_cells[label]]) for label in labels}
    plot_memory_curve(curves, ax=ax)
    for line, label in zip(ax.lines, labels, strict=True):
        line.set_color(colours[label])
        if "reference" in label:
            line.set_linestyle("--")
    for band, label in zip(ax.collections, labels, strict=True):
        band.set_color(colours[label])
    ax.get_legend().remove()
    ax.set_xscale("log")
    ax.set_xlim(1, MC_MAX_DELAY)  # plot_memory_curve starts a linear axis at 0
    ax.set_xticks([1, 2, 5, 10, 20, 50, 100, 200], ["1", "2", "5", "10", "20", "50", "100", "200"])
    ax.set_xlabel("delay $k$ (steps)")
    ax.set_title(
        rf"memory curves at coupling $\varepsilon = {COUPLING:g}$ (band: min to max over seeds)"
    )
    for d in DELAYS:
        ax.axvline(d, color="black", lw=0.4, ls=":")

    ax = axes[0, 1]
    for label in labels:
        r2 = np.array([c["r2"] for c in main_cells[label]])
        mc = np.mean([c["mc"] for c in main_cells[label]])
        ax.errorbar(DELAYS, r2.mean(axis=0), yerr=r2.std(axis=0), marker=markers[label],
                    ls="--" if "reference" in label else "-", capsize=2, color=colours[label],
                    label=f"{_display(label)}, MC = {mc:.1f}")  # fmt: skip
    ax.set_xscale("log")
    ax.set_xticks(DELAYS, [str(d) for d in DELAYS])
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("delay $k$ (steps)")
    ax.set_ylabel("held-out $R^2$")
    ax.set_title(rf"delay task: recall $u(t-k)$ at coupling $\varepsilon = {COUPLING:g}$")

    same_labels = [label for label in labels if main_cells[label][0]["same_coupling"]]
    for ax, key, ylabel in (
        (axes[1, 0], "mean_r2", f"mean held-out $R^2$ over the {len(DELAYS)} delays"),
        (axes[1, 1], "mc", f"memory capacity MC (delays 1..{MC_MAX_DELAY}, log scale)"),
    ):
        for label in same_labels:
            values = np.array([[c[key] for c in sweep_cells[label, eps]] for eps in COUPLINGS])
            ax.errorbar(COUPLINGS, values.mean(axis=1), yerr=values.std(axis=1),
                        marker=markers[label], ls="--" if "reference" in label else "-",
                        capsize=2, color=colours[label])  # fmt: skip
        ax.set_xscale("log")
        ax.set_xticks(COUPLINGS, [f"{eps:g}" for eps in COUPLINGS])
        ax.set_xlabel(r"coupling $\varepsilon$ (the same for every residual)")
        ax.set_ylabel(ylabel)
        ax.set_title("coupling sweep (the references with their own coupling are left out)")
    axes[1, 1].set_yscale("log")  # the rotational reference holds about 10x more
    panel_letters(axes, x=-0.08)
    fig.suptitle(
        rf"Heterogeneous residual ($\tau$ = {TIMESCALES[0]:g}..{TIMESCALES[1]:g} steps) against "
        f"identity residuals and references, $N = {N_UNITS}$ (mean ± std over seeds; "
        "dashed: references)"
    )
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    handles, names = axes[0, 1].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=3, frameon=False)
    return fig


def replot(record):
    """Redraw the figure from a saved JSON record (nothing is recomputed)."""
    models = variants()
    labels = list(models)
    cells = {}
    for label, (params, same) in models.items():
        for eps in COUPLINGS if same else (params["coupling"],):
            cells[label, eps] = record["cells"][f"{label}|{eps:g}"]
    main_cells = {
        label: cells[label, COUPLING if same else params["coupling"]]
        for label, (params, same) in models.items()
    }
    return _figure(main_cells, cells, labels)


def main(argv=None):
    """Run the main comparison and the coupling sweep; print and write tables, figure."""
    args = finding_parser(__doc__).parse_args(argv)
    if args.replot:
        save_figure(NAME, replot(load_record(NAME)))
        return
    started = time.perf_counter()
    X, Y = make_delay_task(n_steps=N_STEPS, delay=list(DELAYS), random_state=0)
    models = variants()
    labels = list(models)
    seeds, drive_seeds = draw_seeds(0, args.seeds, return_drive_seeds=True)
    jobs = []  # (label, coupling, seed index)
    for label, (params, same_coupling) in models.items():
        couplings = COUPLINGS if same_coupling else (params["coupling"],)
        jobs += [(label, eps, j) for eps in couplings for j in range(args.seeds)]
    outputs = Parallel(n_jobs=args.n_jobs)(
        delayed(evaluate)(models[label][0], eps, seeds[j], drive_seeds[j], X, Y)
        for label, eps, j in jobs
    )
    cells = {}
    for (label, eps, _), out in zip(jobs, outputs, strict=True):
        out["mean_r2"] = float(np.mean(out["r2"]))
        out["same_coupling"] = models[label][1]
        cells.setdefault((label, eps), []).append(out)
    main_cells = {
        label: cells[label, COUPLING if same else params["coupling"]]
        for label, (params, same) in models.items()
    }

    headers = ["residual", "coupling", *[f"R^2 k={d}" for d in DELAYS], "mean R^2", "MC"]
    rows = []
    for label in labels:
        cell = main_cells[label]
        r2 = np.array([c["r2"] for c in cell])
        coupling = COUPLING if models[label][1] else models[label][0]["coupling"]
        rows.append(
            [
                label,
                f"{coupling:g}",
                *[f"{v:.3f}" for v in r2.mean(axis=0)],
                mean_std([c["mean_r2"] for c in cell]),
                mean_std([c["mc"] for c in cell], 1),
            ]
        )
    sweep_headers = ["residual", *[f"coupling {eps:g}" for eps in COUPLINGS]]
    sweep_rows = []
    for key, name in (("mean_r2", "mean R^2"), ("mc", "MC")):
        for label in labels:
            if not models[label][1]:
                continue
            digits = 3 if key == "mean_r2" else 1
            sweep_rows.append(
                [
                    f"{label}: {name}",
                    *[mean_std([c[key] for c in cells[label, eps]], digits) for eps in COUPLINGS],
                ]
            )
    figure = None if args.no_save else _figure(main_cells, cells, labels)
    payload = {
        "n_units": N_UNITS,
        "delays": list(DELAYS),
        "coupling": COUPLING,
        "couplings": list(COUPLINGS),
        "split": {
            "washout": WASHOUT,
            "val_start": VAL_START,
            "test_start": TEST_START,
            "n_steps": N_STEPS,
        },
        "memory_capacity": {"max_delay": MC_MAX_DELAY, "method": "debiased", "n_steps": None},
        "seeds": seeds.tolist(),
        "drive_seeds": drive_seeds.tolist(),
        "cells": {f"{label}|{eps:g}": v for (label, eps), v in cells.items()},
        "sweep_headers": sweep_headers,
        "sweep_rows": sweep_rows,
        "wall_time_s": time.perf_counter() - started,
    }
    report(
        NAME, headers, rows, payload=payload, figure=figure, save=not args.no_save, started=started
    )
    print("\nCoupling sweep (same coupling for every residual), mean ± std over seeds:")
    print(markdown_table(sweep_headers, sweep_rows))


if __name__ == "__main__":
    main()
