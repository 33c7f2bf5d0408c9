"""Shared helpers of the wcrnn_rc benchmark scripts.

The machine these scripts run on is small and shared, so absolute times are noise.
Every script therefore:

- times its contenders *interleaved* (one call of each per round, for several rounds)
  and keeps the best call of each, so that a slow spell hits all contenders alike;
- pauses before every timed call, so that BLAS threads left spinning by one
  contender do not slow the next (``SETTLE_S``);
- excludes a warm-up call (numba JIT compilation, for wcrnn_rc and for echoes);
- reports *ratios* of best times measured within one run;
- writes what it measured, with a description of the machine, to
  ``benchmarks/results/<name>.json``.

A peer library that fails to import or to run is reported as failed, with the reason,
and the script carries on.
"""

import copy
import cProfile
import datetime
import functools
import importlib.metadata
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
PACKAGES = (
    "numpy",
    "scipy",
    "scikit-learn",
    "numba",
    "wcrnn-rc",
    "reservoirpy",
    "echoes",
    "PyRCN",
    "torch",
    "threadpoolctl",
)
# Pause before every timed call. NumPy and SciPy each bundle their own OpenBLAS, and
# numba-compiled code (wcrnn_rc's kernels) calls SciPy's. After a call, an OpenBLAS
# pool keeps its worker threads spinning for a while (about 0.1 s by default); on a
# 2-core machine the next contender, if it uses the *other* pool, then shares its
# cores with those spinning threads. Measured here: two such contenders alternated
# without a pause each ran about 1.5x slower than alone; 0.1 s of pause removed it.
SETTLE_S = 0.2
THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------


@dataclass
class Contender:
    """One thing to time.

    Parameters
    ----------
    name : str
        Row label.
    func : callable
        Called with no argument; one call is one measurement.
    repeats : int, default=5
        Number of timed calls; the best one is kept.
    warmup : bool, default=True
        Whether one untimed call comes first (JIT compilation, caches).
    """

    name: str
    func: Callable[[], object]
    repeats: int = 5
    warmup: bool = True


def failure_reason(exc):
    """One line naming an exception, for a "failed: <reason>" row."""
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0] if message else ''}".strip()


def failed(reason):
    """A timings entry for a contender that could not be timed."""
    return {"status": "failed", "reason": reason}


def time_interleaved(contenders, *, budget_s=None, settle_s=SETTLE_S):
    """Time contenders round-robin and keep the best call of each.

    Contenders with fewer repeats than others sit out some rounds, spread evenly, so
    that every contender samples the whole run.

    Parameters
    ----------
    contenders : list of Contender
    budget_s : float, default=None
        No new round starts once this many seconds have passed (a bound on the
        run time when the machine is slow); None runs every repeat.
    settle_s : float, default=SETTLE_S
        Pause before each timed call, so that BLAS worker threads woken by the
        previous call have gone back to sleep (see ``SETTLE_S``).

    Returns
    -------
    timings : dict
        ``name -> {"status": "ok", "best_s", "median_s", "times_s", "repeats"}``
        (``repeats`` counts the calls actually timed), or ``{"status": "failed",
        "reason"}`` for a contender that raised.
    """
    timings = {}
    active = []
    for contender in contenders:
        try:
            if contender.warmup:
                contender.func()
        except Exception as exc:  # a peer may break in any way; report and go on
            timings[contender.name] = failed(f"failed: {failure_reason(exc)}")
            continue
        timings[contender.name] = {"status": "ok", "times_s": []}
        active.append(contender)
    n_rounds = max((c.repeats for c in active), default=0)
    # A contender with fewer repeats runs in rounds spread evenly over the whole run.
    rounds = {c.name: {i * n_rounds // c.repeats for i in range(c.repeats)} for c in active}
    start_all = time.perf_counter()
    for round_index in range(n_rounds):
        if budget_s is not None and round_index and time.perf_counter() - start_all > budget_s:
            break
        for contender in active:
            entry = timings[contender.name]
            if entry["status"] != "ok" or round_index not in rounds[contender.name]:
                continue
            time.sleep(settle_s)
            try:
                start = time.perf_counter()
                contender.func()
                entry["times_s"].append(time.perf_counter() - start)
            except Exception as exc:
                timings[contender.name] = failed(f"failed: {failure_reason(exc)}")
    for entry in timings.values():
        if entry["status"] == "ok":
            entry["repeats"] = len(entry["times_s"])
            entry["best_s"] = min(entry["times_s"])
            entry["median_s"] = statistics.median(entry["times_s"])
    return timings


def best(timings, name):
    """Best time of ``name`` in seconds, or None when it failed or is absent."""
    entry = timings.get(name)
    if entry is None or entry["status"] != "ok":
        return None
    return entry["best_s"]


def ratio(numerator, denominator):
    """``numerator / denominator``, or None when either is missing."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


# --------------------------------------------------------------------------------------
# Where the time goes
# --------------------------------------------------------------------------------------


def profile_breakdown(func, *, top=6):
    """Own time per function of one call of ``func``, from cProfile.

    Numba dispatchers (``run_packed``) show up as single calls, and NumPy operators
    (``@``, ``+=``) are counted in the Python function that uses them, so the own
    time of a wrapper is its array arithmetic.

    Parameters
    ----------
    func : callable
        Called once with no argument.
    top : int, default=6
        Number of functions listed, largest own time first.

    Returns
    -------
    breakdown : dict
        ``{"total_s", "functions": [{"function", "calls", "own_s", "share"}]}``.
    """
    profiler = cProfile.Profile()
    profiler.enable()
    func()
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    total = sum(own for (_, _, own, _, _) in stats.values())
    rows = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    functions = [
        {
            "function": f"{Path(filename).name}:{funcname}",
            "calls": int(n_calls),
            "own_s": own,
            "share": own / total if total else None,
        }
        for (filename, _, funcname), (_, n_calls, own, _, _) in rows
    ]
    return {"total_s": total, "functions": functions}


def format_breakdown(breakdown):
    """Indented text lines for a :func:`profile_breakdown` result."""
    lines = [f"  cProfile of one call: {breakdown['total_s'] * 1e3:.1f} ms in all"]
    for row in breakdown["functions"]:
        lines.append(
            f"    {row['share']:6.1%}  {row['own_s'] * 1e3:8.1f} ms  "
            f"{row['calls']:>6} calls  {row['function']}"
        )
    return lines


def activation_cost(reservoir, X, *, repeats, budget_s=None):
    """Time ``reservoir.transform(X)`` as it is and with an identity activation.

    The difference is the cost of evaluating the activation (tanh) in the kernel;
    everything else (products, residual, copies) is the same in both runs.

    Parameters
    ----------
    reservoir : WCRNNReservoir
        A fitted reservoir; it is copied, not changed.
    X : array-like
        Input to transform.
    repeats : int
        Timed calls of each.
    budget_s : float, default=None
        Passed to :func:`time_interleaved`.

    Returns
    -------
    timings : dict
        As returned by :func:`time_interleaved`, with keys ``"as is"`` and
        ``"identity"``.
    """
    linear = copy.deepcopy(reservoir).set_params(activation="identity")
    return time_interleaved(
        [
            Contender("as is", lambda: reservoir.transform(X), repeats),
            Contender("identity", lambda: linear.transform(X), repeats),
        ],
        budget_s=budget_s,
    )


def format_activation_cost(timings):
    """One line: transform time with tanh and with identity, and tanh's share."""
    with_tanh, identity = best(timings, "as is"), best(timings, "identity")
    share = None
    if with_tanh is not None and identity is not None:
        share = f"{(with_tanh - identity) / with_tanh:.0%}"
    return (
        f"  transform with tanh {fmt_ms(with_tanh)} ms, with identity activation "
        f"{fmt_ms(identity)} ms: tanh is {share or '-'} of it"
    )


# --------------------------------------------------------------------------------------
# Peers
# --------------------------------------------------------------------------------------


def try_setup(setup):
    """Run a peer's setup; return ``(value, None)`` or ``(None, reason)``.

    Parameters
    ----------
    setup : callable
        Imports the peer and builds what will be timed.
    """
    try:
        return setup(), None
    except ImportError as exc:
        return None, f"not installed: {failure_reason(exc)}"
    except Exception as exc:  # an API that differs from the one coded against
        return None, f"failed: {failure_reason(exc)}"


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def format_table(headers, rows):
    """A fixed-width text table; ``None`` cells print as ``-``."""
    cells = [[("-" if cell is None else str(cell)) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join([line, rule, *body])


def fmt_x(value, digits=2):
    """A ratio as ``"3.21x"``, or None."""
    return None if value is None else f"{value:.{digits}f}x"


def fmt_ms(seconds):
    """Seconds as milliseconds text, or None."""
    return None if seconds is None else f"{seconds * 1e3:.1f}"


def verdict(value, target, *, at_least):
    """Whether a measured value meets a target: True, False, or None if unmeasured."""
    if value is None:
        return None
    return value >= target if at_least else value <= target


def fmt_verdict(met):
    """``met`` / ``MISSED`` / ``not measured``."""
    return {True: "met", False: "MISSED", None: "not measured"}[met]


def summary_item(metric, value, *, unit, target=None, at_least=True):
    """One headline figure with its target (None: no target), for the summaries."""
    if target is None:
        return {"metric": metric, "value": value, "unit": unit, "target": None, "met": None}
    comparison = ">=" if at_least else "<="
    return {
        "metric": metric,
        "value": value,
        "unit": unit,
        "target": f"{comparison} {target:g}{unit}",
        "met": verdict(value, target, at_least=at_least),
    }


SUMMARY_HEADERS = ["figure", "measured", "target", "verdict"]


def summary_rows(items):
    """Rows (figure, measured, target, verdict) for :func:`summary_item` results."""
    rows = []
    for item in items:
        value = item["value"]
        shown = None if value is None else f"{value:.3g}{item['unit']}"
        if item["target"] is None:
            judged = "no target" if value is not None else "not measured"
        else:
            judged = fmt_verdict(item["met"])
        rows.append([item["metric"], shown, item["target"], judged])
    return rows


def format_summary(items):
    """A text table of :func:`summary_item` results."""
    return format_table(SUMMARY_HEADERS, summary_rows(items))


# --------------------------------------------------------------------------------------
# Machine and results
# --------------------------------------------------------------------------------------


def _cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _vector_isa():
    """The CPU LLVM compiles numba's kernels for, and its widest vector extension.

    The same CPU model can run with AVX-512 or without it (a hypervisor may hide it),
    and the kernels' elementwise work runs about twice as wide with it.
    """
    try:
        import llvmlite.binding as llvm

        features = llvm.get_host_cpu_features()
        cpu = llvm.get_host_cpu_name()
    except (ImportError, RuntimeError):
        return None
    widest = next(
        (name.upper() for name in ("avx512f", "avx2", "avx", "sse4.2") if features.get(name)),
        None,
    )
    return {"llvm_cpu": cpu, "widest_vector_extension": widest}


def _versions():
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def _threadpools():
    try:
        from threadpoolctl import threadpool_info
    except ImportError as exc:
        return f"threadpoolctl not installed: {exc}"
    return [
        {
            "user_api": pool.get("user_api"),
            "internal_api": pool.get("internal_api"),
            "num_threads": pool.get("num_threads"),
            "library": Path(pool.get("filepath", "")).name,
        }
        for pool in threadpool_info()
    ]


def blas_thread_probe(size=384, repeats=7):
    """Best time of one GEMM with the default BLAS threads over that with one thread.

    On a shared virtual machine the second core is sometimes busy elsewhere, and then
    multi-threaded BLAS is *slower* than one thread. This ratio (below 1: threads
    help) tells the reader which case a run was in; it changes no setting.
    """
    try:
        import numpy as np
        from threadpoolctl import threadpool_limits
    except ImportError as exc:
        return f"unavailable: {exc}"
    a = np.random.default_rng(0).standard_normal((size, size))

    def product():
        a @ a

    with threadpool_limits(limits=1, user_api="blas"):
        single = time_interleaved([Contender("one thread", product, repeats)])
    default = time_interleaved([Contender("default", product, repeats)])
    return ratio(best(default, "default"), best(single, "one thread"))


def source_revision():
    """The git commit of the checkout, and whether ``wcrnn_rc/`` differs from it."""
    root = Path(__file__).resolve().parent.parent

    def git(*args):
        completed = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True
        )
        return completed.stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        modified = bool(git("status", "--porcelain", "--", "wcrnn_rc"))
    except (OSError, subprocess.CalledProcessError) as exc:
        return {"commit": None, "wcrnn_rc_modified": None, "error": str(exc)}
    return {"commit": commit, "wcrnn_rc_modified": modified}


@functools.cache
def machine_info():
    """Machine, versions and thread settings, for the results file (computed once).

    Threading is left at its defaults; this only records it.
    """
    try:
        import numba

        numba_threads = numba.config.NUMBA_NUM_THREADS
    except ImportError:
        numba_threads = None
    return {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "vector_isa": _vector_isa(),
        "logical_cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "versions": _versions(),
        "thread_env": {name: os.environ.get(name) for name in THREAD_ENV_VARS},
        "numba_num_threads": numba_threads,
        "threadpools": _threadpools(),
        "blas_default_over_one_thread": blas_thread_probe(),
    }


def machine_line(info):
    """One line describing the machine and its BLAS threading."""
    pools = info["threadpools"]
    if isinstance(pools, list):
        blas = ", ".join(f"{p['internal_api']}x{p['num_threads']}" for p in pools) or "none"
    else:
        blas = pools
    probe = info.get("blas_default_over_one_thread", "BLAS thread probe not recorded")
    if isinstance(probe, float):
        probe = f"a GEMM with default threads took {probe:.2f}x its one-thread time"
    isa = info.get("vector_isa") or {}
    cpu = info["cpu"] if not isa else f"{info['cpu']} ({isa['widest_vector_extension']})"
    return (
        f"machine: {cpu}, {info['logical_cpus']} logical CPUs, Python "
        f"{info['python']}; default threading (thread pools: {blas}); {probe}"
    )


def write_results(name, payload):
    """Write ``payload`` plus metadata to ``results/<name>.json``; return the path.

    The file is replaced atomically (written to ``<name>.json.tmp`` first).
    """
    RESULTS_DIR.mkdir(exist_ok=True)
    record = {
        "benchmark": name,
        "command": f"python benchmarks/{name}.py",
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "source": source_revision(),
        "machine": machine_info(),
        **payload,
    }
    path = RESULTS_DIR / f"{name}.json"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2, default=json_default) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def json_default(value):
    """``json.dumps(default=...)`` for results: NumPy values, arrays and estimators."""
    if hasattr(value, "item"):  # NumPy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "get_params"):  # an estimator in a setting (a residual object)
        return {"class": type(value).__name__, **value.get_params(deep=False)}
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
