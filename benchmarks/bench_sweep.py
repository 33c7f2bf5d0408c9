"""Benchmark: parallel parameter sweeps, on threads and on worker processes, against one job.

The sweep: ``parameter_sweep(WCRNNReservoir(n_units=N), grid)`` over 4 residual
scales x 4 couplings, measuring the memory capacity and the largest Lyapunov
exponent of each network. Two cases:

- **cold** (the headline): a 16-point, 2-seed sweep of 200-unit networks, each timed
  in a fresh Python process, as a script or the command line runs it: ``n_jobs=1``
  against ``n_jobs=2`` on threads (the sweep's default backend) and on loky worker
  processes (``parallel_config(backend="loky", inner_max_num_threads=1)``), whose
  workers must start and import wcrnn_rc first. The figure is the sweep call's own
  time in that process (the imports of the process itself are the same for all three
  and are reported beside it, with the whole process's wall time). The three run in
  turn, round after round, and the speed-ups are taken round by round, so a change
  in the machine's load hits both sides of a ratio.
- **warm**: N = 200 and 400, one seed, in this process after an untimed warm-up call
  (the loky workers then already run, as for any later sweep in a session).

Every run of a sweep uses one BLAS thread whatever the backend, so the numbers are
identical (checked: the cold children print a digest of their results).

A control runs before each cold round: two threads of GEMMs (one BLAS thread each,
GIL released) against one. It is about 2 on two idle cores and falls towards 1 when
other sessions hold a core (the kernel shares the CPU between sessions, so a busy
neighbour leaves this process one core however many threads it runs); no parallel
sweep can beat it, so read the speed-ups next to it.

Run ``python benchmarks/bench_sweep.py`` on an otherwise idle machine (the ratio is
about cores). It writes ``benchmarks/results/bench_sweep.json``.
"""

import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

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

NAME = "bench_sweep"
GRID = {"residual_scale": [0.8, 0.9, 0.95, 0.99], "coupling": [0.01, 0.05, 0.1, 0.3]}
TARGET = 1.6
COLD_UNITS, COLD_SEEDS, COLD_ROUNDS = 200, 2, 7
COLD_CASES = (("serial", 1), ("threads", 2), ("loky", 2))
WARM_SIZES = (200, 400)
WARM_CASES = (("serial", 1), ("threads", 2), ("loky", 2))
WARM_REPEATS = 3


def _backend(kind):
    import joblib

    if kind == "loky":
        return joblib.parallel_config(backend="loky", inner_max_num_threads=1)
    if kind == "threads":
        return joblib.parallel_config(backend="threading")
    return nullcontext()


def sweep(kind, n_jobs, n_units, n_seeds):
    from wcrnn_rc import WCRNNReservoir
    from wcrnn_rc.sweeps import parameter_sweep

    with _backend(kind):
        return parameter_sweep(
            WCRNNReservoir(n_units=n_units), GRID, n_seeds=n_seeds, n_jobs=n_jobs, random_state=0
        )


def digest(results):
    """A hash of every per-run value: equal digests, identical numbers."""
    h = hashlib.sha256()
    for key in sorted(k for k in results if k.startswith("seed")):
        h.update(key.encode() + np.ascontiguousarray(results[key]).tobytes())
    return h.hexdigest()[:16]


def child(kind, n_jobs):
    """One cold run (``--child``): imports, the sweep, a JSON line with the timings."""
    start = time.perf_counter()
    import wcrnn_rc.sweeps  # noqa: F401  (the process's own imports, timed apart)

    imported = time.perf_counter()
    results = sweep(kind, n_jobs, COLD_UNITS, COLD_SEEDS)
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "import_s": imported - start,
                "sweep_s": done - imported,
                "digest": digest(results),
                "mean_memory_capacity": results["mean_memory_capacity"].tolist(),
                "mean_max_lyapunov": results["mean_max_lyapunov"].tolist(),
            }
        )
    )


def cold_run(kind, n_jobs):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(n_jobs)],
        capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    wall = time.perf_counter() - start
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "process_wall_s": wall}


def available_parallelism(size=500, products=20):
    """How much faster two threads do GEMMs than one, right now: a control.

    Each thread multiplies on one BLAS thread, with the GIL released, so on two idle
    cores this is about 2; where other sessions hold a core (the kernel shares CPU
    between sessions), it falls towards 1, and no parallel sweep can beat it.
    """
    import threading

    from threadpoolctl import threadpool_limits

    a = np.random.default_rng(0).random((size, size))

    def work():
        for _ in range(products):
            a @ a

    times = {}
    with threadpool_limits(limits=1, user_api="blas"):
        for n in (1, 2):
            threads = [threading.Thread(target=work) for _ in range(n)]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            times[n] = time.perf_counter() - start
    return 2 * times[1] / times[2]


def spread(values):
    return {
        "min": min(values),
        "median": statistics.median(values),
        "max": max(values),
    }


def cold_case():
    runs = {kind: [] for kind, _ in COLD_CASES}
    loads, control = [], []
    for _ in range(COLD_ROUNDS):
        loads.append(os.getloadavg()[0])
        control.append(available_parallelism())
        for kind, n_jobs in COLD_CASES:
            runs[kind].append(cold_run(kind, n_jobs))
    speedups = {
        kind: [s["sweep_s"] / r["sweep_s"] for s, r in zip(runs["serial"], runs[kind], strict=True)]
        for kind, _ in COLD_CASES
        if kind != "serial"
    }
    digests = {run["digest"] for kind in runs for run in runs[kind]}
    return {
        "runs": runs,
        "sweep_s": {kind: spread([r["sweep_s"] for r in runs[kind]]) for kind in runs},
        "import_s": {kind: spread([r["import_s"] for r in runs[kind]]) for kind in runs},
        "process_wall_s": {
            kind: spread([r["process_wall_s"] for r in runs[kind]]) for kind in runs
        },
        "speedup_vs_serial": {kind: spread(values) for kind, values in speedups.items()},
        "identical_results": len(digests) == 1,
        "load_average_1min_at_rounds": loads,
        "control_two_gemm_threads_vs_one": spread(control),
        "control_at_rounds": control,
        "mean_memory_capacity": runs["serial"][0]["mean_memory_capacity"],
        "mean_max_lyapunov": runs["serial"][0]["mean_max_lyapunov"],
    }


def warm_case():
    contenders = [
        Contender(
            f"N={size}, {kind}, n_jobs={n}",
            lambda size=size, kind=kind, n=n: sweep(kind, n, size, 1),
            repeats=WARM_REPEATS,
        )
        for size in WARM_SIZES
        for kind, n in WARM_CASES
    ]
    timings = time_interleaved(contenders)
    checks = {}
    for size in WARM_SIZES:
        results = {kind: sweep(kind, n, size, 1) for kind, n in WARM_CASES}
        checks[size] = {
            "identical_results": len({digest(r) for r in results.values()}) == 1,
            "seconds_per_point": float(results["serial"]["mean_time"].mean()),
        }
    return timings, checks


def main():
    print(machine_line(machine_info()))
    cold = cold_case()
    rows = []
    for kind, n_jobs in COLD_CASES:
        s = cold["sweep_s"][kind]
        x = cold["speedup_vs_serial"].get(kind)
        rows.append(
            [
                f"{kind}, n_jobs={n_jobs}",
                f"{s['min']:.2f} / {s['median']:.2f} / {s['max']:.2f}",
                None if x is None else f"{x['min']:.2f} / {x['median']:.2f} / {x['max']:.2f}",
                f"{cold['import_s'][kind]['median']:.2f}",
                f"{cold['process_wall_s'][kind]['median']:.2f}",
            ]
        )
    cold_headers = [
        "backend", "sweep [s] min/med/max", "speed-up min/med/max", "imports [s]",
        "process [s]",
    ]  # fmt: skip
    print(
        f"\nCold start: 16 points x {COLD_SEEDS} seeds, N={COLD_UNITS}, a fresh process per run "
        f"({COLD_ROUNDS} rounds; identical numbers: {cold['identical_results']}; 1-min load "
        f"{min(cold['load_average_1min_at_rounds']):.1f}-{max(cold['load_average_1min_at_rounds']):.1f})"
    )
    c = cold["control_two_gemm_threads_vs_one"]
    print(
        f"control: two GEMM threads vs one, {c['min']:.2f} / {c['median']:.2f} / {c['max']:.2f}x "
        "(min/med/max; about 2 on two idle cores)"
    )
    print(format_table(cold_headers, rows))

    timings, checks = warm_case()
    warm_rows, summary = [], []
    summary.append(
        summary_item(
            f"cold 16-point x {COLD_SEEDS}-seed sweep, N={COLD_UNITS}: n_jobs=2 (threads, "
            "default) vs 1, median",
            cold["speedup_vs_serial"]["threads"]["median"],
            unit="x",
            target=TARGET,
        )
    )
    summary.append(
        summary_item(
            "control: two GEMM threads vs one (the parallelism the machine gave), median",
            cold["control_two_gemm_threads_vs_one"]["median"],
            unit="x",
        )
    )
    summary.append(
        summary_item(
            "the same, n_jobs=2 on loky processes vs 1, median",
            cold["speedup_vs_serial"]["loky"]["median"],
            unit="x",
        )
    )
    for size in WARM_SIZES:
        serial = best(timings, f"N={size}, serial, n_jobs=1")
        for kind, n in WARM_CASES:
            t = best(timings, f"N={size}, {kind}, n_jobs={n}")
            warm_rows.append(
                [
                    f"N={size}",
                    f"{kind}, n_jobs={n}",
                    fmt_ms(t),
                    None if kind == "serial" else fmt_x(ratio(serial, t)),
                    checks[size]["identical_results"] if kind == "serial" else None,
                ]
            )
        summary.append(
            summary_item(
                f"warm 16-point sweep, N={size} ({checks[size]['seconds_per_point'] * 1e3:.0f} ms "
                "per point): threads n_jobs=2 vs 1",
                ratio(serial, best(timings, f"N={size}, threads, n_jobs=2")),
                unit="x",
            )
        )
    warm_headers = ["reservoir", "sweep", "best [ms]", "speed-up", "same numbers"]
    print("\nWarm: 16 points x 1 seed, in this process (loky workers already started)")
    print(format_table(warm_headers, warm_rows))
    print("\n" + format_summary(summary))
    path = write_results(
        NAME,
        {
            "parameters": {
                "grid": GRID,
                "cold": {"n_units": COLD_UNITS, "n_seeds": COLD_SEEDS, "rounds": COLD_ROUNDS},
                "warm": {"sizes": WARM_SIZES, "repeats": WARM_REPEATS},
            },
            "cold": cold,
            "timings": timings,
            "checks": checks,
            "summary": summary,
            "table": {"headers": warm_headers, "rows": warm_rows},
            "cold_table": {"headers": cold_headers, "rows": rows},
        },
    )
    print(f"\nwrote {path}")


ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
