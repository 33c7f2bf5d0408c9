"""The ``wcrnn-rc`` command line: the main job, the dynamics tools and the benchmarks.

Commands (``wcrnn-rc COMMAND --help`` lists each one's options):

``wcrnn-rc demo``
    The main job, offline, on built-in defaults (under a minute on 2 cores). It sweeps
    the memory capacity (MC) and the largest Lyapunov exponent (lambda_max) over the
    residual scale and the coupling; picks the *best reservoir*: the grid point with the
    highest mean MC among those with mean lambda_max < 0 (perturbations fade); compares
    that network's numeric Lyapunov spectrum with the theory ``log|eig R|``; and fits
    ``reservoir -> StandardScaler -> RidgeClassifier`` with its parameters on permuted
    sequential digits (:func:`wcrnn_rc.datasets.load_sequential_digits`), reporting the
    held-out accuracy next to chance. It writes ``sweep.csv``, ``sweep_memory.png``,
    ``sweep_lyapunov.png``, ``memory_curve.png``, ``lyapunov_spectrum.png`` and
    ``summary.json`` into ``--output`` (default ``./wcrnn-rc-demo``).
``wcrnn-rc memory``
    The memory capacity and memory curve of one reservoir (or ``--seeds`` networks).
``wcrnn-rc lyapunov``
    The numeric Lyapunov spectrum of one reservoir against the theory.
``wcrnn-rc sweep``
    The memory capacity and largest exponent over a grid of residual families, scales
    and couplings, on ``--n-jobs`` processes or a dask.distributed cluster
    (``--scheduler ADDRESS``); with the same options it writes the same ``sweep.csv``
    as the demo.
``wcrnn-rc bench``
    Lists the peer libraries that are installed and runs the benchmark scripts of a
    source checkout (``benchmarks/run_all.py``, not part of the installed package).

Every command prints a table. ``--seed`` fixes every random draw (the same seed gives
the same CSV files, whatever ``--n-jobs`` or cluster); ``--output DIR`` (created if
missing) receives CSV tables and PNG figures (the demo always writes). Network ``j`` of
a command uses the seed that :func:`~wcrnn_rc.sweeps.parameter_sweep` gives its
network ``j``, so ``memory`` and ``sweep`` report the same numbers for the same
parameters. Exit status: 0 on success, 1 when the work fails (for instance states that
overflow), 2 for a usage error.

Examples
--------
With coupling 0 the exponents are exactly the theory, log 0.5 here:

>>> from wcrnn_rc.cli import main
>>> main(["lyapunov", "--units", "8", "--residual", "identity", "--scale", "0.5",
...       "--coupling", "0", "--steps", "100", "--rows", "1"])  # doctest: +ELLIPSIS
Lyapunov spectrum: identity residual, scale 0.5, coupling 0, 8 units, tanh; seed 0
 index  numeric   theory  numeric - theory
     1  -0.6931  -0.6931  ...
 lambda_max = -0.6931, theory log max|eig R| = -0.6931
0
"""

import argparse
import csv
import importlib.metadata
import json
import shutil
import subprocess
import sys
import time
import warnings
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed, parallel_config

from . import __version__
from ._constants import ACTIVATIONS
from .analysis import lyapunov_spectrum, memory_capacity
from .reservoir import SupercriticalResidualWarning, WCRNNReservoir
from .residuals import RESIDUAL_NAMES
from .sweeps import METRICS, draw_seeds, parameter_sweep

__all__ = ["build_parser", "main"]

PROG = "wcrnn-rc"
DEMO_OUTPUT = "wcrnn-rc-demo"
DEFAULT_SCALES = (0.5, 0.8, 0.9, 0.95, 0.97, 0.99, 1.0, 1.02, 1.05)
DEFAULT_SEEDS = 3
DEFAULT_COUPLINGS = (0.01, 0.03, 0.1, 0.3)
SWEEP_METRICS = ("memory_capacity", "max_lyapunov")
# Table heading, file-name stem and title of each sweep metric.
METRIC_NAMES = {
    "memory_capacity": ("MC", "memory", "memory capacity MC"),
    "max_lyapunov": ("lambda_max", "lyapunov", "largest Lyapunov exponent lambda_max"),
    "spectral_radius": ("rho(R)", "spectral_radius", "spectral radius of R"),
}
PEERS = ("reservoirpy", "echoes", "PyRCN")
SCHEDULER_TIMEOUT_S = 10
BENCH_HELP = """\
The benchmark scripts ship with the source repository, not with the installed package.
To run them:

    git clone <wcrnn-rc repository URL> wcrnn-rc && cd wcrnn-rc
    pip install -e ".[bench]"
    wcrnn-rc bench                      (or: wcrnn-rc bench --path path/to/benchmarks)"""


DESCRIPTION = """\
Reservoir computing with weakly coupled residual recurrent networks: the main job, the
dynamics tools and the benchmarks. Every command prints a table; --seed fixes every
random draw and --output DIR receives CSV tables and PNG figures.

start here:
  wcrnn-rc demo                 the main job, offline, in under half a minute
  wcrnn-rc COMMAND --help       a command's options

exit status: 0 success, 1 the work failed (message on stderr), 2 usage error"""


class CommandError(Exception):
    """A failure the user can act on: printed as one message, exit status 1."""


# --------------------------------------------------------------------------------------
# Argument types: each rejects a bad value with a message saying what is allowed
# --------------------------------------------------------------------------------------


def _number(text, kind):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected {'an integer' if kind is int else 'a number'}, got {text!r}"
        ) from None
    if not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _positive_int(text):
    value = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _nonnegative_int(text):
    value = _number(text, int)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text}")
    return value


def _seed(text):
    value = _number(text, int)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, 2**32), got {text}")
    return value


def _n_jobs(text):
    value = _number(text, int)
    if value == 0:
        raise argparse.ArgumentTypeError("must be a non-zero integer (-1: all cores)")
    return value


def _positive_float(text):
    value = _number(text, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _nonnegative_float(text):
    value = _number(text, float)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


# --------------------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------------------


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog):
        super().__init__(prog, max_help_position=32)


def _add_command(commands, name, handler, summary, description):
    parser = commands.add_parser(
        name,
        help=summary,
        description=description,
        formatter_class=_Formatter,
        allow_abbrev=False,
    )
    parser.set_defaults(handler=handler, parser=parser)
    return parser


def _add_run_options(parser, *, n_jobs_default, n_jobs_help, output_help, output_default=None):
    group = parser.add_argument_group("run")
    group.add_argument(
        "--seed",
        type=_seed,
        default=0,
        help="random seed of the networks, drives and data splits (default 0)",
    )
    group.add_argument(
        "--n-jobs", type=_n_jobs, default=n_jobs_default, metavar="N", help=n_jobs_help
    )
    group.add_argument(
        "--output", "-o", type=Path, default=output_default, metavar="DIR", help=output_help
    )
    group.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def _add_network_options(parser, *, grid):
    """The reservoir's options; with ``grid``, residual, scale and coupling take lists."""
    group = parser.add_argument_group("reservoir")
    several = "+" if grid else None
    group.add_argument(
        "--units", type=_positive_int, default=100, metavar="N", help="n_units (default 100)"
    )
    group.add_argument(
        "--residual",
        choices=RESIDUAL_NAMES,
        nargs=several,
        default=["rotational"] if grid else "rotational",
        metavar="NAME",
        help=f"residual famil{'ies' if grid else 'y'}, among {', '.join(RESIDUAL_NAMES)} "
        "(default rotational)",
    )
    scales = " ".join(map(str, DEFAULT_SCALES))
    group.add_argument(
        "--scale",
        type=_positive_float,
        nargs=several,
        default=list(DEFAULT_SCALES) if grid else 0.95,
        metavar="S",
        help="residual_scale lambda, > 0; above 1 the residual is supercritical; ignored "
        f"by the heterogeneous and none residuals (default {scales if grid else 0.95})",
    )
    couplings = " ".join(map(str, DEFAULT_COUPLINGS))
    group.add_argument(
        "--coupling",
        type=_nonnegative_float,
        nargs=several,
        default=list(DEFAULT_COUPLINGS) if grid else 0.1,
        metavar="EPS",
        help=f"coupling eps, >= 0 (default {couplings if grid else 0.1})",
    )
    group.add_argument(
        "--activation",
        choices=sorted(ACTIVATIONS),
        default="tanh",
        help="activation f of the coupled branch (default tanh)",
    )
    group.add_argument(
        "--gain",
        type=_nonnegative_float,
        default=1.0,
        metavar="G",
        help="recurrent_gain: W's spectral radius is about G (default 1.0)",
    )


def _add_seeds_option(parser, *, title, default, per):
    group = parser.add_argument_group(title)
    group.add_argument(
        "--seeds",
        type=_positive_int,
        default=default,
        metavar="K",
        help=f"networks (random weights, same parameters) {per} (default {default})",
    )
    return group


def build_parser():
    """The ``wcrnn-rc`` argument parser, with one sub-parser per command.

    Returns
    -------
    parser : argparse.ArgumentParser

    Examples
    --------
    >>> from wcrnn_rc.cli import build_parser
    >>> args = build_parser().parse_args(["sweep", "--scale", "0.9", "0.99"])
    >>> args.command, args.scale, args.coupling
    ('sweep', [0.9, 0.99], [0.01, 0.03, 0.1, 0.3])
    """
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=DESCRIPTION,
        formatter_class=_Formatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    _demo_parser(commands)
    _memory_parser(commands)
    _lyapunov_parser(commands)
    _sweep_parser(commands)
    _bench_parser(commands)
    return parser


def _demo_parser(commands):
    parser = _add_command(
        commands,
        "demo",
        _run_demo,
        "the main job: sweep, best reservoir, spectrum vs theory, digits (offline)",
        "The main job, offline: (1) sweep the memory capacity (MC) and the largest\n"
        "Lyapunov exponent (lambda_max) over residual scale x coupling; (2) pick the best\n"
        "reservoir: the highest mean MC among grid points with mean lambda_max < 0\n"
        "(subcritical: perturbations fade), rebuilt as the sweep's first network; (3)\n"
        "compare its numeric Lyapunov spectrum with the theory log|eig R|; (4) fit\n"
        "reservoir -> StandardScaler -> RidgeClassifier with its parameters on permuted\n"
        "sequential digits (stratified 75/25 split) and print the test accuracy next to\n"
        "chance. Writes sweep.csv, sweep_memory.png, sweep_lyapunov.png,\n"
        "memory_curve.png, lyapunov_spectrum.png and summary.json. The defaults take\n"
        "under a minute on 2 cores; smaller options (--units 30 --seeds 1) run in seconds.",
    )
    _add_network_options(parser, grid=True)
    _add_seeds_option(parser, title="sweep", default=DEFAULT_SEEDS, per="per grid point")
    _add_run_options(
        parser,
        n_jobs_default=-1,
        n_jobs_help="parallel sweep runs (default -1: all cores)",
        output_default=Path(DEMO_OUTPUT),
        output_help=f"folder for the figures, CSV and summary (default ./{DEMO_OUTPUT}, "
        "created if missing; files in it are replaced)",
    )


def _memory_parser(commands):
    parser = _add_command(
        commands,
        "memory",
        _run_memory,
        "memory capacity and memory curve of one reservoir",
        "Jaeger's linear memory capacity MC = sum_k MC_k of one reservoir (i.i.d. drive):\n"
        "MC_k is the squared correlation of a linear recall of the input k steps back.\n"
        "MC <= n_units. Prints the first delays and MC; --output writes memory_curve.csv\n"
        "and memory_curve.png (mean curve, band over --seeds networks).",
    )
    _add_network_options(parser, grid=False)
    group = _add_seeds_option(parser, title="memory", default=1, per="averaged")
    group.add_argument(
        "--max-delay", type=_positive_int, metavar="K", help="largest delay (default 2 * units)"
    )
    group.add_argument(
        "--steps",
        type=_positive_int,
        metavar="T",
        help="drive steps for the readouts, after the washout (default max(2000, 20 * units))",
    )
    group.add_argument(
        "--rows", type=_positive_int, default=10, metavar="R", help="delays shown (default 10)"
    )
    _add_run_options(
        parser,
        n_jobs_default=1,
        n_jobs_help="networks computed in parallel with --seeds > 1 (default 1)",
        output_help="write memory_curve.csv and memory_curve.png into DIR",
    )


def _lyapunov_parser(commands):
    parser = _add_command(
        commands,
        "lyapunov",
        _run_lyapunov,
        "numeric Lyapunov spectrum of one reservoir against the theory",
        "The Lyapunov spectrum of the input-driven reservoir (QR method, i.i.d. drive)\n"
        "against the theory log|eig R| of its residual, which it approaches as the\n"
        "coupling goes to 0. Negative exponents: perturbations fade; positive: chaos.\n"
        "--output writes lyapunov_spectrum.csv and lyapunov_spectrum.png.",
    )
    _add_network_options(parser, grid=False)
    group = _add_seeds_option(parser, title="spectrum", default=1, per="averaged")
    group.add_argument(
        "--exponents",
        type=_positive_int,
        metavar="K",
        help="leading exponents computed (default min(units, 100))",
    )
    group.add_argument(
        "--steps",
        type=_positive_int,
        default=2000,
        metavar="T",
        help="steps averaged over (default 2000)",
    )
    group.add_argument(
        "--washout",
        type=_nonnegative_int,
        default=500,
        metavar="T",
        help="leading steps run but not counted (default 500)",
    )
    group.add_argument(
        "--rows", type=_positive_int, default=10, metavar="R", help="exponents shown (default 10)"
    )
    _add_run_options(
        parser,
        n_jobs_default=1,
        n_jobs_help="networks computed in parallel with --seeds > 1 (default 1)",
        output_help="write lyapunov_spectrum.csv and lyapunov_spectrum.png into DIR",
    )


def _sweep_parser(commands):
    parser = _add_command(
        commands,
        "sweep",
        _run_sweep,
        "memory capacity and largest Lyapunov exponent over a parameter grid",
        "Evaluates every combination of --residual x --scale x --coupling on --seeds\n"
        "networks (wcrnn_rc.sweeps.parameter_sweep) and prints a table; --output writes\n"
        "sweep.csv (parameters, mean/std and per-network value of each metric) and one\n"
        "heatmap per metric (sweep_memory.png, sweep_lyapunov.png, ...; the edge of chaos\n"
        "lambda_max = 0 in red). With --scheduler the runs go to a dask.distributed\n"
        "cluster; the results are the same as on local processes.",
    )
    _add_network_options(parser, grid=True)
    group = _add_seeds_option(parser, title="sweep", default=DEFAULT_SEEDS, per="per grid point")
    group.add_argument(
        "--metrics",
        nargs="+",
        choices=sorted(METRICS),
        default=list(SWEEP_METRICS),
        metavar="NAME",
        help=f"among {', '.join(sorted(METRICS))} (default {' '.join(SWEEP_METRICS)})",
    )
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on the dask.distributed scheduler at ADDRESS (e.g. tcp://10.0.0.5:8786); "
        'needs pip install "wcrnn-rc[distributed]"',
    )
    _add_run_options(
        parser,
        n_jobs_default=-1,
        n_jobs_help="parallel runs (default -1: all cores, or all workers with --scheduler)",
        output_help="write sweep.csv and the heatmaps into DIR",
    )


def _bench_parser(commands):
    parser = _add_command(
        commands,
        "bench",
        _run_bench,
        "benchmarks against the installed peers (from a source checkout)",
        "Lists the peer libraries that are installed (reservoirpy, echoes, PyRCN), then\n"
        "runs benchmarks/run_all.py of a source checkout with this interpreter, each\n"
        "benchmark in a fresh process, and prints its summary. The scripts fix their own\n"
        "seeds and thread counts so that runs compare, so bench has no --seed or\n"
        "--n-jobs. Peers that are not installed are reported as failed by the scripts.\n\n"
        + BENCH_HELP,
    )
    parser.add_argument(
        "names", nargs="*", help="benchmarks to run, e.g. bench_digits (default: all)"
    )
    parser.add_argument(
        "--summary-only", action="store_true", help="run nothing; print the last results"
    )
    parser.add_argument("--markdown", action="store_true", help="also print Markdown tables")
    parser.add_argument(
        "--path",
        type=Path,
        metavar="DIR",
        help="the benchmarks/ folder (default: next to an editable install, or ./benchmarks)",
    )
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="DIR",
        help="copy the results (benchmarks/results/<name>.json) into DIR",
    )


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def main(argv=None):
    """Run the ``wcrnn-rc`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 1 when the work fails (the message goes to stderr), 2 when no
        command is given. Usage errors exit with status 2 through argparse.

    Examples
    --------
    >>> from wcrnn_rc.cli import main
    >>> main(["sweep", "--units", "10", "--residual", "identity", "--scale", "0.5", "0.9",
    ...       "--coupling", "0", "--metrics", "max_lyapunov", "--seeds", "1", "--n-jobs", "1",
    ...       "--quiet"])  # doctest: +ELLIPSIS
    Sweep: 2 grid point(s) x 1 network(s), 10 units, tanh; seed 0
     residual  scale  coupling  lambda_max mean  lambda_max std  regime
     identity    0.5         0          -0.6931          0.0000  subcritical
     identity    0.9         0          -0.1054          0.0000  subcritical
     (... s)
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if getattr(args, "output", None) is not None and args.output.exists():
        if not args.output.is_dir():
            args.parser.error(f"--output {args.output}: exists and is not a folder")
    try:
        return args.handler(args)
    except (CommandError, FloatingPointError, ValueError) as error:
        # The library's messages say what was wrong; a traceback would not add to them.
        print(f"{PROG} {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=sys.stderr)
        return 130


# --------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------


def _reservoir(args, **params):
    """The reservoir of the command's options; ``params`` override them."""
    base = {"n_units": args.units, "activation": args.activation, "recurrent_gain": args.gain}
    if not isinstance(args.residual, list):  # one network (memory, lyapunov), not a grid
        base |= {
            "residual": args.residual,
            "residual_scale": args.scale,
            "coupling": args.coupling,
        }
    return WCRNNReservoir(**(base | params))


def _describe(args, params=None):
    params = params or {
        "residual": args.residual,
        "residual_scale": args.scale,
        "coupling": args.coupling,
    }
    return (
        f"{params['residual']} residual, scale {params['residual_scale']:g}, coupling "
        f"{params['coupling']:g}, {args.units} units, {args.activation}"
    )


@contextmanager
def _quiet():
    # The CLI sweeps across the critical scale on purpose and marks the regime itself;
    # one warning per supercritical network would bury the table.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SupercriticalResidualWarning)
        yield


class _SweepMetric:
    """A sweep metric as the library computes it; NaN where the states overflow.

    A module-level class, so that loky and dask workers can unpickle it.
    """

    def __init__(self, name):
        self.name = name

    def __call__(self, reservoir, random_state):
        try:
            return METRICS[self.name](reservoir, random_state)
        except FloatingPointError:  # diverged: a NaN cell
            return float("nan")


def _fmt(value, spec=".4f"):
    return "nan" if np.isnan(value) else format(value, spec)


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _print_table(headers, rows):
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


def _write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows([[_csv_cell(cell) for cell in row] for row in rows])


def _csv_cell(value):
    # repr of a Python float round-trips exactly: the CSV holds the computed numbers.
    return repr(float(value)) if isinstance(value, float | np.floating) else value


def _output_dir(args):
    if args.output is None:
        return None
    try:
        args.output.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"cannot create --output {args.output}: {error}") from None
    return args.output


def _pyplot():
    # The command line draws into files only: no display needed, none opened.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)


def _parallel_runs(function, args, seeds):
    return Parallel(n_jobs=args.n_jobs)(delayed(function)(args, seed) for seed in seeds)


def _supercritical_note(scales):
    if max(scales) > 1:
        print(" note: residual scales above 1 are supercritical: states grow, lambda_max > 0")


# --------------------------------------------------------------------------------------
# memory
# --------------------------------------------------------------------------------------


def _memory_of_network(args, seed):
    network = _reservoir(args, random_state=seed)
    with _quiet():  # here, in the worker: warning filters do not reach loky's processes
        return memory_capacity(
            network,
            max_delay=args.max_delay,
            n_steps=args.steps,
            return_curve=True,
            random_state=seed,
        )


def _run_memory(args):
    """``wcrnn-rc memory``: print the memory curve's first delays and MC; write files."""
    out = _output_dir(args)
    seeds = draw_seeds(args.seed, args.seeds)
    runs = _parallel_runs(_memory_of_network, args, seeds)
    capacities = np.array([mc for mc, _ in runs])
    curves = np.array([curve for _, curve in runs])
    mean = curves.mean(axis=0)
    networks = f"{args.seeds} networks, " if args.seeds > 1 else ""
    print(f"Memory capacity: {_describe(args)}; {networks}seed {args.seed}")
    rows = [
        [k + 1, f"{mean[k]:.3f}", f"{mean[: k + 1].sum():.2f}"]
        for k in range(min(args.rows, len(mean)))
    ]
    _print_table(["delay k", "MC_k", "sum to k"], rows)
    print(f" ({min(args.rows, len(mean))} of {len(mean)} delays shown)")
    spread = f" +- {capacities.std():.2f} over {args.seeds} networks" if args.seeds > 1 else ""
    print(f" MC = {capacities.mean():.2f}{spread} (at most n_units = {args.units})")
    _supercritical_note([args.scale])
    if out is not None:
        header = ["delay", "mean_mc"] + [f"seed{j}_mc" for j in range(args.seeds)]
        table = [[k + 1, mean[k], *curves[:, k]] for k in range(len(mean))]
        _write_csv(out / "memory_curve.csv", header, table)
        _memory_figure(curves, _describe(args), out / "memory_curve.png")
        print(f" wrote memory_curve.csv and memory_curve.png to {out}")
    return 0


def _memory_figure(curves, title, path):
    from .plotting import plot_memory_curve

    fig, ax = _pyplot().subplots(figsize=(6.4, 4.2))
    plot_memory_curve({"memory curve": curves}, ax=ax)
    ax.set_title(title, fontsize=9)
    _save(fig, path)


# --------------------------------------------------------------------------------------
# lyapunov
# --------------------------------------------------------------------------------------


def _spectrum_of_network(args, seed):
    with _quiet():  # here, in the worker: warning filters do not reach loky's processes
        network = _reservoir(args, random_state=seed).fit(np.zeros((1, 1)))
        numeric = lyapunov_spectrum(
            network,
            n_exponents=args.exponents or min(args.units, 100),
            n_steps=args.steps,
            washout=args.washout,
            random_state=seed,
        )
    return network, numeric


def _run_lyapunov(args):
    """``wcrnn-rc lyapunov``: print the leading exponents against theory; write files."""
    if args.exponents is not None and args.exponents > args.units:
        args.parser.error(f"--exponents {args.exponents} exceeds --units {args.units}")
    out = _output_dir(args)
    seeds = draw_seeds(args.seed, args.seeds)
    runs = _parallel_runs(_spectrum_of_network, args, seeds)
    numeric = np.array([spectrum for _, spectrum in runs])
    mean = numeric.mean(axis=0)
    # The built-in residuals' eigenvalue moduli do not depend on the seed.
    theory = runs[0][0].residual_lyapunov_exponents_[: len(mean)]
    networks = f"{args.seeds} networks, " if args.seeds > 1 else ""
    print(f"Lyapunov spectrum: {_describe(args)}; {networks}seed {args.seed}")
    with np.errstate(invalid="ignore"):  # -inf - -inf (a residual with eigenvalue 0)
        difference = mean - theory
    rows = [
        [i + 1, _fmt(mean[i]), _fmt(theory[i]), _fmt(difference[i])]
        for i in range(min(args.rows, len(mean)))
    ]
    _print_table(["index", "numeric", "theory", "numeric - theory"], rows)
    finite = np.isfinite(difference)
    largest = np.max(np.abs(difference[finite])) if finite.any() else float("nan")
    print(
        f" ({len(rows)} of {len(mean)} exponents shown, per step, {args.steps} steps after a "
        f"{args.washout}-step washout; max |numeric - theory| = {_fmt(largest)})"
    )
    print(f" lambda_max = {_fmt(mean[0])}, theory log max|eig R| = {_fmt(theory[0])}")
    _supercritical_note([args.scale])
    if out is not None:
        header = ["index", "theory", "mean_numeric"] + [
            f"seed{j}_numeric" for j in range(args.seeds)
        ]
        table = [[i + 1, theory[i], mean[i], *numeric[:, i]] for i in range(len(mean))]
        _write_csv(out / "lyapunov_spectrum.csv", header, table)
        _spectrum_figure(runs[0][0], mean, _describe(args), out / "lyapunov_spectrum.png")
        print(f" wrote lyapunov_spectrum.csv and lyapunov_spectrum.png to {out}")
    return 0


def _spectrum_figure(network, exponents, title, path):
    from .plotting import plot_lyapunov_spectrum

    fig, ax = _pyplot().subplots(figsize=(6.4, 4.2))
    plot_lyapunov_spectrum(network, exponents=exponents, ax=ax)
    ax.set_title(title, fontsize=9)
    _save(fig, path)


# --------------------------------------------------------------------------------------
# sweep (and the demo's first stage)
# --------------------------------------------------------------------------------------


def _normalise_grid(args):
    # Sorted, without repeats: a heatmap cell per value, rows in reading order.
    args.residual = list(dict.fromkeys(args.residual))
    args.scale = sorted(set(args.scale))
    args.coupling = sorted(set(args.coupling))


@contextmanager
def _dask_backend(address):
    """Route joblib (hence parameter_sweep) to the dask scheduler at ``address``."""
    try:
        from distributed import Client
    except ImportError:
        raise CommandError(
            '--scheduler needs dask.distributed: pip install "wcrnn-rc[distributed]"'
        ) from None
    try:
        client = Client(address, timeout=SCHEDULER_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as error:
        raise CommandError(
            f"cannot reach the dask scheduler at {address!r} within "
            f"{SCHEDULER_TIMEOUT_S} s: {error}"
        ) from None
    try:
        with parallel_config(backend="dask"):
            yield client
    finally:
        client.close()


def _sweep(args, metrics, scheduler=None):
    """Run the grid of ``args``; return the results and the row order for tables."""
    grid = {"residual": args.residual, "residual_scale": args.scale, "coupling": args.coupling}
    backend = _dask_backend(scheduler) if scheduler else nullcontext()
    with backend, _quiet():
        results = parameter_sweep(
            _reservoir(args),
            grid,
            metrics={name: _SweepMetric(name) for name in metrics},
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
            row += [_fmt(results[f"mean_{name}"][i], spec), _fmt(results[f"std_{name}"][i], spec)]
        if "max_lyapunov" in metrics:
            row.append(_regime(results["mean_max_lyapunov"][i]))
        rows.append(row)
    _print_table(headers, rows)


def _notes(results, metrics, scales):
    _supercritical_note(scales)
    if any(np.isnan(results[f"mean_{name}"]).any() for name in metrics):
        print(" nan: some networks' states overflowed (diverged)")


def _print_pivots(results, metrics, args):
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
            _print_table(
                ["scale \\ coupling", *(f"{c:g}" for c in args.coupling)],
                [
                    [f"{s:g}", *(_fmt(values[s, c], spec) for c in args.coupling)]
                    for s in args.scale
                ],
            )


def _write_sweep_csv(path, results, order, metrics, args):
    header = ["residual", "residual_scale", "coupling", "n_units"]
    header += [f"{stat}_{name}" for name in metrics for stat in ("mean", "std")]
    header += [f"seed{j}_{name}" for name in metrics for j in range(args.seeds)]
    rows = []
    for i in order:
        params = results["params"][i]
        row = [params["residual"], params["residual_scale"], params["coupling"], args.units]
        rows.append(row + [results[key][i] for key in header[4:]])
    _write_csv(path, header, rows)


def _select(results, residual):
    """The rows of ``results`` for one residual family (plot_sweep takes two parameters)."""
    keep = np.array([params["residual"] == residual for params in results["params"]])
    return {
        key: [p for p, k in zip(value, keep, strict=True) if k] if key == "params" else value[keep]
        for key, value in results.items()
    }


def _write_heatmaps(out, results, metrics, args):
    from .plotting import plot_sweep

    plt = _pyplot()
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
        _save(fig, out / f"sweep_{stem}.png")
        names.append(f"sweep_{stem}.png")
    return names


def _run_sweep(args):
    """``wcrnn-rc sweep``: print the grid's table; write sweep.csv and heatmaps."""
    _normalise_grid(args)
    out = _output_dir(args)
    metrics = list(dict.fromkeys(args.metrics))
    n_points = len(args.residual) * len(args.scale) * len(args.coupling)
    print(
        f"Sweep: {n_points} grid point(s) x {args.seeds} network(s), {args.units} units, "
        f"{args.activation}; seed {args.seed}"
        + (f"; on the dask scheduler {args.scheduler}" if args.scheduler else "")
    )
    start = time.perf_counter()
    results, order = _sweep(args, metrics, scheduler=args.scheduler)
    _print_sweep(results, order, metrics)
    _notes(results, metrics, args.scale)
    print(f" ({time.perf_counter() - start:.1f} s)")
    if out is not None:
        _write_sweep_csv(out / "sweep.csv", results, order, metrics, args)
        figures = _write_heatmaps(out, results, metrics, args)
        print(f" wrote sweep.csv and {', '.join(figures)} to {out}")
    return 0


# --------------------------------------------------------------------------------------
# demo
# --------------------------------------------------------------------------------------


def _best_point(results):
    """Index of the highest mean MC among points with mean lambda_max < 0, and the rule.

    Falls back to the highest mean MC overall when no point is subcritical.
    """
    mc = np.nan_to_num(results["mean_memory_capacity"], nan=-np.inf)
    subcritical = results["mean_max_lyapunov"] < 0  # NaN (diverged) compares False
    if subcritical.any():
        return int(np.argmax(np.where(subcritical, mc, -np.inf))), True
    return int(np.argmax(mc)), False


def _digits_accuracy(network, seed):
    """Fit reservoir -> StandardScaler -> RidgeClassifier on permuted sequential digits.

    ``seed`` draws the pixel permutation and the stratified train/test split.
    """
    from sklearn.linear_model import RidgeClassifier
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from .datasets import load_sequential_digits

    X, y = load_sequential_digits(permute=True, random_state=seed, return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed
    )
    # Weak coupling makes small states; the scaler keeps the ridge penalty comparable.
    pipe = Pipeline(
        [
            ("res", network.set_params(sequence_features="both")),
            ("scale", StandardScaler()),
            ("ridge", RidgeClassifier()),
        ]
    )
    accuracy = pipe.fit(X_train, y_train).score(X_test, y_test)
    chance = np.bincount(y_test).max() / len(y_test)  # always the most frequent class
    return float(accuracy), float(chance), len(y_train), len(y_test)


def _step(number, text):
    print(f"\n[{number}/4] {text}", flush=True)
    return time.perf_counter()


def _demo_sweep(args, out):
    """Stage 1: the sweep, its short tables, sweep.csv and the heatmaps."""
    n_points = len(args.residual) * len(args.scale) * len(args.coupling)
    start = _step(
        1,
        f"Sweep: memory capacity and lambda_max over {n_points} grid points x {args.seeds} "
        f"networks ({args.units} units, {args.activation})",
    )
    results, order = _sweep(args, SWEEP_METRICS)
    _print_pivots(results, SWEEP_METRICS, args)
    _notes(results, SWEEP_METRICS, args.scale)
    _write_sweep_csv(out / "sweep.csv", results, order, SWEEP_METRICS, args)
    figures = _write_heatmaps(out, results, SWEEP_METRICS, args)
    print(f" ({time.perf_counter() - start:.1f} s)")
    return results, figures


def _demo_best(args, out, results):
    """Stage 2: the best grid point's network 0, its memory curve and spectrum vs theory."""
    index, subcritical = _best_point(results)
    params = results["params"][index]
    seed = int(draw_seeds(args.seed, args.seeds)[0])
    rule = "highest mean MC among grid points with mean lambda_max < 0"
    if not subcritical:
        rule = "no grid point has lambda_max < 0: highest mean MC overall"
    start = _step(2, f"Best reservoir ({rule}): {_describe(args, params)}; network 0")
    network = _reservoir(args, **params, random_state=seed)
    with _quiet():
        mc, curve = memory_capacity(network, return_curve=True, random_state=seed)
        network.fit(np.zeros((1, 1)))
        numeric = lyapunov_spectrum(network, n_exponents=min(args.units, 100), random_state=seed)
    theory = network.residual_lyapunov_exponents_[: len(numeric)]
    shown = sorted({0, min(1, len(numeric) - 1), len(numeric) - 1})  # each index once
    _print_table(
        ["exponent", "numeric", "theory log|eig R|"],
        [[f"lambda_{i + 1}", _fmt(numeric[i]), _fmt(theory[i])] for i in shown],
    )
    print(f" memory capacity {mc:.2f} (at most {args.units})")
    title = f"best: {_describe(args, params)}"
    _memory_figure(curve, title, out / "memory_curve.png")
    _spectrum_figure(network, numeric, title, out / "lyapunov_spectrum.png")
    print(f" ({time.perf_counter() - start:.1f} s)")
    return {
        "index": index,
        "params": params,
        "seed": seed,
        "rule": rule,
        "memory_capacity": mc,
        "numeric": numeric,
        "theory": theory,
    }


def _demo_digits(args, best):
    """Stage 3: the best parameters' pipeline on permuted sequential digits."""
    start = _step(3, "Permuted sequential digits: 1797 images as 64-step pixel sequences")
    with _quiet():
        network = _reservoir(args, **best["params"], random_state=best["seed"])
        accuracy, chance, n_train, n_test = _digits_accuracy(network, args.seed)
    _print_table(
        ["model", "test accuracy"],
        [
            ["chance (most frequent class)", f"{chance:.3f}"],
            ["best reservoir + StandardScaler + RidgeClassifier", f"{accuracy:.3f}"],
        ],
    )
    print(f" ({n_train} training, {n_test} test sequences; {time.perf_counter() - start:.1f} s)")
    return accuracy, chance


def _run_demo(args):
    """``wcrnn-rc demo``: sweep, best reservoir, spectrum vs theory, digits; write all."""
    _normalise_grid(args)
    out = _output_dir(args)
    total = time.perf_counter()
    results, figures = _demo_sweep(args, out)
    best = _demo_best(args, out, results)
    accuracy, chance = _demo_digits(args, best)
    figures += ["memory_curve.png", "lyapunov_spectrum.png"]
    summary = {
        "best": {
            **best["params"],
            "n_units": args.units,
            "activation": args.activation,
            "recurrent_gain": args.gain,
            "random_state": best["seed"],
        },
        "rule": best["rule"],
        "sweep_mean_memory_capacity": float(results["mean_memory_capacity"][best["index"]]),
        "sweep_mean_max_lyapunov": float(results["mean_max_lyapunov"][best["index"]]),
        "memory_capacity": best["memory_capacity"],
        "lyapunov_numeric": [float(v) for v in best["numeric"][:10]],
        "lyapunov_theory": [float(v) for v in best["theory"][:10]],
        "digits_accuracy": accuracy,
        "digits_chance": chance,
        "seed": args.seed,
        "n_seeds": args.seeds,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    _step(4, f"Summary ({time.perf_counter() - total:.1f} s in all)")
    _print_table(
        ["", ""],
        [
            ["best reservoir", _describe(args, best["params"])],
            ["memory capacity", f"{best['memory_capacity']:.2f} (at most {args.units})"],
            ["lambda_max numeric", _fmt(best["numeric"][0])],
            ["lambda_max theory", f"{_fmt(best['theory'][0])} (log max|eig R|)"],
            ["digits test accuracy", f"{accuracy:.3f} (chance {chance:.3f})"],
            ["files", f"{out.resolve()}: sweep.csv, summary.json, {', '.join(figures)}"],
        ],
    )
    return 0


# --------------------------------------------------------------------------------------
# bench
# --------------------------------------------------------------------------------------


def _benchmark_candidates():
    package = Path(__file__).resolve().parent
    # An editable install runs from the checkout; otherwise try the current folder.
    return [package.parent / "benchmarks", Path.cwd() / "benchmarks"]


def _is_benchmarks(folder):
    return (folder / "run_all.py").is_file() and (folder / "_common.py").is_file()


def _benchmarks_dir(args):
    if args.path is not None:
        if not _is_benchmarks(args.path):
            args.parser.error(
                f"--path {args.path}: no benchmarks/run_all.py there; give the benchmarks/ "
                "folder of a wcrnn-rc source checkout"
            )
        return args.path.resolve()
    for folder in _benchmark_candidates():
        if _is_benchmarks(folder):
            return folder
    searched = ", ".join(str(folder) for folder in _benchmark_candidates())
    raise CommandError(f"no benchmark scripts found (looked in {searched}).\n{BENCH_HELP}")


def _print_peers():
    rows = []
    for peer in PEERS:
        try:
            rows.append([peer, importlib.metadata.version(peer)])
        except importlib.metadata.PackageNotFoundError:
            rows.append([peer, "not installed"])
    print("Peer libraries in this environment:")
    _print_table(["peer", "version"], rows)
    if any(version == "not installed" for _, version in rows):
        print(' (pip install -e ".[bench]" installs them; missing ones are reported as failed)')


def _run_bench(args):
    """``wcrnn-rc bench``: list the peers, run benchmarks/run_all.py, copy the results."""
    _print_peers()
    folder = _benchmarks_dir(args)
    command = [sys.executable, str(folder / "run_all.py"), *args.names]
    command += ["--summary-only"] * args.summary_only + ["--markdown"] * args.markdown
    print(f"Running: {' '.join(command)}", flush=True)
    status = subprocess.run(command, cwd=folder.parent, check=False).returncode
    if args.output is not None:
        out = _output_dir(args)
        results = folder / "results"
        paths = (
            [results / f"{name}.json" for name in args.names]
            if args.names
            else sorted(results.glob("bench_*.json"))
        )
        copied = [shutil.copy2(path, out) for path in paths if path.is_file()]
        print(f"Copied {len(copied)} results file(s) to {out}")
    return status
