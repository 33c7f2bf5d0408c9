"""Parameter sweeps: structure, seeding, determinism and warnings on every backend,
failed runs, scores and scorers."""

import sys
import threading
import time
import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

from wcrnn_rc import (
    SupercriticalResidualWarning,
    WCRNNClassifier,
    WCRNNRegressor,
    WCRNNReservoir,
)
from wcrnn_rc.analysis import max_lyapunov_exponent, memory_capacity
from wcrnn_rc.sweeps import (
    draw_seeds,
    edge_of_chaos_scorer,
    memory_capacity_scorer,
    parameter_sweep,
)

GRID = {"coupling": [0.05, 0.5], "residual_scale": [0.8, 0.99]}
# Two supercritical scales x 2 seeds: four runs warn (once each, in fit), with two
# distinct messages.
WARN_GRID = {"residual_scale": [0.9, 1.1, 1.2]}
WARNING_RESERVOIR = WCRNNReservoir(n_units=10, residual="orthogonal", coupling=0.0)


def _assert_same_results(a, b):
    # Identical by construction: the same seeds and one BLAS thread in every run.
    assert a.keys() == b.keys()
    for key in a:
        if key.endswith("_time"):
            continue
        if key in ("params", "errors"):
            assert list(a[key]) == list(b[key])
        else:
            np.testing.assert_array_equal(a[key], b[key])


def _blas_threads():
    return {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}


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
        runs = np.stack([results[f"seed{j}_{metric}"] for j in range(2)], axis=1)
        assert runs.shape == (4, 2)
        np.testing.assert_allclose(results[f"mean_{metric}"], runs.mean(axis=1), rtol=1e-12)
        # the spread is over the runs (network and drive), ddof=0
        np.testing.assert_allclose(results[f"std_{metric}"], runs.std(axis=1), rtol=1e-12)
        assert np.all(results[f"std_{metric}"] > 0)  # two different networks per point
    assert np.all(results["mean_time"] > 0)
    assert results["n_failed"].tolist() == [0, 0, 0, 0]
    assert [list(e) for e in results["errors"]] == [[], [], [], []]
    # Recompute run 1 of the last point by hand, from draw_seeds: network seed into
    # the reservoir, drive seed into the analysis functions.
    network, drive = draw_seeds(0, 2, return_drive_seeds=True)
    one = res.set_params(coupling=0.5, residual_scale=0.99, random_state=int(network[1]))
    # rtol: the sweep ran on one BLAS thread, this process may use more
    np.testing.assert_allclose(
        results["seed1_memory_capacity"][3],
        memory_capacity(one, random_state=int(drive[1])),
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        results["seed1_max_lyapunov"][3],
        max_lyapunov_exponent(one, random_state=int(drive[1])),
        rtol=1e-9,
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


# --------------------------------------------------------------------------------------
# Seeds: every nested reservoir, independent network and drive streams
# --------------------------------------------------------------------------------------


def test_a_default_reservoir_nested_in_a_pipeline_is_seeded():
    # WCRNNRegressor(reservoir=None) inside a pipeline: its reservoir used to be drawn
    # afresh in every call (82.50 and 78.06 for the same random_state).
    X = np.random.default_rng(0).normal(size=(120, 1))
    y = np.roll(X[:, 0], 2)
    pipe = make_pipeline(StandardScaler(), WCRNNRegressor(washout=10))
    grid = {"wcrnnregressor__washout": [10, 20]}
    kwargs = dict(metrics=["spectral_radius", "memory_capacity"], cv=KFold(2), random_state=0)
    first = parameter_sweep(pipe, grid, X, y, **kwargs)
    _assert_same_results(first, parameter_sweep(pipe, grid, X, y, **kwargs))
    # ... with the sweep's network seed, as a hand-seeded model gets it
    network, drive = draw_seeds(0, 1, return_drive_seeds=True)
    seeded = make_pipeline(
        StandardScaler(), WCRNNRegressor(WCRNNReservoir(random_state=int(network[0])))
    )
    want = cross_validate(seeded.set_params(wcrnnregressor__washout=20), X, y, cv=KFold(2))
    np.testing.assert_allclose(first["seed0_score"][1], want["test_score"].mean(), rtol=1e-9)
    reservoir = WCRNNReservoir(random_state=int(network[0])).fit(X)
    np.testing.assert_allclose(
        first["seed0_memory_capacity"][0],
        memory_capacity(reservoir, random_state=int(drive[0])),
        rtol=1e-9,
    )
    assert pipe.get_params()["wcrnnregressor__reservoir"] is None  # the input is untouched


class _NestedParamsIgnored(RegressorMixin, BaseEstimator):
    """A meta-estimator whose set_params drops nested parameters (so cannot be seeded)."""

    def __init__(self, model=None):
        self.model = model

    def set_params(self, **params):
        return super().set_params(**{k: v for k, v in params.items() if "__" not in k})

    def fit(self, X, y):
        self.model_ = clone(self.model).fit(X, y)
        return self

    def predict(self, X):
        return self.model_.predict(X)


def test_a_reservoir_that_cannot_be_seeded_raises():
    X, y = np.zeros((30, 1)), np.zeros(30)
    model = _NestedParamsIgnored(WCRNNRegressor(WCRNNReservoir(n_units=5)))
    with pytest.raises(ValueError, match="Cannot seed the reservoir at 'model__reservoir'"):
        parameter_sweep(model, {}, X, y, metrics=(), cv=2, random_state=0)


def test_network_and_drive_seeds_are_independent_streams():
    network, drive = draw_seeds(7, 4, return_drive_seeds=True)
    assert network.dtype.kind == drive.dtype.kind == "i"
    assert np.all((0 <= network) & (network < 2**31)) and np.all((0 <= drive) & (drive < 2**31))
    assert len(set(network) | set(drive)) == 8  # no seed reused for the other stream
    np.testing.assert_array_equal(draw_seeds(7, 4), network)
    np.testing.assert_array_equal(draw_seeds(7, 2), network[:2])  # prefix-stable
    rng = np.random.RandomState(3)
    first, second = draw_seeds(rng, 2), draw_seeds(rng, 2)  # an instance is advanced
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(draw_seeds(np.random.RandomState(3), 2), first)
    # The runs get them: the network seed in the model, the drive seed in the metrics.
    results = parameter_sweep(
        WCRNNReservoir(n_units=5),
        {"coupling": [0.1, 0.2]},
        metrics={
            "network": lambda reservoir, random_state: reservoir.random_state,
            "drive": lambda reservoir, random_state: random_state,
        },
        n_seeds=4,
        random_state=7,
    )
    for j in range(4):
        assert results[f"seed{j}_network"].tolist() == [network[j]] * 2
        assert results[f"seed{j}_drive"].tolist() == [drive[j]] * 2


def test_the_drive_alone_spreads_the_memory_capacity():
    # One network on two drives: MC differs (the std of a sweep is over drives too).
    reservoir = WCRNNReservoir(n_units=20, random_state=0)
    capacities = [memory_capacity(reservoir, random_state=s) for s in draw_seeds(0, 2)]
    assert capacities[0] != pytest.approx(capacities[1], rel=1e-6)


# --------------------------------------------------------------------------------------
# Backends: the same numbers, the same warnings, no process-global state in the runs
# --------------------------------------------------------------------------------------


def test_n_jobs_and_backend_do_not_change_results():
    # 150 units: large enough products that multi-threaded BLAS could round
    # differently from a single thread.
    grid = {**GRID, "n_units": [10, 150]}
    kwargs = dict(n_seeds=2, random_state=0, metrics=["memory_capacity", "max_lyapunov"])
    serial = parameter_sweep(WCRNNReservoir(), grid, n_jobs=1, **kwargs)
    _assert_same_results(serial, parameter_sweep(WCRNNReservoir(), grid, n_jobs=2, **kwargs))
    with joblib.parallel_config(backend="loky", inner_max_num_threads=1):
        on_processes = parameter_sweep(WCRNNReservoir(), grid, n_jobs=2, **kwargs)
    _assert_same_results(serial, on_processes)


@pytest.mark.parametrize(
    "backend, n_jobs", [(None, 1), ("threading", 2), ("loky", 2)], ids=["serial", "threads", "loky"]
)
def test_each_warning_of_the_runs_reaches_the_caller_once(backend, n_jobs):
    # Threads used to lose them all (catch_warnings in concurrent runs).
    config = joblib.parallel_config(backend=backend) if backend else joblib.parallel_config()
    kwargs = dict(metrics=["spectral_radius"], n_seeds=2, n_jobs=n_jobs, random_state=0)
    with config, pytest.warns(SupercriticalResidualWarning) as record:
        parameter_sweep(WARNING_RESERVOIR, WARN_GRID, **kwargs)
    ours = [w for w in record if w.category is SupercriticalResidualWarning]
    messages = sorted(str(w.message) for w in ours)
    assert len(messages) == 4
    if backend == "loky":  # issued again by the sweep: they point at its call
        assert {w.filename for w in ours} == {__file__}
    assert sum("1.1" in m for m in messages) == 2 and sum("1.2" in m for m in messages) == 2
    # ... so the caller's filters decide: silenced here, also for worker processes.
    with config, warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", SupercriticalResidualWarning)
        parameter_sweep(WARNING_RESERVOIR, WARN_GRID, **kwargs)


def test_runs_on_threads_share_one_blas_thread_set_by_the_caller():
    # The limit used to be set and restored inside each run: a run that finished
    # restored the process's thread count under the feet of the one still running.
    arrived, lock, seen = [], threading.Lock(), []

    def blas_threads(reservoir, random_state):
        with lock:
            first = not arrived
            arrived.append(random_state)
        if not first:  # wait (at most 1 s) for the first run to finish and restore
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline and _blas_threads() == {1}:
                time.sleep(0.01)
        seen.append(_blas_threads())
        return 0.0

    with threadpool_limits(limits=2, user_api="blas"):
        with joblib.parallel_config(backend="threading"):
            parameter_sweep(
                WCRNNReservoir(n_units=5),
                {"coupling": [0.1]},
                metrics={"blas": blas_threads},
                n_seeds=2,
                n_jobs=2,
                random_state=0,
            )
        assert seen == [{1}, {1}]
        assert _blas_threads() == {2}  # restored after the sweep


def test_dask_cluster_with_threaded_workers_gives_the_same_numbers_and_warnings():
    distributed = pytest.importorskip("distributed")  # the distributed extra
    kwargs = dict(n_seeds=2, random_state=0)
    serial = parameter_sweep(WCRNNReservoir(n_units=10), GRID, n_jobs=1, **kwargs)
    warn_kwargs = dict(metrics=["spectral_radius"], **kwargs)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
        joblib.parallel_config(backend="dask"),
    ):
        on_cluster = parameter_sweep(WCRNNReservoir(n_units=10), GRID, **kwargs)
        with pytest.warns(SupercriticalResidualWarning) as record:
            parameter_sweep(WARNING_RESERVOIR, WARN_GRID, **warn_kwargs)
        (info,) = client.scheduler_info()["workers"].values()
        assert info["nthreads"] == 2
    _assert_same_results(serial, on_cluster)
    assert len([w for w in record if w.category is SupercriticalResidualWarning]) == 4


# --------------------------------------------------------------------------------------
# Failed runs
# --------------------------------------------------------------------------------------


def test_a_diverging_network_does_not_abort_the_sweep():
    grid = {"residual_scale": [0.5, 30.0]}  # 30: the states overflow
    res = WCRNNReservoir(n_units=10, coupling=0.1)
    with pytest.warns(FitFailedWarning, match="2 of the 4 runs of the sweep failed") as record:
        results = parameter_sweep(
            res, grid, metrics=["memory_capacity", "spectral_radius"], n_seeds=2, random_state=0
        )
    (summary,) = [w for w in record if w.category is FitFailedWarning]
    assert summary.filename == __file__  # it points at the call
    assert np.all(np.isfinite(results["seed0_memory_capacity"][:1]))  # the finished run
    assert np.isnan(results["mean_memory_capacity"][1])
    np.testing.assert_allclose(results["mean_spectral_radius"], [0.5, 30.0])  # still there
    assert results["n_failed"].tolist() == [0, 2]
    assert results["errors"][0] == []
    assert [e.split(": ")[:2] for e in results["errors"][1]] == [
        ["seed 0, memory_capacity", "FloatingPointError"],
        ["seed 1, memory_capacity", "FloatingPointError"],
    ]
    with pytest.warns(FitFailedWarning):
        other = parameter_sweep(
            res, grid, metrics=["memory_capacity"], n_seeds=2, error_score=-1.0, random_state=0
        )
    assert other["mean_memory_capacity"][1] == -1.0
    with pytest.raises(FloatingPointError, match="NaN or infinite"):
        parameter_sweep(res, grid, metrics=["memory_capacity"], error_score="raise")


def test_a_failed_score_is_error_score_too():
    X = np.random.default_rng(0).normal(size=(600, 1))  # 300 steps per fold: 30**300 overflows
    model = WCRNNRegressor(WCRNNReservoir(n_units=10, coupling=0.1))
    grid = {"reservoir__residual_scale": [0.5, 30.0]}
    with pytest.warns(FitFailedWarning, match="1 of the 2 runs"):
        results = parameter_sweep(model, grid, X, X[:, 0], metrics=(), cv=2, random_state=0)
    assert np.isfinite(results["mean_score"][0]) and np.isnan(results["mean_score"][1])
    assert results["errors"][1][0].startswith("seed 0, score: FloatingPointError")


def test_every_run_failing_raises():
    with pytest.raises(ValueError, match="All the 2 runs of the sweep failed"):
        parameter_sweep(
            WCRNNReservoir(n_units=10, residual_scale=30.0),
            {"coupling": [0.1]},
            metrics=["memory_capacity"],
            n_seeds=2,
            random_state=0,
        )


def test_an_empty_grid_is_a_clear_error():
    with pytest.raises(ValueError, match="param_grid has no points"):  # was an IndexError
        parameter_sweep(WCRNNReservoir(n_units=5), [])


# --------------------------------------------------------------------------------------
# Scores, estimators, metrics, progress, bad arguments
# --------------------------------------------------------------------------------------


def test_scores_with_data_match_cross_validate():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(40, 15, 1))
    y = (X[:, -3:, 0].sum(axis=1) > 0).astype(int)
    model = WCRNNClassifier(reservoir=WCRNNReservoir(n_units=20))
    grid = {"reservoir__coupling": [0.1, 0.3]}
    results = parameter_sweep(model, grid, X, y, cv=KFold(3), n_seeds=2, random_state=0)
    seed = int(draw_seeds(0, 1)[0])
    want = cross_validate(
        clone(model).set_params(reservoir__coupling=0.3, reservoir__random_state=seed),
        X,
        y,
        cv=KFold(3),
    )["test_score"].mean()
    assert results["seed0_score"][1] == pytest.approx(want)
    assert np.all(results["mean_score"] > 0.6)
    # the metrics see the network fitted on X (one feature here)
    assert np.all(results["mean_memory_capacity"] > 0)


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
        "n_failed", "errors", "mean_time", "std_time",
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


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_progress_bar_counts_the_runs(capsys, n_jobs):
    results = parameter_sweep(
        WCRNNReservoir(n_units=6), {"coupling": [0.1, 0.2]}, verbose=1, n_seeds=2,
        n_jobs=n_jobs, metrics=["max_lyapunov"], random_state=0,
    )  # fmt: skip
    err = capsys.readouterr().err
    assert "sweep" in err and "4/4" in err
    quiet = parameter_sweep(
        WCRNNReservoir(n_units=6), {"coupling": [0.1, 0.2]}, n_seeds=2, n_jobs=n_jobs,
        metrics=["max_lyapunov"], random_state=0,
    )  # fmt: skip
    assert capsys.readouterr().err == ""
    _assert_same_results(results, quiet)  # the bar's unordered results are put back in order


def test_progress_without_tqdm_falls_back_to_joblib(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    parameter_sweep(
        WCRNNReservoir(n_units=6), {"coupling": [0.1, 0.2]}, verbose=10, n_jobs=2,
        metrics=["max_lyapunov"],
    )  # fmt: skip
    err = capsys.readouterr().err
    assert "Parallel(n_jobs=2)" in err and "sweep" not in err


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"metrics": ["memory"]}, ValueError, "Unknown metric"),
        ({"metrics": {"m": 3}}, TypeError, "callable"),
        ({"y": np.zeros(5)}, ValueError, "without X"),
        ({"metrics": ()}, ValueError, "Nothing to compute"),
        ({"n_seeds": 0}, ValueError, "n_seeds"),
        ({"error_score": "ignore"}, ValueError, "error_score"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        parameter_sweep(WCRNNReservoir(n_units=5), {"coupling": [0.1]}, **kwargs)


def test_bad_grid_names_fail_before_any_run():
    with pytest.raises(ValueError, match="Invalid parameter 'gain'"):
        parameter_sweep(WCRNNReservoir(n_units=5), {"gain": [0.1]})


def test_estimator_without_reservoir_rejected_for_metrics():
    with pytest.raises(TypeError, match="no WCRNNReservoir"):
        parameter_sweep(Ridge(), {"alpha": [1.0]})


# --------------------------------------------------------------------------------------
# Scorers
# --------------------------------------------------------------------------------------


def test_scorers_select_by_dynamics_in_grid_search():
    X = np.random.default_rng(0).normal(size=(100, 1))
    y = np.roll(X[:, 0], 1)
    model = WCRNNRegressor(reservoir=WCRNNReservoir(n_units=20, coupling=0.01, random_state=0))
    grid = {"reservoir__residual": ["identity", "orthogonal"], "reservoir__residual_scale":
            [0.5, 0.95]}  # fmt: skip
    by_memory = GridSearchCV(model, grid, scoring=memory_capacity_scorer, cv=2).fit(X, y)
    # Each point's score is the memory capacity of its network, computed independently
    # with the analysis function on the reservoir fitted on the same data.
    for params, score in zip(
        by_memory.cv_results_["params"], by_memory.cv_results_["mean_test_score"], strict=True
    ):
        reservoir = clone(model.reservoir).set_params(
            residual=params["reservoir__residual"],
            residual_scale=params["reservoir__residual_scale"],
        )
        want = memory_capacity(reservoir.fit(X), random_state=0)
        np.testing.assert_allclose(score, want, rtol=1e-9)
    assert by_memory.best_params_ == {
        "reservoir__residual": "orthogonal", "reservoir__residual_scale": 0.95,
    }  # fmt: skip
    by_chaos = GridSearchCV(model, grid, scoring=edge_of_chaos_scorer, cv=2).fit(X, y)
    assert by_chaos.best_params_["reservoir__residual_scale"] == 0.95
    # The Jacobian is s R + eps D W (R orthogonal, |D| <= 1): each point's largest
    # exponent lies within [log(s - eps |W|), log(s + eps |W|)], below 0 here.
    for params, score in zip(
        by_chaos.cv_results_["params"], by_chaos.cv_results_["mean_test_score"], strict=True
    ):
        scale = params["reservoir__residual_scale"]
        fitted = clone(model).set_params(**params).fit(X, y).reservoir_
        spread = model.reservoir.coupling * np.linalg.norm(fitted.recurrent_weights_, 2)
        assert np.log(scale - spread) <= score <= np.log(scale + spread) < 0  # score = lambda
    pipe = make_pipeline(StandardScaler(), clone(model)).fit(X, y)
    np.testing.assert_allclose(
        memory_capacity_scorer(pipe),
        memory_capacity(pipe[-1].reservoir_, random_state=0),
        rtol=1e-9,
    )
    with pytest.raises(TypeError, match="got Ridge"):
        memory_capacity_scorer(Ridge().fit(X, y))
