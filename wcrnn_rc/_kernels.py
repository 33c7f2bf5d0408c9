"""All numba-compiled code of wcrnn_rc.

Every ``@njit`` function of the library lives here, so that numba's on-disk cache
(which does not track changes across files) stays consistent. This module imports
only the standard library, numpy, numba (its ``njit`` through ``_numba_cache``, which
keeps that cache out of the package directory) and ``_constants`` and ``_config``. Callers
validate the input, cast it to one canonical layout (C-contiguous float32 or
float64) and call these kernels; ``wcrnn_rc._network`` holds their operands.

Kernels never write to their inputs and never draw random numbers; each one has a
plain-NumPy twin in ``tests/naive.py``.

The recurrence (DESIGN.md section 1) for a batch of sequences is::

    a_t = W h_{t-1} + drive_t            (drive_t = U x_t + b, computed by one GEMM)
    h_t = rho(h_{t-1}) + eps * f(a_t)

Plain-Python helpers at the end of the module (``parallel_chunks``, ``run_chunks``)
split a batch into chunks of sequences that these ``nogil`` kernels run in parallel
threads.

Sequences are stored *packed*, time-major, as in PyTorch's ``PackedSequence``: the
sequences are sorted by decreasing length, and step ``t`` holds the rows of the
``batch_sizes[t]`` sequences that are still running, which are always a prefix of
the batch. A single series is a batch of one; a 3-D batch has constant batch sizes.
Each step is then one ``(k, N) @ (N, N)`` product over the running prefix. A large
batch runs in blocks of sequences (``_config.SEQUENCE_BLOCK_BYTES``), each block
through every step, so that a step's arrays stay in cache.
"""

import threading

import numba
import numpy as np
from numba.extending import intrinsic

from . import _config
from ._config import (
    CSR_BATCH_BLOCK,
    CSR_BATCH_MIN_ROWS,
    SEQUENCE_BLOCK_BYTES,
    SEQUENCE_BLOCK_MIN_ROWS,
    SMALL_PRODUCT_ROWS_X_UNITS,
)
from ._constants import (
    ACTIVATION_RELU,
    ACTIVATION_TANH,
    RESIDUAL_BLOCKS,
    RESIDUAL_DENSE,
    RESIDUAL_DIAGONAL,
    RESIDUAL_TANH,
)

# numba.njit, with a cache outside the package directory (or none, with a warning)
from ._numba_cache import njit

# fastmath stays off: the hot path is BLAS (unaffected), and reassociation would break
# the exact leaky-ESN equalities the tests check.
_FASTMATH = False
# Division never raises inside kernels (IEEE results instead), which lets LLVM
# vectorise the elementwise loops (measured: _tanh over 3e6 values ran 9x faster).
_ERROR_MODEL = "numpy"

# Integer codes and thresholds live in modules without numba, so that their users need
# not import it; numba compiles their values in as constants.
_SMALL_PRODUCT_ROWS_X_UNITS = SMALL_PRODUCT_ROWS_X_UNITS
_CSR_BATCH_BLOCK = CSR_BATCH_BLOCK
assert _CSR_BATCH_BLOCK == 8, "_recurrent_product's batched CSR loop has eight lanes"
_CSR_BATCH_MIN_ROWS = CSR_BATCH_MIN_ROWS
_SEQUENCE_BLOCK_BYTES = SEQUENCE_BLOCK_BYTES
_SEQUENCE_BLOCK_MIN_ROWS = SEQUENCE_BLOCK_MIN_ROWS


# 2^n for the exps in tanh, built from its IEEE bits: LLVM vectorises the shift and
# the bit cast on any x86-64, where an int64 -> float conversion is a vector
# instruction only with AVX-512 (AVX2 ran it scalar: tanh took 1.4x as long).
def _bit_cast(int_type, float_type):
    """An integer's bits read as a float of the same width: a numba intrinsic (NumPy's
    ``view`` with the JIT off)."""
    if numba.config.DISABLE_JIT:
        return lambda bits: np.dtype(int_type.name).type(bits).view(float_type.name)

    @intrinsic
    def from_bits(typingctx, bits):
        def codegen(context, builder, signature, args):
            value = context.cast(builder, args[0], signature.args[0], int_type)
            return builder.bitcast(value, context.get_value_type(float_type))

        return float_type(bits), codegen

    return from_bits


_float64_from_bits = _bit_cast(numba.types.int64, numba.types.float64)
_float32_from_bits = _bit_cast(numba.types.int32, numba.types.float32)


# tanh alone may contract a * b + c into one FMA (1.3x faster on AVX-512; the results
# stay within the tested ulp bounds); the step's own arithmetic keeps _FASTMATH.
_TANH_FASTMATH = {"contract"}


@njit(cache=True, fastmath=_TANH_FASTMATH, error_model=_ERROR_MODEL)
def _tanh(x):
    """tanh in plain arithmetic (within 2 ulp of libm), so LLVM can vectorise it.

    libm's scalar ``tanh`` cost more than the GEMM of a batched step. Cephes' rational
    approximation ``a + a z P(z) / Q(z)`` for ``|x| <= 0.625``, else
    ``1 - 2 / (exp(2|x|) + 1)`` with Cephes' range-reduced exp; ``|x|`` is clamped at
    20, where tanh is 1 in double precision. Both branches share one division (it
    dominated the cost: three divisions took 1.4x as long).
    """
    a = min(abs(x), 20.0)
    z = a * a
    p_small = (
        -9.64399179425052238628e-1 * z - 9.92877231001918586564e1
    ) * z - 1.61468768441708447952e3
    q_small = (
        (z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3
    ) * z + 4.84406305325125486048e3
    y = 2.0 * a
    n = np.floor(1.4426950408889634 * y + 0.5)  # y = n log(2) + r, |r| <= log(2) / 2
    r = y - n * 6.93145751953125e-1 - n * 1.42860682030941723212e-6
    rr = r * r
    p = r * (
        (1.26177193074810590878e-4 * rr + 3.02994407707441961300e-2) * rr
        + 9.99999999999999999910e-1
    )
    q = (
        (3.00198505138664455042e-6 * rr + 2.52448340349684104192e-3) * rr
        + 2.27265548208155028766e-1
    ) * rr + 2.00000000000000000009e0
    # exp(y) = 2^n (q + p) / (q - p), so 1 - 2 / (exp(y) + 1) = 1 - 2 (q - p) / den
    q_minus_p = q - p
    two_n = _float64_from_bits((np.int64(np.int32(n)) + 1023) << 52)  # 0 <= n <= 58
    den_large = (q + p) * two_n + q_minus_p
    small = a <= 0.625
    inverse = 1.0 / (q_small if small else den_large)
    value = a + a * z * p_small * inverse if small else 1.0 - 2.0 * q_minus_p * inverse
    return np.copysign(value, x)


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL)
def _activate(a, activation):
    if activation == ACTIVATION_TANH:
        return _tanh(a)
    if activation == ACTIVATION_RELU:
        return max(a, 0.0)
    return a


# Cephes' tanhf in float32 arithmetic: a polynomial for |x| <= 0.625, else
# 1 - 2 / (exp(2|x|) + 1) with expf's range reduction and polynomial (one division).
# Within 1.3 float32 ulp of tanh; the float64 _tanh on float32 states took 1.7x as long.
_F32 = np.float32
_TANH32_SMALL = (
    _F32(-5.70498872745e-3),
    _F32(2.06390887954e-2),
    _F32(-5.37397155531e-2),
    _F32(1.33314422036e-1),
    _F32(-3.33332819422e-1),
)
_EXP32 = (
    _F32(1.9875691500e-4),
    _F32(1.3981999507e-3),
    _F32(8.3334519073e-3),
    _F32(4.1665795894e-2),
    _F32(1.6666665459e-1),
    _F32(5.0000001201e-1),
)


@njit(cache=True, fastmath=_TANH_FASTMATH, error_model=_ERROR_MODEL)
def _tanh32(x):
    """tanh of a float32 in float32 arithmetic (Cephes' tanhf; |x| clamped at 10)."""
    x = np.float32(x)
    a = min(abs(x), _F32(10.0))  # NaN stays NaN (min keeps its first argument)
    z = a * a
    c = _TANH32_SMALL
    small = a + a * z * ((((c[0] * z + c[1]) * z + c[2]) * z + c[3]) * z + c[4])
    y = a + a
    n = np.floor(_F32(1.44269504088896341) * y + _F32(0.5))  # y = n log(2) + r
    r = y - n * _F32(0.693359375) - n * _F32(-2.12194440e-4)
    e = _EXP32
    rr = r * r
    p = (((((e[0] * r + e[1]) * r + e[2]) * r + e[3]) * r + e[4]) * r + e[5]) * rr + r + _F32(1.0)
    exp_y = p * _float32_from_bits((np.int32(n) + 127) << 23)  # 0 <= n <= 29
    large = _F32(1.0) - _F32(2.0) / (exp_y + _F32(1.0))
    return np.copysign(small if a <= _F32(0.625) else large, x)


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL)
def _update_states(res, pre, k, coupling, activation, h, total):
    """h[:k] = res + eps f(pre), then total[:k] += h[:k] unless ``total`` has no rows.

    Branch-free loop bodies, one per activation and dtype, so that LLVM vectorises
    them (one loop with the activation chosen per element did not vectorise: 4x slower
    in float32). The sum is a pass of its own over the rows, which are in cache: in a
    block of 655 x 200, float32, 0.74-0.81 ns per state against 0.93-0.95 ns for the
    sum inside the update's loop, and 0.55 ns without it.
    """
    n_units = h.shape[1]
    # eps in the state dtype: a float64 eps made a float32 update float64 arithmetic,
    # converted both ways (0.75 against 0.52 ns per state, a 655 x 200 block).
    eps = np.empty(1, h.dtype)
    eps[0] = coupling
    c = eps[0]
    if activation == ACTIVATION_TANH:
        if h.itemsize == 4:
            for b in range(k):
                for i in range(n_units):
                    h[b, i] = res[b, i] + c * _tanh32(pre[b, i])
        else:
            for b in range(k):
                for i in range(n_units):
                    h[b, i] = res[b, i] + c * _tanh(pre[b, i])
    elif activation == ACTIVATION_RELU:
        zero = np.zeros(1, h.dtype)[0]
        for b in range(k):
            for i in range(n_units):
                h[b, i] = res[b, i] + c * max(pre[b, i], zero)
    else:
        for b in range(k):
            for i in range(n_units):
                h[b, i] = res[b, i] + c * pre[b, i]
    if total.shape[0] > 0:
        for b in range(k):
            for i in range(n_units):
                total[b, i] += h[b, i]


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL)
def _pair_columns(blocks):
    """The 2x2 blocks of a block residual as two rows of per-unit coefficients.

    ``pairs[0, i]`` multiplies the first unit of unit i's pair and ``pairs[1, i]`` the
    second: ``rho(h)[2p + r] = pairs[0, 2p + r] h[2p] + pairs[1, 2p + r] h[2p + 1]``,
    the same products and sums as ``blocks[p] @ h[2p : 2p + 2]``. Read with unit
    stride, they made the residual pass 2.2x (float64) to 4.4x (float32) faster than
    the blocks read as rows of 4 (a 655 x 200 block of states).
    """
    n_blocks = blocks.shape[0]
    pairs = np.empty((2, 2 * n_blocks), blocks.dtype)
    for p in range(n_blocks):
        for r in range(2):
            pairs[0, 2 * p + r] = blocks[p, r, 0]
            pairs[1, 2 * p + r] = blocks[p, r, 1]
    return pairs


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL)
def _apply_residual(h, k, kind, diag, pairs, dense_t, out):
    """Write rho(h[:k]) into out[:k]; h is (B, N), out has the same shape.

    ``pairs`` holds a block residual's coefficients as ``_pair_columns`` gives them.
    """
    n_units = h.shape[1]
    if kind == RESIDUAL_DENSE:
        np.dot(h[:k], dense_t, out[:k])
    elif kind == RESIDUAL_DIAGONAL:
        for b in range(k):
            for i in range(n_units):
                out[b, i] = diag[i] * h[b, i]
    elif kind == RESIDUAL_TANH:
        if h.itemsize == 4:  # float32 arithmetic for float32 states, as in _update_states
            for b in range(k):
                for i in range(n_units):
                    out[b, i] = diag[i] * _tanh32(h[b, i])
        else:
            for b in range(k):
                for i in range(n_units):
                    out[b, i] = diag[i] * _tanh(h[b, i])
    elif kind == RESIDUAL_BLOCKS:
        n_blocks = pairs.shape[1] // 2
        first, second = pairs[0], pairs[1]
        for b in range(k):
            h_row = h[b]
            out_row = out[b]
            for p in range(n_blocks):
                x0 = h_row[2 * p]
                x1 = h_row[2 * p + 1]
                out_row[2 * p] = first[2 * p] * x0 + second[2 * p] * x1
                out_row[2 * p + 1] = first[2 * p + 1] * x0 + second[2 * p + 1] * x1
            if 2 * n_blocks < n_units:  # odd N: one trailing 1x1 block
                out_row[n_units - 1] = diag[n_units - 1] * h_row[n_units - 1]
    else:  # RESIDUAL_NONE
        for b in range(k):
            for i in range(n_units):
                out[b, i] = 0.0


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL)
def _recurrent_product(h, k, recurrent_t, indptr, indices, data, out, scratch):
    """Write W h[:k] into out[:k]: dense (one GEMM) or CSR sparse W.

    ``scratch`` comes from ``_product_scratch`` (unused by the dense path).
    """
    if indptr.shape[0] == 0:
        if k * recurrent_t.shape[0] <= _SMALL_PRODUCT_ROWS_X_UNITS:
            # A BLAS call costs more than the arithmetic of a small product: axpy rows.
            n_units = h.shape[1]
            for b in range(k):
                for i in range(n_units):
                    out[b, i] = 0.0
                for j in range(n_units):
                    hj = h[b, j]
                    for i in range(n_units):
                        out[b, i] += hj * recurrent_t[j, i]
        else:
            np.dot(h[:k], recurrent_t, out[:k])
        return
    n_units = h.shape[1]
    # Unsigned positions and column indices: numba then drops its negative-index
    # wrap-around (measured: 1.4x faster mat-vecs at N = 1e4, as fast as scipy's).
    if k < _CSR_BATCH_MIN_ROWS:
        for b in range(k):
            for i in range(n_units):
                acc = 0.0
                for p in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
                    acc += data[p] * h[b, np.uint64(indices[p])]
                out[b, i] = acc
        return
    # A batch: each CSR row is read once per block of 8 sequences, whose states are
    # transposed into ``scratch`` (n_units, 8), so that a row's products accumulate in
    # eight scalars LLVM keeps in vector registers (an accumulator array in memory
    # took 1.2-1.4x as long on AVX2: its loads and stores, and their alias checks).
    # Each lane sums its row in the stored order, as the one-sequence loop does.
    zero = np.zeros(1, out.dtype)[0]  # the accumulators in the state dtype, as before
    for b0 in range(0, k, _CSR_BATCH_BLOCK):
        nb = min(_CSR_BATCH_BLOCK, k - b0)
        for b in range(nb):
            for j in range(n_units):
                scratch[j, b] = h[b0 + b, j]
        for b in range(nb, _CSR_BATCH_BLOCK):  # a partial block: idle lanes read zeros
            for j in range(n_units):
                scratch[j, b] = zero
        for i in range(n_units):
            a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = zero
            for p in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
                w = data[p]
                r = scratch[np.uint64(indices[p])]
                a0 += w * r[0]
                a1 += w * r[1]
                a2 += w * r[2]
                a3 += w * r[3]
                a4 += w * r[4]
                a5 += w * r[5]
                a6 += w * r[6]
                a7 += w * r[7]
            if nb == _CSR_BATCH_BLOCK:
                out[b0, i] = a0
                out[b0 + 1, i] = a1
                out[b0 + 2, i] = a2
                out[b0 + 3, i] = a3
                out[b0 + 4, i] = a4
                out[b0 + 5, i] = a5
                out[b0 + 6, i] = a6
                out[b0 + 7, i] = a7
            else:
                lanes = (a0, a1, a2, a3, a4, a5, a6, a7)
                for b in range(nb):
                    out[b0 + b, i] = lanes[b]


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL)
def _sequence_block(n_seq, n_units, itemsize):
    """How many sequences a batched run steps together (``_config.SEQUENCE_BLOCK_BYTES``)."""
    rows = max(_SEQUENCE_BLOCK_MIN_ROWS, _SEQUENCE_BLOCK_BYTES // (n_units * itemsize))
    return max(1, min(n_seq, rows))


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL)
def _product_scratch(h, indptr):
    """Scratch for ``_recurrent_product``: a transposed block of states for a CSR W."""
    rows = h.shape[1] if indptr.shape[0] > 0 and h.shape[0] >= _CSR_BATCH_MIN_ROWS else 0
    return np.empty((rows, _CSR_BATCH_BLOCK), h.dtype)


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL)
def _add_low_rank(h, k, left_t, right, out):
    """Add ``left_t.T @ (right @ h[b])`` to out[b] for b < k: a rank-m term U V of W.

    ``right @ h[b]`` is one BLAS GEMV (measured at N = 2000: 1.3 us for 3 rows and
    13 us for 64, against 6.8 and 25 us for a loop over the units with the rows
    inside, and 4.9 and 107 us for one reduction per row); the rank-one updates are
    loops that vectorise.
    """
    n_units = h.shape[1]
    m = right.shape[0]
    if m == 0:
        return
    z = np.empty(m, out.dtype)
    for b in range(k):
        np.dot(right, h[b], z)
        for j in range(m):
            zj = z[j]
            for i in range(n_units):
                out[b, i] += zj * left_t[j, i]


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL)
def _add_input(inputs, row, k, input_t, bias, out):
    """Add U x + b to out[:k] for the k packed rows starting at ``row``.

    With an empty ``input_t``, ``inputs`` already holds the drive ``U x + b``.
    """
    n_units = out.shape[1]
    if input_t.shape[0] == 0:
        for b in range(k):
            for i in range(n_units):
                out[b, i] += inputs[row + b, i]
        return
    # The bias and the first feature in one pass (the same sums, in the same order):
    # one pass fewer over out.
    for b in range(k):
        x = inputs[row + b, 0]
        for i in range(n_units):
            out[b, i] = (out[b, i] + bias[i]) + x * input_t[0, i]
        for j in range(1, input_t.shape[0]):
            x = inputs[row + b, j]
            for i in range(n_units):
                out[b, i] += x * input_t[j, i]


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL)
def _step(inputs, row, k, input_t, bias, h, recurrent_t, indptr, indices, data,
          residual_kind, residual_diag, residual_pairs, residual_dense_t, coupling,
          activation, pre, res, total, scratch):  # fmt: skip
    """One step of rows :k of h (in place), adding the new states to ``total``.

    The product, then the elementwise work, each over the k rows: blocking the rows
    within a step (blocks of 128 after the whole product, or one row at a time in one
    fused pass) was no faster at N = 200 (1797 and 20,000 rows); the kernels instead
    run cache-sized blocks of sequences through all the steps (``_sequence_block``).
    """
    _recurrent_product(h, k, recurrent_t, indptr, indices, data, pre, scratch)
    _add_input(inputs, row, k, input_t, bias, pre)
    _apply_residual(h, k, residual_kind, residual_diag, residual_pairs, residual_dense_t, res)
    _update_states(res, pre, k, coupling, activation, h, total)


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL, nogil=True)
def run_packed(
    inputs,
    input_t,
    bias,
    batch_sizes,
    h0,
    recurrent_t,
    indptr,
    indices,
    data,
    residual_kind,
    residual_diag,
    residual_blocks,
    residual_dense_t,
    coupling,
    activation,
    states,
    first=0,
):
    """Run the WCRNN recurrence over packed sequences (or a chunk of them).

    Compiled lazily for float32 and float64; expected signature (F = float dtype)::

        (F[:, ::1], F[:, ::1], F[::1], i8[::1], F[:, ::1], F[:, ::1], i8[::1], i8[::1],
         F[::1], i8, F[::1], F[:, :, ::1], F[:, ::1], f8, i8, F[:, ::1], i8)

    Parameters
    ----------
    inputs : ndarray of shape (n_rows, n_features) or (n_rows, n_units)
        Packed inputs x_t, time-major (see the module docstring); or, when
        ``input_t`` is empty, the precomputed drive ``U x_t + b``.
    input_t : ndarray of shape (n_features, n_units) or (0, n_units)
        ``U.T``, applied inside the step (cheap for few features); empty when
        ``inputs`` is the drive (many features: one GEMM outside is faster).
    bias : ndarray of shape (n_units,)
        b, used with ``input_t``.
    batch_sizes : ndarray of shape (n_steps,), dtype int64
        Number of running sequences at each step, non-increasing.
    h0 : ndarray of shape (n_sequences, n_units)
        Initial states, in the packed (sorted) order.
    recurrent_t : ndarray of shape (n_units, n_units)
        ``W.T``, used when ``indptr`` is empty (dense W).
    indptr, indices, data : ndarray
        CSR arrays of W (not transposed); empty ``indptr`` selects the dense path.
    residual_kind : int
        One of the ``RESIDUAL_*`` constants.
    residual_diag : ndarray of shape (n_units,)
        Diagonal of a diagonal residual, per-unit scale of the tanh residual, or
        the trailing 1x1 block of a block residual with odd ``n_units``.
    residual_blocks : ndarray of shape (n_units // 2, 2, 2)
        2x2 blocks of a block-diagonal residual.
    residual_dense_t : ndarray of shape (n_units, n_units)
        ``R.T`` for a dense residual.
    coupling : float
        The coupling eps.
    activation : int
        One of the ``ACTIVATION_*`` constants.
    states : ndarray of shape (n_rows, n_units) or (0, n_units)
        Output: receives the packed states, row-aligned with ``inputs``; with zero
        rows, no state is stored. The only array the kernel writes to.
    first : int, default=0
        Run only the chunk of sequences ``first, ..., first + len(h0) - 1`` (in packed
        order) of the pack that ``inputs``, ``batch_sizes`` and ``states`` describe;
        ``h0`` and the outputs are the chunk's. Chunks run in parallel threads
        (``parallel_chunks``); their rows of ``states`` do not overlap.

    Returns
    -------
    last : ndarray of shape (n_sequences, n_units)
        The state of each sequence after its last step.
    total : ndarray of shape (n_sequences, n_units), float64
        The sum of each sequence's states over its steps, accumulated in float64.
    """
    n_seq, n_units = h0.shape
    h = h0.copy()
    total = np.zeros(h0.shape, np.float64)  # float64 whatever the state dtype (long runs)
    store_states = states.shape[0] > 0
    block = _sequence_block(n_seq, n_units, h0.itemsize)
    pre = np.empty((block, n_units), h0.dtype)
    res = np.empty_like(pre)
    scratch = _product_scratch(pre, indptr)
    pairs = _pair_columns(residual_blocks)
    for s0 in range(0, n_seq, block):  # each block of sequences through every step
        s1 = min(s0 + block, n_seq)
        h_block, total_block = h[s0:s1], total[s0:s1]
        row = first + s0  # this block's first row at each step
        for t in range(batch_sizes.shape[0]):
            k = min(batch_sizes[t] - first - s0, s1 - s0)
            if k <= 0:  # batch sizes do not increase: this block has ended
                break
            _step(inputs, row, k, input_t, bias, h_block, recurrent_t, indptr, indices,
                  data, residual_kind, residual_diag, pairs, residual_dense_t,
                  coupling, activation, pre, res, total_block, scratch)  # fmt: skip
            if store_states:
                for b in range(k):
                    for i in range(n_units):
                        states[row + b, i] = h_block[b, i]
            row += batch_sizes[t]
    return h, total


# --------------------------------------------------------------------------------------
# Closed-loop generation: the readout's output fed back as the next input
# --------------------------------------------------------------------------------------


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL, nogil=True)
def generate_closed_loop(
    exogenous,
    input_t,
    bias,
    h0,
    recurrent_t,
    indptr,
    indices,
    data,
    residual_kind,
    residual_diag,
    residual_blocks,
    residual_dense_t,
    coupling,
    activation,
    coef,
    intercept,
    forecasts,
):
    """Generate in closed loop from one state: forecast, feed it back, step; repeat.

    Step ``k`` writes the forecast ``y_k = V h_k + c`` into ``forecasts[k]``, then steps
    the state with the input ``[y_k, exogenous[k]]``::

        h_{k+1} = rho(h_k) + eps f(W h_k + U_y y_k + U_x x_k + b)

    W keeps its own layout (CSR or dense): the feedback ``U_y y_k`` costs
    ``2 N n_targets`` per step, where folding it into ``W + U_y V`` would make a sparse
    W dense. Compiled lazily for float32 and float64 (F)::

        (F[:, ::1], F[:, ::1], F[::1], F[:, ::1], F[:, ::1], i8[::1], i8[::1],
         F[::1], i8, F[::1], F[:, :, ::1], F[:, ::1], f8, i8, F[:, ::1], F[::1],
         F[:, ::1])

    The forecast ``V h_k`` is one BLAS GEMV (faster than compiled loops for 3 targets
    as for 64; see ``_add_low_rank``).

    Parameters
    ----------
    exogenous : ndarray of shape (n_steps, n_exogenous)
        x_k, the exogenous inputs of each step (zero columns for none).
    input_t : ndarray of shape (n_targets + n_exogenous, n_units)
        ``U.T``, whose first ``n_targets`` rows take y.
    bias : ndarray of shape (n_units,)
    h0 : ndarray of shape (1, n_units)
        The state the first forecast is read from.
    recurrent_t, indptr, indices, data, residual_kind, residual_diag
        As in :func:`run_packed`; so are residual_blocks, residual_dense_t, coupling
        and activation.
    coef : ndarray of shape (n_targets, n_units)
        V.
    intercept : ndarray of shape (n_targets,)
        c.
    forecasts : ndarray of shape (n_steps, n_targets)
        Output; the only array the kernel writes to.

    Returns
    -------
    h : ndarray of shape (1, n_units)
        The state after the last step taken.
    n_finite : int
        The number of forecasts written, all finite: ``n_steps``, or the index of the
        first non-finite forecast, where the loop stopped.
    """
    n_steps, n_targets = forecasts.shape
    h = h0.copy()
    pre = np.empty_like(h0)
    res = np.empty_like(h0)
    no_sum = np.zeros((0, h0.shape[1]), np.float64)  # _update_states keeps no running sum
    scratch = _product_scratch(h0, indptr)
    step_input = np.empty((1, input_t.shape[0]), h0.dtype)  # [y_k, x_k]
    pairs = _pair_columns(residual_blocks)
    for k in range(n_steps):
        y = forecasts[k]
        np.dot(coef, h[0], y)
        for j in range(n_targets):
            y[j] += intercept[j]
            if not np.isfinite(y[j]):
                return h, k
        _recurrent_product(h, 1, recurrent_t, indptr, indices, data, pre, scratch)
        for j in range(n_targets):
            step_input[0, j] = y[j]
        for j in range(exogenous.shape[1]):
            step_input[0, n_targets + j] = exogenous[k, j]
        _add_input(step_input, 0, 1, input_t, bias, pre)
        _apply_residual(h, 1, residual_kind, residual_diag, pairs, residual_dense_t, res)
        _update_states(res, pre, 1, coupling, activation, h, no_sum)
    return h, n_steps


# --------------------------------------------------------------------------------------
# Lyapunov exponents: tangent vectors through the step Jacobians, QR re-orthonormalised
# --------------------------------------------------------------------------------------


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL, nogil=True)
def lyapunov_qr(
    inputs,
    input_t,
    bias,
    h0,
    recurrent_t,
    indptr,
    indices,
    data,
    residual_kind,
    residual_diag,
    residual_blocks,
    residual_dense_t,
    coupling,
    activation,
    frame0,
    n_washout,
    reorthonormalize_every,
    max_log_spread,
    max_interval,
    feedback_t,
    feedback_coef,
):
    """Run one series and k tangent vectors; sum the log growth of the QR diagonal.

    Each step maps the tangent vectors (the rows of ``frame``) by the step Jacobian
    ``J_t = rho'(h_{t-1}) + coupling * diag(f'(a_t)) W``: an O(N^2 k) product with W
    plus the residual's own structure (O(N k) for diagonal, block and tanh
    residuals). Every few steps the frame is re-orthonormalised by a Householder QR
    and ``log|diag(R)|`` is added up; QRs that end in the washout are discarded.

    QR every m steps gives the same R diagonals as QR every step in exact
    arithmetic (the triangular factor of a product is the product of the factors);
    m only bounds the conditioning. With ``reorthonormalize_every == 0`` m adapts:
    after each QR it is set so that the spread of ``log|diag(R)|`` over the next
    interval stays near ``max_log_spread``, starting at 1 and at most doubling each
    time (up to ``max_interval`` steps; back to one step after any zero diagonal).

    Parameters
    ----------
    inputs : ndarray of shape (n_steps, n_features)
        The drive x_t.
    input_t, bias : ndarrays
        ``U.T`` and b, as in ``run_packed`` (fused input only).
    h0 : ndarray of shape (1, n_units)
        Initial state.
    recurrent_t, indptr, indices, data, residual_kind, residual_diag, \
residual_blocks, residual_dense_t, coupling, activation :
        As in ``run_packed``.
    frame0 : ndarray of shape (k, n_units)
        Orthonormal initial tangent vectors, one per row.
    n_washout : int
        Leading steps whose growth is not counted (the frame still turns towards
        the leading directions during them).
    reorthonormalize_every : int
        Steps between QRs; 0 adapts the interval.
    max_log_spread : float
        Adaptive mode: the largest ``log(max|R_ii| / min|R_ii|)`` allowed per interval.
    max_interval : int
        Adaptive mode: the longest interval.
    feedback_t, feedback_coef : ndarray of shape (m, n_units)
        ``U_y.T`` and V of a low-rank term ``U_y V`` added to W: the closed loop of a
        linear readout fed back into the input, at ``2 N m`` per state and per
        tangent vector each step, which keeps a sparse W sparse (the readout's
        intercept goes into ``bias``). ``m = 0`` for the open loop.

    Returns
    -------
    log_growth : ndarray of shape (k,)
        Sum over the counted steps of ``log|R_ii|``, in QR order.
    h : ndarray of shape (1, n_units)
        The state after the last step.
    n_qr : int
        Number of QR factorisations done.
    """
    n_steps = inputs.shape[0]
    n_units = h0.shape[1]
    k = frame0.shape[0]
    h = h0.copy()
    frame = frame0.copy()
    pre = np.empty_like(h0)
    res = np.empty_like(h0)
    branch_slope = np.empty(n_units, h0.dtype)
    residual_slope = np.empty(n_units, h0.dtype)
    w_frame = np.empty_like(frame0)
    scratch = _product_scratch(h0, indptr)
    frame_scratch = _product_scratch(frame0, indptr)
    r_frame = np.empty_like(frame0) if residual_kind == RESIDUAL_DENSE else frame0[:0]
    pairs = _pair_columns(residual_blocks)
    log_growth = np.zeros(k)
    adaptive = reorthonormalize_every <= 0
    interval = 1 if adaptive else reorthonormalize_every
    since_qr = 0
    n_qr = 0
    for t in range(n_steps):
        _recurrent_product(h, 1, recurrent_t, indptr, indices, data, pre, scratch)
        _add_low_rank(h, 1, feedback_t, feedback_coef, pre)
        _add_input(inputs, t, 1, input_t, bias, pre)
        for i in range(n_units):  # f(a_t) and f'(a_t) from one tanh; pre becomes eps f(a)
            value = _activate(pre[0, i], activation)
            if activation == ACTIVATION_TANH:
                slope = 1.0 - value * value
            elif activation == ACTIVATION_RELU:
                slope = 1.0 if pre[0, i] > 0.0 else 0.0
            else:
                slope = 1.0
            branch_slope[i] = coupling * slope
            pre[0, i] = coupling * value

        # Tangent vectors: v <- rho'(h_{t-1}) v + coupling * f'(a_t) * (W v), in place
        # and in one pass for the O(N) residuals.
        _recurrent_product(frame, k, recurrent_t, indptr, indices, data, w_frame, frame_scratch)
        _add_low_rank(frame, k, feedback_t, feedback_coef, w_frame)
        if residual_kind == RESIDUAL_DENSE:
            np.dot(frame, residual_dense_t, r_frame)
            for r in range(k):
                for i in range(n_units):
                    frame[r, i] = r_frame[r, i] + branch_slope[i] * w_frame[r, i]
        elif residual_kind == RESIDUAL_BLOCKS:
            n_blocks = residual_blocks.shape[0]
            first, second = pairs[0], pairs[1]
            for r in range(k):
                for p in range(n_blocks):
                    x0 = frame[r, 2 * p]
                    x1 = frame[r, 2 * p + 1]
                    frame[r, 2 * p] = (
                        first[2 * p] * x0
                        + second[2 * p] * x1
                        + branch_slope[2 * p] * w_frame[r, 2 * p]
                    )
                    frame[r, 2 * p + 1] = (
                        first[2 * p + 1] * x0
                        + second[2 * p + 1] * x1
                        + branch_slope[2 * p + 1] * w_frame[r, 2 * p + 1]
                    )
                if 2 * n_blocks < n_units:
                    i = n_units - 1
                    frame[r, i] = residual_diag[i] * frame[r, i] + branch_slope[i] * w_frame[r, i]
        else:
            for i in range(n_units):
                if residual_kind == RESIDUAL_TANH:
                    th = _tanh(h[0, i])
                    residual_slope[i] = residual_diag[i] * (1.0 - th * th)
                elif residual_kind == RESIDUAL_DIAGONAL:
                    residual_slope[i] = residual_diag[i]
                else:  # RESIDUAL_NONE
                    residual_slope[i] = 0.0
            for r in range(k):
                for i in range(n_units):
                    frame[r, i] = residual_slope[i] * frame[r, i] + branch_slope[i] * w_frame[r, i]

        _apply_residual(h, 1, residual_kind, residual_diag, pairs, residual_dense_t, res)
        for i in range(n_units):
            h[0, i] = res[0, i] + pre[0, i]

        since_qr += 1
        if since_qr < interval and t != n_washout - 1 and t != n_steps - 1:
            continue
        q, r_factor = np.linalg.qr(frame.T)
        n_qr += 1
        lo = np.inf
        hi = -np.inf
        for j in range(k):
            g = np.log(np.abs(r_factor[j, j]))
            lo = min(lo, g)
            hi = max(hi, g)
            if t >= n_washout:
                log_growth[j] += g
        frame = np.ascontiguousarray(q.T)
        if adaptive:
            if not (np.isfinite(lo) and np.isfinite(hi)):  # a direction collapsed (or blew up)
                interval = 1
                since_qr = 0
                continue
            spread = hi - lo
            largest = max(abs(hi), abs(lo))  # also keeps the frame's scale far from overflow
            per_step = max(spread, largest / 20.0) / since_qr
            # At most double: the next interval's growth rates must resemble this one's.
            longest = min(2 * since_qr, max_interval)
            if per_step * longest <= max_log_spread:
                interval = longest
            else:
                interval = max(1, int(max_log_spread / per_step))
        since_qr = 0
    return log_growth, h, n_qr


# --------------------------------------------------------------------------------------
# Sequence features harvested in the run: no per-sequence T x N state matrix is kept
# --------------------------------------------------------------------------------------


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL, nogil=True)
def harvest_packed(
    inputs,
    input_t,
    bias,
    batch_sizes,
    h0,
    recurrent_t,
    indptr,
    indices,
    data,
    residual_kind,
    residual_diag,
    residual_blocks,
    residual_dense_t,
    coupling,
    activation,
    step0,
    total,
    maximum,
    thresholds,
    positives,
    segment_ends,
    segments,
    projection,
    center,
    targets,
    previous,
    gram,
    cross,
    first=0,
):
    """Run the recurrence like ``run_packed`` and accumulate per-sequence features.

    Called window by window: every accumulator is read and updated in place, so a
    window continues where the previous one stopped. An accumulator with zero rows
    (or zero segments) is switched off. All per-sequence arrays are in packed order.

    Parameters
    ----------
    inputs, input_t, bias, batch_sizes, h0, recurrent_t, indptr, indices, data, \
residual_kind, residual_diag, residual_blocks, residual_dense_t, coupling, activation :
        As in ``run_packed`` (``batch_sizes`` for this window's steps only).
    step0 : int
        Index of the window's first step in the whole run.
    total : ndarray of shape (n_sequences, n_units) or (0, n_units)
        Sum of the states over time (float64 from the caller, whatever the state
        dtype, as are ``positives``, ``gram`` and ``cross``).
    maximum : ndarray of shape (n_sequences, n_units) or (0, n_units)
        Running maximum of each unit (start at -inf).
    thresholds : ndarray of shape (n_thresholds, n_units)
        Levels each unit's state is compared with, for ``positives``.
    positives : ndarray of shape (n_sequences, n_thresholds, n_units) or \
(0, n_thresholds, n_units)
        Count of steps with a state above each threshold, per unit.
    segment_ends : ndarray of shape (n_sequences, n_segments), dtype int64
        The step after which each segment's state is recorded.
    segments : ndarray of shape (n_sequences, n_segments, n_units)
        Receives the state at each ``segment_ends`` step.
    projection : ndarray of shape (n_units, n_components)
        Model space: r_t = (h_t - center) @ projection.
    center : ndarray of shape (n_units,)
    targets : ndarray of shape (n_rows, n_targets) or (0, n_targets)
        Model space targets: the window's packed inputs x_t (predicted from r_{t-1}),
        or no rows for the next reduced state r_t.
    previous : ndarray of shape (n_sequences, n_components)
        r of each sequence's previous step (carried across windows).
    gram : ndarray of shape (n_sequences, n_components + 1, n_components + 1) or \
(0, 0, 0)
        Sum over t >= 1 of z z^T with z = [r_{t-1}, 1]; no rows: no model space.
    cross : ndarray of shape (n_sequences, n_components + 1, n_targets)
        Sum over t >= 1 of z y_t^T.
    first : int, default=0
        As in ``run_packed``: the per-sequence arrays (``h0``, the accumulators,
        ``segment_ends``, ``previous``) are the chunk's; ``inputs`` and ``targets``
        hold the whole window's rows.

    Returns
    -------
    h : ndarray of shape (n_sequences, n_units)
        The state after the window's last step.
    """
    n_seq, n_units = h0.shape
    h = h0.copy()
    block = _sequence_block(n_seq, n_units, h0.itemsize)
    pre = np.empty((block, n_units), h0.dtype)
    res = np.empty_like(pre)
    model = gram.shape[0] > 0
    centred = np.empty_like(pre) if model else pre[:0]
    reduced = np.empty((block, projection.shape[1]), h0.dtype) if model else previous[:0]
    scratch = _product_scratch(pre, indptr)
    pairs = _pair_columns(residual_blocks)
    for s0 in range(0, n_seq, block):  # each block of sequences through every step
        s1 = min(s0 + block, n_seq)
        _harvest_block(inputs, input_t, bias, batch_sizes, h[s0:s1], recurrent_t, indptr,
                       indices, data, residual_kind, residual_diag, pairs,
                       residual_dense_t, coupling, activation, step0, total[s0:s1],
                       maximum[s0:s1], thresholds, positives[s0:s1], segment_ends[s0:s1],
                       segments[s0:s1], projection, center, targets, previous[s0:s1],
                       gram[s0:s1], cross[s0:s1], first + s0, pre, res, centred, reduced,
                       scratch)  # fmt: skip
    return h


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL)
def _harvest_block(inputs, input_t, bias, batch_sizes, h, recurrent_t, indptr, indices,
                   data, residual_kind, residual_diag, residual_pairs, residual_dense_t,
                   coupling, activation, step0, total, maximum, thresholds, positives,
                   segment_ends, segments, projection, center, targets, previous, gram,
                   cross, first, pre, res, centred, reduced, scratch):  # fmt: skip
    """``harvest_packed`` for one block of sequences: h and the accumulators are the
    block's (updated in place), ``first`` its first packed row, ``residual_pairs``
    from ``_pair_columns``."""
    n_seq, n_units = h.shape
    want_max = maximum.shape[0] > 0  # a switched-off accumulator has no rows
    want_pos = positives.shape[0] > 0
    model = gram.shape[0] > 0
    n_segments = segments.shape[1]
    n_comp = projection.shape[1]
    input_targets = targets.shape[0] > 0
    n_targets = cross.shape[2]
    row = first  # this block's first row at each step
    for t in range(batch_sizes.shape[0]):
        k = min(batch_sizes[t] - first, n_seq)
        if k <= 0:  # batch sizes do not increase: this block has ended
            break
        step = step0 + t
        _step(inputs, row, k, input_t, bias, h, recurrent_t, indptr, indices, data,
              residual_kind, residual_diag, residual_pairs, residual_dense_t, coupling,
              activation, pre, res, total, scratch)  # fmt: skip
        # Unconditional stores of a select, not stores under an if: LLVM does not
        # invent stores, so a conditional store vectorises only as a masked store,
        # which it emitted for AVX-512 and not for AVX2 (ppv took 0.8 ns per
        # comparison there). Same results: the kept value, or + 0.0, is stored.
        for b in range(k):
            if want_max:
                for i in range(n_units):
                    value, kept = h[b, i], maximum[b, i]
                    maximum[b, i] = value if value > kept else kept
            if want_pos:
                for j in range(thresholds.shape[0]):
                    for i in range(n_units):
                        above = h[b, i] > thresholds[j, i]
                        positives[b, j, i] += 1.0 if above else 0.0
            for j in range(n_segments):
                if segment_ends[b, j] == step:
                    for i in range(n_units):
                        segments[b, j, i] = h[b, i]
        if model:
            for b in range(k):
                for i in range(n_units):
                    centred[b, i] = h[b, i] - center[i]
            np.dot(centred[:k], projection, reduced[:k])
            for b in range(k):
                if step > 0:  # a pair (z_{t-1}, y_t) exists from the second step on
                    for p in range(n_comp + 1):
                        zp = previous[b, p] if p < n_comp else 1.0
                        for q in range(n_comp + 1):
                            zq = previous[b, q] if q < n_comp else 1.0
                            gram[b, p, q] += zp * zq
                        for q in range(n_targets):
                            y = targets[row + b, q] if input_targets else reduced[b, q]
                            cross[b, p, q] += zp * y
                for p in range(n_comp):
                    previous[b, p] = reduced[b, p]
        row += batch_sizes[t]


# --------------------------------------------------------------------------------------
# Recursive least squares (wcrnn_rc.readouts.RLSRegressor)
# --------------------------------------------------------------------------------------


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL, nogil=True)
def rls_update(rows, targets, weights, inverse_correlation, forgetting):
    """Recursive least squares over ``rows``, one row at a time; O(d**2) per row.

    Compiled lazily for float64; expected signature::

        (f8[:, ::1], f8[:, ::1], f8[:, ::1], f8[:, ::1], f8)

    For each row x and target y: ``k = P x / (lambda + x' P x)``, ``w += (y - w x) k'``,
    ``P = (P - k (P x)') / lambda`` (P is symmetric, so ``x' P = (P x)'``, and only its
    upper triangle is computed, then mirrored, so it stays exactly symmetric).

    Parameters
    ----------
    rows : ndarray of shape (n, d)
    targets : ndarray of shape (n, m)
    weights : ndarray of shape (m, d)
        w before the rows (not written to).
    inverse_correlation : ndarray of shape (d, d)
        P before the rows (not written to).
    forgetting : float
        lambda in (0, 1].

    Returns
    -------
    weights, inverse_correlation : ndarrays
        New arrays after the rows.
    """
    n, d = rows.shape
    m = targets.shape[1]
    w = weights.copy()
    P = inverse_correlation.copy()
    px = np.empty(d)
    gain = np.empty(d)
    inv_forgetting = 1.0 / forgetting
    for t in range(n):
        for i in range(d):
            acc = 0.0
            for j in range(d):
                acc += P[i, j] * rows[t, j]
            px[i] = acc
        denom = forgetting
        for i in range(d):
            denom += rows[t, i] * px[i]
        for i in range(d):
            gain[i] = px[i] / denom
        for o in range(m):
            err = targets[t, o]
            for j in range(d):
                err -= w[o, j] * rows[t, j]
            for j in range(d):
                w[o, j] += err * gain[j]
        # Upper triangle, mirrored: an asymmetric part from rounding would grow by
        # 1 / lambda per row (measured: P lost definiteness within 2000 rows at 0.97).
        for i in range(d):
            gi = gain[i]
            for j in range(i, d):
                value = (P[i, j] - gi * px[j]) * inv_forgetting
                P[i, j] = value
                P[j, i] = value
    return w, P


# --------------------------------------------------------------------------------------
# BPTT: the fused forward pass (states and the branch slopes it keeps for the backward
# pass) and the hand-derived backward pass of the torch backend's fused recurrence
# --------------------------------------------------------------------------------------
#
# Layout: padded and time-major, ``(n_steps, batch, n_units)``, sequences sorted by
# decreasing length, so that at step t the ``batch_sizes[t]`` running sequences are a
# prefix of the batch (as in ``run_packed``); rows past it stay untouched (zero).
# The weight gradients ``dW = sum_t dA_t^T H_{t-1}`` (and ``dR`` for a dense residual)
# are two large GEMMs over all steps, done by the caller from ``grad_drive`` (and
# ``grad_hidden``) and the states: one product instead of one per step.
#
# Two drivers share the step bodies: ``bptt_forward`` / ``bptt_backward`` run every
# step in one call (products by numba's np.dot), and ``bptt_forward_step`` /
# ``bptt_backward_step`` run one step's elementwise part, for a caller that does the
# per-step products itself (NumPy's BLAS can be several times faster than the one
# numba links, see ``_config.FUSED_NUMBA_GEMM_MAX_UNITS``).


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL)
def _branch_step(pre, res, drive, k, coupling, activation, h, states, slopes):
    """h = res + eps f(pre + drive) and slopes = eps f'(pre + drive), rows :k.

    One loop per activation (no branch inside), so that LLVM vectorises it.
    """
    n_units = h.shape[1]
    if activation == ACTIVATION_TANH:
        for b in range(k):
            for i in range(n_units):
                value = _tanh(pre[b, i] + drive[b, i])
                slopes[b, i] = coupling * (1.0 - value * value)
                h[b, i] = res[b, i] + coupling * value
    elif activation == ACTIVATION_RELU:
        for b in range(k):
            for i in range(n_units):
                a = pre[b, i] + drive[b, i]
                slopes[b, i] = coupling if a > 0.0 else 0.0
                h[b, i] = res[b, i] + coupling * max(a, 0.0)
    else:
        for b in range(k):
            for i in range(n_units):
                slopes[b, i] = coupling
                h[b, i] = res[b, i] + coupling * (pre[b, i] + drive[b, i])
    for b in range(k):
        for i in range(n_units):
            states[b, i] = h[b, i]


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL, nogil=True)
def bptt_forward_step(
    h,
    pre,
    res,
    drive,
    k,
    residual_kind,
    residual_diag,
    residual_blocks,
    coupling,
    activation,
    states,
    slopes,
):
    """One forward step from the products: ``pre = W h`` (and ``res = R h`` if dense).

    ``h``, ``pre``, ``res``: (batch, n_units), rows ``:k`` used; ``h`` is updated in
    place to ``h_t``, ``res`` is overwritten unless the residual is dense (then it
    holds ``h_{t-1} R^T`` on entry); ``drive``, ``states``, ``slopes``: step t's
    (batch, n_units) slices of the arrays of ``bptt_forward``.
    """
    if residual_kind != RESIDUAL_DENSE:
        pairs = _pair_columns(residual_blocks)  # O(N), against the step's O(N^2)
        _apply_residual(h, k, residual_kind, residual_diag, pairs, res[:0], res)
    _branch_step(pre, res, drive, k, coupling, activation, h, states, slopes)


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL, nogil=True)
def bptt_forward(
    drive,
    batch_sizes,
    h0,
    recurrent_t,
    residual_kind,
    residual_diag,
    residual_blocks,
    residual_dense_t,
    coupling,
    activation,
    states,
    slopes,
):
    """Run the recurrence over padded time-major sequences, keeping what BPTT needs.

    Parameters
    ----------
    drive : ndarray of shape (n_steps, batch, n_units)
        ``U x_t + b``, time-major, sequences sorted by decreasing length.
    batch_sizes : ndarray of shape (n_steps,), dtype int64
        Number of running sequences at each step, non-increasing.
    h0 : ndarray of shape (batch, n_units)
        Initial states.
    recurrent_t : ndarray of shape (n_units, n_units)
        ``W.T`` (dense).
    residual_kind, residual_diag, residual_blocks, residual_dense_t, coupling, \
activation :
        As in ``run_packed``.
    states : ndarray of shape (n_steps, batch, n_units)
        Output, zero on entry: ``h_t`` of the running rows.
    slopes : ndarray of shape (n_steps, batch, n_units)
        Output, zero on entry: ``coupling * f'(a_t)`` of the running rows.
    """
    h = h0.copy()
    pre = np.empty_like(h0)
    res = np.empty_like(h0)
    empty_index = np.zeros(0, np.int64)
    empty_data = np.zeros(0, h0.dtype)
    scratch = _product_scratch(h0, empty_index)
    for t in range(batch_sizes.shape[0]):
        k = batch_sizes[t]
        _recurrent_product(h, k, recurrent_t, empty_index, empty_index, empty_data, pre, scratch)
        if residual_kind == RESIDUAL_DENSE:
            np.dot(h[:k], residual_dense_t, res[:k])
        bptt_forward_step(
            h,
            pre,
            res,
            drive[t],
            k,
            residual_kind,
            residual_diag,
            residual_blocks,
            coupling,
            activation,
            states[t],
            slopes[t],
        )


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL, nogil=True)
def bptt_backward_step(
    g,
    g_prev,
    grad_states,
    slopes,
    h_prev,
    k,
    residual_kind,
    residual_diag,
    residual_blocks,
    train_residual,
    grad_drive,
    grad_hidden,
    grad_diag,
    grad_blocks,
):
    """One backward step's elementwise part (step t's slices of ``bptt_backward``'s arrays).

    Adds ``grad_states`` to ``g`` (then ``g_t``), writes ``grad_drive = g_t * slopes``
    (and ``grad_hidden = g_t`` when it has rows) and, for a structured residual,
    ``g_prev = rho'(h_prev)^T g_t``, accumulating the residual's gradient. The caller
    then adds ``grad_drive W`` (and, for a dense residual, ``g_prev = g_t R``).
    """
    n_units = g.shape[1]
    for b in range(k):
        for i in range(n_units):
            g[b, i] += grad_states[b, i]
            grad_drive[b, i] = g[b, i] * slopes[b, i]
    if grad_hidden.shape[0] > 0:
        for b in range(k):
            for i in range(n_units):
                grad_hidden[b, i] = g[b, i]
    n_blocks = residual_blocks.shape[0]
    if residual_kind == RESIDUAL_DIAGONAL:
        for b in range(k):
            for i in range(n_units):
                g_prev[b, i] = residual_diag[i] * g[b, i]
        if train_residual:
            for b in range(k):
                for i in range(n_units):
                    grad_diag[i] += g[b, i] * h_prev[b, i]
    elif residual_kind == RESIDUAL_TANH:
        for b in range(k):
            for i in range(n_units):
                th = _tanh(h_prev[b, i])
                g_prev[b, i] = residual_diag[i] * (1.0 - th * th) * g[b, i]
                if train_residual:
                    grad_diag[i] += g[b, i] * th
    elif residual_kind == RESIDUAL_BLOCKS:
        for b in range(k):
            for p in range(n_blocks):
                g0 = g[b, 2 * p]
                g1 = g[b, 2 * p + 1]
                blk = residual_blocks[p]
                g_prev[b, 2 * p] = blk[0, 0] * g0 + blk[1, 0] * g1
                g_prev[b, 2 * p + 1] = blk[0, 1] * g0 + blk[1, 1] * g1
                if train_residual:
                    x0 = h_prev[b, 2 * p]
                    x1 = h_prev[b, 2 * p + 1]
                    grad_blocks[p, 0, 0] += g0 * x0
                    grad_blocks[p, 0, 1] += g0 * x1
                    grad_blocks[p, 1, 0] += g1 * x0
                    grad_blocks[p, 1, 1] += g1 * x1
            if 2 * n_blocks < n_units:
                i = n_units - 1
                g_prev[b, i] = residual_diag[i] * g[b, i]
                if train_residual:
                    grad_diag[i] += g[b, i] * h_prev[b, i]
    elif residual_kind != RESIDUAL_DENSE:  # RESIDUAL_NONE
        for b in range(k):
            for i in range(n_units):
                g_prev[b, i] = 0.0


@njit(cache=True, fastmath=_FASTMATH, error_model=_ERROR_MODEL, nogil=True)
def bptt_backward(
    grad_states,
    batch_sizes,
    h0,
    states,
    slopes,
    recurrent,
    residual_kind,
    residual_diag,
    residual_blocks,
    residual_dense,
    train_residual,
    grad_drive,
    grad_hidden,
    grad_diag,
    grad_blocks,
):
    """Backpropagate through time over the output of ``bptt_forward``.

    With ``g_t = dL/dh_t`` (the loss's own gradient plus what flows back from step
    t + 1), each step gives ``dA_t = g_t * slopes_t`` and
    ``g_{t-1} = rho'(h_{t-1})^T g_t + dA_t W`` (one GEMM; the residual in its own
    structure).

    Parameters
    ----------
    grad_states : ndarray of shape (n_steps, batch, n_units)
        ``dL/dh_t`` from the loss, for each step's state.
    batch_sizes, h0 : ndarrays
        As given to ``bptt_forward``.
    states, slopes : ndarrays of shape (n_steps, batch, n_units)
        Its outputs.
    recurrent : ndarray of shape (n_units, n_units)
        W itself (not transposed).
    residual_kind, residual_diag, residual_blocks : int, ndarrays
        As in ``bptt_forward``.
    residual_dense : ndarray of shape (n_units, n_units)
        R itself (not transposed) for a dense residual.
    train_residual : bool
        Whether to accumulate the residual's gradient.
    grad_drive : ndarray of shape (n_steps, batch, n_units)
        Output, zero on entry: ``dL/da_t = dL/d(U x_t + b)``.
    grad_hidden : ndarray of shape (n_steps, batch, n_units) or (0, batch, n_units)
        Output, zero on entry: ``g_t``, stored when it has rows (for a dense residual's
        ``dR = sum_t g_t^T H_{t-1}``).
    grad_diag : ndarray of shape (n_units,), float64
        Output, zero on entry: gradient of ``residual_diag`` (diagonal, tanh, and the
        1x1 tail of a block residual).
    grad_blocks : ndarray of shape (n_units // 2, 2, 2), float64
        Output, zero on entry: gradient of ``residual_blocks``.

    Returns
    -------
    grad_h0 : ndarray of shape (batch, n_units)
        ``dL/dh_0``.
    """
    n_units = h0.shape[1]
    g = np.zeros_like(h0)
    g_prev = np.empty_like(h0)
    w_part = np.empty_like(h0)
    store_hidden = grad_hidden.shape[0] > 0
    empty_index = np.zeros(0, np.int64)
    empty_data = np.zeros(0, h0.dtype)
    no_scratch = _product_scratch(h0, empty_index)
    for t in range(batch_sizes.shape[0] - 1, -1, -1):
        k = batch_sizes[t]
        bptt_backward_step(
            g,
            g_prev,
            grad_states[t],
            slopes[t],
            h0 if t == 0 else states[t - 1],
            k,
            residual_kind,
            residual_diag,
            residual_blocks,
            train_residual,
            grad_drive[t],
            grad_hidden[t] if store_hidden else grad_hidden[0:0, 0],
            grad_diag,
            grad_blocks,
        )
        if residual_kind == RESIDUAL_DENSE:
            np.dot(g[:k], residual_dense, g_prev[:k])
        _recurrent_product(
            grad_drive[t], k, recurrent, empty_index, empty_index, empty_data, w_part, no_scratch
        )
        for b in range(k):
            for i in range(n_units):
                g[b, i] = g_prev[b, i] + w_part[b, i]
    return g


# --------------------------------------------------------------------------------------
# Chunks of a batch in parallel threads: sequences are independent, so each thread runs
# its chunk through all the steps of a window, with no synchronisation per step
# --------------------------------------------------------------------------------------


def kernel_threads():
    """Threads a batched run may use: numba's thread count (``NUMBA_NUM_THREADS``,
    ``numba.set_num_threads``)."""
    return numba.get_num_threads()


def parallel_chunks(lengths, n_units, dense):
    """``(first, stop)`` bounds of the chunks of a packed batch to run in parallel.

    Parameters
    ----------
    lengths : ndarray of shape (n_sequences,)
        Sequence lengths in packed (non-increasing) order.
    n_units : int
    dense : bool
        Whether the run takes the dense (BLAS) product; see
        ``_config.PARALLEL_CHUNKS_DENSE``.

    Returns
    -------
    bounds : list of (int, int)
        One chunk (the whole batch) unless the batch is large enough, more than one
        thread is allowed, and this is the main thread (the BLAS limit that chunks
        set is process-wide, and a threaded caller already uses the cores). Chunks
        hold about equal numbers of rows.
    """
    n_seq = len(lengths)
    n_chunks = min(kernel_threads(), n_seq // _config.PARALLEL_MIN_CHUNK_SEQUENCES)
    if (
        n_chunks < 2
        or (dense and not _config.PARALLEL_CHUNKS_DENSE)
        or int(np.sum(lengths)) * n_units < _config.PARALLEL_MIN_ELEMENTS
        or threading.current_thread() is not threading.main_thread()
    ):
        return [(0, n_seq)]
    rows = np.cumsum(lengths)
    cuts = np.searchsorted(rows, rows[-1] * np.arange(1, n_chunks) / n_chunks) + 1
    edges = np.unique(np.concatenate([[0], np.clip(cuts, 1, n_seq - 1), [n_seq]]))
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def run_chunks(kernel, chunk_args):
    """``[kernel(*args) for args in chunk_args]``, the chunks in parallel threads.

    With more than one chunk, BLAS runs on one thread meanwhile (the threads already
    use the cores). The first chunk runs in the calling thread; the first exception
    raised by any chunk is raised here, after all of them have finished.
    """
    if len(chunk_args) == 1:
        return [kernel(*chunk_args[0])]
    results = [None] * len(chunk_args)
    errors = []

    def work(index):
        try:
            results[index] = kernel(*chunk_args[index])
        except BaseException as exc:  # re-raised in the calling thread
            errors.append(exc)

    with _config.single_blas_thread():
        threads = [threading.Thread(target=work, args=(i,)) for i in range(1, len(chunk_args))]
        for thread in threads:
            thread.start()
        work(0)
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    return results
