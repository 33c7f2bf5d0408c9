"""Memory estimates of a network's arrays, checked against what the machine has free.

A reservoir of 10**7 dense units would ask for 800 TB; it should fail at once with
the estimate, not after the operating system starts swapping or kills the process.
This module imports only the standard library.
"""

import os

__all__ = ["available_bytes", "check_fits", "csr_bytes", "format_bytes"]

# Bytes per stored non-zero of W (a float64 value and an int64 column index).
CSR_BYTES_PER_NONZERO = 16


def format_bytes(n_bytes):
    """``n_bytes`` as a short human-readable string (binary units)."""
    value = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if value < 1024 or unit == "EiB":
            return f"{value:.3g} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    raise AssertionError("unreachable")


def csr_bytes(n_units, nnz):
    """Bytes of W's CSR arrays: values and column indices per non-zero, row pointers."""
    return CSR_BYTES_PER_NONZERO * int(nnz) + 8 * (int(n_units) + 1)


def _read_int(path):
    try:
        with open(path) as handle:
            text = handle.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def available_bytes():
    """Memory this process can still allocate, or None where it cannot be read.

    The smaller of the system's available memory (``MemAvailable`` of
    ``/proc/meminfo``, else ``os.sysconf("SC_AVPHYS_PAGES")``) and the room left under
    a cgroup v2 memory limit (containers).
    """
    candidates = []
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    candidates.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    if not candidates:
        try:
            candidates.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            pass
    limit = _read_int("/sys/fs/cgroup/memory.max")  # "max" (no limit) reads as None
    used = _read_int("/sys/fs/cgroup/memory.current")
    if limit is not None and used is not None:
        candidates.append(max(limit - used, 0))
    return min(candidates) if candidates else None


def check_fits(n_bytes, what, *, hint=""):
    """Raise ``MemoryError`` when ``n_bytes`` exceeds the memory available now.

    Does nothing where the available memory cannot be read.

    Parameters
    ----------
    n_bytes : int
        The estimate.
    what : str
        What needs it, for the message (e.g. "W of 10000000 units, dense float64").
    hint : str, default=""
        What to do instead, appended to the message.
    """
    available = available_bytes()
    if available is not None and n_bytes > available:
        raise MemoryError(
            f"{what} needs about {format_bytes(n_bytes)}, but only {format_bytes(available)} "
            f"of memory is available.{' ' + hint if hint else ''}"
        )
