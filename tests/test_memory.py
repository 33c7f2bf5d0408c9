"""Memory capacity: one factorisation against per-delay fits, and the theory."""

import numpy as np
import pytest
from naive import naive_memory_curve
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline

from wcrnn_rc import WCRNNRegressor, WCRNNReservoir
from wcrnn_rc.analysis import lyapunov_spectrum, memory_capacity
from wcrnn_rc.residuals import HeterogeneousResidual


@pytest.mark.parametrize("n_features", [1, 2])
@pytest.mark.parametrize("residual", ["rotational", "tanh", "none"])
def test_one_factorisation_matches_per_delay_fits(residual, n_features, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    res = WCRNNReservoir(
        n_units=15, residual=residual, residual_scale=0.8, coupling=0.3,
        random_state=global_random_seed,
    )  # fmt: skip
    u = rng.uniform(-1, 1, size=(500, n_features))
    res.fit(u)
    mc, curve = memory_capacity(res, max_delay=20, series=u, return_curve=True)
    n_steps = len(u) - 20
    want = naive_memory_curve(res.run(u), u, 20, n_steps - round(0.2 * n_steps))
    np.testing.assert_allclose(curve, want, rtol=1e-8, atol=1e-10)
    assert mc == pytest.approx(want.sum(), rel=1e-10)


@pytest.mark.parametrize(
    "params",
    [
        {"residual": "rotational", "residual_scale": 0.9, "activation": "identity"},
        {"residual": "orthogonal", "residual_scale": 0.99, "coupling": 0.01},
        {"residual": "none", "coupling": 1.0, "recurrent_gain": 0.9},
        {"residual": "tanh", "residual_scale": 1.0, "coupling": 0.3},
        {"residual": "heterogeneous", "coupling": 0.05},
    ],
)
@pytest.mark.parametrize("n_units", [5, 30])
def test_memory_capacity_at_most_n_units(params, n_units, global_random_seed):
    # Held out, a readout that recalls nothing still correlates by chance: each delay's
    # squared correlation has mean about 1 / n_test (here 1 / 400), so allow 3 K / n_test.
    res = WCRNNReservoir(n_units=n_units, random_state=global_random_seed, **params)
    n_steps, max_delay = 2000, 2 * n_units
    mc = memory_capacity(res, n_steps=n_steps, random_state=global_random_seed)
    assert 0 < mc <= n_units + 3 * max_delay / (0.2 * n_steps)


def test_linear_rotational_network_reaches_its_bound():
    # Linear, and memory well inside K = 2N delays: MC is N up to sampling noise.
    res = WCRNNReservoir(
        n_units=30, residual="rotational", residual_scale=0.9, activation="identity",
        random_state=0,
    )  # fmt: skip
    assert memory_capacity(res, random_state=0) > 0.95 * 30


def test_near_linear_orthogonal_residual_remembers_most(global_random_seed):
    res = WCRNNReservoir(
        n_units=100, residual="orthogonal", residual_scale=0.99, coupling=0.01,
        random_state=global_random_seed,
    )  # fmt: skip
    assert memory_capacity(res, random_state=global_random_seed) >= 0.8 * 100


def test_heterogeneous_timescales_lengthen_the_tail():
    def mean_curve(timescales):
        res = WCRNNReservoir(
            n_units=50, residual=HeterogeneousResidual(timescales=timescales), coupling=0.02
        )
        return np.mean(
            [
                memory_capacity(res.set_params(random_state=s), return_curve=True,
                                random_state=s)[1]
                for s in range(3)
            ],
            axis=0,
        )  # fmt: skip

    short, long = mean_curve((1, 3)), mean_curve((1, 30))
    # Past 10 steps (3 of the short timescales) the long residual keeps twice the memory,
    # and around delay 30 the short one has none left.
    assert long[10:].sum() > 2 * short[10:].sum()
    assert long[25:35].sum() > 5 * short[25:35].sum()


def test_multiple_input_features_share_the_bound():
    res = WCRNNReservoir(
        n_units=20, residual="rotational", residual_scale=0.9, activation="identity",
        random_state=0,
    )  # fmt: skip
    one = memory_capacity(res, random_state=0)
    X2 = np.zeros((1, 2))
    mc2, curve2 = memory_capacity(clone(res).fit(X2), return_curve=True, random_state=0)
    assert curve2.shape == (40,)
    # Two independent drives share N units: the sum stays at most about N, and it is
    # the linear network's full N again.
    assert mc2 == pytest.approx(one, rel=0.05)
    assert mc2 <= 20 + 3 * 40 * 2 / 400


def test_input_scaling_matters_only_through_the_nonlinearity():
    linear = WCRNNReservoir(n_units=20, activation="identity", bias_scaling=0, random_state=0)
    a = memory_capacity(linear, random_state=0)
    assert memory_capacity(linear, input_scaling=0.01, random_state=0) == pytest.approx(a, rel=1e-6)
    tanh = WCRNNReservoir(n_units=20, random_state=0)
    assert memory_capacity(tanh, input_scaling=0.01, random_state=0) != pytest.approx(
        memory_capacity(tanh, input_scaling=10.0, random_state=0), rel=0.01
    )


def test_reproducible_and_estimators_give_their_reservoir():
    res = WCRNNReservoir(n_units=20, random_state=0)
    mc = memory_capacity(res, random_state=3)
    assert mc == memory_capacity(res, random_state=3)
    assert mc != memory_capacity(res, random_state=4)
    assert not hasattr(res, "residual_")  # fitted on a clone
    X, y = np.random.default_rng(0).normal(size=(100, 1)), np.arange(100.0)
    for model in (
        WCRNNRegressor(reservoir=clone(res)),
        Pipeline([("r", clone(res)), ("m", Ridge())]),
    ):
        assert memory_capacity(model.fit(X, y), random_state=3) == mc  # fmt: skip


def test_default_sizes():
    res = WCRNNReservoir(n_units=12, random_state=0)
    mc, curve = memory_capacity(res, return_curve=True, random_state=0)
    assert curve.shape == (24,)
    assert curve.min() >= 0 and curve.max() <= 1 + 1e-12
    assert mc == pytest.approx(curve.sum())
    assert memory_capacity(res, max_delay=5, return_curve=True)[1].shape == (5,)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"series": np.zeros((20, 1)), "max_delay": 24}, "too few"),
        ({"series": np.zeros((300, 2))}, "2 features"),
        ({"series": np.zeros((3, 300, 1))}, "one time series"),
        ({"series": np.full(300, np.nan)}, "NaN"),
        ({"n_steps": 10, "test_size": 9}, "test_size"),
        ({"test_size": 1.5}, "test_size"),
        ({"max_delay": 0}, "max_delay"),
        ({"input_scaling": 0}, "input_scaling"),
    ],
)
def test_bad_arguments(kwargs, match):
    res = WCRNNReservoir(n_units=12, random_state=0).fit(np.zeros((2, 1)))
    with pytest.raises(ValueError, match=match):
        memory_capacity(res, **kwargs)


def test_constant_series_has_no_memory():
    res = WCRNNReservoir(n_units=12, random_state=0).fit(np.zeros((2, 1)))
    assert memory_capacity(res, series=np.ones(300)) == 0.0


def test_cached_attributes_follow_the_network():
    res = WCRNNReservoir(n_units=16, coupling=0.1, random_state=0).fit(np.zeros((1, 1)))
    mc = res.memory_capacity_
    assert mc == memory_capacity(res, random_state=0)
    assert res.memory_curve_.shape == (32,)
    assert res.memory_capacity_ is mc  # cached
    exponents = res.lyapunov_exponents_  # the documented defaults, then cached
    np.testing.assert_array_equal(
        exponents, lyapunov_spectrum(res, n_exponents=16, n_steps=2000, washout=500,
                                     random_state=0)
    )  # fmt: skip
    assert res.lyapunov_exponents_ is exponents
    res.set_params(coupling=0.5)  # read at run time, so the cache is keyed by it
    assert res.memory_capacity_ != mc
    res.set_params(coupling=0.1, random_state=1).fit(np.zeros((1, 1)))  # refit: new network
    assert res.memory_capacity_ != mc
    estimator = WCRNNRegressor(reservoir=WCRNNReservoir(n_units=16, random_state=0))
    estimator.fit(np.zeros((20, 1)), np.zeros(20))
    assert estimator.memory_capacity_ == mc
    np.testing.assert_array_equal(
        estimator.residual_lyapunov_exponents_,
        estimator.reservoir_.residual_lyapunov_exponents_,
    )
    assert estimator.lyapunov_exponents_.shape == (16,)
    assert estimator.memory_curve_.shape == (32,)
    with pytest.raises(AttributeError):
        _ = WCRNNReservoir().memory_capacity_
    with pytest.raises(AttributeError):
        _ = WCRNNRegressor().lyapunov_exponents_


def test_least_squares_switches_to_svd_for_ill_conditioned_states():
    from scipy import linalg

    from wcrnn_rc.analysis.memory import _least_squares

    rng = np.random.default_rng(0)
    Y = rng.normal(size=(300, 7))

    def solve(X):
        return _least_squares(X, lambda: X.T @ Y, lambda: Y)

    well = rng.normal(size=(300, 10))
    np.testing.assert_allclose(solve(well), linalg.lstsq(well, Y)[0], rtol=1e-10, atol=1e-12)
    for scale in (1e-7, 0.0):  # condition number 1e7, then exactly singular
        ill = well.copy()
        ill[:, 3] = ill[:, 2] + scale * rng.normal(size=300)
        np.testing.assert_array_equal(solve(ill), linalg.lstsq(ill, Y)[0])


def test_targets_built_in_blocks_give_the_same_curve(monkeypatch):
    import wcrnn_rc.analysis.memory as memory

    res = WCRNNReservoir(n_units=12, random_state=0)
    whole = memory_capacity(res, return_curve=True, random_state=0)[1]
    monkeypatch.setattr(memory, "_TARGET_BLOCK_ELEMENTS", 24 * 7)  # 7 rows per block
    np.testing.assert_allclose(
        memory_capacity(res, return_curve=True, random_state=0)[1], whole, rtol=1e-12
    )


def test_thinly_spread_memory_needs_longer_runs_as_documented():
    # The Notes of memory_capacity: a weakly coupled identity residual's capacity is
    # spread over many poorly recalled delays, so 2000 steps give far less than 10000;
    # a rotational residual's is not, and the two lengths agree.
    def mc(residual, n_steps):
        res = WCRNNReservoir(
            n_units=100, residual=residual, residual_scale=0.95, coupling=0.01, random_state=0
        )
        return memory_capacity(res, n_steps=n_steps, random_state=0)

    assert mc("identity", 2000) < 0.5 * mc("identity", 10000)
    rotational_short, rotational_long = mc("rotational", 2000), mc("rotational", 10000)
    assert abs(rotational_short - rotational_long) < 0.02 * rotational_long
