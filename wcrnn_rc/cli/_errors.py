"""Errors and signals of the command line: what is shortened to one line, and SIGTERM.

Expected failures (a user can act on them) are printed as one line and exit with
status 1: :class:`CommandError`, the library's parameter and data checks
(``ValueError``), states that overflow (``FloatingPointError``), files and network
(``OSError``) and memory (``MemoryError``). Anything else is a bug and keeps its
traceback. SIGTERM is turned into :class:`Terminated`, raised in the main thread like
``KeyboardInterrupt`` for Ctrl-C, so that joblib shuts its worker pool down on the way
out instead of leaving the processes orphaned.
"""

import signal
import sys
import threading
from contextlib import contextmanager

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
EXIT_TERMINATED = 128 + signal.SIGTERM


class CommandError(Exception):
    """A failure the user can act on: printed as one message, exit status 1."""


class Terminated(BaseException):
    """SIGTERM was received (a BaseException, like KeyboardInterrupt: never swallowed)."""


# Exceptions whose message is the whole story; with --debug the traceback is printed too.
EXPECTED = (CommandError, ValueError, FloatingPointError, OSError, MemoryError)


def message(error):
    """One line (or a short paragraph) for an expected ``error``."""
    if isinstance(error, MemoryError):
        detail = f" ({error})" if str(error) else ""
        return (
            f"out of memory{detail}; use fewer --units, --steps or --seeds, or a smaller "
            "--n-jobs (each parallel run holds its own states)"
        )
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        return f"{error.strerror}: {error.filename}"
    return str(error) or type(error).__name__


def _raise_terminated(signum, frame):
    # A second SIGTERM, while the pool shuts down, ends the process at once.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise Terminated


@contextmanager
def sigterm_raises():
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread.

    Outside the main thread (``main`` called from a worker thread) signals cannot be
    handled, and the default action is left in place.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def print_error(command, text):
    where = f"{command}: " if command else ""
    print(f"wcrnn-rc {where}error: {text}", file=sys.stderr)
