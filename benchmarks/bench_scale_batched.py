"""Benchmark: batched harvests against the GEMM bound, sparse steps against a bare CSR loop.

What (issue 14, "Kernels at the bound for wide and batched networks"):

- **Batched harvest**: ``WCRNNReservoir(n_units=200).transform(X)`` (last state, a
  rotational residual, tanh) on (a) digits-sized batches, 1797 sequences x 64 steps x
  1 feature (``sklearn.datasets.load_digits`` read pixel by pixel), and (b) 20,000 x
  200 x 1 (uniform input), in float32 and float64. The bound is the same sequence of
  bare GEMMs in NumPy, ``H @ W.T`` with ``H`` of shape (n_sequences, N), once per step.
  Also timed: the harvest in one chunk (no parallel chunks of sequences).
- **Sparse steps**: one series through a CSR W with 10 non-zeros per row, at
  N = 1e4 and 1e5 (``WCRNNReservoir(n_units=N, fan_in=10)``, its own CSR arrays),
  the step timed as ``transform`` with ``sequence_features="last"`` (no state kept;
  ``transform`` returning all T x N states is timed too), against a bare numba CSR
  mat-vec loop over the
  same arrays (the honest bound: compiled, no tanh, no residual) and scipy's ``W @ h``
  in a Python loop. Also a batch of 64 series at N = 1e4, per sequence and step.

How: contenders timed interleaved, best and median of the repeats, ratios within one
run (``_common.time_interleaved``). Threads follow the environment: run once with
``OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1`` (everything on one core; the machine is
shared) and once with the defaults (2 cores); the results go to
``benchmarks/results/bench_scale_batched.json`` (all cores) and
``bench_scale_batched_<n>thread.json`` (fewer).

Targets (issue 14): batched harvest <= 1.1x the GEMM bound; sparse step <= 1.3x the
bare CSR loop.
"""

import numba
import numpy as np
import scipy.sparse as sp
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
from sklearn.datasets import load_digits

from wcrnn_rc import WCRNNReservoir, _config, _kernels
from wcrnn_rc._constants import ACTIVATION_TANH, RESIDUAL_DIAGONAL

NAME = "bench_scale_batched"
N_UNITS = 200
SEED = 0
TARGET_VS_GEMM = 1.1
TARGET_VS_CSR = 1.3
NNZ_PER_ROW = 10
BATCHED = {  # name -> (n_sequences, n_steps, repeats)
    "digits 1797 x 64": (1797, 64, 9),
    "20000 x 200": (20_000, 200, 2),
}
SPARSE = {  # n_units -> (n_steps, repeats)
    10_000: (500, 7),
    100_000: (100, 5),
}
SPARSE_BATCH = 64
BUDGET_S = 240.0


def reservoir(n_units=N_UNITS, **params):
    return WCRNNReservoir(
        n_units=n_units, residual="rotational", residual_scale=0.9, coupling=0.3,
        random_state=SEED, **params,
    )  # fmt: skip


def batch_input(name, n_sequences, n_steps, dtype):
    if name.startswith("digits"):
        digits = load_digits().data
        return (digits / digits.max()).reshape(len(digits), -1, 1).astype(dtype)
    rng = np.random.default_rng(SEED)
    return rng.uniform(-1, 1, size=(n_sequences, n_steps, 1)).astype(dtype)


def gemm_bound(W, n_sequences, n_steps, dtype):
    """The harvest's products alone: ``n_steps`` calls of ``H @ W.T`` in NumPy."""
    H = np.random.default_rng(SEED).standard_normal((n_sequences, W.shape[0])).astype(dtype)
    WT = np.ascontiguousarray(W.T, dtype=dtype)
    out = np.empty_like(H)

    def run():
        for _ in range(n_steps):
            np.matmul(H, WT, out=out)

    return run


def one_chunk(func):
    """``func`` with the batch in one chunk (no parallel chunks of sequences)."""

    def run():
        saved = _config.PARALLEL_MIN_ELEMENTS
        _config.PARALLEL_MIN_ELEMENTS = 1 << 62
        try:
            return func()
        finally:
            _config.PARALLEL_MIN_ELEMENTS = saved

    return run


def bench_batched():
    rows, summary, timings_all = [], [], {}
    for name, (n_sequences, n_steps, repeats) in BATCHED.items():
        for dtype in (np.float32, np.float64):
            X = batch_input(name, n_sequences, n_steps, dtype)
            res = reservoir().fit(X[:64])
            harvest = lambda res=res, X=X: res.transform(X)  # noqa: E731
            contenders = [
                Contender("harvest", harvest, repeats),
                Contender("harvest, one chunk", one_chunk(harvest), repeats),
                Contender(
                    "GEMM bound", gemm_bound(res.recurrent_weights_, *X.shape[:2], dtype), repeats
                ),
            ]
            timings = time_interleaved(contenders, budget_s=BUDGET_S)
            key = f"{name} {np.dtype(dtype).name}"
            timings_all[key] = timings
            bound = best(timings, "GEMM bound")
            for contender, entry in timings.items():
                rows.append(
                    [key, contender, fmt_ms(entry["best_s"]), fmt_ms(entry["median_s"]),
                     entry["repeats"], fmt_x(ratio(entry["best_s"], bound))]
                )  # fmt: skip
            summary.append(
                summary_item(
                    f"harvest / GEMM bound, {key}",
                    ratio(best(timings, "harvest"), bound),
                    unit="x",
                    target=TARGET_VS_GEMM,
                    at_least=False,
                )
            )
            print(f"  {key}: done", flush=True)
    return rows, summary, timings_all


@numba.njit(cache=False, nogil=True)
def bare_csr_loop(indptr, indices, data, h, n_steps):
    """``n_steps`` CSR mat-vecs ``h <- W h``, nothing else (rescaled, so no overflow)."""
    n = h.shape[0]
    out = np.empty_like(h)
    for _ in range(n_steps):
        for i in range(n):
            acc = 0.0
            # unsigned indices: no negative-index wrap-around (as in the kernels)
            for p in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
                acc += data[p] * h[np.uint64(indices[p])]
            out[i] = acc
        h, out = out, h
    return h


def bare(indptr, indices, data, h, n_steps):
    return lambda: bare_csr_loop(indptr, indices, data, h, n_steps)


def kernel_run(indptr, indices, data, n_steps, n_sequences=1):
    """``run_packed`` over CSR arrays (diagonal residual, fused scalar input, tanh)."""
    n_units = len(indptr) - 1
    rng = np.random.default_rng(SEED)
    inputs = rng.uniform(-1, 1, size=(n_steps * n_sequences, 1))
    input_t = rng.uniform(-1, 1, size=(1, n_units))
    bias = rng.uniform(-0.1, 0.1, size=n_units)
    batch_sizes = np.full(n_steps, n_sequences, dtype=np.int64)
    h0 = np.zeros((n_sequences, n_units))
    diag = np.full(n_units, 0.9)
    args = (inputs, input_t, bias, batch_sizes, h0, np.zeros((0, 0)), indptr, indices, data,
            RESIDUAL_DIAGONAL, diag, np.zeros((0, 2, 2)), np.zeros((0, 0)), 0.3,
            ACTIVATION_TANH, np.zeros((0, n_units)))  # fmt: skip
    return lambda: _kernels.run_packed(*args)


def bench_sparse():
    rows, summary, timings_all = [], [], {}
    rng = np.random.default_rng(SEED)
    for n_units, (n_steps, repeats) in SPARSE.items():
        X = rng.uniform(-1, 1, size=(1, n_steps, 1))
        res = reservoir(n_units, fan_in=NNZ_PER_ROW).fit(X)
        network = res.network_
        indptr, indices, data = network.indptr, network.indices, network.data
        # The step: the last state, no state kept. Returning all T x N states also
        # writes (and first touches) the output array, which the bare loop does not.
        last = reservoir(n_units, fan_in=NNZ_PER_ROW, sequence_features="last").fit(X)
        ours = lambda res=last, X=X: res.transform(X)  # noqa: E731
        label = "WCRNNReservoir.transform, last state"
        all_states = lambda res=res, X=X: res.transform(X)  # noqa: E731
        label_all = "WCRNNReservoir.transform, all states"
        h = rng.standard_normal(n_units)
        W = sp.csr_matrix((data, indices, indptr), shape=(n_units, n_units))

        def scipy_loop(W=W, h=h, n_steps=n_steps):
            x = h
            for _ in range(n_steps):
                x = W @ x

        contenders = [
            Contender(label, ours, repeats),
            Contender(label_all, all_states, repeats),
            Contender("bare numba CSR loop", bare(indptr, indices, data, h, n_steps), repeats),
            Contender("scipy W @ h loop", scipy_loop, repeats),
        ]
        if n_units <= 10_000:
            batch = kernel_run(indptr, indices, data, n_steps // 10, SPARSE_BATCH)
            contenders.append(
                Contender(f"kernel run_packed, {SPARSE_BATCH} series, 1/10 steps", batch, repeats)
            )
        timings = time_interleaved(contenders, budget_s=BUDGET_S)
        key = f"N={n_units:.0e}, {int(np.diff(indptr).mean())} nnz/row, {n_steps} steps"
        timings_all[key] = timings
        bound = best(timings, "bare numba CSR loop")
        for contender, entry in timings.items():
            per_step = entry["best_s"] / n_steps
            if "series," in contender:  # a batch, for a tenth of the steps
                per_step = entry["best_s"] / (n_steps // 10) / SPARSE_BATCH
            rows.append(
                [key, contender, fmt_ms(entry["best_s"]), fmt_ms(entry["median_s"]),
                 entry["repeats"], f"{per_step * 1e6:.0f}", fmt_x(per_step * n_steps / bound)]
            )  # fmt: skip
        summary.append(
            summary_item(
                f"sparse step / bare CSR loop, {key}",
                ratio(best(timings, label), bound),
                unit="x",
                target=TARGET_VS_CSR,
                at_least=False,
            )
        )
        summary.append(
            summary_item(
                f"sparse transform returning all states / bare CSR loop, {key}",
                ratio(best(timings, label_all), bound),
                unit="x",
            )
        )
        print(f"  {key}: done", flush=True)
    return rows, summary, timings_all


def main():
    """Time both parts; print the tables and write the JSON."""
    info = machine_info()
    threads = {"numba": numba.get_num_threads()}
    print(machine_line(info))
    print(f"numba threads: {threads['numba']} (chunks of sequences); best of interleaved repeats")
    batched_rows, batched_summary, batched_timings = bench_batched()
    sparse_rows, sparse_summary, sparse_timings = bench_sparse()
    batched_headers = ["case", "contender", "best [ms]", "median [ms]", "repeats", "/ bound"]
    sparse_headers = ["case", "contender", "best [ms]", "median [ms]", "repeats",
                      "us per sequence-step", "/ bare loop"]  # fmt: skip
    print("\n" + format_table(batched_headers, batched_rows))
    print("\n" + format_table(sparse_headers, sparse_rows))
    summary = batched_summary + sparse_summary
    print("\n" + format_summary(summary))
    path = write_results(
        # all cores: the run bench_scale.py reads; fewer: a file of its own
        NAME
        if threads["numba"] == numba.config.NUMBA_DEFAULT_NUM_THREADS
        else f"{NAME}_{threads['numba']}thread",
        {
            "parameters": {
                "n_units": N_UNITS,
                "batched": BATCHED,
                "sparse": SPARSE,
                "nnz_per_row": NNZ_PER_ROW,
                "sparse_batch": SPARSE_BATCH,
                "threads": threads,
            },  # fmt: skip
            "timings": {"batched": batched_timings, "sparse": sparse_timings},
            "summary": summary,
            "tables": {
                "batched": {"headers": batched_headers, "rows": batched_rows},
                "sparse": {"headers": sparse_headers, "rows": sparse_rows},
            },
        },
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
