"""WCRNNForecaster: teacher forcing, the compiled closed loop, state, and bad input."""

import numpy as np
import pytest
from naive import ATOL, RTOL, linear_rho, naive_states
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline

from wcrnn_rc import (
    SupercriticalResidualWarning,
    WCRNNForecaster,
    WCRNNRegressor,
    WCRNNReservoir,
)
from wcrnn_rc.forecasting import closed_loop_network

TOL = dict(rtol=RTOL[np.float64], atol=ATOL[np.float64])


def _series(n=600, n_targets=1, seed=0):
    t = np.arange(n) * 0.15
    rng = np.random.default_rng(seed)
    phases = rng.uniform(0, 2 * np.pi, size=n_targets)
    return np.column_stack([np.sin(t + p) + 0.5 * np.sin(0.31 * t + 2 * p) for p in phases])


def _reservoir(**kw):
    params = dict(n_units=30, residual="orthogonal", residual_scale=0.9, random_state=0)
    params.update(kw)
    return WCRNNReservoir(**params)


def _naive_closed_loop(model, h, n_steps, X=None):
    """The closed loop one step at a time in NumPy, from the open-loop weights."""
    res = model.reservoir_
    W, U, b = res.recurrent_weights_, res.input_weights_, res.bias_
    R = res.residual_.to_matrix()
    coef = np.atleast_2d(model.readout_.coef_)
    intercept = np.atleast_1d(model.readout_.intercept_)
    out = []
    for k in range(n_steps):
        y_hat = coef @ h + intercept  # y_hat_{t+1} = V h_t + c, the input at step t+1
        out.append(y_hat)
        x = y_hat if X is None else np.concatenate([y_hat, X[k]])
        h = naive_states(x[None], W, U, b, linear_rho(R), res.coupling, res.activation, h0=h)[-1]
    return np.array(out), h


def test_state_after_fit_is_the_end_of_the_training_series():
    y = _series()
    model = WCRNNForecaster(_reservoir(), washout=50).fit(y)
    np.testing.assert_allclose(model.state_, model.reservoir_.run(y)[-1], **TOL)


def test_teacher_forcing_pairs_each_state_with_the_next_value():
    y = _series(n_targets=2)
    model = WCRNNForecaster(_reservoir(), washout=40).fit(y)
    states = model.reservoir_.run(y)
    expected = Ridge().fit(states[40:-1], y[41:])
    np.testing.assert_allclose(model.readout_.coef_, expected.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(model.readout_.intercept_, expected.intercept_, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("n_targets", [1, 3])
def test_compiled_closed_loop_equals_numpy_twin(n_targets):
    y = _series(n_targets=n_targets)
    model = WCRNNForecaster(_reservoir(), washout=50).fit(y)
    h = model.state_.copy()
    got = model.predict(120)
    expected, h_end = _naive_closed_loop(model, h, 120)
    assert got.shape == (120, n_targets)
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(model.state_, h_end, rtol=1e-7, atol=1e-9)


def test_closed_loop_network_weights():
    y = _series(n_targets=2)
    model = WCRNNForecaster(_reservoir(), washout=50).fit(y)
    net = model.closed_loop_network_
    U = model.reservoir_.input_weights_
    V, c = model.readout_.coef_, model.readout_.intercept_
    np.testing.assert_allclose(net.recurrent_weights, model.reservoir_.recurrent_weights_ + U @ V)
    np.testing.assert_allclose(net.bias, model.reservoir_.bias_ + U @ c)
    np.testing.assert_array_equal(net.input_weights, 0.0)


def test_sparse_reservoir_closed_loop_matches_twin():
    y = _series()
    model = WCRNNForecaster(_reservoir(n_units=60, density=0.05), washout=50).fit(y)
    h = model.state_.copy()
    expected, _ = _naive_closed_loop(model, h, 50)
    np.testing.assert_allclose(model.predict(50), expected, rtol=1e-7, atol=1e-9)


def test_sparse_closed_loop_keeps_w_sparse(monkeypatch):
    # Generation adds the feedback U_y (V h + c) each step instead of folding it into a
    # dense W + U_y V: a reservoir too wide for a dense N x N array still forecasts.
    y = _series()
    model = WCRNNForecaster(_reservoir(n_units=200, fan_in=5), washout=50).fit(y)
    h = model.state_.copy()
    expected, h_end = _naive_closed_loop(model, h, 60)
    network_type = type(model.reservoir_.network_)

    def refuse(*args, **kwargs):
        raise MemoryError("W made dense")

    monkeypatch.setattr(network_type, "dense_recurrent_weights", refuse)
    monkeypatch.setattr(network_type, "_other_layout", refuse)
    np.testing.assert_allclose(model.predict(60), expected, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(model.state_, h_end, rtol=1e-7, atol=1e-9)


def test_float32_series_train_and_generate_in_float32():
    y = _series(n_targets=2)
    X = np.cos(0.05 * np.arange(len(y)))[:, None]
    double = WCRNNForecaster(_reservoir(), washout=50).fit(y, X)
    single = WCRNNForecaster(_reservoir(), washout=50).fit(y.astype(np.float32), X)
    assert single.state_.dtype == np.float32
    X_future = np.cos(0.05 * np.arange(600, 700))[:, None]  # float64: cast to float32
    got = single.predict(100, X=X_future)
    assert got.dtype == np.float32 and single.state_.dtype == np.float32
    # Within float32 rounding, grown over 100 steps of the loop.
    np.testing.assert_allclose(got, double.predict(100, X=X_future), rtol=1e-4, atol=1e-4)
    context = y[200:400].astype(np.float64)
    np.testing.assert_allclose(
        single.predict(50, context=context, X=X_future[:50], context_X=X[200:400]),
        double.predict(50, context=context, X=X_future[:50], context_X=X[200:400]),
        rtol=1e-4, atol=1e-4,
    )  # fmt: skip
    # The spectrum runs in float64 whatever the dtype: the NumPy twin's, to float64
    # tolerance (without exogenous input, the twin's closed loop).
    plain = WCRNNForecaster(_reservoir(n_units=16), washout=50).fit(y.astype(np.float32))
    frame0 = np.linalg.qr(np.random.RandomState(3).standard_normal((4, 16)).T)[0].T
    np.testing.assert_allclose(
        plain.lyapunov_spectrum(4, n_steps=300, washout=50, random_state=3),
        _naive_closed_loop_lyapunov(plain, frame0, 300, 50),
        rtol=1e-8, atol=1e-10,
    )  # fmt: skip


def test_float32_stream_stays_float32():
    y = _series().astype(np.float32)
    model = WCRNNForecaster(_reservoir(), washout=50)
    for chunk in np.array_split(y, 3):
        model.partial_fit(chunk)
    assert model.state_.dtype == np.float32
    assert model.predict(10).dtype == np.float32
    # Later chunks are cast to the stream's dtype.
    model.partial_fit(_series(n=100))
    assert model.state_.dtype == np.float32


def test_step_by_step_readout_matches_compiled_loop():
    # A pipeline around Ridge has no coef_: it takes the step-by-step path.
    y = _series()
    fast = WCRNNForecaster(_reservoir(), washout=50).fit(y)
    slow = WCRNNForecaster(_reservoir(), make_pipeline(Ridge()), washout=50).fit(y)
    np.testing.assert_allclose(slow.predict(80), fast.predict(80), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(slow.state_, fast.state_, rtol=1e-6, atol=1e-8)


def test_any_regressor_works_as_readout():
    y = _series()
    model = WCRNNForecaster(_reservoir(), KNeighborsRegressor(3), washout=50).fit(y)
    assert model.predict(20).shape == (20, 1)


def test_predict_continues_where_the_last_forecast_stopped():
    y = _series()
    model = WCRNNForecaster(_reservoir(), washout=50).fit(y)
    whole = model.predict(100)
    model.fit(y)
    first, second = model.predict(60), model.predict(40)
    np.testing.assert_allclose(np.vstack([first, second]), whole, rtol=1e-9, atol=1e-12)


def test_context_warms_up_from_zero_state():
    y = _series()
    model = WCRNNForecaster(_reservoir(), washout=50).fit(y[:400])
    from_state = model.predict(30)  # continues after y[399]
    from_context = model.predict(30, context=y[:400])
    np.testing.assert_allclose(from_context, from_state, rtol=1e-9, atol=1e-12)
    later = model.predict(30, context=y[200:450])
    expected, _ = _naive_closed_loop(model, model.reservoir_.run(y[200:450])[-1], 30)
    np.testing.assert_allclose(later, expected, rtol=1e-7, atol=1e-9)


def test_score_is_r2_of_the_closed_loop_forecast_and_keeps_the_state():
    y = np.sin(0.15 * np.arange(600))[:, None]
    model = WCRNNForecaster(_reservoir(), Ridge(alpha=1e-3), washout=50).fit(y[:500])
    state = model.state_.copy()
    score = model.score(y[500:])
    forecast = model.predict(100)
    truth = y[500:]
    r2 = 1 - ((truth - forecast) ** 2).sum() / ((truth - truth.mean()) ** 2).sum()
    assert score == pytest.approx(r2, rel=1e-9)
    assert score > 0.9
    model.fit(y[:500])
    model.score(y[500:])  # does not move the state
    np.testing.assert_array_equal(model.state_, state)


def test_exogenous_inputs_in_fit_and_predict():
    y = _series(n=700, n_targets=1)
    X = np.cos(0.05 * np.arange(700))[:, None]
    model = WCRNNForecaster(_reservoir(), washout=50).fit(y[:600], X[:600])
    assert model.n_exogenous_ == 1 and model.n_features_in_ == 2
    h = model.state_.copy()
    got = model.predict(100, X=X[600:])
    expected, _ = _naive_closed_loop(model, h, 100, X[600:])
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)


def test_list_of_series_carries_no_state_across_series():
    y1, y2 = _series(n=300, seed=0), _series(n=250, seed=1)
    model = WCRNNForecaster(_reservoir(), washout=30).fit([y1, y2])
    res = model.reservoir_
    s1, s2 = res.run(y1), res.run(y2)  # each from h_0 = 0
    features = np.vstack([s1[30:-1], s2[30:-1]])
    targets = np.vstack([y1[31:], y2[31:]])
    expected = Ridge().fit(features, targets)
    np.testing.assert_allclose(
        np.ravel(model.readout_.coef_), np.ravel(expected.coef_), rtol=1e-6, atol=1e-9
    )
    np.testing.assert_allclose(model.state_, s2[-1], **TOL)


def test_direct_multistep_horizon():
    y = _series(n_targets=2)
    H = 4
    model = WCRNNForecaster(_reservoir(), washout=40, horizon=H).fit(y)
    states = model.reservoir_.run(y)
    T = len(y)
    targets = np.hstack([y[k + 1 : T - H + k + 1] for k in range(H)])
    expected = Ridge().fit(states[40 : T - H], targets[40:])
    np.testing.assert_allclose(model.readout_.coef_, expected.coef_, rtol=1e-6, atol=1e-9)
    h = model.state_.copy()
    got = model.predict(6)
    block = (expected.coef_ @ h + expected.intercept_).reshape(H, 2)
    np.testing.assert_allclose(got[:H], block, rtol=1e-6, atol=1e-9)
    # The block is fed back: the next block starts from the state after it.
    h2 = model.reservoir_.run(block, initial_state=h)[-1]
    block2 = (expected.coef_ @ h2 + expected.intercept_).reshape(H, 2)
    np.testing.assert_allclose(got[H:], block2[:2], rtol=1e-6, atol=1e-9)


def test_grid_search_with_time_series_split():
    y = _series(n=900)
    search = GridSearchCV(
        WCRNNForecaster(_reservoir(), washout=50),
        {"reservoir__coupling": [0.05, 0.2], "readout__alpha": [1e-6, 1.0]},
        cv=TimeSeriesSplit(n_splits=3, test_size=100),
    )
    search.fit(y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # The refitted model scores the held-out continuation like a direct fit does.
    direct = WCRNNForecaster(_reservoir(), washout=50).set_params(**search.best_params_)
    assert search.best_estimator_.score(y[:50]) == pytest.approx(
        direct.fit(y).score(y[:50]), rel=1e-9
    )


def test_nested_params_with_default_reservoir():
    model = WCRNNForecaster(washout=10).set_params(reservoir__n_units=20, readout__alpha=0.5)
    model.fit(_series(n=100))
    assert model.reservoir_.n_units == 20 and model.readout_.alpha == 0.5


# ------------------------------------------------------------------- initial_state


def test_transform_and_predict_accept_initial_state():
    y = _series(n=200)
    res = _reservoir().fit(y)
    whole = res.transform(y)
    np.testing.assert_allclose(res.transform(y[120:], initial_state=whole[119]), whole[120:], **TOL)
    reg = WCRNNRegressor(_reservoir(), washout=20).fit(y[:-1], y[1:, 0])
    full = reg.predict(y)
    h = reg.reservoir_.run(y[:120])[-1]
    np.testing.assert_allclose(reg.predict(y[120:], initial_state=h), full[120:], **TOL)


# ------------------------------------------------------------------- bad input


def test_predict_before_fit():
    with pytest.raises(NotFittedError):
        WCRNNForecaster().predict(5)


def test_bad_n_steps():
    model = WCRNNForecaster(_reservoir(), washout=10).fit(_series(n=100))
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="n_steps must be a positive integer"):
            model.predict(bad)


def test_context_of_wrong_width_or_too_short():
    model = WCRNNForecaster(_reservoir(), washout=50).fit(_series(n=300, n_targets=2))
    with pytest.raises(ValueError, match="context has 3 columns; expected 2"):
        model.predict(5, context=np.zeros((100, 3)))
    with pytest.raises(ValueError, match="at least washout=50 steps"):
        model.predict(5, context=np.zeros((20, 2)))


def test_exogenous_of_wrong_length_or_missing():
    y, X = _series(n=300), np.zeros((300, 2))
    model = WCRNNForecaster(_reservoir(), washout=50).fit(y, X)
    with pytest.raises(ValueError, match="X has 4 rows; expected 5"):
        model.predict(5, X=np.zeros((4, 2)))
    with pytest.raises(ValueError, match="exogenous columns"):
        model.predict(5)
    with pytest.raises(ValueError, match="X has 3 columns; expected 2"):
        model.predict(5, X=np.zeros((5, 3)))
    with pytest.raises(ValueError, match="X has 299 steps but y has 300"):
        WCRNNForecaster(_reservoir()).fit(y, X[:-1])
    plain = WCRNNForecaster(_reservoir(), washout=50).fit(y)
    with pytest.raises(ValueError, match="fitted without X"):
        plain.predict(5, X=np.zeros((5, 1)))


def test_horizon_larger_than_the_series():
    with pytest.raises(ValueError, match="horizon=60 is not smaller than the 50 steps"):
        WCRNNForecaster(_reservoir(), washout=0, horizon=60).fit(_series(n=50))
    with pytest.raises(ValueError, match="leave no training steps"):
        WCRNNForecaster(_reservoir(), washout=45, horizon=5).fit(_series(n=50))


def test_non_finite_forecast_raises_with_the_step():
    y = _series()
    model = WCRNNForecaster(_reservoir(activation="identity"), washout=50).fit(y)
    model.readout_.coef_ = model.readout_.coef_ * 1e4  # an unstable loop
    with pytest.raises(FloatingPointError, match=r"at step (\d+) of 5000") as info:
        model.predict(5000)
    step = int(info.value.args[0].split("at step ")[1].split()[0])
    assert 1 < step < 5000
    # The step is the first non-finite one: a shorter forecast stays finite.
    model.state_ = model._fit_state.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isfinite(model.predict(step - 1)).all()
    slow = WCRNNForecaster(_reservoir(activation="identity"), make_pipeline(Ridge()), washout=50)
    slow.fit(y)
    slow.readout_[-1].coef_ = slow.readout_[-1].coef_ * 1e4
    with pytest.raises(FloatingPointError, match="at step"):
        slow.predict(5000)


def test_state_that_blows_up_first_is_named_with_its_step():
    # A supercritical residual and a tiny readout: the state overflows before any
    # forecast does, and the step reported is the shortest forecast that fails.
    reservoir = _reservoir(activation="identity", residual_scale=1.5)
    with pytest.warns(SupercriticalResidualWarning):
        model = WCRNNForecaster(reservoir, Ridge(alpha=1.0), washout=50).fit(_series())
    model.readout_.coef_ = model.readout_.coef_ * 1e-12
    start = model.state_.copy()
    with pytest.raises(FloatingPointError, match=r"at step (\d+) of 5000: the state") as info:
        model.predict(5000)
    step = int(info.value.args[0].split("at step ")[1].split()[0])
    assert 1 < step < 5000
    model.state_ = start.copy()
    assert np.isfinite(model.predict(step - 1)).all()
    model.state_ = start.copy()
    with pytest.raises(FloatingPointError, match=f"at step {step} of {step}: the state"):
        model.predict(step)


def test_linear_only_features_need_coef():
    model = WCRNNForecaster(_reservoir(), KNeighborsRegressor(3), washout=50).fit(_series())
    with pytest.raises(TypeError, match="needs a linear readout"):
        model.lyapunov_spectrum()
    assert not hasattr(model, "closed_loop_network_")
    assert not hasattr(model, "lyapunov_exponents_")


def test_closed_loop_network_checks_shapes():
    res = _reservoir().fit(np.zeros((5, 1)))
    with pytest.raises(ValueError, match="expected"):
        closed_loop_network(res.network_, np.zeros((1, 7)), np.zeros(1))
    with pytest.raises(ValueError, match="only 1 inputs"):
        closed_loop_network(res.network_, np.zeros((2, 30)), np.zeros(2))


# ------------------------------------------------------------------- closed-loop dynamics


def _naive_closed_loop_lyapunov(model, frame0, n_steps, washout):
    """QR method on the closed loop built by hand: J = R + eps diag(f'(a)) (W + U_y V)."""
    res = model.reservoir_
    R = res.residual_.to_matrix()
    V = np.atleast_2d(model.readout_.coef_)
    c = np.atleast_1d(model.readout_.intercept_)
    U_y = res.input_weights_[:, : V.shape[0]]
    W_cl = res.recurrent_weights_ + U_y @ V
    b_cl = res.bias_ + U_y @ c
    h = model._fit_state.copy()
    Q = frame0.T.copy()
    total = np.zeros(Q.shape[1])
    for t in range(washout + n_steps):
        a = W_cl @ h + b_cl
        J = R + res.coupling * (1 - np.tanh(a) ** 2)[:, None] * W_cl
        h = R @ h + res.coupling * np.tanh(a)
        Q, Rq = np.linalg.qr(J @ Q)
        if t >= washout:
            total += np.log(np.abs(np.diag(Rq)))
    return np.sort(total / n_steps)[::-1]


def test_closed_loop_spectrum_equals_numpy_twin():
    y = _series(n_targets=2)
    model = WCRNNForecaster(_reservoir(n_units=16), washout=50).fit(y)
    k, n_steps, washout = 5, 300, 50
    frame0 = np.linalg.qr(np.random.RandomState(3).standard_normal((k, 16)).T)[0].T
    got = model.lyapunov_spectrum(k, n_steps=n_steps, washout=washout, random_state=3)
    want = _naive_closed_loop_lyapunov(model, frame0, n_steps, washout)
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)
    # Per unit time: divided by dt.
    per_time = model.lyapunov_spectrum(k, n_steps=n_steps, washout=washout, dt=0.02, random_state=3)
    np.testing.assert_allclose(per_time, want / 0.02, rtol=1e-8)


def test_sparse_closed_loop_spectrum_keeps_w_sparse(monkeypatch):
    y = _series(n_targets=2)
    model = WCRNNForecaster(_reservoir(n_units=40, fan_in=4), washout=50).fit(y)
    assert model.reservoir_.network_.stores_sparse
    k, n_steps, washout = 4, 200, 50
    frame0 = np.linalg.qr(np.random.RandomState(3).standard_normal((k, 40)).T)[0].T
    want = _naive_closed_loop_lyapunov(model, frame0, n_steps, washout)

    def refuse(*args, **kwargs):
        raise MemoryError("W made dense")

    network_type = type(model.reservoir_.network_)
    monkeypatch.setattr(network_type, "dense_recurrent_weights", refuse)
    monkeypatch.setattr(network_type, "_other_layout", refuse)
    got = model.lyapunov_spectrum(k, n_steps=n_steps, washout=washout, random_state=3)
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)


def test_closed_loop_spectrum_with_exogenous_input_equals_twin():
    y = _series(n_targets=1)
    X = np.cos(0.05 * np.arange(len(y)))[:, None]
    model = WCRNNForecaster(_reservoir(n_units=16), washout=50).fit(y, X)
    k, n_steps, washout = 3, 150, 30
    drive = np.sin(0.07 * np.arange(washout + n_steps))[:, None]
    got = model.lyapunov_spectrum(k, n_steps=n_steps, washout=washout, X=drive, random_state=2)
    res = model.reservoir_
    R = res.residual_.to_matrix()
    V, c = np.atleast_2d(model.readout_.coef_), np.atleast_1d(model.readout_.intercept_)
    U_y, U_x = res.input_weights_[:, :1], res.input_weights_[:, 1:]
    W_cl, b_cl = res.recurrent_weights_ + U_y @ V, res.bias_ + U_y @ c
    h = model._fit_state.copy()
    Q = np.linalg.qr(np.random.RandomState(2).standard_normal((k, 16)).T)[0]
    total = np.zeros(k)
    for t in range(washout + n_steps):
        a = W_cl @ h + U_x @ drive[t] + b_cl
        J = R + res.coupling * (1 - np.tanh(a) ** 2)[:, None] * W_cl
        h = R @ h + res.coupling * np.tanh(a)
        Q, Rq = np.linalg.qr(J @ Q)
        if t >= washout:
            total += np.log(np.abs(np.diag(Rq)))
    np.testing.assert_allclose(got, np.sort(total / n_steps)[::-1], rtol=1e-8, atol=1e-10)


def test_linear_closed_loop_spectrum_is_log_eigenvalue_moduli():
    # With f = identity the closed loop is the linear map R + eps (W + U_y V).
    y = _series()
    model = WCRNNForecaster(_reservoir(n_units=12, activation="identity"), washout=50).fit(y)
    res = model.reservoir_
    V = np.atleast_2d(model.readout_.coef_)
    J = res.residual_.to_matrix() + res.coupling * (res.recurrent_weights_ + res.input_weights_ @ V)
    expected = np.sort(np.log(np.abs(np.linalg.eigvals(J))))[::-1]
    got = model.lyapunov_spectrum(12, n_steps=4000, washout=200)
    np.testing.assert_allclose(got, expected, atol=5e-3)


def test_lyapunov_exponents_attribute_is_cached_and_distinct_from_open_loop():
    y = np.sin(0.15 * np.arange(800))[:, None]
    model = WCRNNForecaster(_reservoir(n_units=20), Ridge(alpha=1e-4), washout=50).fit(y)
    first = model.lyapunov_exponents_
    assert first.shape == (10,)
    assert model.lyapunov_exponents_ is first
    # A learnt oscillation is a limit cycle: top closed-loop exponent near 0, while
    # the input-driven reservoir contracts (its largest exponent is clearly negative).
    assert abs(first[0]) < 5e-3
    assert model.reservoir_.lyapunov_exponents_[0] < -0.05
    with pytest.raises(ValueError, match="dt must be a positive"):
        model.lyapunov_spectrum(dt=0)


def test_kaplan_yorke_dimension_on_known_spectra():
    from wcrnn_rc.analysis import kaplan_yorke_dimension

    assert kaplan_yorke_dimension([0.9056, 0.0, -14.5723]) == pytest.approx(2 + 0.9056 / 14.5723)
    assert kaplan_yorke_dimension([-14.5723, 0.9056, 0.0]) == pytest.approx(2.06214, abs=1e-5)
    assert kaplan_yorke_dimension([0.0714, 0.0, -5.3943]) == pytest.approx(2.01324, abs=1e-5)
    assert kaplan_yorke_dimension([0.5, -0.2, -1.0]) == pytest.approx(2.3)
    assert kaplan_yorke_dimension([0.2, -0.5]) == pytest.approx(1.4)
    assert kaplan_yorke_dimension([-0.1, -1.0]) == 0.0
    assert kaplan_yorke_dimension([0.3, 0.1]) == 2.0
    with pytest.raises(ValueError, match="non-empty"):
        kaplan_yorke_dimension([])


def test_context_with_exogenous_inputs():
    y = _series(n=700)
    X = np.cos(0.05 * np.arange(700))[:, None]
    model = WCRNNForecaster(_reservoir(), washout=50).fit(y[:500], X[:500])
    got = model.predict(40, context=y[500:600], context_X=X[500:600], X=X[600:640])
    h = model.reservoir_.run(np.hstack([y[500:600], X[500:600]]))[-1]
    expected, _ = _naive_closed_loop(model, h, 40, X[600:640])
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)
    with pytest.raises(ValueError, match="context_X has 99 rows; expected 100"):
        model.predict(40, context=y[500:600], context_X=X[500:599], X=X[600:640])
    with pytest.raises(ValueError, match="context_X was given without context"):
        model.predict(40, context_X=X[500:600], X=X[600:640])
