"""WCRNNRegressor and WCRNNClassifier: composition, readouts, washout and streaming."""

import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline

from wcrnn_rc import WCRNNClassifier, WCRNNRegressor, WCRNNReservoir
from wcrnn_rc.estimators import ridge_from_state_windows


@pytest.fixture
def delayed_sine():
    t = np.arange(1500)
    X = (np.sin(0.2 * t) + 0.1 * np.random.default_rng(0).normal(size=t.size))[:, None]
    y = np.roll(X[:, 0], 3)  # recall the input 3 steps back
    return X, y


@pytest.fixture
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).reshape(-1, 64, 1), y


def test_pipeline_and_grid_search_over_coupling(delayed_sine):
    X, y = delayed_sine
    pipe = Pipeline([("res", WCRNNReservoir(n_units=30, random_state=0)), ("ridge", Ridge())])
    search = GridSearchCV(pipe, {"res__coupling": [0.01, 0.1, 0.5]}, cv=3).fit(X, y)
    assert search.best_params_["res__coupling"] in (0.01, 0.1, 0.5)
    assert search.best_score_ > 0.9


@pytest.mark.parametrize("Estimator", [WCRNNRegressor, WCRNNClassifier])
def test_nested_parameters_work_with_default_reservoir(Estimator):
    readout_param = "alphas" if Estimator is WCRNNClassifier else "alpha"
    est = Estimator().set_params(reservoir__coupling=0.3, **{f"readout__{readout_param}": 2.0})
    assert isinstance(est.reservoir, WCRNNReservoir) and est.reservoir.coupling == 0.3
    assert getattr(est.readout, readout_param) == 2.0
    assert "reservoir__coupling" in est.get_params(deep=True)


def test_grid_search_on_nested_reservoir_parameters(digits):
    X, y = digits
    clf = WCRNNClassifier(WCRNNReservoir(n_units=40, random_state=0))
    search = GridSearchCV(
        clf, {"reservoir__coupling": [0.05, 0.5], "reservoir__residual_scale": [0.5, 0.9]}, cv=2
    )
    search.fit(X[:300], y[:300])
    assert len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.reservoir_.coupling in (0.05, 0.5)


def test_regressor_recalls_delayed_input(delayed_sine):
    X, y = delayed_sine
    model = WCRNNRegressor(WCRNNReservoir(n_units=50, random_state=0), washout=50).fit(X, y)
    assert model.score(X[1000:], y[1000:]) > 0.95


def test_washout_drops_prefix_from_training(delayed_sine):
    X, y = delayed_sine
    res = WCRNNReservoir(n_units=20, random_state=0)
    for readout in [Ridge(alpha=0.1), KNeighborsRegressor()]:  # streamed and materialised
        model = WCRNNRegressor(res, readout=readout, washout=200).fit(X, y)
        states = res.fit(X).transform(X)
        direct = type(readout)(**readout.get_params()).fit(states[200:], y[200:])
        np.testing.assert_allclose(model.predict(X), direct.predict(states), rtol=1e-7, atol=1e-9)
    with pytest.raises(ValueError, match="washout=1500 leaves no training steps"):
        WCRNNRegressor(res, washout=1500).fit(X, y)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_targets", [None, 3])
def test_streamed_ridge_equals_ridge_on_all_states(monkeypatch, fit_intercept, n_targets):
    """Window-by-window accumulation gives the readout sklearn's Ridge would fit."""
    from wcrnn_rc import _config

    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 2))
    y = rng.normal(size=3000) if n_targets is None else rng.normal(size=(3000, n_targets))
    y = y + 5.0  # a large mean tests the centring
    monkeypatch.setattr(_config, "WINDOW_ELEMENTS", 25 * 211)  # many windows
    ridge = Ridge(alpha=0.3, fit_intercept=fit_intercept)
    model = WCRNNRegressor(
        WCRNNReservoir(n_units=25, random_state=0), readout=ridge, washout=17
    ).fit(X, y)
    states = model.reservoir_.transform(X)
    direct = Ridge(alpha=0.3, fit_intercept=fit_intercept).fit(states[17:], y[17:])
    np.testing.assert_allclose(model.readout_.coef_, direct.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(model.readout_.intercept_, direct.intercept_, rtol=1e-9)
    assert np.shape(model.predict(X)) == np.shape(y)


def test_ridge_from_state_windows_per_target_alpha():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(200, 4)), rng.normal(size=(200, 2))
    alpha = np.array([0.1, 10.0])
    streamed = ridge_from_state_windows([(X[:77], Y[:77]), (X[77:], Y[77:])], Ridge(alpha=alpha))
    np.testing.assert_allclose(streamed.coef_, Ridge(alpha=alpha).fit(X, Y).coef_, rtol=1e-9)
    with pytest.raises(ValueError, match="No training steps"):
        ridge_from_state_windows([], Ridge())


@pytest.mark.slow
def test_two_million_step_series_fits_in_well_under_1gb():
    """The streamed ridge never holds the 2e6 x 100 states (1.6 GB in float64)."""
    script = textwrap.dedent(
        """
        import resource
        import numpy as np
        from wcrnn_rc import WCRNNRegressor, WCRNNReservoir
        rng = np.random.default_rng(0)
        X = rng.uniform(-1, 1, size=(2_000_000, 1))
        y = np.roll(X[:, 0], 1)
        model = WCRNNRegressor(WCRNNReservoir(n_units=100, random_state=0), washout=100)
        model.fit(X, y)
        score = model.score(X[:20000], y[:20000])
        # This process's own peak: ru_maxrss would also count the parent's peak at
        # fork time (Linux keeps it across exec), VmHWM belongs to this image alone.
        try:
            with open("/proc/self/status") as status:
                line = next(line for line in status if line.startswith("VmHWM:"))
            peak_mb = int(line.split()[1]) / 1024
        except FileNotFoundError:  # not Linux
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(peak_mb, score)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    peak_mb, score = float(out[0]), float(out[1])
    assert peak_mb < 700, f"peak resident memory {peak_mb:.0f} MB"
    assert score > 0.9


def test_classifier_on_digit_sequences(digits):
    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    res = WCRNNReservoir(n_units=100, sequence_features="both", random_state=0)
    clf = WCRNNClassifier(res).fit(X_train, y_train)
    assert clf.score(X_test, y_test) > 0.7  # chance is 0.1
    np.testing.assert_array_equal(clf.classes_, np.arange(10))
    assert clf.decision_function(X_test).shape == (len(X_test), 10)


def test_classifier_on_ragged_sequences(digits):
    """Digit sequences with up to one leading row of pixels cut, and string labels."""
    X, y = digits
    rng = np.random.default_rng(0)
    seqs = [x[-rng.integers(56, 65) :] for x in X[:900]]
    labels = np.array([f"digit {d}" for d in y[:900]])
    clf = WCRNNClassifier(
        WCRNNReservoir(n_units=100, sequence_features="both", random_state=0)
    ).fit(seqs[:600], labels[:600])
    assert clf.score(seqs[600:], labels[600:]) > 0.6  # chance is 0.1
    assert set(clf.predict(seqs[600:])) <= set(labels)
    # The ragged path gives what each sequence gives alone.
    one = clf.predict([seqs[5]])
    np.testing.assert_array_equal(one, clf.predict(seqs[:10])[5:6])


@pytest.mark.parametrize("readout", [LogisticRegression(max_iter=500), KNeighborsClassifier()])
def test_any_classifier_works_as_readout(digits, readout):
    X, y = digits
    clf = WCRNNClassifier(WCRNNReservoir(n_units=40, random_state=0), readout=readout)
    clf.fit(X[:400], y[:400])
    assert clf.score(X[400:600], y[400:600]) > 0.5
    assert clf.predict_proba(X[:5]).shape == (5, 10)


def test_available_methods_follow_the_readout():
    assert not hasattr(WCRNNClassifier(), "predict_proba")  # RidgeClassifier has none
    assert hasattr(WCRNNClassifier(readout=LogisticRegression()), "predict_proba")


def test_pickled_estimators_predict_identically(digits, delayed_sine):
    X, y = digits
    clf = WCRNNClassifier(WCRNNReservoir(n_units=30, random_state=0)).fit(X[:200], y[:200])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict(X), clf.predict(X))
    Xs, ys = delayed_sine
    reg = WCRNNRegressor(WCRNNReservoir(n_units=30, random_state=0)).fit(Xs, ys)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(reg)).predict(Xs), reg.predict(Xs))


def test_label_and_sequence_count_mismatch(digits, delayed_sine):
    X, y = digits
    with pytest.raises(ValueError, match="X has 100 sequences but y has 99 targets"):
        WCRNNClassifier().fit(X[:100], y[:99])
    with pytest.raises(ValueError, match="X has 3 sequences but y has 2 targets"):
        WCRNNRegressor().fit([X[0], X[1], X[2, :9]], [1.0, 2.0])
    Xs, ys = delayed_sine
    with pytest.raises(ValueError, match="X has 1500 time steps but y has 1499 targets"):
        WCRNNRegressor().fit(Xs, ys[:-1])


def test_bad_targets(delayed_sine):
    X, y = delayed_sine
    with pytest.raises(ValueError, match="requires y to be passed"):
        WCRNNRegressor().fit(X, None)
    with pytest.raises(ValueError, match="Input y contains NaN"):
        WCRNNRegressor().fit(X, np.full_like(y, np.nan))
    with pytest.raises(ValueError, match="Unknown label type"):
        WCRNNClassifier().fit(X, y)


def test_invalid_estimator_parameters(delayed_sine):
    X, y = delayed_sine
    with pytest.raises(ValueError, match="The 'washout' parameter"):
        WCRNNRegressor(washout=-1).fit(X, y)
    with pytest.raises(ValueError, match="The 'readout' parameter"):
        WCRNNRegressor(readout="ridge").fit(X, y)
    with pytest.raises(ValueError, match="The 'reservoir' parameter"):
        WCRNNRegressor(reservoir=Ridge()).fit(X, y)


def test_grid_search_over_residual_object_parameters(delayed_sine):
    from wcrnn_rc.residuals import RotationalResidual

    X, y = delayed_sine
    res = WCRNNReservoir(n_units=20, residual=RotationalResidual(angles="data"), random_state=0)
    pipe = Pipeline([("res", res), ("ridge", Ridge())])
    grid = {"res__residual__scale": [0.5, 0.9], "res__residual__angles": ["data", "spread"]}
    search = GridSearchCV(pipe, grid, cv=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    best = search.best_estimator_["res"].residual_
    assert best.scale == search.best_params_["res__residual__scale"]
    assert best.angles == search.best_params_["res__residual__angles"]
    # "data" angles come from the input in fit: a 0.2 rad/step sine puts every block
    # near that frequency
    data_angles = res.fit(X).residual_.angles_
    np.testing.assert_allclose(data_angles, 0.2, atol=0.05)
