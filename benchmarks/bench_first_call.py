"""Benchmark: seconds to import wcrnn_rc and get the first states, in a fresh process.

A user's first call pays for importing numpy, scikit-learn and numba and for loading
(or compiling) the numba kernels. This script runs, in fresh subprocesses::

    import wcrnn_rc
    WCRNNReservoir(...).fit(X).transform(X)      # small data

with numba's on-disk cache in a new temporary directory (``NUMBA_CACHE_DIR``): the
first subprocess finds the cache empty and compiles (cold), the following ones load
the compiled kernels from it (warm). Each subprocess times itself with
``time.perf_counter``; the wall time of the whole subprocess, interpreter start-up
included, is reported too, and one more subprocess under ``python -X importtime``
shows which packages the import time goes to.

These are absolute seconds on this machine, not ratios: there is no peer to divide
by. Target from the issue: import plus first call under 2 s with a warm cache.

Run ``python benchmarks/bench_first_call.py``; it writes
``benchmarks/results/bench_first_call.json``.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from _common import (
    format_summary,
    format_table,
    machine_info,
    machine_line,
    summary_item,
    write_results,
)

NAME = "bench_first_call"
WARM_RUNS = 5
TARGET_S = 2.0
# Modules whose cumulative import time is reported (those wcrnn_rc's import pulls in).
# Cumulative times nest: wcrnn_rc includes all of them, sklearn includes scipy.stats
# and (when installed) pandas.
IMPORT_MODULES = ("wcrnn_rc", "sklearn", "scipy.stats", "pandas", "numba", "numpy")
# Runs in the subprocess; prints one JSON line with its own timings.
CHILD = """
import json, time
start = time.perf_counter()
import wcrnn_rc
imported = time.perf_counter()
import numpy as np
X = np.sin(np.linspace(0.0, 20.0, 200))[:, None]
states = wcrnn_rc.WCRNNReservoir(n_units=50, random_state=0).fit(X).transform(X)
done = time.perf_counter()
assert states.shape == (200, 50)
print(json.dumps({"import_s": imported - start, "first_call_s": done - imported,
                  "total_s": done - start}))
"""


def run_child(cache_dir):
    """One fresh interpreter: its own timings plus the wall time of the subprocess."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - start
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = wall
    return result


def import_breakdown(cache_dir):
    """Cumulative import time of the heavy packages, from ``python -X importtime``.

    Returns ``{module: seconds}`` for the modules in ``IMPORT_MODULES`` that the
    import of wcrnn_rc loads (``-X importtime`` itself adds a little to each).
    """
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import wcrnn_rc"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = {}
    for line in completed.stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue  # the header line, or not an importtime line
        module = parts[2].strip()
        if module in IMPORT_MODULES and module not in seconds:
            seconds[module] = int(parts[1]) / 1e6  # cumulative, in microseconds
    return {module: seconds[module] for module in IMPORT_MODULES if module in seconds}


def main():
    """Time one cold and several warm first calls; print and save them."""
    print(
        "First call: fresh `python -c`, import wcrnn_rc, then "
        "WCRNNReservoir(n_units=50).fit(X).transform(X) on 200 steps."
    )
    print(machine_line(machine_info()))
    print("Absolute seconds (no ratio: nothing to compare with).\n")
    with tempfile.TemporaryDirectory(prefix="wcrnn_numba_cache_") as cache_dir:
        cold = run_child(cache_dir)
        warm = [run_child(cache_dir) for _ in range(WARM_RUNS)]
        imports = import_breakdown(cache_dir)

    keys = ("import_s", "first_call_s", "total_s", "process_wall_s")
    warm_best = {key: min(run[key] for run in warm) for key in keys}
    warm_median = {key: statistics.median(run[key] for run in warm) for key in keys}
    headers = [
        "cache",
        "import wcrnn_rc [s]",
        "first fit+transform [s]",
        "import + first call [s]",
        "whole process [s]",
    ]
    rows = [
        ["cold (compiles)", *(f"{cold[key]:.2f}" for key in keys)],
        [f"warm, best of {WARM_RUNS}", *(f"{warm_best[key]:.2f}" for key in keys)],
        [f"warm, median of {WARM_RUNS}", *(f"{warm_median[key]:.2f}" for key in keys)],
    ]
    summary = [
        summary_item(
            "import + first call, warm cache (median)",
            warm_median["total_s"],
            unit="s",
            target=TARGET_S,
            at_least=False,
        ),
        summary_item("import wcrnn_rc alone, warm (median)", warm_median["import_s"], unit="s"),
        summary_item("import + first call, cold cache", cold["total_s"], unit="s"),
    ]
    print(format_table(headers, rows))
    print("\n" + format_summary(summary))
    print(
        "\nCumulative import times, nested (python -X importtime -c 'import wcrnn_rc'): "
        + ", ".join(f"{module} {seconds:.2f} s" for module, seconds in imports.items())
    )

    path = write_results(
        NAME,
        {
            "parameters": {"warm_runs": WARM_RUNS, "child": CHILD},
            "cold": cold,
            "warm": warm,
            "warm_best": warm_best,
            "warm_median": warm_median,
            "import_breakdown_s": imports,
            "summary": summary,
            "table": {"headers": headers, "rows": rows},
        },
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
