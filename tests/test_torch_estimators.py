"""The BPTT-trained estimators: learning, determinism, shapes, pickling, sklearn API."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

torch = pytest.importorskip("torch")  # the torch extra; the core test install skips these

from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from wcrnn_rc import SupercriticalResidualWarning, WCRNNReservoir  # noqa: E402
from wcrnn_rc.datasets import make_adding_problem  # noqa: E402
from wcrnn_rc.residuals import RotationalResidual  # noqa: E402
from wcrnn_rc.torch import WCRNN, WCRNNTorchClassifier, WCRNNTorchRegressor  # noqa: E402


def slopes(n_sequences, rng, lengths=(15, 15)):
    """Rising or falling noisy ramps of random lengths, labelled "up" / "down"."""
    signs = rng.choice([-1.0, 1.0], size=n_sequences)
    X = [
        s * np.linspace(0, 1, n)[:, None] + 0.1 * rng.normal(size=(n, 1))
        for s, n in zip(signs, rng.integers(lengths[0], lengths[1] + 1, n_sequences), strict=True)
    ]
    return X, np.where(signs > 0, "up", "down")


def _net(**params):
    return WCRNNReservoir(n_units=16, **params)


FAST = dict(reservoir=_net(), max_epochs=5, batch_size=16, lr=0.03, random_state=0)


def test_learns_the_adding_problem():
    """Real learning at a small size: MSE far below the 0.167 of predicting the mean."""
    rng = np.random.RandomState(0)
    X, y = make_adding_problem(1000, 20, random_state=rng)
    X_test, y_test = make_adding_problem(500, 20, random_state=rng)
    model = WCRNNTorchRegressor(
        WCRNNReservoir(n_units=32, residual_scale=1.0, coupling=0.3),
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
    params = dict(n_units=12, residual="orthogonal", coupling=0.2)
    model = WCRNNTorchRegressor(
        WCRNNReservoir(**params),
        max_epochs=1,
        lr=1e-300,
        optimizer="sgd",
        dtype="float64",
        random_state=5,
    ).fit(X, y)
    res = WCRNNReservoir(**params, random_state=5).fit(X)
    cell = model.module_.rnn.cell
    np.testing.assert_array_equal(cell.weight_hh.detach().numpy(), res.recurrent_weights_)
    # A reservoir with a random_state of its own draws the network itself.
    own = WCRNNTorchRegressor(
        WCRNNReservoir(**params, random_state=5), max_epochs=1, lr=1e-300, optimizer="sgd",
        dtype="float64", random_state=9,
    ).fit(X, y)  # fmt: skip
    np.testing.assert_array_equal(
        own.module_.rnn.cell.weight_hh.detach().numpy(), res.recurrent_weights_
    )
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
        {"reservoir__coupling": [0.1, 0.5]},
        cv=3,
    ).fit(np.stack(X), y)
    assert search.best_params_["reservoir__coupling"] in (0.1, 0.5)
    assert search.cv_results_["mean_test_score"].shape == (2,)


def test_classifier_on_ragged_sequences():
    rng = np.random.default_rng(7)
    X, y = slopes(120, rng, lengths=(5, 30))
    clf = WCRNNTorchClassifier(WCRNNReservoir(n_units=8), max_epochs=15, lr=0.05, random_state=0)
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
        **{
            **FAST,
            "reservoir": _net(residual="identity", residual_scale=1.5, activation="identity"),
        }
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
    reg = WCRNNTorchRegressor(
        **{**FAST, "reservoir": _net(residual="identity", activation="identity")}
    )
    reg.fit(X, np.zeros(8))
    reg.set_params(reservoir__residual_scale=1.5)
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
    reservoir=WCRNNReservoir(n_units=16, residual="none", coupling=1.0),
    max_epochs=20,
    lr=0.05,
    random_state=0,
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


# --------------------------------------------------------------------------------------
# The reservoir as the initial network, truncated BPTT, seeding, failed fits
# --------------------------------------------------------------------------------------


def test_reservoir_parameter_builds_any_core_network():
    """Sparse W, explicit matrices and data-chosen angles come through the reservoir."""
    rng = np.random.default_rng(20)
    X = np.sin(0.3 * np.arange(40))[None, :, None] + 0.05 * rng.normal(size=(30, 40, 1))
    y = X[:, -5:, 0].mean(axis=1)
    explicit = 0.1 * rng.normal(size=(6, 6))
    reservoirs = {
        "sparse": WCRNNReservoir(n_units=6, density=0.3),
        "explicit": WCRNNReservoir(n_units=6, recurrent_weights=explicit),
        "data angles": WCRNNReservoir(n_units=6, residual=RotationalResidual(angles="data")),
    }
    for name, reservoir in reservoirs.items():
        model = WCRNNTorchRegressor(
            reservoir, max_epochs=1, lr=1e-300, optimizer="sgd", dtype="float64", random_state=0
        ).fit(X, y)
        want = clone(reservoir).set_params(random_state=model_seed_reservoir(0)).fit(X)
        got = model.module_.rnn.to_reservoir()
        np.testing.assert_allclose(got.run(X), want.run(X), rtol=1e-12, atol=1e-12, err_msg=name)
    assert reservoirs["sparse"].get_params()["density"] == 0.3  # the given one is not fitted
    assert not hasattr(reservoirs["sparse"], "network_")


def model_seed_reservoir(random_state):
    """The RandomState the estimators hand an unseeded reservoir (drawn first)."""
    return np.random.RandomState(random_state)


def test_truncated_bptt_splits_a_long_series_and_carries_the_state():
    t = np.arange(100)
    X = np.sin(0.2 * t)[:, None]
    y = np.sin(0.2 * (t + 2))
    common = dict(reservoir=_net(), max_epochs=2, optimizer="sgd", lr=1e-300, random_state=0)
    whole = WCRNNTorchRegressor(**common).fit(X, y)
    split = WCRNNTorchRegressor(**common, bptt_steps=30).fit(X, y)
    # Split, not truncated: 4 windows (30 + 30 + 30 + 10 steps), one step each, per epoch.
    assert split.optimizer_.state_dict()["state"] == {}  # plain SGD keeps no state
    assert _n_steps_taken(split, X, y, bptt_steps=30) == 2 * 4
    assert _n_steps_taken(whole, X, y, bptt_steps=None) == 2 * 1
    # With a step size of 1e-300 the weights stay put, so the mean loss over the
    # windows equals the whole series' loss only if each window starts from the
    # state the previous one ended in (a zero restart would change every window).
    np.testing.assert_allclose(split.history_["train_loss"], whole.history_["train_loss"], 1e-6)
    reset = WCRNNTorchRegressor(**common, bptt_steps=1).fit(X[:1], y[:1])
    assert reset.n_epochs_ == 2


def _n_steps_taken(model, X, y, bptt_steps):
    """Optimiser steps of a refit with Adam (whose state counts them)."""
    again = clone(model).set_params(optimizer="adam", bptt_steps=bptt_steps).fit(X, y)
    states = again.optimizer_.state_dict()["state"]
    return int(next(iter(states.values()))["step"])


def test_truncated_bptt_on_sequences_reads_each_target_once():
    X, y = make_adding_problem(40, 25, random_state=21)
    common = dict(reservoir=_net(), max_epochs=1, lr=1e-300, validation_fraction=0, batch_size=16)
    whole = WCRNNTorchRegressor(**common, optimizer="sgd", random_state=0).fit(X, y)
    split = WCRNNTorchRegressor(**common, optimizer="sgd", random_state=0, bptt_steps=10)
    split.fit(X, y)
    np.testing.assert_allclose(split.history_["train_loss"], whole.history_["train_loss"], 1e-6)
    # outputs="last": only the window holding the last step has a target, so one
    # gradient step per batch of 16 (3 batches), as without truncation.
    adam = WCRNNTorchRegressor(**common, random_state=0, bptt_steps=10).fit(X, y)
    assert int(next(iter(adam.optimizer_.state_dict()["state"].values()))["step"]) == 3
    ragged = [seq[:n] for seq, n in zip(X, np.arange(40) % 25 + 1, strict=True)]
    a = WCRNNTorchRegressor(**common, optimizer="sgd", random_state=0).fit(ragged, y)
    b = WCRNNTorchRegressor(**common, optimizer="sgd", random_state=0, bptt_steps=4)
    b.fit(ragged, y)
    np.testing.assert_allclose(b.history_["train_loss"], a.history_["train_loss"], 1e-6)


def test_random_state_none_follows_torch_manual_seed():
    X, y = make_adding_problem(30, 8, random_state=22)
    params = {**FAST, "random_state": None, "max_epochs": 2}

    def fit():
        return WCRNNTorchRegressor(**params).fit(X, y)

    torch.manual_seed(0)
    a = fit()
    torch.manual_seed(0)
    b = fit()
    torch.manual_seed(1)
    c = fit()
    assert a.history_ == b.history_
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert c.history_ != a.history_


def test_modules_follow_torch_manual_seed():
    torch.manual_seed(3)
    a = WCRNN(2, 6)
    torch.manual_seed(3)
    b = WCRNN(2, 6)
    torch.manual_seed(4)
    c = WCRNN(2, 6)
    torch.testing.assert_close(a.cell.weight_hh, b.cell.weight_hh, rtol=0, atol=0)
    assert not torch.equal(a.cell.weight_hh, c.cell.weight_hh)
    torch.manual_seed(4)
    np.random.seed(1)  # noqa: NPY002 - NumPy's global generator plays no part
    e = WCRNN(2, 6, random_state=None)
    torch.testing.assert_close(c.cell.weight_hh, e.cell.weight_hh, rtol=0, atol=0)


def test_non_finite_gradient_names_epoch_and_batch(monkeypatch):
    rng = np.random.default_rng(23)
    X = rng.uniform(0, 1, size=(64, 30, 1))
    y = rng.normal(size=64)
    reg = WCRNNTorchRegressor(**{**FAST, "clip_grad_norm": None, "lr": 1e30, "max_epochs": 3})
    with pytest.raises(FloatingPointError, match=r"loss became .* in epoch \d+, batch \d+"):
        reg.fit(X, y)
    assert not hasattr(reg, "module_") and not hasattr(reg, "n_features_in_")

    def finite_loss_nan_gradient(output, target):
        # sqrt'(0) is inf, times the 0 of (0 * output): a finite loss, a NaN gradient.
        return torch.nn.functional.mse_loss(output, target) + (0 * output).sum().sqrt()

    monkeypatch.setattr(WCRNNTorchRegressor, "_loss", staticmethod(finite_loss_nan_gradient))
    reg = WCRNNTorchRegressor(**FAST)
    with pytest.raises(FloatingPointError, match=r"gradient became non-finite .* epoch 1, batch 1"):
        reg.fit(X, y)
    assert not hasattr(reg, "module_") and not hasattr(reg, "history_")


def test_failed_classifier_fit_leaves_no_fitted_attribute():
    rng = np.random.default_rng(24)
    X, y = slopes(20, rng)
    clf = WCRNNTorchClassifier(**FAST).fit(X, y)
    assert hasattr(clf, "classes_")
    with pytest.raises(ValueError):
        clf.fit(X, y[:-1])
    assert [name for name in vars(clf) if name.endswith("_") and not name.startswith("_")] == []
    with pytest.raises(NotFittedError):
        clf.predict(X)
