"""Progress bars for long calls: tqdm when it is installed, nothing otherwise.

One compiled call (a Lyapunov spectrum, an ARFF parse) gives no chance to update a
bar, so :func:`progress` redraws its bar from a thread: the elapsed time keeps running
and shows that the work goes on. The kernels release the GIL, so the thread gets to
run while they do.
"""

import threading
from contextlib import contextmanager

# Seconds between redraws: often enough to see time pass, rarely enough for log files.
_REDRAW_S = 1.0


class _NoBar:
    """Stands in for a tqdm bar when progress is off or tqdm is missing."""

    def update(self, n=1):
        pass

    def set_postfix_str(self, text):
        pass


def _tqdm():
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


@contextmanager
def progress(desc, *, total=None, enabled=True, unit="it"):
    """A progress bar on stderr for the block; ``bar.update()`` counts finished items.

    Parameters
    ----------
    desc : str
        What is running.
    total : int, default=None
        Items to count; None shows the elapsed time only (one long call).
    enabled : bool, default=True
        False (or tqdm not installed) shows nothing.
    unit : str, default="it"
        The items' name.

    Yields
    ------
    bar : tqdm.tqdm or a stand-in with ``update`` and ``set_postfix_str``
    """
    tqdm = _tqdm() if enabled else None
    if tqdm is None:
        yield _NoBar()
        return
    bar_format = "{desc}: {elapsed} elapsed{postfix}" if total is None else None
    bar = tqdm(total=total, desc=desc, unit=unit, bar_format=bar_format, leave=False)
    stop = threading.Event()

    def redraw():
        while not stop.wait(_REDRAW_S):
            bar.refresh()

    thread = threading.Thread(target=redraw, name="wcrnn_rc-progress", daemon=True)
    thread.start()
    try:
        yield bar
    finally:
        stop.set()
        thread.join()
        bar.close()
