"""Parameter sweeps: structure, determinism across backends, scores and scorers."""

import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import Pipeline

from wcrnn_rc import (
    SupercriticalResidualWarning,
    WCRNNClassifier,
    WCRNNRegressor,
    WCRNNReservoir,
)
from wcrnn_rc.analysis import max_lyapunov_exponent, memory_capacity
from wcrnn_rc.sweeps import edge_of_chaos_scorer, memory_capacity_scorer, parameter_sweep

GRID = {"coupling": [0.05, 0.5], "residual_scale": [0.8, 0.99]}


def _assert_same_results(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if key.endswith("_time"):
            continue
        if key == "params":
            assert a[key] == b[key]
        else:
            np.testing.assert_array_equal(a[key], b[key])


def test_results_layout_and_values():
    res = WCRNNReservoir(n_units=12)
    results = parameter_sweep(res, GRID, n_seeds=2, random_state=0)
    assert [p for p in results["params"]] == [
        {"coupling": 0.05, "residual_scale": 0.8},
        {"coupling": 0.05, "residual_scale": 0.99},
        {"coupling": 0.5, "residual_scale": 0.8},
        {"coupling": 0.5, "residual_scale": 0.99},
    ]
    assert list(results["param_coupling"]) == [0.05, 0.05, 0.5, 0.5]
    for metric in ("memory_capacity", "max_lyapunov"):
        assert results[f"seed0_{metric}"].shape == (4,)
        np.testing.assert_allclose(
            results[f"mean_{metric}"],
            (results[f"seed0_{metric}"] + results[f"seed1_{metric}"]) / 2,
        )
        assert np.all(results[f"std_{metric}"] > 0)  # two different networks per point
    assert np.all(results["mean_time"] > 0)
    # Recompute one run by hand: the sweep's seeds are the first draws of random_state.
    seeds = np.random.RandomState(0).randint(np.iinfo(np.int32).max, size=2)
    one = res.set_params(coupling=0.5, residual_scale=0.99, random_state=int(seeds[1]))
    assert results["seed1_memory_capacity"][3] == memory_capacity(one, random_state=int(seeds[1]))
    assert results["seed1_max_lyapunov"][3] == max_lyapunov_exponent(
        one, random_state=int(seeds[1])
    )
    # A stronger coupling moves the largest exponent towards (or past) 0.
    assert np.all(results["mean_max_lyapunov"][2:] > results["mean_max_lyapunov"][:2])


def test_same_seeds_at_every_point_and_list_grids():
    grid = [{"coupling": [0.1]}, {"coupling": [0.1], "activation": ["tanh"]}]
    results = parameter_sweep(WCRNNReservoir(n_units=10), grid, n_seeds=3, random_state=1)
    for j in range(3):  # the same network twice: identical values, seed by seed
        values = results[f"seed{j}_memory_capacity"]
        assert values[0] == values[1]
    assert results["param_activation"].mask.tolist() == [True, False]


def test_n_jobs_does_not_change_results():
    # 150 units: large enough products that multi-threaded BLAS in this process could
    # round differently from the single-threaded workers.
    grid = {**GRID, "n_units": [10, 150]}
    kwargs = dict(n_seeds=2, random_state=0, metrics=["memory_capacity", "max_lyapunov"])
    serial = parameter_sweep(WCRNNReservoir(), grid, n_jobs=1, **kwargs)
    parallel = parameter_sweep(WCRNNReservoir(), grid, n_jobs=2, **kwargs)
    _assert_same_results(serial, parallel)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_warnings_from_the_runs_reach_the_caller_once(n_jobs):
    # Two supercritical scales x 2 seeds: four runs warn, with two distinct messages,
    # issued once each in this process, whatever n_jobs (loky workers included).
    grid = {"residual_scale": [0.9, 1.1, 1.2]}
    res = WCRNNReservoir(n_units=10, residual="orthogonal", coupling=0.0)
    with pytest.warns(SupercriticalResidualWarning) as record:
        parameter_sweep(
            res, grid, metrics=["spectral_radius"], n_seeds=2, n_jobs=n_jobs, random_state=0
        )
    messages = [str(w.message) for w in record if w.category is SupercriticalResidualWarning]
    assert len(messages) == 2 and "1.1" in messages[0] and "1.2" in messages[1]
    # ... so the caller's filters silence them, also for worker processes.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", SupercriticalResidualWarning)
        parameter_sweep(
            res, grid, metrics=["spectral_radius"], n_seeds=2, n_jobs=n_jobs, random_state=0
        )


def test_dask_cluster_gives_the_same_numbers():
    distributed = pytest.importorskip("distributed")  # the distributed extra
    kwargs = dict(n_seeds=2, random_state=0)
    serial = parameter_sweep(WCRNNReservoir(n_units=10), GRID, n_jobs=1, **kwargs)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with joblib.parallel_backend("dask"):
            on_cluster = parameter_sweep(WCRNNReservoir(n_units=10), GRID, **kwargs)
        assert len(client.scheduler_info()["workers"]) == 2
    _assert_same_results(serial, on_cluster)


def test_scores_with_data_match_cross_validate():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(40, 15, 1))
    y = (X[:, -3:, 0].sum(axis=1) > 0).astype(int)
    model = WCRNNClassifier(reservoir=WCRNNReservoir(n_units=20))
    grid = {"reservoir__coupling": [0.1, 0.3]}
    results = parameter_sweep(model, grid, X, y, cv=KFold(3), n_seeds=2, random_state=0)
    seeds = np.random.RandomState(0).randint(np.iinfo(np.int32).max, size=2)
    want = cross_validate(
        clone(model).set_params(reservoir__coupling=0.3, reservoir__random_state=int(seeds[0])),
        X,
        y,
        cv=KFold(3),
    )["test_score"].mean()
    assert results["seed0_score"][1] == pytest.approx(want)
    assert np.all(results["mean_score"] > 0.6)
    # the metrics see the network fitted on X (one feature here)
    assert "mean_memory_capacity" in results


def test_estimators_without_reservoir_and_pipelines():
    X, y = np.random.default_rng(0).normal(size=(60, 1)), np.arange(60.0)
    a = parameter_sweep(
        WCRNNRegressor(), {"reservoir__n_units": [8]}, metrics=["memory_capacity"],
        random_state=0,
    )  # fmt: skip
    pipe = Pipeline([("res", WCRNNReservoir()), ("ridge", Ridge())])
    b = parameter_sweep(pipe, {"res__n_units": [8]}, metrics=["memory_capacity"], random_state=0)
    assert a["mean_memory_capacity"][0] == b["mean_memory_capacity"][0]
    c = parameter_sweep(pipe, {"res__n_units": [8]}, X, y, metrics=(), cv=2, random_state=0)
    assert set(c) == {
        "params", "param_res__n_units", "seed0_score", "mean_score", "std_score",
        "mean_time", "std_time",
    }  # fmt: skip


def test_custom_metrics():
    def radius_times_two(reservoir, random_state):
        return 2 * reservoir.fit(np.zeros((1, 1))).residual_.spectral_radius_

    results = parameter_sweep(
        WCRNNReservoir(n_units=6, residual="identity"),
        {"residual_scale": [0.5, 0.9]},
        metrics={"double_radius": radius_times_two, "radius": "spectral_radius"},
        random_state=0,
    )
    np.testing.assert_allclose(results["mean_double_radius"], [1.0, 1.8])
    np.testing.assert_allclose(results["mean_radius"], [0.5, 0.9])


def test_progress_bar(capsys):
    parameter_sweep(WCRNNReservoir(n_units=6), {"coupling": [0.1, 0.2]}, verbose=1,
                    metrics=["max_lyapunov"])  # fmt: skip
    assert "sweep" in capsys.readouterr().err


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"metrics": ["memory"]}, ValueError, "Unknown metric"),
        ({"metrics": {"m": 3}}, TypeError, "callable"),
        ({"y": np.zeros(5)}, ValueError, "without X"),
        ({"metrics": ()}, ValueError, "Nothing to compute"),
        ({"n_seeds": 0}, ValueError, "n_seeds"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        parameter_sweep(WCRNNReservoir(n_units=5), {"coupling": [0.1]}, **kwargs)


def test_estimator_without_reservoir_rejected_for_metrics():
    with pytest.raises(TypeError, match="no WCRNNReservoir"):
        parameter_sweep(Ridge(), {"alpha": [1.0]})


def test_scorers_select_by_dynamics_in_grid_search():
    X = np.random.default_rng(0).normal(size=(100, 1))
    y = np.roll(X[:, 0], 1)
    model = WCRNNRegressor(reservoir=WCRNNReservoir(n_units=20, coupling=0.01, random_state=0))
    grid = {"reservoir__residual": ["identity", "orthogonal"], "reservoir__residual_scale":
            [0.5, 0.95]}  # fmt: skip
    by_memory = GridSearchCV(model, grid, scoring=memory_capacity_scorer, cv=2).fit(X, y)
    assert by_memory.best_params_ == {
        "reservoir__residual": "orthogonal", "reservoir__residual_scale": 0.95,
    }  # fmt: skip
    fitted = by_memory.best_estimator_
    assert memory_capacity_scorer(fitted, X, y) == fitted.memory_capacity_
    by_chaos = GridSearchCV(model, grid, scoring=edge_of_chaos_scorer, cv=2).fit(X, y)
    assert by_chaos.best_params_["reservoir__residual_scale"] == 0.95
    assert edge_of_chaos_scorer(by_chaos.best_estimator_) == pytest.approx(
        -abs(max_lyapunov_exponent(by_chaos.best_estimator_, random_state=0))
    )
