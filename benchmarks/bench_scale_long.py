"""Benchmark: ``WCRNNRegressor.predict`` on one long series, peak memory against T.

Task (issue 14, "Long series predict"): a ``WCRNNRegressor(WCRNNReservoir(n_units=100,
random_state=0))`` (dense W, tanh, float64, default ridge readout) fitted on 5000
steps of a uniform(-1, 1) input with one feature, then ``predict`` on a series of T
steps, T in 10^5, 10^6, 10^7 (one target). ``predict`` runs the reservoir window by
window (``_config.WINDOW_ELEMENTS`` states, 16.8 MB) and feeds each window to the
readout, so it should hold only:

- the input, T x 1 float64 (8 bytes a step), made before the measurement;
- the output, T float64 predictions (8 bytes a step);
- one window of states and its predictions: a constant.

The T x 100 states themselves (800 bytes a step, 8 GB at 10^7) are never held.

How: every T runs in a fresh subprocess (so that one T's high-water mark cannot
hide another's). The child fits, compiles on a short call, builds the input, reads
its resident set (``/proc/self/statm``), then times ``predict`` ``--repeats`` times
(median and spread of the time per step), reads ``ru_maxrss`` (the high-water mark,
which the first ``predict`` sets), and measures one more call under ``tracemalloc``
(the peak of NumPy's and Python's allocations during the call). The growth of the
resident set over the baseline, less the output, is what ``predict`` itself holds.
For contrast, the in-memory path (``readout_.predict(network_.run_series(X))``, what
``predict`` did before) is measured the same way at T = 10^5 and 10^6 (at 10^7 it
would need 8 GB), and its predictions are compared with the streamed ones.

Target: the peak beyond input and output independent of T (the largest over the
smallest, across T, within 1.25x).

Run ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_scale_long.py`` (about five
minutes on two cores; ``--steps 100000 1000000`` for a shorter run). It prints a
table and writes ``benchmarks/results/bench_scale_long.json``.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np
from _common import format_table, machine_info, machine_line, summary_item, write_results

NAME = "bench_scale_long"
N_UNITS = 100
FIT_STEPS = 5000
STEPS = (100_000, 1_000_000, 10_000_000)
IN_MEMORY_MAX_STEPS = 1_000_000
REPEATS = {100_000: 5, 1_000_000: 3, 10_000_000: 2}
TARGET_RATIO = 1.25
MB = 1e6


def _resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _max_resident_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux


def child(n_steps, path, repeats):
    """One measurement in this (fresh) process; returns a JSON-able dict."""
    from wcrnn_rc import WCRNNRegressor, WCRNNReservoir

    rng = np.random.default_rng(0)
    x_fit = rng.uniform(-1, 1, size=(FIT_STEPS, 1))
    model = WCRNNRegressor(WCRNNReservoir(n_units=N_UNITS, random_state=0), washout=100)
    model.fit(x_fit, np.roll(x_fit[:, 0], 2))
    network, readout = model.reservoir_.network_, model.readout_

    if path == "streamed":
        predict = model.predict
    else:

        def predict(X):
            return readout.predict(network.run_series(X))

    predict(x_fit[:100])  # compiled (or loaded from the cache) before measuring
    X = np.random.default_rng(1).uniform(-1, 1, size=(n_steps, 1))
    baseline = _resident_bytes()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        y = predict(X)
        times.append(time.perf_counter() - start)
        del y
    max_resident = _max_resident_bytes()
    tracemalloc.start()
    y = predict(X)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    per_step = [t / n_steps for t in times]
    return {
        "path": path,
        "n_steps": n_steps,
        "n_units": N_UNITS,
        "repeats": repeats,
        "input_mb": X.nbytes / MB,
        "output_mb": y.nbytes / MB,
        "states_mb": n_steps * N_UNITS * 8 / MB,
        "baseline_rss_mb": baseline / MB,
        "max_rss_mb": max_resident / MB,
        "rss_growth_mb": (max_resident - baseline) / MB,
        "rss_growth_beyond_output_mb": (max_resident - baseline - y.nbytes) / MB,
        "tracemalloc_peak_mb": traced_peak / MB,
        "tracemalloc_beyond_output_mb": (traced_peak - y.nbytes) / MB,
        "times_s": times,
        "median_us_per_step": 1e6 * statistics.median(per_step),
        "spread_us_per_step": 1e6 * (max(per_step) - min(per_step)),
        "checksum": [float(y[:1000].sum()), float(y[-1000:].sum())],
    }


def measure(n_steps, path, repeats):
    """Run ``child`` in a fresh interpreter and return its dict."""
    command = [sys.executable, __file__, "--child", str(n_steps), path, str(repeats)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"path": path, "n_steps": n_steps, "status": f"failed: {tail}"}
    return {"status": "ok", **json.loads(done.stdout.strip().splitlines()[-1])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=list(STEPS))
    parser.add_argument("--repeats", type=int, default=None, help="timed calls per T")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        n_steps, path, repeats = args.child
        print(json.dumps(child(int(n_steps), path, int(repeats))))
        return
    print(machine_line(machine_info()))
    rows = []
    for n_steps in args.steps:
        repeats = args.repeats or REPEATS.get(n_steps, 3)
        paths = ["streamed"] + (["in_memory"] if n_steps <= IN_MEMORY_MAX_STEPS else [])
        for path in paths:
            row = measure(n_steps, path, repeats)
            rows.append(row)
            print(f"  T={n_steps:>9,} {path:>9}: {row.get('status')}", flush=True)
    ok = [r for r in rows if r["status"] == "ok"]
    streamed = [r for r in ok if r["path"] == "streamed"]
    for row in ok:  # the streamed and in-memory predictions agree
        same = [r for r in streamed if r["n_steps"] == row["n_steps"]]
        if row["path"] == "in_memory" and same:
            row["checksum_rel_diff"] = max(
                abs(a - b) / max(abs(b), 1e-300)
                for a, b in zip(row["checksum"], same[0]["checksum"], strict=True)
            )
    beyond = [r["rss_growth_beyond_output_mb"] for r in streamed]
    traced = [r["tracemalloc_beyond_output_mb"] for r in streamed]
    summary = {
        "rss_beyond_output_max_over_min": max(beyond) / min(beyond) if beyond else None,
        "tracemalloc_beyond_output_max_over_min": max(traced) / min(traced) if traced else None,
        "target_max_over_min": TARGET_RATIO,
    }
    summary["met"] = (
        bool(beyond)
        and max(
            summary["rss_beyond_output_max_over_min"],
            summary["tracemalloc_beyond_output_max_over_min"],
        )
        <= TARGET_RATIO
    )
    headers = [
        "T", "path", "input MB", "output MB", "states MB", "RSS growth MB",
        "beyond output", "tracemalloc MB", "beyond output", "us/step (spread)",
    ]  # fmt: skip
    table = [
        [
            f"{r['n_steps']:,}",
            r["path"],
            f"{r['input_mb']:.0f}",
            f"{r['output_mb']:.0f}",
            f"{r['states_mb']:.0f}",
            f"{r['rss_growth_mb']:.1f}",
            f"{r['rss_growth_beyond_output_mb']:.1f}",
            f"{r['tracemalloc_peak_mb']:.1f}",
            f"{r['tracemalloc_beyond_output_mb']:.1f}",
            f"{r['median_us_per_step']:.2f} ({r['spread_us_per_step']:.2f})",
        ]
        for r in ok
    ]
    print(format_table(headers, table))
    print(
        f"streamed peak beyond input and output, largest over smallest across T: RSS "
        f"{summary['rss_beyond_output_max_over_min']:.2f}x, tracemalloc "
        f"{summary['tracemalloc_beyond_output_max_over_min']:.2f}x (target <= "
        f"{TARGET_RATIO}x): {'met' if summary['met'] else 'NOT met'}"
    )
    items = [
        summary_item(
            f"streamed peak beyond input and output, largest / smallest T ({kind})",
            summary[key],
            unit="x",
            target=TARGET_RATIO,
            at_least=False,
        )
        for kind, key in [
            ("RSS", "rss_beyond_output_max_over_min"),
            ("tracemalloc", "tracemalloc_beyond_output_max_over_min"),
        ]
        if summary[key] is not None
    ]
    payload = {
        "rows": rows,
        "ratios": summary,
        "summary": items,
        "table": {"headers": headers, "rows": table},
    }
    path = write_results(NAME, payload)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
