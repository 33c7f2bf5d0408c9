"""The BPTT-trained estimators: learning, determinism, shapes, pickling, sklearn API."""

import pickle

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

torch = pytest.importorskip("torch")  # the torch extra is part of the test extra

from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from wcrnn_rc import SupercriticalResidualWarning, WCRNNReservoir  # noqa: E402
from wcrnn_rc.datasets import make_adding_problem  # noqa: E402
from wcrnn_rc.torch import WCRNN, WCRNNTorchClassifier, WCRNNTorchRegressor  # noqa: E402


def slopes(n_sequences, rng, lengths=(15, 15)):
    """Rising or falling noisy ramps of random lengths, labelled "up" / "down"."""
    signs = rng.choice([-1.0, 1.0], size=n_sequences)
    X = [
        s * np.linspace(0, 1, n)[:, None] + 0.1 * rng.normal(size=(n, 1))
        for s, n in zip(signs, rng.integers(lengths[0], lengths[1] + 1, n_sequences), strict=True)
    ]
    return X, np.where(signs > 0, "up", "down")


FAST = dict(n_units=16, max_epochs=5, batch_size=16, lr=0.03, random_state=0)


def test_learns_the_adding_problem():
    """Real learning at a small size: MSE far below the 0.167 of predicting the mean."""
    rng = np.random.RandomState(0)
    X, y = make_adding_problem(1000, 20, random_state=rng)
    X_test, y_test = make_adding_problem(500, 20, random_state=rng)
    model = WCRNNTorchRegressor(
        n_units=32,
        residual_scale=1.0,
        coupling=0.3,
        max_epochs=8,
        batch_size=16,
        lr=0.02,
        random_state=0,
    ).fit(X, y)
    mse = np.mean((model.predict(X_test) - y_test) ** 2)
    assert np.var(y_test) > 0.14
    assert mse < 0.05, mse  # measured 0.019


def test_same_random_state_same_history_and_predictions():
    X, y = make_adding_problem(100, 12, random_state=1)
    a = WCRNNTorchRegressor(**FAST).fit(X, y)
    b = WCRNNTorchRegressor(**FAST).fit(X, y)
    assert a.history_ == b.history_
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    torch.manual_seed(123)  # the global seed plays no part
    c = WCRNNTorchRegressor(**{**FAST, "random_state": np.random.RandomState(0)}).fit(X, y)
    assert c.history_ == a.history_
    d = WCRNNTorchRegressor(**{**FAST, "random_state": 1}).fit(X, y)
    assert d.history_ != a.history_


def test_initial_network_is_the_reservoirs():
    X, y = make_adding_problem(20, 10, random_state=2)
    params = dict(n_units=12, residual="orthogonal", coupling=0.2, random_state=5)
    model = WCRNNTorchRegressor(
        **params, max_epochs=1, lr=1e-300, optimizer="sgd", dtype="float64"
    ).fit(X, y)
    res = WCRNNReservoir(**params).fit(X)
    cell = model.module_.rnn.cell
    np.testing.assert_array_equal(cell.weight_hh.detach().numpy(), res.recurrent_weights_)
    np.testing.assert_array_equal(cell.residual_matrix_numpy(), res.residual_.to_matrix())


def test_trained_module_exports_to_a_reservoir():
    X, y = make_adding_problem(60, 10, random_state=3)
    model = WCRNNTorchRegressor(**FAST, dtype="float64").fit(X, y)
    res = model.module_.rnn.to_reservoir()
    states, _ = model.module_.rnn(torch.as_tensor(X))
    np.testing.assert_allclose(res.run(X), states.detach().numpy(), rtol=1e-10, atol=1e-12)
    # The trained W, not the initial one.
    initial = WCRNNReservoir(n_units=16, random_state=0).fit(X)
    assert not np.allclose(res.recurrent_weights_, initial.recurrent_weights_)


def test_train_residual_moves_the_residual_only_when_asked():
    X, y = make_adding_problem(60, 10, random_state=4)
    initial = WCRNNReservoir(n_units=16, random_state=0).fit(X).residual_.blocks_
    for train, moved in ((False, False), (True, True)):
        model = WCRNNTorchRegressor(**FAST, train_residual=train, dtype="float64").fit(X, y)
        blocks = model.module_.rnn.cell.residual_blocks.detach().numpy()
        assert (not np.allclose(blocks, initial)) == moved


def test_pickle_round_trip():
    rng = np.random.default_rng(5)
    X, y = slopes(40, rng)
    clf = WCRNNTorchClassifier(**FAST).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    assert again.history_ == clf.history_
    assert (
        again.optimizer_.state_dict()["state"].keys() == clf.optimizer_.state_dict()["state"].keys()
    )
    # The unpickled optimiser still drives the unpickled module's parameters.
    assert {id(p) for g in again.optimizer_.param_groups for p in g["params"]} == {
        id(p) for p in again.module_.parameters()
    }


def test_grid_search():
    rng = np.random.default_rng(6)
    X, y = slopes(45, rng)
    search = GridSearchCV(
        WCRNNTorchClassifier(**{**FAST, "max_epochs": 3}),
        {"coupling": [0.1, 0.5]},
        cv=3,
    ).fit(np.stack(X), y)
    assert search.best_params_["coupling"] in (0.1, 0.5)
    assert search.cv_results_["mean_test_score"].shape == (2,)


def test_classifier_on_ragged_sequences():
    rng = np.random.default_rng(7)
    X, y = slopes(120, rng, lengths=(5, 30))
    clf = WCRNNTorchClassifier(n_units=8, max_epochs=15, lr=0.05, random_state=0)
    clf.fit(X[:90], y[:90])
    assert list(clf.classes_) == ["down", "up"]
    assert clf.score(X[90:], y[90:]) > 0.9
    proba = clf.predict_proba(X[90:])
    assert proba.shape == (30, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # Padding plays no part: each sequence alone gets the same answer.
    alone = np.concatenate([clf.predict_proba([seq]) for seq in X[90:95]])
    np.testing.assert_allclose(alone, proba[:5], rtol=1e-5, atol=1e-6)


def test_per_step_outputs():
    rng = np.random.default_rng(8)
    X = rng.uniform(-1, 1, size=(40, 12, 1))
    y = np.cumsum(X[:, :, 0], axis=1) / 4  # running sum: one target per step
    reg = WCRNNTorchRegressor(**{**FAST, "max_epochs": 20}, outputs="sequence").fit(X, y)
    assert reg.predict(X).shape == (40, 12)
    assert reg.score(X, y) > 0.8
    ragged = [X[0, :5], X[1]]
    pred = reg.predict(ragged)
    assert [p.shape for p in pred] == [(5,), (12,)]
    np.testing.assert_allclose(pred[0], reg.predict(X[:1])[0, :5], rtol=1e-5, atol=1e-6)
    reg.fit(ragged, [y[0, :5], y[1]])  # per-step targets for a list

    labels = np.where(y > 0, "pos", "neg")
    clf = WCRNNTorchClassifier(**{**FAST, "max_epochs": 20}, outputs="sequence").fit(X, labels)
    assert clf.predict(X).shape == (40, 12)
    assert clf.predict_proba(X).shape == (40, 12, 2)
    assert clf.score(X, labels) > 0.8


def test_a_2d_input_is_one_series_with_a_target_per_step():
    t = np.arange(300)
    X = np.sin(0.2 * t)[:, None]
    y = np.sin(0.2 * (t + 3))  # three steps ahead
    reg = WCRNNTorchRegressor(**{**FAST, "max_epochs": 40}).fit(X, y)
    assert reg.predict(X).shape == (300,)
    assert reg.history_["valid_loss"] == []  # one series: no sequences to hold out
    assert reg.score(X[50:], y[50:]) > 0.8


def test_multi_output_regression():
    rng = np.random.default_rng(9)
    X = rng.uniform(0, 1, size=(60, 8, 1))
    y = np.stack([X[:, :, 0].mean(axis=1), X[:, -1, 0]], axis=1)
    reg = WCRNNTorchRegressor(**FAST).fit(X, y)
    assert reg.predict(X).shape == (60, 2)


def test_early_stopping_keeps_the_best_epoch():
    X, y = make_adding_problem(80, 10, random_state=10)
    reg = WCRNNTorchRegressor(
        **{**FAST, "max_epochs": 60, "lr": 0.2}, n_iter_no_change=2, validation_fraction=0.3
    ).fit(X, y)
    valid = reg.history_["valid_loss"]
    assert len(valid) == len(reg.history_["train_loss"]) == reg.n_epochs_
    assert reg.n_epochs_ < 60  # stopped early
    assert reg.best_loss_ == min(valid)
    assert reg.best_epoch_ == int(np.argmin(valid)) + 1
    assert reg.n_epochs_ == reg.best_epoch_ + 2


def test_progress_bar_when_verbose(capsys):
    X, y = make_adding_problem(20, 5, random_state=11)
    WCRNNTorchRegressor(**{**FAST, "max_epochs": 2}).fit(X, y)
    assert capsys.readouterr().err == ""
    WCRNNTorchRegressor(**{**FAST, "max_epochs": 2}, verbose=1).fit(X, y)
    err = capsys.readouterr().err
    assert "WCRNNTorchRegressor" in err and "2/2" in err


def test_bad_input_is_reported():
    X, y = make_adding_problem(10, 5, random_state=12)
    with pytest.raises(ValueError, match="10 sequences but y has 9"):
        WCRNNTorchRegressor(**FAST).fit(X, y[:9])
    with pytest.raises(ValueError, match="one target per time step"):
        WCRNNTorchRegressor(**FAST, outputs="sequence").fit(X, y)
    with pytest.raises(ValueError, match="has 5 steps but 4 targets"):
        WCRNNTorchRegressor(**FAST, outputs="sequence").fit(X, np.zeros((10, 4)))
    with pytest.raises(InvalidParameterError):
        WCRNNTorchRegressor(lr=-1.0).fit(X, y)
    with pytest.raises(InvalidParameterError):
        WCRNNTorchRegressor(optimizer="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="device"):
        WCRNNTorchRegressor(**FAST, device="no-such-device").fit(X, y)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            WCRNNTorchRegressor(**FAST, device="cuda").fit(X, y)
    model = WCRNNTorchRegressor(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(np.zeros((3, 5, 4)))


def test_diverging_training_raises():
    rng = np.random.default_rng(13)
    X = rng.uniform(0, 1, size=(8, 400, 1))
    reg = WCRNNTorchRegressor(
        **FAST, residual="identity", residual_scale=1.5, activation="identity"
    )
    with pytest.warns(SupercriticalResidualWarning), pytest.raises(FloatingPointError):
        reg.fit(X, np.zeros(8))
    # Nothing of the failed fit is left behind: predict does not return NaN.
    assert not hasattr(reg, "module_") and not hasattr(reg, "history_")
    with pytest.raises(NotFittedError):
        reg.predict(X)


def test_failed_refit_removes_the_previous_fit():
    rng = np.random.default_rng(13)
    X = rng.uniform(0, 1, size=(8, 400, 1))
    reg = WCRNNTorchRegressor(**FAST, residual="identity", activation="identity")
    reg.fit(X, np.zeros(8))
    reg.set_params(residual_scale=1.5)
    with pytest.warns(SupercriticalResidualWarning), pytest.raises(FloatingPointError):
        reg.fit(X, np.zeros(8))
    with pytest.raises(NotFittedError):
        reg.predict(X)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_training_matches_cpu_closely():
    X, y = make_adding_problem(64, 10, random_state=14)
    cpu = WCRNNTorchRegressor(**FAST, dtype="float64").fit(X, y)
    gpu = WCRNNTorchRegressor(**FAST, dtype="float64", device="cuda").fit(X, y)
    assert gpu.module_.rnn.cell.weight_hh.device.type == "cuda"
    np.testing.assert_allclose(gpu.predict(X), cpu.predict(X), rtol=1e-6, atol=1e-8)
    rnn = WCRNN.from_reservoir(cpu.module_.rnn.to_reservoir(), device="cuda")
    assert rnn(torch.zeros(2, 3, 2, device="cuda"))[0].device.type == "cuda"


# --------------------------------------------------------------------------------------
# scikit-learn's estimator checks
# --------------------------------------------------------------------------------------

# The checks feed 2-D X, which these estimators read as ONE time series (as the core
# does), with one target per row; "memoryless" settings keep the checks' accuracy
# thresholds in reach within a few epochs.
_CHECK_PARAMS = dict(
    n_units=16, residual="none", coupling=1.0, max_epochs=20, lr=0.05, random_state=0
)
_SEQUENCE_REASONS = {
    "check_methods_subset_invariance": (
        "2-D X is one time series: the state at a row depends on every earlier row, "
        "so predicting on a subset of rows gives different results by design."
    ),
    "check_methods_sample_order_invariance": (
        "2-D X is one time series: reordering rows reorders time and changes every "
        "state after the first moved row."
    ),
}


@parametrize_with_checks(
    [WCRNNTorchRegressor(**_CHECK_PARAMS), WCRNNTorchClassifier(**_CHECK_PARAMS)],
    expected_failed_checks=lambda estimator: _SEQUENCE_REASONS,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
