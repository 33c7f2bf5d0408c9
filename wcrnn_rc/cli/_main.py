"""The entry point: parse, check --output, run the command, report what went wrong."""

import importlib
import sys
import traceback

from ._errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXPECTED,
    Terminated,
    message,
    print_error,
    sigterm_raises,
)
from ._parser import PROG, build_parser


def main(argv=None):
    """Run the ``wcrnn-rc`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success; 1 when the work fails (a one-line message on stderr, with the
        traceback under ``--debug``); 2 when no command is given; 130 on Ctrl-C and
        143 on SIGTERM (the worker processes are shut down first). Usage errors exit
        with status 2 through argparse. Errors that are not expected (bugs) propagate
        with their traceback.

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
    command = None
    try:
        with sigterm_raises():
            parser = build_parser()
            args = parser.parse_args(argv)
            if args.command is None:
                parser.print_help(sys.stderr)
                return 2
            command = args.command
            return _run(args)
    except KeyboardInterrupt:
        print(f"{PROG}{f' {command}' if command else ''}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print(f"{PROG}{f' {command}' if command else ''}: terminated", file=sys.stderr)
        return EXIT_TERMINATED


def _run(args):
    try:
        # Checked before any work, so that a finished run is never lost for want of a
        # folder to write it to. The command's module (NumPy, numba, scikit-learn) is
        # imported only now: --help and usage errors do not wait for it.
        from ._output import prepare_output

        prepare_output(args)
        command = importlib.import_module(f".{args.command_module}", __package__)
        return command.run(args)
    except EXPECTED as error:
        if args.debug:
            traceback.print_exc()
        print_error(args.command, message(error))
        return EXIT_FAILED
