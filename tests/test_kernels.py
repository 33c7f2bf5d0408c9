"""The numba kernel against its plain-NumPy twin, for every residual kind, activation,
dtype and storage of W, on single series, batches and ragged packs."""

import numba
import numpy as np
import pytest
from naive import (
    ATOL,
    RTOL,
    linear_rho,
    naive_segment_ends,
    naive_sequence_features,
    naive_states,
    tanh_rho,
)

from wcrnn_rc import WCRNNReservoir
from wcrnn_rc._kernels import run_packed
from wcrnn_rc._validation import make_packing, pack, unpack

RESIDUALS = ["identity", "orthogonal", "rotational", "heterogeneous", "tanh", "none"]


def _rho(reservoir):
    res = reservoir.residual_
    if not res.is_linear:
        return tanh_rho(res.scale)
    return linear_rho(res.to_matrix())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ["tanh", "relu", "identity"])
@pytest.mark.parametrize("residual", RESIDUALS)
@pytest.mark.parametrize("n_units", [7, 8])  # odd N has a trailing 1x1 rotation block
def test_series_matches_naive(residual, activation, dtype, n_units, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = rng.uniform(-1, 1, size=(60, 3)).astype(dtype)
    # Contracting even with a linear activation (0.8 + 0.1 * ||W||_2 < 1), so float32
    # rounding differences do not grow along the trajectory.
    res = WCRNNReservoir(
        n_units=n_units,
        residual=residual,
        residual_scale=0.8,
        coupling=0.1,
        activation=activation,
        recurrent_gain=0.9,
        bias_scaling=0.2,
        random_state=global_random_seed,
    ).fit(X)
    got = res.transform(X)
    want = naive_states(
        X,
        res.recurrent_weights_,
        res.input_weights_,
        res.bias_,
        _rho(res),
        res.coupling,
        activation,
    )
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=RTOL[dtype], atol=ATOL[dtype])


@pytest.mark.parametrize("n_features", [1, 40])  # U x inside the step, or one GEMM
def test_many_and_few_input_features_match_naive(n_features, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = rng.uniform(-1, 1, size=(5, 30, n_features))
    res = WCRNNReservoir(n_units=20, random_state=global_random_seed).fit(X)
    got = res.run(X)
    for i in range(len(X)):
        want = naive_states(
            X[i], res.recurrent_weights_, res.input_weights_, res.bias_, _rho(res), res.coupling
        )
        np.testing.assert_allclose(got[i], want, rtol=RTOL[np.float64], atol=ATOL[np.float64])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("density", [0.01, 0.05, 0.5])  # CSR for both, one, neither path
@pytest.mark.parametrize("n_units", [10, 60])  # plain-loop and BLAS dense products
def test_sparse_and_dense_w_match_naive(density, n_units, dtype, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = rng.uniform(-1, 1, size=(8, 40, 2)).astype(dtype)
    res = WCRNNReservoir(n_units=n_units, density=density, random_state=global_random_seed)
    res.fit(X)
    from_batch = res.run(X)
    for i in range(len(X)):
        want = naive_states(
            X[i], res.recurrent_weights_, res.input_weights_, res.bias_, _rho(res), res.coupling
        )
        np.testing.assert_allclose(from_batch[i], want, rtol=RTOL[dtype], atol=ATOL[dtype])
        np.testing.assert_allclose(res.run(X[i]), want, rtol=RTOL[dtype], atol=ATOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_exogenous", [0, 2])
@pytest.mark.parametrize("density", [0.05, 1.0])  # CSR W, dense W
@pytest.mark.parametrize("activation", ["tanh", "relu", "identity"])
@pytest.mark.parametrize("residual", RESIDUALS)
def test_generate_closed_loop_matches_naive(
    residual, activation, density, n_exogenous, dtype, global_random_seed
):
    """The closed-loop kernel: forecast V h + c, feed it into the first inputs, step."""
    rng = np.random.default_rng(global_random_seed)
    n_units, n_targets, n_steps = 60, 2, 40
    res = WCRNNReservoir(
        n_units=n_units, residual=residual, residual_scale=0.8, coupling=0.1,
        activation=activation, recurrent_gain=0.9, density=density,
        random_state=global_random_seed,
    ).fit(np.zeros((3, n_targets + n_exogenous)))  # fmt: skip
    assert res.network_.uses_sparse(batched=False) == (density < 1)
    coef = rng.normal(scale=0.2, size=(n_targets, n_units))
    intercept = rng.normal(size=n_targets)
    h0 = rng.normal(scale=0.5, size=n_units)
    exogenous = rng.normal(size=(n_steps, n_exogenous)) if n_exogenous else None
    got, h_end, n_finite = res.network_.generate(
        coef, intercept, h0, n_steps, exogenous, dtype=dtype
    )
    assert got.dtype == h_end.dtype == dtype
    want, h = [], h0
    for k in range(n_steps):
        y = coef @ h + intercept
        want.append(y)
        x = y if exogenous is None else np.concatenate([y, exogenous[k]])
        h = naive_states(
            x[None], res.recurrent_weights_, res.input_weights_, res.bias_, _rho(res),
            res.coupling, activation, h0=h,
        )[-1]  # fmt: skip
    assert n_finite == n_steps
    tol = dict(rtol=RTOL[dtype], atol=ATOL[dtype])
    np.testing.assert_allclose(got, np.array(want), **tol)
    np.testing.assert_allclose(h_end, h, **tol)


def test_generate_closed_loop_stops_at_the_first_non_finite_forecast():
    res = WCRNNReservoir(n_units=20, residual_scale=1.0, activation="identity", random_state=0)
    res.fit(np.zeros((3, 1)))
    coef = np.full((1, 20), 50.0)  # a strongly unstable loop
    forecasts, h, n_finite = res.network_.generate(coef, np.zeros(1), np.full(20, 0.1), 5000)
    assert 1 < n_finite < 5000
    assert np.isfinite(forecasts[:n_finite]).all()
    assert not np.isfinite(forecasts[n_finite]).all()
    np.testing.assert_allclose(forecasts[n_finite - 1], coef @ res.network_.generate(
        coef, np.zeros(1), np.full(20, 0.1), n_finite - 1)[1], rtol=1e-12)  # fmt: skip


@pytest.mark.parametrize("fused_input", [True, False])
@pytest.mark.parametrize("residual", RESIDUALS)
def test_run_packed_on_ragged_pack(residual, fused_input, global_random_seed):
    """The kernel itself on a ragged, time-major pack with a given initial state,
    applying U x + b inside the step or reading a precomputed drive."""
    rng = np.random.default_rng(global_random_seed)
    lengths = [5, 17, 1, 17, 9]
    seqs = [rng.normal(size=(n, 2)) for n in lengths]
    res = WCRNNReservoir(
        n_units=9, residual=residual, residual_scale=0.8, random_state=global_random_seed
    ).fit(seqs)
    h0 = rng.normal(size=(len(seqs), 9))
    packing = make_packing(lengths)
    packed = pack(seqs, packing)
    input_t = np.ascontiguousarray(res.input_weights_.T)
    if fused_input:
        inputs = packed
    else:
        inputs, input_t = packed @ input_t + res.bias_, input_t[:0]
    operands = res.network_.recurrent_operands(np.float64, batched=True)
    states = np.full((len(inputs), 9), np.nan)
    last, total = run_packed(
        inputs,
        input_t,
        res.bias_,
        packing.batch_sizes,
        np.ascontiguousarray(h0[packing.order]),
        *operands,
        res.coupling,
        0,
        states,
    )
    states = unpack(states, packing)
    inverse = np.argsort(packing.order)
    for i, seq in enumerate(seqs):
        want = naive_states(
            seq,
            res.recurrent_weights_,
            res.input_weights_,
            res.bias_,
            _rho(res),
            res.coupling,
            h0=h0[i],
        )
        np.testing.assert_allclose(states[i], want, rtol=RTOL[np.float64])
        np.testing.assert_allclose(last[inverse][i], want[-1], rtol=RTOL[np.float64])
        np.testing.assert_allclose(
            total[inverse][i], want.sum(axis=0), rtol=RTOL[np.float64], atol=1e-12
        )


def test_kernel_leaves_inputs_untouched_and_takes_readonly_arrays():
    rng = np.random.default_rng(0)
    res = WCRNNReservoir(n_units=6, residual="orthogonal", random_state=0).fit(np.zeros((3, 1)))
    operands = res.network_.recurrent_operands(np.float64, batched=True)
    inputs = rng.normal(size=(12, 1))
    input_t = np.ascontiguousarray(res.input_weights_.T)
    batch_sizes = np.array([3, 3, 3, 2, 1], dtype=np.int64)
    h0 = rng.normal(size=(3, 6))
    arrays = [
        inputs,
        input_t,
        res.bias_,
        batch_sizes,
        h0,
        *[op for op in operands if isinstance(op, np.ndarray)],
    ]
    copies = [a.copy() for a in arrays]
    for a in arrays:
        a.setflags(write=False)
    states = np.empty((len(inputs), 6))
    run_packed(inputs, input_t, res.bias_, batch_sizes, h0, *operands, 0.1, 0, states)
    for a, c in zip(arrays, copies, strict=True):
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("density", [0.01, 0.5])
def test_forced_dense_and_sparse_paths_agree(monkeypatch, density, global_random_seed):
    """Either storage of W gives the same states, whatever density W was fitted with."""
    from wcrnn_rc import _config

    X = np.random.default_rng(global_random_seed).normal(size=(4, 30, 2))
    res = WCRNNReservoir(n_units=30, density=density, random_state=global_random_seed).fit(X)
    runs = {}
    for path, threshold in [("dense", 0.0), ("sparse", 1.0)]:
        monkeypatch.setattr(
            _config, "SPARSE_MAX_DENSITY", {"series": threshold, "batch": threshold}
        )
        assert res.network_.uses_sparse(batched=True) == (path == "sparse")
        indptr = res.network_.recurrent_operands(np.float64, batched=True)[1]
        assert (indptr.size > 0) == (path == "sparse")
        runs[path] = (res.run(X), res.run(X[0]))
    np.testing.assert_allclose(runs["dense"][0], runs["sparse"][0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(runs["dense"][1], runs["sparse"][1], rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------- harvested features

HARVESTED = ["last", "mean", "max", "ppv", "segments", "model_space"]


def _naive_features(res, X, features, target="state", bidirectional=False):
    """Features of each sequence from its naive states (the forward, then reversed run)."""
    center, projection = res._model_space_axes or (None, None)
    rows = []
    for seq in X:
        blocks = []
        for s in [seq, seq[::-1]] if bidirectional else [seq]:
            states = naive_states(
                s, res.recurrent_weights_, res.input_weights_, res.bias_, _rho(res), res.coupling
            )
            blocks.append(
                naive_sequence_features(
                    states,
                    s,
                    features,
                    n_segments=res.n_segments,
                    center=center,
                    projection=projection,
                    target=target,
                    alpha=res.model_space_alpha,
                    ppv_thresholds=res.ppv_thresholds_,
                )
            )
        rows.append(np.concatenate(blocks))
    return np.array(rows)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("residual", ["rotational", "orthogonal", "tanh", "heterogeneous"])
@pytest.mark.parametrize("target", ["state", "input"])
def test_harvested_features_match_naive(residual, target, dtype, global_random_seed):
    """Every feature of the compiled harvest, on a ragged list, against full-state NumPy."""
    rng = np.random.default_rng(global_random_seed)
    X = [rng.uniform(-1, 1, size=(n, 3)).astype(dtype) for n in [12, 40, 5, 40, 23]]
    res = WCRNNReservoir(
        n_units=11,
        residual=residual,
        residual_scale=0.8,
        sequence_features=HARVESTED,
        n_segments=3,
        model_space_components=4,
        model_space_target=target,
        ppv_quantiles=2,
        random_state=global_random_seed,
    ).fit(X)
    got = res.transform(X)
    assert got.dtype == dtype
    assert got.shape[1] == len(res.get_feature_names_out())
    want = _naive_features(res, X, HARVESTED, target)
    # float32 sums over the steps, then a small solve: a looser absolute tolerance.
    atol = {np.float32: 2e-4, np.float64: 1e-9}[dtype]
    np.testing.assert_allclose(got, want, rtol=RTOL[dtype], atol=atol)


@pytest.mark.parametrize("n_features", [2, 40])  # U x inside the step, or one GEMM
def test_harvest_across_windows_and_bidirectional(monkeypatch, n_features, global_random_seed):
    """Accumulators carry over from one window of steps to the next; the reversed run
    is the naive run of the reversed sequence."""
    from wcrnn_rc import _config

    monkeypatch.setattr(_config, "WINDOW_ELEMENTS", 60)  # a few steps per window
    rng = np.random.default_rng(global_random_seed)
    X = rng.uniform(-1, 1, size=(4, 25, n_features))
    res = WCRNNReservoir(
        n_units=10,
        sequence_features=HARVESTED,
        n_segments=5,
        model_space_components=3,
        model_space_target="input",
        bidirectional=True,
        random_state=global_random_seed,
    ).fit(X)
    got = res.transform(X)
    want = _naive_features(res, X, HARVESTED, "input", bidirectional=True)
    np.testing.assert_allclose(got, want, rtol=RTOL[np.float64], atol=1e-9)


def test_model_space_axes_are_the_principal_axes(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = rng.uniform(-1, 1, size=(6, 30, 2))
    res = WCRNNReservoir(
        n_units=12, sequence_features="model_space", model_space_components=3,
        random_state=global_random_seed,
    ).fit(X)  # fmt: skip
    center, projection = res._model_space_axes
    states = np.concatenate(list(res.run(X)))
    np.testing.assert_allclose(center, states.mean(axis=0), rtol=1e-10, atol=1e-12)
    _, _, vt = np.linalg.svd(states - states.mean(axis=0), full_matrices=False)
    # Same axes up to sign (the kernel fixes the sign: largest entry positive).
    np.testing.assert_allclose(np.abs(projection.T @ vt[:3].T), np.eye(3), atol=1e-6)
    assert np.all(projection[np.argmax(np.abs(projection), axis=0), range(3)] > 0)


@pytest.mark.parametrize("length, k", [(10, 4), (4, 4), (7, 1), (100, 3)])
def test_segment_ends_match_naive(length, k):
    from wcrnn_rc._network import segment_ends

    np.testing.assert_array_equal(segment_ends([length], k)[0], naive_segment_ends(length, k))


# ---------------------------------------------------- batched CSR, float32 tanh, chunks


def test_float32_tanh_within_a_few_ulp():
    """Measured: at most 1.25 float32 ulp from tanh."""
    from wcrnn_rc._kernels import _tanh32

    x = np.concatenate(
        [np.linspace(-12, 12, 200_001), np.geomspace(1e-30, 1, 2001), [0.0, -0.0, np.inf, -np.inf]]
    ).astype(np.float32)
    got = np.array([_tanh32(v) for v in x[::97]] + [_tanh32(v) for v in x[-2010:]])
    want = np.tanh(np.concatenate([x[::97], x[-2010:]]).astype(np.float64))
    ulp = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(got - want) / ulp) <= 2
    assert np.isnan(_tanh32(np.float32(np.nan)))
    np.testing.assert_array_equal(np.signbit(_tanh32(np.float32(-0.0))), True)


def test_tanh_powers_of_two_from_their_bits():
    """tanh builds 2^n from its IEEE bits (a bit cast LLVM vectorises on AVX2 too): exact
    for every n its range reduction gives (0 to 58 in float64, 0 to 29 in float32), in
    compiled code and in the plain-Python fallback alike."""
    import numba

    from wcrnn_rc._kernels import _float32_from_bits, _float64_from_bits

    @numba.njit
    def powers(n):
        out64 = np.empty(n.size)
        out32 = np.empty(n.size, np.float32)
        for i in range(n.size):
            out64[i] = _float64_from_bits((np.int64(np.int32(n[i])) + 1023) << 52)
            out32[i] = _float32_from_bits((np.int32(n[i]) + 127) << 23)
        return out64, out32

    n = np.arange(64.0)
    got64, got32 = powers(n)
    np.testing.assert_array_equal(got64, np.ldexp(1.0, np.arange(64)))
    np.testing.assert_array_equal(got32, np.ldexp(np.float32(1), np.arange(64)))
    assert got32.dtype == np.float32


def _force_chunks(monkeypatch, n_threads=3):
    """Chunk every batch across ``n_threads`` threads, however small."""
    from wcrnn_rc import _config, _kernels

    monkeypatch.setattr(_config, "PARALLEL_MIN_CHUNK_SEQUENCES", 1)
    monkeypatch.setattr(_config, "PARALLEL_MIN_ELEMENTS", 0)
    monkeypatch.setattr(_config, "PARALLEL_CHUNKS_DENSE", True)
    monkeypatch.setattr(_kernels, "kernel_threads", lambda: n_threads)


def test_chunks_cover_the_batch_with_balanced_rows(monkeypatch):
    from wcrnn_rc._kernels import parallel_chunks

    _force_chunks(monkeypatch)
    lengths = np.array([90, 50, 40, 30, 20, 10, 10, 5, 3, 2])
    bounds = parallel_chunks(lengths, 10, dense=True)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(lengths) and len(bounds) == 3
    assert all(a[1] == b[0] for a, b in zip(bounds[:-1], bounds[1:], strict=True))
    rows = [lengths[a:b].sum() for a, b in bounds]
    assert max(rows) <= lengths.sum() / 3 + lengths.max()  # no chunk takes twice its share
    assert parallel_chunks(lengths[:2], 10, dense=True) == [(0, 1), (1, 2)]
    monkeypatch.setattr("wcrnn_rc._config.PARALLEL_MIN_ELEMENTS", 10**9)
    assert parallel_chunks(lengths, 10, dense=True) == [(0, len(lengths))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("path", ["dense", "sparse"])
@pytest.mark.parametrize("residual", ["rotational", "tanh", "orthogonal"])
def test_batched_paths_in_chunks_match_naive(
    monkeypatch, residual, path, dtype, global_random_seed
):
    """Ragged batches over more than one CSR block of sequences (and a partial one),
    in parallel chunks, against the NumPy twin and against one chunk; a single series
    and a batch of three (the per-sequence CSR loop) too."""
    from wcrnn_rc import _config

    threshold = {"dense": 0.0, "sparse": 1.0}[path]
    monkeypatch.setattr(_config, "SPARSE_MAX_DENSITY", {"series": threshold, "batch": threshold})
    rng = np.random.default_rng(global_random_seed)
    lengths = rng.integers(1, 30, size=37)
    X = [rng.uniform(-1, 1, size=(n, 2)).astype(dtype) for n in lengths]
    res = WCRNNReservoir(
        n_units=23, residual=residual, residual_scale=0.8, density=0.2,
        random_state=global_random_seed,
    ).fit(X)  # fmt: skip
    assert res.network_.uses_sparse(batched=True) == (path == "sparse")
    serial = res.run(X)
    _force_chunks(monkeypatch)
    chunked = res.run(X)
    h0 = rng.normal(size=(len(X), 23))
    chunked_h0 = res.run(X, initial_state=h0)
    for i, seq in enumerate(X):
        want = naive_states(
            seq, res.recurrent_weights_, res.input_weights_, res.bias_, _rho(res), res.coupling
        )
        np.testing.assert_allclose(chunked[i], want, rtol=RTOL[dtype], atol=ATOL[dtype])
        np.testing.assert_allclose(serial[i], chunked[i], rtol=RTOL[dtype], atol=ATOL[dtype])
        want_h0 = naive_states(
            seq, res.recurrent_weights_, res.input_weights_, res.bias_, _rho(res), res.coupling,
            h0=h0[i],
        )  # fmt: skip
        np.testing.assert_allclose(chunked_h0[i], want_h0, rtol=RTOL[dtype], atol=ATOL[dtype])
    for part in (X[:1], X[:3]):
        for got, seq in zip(res.run(part), part, strict=True):
            want = naive_states(
                seq, res.recurrent_weights_, res.input_weights_, res.bias_, _rho(res),
                res.coupling,
            )  # fmt: skip
            np.testing.assert_allclose(got, want, rtol=RTOL[dtype], atol=ATOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("path", ["dense", "sparse"])
def test_harvest_in_chunks_matches_naive(monkeypatch, path, dtype, global_random_seed):
    """Every harvested feature, in parallel chunks and windows of a few steps."""
    from wcrnn_rc import _config

    threshold = {"dense": 0.0, "sparse": 1.0}[path]
    monkeypatch.setattr(_config, "SPARSE_MAX_DENSITY", {"series": threshold, "batch": threshold})
    monkeypatch.setattr(_config, "WINDOW_ELEMENTS", 200)
    rng = np.random.default_rng(global_random_seed)
    X = [rng.uniform(-1, 1, size=(n, 3)).astype(dtype) for n in rng.integers(5, 40, size=21)]
    res = WCRNNReservoir(
        n_units=11, residual="rotational", residual_scale=0.8, density=0.3,
        sequence_features=HARVESTED, n_segments=3, model_space_components=4,
        model_space_target="input", random_state=global_random_seed,
    ).fit(X)  # fmt: skip
    serial = res.transform(X)
    _force_chunks(monkeypatch)
    got = res.transform(X)
    want = _naive_features(res, X, HARVESTED, "input")
    atol = {np.float32: 2e-4, np.float64: 1e-9}[dtype]
    np.testing.assert_allclose(got, want, rtol=RTOL[dtype], atol=atol)
    np.testing.assert_allclose(got, serial, rtol=RTOL[dtype], atol=atol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("path", ["dense", "sparse"])
def test_blocks_of_sequences_match_naive(monkeypatch, path, dtype, global_random_seed):
    """A ragged batch of two and a half blocks of sequences (``_kernels._sequence_block``),
    so that sequences end inside every block: states and every harvested feature
    against the NumPy twin, in one chunk and in two parallel chunks of more than a
    block each."""
    from wcrnn_rc import _config, _kernels

    threshold = {"dense": 0.0, "sparse": 1.0}[path]
    monkeypatch.setattr(_config, "SPARSE_MAX_DENSITY", {"series": threshold, "batch": threshold})
    itemsize = np.dtype(dtype).itemsize
    min_rows, n_units = _config.SEQUENCE_BLOCK_MIN_ROWS, 16
    if numba.config.DISABLE_JIT:  # plain Python reads the sizes when called: small blocks
        min_rows = 16
        monkeypatch.setattr(_kernels, "_SEQUENCE_BLOCK_MIN_ROWS", min_rows)
        monkeypatch.setattr(_kernels, "_SEQUENCE_BLOCK_BYTES", min_rows * n_units * itemsize)
    else:  # the compiled sizes: the smallest N whose block is the minimum
        n_units = _config.SEQUENCE_BLOCK_BYTES // (min_rows * itemsize)
    block = _kernels._sequence_block(10**9, n_units, itemsize)
    assert block == min_rows
    rng = np.random.default_rng(global_random_seed)
    lengths = rng.integers(2, 8, size=2 * block + block // 2 + 3)
    X = [rng.uniform(-1, 1, size=(n, 2)).astype(dtype) for n in lengths]
    res = WCRNNReservoir(
        n_units=n_units, residual="rotational", residual_scale=0.8, fan_in=3,
        sequence_features=HARVESTED, n_segments=2, model_space_components=3,
        random_state=global_random_seed,
    ).fit(X)  # fmt: skip
    assert res.network_.uses_sparse(batched=True) == (path == "sparse")
    checked = rng.choice(len(X), size=min(60, len(X)), replace=False)  # a slow twin
    want_features = _naive_features(res, [X[i] for i in checked], HARVESTED)
    atol = {np.float32: 2e-4, np.float64: 1e-9}[dtype]
    for chunks in ("one", "two"):
        if chunks == "one":
            monkeypatch.setattr(_config, "PARALLEL_MIN_ELEMENTS", 1 << 62)
        else:
            _force_chunks(monkeypatch, n_threads=2)
        states = res.run(X)
        for i in checked:
            want = naive_states(
                X[i], res.recurrent_weights_, res.input_weights_, res.bias_, _rho(res),
                res.coupling,
            )  # fmt: skip
            np.testing.assert_allclose(states[i], want, rtol=RTOL[dtype], atol=ATOL[dtype])
        got = res.transform(X)[checked]
        np.testing.assert_allclose(got, want_features, rtol=RTOL[dtype], atol=atol)


def test_an_error_in_a_chunk_reaches_the_caller(monkeypatch):
    from wcrnn_rc import _kernels

    def kernel(first):
        if first == 2:
            raise ValueError("chunk 2 failed")
        return first

    assert _kernels.run_chunks(kernel, [(0,), (1,)]) == [0, 1]
    with pytest.raises(ValueError, match="chunk 2 failed"):
        _kernels.run_chunks(kernel, [(0,), (1,), (2,)])
