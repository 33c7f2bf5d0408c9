"""Spectral inductive bias: rotational residuals with angles from the data's spectrum.

A rotational residual turns each pair of units by an angle theta_k per step, so the
pair resonates at frequency theta_k; with ``RotationalResidual(angles="data")`` the
angles are the quantiles of the training input's power spectrum (chosen in ``fit``,
see :func:`wcrnn_rc.residuals.dominant_angles`). This script compares, at the same
N=100, coupling 0.05, readout and residual scale (0.99, and 0.9 for robustness):

- rotational, angles from the data (``angles="data"``);
- rotational, random angles (uniform on (0, pi), drawn per network seed);
- rotational, angles spread evenly over (0, pi) (the library default);
- identity (R = lambda I): the same scale, no rotation.

Tasks (``wcrnn_rc.datasets``), 75 % / 25 % stratified split (``random_state=0``),
held-out accuracy:

- frequency, close: 8 classes, one frequency each, 0.60, 0.61, ..., 0.67 rad/step
  (0.01 apart: a sixth of a frequency bin of the 100-step sequences), noise 0.1;
- frequency, close + noisy: 8 classes 0.02 apart (0.60 .. 0.74), noise std 1.0;
- frequency, default: ``make_frequency_task`` defaults (4 classes x 2 frequencies,
  pi/9 apart), where frequency resolution hardly matters;
- digits by rows: scikit-learn's 8x8 digits read as 8 steps of 8 pixels.

The readout is the same for every model: the last and the mean state
(``sequence_features="both"``), standardised, into ``RidgeClassifierCV`` (alpha by
leave-one-out over 1e-4..1e4). Each cell runs 3 network seeds (W, U, b and random
angles; the same seeds in every cell) through :func:`wcrnn_rc.sweeps.parameter_sweep`,
which also reports the largest Lyapunov exponent (i.i.d. drive) of each network.

Run from the repository root::

    python benchmarks/findings_spectral_bias.py            # offline data, under a minute
    python benchmarks/findings_spectral_bias.py --full --data-home ~/scikit_learn_data

``--full`` replaces digits by rows with sequential MNIST by rows (28 steps x 28
pixels; 10000 training images drawn from the first 60000, 2000 test images from the
last 10000). It writes ``benchmarks/results/findings_spectral_bias.json`` and ``.png``
(a copy of the figure goes to ``docs/results/figures/``).
"""

import time
import warnings

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
from sklearn.linear_model import RidgeClassifierCV
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch

from wcrnn_rc import WCRNNClassifier, WCRNNReservoir
from wcrnn_rc.analysis import max_lyapunov_exponent
from wcrnn_rc.datasets import fetch_sequential_mnist, load_sequential_digits, make_frequency_task
from wcrnn_rc.plotting import PALETTE
from wcrnn_rc.residuals import RotationalResidual
from wcrnn_rc.sweeps import parameter_sweep

NAME = "findings_spectral_bias"
N_UNITS = 100
COUPLING = 0.05
SCALES = (0.99, 0.9)
VARIANTS = ("data", "random", "spread", "identity")
VARIANT_LABELS = {
    "data": "rotational, data angles",
    "random": "rotational, random angles",
    "spread": "rotational, spread angles",
    "identity": "identity",
}
VARIANT_COLOURS = {  # Okabe-Ito: colour-blind safe
    "data": PALETTE[1],
    "random": PALETTE[3],
    "spread": PALETTE[0],
    "identity": "#999999",
}
SEQUENCE_ALPHAS = np.logspace(-4, 4, 9)
# The full dataset is subsampled: N=100 reservoirs, several seeds, 2 cores.
FULL_TRAIN, FULL_TEST = 10000, 2000


# --------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------


def _split(y):
    indices = np.arange(len(y))
    return train_test_split(indices, test_size=0.25, random_state=0, stratify=y)


def _frequency_task(name, label, *, frequencies=None, noise=0.1):
    n_classes = 4 if frequencies is None else len(frequencies)
    data = make_frequency_task(
        n_samples=1000,
        seq_len=100,
        n_classes=n_classes,
        frequencies=frequencies,
        noise=noise,
        random_state=0,
        return_X_y=False,
    )
    train, test = _split(data.target)
    return Bunch(
        name=name,
        label=label,
        X=data.data,
        y=data.target,
        train=train,
        test=test,
        class_frequencies=data.frequencies.ravel(),
        chance=1.0 / n_classes,
    )


def load_tasks(*, full=False, data_home=None):
    """The four tasks of this finding, each with a fixed stratified split.

    Parameters
    ----------
    full : bool, default=False
        Replace digits by rows with sequential MNIST by rows (subsampled).
    data_home : str, default=None
        fetch_openml cache, with ``full``.

    Returns
    -------
    tasks : list of Bunch
        ``name``, ``label``, ``X``, ``y``, ``train``, ``test`` (indices),
        ``class_frequencies`` (None for digits) and ``chance``.
    """
    tasks = [
        _frequency_task(
            "freq_close",
            "frequency, 8 classes 0.01 apart",
            frequencies=0.60 + 0.01 * np.arange(8),
        ),
        _frequency_task(
            "freq_noisy",
            "frequency, 8 classes 0.02 apart, noise 1",
            frequencies=0.60 + 0.02 * np.arange(8),
            noise=1.0,
        ),
        _frequency_task("freq_default", "frequency, default (4 x 2)"),
    ]
    if full:
        X, y = fetch_sequential_mnist(by="row", data_home=data_home, return_X_y=True)
        rng = np.random.RandomState(0)
        train = np.sort(rng.choice(60000, FULL_TRAIN, replace=False))
        test = 60000 + np.sort(rng.choice(len(y) - 60000, FULL_TEST, replace=False))
        label = "sMNIST by rows (28 x 28)"
    else:
        X, y = load_sequential_digits(by="row", return_X_y=True)
        train, test = _split(y)
        label = "digits by rows (8 x 8)"
    tasks.append(
        Bunch(
            name="digits_rows",
            label=label,
            X=X,
            y=y,
            train=train,
            test=test,
            class_frequencies=None,
            chance=0.1,
        )
    )
    return tasks


# --------------------------------------------------------------------------------------
# Models and evaluation
# --------------------------------------------------------------------------------------


def variant_params(variant, scale):
    """``reservoir__*`` parameters of one contender at one residual scale."""
    if variant == "identity":
        return {"reservoir__residual": "identity", "reservoir__residual_scale": scale}
    if variant not in VARIANTS:
        raise ValueError(f"Unknown variant {variant!r}; use one of {VARIANTS}.")
    return {"reservoir__residual": RotationalResidual(scale=scale, angles=variant)}


def make_classifier():
    """The model every contender shares: N=100, coupling 0.05, last + mean state."""
    reservoir = WCRNNReservoir(n_units=N_UNITS, coupling=COUPLING, sequence_features="both")
    readout = make_pipeline(StandardScaler(), RidgeClassifierCV(alphas=SEQUENCE_ALPHAS))
    return WCRNNClassifier(reservoir, readout)


def _max_lyapunov(reservoir, random_state):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return max_lyapunov_exponent(reservoir, random_state=random_state)


def evaluate_task(task, *, n_seeds, n_jobs):
    """Held-out accuracy and largest exponent of every (scale, variant) on one task.

    Returns
    -------
    cells : list of dict
        ``scale``, ``variant``, ``accuracy`` and ``max_lyapunov`` (one value per seed).
    """
    points = [(scale, variant) for scale in SCALES for variant in VARIANTS]
    grid = [
        {key: [value] for key, value in variant_params(variant, scale).items()}
        for scale, variant in points
    ]
    # The Lyapunov metric fits the reservoir on the whole input (for data angles, the
    # angles of all sequences, not only the training ones); the score's fit sees only
    # the training split.
    index = np.concatenate([task.train, task.test])
    train = np.arange(len(task.train))
    test = np.arange(len(task.train), len(index))
    results = parameter_sweep(
        make_classifier(),
        grid,
        task.X[index],
        task.y[index],
        metrics={"max_lyapunov": _max_lyapunov},
        cv=[(train, test)],
        n_seeds=n_seeds,
        n_jobs=n_jobs,
        random_state=0,
    )
    cells = []
    for i, (scale, variant) in enumerate(points):
        cells.append(
            {
                "scale": scale,
                "variant": variant,
                "accuracy": [float(results[f"seed{j}_score"][i]) for j in range(n_seeds)],
                "max_lyapunov": [
                    float(results[f"seed{j}_max_lyapunov"][i]) for j in range(n_seeds)
                ],
                "mean_time_s": float(results["mean_time"][i]),
            }
        )
    return cells


def power_spectrum(X):
    """Mean power spectrum of sequences (mean removed, features summed), as in fit.

    Returns
    -------
    freqs, power : ndarray
        Angular frequencies in (0, pi] (rad/step) and the power, normalised to sum 1.
    """
    n_fft = X.shape[1]
    centred = X - X.mean(axis=1, keepdims=True)
    power = (np.abs(np.fft.rfft(centred, axis=1)) ** 2).sum(axis=(0, 2))[1:]
    freqs = 2 * np.pi * np.arange(1, n_fft // 2 + 1) / n_fft
    return freqs, power / power.sum()


def data_angles(task, scale=0.99):
    """The angles ``angles="data"`` picks from the task's training sequences."""
    residual = RotationalResidual(scale=scale, angles="data")
    return residual.build(N_UNITS, X=list(task.X[task.train])).angles_


# --------------------------------------------------------------------------------------
# Table and figure
# --------------------------------------------------------------------------------------


def _figure(tasks, table):
    import matplotlib.pyplot as plt

    style()
    fig = plt.figure(figsize=(15, 9.5))
    grid = fig.add_gridspec(2, 2, height_ratios=(1.15, 1))
    width = 0.8 / len(VARIANTS)
    axes = []
    for col, scale in enumerate(SCALES):
        ax = fig.add_subplot(grid[0, col])
        axes.append(ax)
        xs = np.arange(len(tasks))
        for k, variant in enumerate(VARIANTS):
            values = [table[task.name, scale, variant]["accuracy"] for task in tasks]
            ax.bar(xs + (k - (len(VARIANTS) - 1) / 2) * width, [np.mean(v) for v in values],
                   width, yerr=[np.std(v) for v in values], capsize=2,
                   color=VARIANT_COLOURS[variant], edgecolor="white",
                   label=VARIANT_LABELS[variant])  # fmt: skip
        for x, task in zip(xs, tasks, strict=True):
            ax.hlines(task.chance, x - 0.45, x + 0.45, colors="black", linestyles=":", lw=1.2)
        ax.plot([], [], color="black", ls=":", lw=1.2, label="chance")
        ax.set_xticks(xs, [t.label.replace(", ", ",\n") for t in tasks], fontsize=9)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("held-out accuracy")
        ax.set_title(
            rf"residual scale $\lambda = {scale:g}$, coupling $\varepsilon = {COUPLING:g}$"
        )
        if col == 0:
            fig.legend(*ax.get_legend_handles_labels(), loc="upper center", ncol=5,
                       frameon=False, bbox_to_anchor=(0.5, 0.965))  # fmt: skip
    spectra = (tasks[0], tasks[-1])
    for col, task in enumerate(spectra):
        ax = fig.add_subplot(grid[1, col])
        axes.append(ax)
        freqs, power = power_spectrum(task.X[task.train])
        ax.plot(freqs, power, color="black", lw=1.2, marker="." if len(freqs) < 20 else None,
                label="power spectrum")  # fmt: skip
        angles = data_angles(task)
        top = power.max()
        # Rug plots above the spectrum: where the angles sit (their height means nothing).
        label = rf"data angles $\theta_j$ ({len(angles)}, at $\lambda = 0.99$)"
        ax.vlines(angles, 1.05 * top, 1.2 * top, colors=VARIANT_COLOURS["data"], lw=1,
                  label=label)  # fmt: skip
        spread = np.pi * np.arange(1, N_UNITS // 2 + 1) / (N_UNITS // 2 + 1)
        ax.vlines(spread, 1.25 * top, 1.4 * top, colors=VARIANT_COLOURS["spread"], lw=1,
                  label=rf"spread angles ({len(spread)})")  # fmt: skip
        if task.class_frequencies is not None:
            for f in task.class_frequencies:
                ax.axvline(f, color=PALETTE[2], lw=0.8, ls="--")
            ax.plot([], [], color=PALETTE[2], lw=0.8, ls="--", label="class frequencies")
        ax.set_xlim(0, np.pi)
        ax.set_ylim(0, 1.45 * top)
        ax.set_xticks(np.pi * np.arange(5) / 4,
                      ["0", r"$\pi/4$", r"$\pi/2$", r"$3\pi/4$", r"$\pi$"])  # fmt: skip
        ax.set_xlabel(r"angular frequency $\omega$ (rad / step)")
        ax.set_ylabel("share of the input power")
        ax.set_title(f"training input spectrum: {task.label}")
        ax.legend(fontsize=9, loc="center right")
    panel_letters(axes, x=-0.07)
    fig.suptitle(
        f"Spectral bias: rotational residuals with data, random or spread angles, and the "
        f"identity residual ($N = {N_UNITS}$; mean ± std over seeds)",
        y=0.995,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    return fig


def replot(record):
    """Redraw the figure from a saved JSON record; the tasks' inputs are regenerated."""
    tasks = load_tasks(full=record["full"])
    table = {
        (task.name, scale, variant): record["cells"][f"{task.name}|{scale}|{variant}"]
        for task in tasks
        for scale in SCALES
        for variant in VARIANTS
    }
    return _figure(tasks, table)


def main(argv=None):
    """Run every task; print and write the table and the figure."""
    args = finding_parser(__doc__).parse_args(argv)
    if args.replot:
        save_figure(NAME, replot(load_record(NAME)))
        return
    started = time.perf_counter()
    tasks = load_tasks(full=args.full, data_home=args.data_home)
    table, rows = {}, []
    for task in tasks:
        for cell in evaluate_task(task, n_seeds=args.seeds, n_jobs=args.n_jobs):
            table[task.name, cell["scale"], cell["variant"]] = cell
            rows.append(
                [
                    task.label,
                    f"{cell['scale']:g}",
                    VARIANT_LABELS[cell["variant"]],
                    mean_std(cell["accuracy"]),
                    mean_std(cell["max_lyapunov"], digits=4),
                ]
            )
        print(f"{task.label}: done at {time.perf_counter() - started:.0f} s", flush=True)

    # The gap that the finding is about: data angles minus the best other rotation.
    gap_rows = []
    for task in tasks:
        for scale in SCALES:
            acc = {v: np.mean(table[task.name, scale, v]["accuracy"]) for v in VARIANTS}
            best_other = max(("random", "spread"), key=acc.get)
            gap_rows.append(
                [
                    task.label,
                    f"{scale:g}",
                    f"{acc['data']:.3f}",
                    f"{acc[best_other]:.3f} ({best_other})",
                    f"{acc['identity']:.3f}",
                    f"{acc['data'] - acc[best_other]:+.3f}",
                ]
            )
    gap_headers = [
        "task",
        "scale",
        "data angles",
        "best other rotation",
        "identity",
        "data - other",
    ]
    headers = ["task", "scale", "residual", "accuracy", "lambda_max"]
    figure = None if args.no_save else _figure(tasks, table)
    payload = {
        "n_units": N_UNITS,
        "coupling": COUPLING,
        "scales": list(SCALES),
        "full": args.full,
        "tasks": {
            t.name: {
                "label": t.label,
                "n_train": len(t.train),
                "n_test": len(t.test),
                "class_frequencies": (
                    None if t.class_frequencies is None else t.class_frequencies.tolist()
                ),
                "data_angles_scale_0.99": data_angles(t).tolist(),
            }
            for t in tasks
        },
        "cells": {f"{k[0]}|{k[1]}|{k[2]}": v for k, v in table.items()},
        "gap_headers": gap_headers,
        "gap_rows": gap_rows,
        "wall_time_s": time.perf_counter() - started,
    }
    report(
        NAME, headers, rows, payload=payload, figure=figure, save=not args.no_save, started=started
    )
    print("\nData angles against the best other rotation (mean accuracy):")
    print(markdown_table(gap_headers, gap_rows))


if __name__ == "__main__":
    main()
