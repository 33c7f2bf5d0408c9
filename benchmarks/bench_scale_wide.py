"""Benchmark: wide sparse reservoirs (10^4 to 10^5 units, 10 non-zeros per row).

What: the time to fit (draw W, U, b) and to run ``N_STEPS`` steps of one series with
``N_FEATURES`` input features, and the peak memory of doing both, for
``WCRNNReservoir(n_units=N, fan_in=10)``, N in ``N_UNITS``, against

- reservoirpy's ``Reservoir`` (``lr=1``, tanh) given the same W (a scipy CSR array),
  U and b, run in chunks of ``RPY_CHUNK`` steps (its ``run`` returns every state;
  chunks keep its memory comparable with the others, which keep none);
- a bare scipy CSR loop: ``h = tanh(W @ h + U @ x + b)``, the same arithmetic.

The WCRNN is a plain ESN (``residual="none"``, ``coupling=1``), whose step is that
arithmetic, and it runs through its public API: ``transform`` of the series as one
sequence with ``sequence_features="last"``, so that no state is kept. All three use
the same W, U and b (the reservoir's own draw, reproduced from its seeds), and their
last states are checked to agree.

How:

- time: the three contenders interleaved in one process (``time_interleaved``:
  a warm-up call, then ``REPEATS`` rounds, one call of each per round); the median and
  the spread (best, worst) per contender, and ratios of medians from the same run;
- memory: one fresh subprocess per contender and N, which imports, warms the kernels
  up on a tiny network, then builds and runs once; it reports the tracemalloc peak
  (NumPy's allocations) and the growth of the resident memory, ``ru_maxrss`` after
  the build and run less the resident size before them (``/proc/self/statm``), which
  also sees what tracemalloc does not.

Targets (issue 14): peak memory within 2x of W's CSR arrays (16 bytes per non-zero);
the step time at least 2x faster than reservoirpy and within 1.3x of the bare loop.
Run with ``OPENBLAS_NUM_THREADS=1`` on a loaded machine. Results go to
``benchmarks/results/bench_scale_wide.json``.

Run ``python benchmarks/bench_scale_wide.py`` (reservoirpy from the ``bench`` extra;
without it, its rows are reported as failed). ``--quick`` runs N = 10^4 only.
"""

import json
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from _common import (
    Contender,
    failure_reason,
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

NAME = "bench_scale_wide"
N_UNITS = (10_000, 50_000, 100_000)
FAN_IN = 10
N_STEPS = 1000
N_FEATURES = 3
REPEATS = 5
RPY_CHUNK = 10
SEED = 0
CONTENDERS = ("wcrnn_rc", "reservoirpy", "scipy loop")


def _series():
    return np.random.default_rng(SEED).uniform(-1, 1, size=(N_STEPS, N_FEATURES))


def _reservoir(n_units):
    from wcrnn_rc import WCRNNReservoir

    return WCRNNReservoir(
        n_units=n_units,
        fan_in=FAN_IN,
        residual="none",
        coupling=1.0,
        sequence_features="last",
        random_state=SEED,
    )


def _weights(n_units):
    """The reservoir's W (csr_array), U and b, drawn from its seeds without fitting it."""
    from wcrnn_rc.reservoir import input_weight_matrix, random_bias, sparse_recurrent_weights

    seeds = np.random.RandomState(SEED).randint(np.iinfo(np.int32).max, size=4)
    W = sparse_recurrent_weights(n_units, fan_in=FAN_IN, random_state=seeds[1])
    U = input_weight_matrix(n_units, N_FEATURES, random_state=seeds[2])
    b = random_bias(n_units, scaling=0.1, random_state=seeds[3])
    return W, U, b


class _Wcrnn:
    def __init__(self, n_units, X):
        self.X = X[None]
        self.res = _reservoir(n_units).fit(X)

    def run(self):
        return self.res.transform(self.X)[0]


class _ScipyLoop:
    def __init__(self, n_units, X):
        self.X = X
        self.W, self.U, self.b = _weights(n_units)

    def run(self):
        W, U, b = self.W, self.U, self.b
        h = np.zeros(W.shape[0])
        for x in self.X:
            pre = W @ h
            pre += U @ x
            pre += b
            h = np.tanh(pre, out=pre)
        return h


class _Reservoirpy:
    def __init__(self, n_units, X):
        from reservoirpy.nodes import Reservoir

        self.X = X
        W, U, b = _weights(n_units)
        self.node = Reservoir(W=W, Win=U, bias=b, lr=1.0)
        self.node.initialize(X[:1])

    def run(self):
        self.node.state = {"out": np.zeros(self.node.units)}
        for start in range(0, len(self.X), RPY_CHUNK):
            self.node.run(self.X[start : start + RPY_CHUNK])
        return np.asarray(self.node.state["out"])


BUILDERS = {"wcrnn_rc": _Wcrnn, "reservoirpy": _Reservoirpy, "scipy loop": _ScipyLoop}


def _current_rss():
    """Resident memory now (bytes), from /proc/self/statm; ru_maxrss where unreadable."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _memory_case(contender, n_units):
    """In a fresh process: fit time, tracemalloc peak and ru_maxrss growth of one case."""
    X = _series()
    BUILDERS[contender](50, X[:20]).run()  # imports and compiled kernels loaded first
    rss0 = _current_rss()
    tracemalloc.start()
    start = time.perf_counter()
    case = BUILDERS[contender](n_units, X)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    case.run()
    run_s = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "fit_s": fit_s,
        "run_once_s": run_s,
        "tracemalloc_peak": peak,
        "rss_growth": rss1 - rss0,
    }


def _measure_memory(contender, n_units):
    script = str(Path(__file__).resolve())
    command = [sys.executable, script, "--memory-case", contender, str(n_units)]
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=900, check=True)
        return {"status": "ok", **json.loads(out.stdout.strip().splitlines()[-1])}
    except subprocess.CalledProcessError as exc:
        lines = exc.stderr.strip().splitlines()
        return {"status": "failed", "reason": lines[-1] if lines else f"exit {exc.returncode}"}
    except Exception as exc:
        return {"status": "failed", "reason": failure_reason(exc)}


def _spread(entry):
    if entry.get("status") != "ok":
        return None
    return {
        "median_s": entry["median_s"],
        "best_s": entry["best_s"],
        "worst_s": max(entry["times_s"]),
        "per_step_us": entry["median_s"] / N_STEPS * 1e6,
    }


def _median(timings, name):
    entry = timings.get(name, {})
    return entry.get("median_s") if entry.get("status") == "ok" else None


def run_case(n_units):
    X = _series()
    built, timings, failures = {}, {}, {}
    for name, builder in BUILDERS.items():
        try:
            built[name] = builder(n_units, X)
        except Exception as exc:  # a missing or broken peer is reported, not fatal
            failures[name] = {"status": "failed", "reason": failure_reason(exc)}
    finals = {}

    def timed(name):
        def call():
            finals[name] = built[name].run()

        return call

    contenders = [Contender(name, timed(name), repeats=REPEATS) for name in built]
    timings = {**time_interleaved(contenders), **failures}
    reference = finals.get("scipy loop")
    agreement = {
        name: float(np.max(np.abs(state - reference)))
        for name, state in finals.items()
        if reference is not None and name != "scipy loop"
    }
    memory = {name: _measure_memory(name, n_units) for name in BUILDERS}
    csr_bytes = 16 * n_units * FAN_IN + 8 * (n_units + 1)
    ours = memory["wcrnn_rc"]
    wcrnn, rpy, loop = (_median(timings, name) for name in CONTENDERS)
    return {
        "n_units": n_units,
        "nnz": n_units * FAN_IN,
        "csr_bytes": csr_bytes,
        "timings": timings,
        "spread": {name: _spread(entry) for name, entry in timings.items()},
        "max_abs_state_difference_vs_scipy_loop": agreement,
        "memory": memory,
        "ratios": {
            "reservoirpy_over_wcrnn": ratio(rpy, wcrnn),
            "wcrnn_over_scipy_loop": ratio(wcrnn, loop),
            "peak_over_csr": ratio(ours.get("tracemalloc_peak"), csr_bytes),
            "rss_growth_over_csr": ratio(ours.get("rss_growth"), csr_bytes),
        },
    }


def _mb(value):
    return None if value is None else f"{value / 1e6:.1f}"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--memory-case"]:
        print(json.dumps(_memory_case(argv[1], int(argv[2]))))
        return
    n_units_list = N_UNITS[:1] if "--quick" in argv else N_UNITS
    info = machine_info()
    print(machine_line(info))
    cases = []
    for n_units in n_units_list:
        print(f"N = {n_units} ...", flush=True)
        cases.append(run_case(n_units))

    headers = ["N", "contender", "fit [s]", "run median [ms]", "best-worst [ms]", "us/step",
               "tracemalloc peak [MB]", "rss growth [MB]"]  # fmt: skip
    rows = []
    for case in cases:
        for name in CONTENDERS:
            spread = case["spread"].get(name)
            memory = case["memory"][name]
            ok = memory["status"] == "ok"
            rows.append([
                case["n_units"],
                name,
                f"{memory['fit_s']:.2f}" if ok else memory.get("reason"),
                None if spread is None else f"{spread['median_s'] * 1e3:.0f}",
                None if spread is None else f"{spread['best_s'] * 1e3:.0f}-"
                f"{spread['worst_s'] * 1e3:.0f}",
                None if spread is None else f"{spread['per_step_us']:.0f}",
                _mb(memory.get("tracemalloc_peak")),
                _mb(memory.get("rss_growth")),
            ])  # fmt: skip
    summary = []
    for case in cases:
        n, r = case["n_units"], case["ratios"]
        summary += [
            summary_item(f"N={n}: wcrnn peak / CSR arrays", r["peak_over_csr"], unit="x",
                         target=2.0, at_least=False),
            summary_item(f"N={n}: reservoirpy time / wcrnn time", r["reservoirpy_over_wcrnn"],
                         unit="x", target=2.0),
            summary_item(f"N={n}: wcrnn time / scipy loop time", r["wcrnn_over_scipy_loop"],
                         unit="x", target=1.3, at_least=False),
        ]  # fmt: skip
    print(format_table(headers, rows))
    for case in cases:
        print(f"N={case['n_units']}: CSR arrays {_mb(case['csr_bytes'])} MB; ratios "
              + ", ".join(f"{k} {fmt_x(v)}" for k, v in case["ratios"].items())
              + f"; last-state difference vs the scipy loop "
              f"{case['max_abs_state_difference_vs_scipy_loop']}")  # fmt: skip
    print("\n" + format_summary(summary))
    path = write_results(
        NAME,
        {
            "parameters": {
                "n_units": n_units_list,
                "fan_in": FAN_IN,
                "n_steps": N_STEPS,
                "n_features": N_FEATURES,
                "repeats": REPEATS,
                "reservoirpy_chunk": RPY_CHUNK,
                "seed": SEED,
            },
            "cases": cases,
            "summary": summary,
            "table": {"headers": headers, "rows": rows},
            "median_of_medians_us_per_step": {
                name: statistics.median(
                    c["spread"][name]["per_step_us"] for c in cases if c["spread"].get(name)
                )
                for name in CONTENDERS
                if any(c["spread"].get(name) for c in cases)
            },
        },
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
