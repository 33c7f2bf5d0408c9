"""WCRNNReservoir: special cases, input paths, dtypes, determinism and bad input."""

import pickle
import re
import threading

import numpy as np
import pytest
from naive import ATOL, RTOL, esn_states, leaky_esn_states
from sklearn.exceptions import NotFittedError

from wcrnn_rc import SupercriticalResidualWarning, WCRNNReservoir


@pytest.fixture
def series():
    return np.random.default_rng(0).uniform(-1, 1, size=(300, 2))


@pytest.mark.parametrize("leak", [0.05, 0.3, 1.0])
def test_identity_residual_is_exactly_a_leaky_esn(series, leak):
    for residual in ["identity", (1 - leak) * np.eye(40)]:
        res = WCRNNReservoir(
            n_units=40,
            residual=residual,
            residual_scale=1 - leak if isinstance(residual, str) else 0.95,
            coupling=leak,
            recurrent_gain=1.1,
            random_state=1,
        ).fit(series)
        want = leaky_esn_states(series, res.recurrent_weights_, res.input_weights_, res.bias_, leak)
        np.testing.assert_allclose(res.transform(series), want, rtol=1e-12, atol=1e-14)


def test_no_residual_with_unit_coupling_is_exactly_an_esn(series):
    res = WCRNNReservoir(n_units=40, residual="none", coupling=1.0, random_state=2).fit(series)
    want = esn_states(series, res.recurrent_weights_, res.input_weights_, res.bias_)
    np.testing.assert_allclose(res.transform(series), want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("residual", ["identity", "orthogonal", "rotational", "tanh"])
@pytest.mark.parametrize("density", [1.0, 0.05])
def test_series_batch_and_ragged_paths_agree(residual, density, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    batch = rng.normal(size=(6, 25, 3))
    res = WCRNNReservoir(
        n_units=33, residual=residual, density=density, random_state=global_random_seed
    ).fit(batch)
    from_batch = res.run(batch)
    ragged = [batch[0], batch[1, :7], batch[2, :1], batch[3], batch[4, :20]]
    from_ragged = res.run(ragged)
    # Equal up to rounding: BLAS may block a (k, N) product differently for each k.
    for i, seq in enumerate(ragged):
        from_series = res.run(seq)
        np.testing.assert_allclose(from_ragged[i], from_series, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(from_batch[i][: len(seq)], from_series, rtol=1e-12, atol=1e-14)


def test_sequence_features(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    seqs = [rng.normal(size=(n, 2)) for n in (4, 11, 7)]
    res = WCRNNReservoir(n_units=10, random_state=0).fit(seqs)
    runs = res.run(seqs)
    last = np.array([r[-1] for r in runs])
    mean = np.array([r.mean(axis=0) for r in runs])
    np.testing.assert_allclose(res.transform(seqs), last, rtol=1e-12)
    np.testing.assert_allclose(
        res.set_params(sequence_features="mean").transform(seqs), mean, rtol=1e-12
    )
    both = res.set_params(sequence_features="both").transform(seqs)
    np.testing.assert_allclose(both, np.hstack([last, mean]), rtol=1e-12)


def test_long_series_runs_in_windows_without_changing_states(monkeypatch):
    """Windowing over time (bounded memory) must not change the states."""
    from wcrnn_rc import _config

    X = np.random.default_rng(0).normal(size=(500, 1))
    res = WCRNNReservoir(n_units=16, random_state=0).fit(X)
    whole = res.transform(X)
    monkeypatch.setattr(_config, "WINDOW_ELEMENTS", 16 * 37)
    np.testing.assert_array_equal(res.transform(X), whole)
    seqs = [X[:123], X[:500], X[:7]]
    features = res.transform(seqs)
    monkeypatch.undo()
    np.testing.assert_array_equal(features, res.transform(seqs))


@pytest.mark.parametrize("residual", ["identity", "orthogonal", "rotational", "tanh", "none"])
def test_float32_agrees_with_float64(residual, series):
    res = WCRNNReservoir(n_units=50, residual=residual, random_state=0).fit(series)
    s64 = res.transform(series)
    s32 = res.transform(series.astype(np.float32))
    assert s32.dtype == np.float32
    np.testing.assert_allclose(s32, s64, rtol=RTOL[np.float32] * 10, atol=ATOL[np.float32] * 10)


def test_initial_state(series):
    res = WCRNNReservoir(n_units=8, random_state=0).fit(series)
    full = res.run(series)
    np.testing.assert_allclose(
        res.run(series[100:], initial_state=full[99]), full[100:], rtol=1e-12, atol=1e-14
    )
    batch = np.stack([series[:50], series[50:100]])
    h0 = np.stack([full[10], full[20]])
    out = res.run(batch, initial_state=h0)
    np.testing.assert_allclose(out[1], res.run(series[50:100], initial_state=full[20]))
    with pytest.raises(ValueError, match=r"initial_state has shape \(3,\); expected \(8,\)"):
        res.run(series, initial_state=np.zeros(3))
    with pytest.raises(ValueError, match="initial_state contains NaN"):
        res.run(series, initial_state=np.full(8, np.nan))


def test_same_random_state_same_weights_and_states(series, global_random_seed):
    a = WCRNNReservoir(residual="orthogonal", random_state=global_random_seed).fit(series)
    b = WCRNNReservoir(residual="orthogonal", random_state=global_random_seed).fit(series)
    for name in ["recurrent_weights_", "input_weights_", "bias_"]:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.residual_.matrix_, b.residual_.matrix_)
    np.testing.assert_array_equal(a.transform(series), b.transform(series))
    c = WCRNNReservoir(residual="orthogonal", random_state=global_random_seed + 1).fit(series)
    assert not np.allclose(a.recurrent_weights_, c.recurrent_weights_)


def test_explicit_array_leaves_other_draws_unchanged(series):
    a = WCRNNReservoir(n_units=10, random_state=0).fit(series)
    b = WCRNNReservoir(n_units=10, recurrent_weights=np.eye(10), random_state=0).fit(series)
    np.testing.assert_array_equal(a.input_weights_, b.input_weights_)
    np.testing.assert_array_equal(a.bias_, b.bias_)
    # density 0.1: stored (and returned) as CSR
    np.testing.assert_array_equal(b.recurrent_weights_.toarray(), np.eye(10))


def test_weight_statistics(global_random_seed):
    res = WCRNNReservoir(
        n_units=300,
        recurrent_gain=0.8,
        density=0.2,
        input_scaling=0.5,
        bias_scaling=0.3,
        random_state=global_random_seed,
    ).fit(np.zeros((2, 4)))
    W = res.recurrent_weights_
    assert abs(np.count_nonzero(W) / W.size - 0.2) < 0.01
    radius = np.max(np.abs(np.linalg.eigvals(W)))
    assert abs(radius - 0.8) < 0.08
    assert np.abs(res.input_weights_).max() <= 0.5 and res.input_weights_.shape == (300, 4)
    assert np.abs(res.bias_).max() <= 0.3


def test_pickled_reservoir_transforms_identically(series):
    res = WCRNNReservoir(residual="rotational", density=0.05, random_state=0).fit(series)
    clone = pickle.loads(pickle.dumps(res))
    np.testing.assert_array_equal(clone.transform(series), res.transform(series))


def test_transform_is_thread_safe(series):
    res = WCRNNReservoir(n_units=64, residual="orthogonal", random_state=0).fit(series)
    inputs = [series * s for s in np.linspace(0.5, 1.5, 8)]
    want = [res.transform(x) for x in inputs]
    got = [None] * len(inputs)

    def work(i):
        for _ in range(5):
            got[i] = res.transform(inputs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


def test_readonly_memmap_input(tmp_path, series):
    path = tmp_path / "x.npy"
    np.save(path, series)
    X = np.load(path, mmap_mode="r")
    res = WCRNNReservoir(n_units=12, random_state=0).fit(X)
    np.testing.assert_array_equal(res.transform(X), res.transform(series))
    batch = np.lib.format.open_memmap(tmp_path / "b.npy", mode="w+", shape=(3, 20, 2))
    batch[:] = series[:60].reshape(3, 20, 2)
    batch.flush()
    readonly = np.load(tmp_path / "b.npy", mmap_mode="r")
    np.testing.assert_array_equal(res.transform(readonly), res.transform(np.array(readonly)))


# ----------------------------------------------------------------- bad input


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_is_rejected(series, bad):
    res = WCRNNReservoir(n_units=5, random_state=0).fit(series)
    X = series.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        res.transform(X)
    with pytest.raises(ValueError, match="NaN|infinity"):
        res.transform(X.reshape(3, 100, 2))
    with pytest.raises(ValueError, match="Sequence 1 of the list is invalid.*(NaN|infinity)"):
        res.transform([series, X])


def test_empty_input_is_rejected():
    res = WCRNNReservoir(n_units=5)
    with pytest.raises(ValueError, match="0 sample"):
        res.fit(np.zeros((0, 2)))
    with pytest.raises(ValueError, match="empty list of sequences"):
        res.fit([])
    with pytest.raises(ValueError, match="empty batch of sequences"):
        res.fit(np.zeros((3, 0, 2)))
    with pytest.raises(ValueError, match="Sequence 1 of the list is invalid.*0 sample"):
        res.fit([np.zeros((3, 2)), np.zeros((0, 2))])


def test_wrong_number_of_features_at_transform(series):
    res = WCRNNReservoir(n_units=5, random_state=0).fit(series)
    with pytest.raises(ValueError, match="X has 3 features, but WCRNNReservoir is expecting 2"):
        res.transform(np.zeros((10, 3)))
    with pytest.raises(ValueError, match="X has 3 features"):
        res.transform(np.zeros((4, 10, 3)))
    with pytest.raises(ValueError, match="X has 3 features"):
        res.transform([np.zeros((10, 3))])


def test_mixed_widths_in_a_ragged_list():
    with pytest.raises(
        ValueError,
        match=r"same number of features.*2 features: sequences \[0, 2\]"
        r".*3 features: sequences \[1\]",
    ):
        WCRNNReservoir().fit([np.zeros((4, 2)), np.zeros((5, 3)), np.zeros((6, 2))])


def test_non_numeric_input():
    with pytest.raises(ValueError, match="could not convert|dtype"):
        WCRNNReservoir().fit(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(ValueError, match="Complex data not supported"):
        WCRNNReservoir().fit(np.ones((4, 2), dtype=complex))


def test_wrong_dimensionality():
    with pytest.raises(ValueError, match="got 1-D input"):
        WCRNNReservoir().fit(np.zeros(5))
    with pytest.raises(ValueError, match="got 4-D input"):
        WCRNNReservoir().fit(np.zeros((2, 2, 2, 2)))


@pytest.mark.parametrize(
    "name, value, shape",
    [
        ("recurrent_weights", np.zeros((4, 4)), "(5, 5)"),
        ("input_weights", np.zeros((5, 3)), "(5, 2)"),
        ("bias", np.zeros(4), "(5,)"),
        ("residual", np.eye(4), "(5, 5)"),
    ],
)
def test_mismatched_explicit_matrices(series, name, value, shape):
    with pytest.raises(ValueError, match=r"shape .*expected " + re.escape(shape)):
        WCRNNReservoir(n_units=5, **{name: value}).fit(series)


def test_non_finite_explicit_matrix(series):
    with pytest.raises(ValueError, match="recurrent_weights contains NaN"):
        WCRNNReservoir(n_units=2, recurrent_weights=[[np.nan, 0], [0, 0]]).fit(series)
    with pytest.raises(TypeError, match="bias must be a numeric array"):
        WCRNNReservoir(n_units=2, bias=["x", "y"]).fit(series)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_units": 0}, "n_units"),
        ({"coupling": -0.1}, "coupling"),
        ({"density": 0.0}, "density"),
        ({"density": 1.5}, "density"),
        ({"activation": "sigmoid"}, "activation"),
        ({"residual": "spiral"}, "residual"),
        ({"sequence_features": "median"}, "sequence_features"),
        ({"n_segments": 0}, "n_segments"),
        ({"model_space_components": 0}, "model_space_components"),
        ({"model_space_target": "output"}, "model_space_target"),
        ({"model_space_alpha": 0.0}, "model_space_alpha"),
        ({"bidirectional": "yes"}, "bidirectional"),
        ({"sequence_features": ["last", "median"]}, "sequence_features"),
        ({"sequence_features": ["last", "last"]}, "sequence_features"),
        ({"sequence_features": []}, "sequence_features"),
        ({"sequence_features": ["both"]}, "sequence_features"),
        ({"recurrent_gain": -1}, "recurrent_gain"),
    ],
)
def test_invalid_parameters(series, params, match):
    with pytest.raises(ValueError, match=f"The '{match}' parameter"):
        WCRNNReservoir(**params).fit(series)


def test_supercritical_residual_warns_then_raises_on_blow_up():
    X = np.ones((3000, 1))
    with pytest.warns(SupercriticalResidualWarning, match="spectral radius 1.5 > 1"):
        res = WCRNNReservoir(n_units=10, residual_scale=1.5, random_state=0).fit(X)
    with pytest.raises(FloatingPointError, match="NaN or infinite.*1.5 \\(> 1, supercritical\\)"):
        res.transform(X)
    with pytest.raises(FloatingPointError, match="NaN or infinite"):
        res.transform(X.astype(np.float32)[:300])  # float32 overflows sooner


@pytest.mark.parametrize("features", ["last", "max", "mean", "segments"])
def test_blow_up_raises_whatever_the_features(features):
    """Without the mean, the harvest keeps no running sum and checks the last states."""
    X = np.ones((5, 3000, 1))
    with pytest.warns(SupercriticalResidualWarning):
        res = WCRNNReservoir(
            n_units=10, residual_scale=1.5, sequence_features=features, random_state=0
        ).fit(X)
    with pytest.raises(FloatingPointError, match="NaN or infinite"):
        res.transform(X)


def test_tanh_residual_above_one_stays_bounded_without_warning(recwarn):
    X = np.ones((2000, 1))
    res = WCRNNReservoir(n_units=10, residual="tanh", residual_scale=1.5, random_state=0).fit(X)
    assert np.all(np.isfinite(res.transform(X)))
    assert not [w for w in recwarn if issubclass(w.category, SupercriticalResidualWarning)]


def test_weight_parameters_changed_after_fit_need_a_new_fit(series):
    """W, U, b and their layout are fixed in fit; a new density raises until refit."""
    res = WCRNNReservoir(n_units=40, density=0.05, random_state=0).fit(series)
    before = res.transform(series)
    res.set_params(density=1.0, recurrent_gain=3.0, input_scaling=5.0)
    with pytest.raises(NotFittedError, match="recurrent_gain.*density.*input_scaling"):
        res.transform(series)
    assert not np.allclose(res.fit(series).transform(series), before)


@pytest.mark.parametrize("residual", ["identity", "orthogonal", "rotational"])
def test_critical_residual_does_not_warn(series, residual, recwarn):
    res = WCRNNReservoir(n_units=9, residual=residual, residual_scale=1.0, random_state=0)
    res.fit(series)
    assert res.residual_.spectral_radius_ == pytest.approx(1.0)
    assert not [w for w in recwarn if issubclass(w.category, SupercriticalResidualWarning)]
