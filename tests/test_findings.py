"""Smoke tests of the helper logic of the findings scripts (benchmarks/findings_*.py).

The scripts themselves are not run here (they take minutes); these check the pieces
whose mistakes would silently change the published tables: the regime classification,
the scores, the ridge-penalty selection on a validation block, and model selection on
validation (never test) scores.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import r2_score
from sklearn.utils import Bunch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import findings_baselines as baselines  # noqa: E402
import findings_edge_of_chaos as edge  # noqa: E402
from _findings import nrmse  # noqa: E402

from wcrnn_rc import WCRNNReservoir  # noqa: E402


@pytest.mark.parametrize(
    ("exponent", "expected"),
    [
        (-0.1, "subcritical"),
        (-0.0051, "subcritical"),
        (-0.005, "near-critical"),
        (0.0, "near-critical"),
        (0.005, "near-critical"),
        (0.0051, "supercritical"),
        (float("nan"), "undefined"),
    ],
)
def test_regime_boundaries(exponent, expected):
    assert edge.regime(exponent, threshold=0.005) == expected


def test_regime_threshold_is_used():
    assert edge.regime(0.01, threshold=0.02) == "near-critical"
    assert edge.regime(-0.03, threshold=0.02) == "subcritical"


def test_state_bound():
    assert [edge.state_bound(s) for s in (0.99, 1.0, 1.01)] == [
        "bounded",
        "marginal",
        "unbounded",
    ]


def test_nrmse_and_mean_r2():
    rng = np.random.RandomState(0)
    y = rng.normal(size=(200, 3))
    pred = y + 0.3 * rng.normal(size=y.shape)
    assert baselines.mean_r2(y, pred) == pytest.approx(r2_score(y, pred))
    assert nrmse(y[:, 0], y[:, 0]) == 0.0
    # Predicting the mean gives NRMSE 1 and R^2 0: the "chance" rows of the tables.
    constant = np.full(200, y[:, 0].mean())
    assert nrmse(y[:, 0], constant) == pytest.approx(1.0)
    assert baselines.mean_r2(y[:, 0], constant) == pytest.approx(0.0)


def _series_task(name, y):
    return Bunch(name=name, kind="series", X=None, y=y, greater_is_better=name == "delays")


def test_series_scores_use_the_held_out_tail():
    rng = np.random.RandomState(0)
    n = baselines.SERIES_STEPS
    y = rng.normal(size=n)
    # A state that holds the target exactly: near-perfect on every block.
    states = np.column_stack([y, rng.normal(size=n)])
    scores = baselines._series_scores(states, _series_task("narma10", y))
    assert scores["test"] < 1e-3
    # Noise states: the readout cannot beat the mean on the tail.
    noise = rng.normal(size=(n, 5))
    scores = baselines._series_scores(noise, _series_task("narma10", y))
    assert scores["test"] > 0.95
    # The same for the R^2 task (greater is better): near 1, then near 0 or below.
    Y = np.column_stack([y, -y])
    assert baselines._series_scores(states, _series_task("delays", Y))["test"] > 0.999
    assert baselines._series_scores(noise, _series_task("delays", Y))["test"] < 0.05


def test_select_uses_validation_not_test():
    grid = baselines.MODELS["ESN"][2]
    scores = {
        ("ESN", grid[0], "t"): [{"val": 0.9, "test": 0.1}],
        ("ESN", grid[1], "t"): [{"val": 0.5, "test": 0.99}],
        ("ESN", grid[2], "t"): [{"val": np.nan, "test": 1.0}],
    }
    assert baselines._select(scores, "ESN", "t", greater_is_better=True) == grid[0]
    assert baselines._select(scores, "ESN", "t", greater_is_better=False) == grid[1]


def test_overflowing_states_score_nan():
    n = baselines.SERIES_STEPS
    task = Bunch(
        name="narma10",
        kind="series",
        X=np.ones((n, 1)),
        y=np.zeros(n),
        greater_is_better=False,
    )
    exploding = WCRNNReservoir(n_units=4, residual="identity", residual_scale=10.0)
    scores = baselines.task_scores(exploding, task)
    assert np.isnan(scores["test"]) and np.isnan(scores["val"])


def test_leaky_esn_parameters():
    params = baselines.MODELS["leaky ESN"][3](0.3)
    assert params["residual"] == "identity"
    assert params["residual_scale"] + params["coupling"] == pytest.approx(1.0)
    assert baselines.MODELS["ESN"][3](0.9) == {
        "residual": "none",
        "coupling": 1.0,
        "recurrent_gain": 0.9,
    }


def test_skill_is_zero_at_chance_and_one_at_best():
    assert baselines._skill(0.1, best=0.9, chance=0.1) == 0.0
    assert baselines._skill(0.9, best=0.9, chance=0.1) == 1.0
    # Errors (lower is better) work the same way.
    assert baselines._skill(0.5, best=0.25, chance=1.0) == pytest.approx(2 / 3)


def test_load_task_splits_and_chance():
    task = baselines.load_task("psdigits")
    assert task.X.shape == (1797, 64, 1) and task.kind == "classification"
    assert len(np.intersect1d(task.train, task.test)) == 0
    assert len(task.train) + len(task.test) == 1797
    adding = baselines.load_task("adding")
    assert adding.chance == pytest.approx(np.var(adding.y[adding.test]))
    with pytest.raises(ValueError, match="Unknown task"):
        baselines.load_task("nope")


def test_full_subsample_keeps_the_standard_split(monkeypatch):
    calls = {}

    def fake_fetch(*, permute, by, data_home, random_state, return_X_y):
        calls.update(permute=permute, by=by, data_home=data_home)
        y = np.arange(70000) % 10
        return np.arange(70000, dtype=np.float32)[:, None, None], y

    monkeypatch.setattr(baselines, "fetch_sequential_mnist", fake_fetch)
    task = baselines.load_task("psdigits", full=True, data_home="cache")
    assert calls == {"permute": True, "by": "pixel", "data_home": "cache"}
    original = task.X[:, 0, 0]  # each fake image holds its own index
    assert len(task.train) == baselines.FULL_TRAIN and len(task.test) == baselines.FULL_TEST
    assert (original[task.train] < 60000).all() and (original[task.test] >= 60000).all()
    assert len(np.unique(original)) == len(original)
    rows = baselines.load_task("digits_rows", full=True)
    assert calls["permute"] is False and calls["by"] == "row"
    assert rows.X.shape[0] == baselines.FULL_TRAIN + baselines.FULL_TEST


# --------------------------------------------------------------------------------------
# Spectral bias, heterogeneous memory and non-linear residuals
# (findings_spectral_bias.py, findings_heterogeneous_memory.py,
# findings_nonlinear_residuals.py)
# --------------------------------------------------------------------------------------

import warnings  # noqa: E402

import findings_heterogeneous_memory as hetmem  # noqa: E402
import findings_nonlinear_residuals as nonlinear  # noqa: E402
import findings_spectral_bias as spectral  # noqa: E402

from wcrnn_rc.residuals import RotationalResidual  # noqa: E402


def _fake_mnist(calls, n_steps=3, n_features=2):
    def fetch(**kwargs):
        calls.update(kwargs)
        X = np.repeat(np.arange(70000, dtype=np.float32)[:, None, None], n_steps, axis=1)
        return np.repeat(X, n_features, axis=2), np.arange(70000) % 10

    return fetch


def test_spectral_variants_differ_only_in_the_residual():
    for scale in spectral.SCALES:
        assert spectral.variant_params("identity", scale) == {
            "reservoir__residual": "identity",
            "reservoir__residual_scale": scale,
        }
        for angles in ("data", "random", "spread"):
            residual = spectral.variant_params(angles, scale)["reservoir__residual"]
            assert isinstance(residual, RotationalResidual)
            assert (residual.scale, residual.angles) == (scale, angles)
    with pytest.raises(ValueError, match="Unknown variant"):
        spectral.variant_params("orthogonal", 0.99)


def test_power_spectrum_and_data_angles_find_the_input_frequency():
    rng = np.random.RandomState(0)
    phases = rng.uniform(0, 2 * np.pi, size=(50, 1))
    X = np.sin(0.62 * np.arange(100) + phases)[:, :, None]
    freqs, power = spectral.power_spectrum(X)
    assert power.sum() == pytest.approx(1.0)
    assert abs(freqs[np.argmax(power)] - 0.62) < np.pi / 100  # within half a bin
    angles = spectral.data_angles(Bunch(X=X, train=np.arange(40)))
    assert angles.shape == (spectral.N_UNITS // 2,)
    assert np.median(np.abs(angles - 0.62)) < 0.05
    # Spread angles, by contrast, cover (0, pi) whatever the data.
    assert np.median(np.abs(np.linspace(0.06, 3.08, 50) - 0.62)) > 0.5


def test_spectral_tasks_and_full_path(monkeypatch):
    calls = {}
    monkeypatch.setattr(spectral, "fetch_sequential_mnist", _fake_mnist(calls))
    tasks = spectral.load_tasks(full=True, data_home="cache")
    assert [t.name for t in tasks] == ["freq_close", "freq_noisy", "freq_default", "digits_rows"]
    assert np.diff(tasks[0].class_frequencies) == pytest.approx(np.full(7, 0.01))
    assert np.diff(tasks[1].class_frequencies) == pytest.approx(np.full(7, 0.02))
    for task in tasks[:3]:
        assert len(np.intersect1d(task.train, task.test)) == 0
        assert len(task.train) + len(task.test) == len(task.y) == 1000
    assert calls["by"] == "row" and calls["data_home"] == "cache"
    rows = tasks[3]
    original = rows.X[:, 0, 0]  # each fake image holds its own index
    assert len(rows.train) == spectral.FULL_TRAIN and len(rows.test) == spectral.FULL_TEST
    assert (original[rows.train] < 60000).all() and (original[rows.test] >= 60000).all()


def test_homogeneous_matches_the_heterogeneous_means():
    eig, tau = hetmem.homogeneous_matches(3, (1.0, 100.0))  # tau = 1, 10, 100
    assert tau == pytest.approx(37.0)
    assert eig == pytest.approx(np.mean(np.exp(-1 / np.array([1.0, 10.0, 100.0]))))
    models = hetmem.variants()
    same = [params for params, same_coupling in models.values() if same_coupling]
    own = [params for params, same_coupling in models.values() if not same_coupling]
    # The compared residuals take the sweep's coupling; only the references set their own.
    assert len(same) == 6 and not any("coupling" in p for p in same)
    assert own and all("coupling" in p for p in own)
    compared = [label for label in models if "reference" not in label]
    assert len(compared) == 5 and compared[0].startswith("heterogeneous")


def test_delay_scores_per_delay():
    rng = np.random.RandomState(0)
    Y = rng.normal(size=(hetmem.N_STEPS, 3))
    # States that hold the first target exactly and nothing of the others.
    states = np.column_stack([Y[:, 0], rng.normal(size=(hetmem.N_STEPS, 4))])
    r2, alphas = hetmem.delay_scores(states, Y)
    assert r2.shape == alphas.shape == (3,)
    assert r2[0] > 0.999 and (r2[1:] < 0.01).all()
    # One target column (Ridge then predicts a 1-D array) scores the same.
    r2_one, _ = hetmem.delay_scores(states, Y[:, :1])
    assert r2_one == pytest.approx(r2[:1])
    prediction = Y + 0.5 * rng.normal(size=Y.shape)
    assert hetmem.r2_columns(Y, prediction) == pytest.approx(
        r2_score(Y, prediction, multioutput="raw_values")
    )


def test_fmt_cell_reports_failures():
    assert nonlinear.fmt_cell([np.nan] * 3) == "overflow"
    assert nonlinear.fmt_cell([0.5, np.nan, 0.7]) == "overflow in 1/3"
    assert nonlinear.fmt_cell([np.inf, 1.0]) == "inf"
    assert nonlinear.fmt_cell([2e20, 4e20]) == "3e+20"
    assert nonlinear.fmt_cell([0.5, 0.7]) == "0.600 ± 0.100"


def test_attempt_turns_only_network_failures_into_nan():
    def overflow():
        raise FloatingPointError("states overflowed")

    assert np.isnan(nonlinear._attempt(overflow))
    assert nonlinear._attempt(lambda: 3.0) == 3.0
    with pytest.raises(KeyError):  # a bug in the script is not hidden
        nonlinear._attempt(lambda: {}["missing"])


def test_max_abs_state_bounded_for_tanh_and_inf_on_overflow():
    tanh = WCRNNReservoir(
        n_units=5, residual="tanh", residual_scale=1.2, coupling=0.1, random_state=0
    )
    assert 0 < nonlinear.max_abs_state(tanh, 0) <= 1.2 + 0.1  # |h| <= lambda + coupling
    exploding = WCRNNReservoir(n_units=5, residual="identity", residual_scale=10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the supercritical warning is the point here
        assert nonlinear.max_abs_state(exploding, 0) == np.inf


def test_nonlinear_tasks_and_full_path(monkeypatch):
    calls = {}
    monkeypatch.setattr(nonlinear, "fetch_sequential_mnist", _fake_mnist(calls, 4, 1))
    tasks = nonlinear.load_tasks(full=True, data_home="cache")
    assert calls["permute"] is True and calls["data_home"] == "cache"
    original = tasks.digits.X[:, 0, 0]
    assert (original[tasks.digits.train] < 60000).all()
    assert (original[tasks.digits.test] >= 60000).all()
    assert tasks.narma.X.shape == (nonlinear.SERIES_STEPS, 1)
    offline = nonlinear.load_tasks()
    assert offline.digits.X.shape == (1797, 64, 1) and offline.digits.label == "psdigits"
