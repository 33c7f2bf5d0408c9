"""Benchmark: a 16-point parameter sweep with two joblib workers against one.

The sweep: ``parameter_sweep(WCRNNReservoir(n_units=200), grid, n_seeds=1)`` over
4 residual scales x 4 couplings, measuring the memory capacity (400 delays, 4000-step
drive) and the largest Lyapunov exponent of each network. Timed with ``n_jobs=1``
(in this process; BLAS with its default threads) and ``n_jobs=2`` (two loky worker
processes; joblib limits each worker's BLAS and OpenMP pools to cpu_count // n_jobs
threads, so the workers do not oversubscribe the cores). The untimed warm-up call
starts the workers (they import wcrnn_rc and load numba's cache once); joblib
reuses them for the timed calls, as it does for any later sweep in a session.
The script checks that both give identical numbers.

Run ``python benchmarks/bench_sweep.py`` on an otherwise idle machine (the ratio is
about cores). It writes ``benchmarks/results/bench_sweep.json``.
"""

import numpy as np
from _common import (
    Contender,
    best,
    fmt_ms,
    fmt_x,
    format_summary,
    format_table,
    machine_info,
    machine_line,
    ratio,
    summary_item,
    time_interleaved,
    write_results,
)

from wcrnn_rc import WCRNNReservoir
from wcrnn_rc.sweeps import parameter_sweep

NAME = "bench_sweep"
N_UNITS = 200
GRID = {"residual_scale": [0.8, 0.9, 0.95, 0.99], "coupling": [0.01, 0.05, 0.1, 0.3]}
TARGET = 1.6
REPEATS = 5


def sweep(n_jobs):
    return parameter_sweep(WCRNNReservoir(n_units=N_UNITS), GRID, n_jobs=n_jobs, random_state=0)


def main():
    print(machine_line(machine_info()))
    timings = time_interleaved(
        [Contender(f"n_jobs={n}", lambda n=n: sweep(n), repeats=REPEATS) for n in (1, 2)]
    )
    one, two = sweep(1), sweep(2)
    identical = all(
        np.array_equal(one[key], two[key]) for key in one if key.startswith(("mean_m", "seed"))
    )
    speedup = ratio(best(timings, "n_jobs=1"), best(timings, "n_jobs=2"))
    rows = [
        [name, fmt_ms(best(timings, name)), t.get("repeats"),
         fmt_x(ratio(best(timings, "n_jobs=1"), best(timings, name)))]
        for name, t in timings.items()
    ]  # fmt: skip
    headers = ["sweep", "best [ms]", "calls", "speed-up vs n_jobs=1"]
    print(f"\n16-point sweep, N={N_UNITS}: memory capacity and largest exponent per point")
    print(format_table(headers, rows))
    print(f"identical results for n_jobs=1 and 2: {identical}")
    summary = [
        summary_item("16-point sweep: n_jobs=2 vs n_jobs=1", speedup, unit="x", target=TARGET)
    ]
    print("\n" + format_summary(summary))
    path = write_results(
        NAME,
        {
            "parameters": {"n_units": N_UNITS, "grid": GRID, "repeats": REPEATS},
            "timings": timings,
            "identical_results": identical,
            "mean_memory_capacity": one["mean_memory_capacity"],
            "mean_max_lyapunov": one["mean_max_lyapunov"],
            "summary": summary,
            "table": {"headers": headers, "rows": rows},
        },
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
