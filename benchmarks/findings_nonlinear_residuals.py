"""Non-linear residuals: the tanh residual against its linear counterpart, lambda swept.

The tanh residual ``rho(h) = lambda * tanh(h)`` (``residual="tanh"``) has the same
linearisation at h = 0 as the identity residual ``rho(h) = lambda * h``
(``residual="identity"``), so the linear theory gives both the Lyapunov exponents
``log|lambda|``. Away from 0 they differ: the tanh residual's Jacobian is
``lambda * (1 - tanh(h)**2) <= lambda`` and its states stay within
``|h| <= lambda + coupling``, whatever lambda; the identity residual's states grow
without bound once lambda > 1. This script sweeps lambda in 0.9 .. 1.2 for both, at
N=100 and two couplings, 0.01 and 0.1 (everything else the library default), and
reports for each cell (mean ± std over 3 networks, the same 3 in every cell; run j's
network seed and drive seed, for the i.i.d. drives below, are spawned independently by
:func:`wcrnn_rc.sweeps.draw_seeds` with ``random_state=0``, so the networks are those of
:func:`wcrnn_rc.sweeps.parameter_sweep` with the same seeds):

- the 10 leading Lyapunov exponents (:func:`wcrnn_rc.analysis.lyapunov_spectrum`,
  i.i.d. uniform [-1, 1] drive, 2000 steps after a washout of 500), against
  ``log(lambda)``;
- the largest ``|h_t|`` over 2500 steps of the same kind of drive (boundedness);
- the linear memory capacity (:func:`wcrnn_rc.analysis.memory_capacity`, delays up to
  200, its default debiased estimate on ``max(8000, 80 N)`` = 8000 steps; until the
  library's 0.2 this script passed ``n_steps=10000``, because the held-out estimate's
  default 2000 steps gave about half the value for these weakly coupled networks; the
  debiased default needs no such override);
- permuted sequential digits (1797 x 64 steps), held-out accuracy: last state,
  standardised, ``RidgeClassifierCV`` (alpha by leave-one-out over 1e-4..1e4),
  stratified 75 % / 25 % split;
- NARMA10 (one 5000-step series), NRMSE on steps 4000..4999: ridge on standardised
  states trained on 200..3999, alpha (1e-8..1e2) chosen on 3200..3999 after training
  on 200..3199.

A cell whose states overflow (``FloatingPointError``) or whose readout cannot be fitted
is reported as such ("overflow"), not dropped.

Run from the repository root::

    python benchmarks/findings_nonlinear_residuals.py      # offline data, under a minute
    python benchmarks/findings_nonlinear_residuals.py --full --data-home ~/scikit_learn_data

``--full`` replaces permuted sequential digits by psMNIST (10000 training images drawn
from the first 60000, 2000 test images from the last 10000). It writes
``benchmarks/results/findings_nonlinear_residuals.json`` and ``.png`` (a copy of the
figure goes to ``docs/results/figures/``).
"""

import time
import warnings

import numpy as np
from _findings import (
    finding_parser,
    load_record,
    mean_std,
    nrmse,
    panel_letters,
    report,
    ridge_predict,
    save_figure,
    style,
)
from joblib import Parallel, delayed
from sklearn.linear_model import RidgeClassifierCV
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch
from threadpoolctl import threadpool_limits

from wcrnn_rc import WCRNNReservoir
from wcrnn_rc.analysis import lyapunov_spectrum, memory_capacity
from wcrnn_rc.datasets import fetch_sequential_mnist, load_sequential_digits, make_narma
from wcrnn_rc.plotting import LABELS, PALETTE
from wcrnn_rc.sweeps import draw_seeds

NAME = "findings_nonlinear_residuals"
N_UNITS = 100
COUPLINGS = (0.01, 0.1)
SCALES = (0.9, 0.95, 0.99, 1.0, 1.02, 1.05, 1.1, 1.2)
RESIDUALS = ("identity", "tanh")
COLOURS = {"identity": PALETTE[0], "tanh": PALETTE[1]}  # Okabe-Ito: colour-blind safe
MARKERS = {"identity": "o", "tanh": "s"}
NAMES = {"identity": r"identity $\rho(h) = \lambda h$", "tanh": r"tanh $\rho(h) = \lambda \tanh h$"}
N_EXPONENTS = 10
LYAPUNOV_STEPS, LYAPUNOV_WASHOUT = 2000, 500
# Largest |h_t| above this: the states diverge exponentially (bounded ones stay below 10
# here; the critical identity residual, lambda = 1, drifts to a few hundred).
DIVERGED_STATE = 1e6
# NARMA10 NRMSE above this is drawn as a marker at the top of its panel.
NARMA_PLOT_MAX = 100.0
SEQUENCE_ALPHAS = np.logspace(-4, 4, 9)
SERIES_ALPHAS = np.logspace(-8, 2, 11)
SERIES_STEPS, SERIES_WASHOUT, SERIES_VAL_START, SERIES_TEST_START = 5000, 200, 3200, 4000
FULL_TRAIN, FULL_TEST = 10000, 2000
# Where the states can fail: overflow in the run, or a readout that cannot be fitted.
FAILURES = (FloatingPointError, ValueError, np.linalg.LinAlgError)


# --------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------


def load_tasks(*, full=False, data_home=None):
    """Permuted sequential digits (or psMNIST) with a fixed split, and NARMA10."""
    if full:
        X, y = fetch_sequential_mnist(
            permute=True, data_home=data_home, random_state=0, return_X_y=True
        )
        rng = np.random.RandomState(0)
        train = np.sort(rng.choice(60000, FULL_TRAIN, replace=False))
        test = 60000 + np.sort(rng.choice(len(y) - 60000, FULL_TEST, replace=False))
        label = "psMNIST"
    else:
        X, y = load_sequential_digits(permute=True, random_state=0, return_X_y=True)
        train, test = train_test_split(
            np.arange(len(y)), test_size=0.25, random_state=0, stratify=y
        )
        label = "psdigits"
    u, target = make_narma(n_steps=SERIES_STEPS, order=10, random_state=0)
    return Bunch(
        digits=Bunch(X=X, y=y, train=train, test=test, label=label),
        narma=Bunch(X=u, y=target),
    )


def narma_nrmse(reservoir, task):
    """Held-out NRMSE on NARMA10, alpha chosen on the validation block."""
    states = reservoir.fit(task.X).transform(task.X)
    y = task.y
    fit_val = slice(SERIES_WASHOUT, SERIES_VAL_START)
    val = slice(SERIES_VAL_START, SERIES_TEST_START)
    val_scores = []
    for alpha in SERIES_ALPHAS:
        try:
            val_scores.append(nrmse(y[val], ridge_predict(states, y, alpha, fit_val, val)))
        except FAILURES:  # this alpha cannot fit the states
            val_scores.append(np.inf)
    val_scores = np.where(np.isfinite(val_scores), val_scores, np.inf)
    alpha = SERIES_ALPHAS[int(np.argmin(val_scores))]
    fit_test, test = slice(SERIES_WASHOUT, SERIES_TEST_START), slice(SERIES_TEST_START, None)
    return nrmse(y[test], ridge_predict(states, y, alpha, fit_test, test))


def digits_accuracy(reservoir, task):
    """Held-out accuracy of the last state on (permuted) sequential digits."""
    features = reservoir.fit(task.X[task.train]).transform(task.X)
    if not np.all(np.isfinite(features)):
        raise FloatingPointError("non-finite features")
    readout = make_pipeline(StandardScaler(), RidgeClassifierCV(alphas=SEQUENCE_ALPHAS))
    readout.fit(features[task.train], task.y[task.train])
    return float(readout.score(features[task.test], task.y[task.test]))


# --------------------------------------------------------------------------------------
# One network
# --------------------------------------------------------------------------------------


def max_abs_state(reservoir, seed, n_steps=LYAPUNOV_WASHOUT + LYAPUNOV_STEPS):
    """Largest ``|h_t|`` over an i.i.d. uniform [-1, 1] drive; inf on overflow."""
    drive = np.random.RandomState(seed).uniform(-1.0, 1.0, size=(n_steps, 1))
    try:
        return float(np.max(np.abs(reservoir.fit(drive).transform(drive))))
    except FloatingPointError:
        return np.inf


def _attempt(func):
    """``func()``, or NaN when the network or its readout fails."""
    try:
        return func()
    except FAILURES:
        return np.nan


def evaluate(residual, coupling, scale, seed, drive_seed, tasks):
    """Dynamics and task scores of one network (NaN where it fails)."""
    reservoir = WCRNNReservoir(
        n_units=N_UNITS,
        residual=residual,
        residual_scale=scale,
        coupling=coupling,
        random_state=int(seed),
    )
    with threadpool_limits(limits=1), warnings.catch_warnings():
        # Supercritical linear residuals (scale > 1) are swept on purpose.
        warnings.simplefilter("ignore")
        exponents = _attempt(
            lambda: lyapunov_spectrum(
                reservoir,
                n_exponents=N_EXPONENTS,
                n_steps=LYAPUNOV_STEPS,
                washout=LYAPUNOV_WASHOUT,
                random_state=int(drive_seed),
            )
        )
        if np.isscalar(exponents):
            exponents = np.full(N_EXPONENTS, np.nan)
        return {
            "exponents": np.asarray(exponents).tolist(),
            "max_abs_state": max_abs_state(reservoir, int(drive_seed)),
            "memory_capacity": _attempt(
                lambda: memory_capacity(reservoir, random_state=int(drive_seed))
            ),
            "digits": _attempt(lambda: digits_accuracy(reservoir, tasks.digits)),
            "narma10": _attempt(lambda: narma_nrmse(reservoir, tasks.narma)),
        }


# --------------------------------------------------------------------------------------
# Table and figure
# --------------------------------------------------------------------------------------


def fmt_cell(values, digits=3):
    """mean ± std, ``overflow`` when any seed failed, 3 significant figures when huge."""
    values = np.asarray(values, dtype=float)
    if np.isnan(values).any():
        n_failed = int(np.isnan(values).sum())
        return "overflow" if n_failed == len(values) else f"overflow in {n_failed}/{len(values)}"
    if np.isinf(values).any():
        return "inf"
    if np.abs(np.mean(values)) >= 1000:
        return f"{np.mean(values):.3g}"
    return mean_std(values, digits=digits)


def _seed_array(cells, residual, coupling, key):
    """(n_scales, n_seeds[, ...]) array of one quantity."""
    return np.array([[c[key] for c in cells[residual, coupling, s]] for s in SCALES], dtype=float)


def _figure(cells, task_label):
    import matplotlib.pyplot as plt

    style()
    # (key, y label, y scale, top of the axis: larger means are marked there)
    panels = (
        ("exponents", f"Lyapunov exponents 1 (solid) and\n{N_EXPONENTS} (dotted), per step",
         "linear", None),
        ("max_abs_state", r"largest $|h_t|$ over 2500 steps", "log", DIVERGED_STATE),
        ("memory_capacity", "memory capacity MC", "linear", None),
        ("digits", f"{task_label} accuracy", "linear", None),
        ("narma10", "NARMA10 NRMSE", "log", NARMA_PLOT_MAX),
    )  # fmt: skip
    fig, axes = plt.subplots(len(COUPLINGS), len(panels), figsize=(21, 4.4 * len(COUPLINGS)),
                             layout="constrained")  # fmt: skip
    xs = np.asarray(SCALES)
    for row, coupling in zip(axes, COUPLINGS, strict=True):
        for ax, (key, ylabel, yscale, top) in zip(row, panels, strict=True):
            for residual in RESIDUALS:
                values = _seed_array(cells, residual, coupling, key)
                if key == "exponents":  # (scales, seeds, k): the first and the last
                    name = NAMES[residual]
                    series = ((values[:, :, 0], "-", name), (values[:, :, -1], ":", None))
                else:
                    series = ((values, "-", NAMES[residual]),)
                for v, line, label in series:
                    with np.errstate(invalid="ignore"), warnings.catch_warnings():
                        warnings.simplefilter("ignore")  # all-NaN cells: overflow
                        mean, std = np.nanmean(v, axis=1), np.nanstd(v, axis=1)
                    if top is not None:  # off the scale or failed: open markers at the top
                        off = ~(mean <= top)
                        ax.plot(xs[off], np.full(off.sum(), top), "^", color=COLOURS[residual],
                                markerfacecolor="white", markeredgewidth=1.5, ms=9,
                                zorder=5)  # fmt: skip
                        mean, std = np.where(off, np.nan, mean), np.where(off, np.nan, std)
                    ax.errorbar(xs, mean, yerr=std, marker=MARKERS[residual], ls=line, ms=5,
                                capsize=2, color=COLOURS[residual], label=label)  # fmt: skip
            if key == "exponents":
                ax.plot(xs, np.log(xs), color="black", lw=1,
                        label=r"$\log \lambda$ (linear theory)")  # fmt: skip
                ax.axhline(0, color="grey", lw=0.6)
            if key == "narma10":
                ax.axhline(1.0, color="black", lw=0.6, ls=":")
            ax.set_yscale(yscale)
            if top is not None:
                ax.set_ylim(top=top * 3)
            ax.axvline(1.0, color="grey", lw=0.6, ls=":")
            ax.set_xlabel(LABELS["residual_scale"])
            ax.set_ylabel(ylabel)
            ax.set_title(rf"coupling $\varepsilon = {coupling:g}$")
    panel_letters(axes, x=-0.16)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    handles.append(plt.Line2D([], [], marker="^", color="black", markerfacecolor="white",
                              ms=9, ls="none"))  # fmt: skip
    labels.append(
        rf"off scale: $|h_t| > 10^{{{np.log10(DIVERGED_STATE):.0f}}}$ (states diverge), "
        f"NRMSE > {NARMA_PLOT_MAX:g} or overflow"
    )
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), frameon=False)
    fig.suptitle(
        rf"tanh against identity residual ($N = {N_UNITS}$) as the residual scale $\lambda$ "
        "crosses 1 (mean ± std over 3 networks; MC missing where the states overflow)"
    )
    return fig


def replot(record):
    """Redraw the figure from a saved JSON record (nothing is recomputed)."""
    cells = {(r, c, s): record["cells"][f"{r}|{c:g}|{s:g}"]
             for r in RESIDUALS for c in COUPLINGS for s in SCALES}  # fmt: skip
    return _figure(cells, "psMNIST" if record["full"] else "psdigits")


def main(argv=None):
    """Sweep lambda for both residuals; print and write the table and the figure."""
    args = finding_parser(__doc__).parse_args(argv)
    if args.replot:
        save_figure(NAME, replot(load_record(NAME)))
        return
    started = time.perf_counter()
    tasks = load_tasks(full=args.full, data_home=args.data_home)
    task_label = tasks.digits.label
    seeds, drive_seeds = draw_seeds(0, args.seeds, return_drive_seeds=True)
    points = [(r, c, s) for c in COUPLINGS for s in SCALES for r in RESIDUALS]
    jobs = [(point, j) for point in points for j in range(args.seeds)]
    outputs = Parallel(n_jobs=args.n_jobs)(
        delayed(evaluate)(*point, seeds[j], drive_seeds[j], tasks) for point, j in jobs
    )
    cells = {}
    for (point, _), out in zip(jobs, outputs, strict=True):
        cells.setdefault(point, []).append(out)

    headers = [
        "coupling",
        "residual",
        "lambda",
        "log lambda",
        "exponent 1",
        f"exponent {N_EXPONENTS}",
        "max abs h",
        "MC",
        f"{task_label} acc",
        "NARMA10 NRMSE",
    ]
    rows = []
    for residual, coupling, scale in points:
        cell = cells[residual, coupling, scale]
        exps = np.array([c["exponents"] for c in cell])
        # A memory capacity measured on exploding states means nothing: say so.
        huge = np.max([c["max_abs_state"] for c in cell]) > DIVERGED_STATE
        diverging = " (states diverge)" if huge else ""
        rows.append(
            [
                f"{coupling:g}",
                residual,
                f"{scale:g}",
                f"{np.log(scale):+.4f}",
                fmt_cell(exps[:, 0], 4),
                fmt_cell(exps[:, -1], 4),
                fmt_cell([c["max_abs_state"] for c in cell], 3),
                fmt_cell([c["memory_capacity"] for c in cell], 1) + diverging,
                fmt_cell([c["digits"] for c in cell]),
                fmt_cell([c["narma10"] for c in cell]),
            ]
        )
    figure = None if args.no_save else _figure(cells, task_label)
    payload = {
        "n_units": N_UNITS,
        "couplings": list(COUPLINGS),
        "scales": list(SCALES),
        "n_exponents": N_EXPONENTS,
        "full": args.full,
        "seeds": seeds.tolist(),
        "drive_seeds": drive_seeds.tolist(),
        "cells": {f"{r}|{c:g}|{s:g}": v for (r, c, s), v in cells.items()},
        "wall_time_s": time.perf_counter() - started,
    }
    report(
        NAME, headers, rows, payload=payload, figure=figure, save=not args.no_save, started=started
    )


if __name__ == "__main__":
    main()
