"""Machine-tuned thresholds, each with the measurement behind it, and BLAS thread control.

The values were measured on the project's 2-core x86-64 machines (AVX-512, OpenBLAS);
the benchmark named beside each one re-measures it. They only move work between
equivalent code paths: changing one changes speed, never results beyond rounding.

This module imports only the standard library (threadpoolctl lazily), so that every
other module can read it.
"""

import contextlib
import functools
import threading

# W runs as CSR when at most this fraction of its entries is non-zero; above it a
# dense product is faster. One series and a batch cross over at different densities,
# since a batch reuses each dense row of W across sequences (benchmarks/bench_sparse.py:
# crossovers 0.08-0.12 for one series and 0.015-0.033 for a batch of 256).
SPARSE_MAX_DENSITY = {"series": 0.1, "batch": 0.02}

# Largest window (rows x units) of states run at once; longer inputs run in windows, so
# a streamed fit holds one window (16 MB in float64) however long the series.
WINDOW_ELEMENTS = 1 << 21

# Up to this many input features, U x_t is applied inside the step; above it, one GEMM
# per window computes the drive U x_t + b first (benchmarks/bench_single_series.py).
MAX_FUSED_FEATURES = 16

# Dense products with k * N at most this (e.g. one series of N <= 256 units) run as a
# plain loop in the kernel: below it, BLAS call overhead outweighs the arithmetic.
# numba compiles this value into the cached kernels: after changing it, clear the
# numba cache (wcrnn_rc._numba_cache.user_cache_dir(), or NUMBA_CACHE_DIR), whose
# index tracks _kernels.py only.
SMALL_PRODUCT_ROWS_X_UNITS = 256

# A CSR product over at least CSR_BATCH_MIN_ROWS sequences reads each row of W once
# per block of CSR_BATCH_BLOCK sequences, whose states it transposes into an (N, block)
# scratch; fewer sequences run one mat-vec each. Measured with 10 non-zeros per row at
# N = 1e4 (2 loaded cores), per sequence and step: 16 sequences 0.18 instead of 0.41 ms
# in float64 and 0.10 instead of 0.29 ms in float32; for one sequence the plain
# mat-vec was 3.7x faster than a transposed block. The block is 8, accumulated in
# eight scalar lanes (the kernel's loop is written for 8): per sequence and unit on
# AVX2, 1.9 against 2.7 ns with a 16-wide accumulator array at 300 units, fan-in 4,
# 200 sequences, and 6.6 against 7.7 ns at 1e4 units, fan-in 10, 64 sequences (16
# scalar lanes: 2.7 and 7.1 ns). benchmarks/bench_scale_batched.py times a batch of
# 64 against the bare mat-vec loop. numba compiles both into the cached kernels (see
# SMALL_PRODUCT_ROWS_X_UNITS).
CSR_BATCH_BLOCK = 8
CSR_BATCH_MIN_ROWS = 4

# A batched run steps its sequences in blocks of about SEQUENCE_BLOCK_BYTES per
# (block, N) array (at least SEQUENCE_BLOCK_MIN_ROWS sequences, so that a dense
# product stays a GEMM BLAS runs at full speed), each block through every step of a
# window: the step's elementwise passes (input, residual, tanh, the running sum) then
# find their arrays in the core's cache instead of streaming (n_sequences, N) arrays
# from memory. Measured on one thread (AVX-512, N = 200, rotational residual, last
# state), harvest / the bare GEMMs: 20,000 x 200 in float64 1.34x unblocked, 0.99-1.06x
# in blocks; digits 1797 x 64 in float64 1.41x, 1.00-1.09x; in float32 1.45-1.62x,
# 1.31-1.58x. N = 50: 1.3x faster; 300 units of fan-in 4 (CSR): 1.2-1.3x faster;
# N = 1000 and 2000: unchanged with 512 rows (256 rows: up to 9 % slower in float32).
# numba compiles both into the cached kernels (see SMALL_PRODUCT_ROWS_X_UNITS).
SEQUENCE_BLOCK_BYTES = 1 << 19
SEQUENCE_BLOCK_MIN_ROWS = 512

# A batched run splits its sequences into chunks that run in parallel threads (one per
# numba thread, see _kernels.parallel_chunks) when every chunk gets at least
# PARALLEL_MIN_CHUNK_SEQUENCES sequences and the run at least PARALLEL_MIN_ELEMENTS
# states (below it, starting the threads costs more than they save). With a dense W
# the product is already threaded by BLAS; PARALLEL_CHUNKS_DENSE says whether chunks
# (on one BLAS thread each) beat that. They did (benchmarks/bench_scale_batched.py,
# 2 loaded cores, N = 200, digits 1797 x 64: 184 instead of 436 ms in float32, 213
# instead of 319 ms in float64; 20,000 x 200: 1.5-1.9x faster), since chunks need no
# synchronisation per step. One series (or fewer than 2 chunks' worth) runs serially.
PARALLEL_MIN_CHUNK_SEQUENCES = 16
PARALLEL_MIN_ELEMENTS = 1 << 18
PARALLEL_CHUNKS_DENSE = True

# Memory capacity: up to this many multiply-adds in the readout's products (about
# N = 400 with the defaults) one BLAS thread is faster than two (2 cores: N = 100 took
# 6 instead of 20 ms, N = 400 245 instead of 347 ms; N = 800 2.3 instead of 1.6 s).
MEMORY_SINGLE_THREAD_MAX_WORK = 4e9

# Lyapunov spectra: per-step products of up to this many multiply-adds (k * N**2) run
# faster on one BLAS thread than on two (2 cores, N = k = 100: 55 instead of 92 us per
# step; N = k = 400: 2.4 instead of 1.5 ms, so larger ones keep the default threads).
LYAPUNOV_SINGLE_THREAD_MAX_WORK = 10_000_000


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController  # a dependency of scikit-learn

    return ThreadpoolController()


def single_blas_thread():
    """Context manager: BLAS (NumPy's, SciPy's, numba's calls) on one thread inside.

    The limit is process-wide. Made once per process (about 3 ms), then about 10 us per
    use.
    """
    return _blas_controller().limit(limits=1, user_api="blas")


def blas_threads_for(work, single_thread_max_work):
    """One BLAS thread for small ``work`` (multiply-adds), else the default.

    On small products, thread start-up and synchronisation cost more than they save.
    Only the main thread changes the limit: the limit is process-wide, so a worker
    thread (a threaded sweep) setting and restoring it would race with its siblings;
    such callers set the limit once around the whole parallel run instead.
    """
    if work > single_thread_max_work or threading.current_thread() is not threading.main_thread():
        return contextlib.nullcontext()
    return single_blas_thread()


# The torch backend's fused recurrence (wcrnn_rc.torch): up to this many units its
# per-step products run inside one numba call (np.dot); above it, a Python loop over
# steps does them with NumPy's matmul around per-step numba kernels. numba calls the
# BLAS that SciPy bundles, which was 3.5x slower than NumPy's for (32, 256) @ (256, 256)
# in float32 (OpenBLAS 0.3.30 vs 0.3.31: 11.9 vs 3.4 ms for 64 products) and even at
# N = 64; the loop costs about 10 us per step (benchmarks/bench_torch.py --timing).
FUSED_NUMBA_GEMM_MAX_UNITS = 160
