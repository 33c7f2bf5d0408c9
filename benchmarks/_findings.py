"""Shared helpers of the ``findings_*.py`` scripts (the paper's findings, reproduced).

Each findings script evaluates WCRNN variants on tasks from :mod:`wcrnn_rc.datasets`,
prints a table, saves a figure next to its JSON record in ``benchmarks/results/`` and
says which command regenerates it. The offline data (scikit-learn's digits, generated
series) runs in minutes on 2 cores; ``--full`` switches to the real datasets
(sMNIST / psMNIST through ``fetch_openml``) where a user has them.

These are accuracy and dynamics measurements, not timings: they may run while the
machine does other work.
"""

import argparse
import json
import shutil
import time
from pathlib import Path

import matplotlib
import numpy as np
from _common import RESULTS_DIR, format_table, write_results
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

matplotlib.use("Agg")

# The results pages embed a copy of each figure: Sphinx only reads files inside docs/.
DOCS_FIGURES = Path(__file__).resolve().parent.parent / "docs" / "results" / "figures"


def finding_parser(doc):
    """An argument parser with the options every findings script takes.

    Parameters
    ----------
    doc : str
        The script's module docstring; its first line is the description.
    """
    parser = argparse.ArgumentParser(
        description=doc.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="use the real datasets (fetch_openml; needs network or a filled cache)",
    )
    parser.add_argument("--data-home", default=None, help="fetch_openml cache folder (with --full)")
    parser.add_argument("--seeds", type=int, default=3, help="network seeds per cell (default 3)")
    parser.add_argument("--n-jobs", type=int, default=2, help="joblib workers (default 2)")
    parser.add_argument(
        "--no-save", action="store_true", help="print only; do not write JSON and figure"
    )
    parser.add_argument(
        "--replot",
        action="store_true",
        help="redraw the figure from the saved JSON record; recompute nothing",
    )
    return parser


# Journal-size fonts for every findings figure (matplotlib's defaults are 10 pt).
STYLE = {
    "font.size": 11,
    "axes.titlesize": 11,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 9,
    "figure.titlesize": 13,
}


def style():
    """Apply :data:`STYLE` to matplotlib (the findings figures' fonts)."""
    matplotlib.rcParams.update(STYLE)


def panel_letters(axes, *, x=-0.02, y=1.02):
    """Write a bold a, b, c... at the top left of each axes, row by row."""
    for letter, ax in zip("abcdefghijklmnopqrstuvwxyz", np.ravel(axes), strict=False):
        ax.text(x, y, letter, transform=ax.transAxes, fontsize=13, fontweight="bold",
                ha="right", va="bottom")  # fmt: skip


def load_record(name):
    """The JSON record ``results/<name>.json`` that a previous run wrote."""
    with open(RESULTS_DIR / f"{name}.json") as handle:
        return json.load(handle)


def save_figure(name, figure):
    """Save ``results/<name>.png`` (150 dpi) and its copy in ``docs/results/figures/``."""
    png = RESULTS_DIR / f"{name}.png"
    figure.savefig(png, dpi=150, bbox_inches="tight")
    DOCS_FIGURES.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(png, DOCS_FIGURES / png.name)
    print(f"wrote {png} and its copy in {DOCS_FIGURES}")


def markdown_table(headers, rows):
    """A GitHub-flavoured Markdown table; ``None`` cells print as ``-``."""
    cells = [[("-" if cell is None else str(cell)) for cell in row] for row in rows]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def mean_std(values, digits=3):
    """``"0.912 ± 0.004"`` for a list of per-seed values."""
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"


def report(name, headers, rows, *, payload, figure=None, save=True, started=None):
    """Print the table (text and Markdown) and write the JSON record and the figure.

    Parameters
    ----------
    name : str
        Script name without ``.py``; the files are ``results/<name>.json`` and
        ``results/<name>.png``.
    headers, rows : list
        The table.
    payload : dict
        Everything measured, for the JSON record.
    figure : matplotlib.figure.Figure, default=None
        Saved as ``results/<name>.png`` (150 dpi) and copied to
        ``docs/results/figures/`` for the results page.
    save : bool, default=True
        False prints only.
    started : float, default=None
        ``time.perf_counter()`` at the start, to report the wall time.
    """
    print(format_table(headers, rows))
    print()
    print(markdown_table(headers, rows))
    if started is not None:
        print(f"\nwall time {time.perf_counter() - started:.0f} s")
    if not save:
        return
    record = {"headers": headers, "rows": rows, **payload}
    path = write_results(name, record)
    print(f"wrote {path}")
    if figure is not None:
        save_figure(name, figure)


def nrmse(y_true, y_pred):
    """Root mean squared error over the standard deviation of the target."""
    return float(np.sqrt(np.mean((y_pred - y_true) ** 2)) / np.std(y_true))


def ridge_predict(states, y, alpha, fit_rows, predict_rows):
    """Standardised ridge readout fitted on ``fit_rows``, predicting ``predict_rows``."""
    model = make_pipeline(StandardScaler(), Ridge(alpha=alpha))
    return model.fit(states[fit_rows], y[fit_rows]).predict(states[predict_rows])
