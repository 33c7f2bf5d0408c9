"""Online readouts: RLS, streamed ridge statistics, and partial_fit of the estimators."""

import tracemalloc

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from wcrnn_rc import WCRNNForecaster, WCRNNRegressor, WCRNNReservoir
from wcrnn_rc.readouts import RidgeStatistics, RLSRegressor


@parametrize_with_checks([RLSRegressor(), RLSRegressor(forgetting_factor=0.99, alpha=0.1)])
def test_rls_is_a_scikit_learn_regressor(estimator, check):
    check(estimator)


def _data(n=400, d=6, m=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=(d, m)) + 0.3 + 0.1 * rng.normal(size=(n, m))
    return X, y


def test_rls_equals_ridge_without_intercept():
    X, y = _data()
    rls = RLSRegressor(alpha=2.0, fit_intercept=False).fit(X, y)
    ridge = Ridge(alpha=2.0, fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(rls.coef_, ridge.coef_, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(rls.predict(X), ridge.predict(X), rtol=1e-9, atol=1e-11)


def test_rls_converges_to_ridge_with_intercept_chunk_by_chunk():
    X, y = _data()
    ridge = Ridge(alpha=1.0).fit(X, y)
    rls = RLSRegressor(alpha=1.0)
    for chunk in np.array_split(np.arange(len(X)), 7):
        rls.partial_fit(X[chunk], y[chunk])
    np.testing.assert_allclose(rls.coef_, ridge.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rls.intercept_, ridge.intercept_, rtol=1e-5, atol=1e-6)
    assert rls.n_samples_seen_ == len(X)
    whole = RLSRegressor(alpha=1.0).fit(X, y)
    np.testing.assert_allclose(rls.coef_, whole.coef_, rtol=1e-9, atol=1e-12)


def test_rls_forgetting_tracks_a_changed_target():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 3))
    w_old, w_new = np.array([1.0, 0.0, -1.0]), np.array([-1.0, 2.0, 0.5])
    y = np.concatenate([X[:1000] @ w_old, X[1000:] @ w_new])
    forgetting = RLSRegressor(forgetting_factor=0.97, fit_intercept=False).fit(X, y)
    remembering = RLSRegressor(forgetting_factor=1.0, fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(forgetting.coef_, w_new, atol=1e-6)
    assert np.abs(remembering.coef_ - w_new).max() > 0.5
    assert forgetting.coef_.shape == (3,) and isinstance(forgetting.intercept_, float)


def test_rls_memory_does_not_grow_with_the_stream():
    d, chunk = 40, 2000
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(chunk, d)), rng.normal(size=chunk)

    def peak(n_chunks):
        rls = RLSRegressor()
        rls.partial_fit(X, y)  # compile and allocate outside the measurement
        tracemalloc.start()
        for _ in range(n_chunks):
            rls.partial_fit(X, y)
        result = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return result

    short, long = peak(2), peak(20)
    assert long < 1.2 * short + 100_000
    assert long < 4 * (X.nbytes + (d + 1) ** 2 * 8)  # O(chunk * d + d**2), nothing per row


def test_rls_bad_input():
    X, y = _data()
    rls = RLSRegressor().fit(X, y)
    with pytest.raises(ValueError, match="targets"):
        rls.partial_fit(X, y[:, 0])
    with pytest.raises(ValueError, match="features"):
        rls.partial_fit(X[:, :3], y)
    with pytest.raises(FloatingPointError, match="RLS weights"):
        RLSRegressor(alpha=1e-300, fit_intercept=False).fit(X * 1e200, y)


def test_ridge_statistics_match_ridge_with_and_without_intercept():
    X, y = _data()
    for fit_intercept in (True, False):
        stats = RidgeStatistics(fit_intercept=fit_intercept)
        for chunk in np.array_split(np.arange(len(X)), 5):
            stats.update(X[chunk], y[chunk])
        got = stats.solve(Ridge(alpha=0.5, fit_intercept=fit_intercept))
        want = Ridge(alpha=0.5, fit_intercept=fit_intercept).fit(X, y)
        np.testing.assert_allclose(got.coef_, want.coef_, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(got.intercept_, want.intercept_, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="No training steps"):
        RidgeStatistics().solve(Ridge())


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_svd_ridge_statistics_match_ridge_chunk_by_chunk(fit_intercept):
    X, y = _data()
    stats = RidgeStatistics(fit_intercept=fit_intercept, solver="svd")
    for chunk in np.split(np.arange(len(X)), [3, 10, 200]):  # chunks shorter than R
        stats.update(X[chunk], y[chunk])
    alpha = np.array([0.5, 3.0])  # one per target
    got = stats.solve(Ridge(alpha=alpha, fit_intercept=fit_intercept))
    want = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="svd").fit(X, y)
    assert stats.n_samples == len(X)
    np.testing.assert_allclose(got.coef_, want.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got.intercept_, want.intercept_, rtol=1e-9, atol=1e-12)


def _ill_conditioned(n=3000, d=40, condition=1e9, seed=0):
    """A design with singular values from 1 down to 1 / condition and an offset mean,
    as the states of a weakly coupled reservoir have, and targets that use them all."""
    rng = np.random.default_rng(seed)
    left = np.linalg.qr(rng.normal(size=(n, d)))[0]
    right = np.linalg.qr(rng.normal(size=(d, d)))[0]
    X = (left * np.logspace(0, -np.log10(condition), d)) @ right + rng.normal(size=d)
    y = X @ rng.normal(size=(d, 1)) + 1e-9 * rng.normal(size=(n, 1))
    return X, y


def _precise_ridge(X, y, alpha):
    """The ridge solution by an SVD of the augmented, centred design (no Gram matrix)."""
    xc, yc = X - X.mean(axis=0), y - y.mean(axis=0)
    d = X.shape[1]
    design = np.vstack([xc, np.sqrt(alpha) * np.eye(d)])
    coef = np.linalg.lstsq(design, np.vstack([yc, np.zeros((d, y.shape[1]))]), rcond=None)[0].T
    return coef, y.mean(axis=0) - coef @ X.mean(axis=0)


def test_svd_ridge_statistics_are_accurate_where_the_normal_equations_are_not():
    X, y = _ill_conditioned()
    alpha = 1e-14
    coef, intercept = _precise_ridge(X, y, alpha)
    stats = RidgeStatistics(solver="svd")
    for chunk in np.array_split(np.arange(len(X)), 4):
        stats.update(X[chunk], y[chunk])
    got = stats.solve(Ridge(alpha=alpha))
    scale = np.abs(coef).max()
    # cond(X) * eps is about 1e-7: the factor of the design keeps those digits.
    np.testing.assert_allclose(got.coef_, coef, atol=1e-5 * scale)
    np.testing.assert_allclose(got.intercept_, intercept, atol=1e-5 * scale)
    # The normal equations square the condition number (1e18) past float64's precision.
    normal = RidgeStatistics().update(X, y).solve(Ridge(alpha=alpha))
    assert np.abs(normal.coef_ - coef).max() > 1e-2 * scale


def test_bad_ridge_statistics_solver():
    with pytest.raises(ValueError, match="solver must be one of"):
        RidgeStatistics(solver="qr")


def test_estimators_solve_ridge_svd_by_the_streamed_factor():
    """Ridge(solver="svd") reaches the precise solution through every streamed fit."""
    rng = np.random.default_rng(1)
    y = np.sin(0.05 * np.arange(1200))[:, None] + 0.01 * rng.normal(size=(1200, 1))
    # A leaky network of weak coupling has nearly collinear states (condition 2.6e9).
    res = WCRNNReservoir(
        n_units=40, residual="identity", residual_scale=0.5, coupling=0.01, random_state=0
    )
    alpha = 1e-13
    model = WCRNNForecaster(res, Ridge(alpha=alpha, solver="svd"), washout=50).fit(y)
    states = model.reservoir_.run(y)
    coef, intercept = _precise_ridge(states[50:-1], y[51:], alpha)
    scale = np.abs(coef).max()
    np.testing.assert_allclose(model.readout_.coef_, coef, atol=1e-4 * scale)
    np.testing.assert_allclose(model.readout_.intercept_, intercept, atol=1e-4 * scale)
    streamed = WCRNNForecaster(res, Ridge(alpha=alpha, solver="svd"), washout=50)
    for chunk in np.array_split(y, 3):
        streamed.partial_fit(chunk)
    np.testing.assert_allclose(streamed.readout_.coef_, coef, atol=1e-4 * scale)
    x = y[:-1]
    regressor = WCRNNRegressor(res, Ridge(alpha=alpha, solver="svd"), washout=50)
    regressor.fit(x, y[1:, 0])
    coef, intercept = _precise_ridge(regressor.reservoir_.run(x)[50:], y[51:], alpha)
    np.testing.assert_allclose(regressor.readout_.coef_, coef[0], atol=1e-4 * scale)


# ------------------------------------------------------------------- partial_fit


def _signal(n=1500):
    t = np.arange(n)
    x = np.column_stack([np.sin(0.1 * t), np.cos(0.037 * t)])
    return x, np.column_stack([np.roll(x[:, 0], 3), x[:, 0] * x[:, 1]])


def _res():
    return WCRNNReservoir(n_units=25, random_state=0)


@pytest.mark.parametrize("sizes", [[1500], [700, 800], [30, 40, 500, 930], [1] * 5 + [1495]])
def test_regressor_partial_fit_equals_one_fit(sizes):
    x, y = _signal()
    whole = WCRNNRegressor(_res(), washout=50).fit(x, y)
    streamed = WCRNNRegressor(_res(), washout=50)
    for chunk in np.split(np.arange(len(x)), np.cumsum(sizes)[:-1]):
        streamed.partial_fit(x[chunk], y[chunk])
    np.testing.assert_allclose(streamed.readout_.coef_, whole.readout_.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(streamed.state_, whole.reservoir_.run(x)[-1], rtol=1e-12)
    np.testing.assert_allclose(streamed.predict(x[:100]), whole.predict(x[:100]), rtol=1e-7)


def test_regressor_partial_fit_with_rls_converges_to_ridge():
    x, y = _signal()
    ridge = WCRNNRegressor(_res(), Ridge(alpha=1e-2), washout=50).fit(x, y[:, 0])
    rls = WCRNNRegressor(_res(), RLSRegressor(alpha=1e-2), washout=50)
    for chunk in np.array_split(np.arange(len(x)), 4):
        rls.partial_fit(x[chunk], y[chunk, 0])
    np.testing.assert_allclose(rls.predict(x), ridge.predict(x), rtol=1e-4, atol=1e-4)


def test_regressor_partial_fit_bad_input_and_fit_restarts():
    x, y = _signal()
    with pytest.raises(ValueError, match="one time series"):
        WCRNNRegressor(_res()).partial_fit(np.zeros((3, 10, 2)), np.zeros(3))
    with pytest.raises(TypeError, match="partial_fit needs a Ridge readout"):
        WCRNNRegressor(_res(), KNeighborsRegressor()).partial_fit(x, y)
    model = WCRNNRegressor(_res(), washout=10).partial_fit(x[:500], y[:500])
    model.fit(x[:300], y[:300])
    assert not hasattr(model, "state_")
    model.partial_fit(x[:300], y[:300])  # a new stream, from h_0 = 0
    np.testing.assert_allclose(model.state_, model.reservoir_.run(x[:300])[-1], rtol=1e-12)


@pytest.mark.parametrize("sizes", [[1500], [700, 800], [20, 80, 1400], [1] * 3 + [1497]])
def test_forecaster_partial_fit_equals_one_fit(sizes):
    x, _ = _signal()
    whole = WCRNNForecaster(_res(), washout=60).fit(x)
    streamed = WCRNNForecaster(_res(), washout=60)
    for chunk in np.split(np.arange(len(x)), np.cumsum(sizes)[:-1]):
        streamed.partial_fit(x[chunk])
    np.testing.assert_allclose(streamed.readout_.coef_, whole.readout_.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(streamed.state_, whole.state_, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(streamed.predict(100), whole.predict(100), rtol=1e-6, atol=1e-8)


def test_forecaster_partial_fit_with_exogenous_and_rls():
    x, _ = _signal()
    y, X = x[:, :1], x[:, 1:]
    whole = WCRNNForecaster(_res(), Ridge(alpha=1e-3), washout=60).fit(y, X)
    rls = WCRNNForecaster(_res(), RLSRegressor(alpha=1e-3), washout=60)
    for chunk in np.array_split(np.arange(len(y)), 3):
        rls.partial_fit(y[chunk], X[chunk])
    np.testing.assert_allclose(
        np.ravel(rls.readout_.coef_), np.ravel(whole.readout_.coef_), rtol=1e-4, atol=1e-5
    )
    # RLS is linear (coef_, intercept_): its closed loop runs compiled.
    assert rls.closed_loop_network_.n_features == 1
    with pytest.raises(ValueError, match="in every chunk or in none"):
        rls.partial_fit(y[:10])
    with pytest.raises(ValueError, match="X has 9 steps but y has 10"):
        rls.partial_fit(y[:10], X[:9])


def test_forecaster_partial_fit_bad_input():
    with pytest.raises(ValueError, match="horizon=1"):
        WCRNNForecaster(_res(), horizon=2).partial_fit(np.zeros(50))
    with pytest.raises(TypeError, match="partial_fit needs a Ridge readout"):
        WCRNNForecaster(_res(), KNeighborsRegressor()).partial_fit(np.zeros(50))
    model = WCRNNForecaster(_res(), washout=5).partial_fit(np.zeros((50, 2)))
    with pytest.raises(ValueError, match="y has 3 columns; expected 2"):
        model.partial_fit(np.zeros((10, 3)))
