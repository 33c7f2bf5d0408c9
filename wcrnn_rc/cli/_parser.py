"""The ``wcrnn-rc`` argument parser: commands, options and their help.

It imports nothing heavy (no NumPy, scikit-learn, numba or matplotlib), so that
``wcrnn-rc --help`` and usage errors answer at once. The parser converts option values
to numbers and leaves their ranges to the library, which validates every parameter
and says what is allowed; only the options that exist on the command line alone
(``--rows``, ``--seeds``) are checked here. The choices of ``--residual``, ``--activation`` and
``--metrics`` are the library's documented options (``tests/test_cli.py`` checks that
they match it).
"""

import argparse
from pathlib import Path

from .. import __version__

PROG = "wcrnn-rc"
DEMO_OUTPUT = "wcrnn-rc-demo"
DEFAULT_SCALES = (0.5, 0.8, 0.9, 0.95, 0.97, 0.99, 1.0, 1.02, 1.05)
DEFAULT_SEEDS = 3
DEFAULT_COUPLINGS = (0.01, 0.03, 0.1, 0.3)
SWEEP_METRICS = ("memory_capacity", "max_lyapunov")
# The library's options: wcrnn_rc.residuals.RESIDUAL_NAMES, WCRNNReservoir's activation
# and wcrnn_rc.sweeps.METRICS (copied, so that the parser needs no import of them).
RESIDUALS = ("identity", "orthogonal", "rotational", "heterogeneous", "tanh", "none")
ACTIVATIONS = ("identity", "relu", "tanh")
METRICS = ("max_lyapunov", "memory_capacity", "spectral_radius")
# `wcrnn-rc forecast --system lorenz96`'s default --units and --train (the other systems:
# 300 and 5000); the same as SYSTEMS["lorenz96"] in _forecast.py (tests check that).
FORECAST_LORENZ96_SIZE = (2000, 20000)
# How long `wcrnn-rc demo` takes with its defaults, numba's first compilation included
# (17 s measured on an idle 2-core machine); README and the docs say the same.
DEMO_DURATION = "under half a minute on 2 cores"

DESCRIPTION = f"""\
Reservoir computing with weakly coupled residual recurrent networks: the main job, the
dynamics tools and the benchmarks. Every command prints a table; --seed fixes every
random draw and --output DIR receives CSV tables and PNG figures.

start here:
  wcrnn-rc demo                 the main job, offline ({DEMO_DURATION})
  wcrnn-rc COMMAND --help       a command's options

exit status: 0 success, 1 the work failed (one-line message on stderr; --debug adds
the traceback), 2 usage error, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM)"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog):
        super().__init__(prog, max_help_position=32)


def _add_command(commands, name, summary, description):
    parser = commands.add_parser(
        name,
        help=summary,
        description=description,
        formatter_class=_Formatter,
        allow_abbrev=False,
    )
    # The module that runs the command, imported only when it runs.
    parser.set_defaults(command_module=f"_{name}", parser=parser)
    return parser


def _positive_int(text):
    """``--rows`` and ``--seeds``: counts of the command line's own, so checked here."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _add_debug_option(group):
    group.add_argument(
        "--debug",
        action="store_true",
        help="on an error, print the traceback too (default: a one-line message)",
    )


def _add_run_options(
    parser, *, n_jobs_default, n_jobs_help, output_help, quiet_help, output_default=None
):
    group = parser.add_argument_group("run")
    group.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed of the networks, drives and data splits, in [0, 2**32) (default 0)",
    )
    group.add_argument("--n-jobs", type=int, default=n_jobs_default, metavar="N", help=n_jobs_help)
    group.add_argument(
        "--output", "-o", type=Path, default=output_default, metavar="DIR", help=output_help
    )
    group.add_argument("--quiet", "-q", action="store_true", help=quiet_help)
    _add_debug_option(group)


def _add_network_options(parser, *, grid):
    """The reservoir's options; with ``grid``, residual, scale and coupling take lists."""
    group = parser.add_argument_group("reservoir (the library checks each value's range)")
    several = "+" if grid else None
    group.add_argument(
        "--units", type=int, default=100, metavar="N", help="n_units, >= 1 (default 100)"
    )
    group.add_argument(
        "--residual",
        choices=RESIDUALS,
        nargs=several,
        default=["rotational"] if grid else "rotational",
        metavar="NAME",
        help=f"residual famil{'ies' if grid else 'y'}, among {', '.join(RESIDUALS)} "
        "(default rotational)",
    )
    scales = " ".join(map(str, DEFAULT_SCALES))
    group.add_argument(
        "--scale",
        type=float,
        nargs=several,
        default=list(DEFAULT_SCALES) if grid else 0.95,
        metavar="S",
        help="residual_scale lambda, any finite number; |lambda| > 1 makes the residual "
        "supercritical; ignored by the heterogeneous and none residuals "
        f"(default {scales if grid else 0.95})",
    )
    couplings = " ".join(map(str, DEFAULT_COUPLINGS))
    group.add_argument(
        "--coupling",
        type=float,
        nargs=several,
        default=list(DEFAULT_COUPLINGS) if grid else 0.1,
        metavar="EPS",
        help=f"coupling eps, >= 0 (default {couplings if grid else 0.1})",
    )
    group.add_argument(
        "--activation",
        choices=ACTIVATIONS,
        default="tanh",
        help="activation f of the coupled branch (default tanh)",
    )
    group.add_argument(
        "--gain",
        type=float,
        default=1.0,
        metavar="G",
        help="recurrent_gain, >= 0: W's spectral radius is about G (default 1.0)",
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

    Building and using it imports none of NumPy, scikit-learn, numba or matplotlib.

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
    _forecast_parser(commands)
    return parser


def _forecast_parser(commands):
    parser = _add_command(
        commands,
        "forecast",
        "train a closed-loop forecaster on a chaotic system; valid time and spectrum",
        "Train a WCRNNForecaster by teacher forcing on a chaotic system (standardised),\n"
        "generate in closed loop, and print the valid prediction time and the autonomous\n"
        "closed-loop Lyapunov spectrum against the system's. --output writes\n"
        "forecast.csv, forecast.png and attractor.png.",
    )
    group = parser.add_argument_group("forecast")
    group.add_argument(
        "--system",
        choices=("lorenz", "rossler", "mackey-glass", "lorenz96"),
        default="lorenz",
        help="the system (default lorenz)",
    )
    group.add_argument(
        "--units",
        type=int,
        metavar="N",
        help=f"n_units, >= 1 (default: the system's; 300, lorenz96 {FORECAST_LORENZ96_SIZE[0]})",
    )
    group.add_argument(
        "--train",
        type=int,
        metavar="T",
        help=f"training steps (default: the system's; 5000, lorenz96 {FORECAST_LORENZ96_SIZE[1]})",
    )
    group.add_argument(
        "--steps", type=int, default=1000, metavar="T", help="steps generated (default 1000)"
    )
    group.add_argument(
        "--washout", type=int, default=200, metavar="T", help="washout steps (default 200)"
    )
    group.add_argument(
        "--lyapunov-steps",
        type=int,
        default=5000,
        metavar="T",
        help="closed-loop steps averaged for the spectrum (default 5000)",
    )
    _add_run_options(
        parser,
        n_jobs_default=1,
        n_jobs_help="unused (one network), kept for a uniform command line (default 1)",
        output_help="write forecast.csv, forecast.png and attractor.png into DIR",
        quiet_help="print the results only",
    )


def _demo_parser(commands):
    parser = _add_command(
        commands,
        "demo",
        "the main job: sweep, best reservoir, spectrum vs theory, digits (offline)",
        "The main job, offline: (1) sweep the memory capacity (MC) and the largest\n"
        "Lyapunov exponent (lambda_max) over residual scale x coupling; (2) pick the best\n"
        "reservoir: the highest mean MC among grid points with mean lambda_max < 0\n"
        "(subcritical: perturbations fade), rebuilt as the sweep's first network; (3)\n"
        "compare its numeric Lyapunov spectrum with the theory log|eig R|; (4) fit\n"
        "reservoir -> StandardScaler -> RidgeClassifier with its parameters on permuted\n"
        "sequential digits (stratified 75/25 split) and print the test accuracy next to\n"
        "chance. Writes sweep.csv, sweep_memory.png, sweep_lyapunov.png,\n"
        "memory_curve.png, lyapunov_spectrum.png and summary.json. With the defaults it\n"
        f"runs in {DEMO_DURATION}; smaller options (--units 30 --seeds 1)\n"
        "in a few seconds.",
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
        quiet_help="no progress bars (stderr); the tables are still printed",
    )


def _memory_parser(commands):
    parser = _add_command(
        commands,
        "memory",
        "memory capacity and memory curve of one reservoir",
        "Jaeger's linear memory capacity MC = sum_k MC_k of one reservoir (i.i.d. drive):\n"
        "MC_k is the squared correlation of a linear recall of the input k steps back.\n"
        "MC <= n_units. Prints the first delays and MC; --output writes memory_curve.csv\n"
        "and memory_curve.png (mean curve, band over --seeds networks).",
    )
    _add_network_options(parser, grid=False)
    group = _add_seeds_option(parser, title="memory", default=1, per="averaged")
    group.add_argument(
        "--max-delay", type=int, metavar="K", help="largest delay, >= 1 (default 2 * units)"
    )
    group.add_argument(
        "--steps",
        type=int,
        metavar="T",
        help="drive steps for the readouts, after the washout (default max(8000, 80 * units))",
    )
    group.add_argument(
        "--rows", type=_positive_int, default=10, metavar="R", help="delays shown (default 10)"
    )
    _add_run_options(
        parser,
        n_jobs_default=1,
        n_jobs_help="networks computed in parallel with --seeds > 1 (default 1)",
        output_help="write memory_curve.csv and memory_curve.png into DIR",
        quiet_help="no progress bar (stderr) while the networks are computed",
    )


def _lyapunov_parser(commands):
    parser = _add_command(
        commands,
        "lyapunov",
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
        type=int,
        metavar="K",
        help="leading exponents computed, 1 to units (default min(units, 100))",
    )
    group.add_argument(
        "--steps", type=int, default=2000, metavar="T", help="steps averaged over (default 2000)"
    )
    group.add_argument(
        "--washout",
        type=int,
        default=500,
        metavar="T",
        help="leading steps run but not counted, >= 0 (default 500)",
    )
    group.add_argument(
        "--rows", type=_positive_int, default=10, metavar="R", help="exponents shown (default 10)"
    )
    _add_run_options(
        parser,
        n_jobs_default=1,
        n_jobs_help="networks computed in parallel with --seeds > 1 (default 1)",
        output_help="write lyapunov_spectrum.csv and lyapunov_spectrum.png into DIR",
        quiet_help="no progress bar (stderr) while the spectra are computed",
    )


def _sweep_parser(commands):
    parser = _add_command(
        commands,
        "sweep",
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
        choices=METRICS,
        default=list(SWEEP_METRICS),
        metavar="NAME",
        help=f"among {', '.join(METRICS)} (default {' '.join(SWEEP_METRICS)})",
    )
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on the dask.distributed scheduler at ADDRESS (e.g. tcp://10.0.0.5:8786); "
        "needs dask.distributed (pip install distributed)",
    )
    _add_run_options(
        parser,
        n_jobs_default=-1,
        n_jobs_help="parallel runs (default -1: all cores, or all workers with --scheduler)",
        output_help="write sweep.csv and the heatmaps into DIR",
        quiet_help="no progress bar (stderr) over the sweep's runs",
    )


BENCH_HELP = """\
The benchmark scripts are part of the wcrnn-rc source tree (its benchmarks/ folder),
not of the installed package. From a source tree:

    pip install -e ".[bench]"           (the peers; see benchmarks/README.md)
    wcrnn-rc bench                      (or: wcrnn-rc bench --path path/to/benchmarks)"""


def _bench_parser(commands):
    parser = _add_command(
        commands,
        "bench",
        "benchmarks against the installed peers (needs a source tree)",
        "Lists the peer libraries that are installed (reservoirpy, echoes, PyRCN), then\n"
        "runs benchmarks/run_all.py of a source tree with this interpreter, each\n"
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
    _add_debug_option(parser)
