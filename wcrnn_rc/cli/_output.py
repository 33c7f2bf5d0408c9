"""What the commands write: tables on stdout, the --output folder, CSV files, figures."""

import csv
from tempfile import TemporaryFile

import numpy as np

from ._errors import CommandError


def prepare_output(args):
    """Create ``args.output`` and check that files can be written there, before any work.

    An existing folder can pass ``mkdir`` and still refuse files (permissions, a
    read-only mount), so a temporary file is created and removed. A path that exists
    and is not a folder is a usage error (exit status 2).
    """
    out = getattr(args, "output", None)
    if out is None:
        return
    if out.exists() and not out.is_dir():
        args.parser.error(f"--output {out}: exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(
            f"--output {out}: cannot create the folder ({error.strerror or error}); "
            "choose a folder you can write to"
        ) from None
    try:
        with TemporaryFile(dir=out, prefix=".wcrnn-rc-write-check-"):
            pass
    except OSError as error:
        raise CommandError(
            f"--output {out}: cannot write files there ({error.strerror or error}); "
            "choose a folder you can write to"
        ) from None


def fmt(value, spec=".4f"):
    return "nan" if np.isnan(value) else format(value, spec)


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def print_table(headers, rows):
    """Print ``rows`` under ``headers``; columns of numbers are right-aligned."""
    cells = [[str(cell) for cell in row] for row in rows]
    columns = list(zip(*cells, strict=True)) if cells else [()] * len(headers)
    widths = [max(len(text) for text in (h, *col)) for h, col in zip(headers, columns, strict=True)]
    right = [bool(col) and all(map(_is_number, col)) for col in columns]

    def line(row):
        parts = [
            cell.rjust(width) if align else cell.ljust(width)
            for cell, width, align in zip(row, widths, right, strict=True)
        ]
        return " " + "  ".join(parts).rstrip()

    if any(headers):
        print(line(list(headers)))
    for row in cells:
        print(line(row))


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows([[_csv_cell(cell) for cell in row] for row in rows])


def _csv_cell(value):
    # repr of a Python float round-trips exactly: the CSV holds the computed numbers.
    return repr(float(value)) if isinstance(value, float | np.floating) else value


def pyplot():
    # The command line draws into files only: no display needed, none opened.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    pyplot().close(fig)


def memory_figure(curves, title, path, *, n_units):
    from ..plotting import plot_memory_curve

    fig, ax = pyplot().subplots(figsize=(6.4, 4.2))
    plot_memory_curve({"memory curve": curves}, n_units=n_units, ax=ax)
    ax.set_title(title, fontsize=9)
    save(fig, path)


def spectrum_figure(network, exponents, title, path):
    from ..plotting import plot_lyapunov_spectrum

    fig, ax = pyplot().subplots(figsize=(6.4, 4.2))
    plot_lyapunov_spectrum(network, exponents=exponents, ax=ax)
    ax.set_title(title, fontsize=9)
    save(fig, path)
