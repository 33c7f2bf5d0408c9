"""Long series in bounded memory: streamed predict, score and harvest; float64 sums."""

import tracemalloc

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score
from sklearn.neighbors import KNeighborsRegressor

from wcrnn_rc import WCRNNClassifier, WCRNNForecaster, WCRNNRegressor, WCRNNReservoir, _config
from wcrnn_rc._validation import Sequences, make_packing, pack, unpack, validate_sequences
from wcrnn_rc.estimators import predict_by_windows


@pytest.fixture
def small_windows(monkeypatch):
    """Windows of 64 state elements: a short series runs in many windows."""
    monkeypatch.setattr(_config, "WINDOW_ELEMENTS", 64)


def _series(n_steps, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n_steps, 1))
    return X, np.roll(X[:, 0], 2)


def _peak_bytes(func):
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ---------------------------------------------------------------- equal to in memory


def test_regressor_predict_and_score_equal_the_in_memory_path(small_windows):
    X, y = _series(700)
    model = WCRNNRegressor(WCRNNReservoir(n_units=12, random_state=0), washout=50).fit(X, y)
    h0 = np.random.default_rng(1).normal(size=12)
    states = model.reservoir_.network_.run_series(X, initial_state=h0)
    assert 12 * 700 > 10 * _config.WINDOW_ELEMENTS  # many windows
    got = model.predict(X, initial_state=h0)
    np.testing.assert_allclose(got, model.readout_.predict(states), rtol=1e-12, atol=1e-12)
    assert got.shape == (700,)  # washout steps are predicted too, as before
    want = r2_score(y, model.readout_.predict(model.reservoir_.network_.run_series(X)))
    np.testing.assert_allclose(model.score(X, y), want, rtol=1e-12)


def test_multi_output_and_non_ridge_readouts_stream(small_windows):
    X, y = _series(400)
    Y = np.column_stack([y, np.roll(X[:, 0], 4)])
    for readout in (Ridge(alpha=0.1), KNeighborsRegressor(3)):
        model = WCRNNRegressor(WCRNNReservoir(n_units=10, random_state=0), readout).fit(X, Y)
        want = model.readout_.predict(model.reservoir_.network_.run_series(X))
        got = model.predict(X)
        assert got.shape == (400, 2)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_classifier_on_a_series_streams_labels_scores_and_probabilities(small_windows):
    X, _ = _series(500)
    labels = np.where(np.roll(X[:, 0], 1) > 0, "positive", "no")  # names of two widths
    model = WCRNNClassifier(
        WCRNNReservoir(n_units=10, random_state=0), LogisticRegression(), washout=10
    ).fit(X, labels)
    states = model.reservoir_.network_.run_series(X)
    readout = model.readout_
    assert list(model.predict(X)) == list(readout.predict(states))
    np.testing.assert_allclose(
        model.decision_function(X), readout.decision_function(states), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        model.predict_proba(X), readout.predict_proba(states), rtol=1e-12, atol=1e-12
    )
    assert model.score(X, labels) == accuracy_score(labels, readout.predict(states))
    assert model.score(X, labels) > 0.7  # chance is about 0.5


def test_predict_by_windows_widens_the_output_dtype_and_checks_rows(small_windows):
    X, _ = _series(300)
    network = WCRNNReservoir(n_units=8, random_state=0).fit(X).network_
    seqs = Sequences("series", [X], X.dtype)
    # Names widen from one window to the next (the first window is all "a").
    calls = iter(range(10**6))
    got = predict_by_windows(
        network, seqs, lambda s: np.array(["a" if next(calls) else "bbb"] * len(s))
    )
    assert got.dtype == np.dtype("<U3") and got[0] == "bbb" and got[-1] == "a"
    with pytest.raises(ValueError, match="must be row-wise"):
        predict_by_windows(network, seqs, lambda s: s.sum(axis=0))


def test_forecaster_generation_and_context_stream(small_windows):
    y = np.sin(0.2 * np.arange(600))
    model = WCRNNForecaster(WCRNNReservoir(n_units=10, random_state=0), washout=50).fit(y)
    coef, intercept = model.readout_.coef_, model.readout_.intercept_
    h = model.state_.copy()
    # The closed loop by hand: feed each forecast back, one step at a time.
    network = model.reservoir_.network_
    want = []
    for _ in range(300):
        want.append(coef @ h + intercept)
        h = network.run_series(np.atleast_2d(want[-1]), initial_state=h)[-1]
    got = model.predict(300)
    np.testing.assert_allclose(got[:, 0], np.ravel(want), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(model.state_, h, rtol=1e-9, atol=1e-9)
    context = y[:400, None]
    warm = WCRNNForecaster(WCRNNReservoir(n_units=10, random_state=0), washout=50).fit(y)
    np.testing.assert_allclose(
        warm._warm_up(context, None), network.run_series(context)[-1], rtol=1e-12
    )


def test_forecaster_names_the_first_diverged_step_in_a_later_window(small_windows):
    y = np.sin(0.2 * np.arange(400))
    model = WCRNNForecaster(
        WCRNNReservoir(n_units=8, activation="identity", random_state=0), washout=50
    ).fit(y)
    model.readout_.coef_ = model.readout_.coef_ * 1e4  # an unstable loop
    start = model.state_.copy()
    with pytest.raises(FloatingPointError, match=r"at step (\d+) of 5000") as info:
        model.predict(5000)
    step = int(info.value.args[0].split("at step ")[1].split()[0])
    assert step > _config.WINDOW_ELEMENTS // 8  # not in the first window
    model.state_ = start.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isfinite(model.predict(step - 1)).all()


def test_single_sequence_packing_has_no_per_step_arrays():
    packing = make_packing([10**7])
    assert packing.batch_sizes.shape == (10**7,) and packing.batch_sizes.strides == (0,)
    assert packing.positions is None
    seq = np.arange(6.0).reshape(3, 2)
    packed = pack([seq], packing)
    np.testing.assert_array_equal(packed, seq)
    assert not np.shares_memory(packed, seq)
    assert unpack(packed, packing)[0] is packed


# ---------------------------------------------------------------- bounded memory


@pytest.fixture
def medium_windows(monkeypatch):
    """Windows of 2**14 state elements (the default is 2**21): bounds show sooner."""
    monkeypatch.setattr(_config, "WINDOW_ELEMENTS", 1 << 14)


def test_predict_and_score_peak_memory_does_not_grow_with_the_series():
    """tracemalloc peaks at 40k and 160k steps, N = 100, default windows: the growth
    is the output alone (8 bytes a step), far below the 128 MB the 160k x 100 states
    would take."""
    X, y = _series(160_000)
    model = WCRNNRegressor(WCRNNReservoir(n_units=100, random_state=0), washout=50)
    model.fit(X[:2000], y[:2000])
    model.predict(X[:10])  # compiled before measuring
    short = _peak_bytes(lambda: model.predict(X[:40_000]))
    long = _peak_bytes(lambda: model.predict(X))
    assert long - short < 120_000 * 8 + 500_000, (short, long)
    window = _config.WINDOW_ELEMENTS * 8
    assert long < 1.5 * window, (long, window)  # one window buffer (16.8 MB) and the output
    assert _peak_bytes(lambda: model.score(X[:40_000], y[:40_000])) < 1.5 * window
    # Streamed predictions equal the in-memory ones.
    states = model.reservoir_.network_.run_series(X[:30_000])
    np.testing.assert_allclose(
        model.predict(X[:30_000]), model.readout_.predict(states), rtol=1e-10, atol=1e-12
    )


def test_harvest_of_one_long_sequence_holds_no_per_step_array(medium_windows):
    X, _ = _series(100_000)
    res = WCRNNReservoir(n_units=20, sequence_features=["mean", "max", "ppv"], random_state=0)
    res.fit(X[:10])
    res.transform(X[None, :10])
    # Both lengths span several windows: the same window buffers, and nothing per step
    # (the 100k-step index arrays took 4.8 MB).
    short = _peak_bytes(lambda: res.transform(X[None, :50_000]))
    long = _peak_bytes(lambda: res.transform(X[None]))
    assert long - short < 50_000, (short, long)


def test_forecast_peak_memory_does_not_grow_with_n_steps(medium_windows):
    y = np.sin(0.2 * np.arange(600))
    model = WCRNNForecaster(WCRNNReservoir(n_units=100, random_state=0), washout=50).fit(y)
    model.predict(10)
    short = _peak_bytes(lambda: model.predict(10_000))
    long = _peak_bytes(lambda: model.predict(60_000))
    # The forecasts and the closed loop's zero drive, 8 bytes a step each; the states
    # would be 800 bytes a step.
    assert long - short < 2 * 50_000 * 8 + 500_000, (short, long)


# ---------------------------------------------------------------- float64 sums


def test_float32_mean_over_2e6_steps_accumulates_in_float64():
    """A constant drive takes the float32 states to a fixed point, so the exact mean of
    the float32 states is known from the first steps; float32 sums were 2e-2 off."""
    n_steps, n_units = 2_000_000, 4
    X = np.ones((n_steps, 1), np.float32)
    res = WCRNNReservoir(
        n_units=n_units,
        residual="identity",
        residual_scale=0.9,
        sequence_features=["mean", "ppv"],
        random_state=0,
    ).fit(X[:10])
    head = res.transform(X[:2000])
    assert head.dtype == np.float32
    np.testing.assert_array_equal(head[-1], head[-2])  # the float32 fixed point
    exact = (head.sum(axis=0, dtype=np.float64) + (n_steps - 2000) * head[-1]) / n_steps
    got = res.transform(X[None])
    assert got.dtype == np.float32
    np.testing.assert_allclose(got[0, :n_units], exact, rtol=1e-6)
    positive = ((head > 0).sum(axis=0) + (n_steps - 2000) * (head[-1] > 0)) / n_steps
    np.testing.assert_allclose(got[0, n_units:], positive, rtol=1e-6)
    _, _, total = res.network_.run(validate_sequences(res, X, reset=False), store_states=False)
    assert total.dtype == np.float64
    np.testing.assert_allclose(total[0] / n_steps, exact, rtol=1e-6)
