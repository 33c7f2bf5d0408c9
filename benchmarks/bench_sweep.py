"""Benchmark: a 16-point parameter sweep with two joblib workers against one.

The sweep: ``parameter_sweep(WCRNNReservoir(n_units=N), grid, n_seeds=1)`` over
4 residual scales x 4 couplings, measuring the memory capacity (2N delays, 20N-step
drive) and the largest Lyapunov exponent of each network, for N = 200 (about 60 ms
per point; the headline figure) and N = 400 (heavier points). Timed with ``n_jobs=1``
(in this process) and ``n_jobs=2`` (two loky worker processes). Every run of a sweep
uses one BLAS thread whatever ``n_jobs`` is (so that the numbers do not depend on
it), so the ratio is the parallel efficiency of the sweep itself. The untimed warm-up call
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
SIZES = (200, 400)
GRID = {"residual_scale": [0.8, 0.9, 0.95, 0.99], "coupling": [0.01, 0.05, 0.1, 0.3]}
TARGET = 1.6
REPEATS = 5


def sweep(n_units, n_jobs):
    return parameter_sweep(WCRNNReservoir(n_units=n_units), GRID, n_jobs=n_jobs, random_state=0)


def main():
    print(machine_line(machine_info()))
    contenders = [
        Contender(f"N={size}, n_jobs={n}", lambda size=size, n=n: sweep(size, n), repeats=REPEATS)
        for size in SIZES
        for n in (1, 2)
    ]
    timings = time_interleaved(contenders)
    rows, summary, checks = [], [], {}
    for size in SIZES:
        one, two = sweep(size, 1), sweep(size, 2)
        checks[size] = {
            "identical_results": all(
                np.array_equal(one[key], two[key]) for key in one if key.startswith("seed")
            ),
            "mean_memory_capacity": one["mean_memory_capacity"].tolist(),
            "mean_max_lyapunov": one["mean_max_lyapunov"].tolist(),
            "seconds_per_point": float(one["mean_time"].mean()),
        }
        serial = best(timings, f"N={size}, n_jobs=1")
        parallel = best(timings, f"N={size}, n_jobs=2")
        speedup = ratio(serial, parallel)
        rows += [
            [f"N={size}", "n_jobs=1", fmt_ms(serial), None, checks[size]["identical_results"]],
            [f"N={size}", "n_jobs=2", fmt_ms(parallel), fmt_x(speedup), None],
        ]
        summary.append(
            summary_item(
                f"16-point sweep, N={size} ({checks[size]['seconds_per_point'] * 1e3:.0f} ms "
                "per point): n_jobs=2 vs 1",
                speedup,
                unit="x",
                target=TARGET if size == SIZES[0] else None,
            )
        )
    headers = ["reservoir", "sweep", "best [ms]", "speed-up", "same numbers"]
    print("\n16-point sweeps: memory capacity and largest exponent per point")
    print(format_table(headers, rows))
    print("\n" + format_summary(summary))
    path = write_results(
        NAME,
        {
            "parameters": {"sizes": SIZES, "grid": GRID, "repeats": REPEATS},
            "timings": timings,
            "checks": checks,
            "summary": summary,
            "table": {"headers": headers, "rows": rows},
        },
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
