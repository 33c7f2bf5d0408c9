"""The dask.distributed client of ``wcrnn-rc sweep --scheduler``."""

from contextlib import contextmanager

from joblib import parallel_config

from ._errors import CommandError

SCHEDULER_TIMEOUT_S = 10


@contextmanager
def dask_backend(address):
    """Route joblib (hence parameter_sweep) to the dask scheduler at ``address``."""
    try:
        from distributed import Client
    except ImportError:
        raise CommandError(
            "--scheduler needs dask.distributed: pip install distributed "
            '(in a source tree: pip install ".[distributed]")'
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
