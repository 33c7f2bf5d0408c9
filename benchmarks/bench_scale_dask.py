"""Benchmark: a harvest of 10^5 sequences on a 2-process dask cluster, against one process.

What: ``WCRNNReservoir(n_units=100, sequence_features="both").transform`` of
100,000 sequences of 50 steps and 2 features (float64; the 80 MB input gives a 160 MB
feature matrix), as a dask array chunked over sequences on a loopback
``distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1)``,
against the same ``transform`` of the same data as one NumPy array in this process.

How:

- The cluster's input is drawn on the workers (``da.random.default_rng(0)``, chunked
  over sequences), so it never passes through this process; the in-process
  contenders get the same array computed once (checked equal on the first block).
- Contenders, timed interleaved (one call of each per round, warm-up excluded, best
  and median kept, ``_common.time_interleaved``): in process with the default BLAS
  threads and with one BLAS thread; on the cluster with 1000, 5000 and 25,000
  sequences per block (100, 20 and 4 tasks), the features kept on the workers
  (``persist`` and wait: the harvest alone); at 5000 per block, also gathered into
  this process (``compute``), and with the input sent from this process
  (``da.from_array`` of the NumPy array) and the features gathered.
- Overheads stated apart: the cluster's start-up (``LocalCluster`` plus ``Client``,
  started twice) and its first computation (the workers import wcrnn_rc and load the
  numba cache); the pickled estimator that each worker receives once (size, pickle
  and unpickle times); the cost of one task, from 2000 short sequences in 200 blocks
  against the same in one block.
- A control, as in bench_sweep.py: how much faster two threads do GEMMs than one,
  right now. It is about 2 on two idle cores and falls towards 1 when other sessions
  hold a core; no 2-process cluster can beat it.

Target (issue 14): none is set; the figures to report are the throughput against
in-process and the overhead. On a machine with two cores the cluster can at best
match in-process BLAS-threaded throughput (both use two cores); the gain of a
cluster is more machines and memory, not speed on one.

Run ``python benchmarks/bench_scale_dask.py`` (``--n-sequences`` for a shorter run);
it needs the distributed extra and writes ``benchmarks/results/bench_scale_dask.json``.
"""

import argparse
import pickle
import statistics
import time
import warnings

import numpy as np
from _common import (
    Contender,
    format_summary,
    format_table,
    machine_info,
    machine_line,
    summary_item,
    time_interleaved,
    write_results,
)

NAME = "bench_scale_dask"
N_SEQUENCES, N_STEPS, N_FEATURES, N_UNITS = 100_000, 50, 2, 100
FEATURES = "both"
CHUNKS = (1000, 5000, 25_000)
HEADLINE_CHUNK = 5000
REPEATS = 3
STARTS = 2
TASK_PROBE = {"n_sequences": 2000, "n_steps": 5, "blocks": 200}


def _cluster():
    import distributed

    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
    )
    return cluster, distributed.Client(cluster)


def _spread(values):
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def _control():
    from bench_sweep import available_parallelism

    return available_parallelism()


def start_up():
    """Seconds to start the cluster and client (twice), and for the first compute."""
    starts = []
    for _ in range(STARTS):
        start = time.perf_counter()
        cluster, client = _cluster()
        starts.append(time.perf_counter() - start)
        client.close()
        cluster.close()
    return _spread(starts)


def serialisation(reservoir):
    import cloudpickle

    payload = cloudpickle.dumps(reservoir, protocol=5)
    dumps = min(_timed(lambda: cloudpickle.dumps(reservoir, protocol=5)) for _ in range(5))
    loads = min(_timed(lambda: pickle.loads(payload)) for _ in range(5))
    return {"payload_bytes": len(payload), "pickle_s": dumps, "unpickle_s": loads}


def _timed(func):
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def per_task_overhead(reservoir, client):
    """Seconds one task adds: many short blocks against one block of the same data."""
    import dask.array as da

    n, steps, blocks = TASK_PROBE["n_sequences"], TASK_PROBE["n_steps"], TASK_PROBE["blocks"]
    rng = da.random.default_rng(1)
    many = rng.standard_normal((n, steps, N_FEATURES), chunks=(n // blocks, -1, -1))
    one = many.rechunk({0: -1}).persist()
    many = many.persist()

    def run(X):
        out = reservoir.transform(X).persist()
        client.gather(client.futures_of(out))

    timings = time_interleaved(
        [
            Contender(f"{blocks} blocks", lambda: run(many), repeats=5),
            Contender("1 block", lambda: run(one), repeats=5),
        ]
    )
    extra = timings[f"{blocks} blocks"]["best_s"] - timings["1 block"]["best_s"]
    return {**TASK_PROBE, "timings": timings, "seconds_per_task": extra / (blocks - 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sequences", type=int, default=N_SEQUENCES)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args(argv)
    n_seq = args.n_sequences
    chunks = tuple(c for c in CHUNKS if c <= n_seq) or (n_seq,)
    headline = HEADLINE_CHUNK if HEADLINE_CHUNK in chunks else chunks[0]

    import dask
    import dask.array as da
    from threadpoolctl import threadpool_limits

    from wcrnn_rc import WCRNNReservoir

    print(machine_line(machine_info()))
    control_before = _control()
    startup = start_up()
    print(f"cluster start-up: {startup['median']:.2f} s (median of {STARTS})")

    cluster, client = _cluster()
    try:
        start = time.perf_counter()
        client.run(lambda: bool(__import__("wcrnn_rc")))
        import_s = time.perf_counter() - start
        shape = (n_seq, N_STEPS, N_FEATURES)
        # One draw, rechunked for the other block sizes: the same numbers in each.
        drawn = da.random.default_rng(0).standard_normal(shape, chunks=(headline, -1, -1))
        inputs = {c: drawn.rechunk({0: c}).persist() for c in chunks}
        X = inputs[headline].compute()  # the same numbers, in this process
        reservoir = WCRNNReservoir(n_units=N_UNITS, sequence_features=FEATURES, random_state=0)
        reservoir.fit(X[:100])

        start = time.perf_counter()
        first = reservoir.transform(inputs[headline][:headline]).compute()
        first_compute_s = time.perf_counter() - start
        np.testing.assert_allclose(first, reservoir.transform(X[:headline]), rtol=1e-10)
        for c in chunks:  # the inputs of every chunking hold the same numbers
            np.testing.assert_array_equal(inputs[c][:10].compute(), X[:10])

        def in_process():
            reservoir.transform(X)

        def one_thread():
            with threadpool_limits(limits=1):
                reservoir.transform(X)

        def on_cluster(c, gather=False):
            out = reservoir.transform(inputs[c])
            if gather:
                return out.compute()
            out = out.persist()
            client.gather(client.futures_of(out))  # wait, and raise any task's error

        def from_client():
            Xd = da.from_array(X, chunks=(headline, -1, -1))
            with warnings.catch_warnings():  # "Sending large graph": what this measures
                warnings.filterwarnings("ignore", message="Sending large graph")
                return reservoir.transform(Xd).compute()

        contenders = [
            Contender("in process", in_process, repeats=args.repeats),
            Contender("in process, 1 BLAS thread", one_thread, repeats=args.repeats),
            *[
                Contender(
                    f"cluster, {c} per block ({-(-n_seq // c)} tasks)",
                    lambda c=c: on_cluster(c),
                    repeats=args.repeats,
                    warmup=c == chunks[0],
                )
                for c in chunks
            ],
            Contender(
                f"cluster, {headline} per block, gathered",
                lambda: on_cluster(headline, gather=True),
                repeats=args.repeats,
                warmup=False,
            ),
            Contender(
                f"cluster, {headline} per block, input sent and gathered",
                from_client,
                repeats=args.repeats,
                warmup=False,
            ),
        ]
        with dask.config.set(scheduler=client):
            timings = time_interleaved(contenders)
            task = per_task_overhead(reservoir, client)
        serial = serialisation(reservoir)
    finally:
        client.close()
        cluster.close()
    control_after = _control()

    base = timings["in process"]["best_s"]
    rows = []
    for name, entry in timings.items():
        if entry["status"] != "ok":
            rows.append([name, entry["reason"], None, None, None])
            continue
        rows.append(
            [
                name,
                f"{entry['best_s']:.2f}",
                f"{entry['median_s']:.2f}",
                f"{n_seq / entry['best_s']:,.0f}",
                f"{base / entry['best_s']:.2f}x",
            ]
        )
    headers = ["harvest", "best [s]", "median [s]", "sequences/s", "vs in process"]
    print(
        f"\n{n_seq} sequences x {N_STEPS} steps x {N_FEATURES} features, N={N_UNITS}, "
        f'"{FEATURES}"; 2 worker processes x 1 thread; {args.repeats} repeats'
    )
    print(format_table(headers, rows))
    print(
        f"control: two GEMM threads vs one, {control_before:.2f}x before and "
        f"{control_after:.2f}x after (about 2 on two idle cores)"
    )
    print(
        f"overheads: start-up {startup['median']:.2f} s, first import on the workers "
        f"{import_s:.2f} s, first compute {first_compute_s:.2f} s; the estimator pickles "
        f"to {serial['payload_bytes'] / 1e3:.0f} kB ({serial['pickle_s'] * 1e3:.2f} ms, "
        f"unpickled in {serial['unpickle_s'] * 1e3:.2f} ms per block); one task adds "
        f"{task['seconds_per_task'] * 1e3:.1f} ms"
    )
    headline_name = contenders[2 + chunks.index(headline)].name
    cluster_best = timings[headline_name]["best_s"]
    summary = [
        summary_item(
            f"throughput, cluster ({headline} per block) / in process",
            base / cluster_best,
            unit="x",
        ),
        summary_item(
            "throughput, cluster / in process with 1 BLAS thread",
            timings["in process, 1 BLAS thread"]["best_s"] / cluster_best,
            unit="x",
        ),
        summary_item("cluster start-up", startup["median"], unit=" s"),
        summary_item("overhead per task", task["seconds_per_task"] * 1e3, unit=" ms"),
    ]
    print("\n" + format_summary(summary))
    path = write_results(
        NAME,
        {
            "parameters": {
                "n_sequences": n_seq,
                "n_steps": N_STEPS,
                "n_features": N_FEATURES,
                "n_units": N_UNITS,
                "sequence_features": FEATURES,
                "chunks": chunks,
                "headline_chunk": headline,
                "repeats": args.repeats,
                "cluster": "LocalCluster(n_workers=2, processes=True, threads_per_worker=1)",
            },
            "timings": timings,
            "startup_s": startup,
            "worker_import_s": import_s,
            "first_compute_s": first_compute_s,
            "serialisation": serial,
            "per_task": task,
            "control_two_gemm_threads_vs_one": {"before": control_before, "after": control_after},
            "summary": summary,
            "table": {"headers": headers, "rows": rows},
        },
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
