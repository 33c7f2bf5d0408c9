"""Dask arrays of sequences: transform, run and predict block by block, on any scheduler.

The results must equal the in-memory ones to rounding (the blocks are smaller
batches, so BLAS may sum in another order) on the threaded and synchronous schedulers
and on a loopback ``LocalCluster`` of two processes; memory-mapped and zarr stores go
through ``da.from_array`` / ``da.from_zarr``. Without dask (the core-only install)
the whole module skips.
"""

import threading
import warnings

import numpy as np
import pytest
from naive import ATOL, RTOL
from sklearn.linear_model import LogisticRegression, Ridge

from wcrnn_rc import WCRNNClassifier, WCRNNRegressor, WCRNNReservoir

dask = pytest.importorskip("dask", reason="dask arrays need the distributed extra")
da = pytest.importorskip("dask.array", reason="dask arrays need the distributed extra")

N_SEQ, N_STEPS, N_FEATURES, N_UNITS = 60, 12, 2, 16


def _data(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_SEQ, N_STEPS, N_FEATURES)).astype(dtype)
    y = X[:, -3:, 0].sum(axis=1) + 0.1 * X[:, :, 1].mean(axis=1)
    return X, y


def _close(actual, desired, dtype):
    np.testing.assert_allclose(actual, desired, rtol=RTOL[dtype], atol=ATOL[dtype])


@pytest.fixture(scope="module")
def fitted():
    X, y = _data()
    labels = np.where(y > 0, "up", "down")
    return {
        "reservoir": WCRNNReservoir(n_units=N_UNITS, random_state=0).fit(X),
        "regressor": WCRNNRegressor(WCRNNReservoir(n_units=N_UNITS, random_state=0)).fit(X, y),
        "multi": WCRNNRegressor(WCRNNReservoir(n_units=N_UNITS, random_state=1)).fit(
            X, np.column_stack([y, -2 * y])
        ),
        "classifier": WCRNNClassifier(WCRNNReservoir(n_units=N_UNITS, random_state=0)).fit(
            X, labels
        ),
        "logistic": WCRNNClassifier(
            WCRNNReservoir(n_units=N_UNITS, random_state=0), LogisticRegression()
        ).fit(X, labels),
    }


# --------------------------------------------------------------------------------------
# The threaded (default) and synchronous schedulers
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "params",
    [
        {"sequence_features": "last"},
        {"sequence_features": "both"},
        {"sequence_features": ["mean", "max", "ppv", "segments"], "bidirectional": True},
        {"sequence_features": "model_space", "model_space_components": 4},
    ],
    ids=["last", "both", "pooled-bidirectional", "model_space"],
)
def test_transform_equals_in_memory_on_the_threaded_scheduler(params, dtype):
    X, _ = _data(dtype)
    res = WCRNNReservoir(n_units=N_UNITS, random_state=0, **params).fit(X)
    lazy = res.transform(da.from_array(X, chunks=(25, -1, -1)))
    expected = res.transform(X)
    assert isinstance(lazy, da.Array)
    assert lazy.shape == expected.shape and lazy.dtype == expected.dtype == dtype
    assert lazy.chunks == ((25, 25, 10), (expected.shape[1],))
    _close(lazy.compute(scheduler="threads"), expected, dtype)
    # get_feature_names_out describes the dask output, as after an in-memory transform.
    assert len(res.get_feature_names_out()) == expected.shape[1]


def test_run_gives_the_state_trajectories_as_a_3d_dask_array(fitted):
    X, _ = _data()
    res = fitted["reservoir"]
    lazy = res.run(da.from_array(X, chunks=(16, -1, -1)))
    assert lazy.shape == (N_SEQ, N_STEPS, N_UNITS)
    assert lazy.chunks[0] == (16, 16, 16, 12)
    _close(lazy.compute(), res.run(X), np.float64)


def test_estimator_outputs_on_the_synchronous_scheduler(fitted):
    X, y = _data()
    Xd = da.from_array(X, chunks=(20, -1, -1))
    with dask.config.set(scheduler="sync"):
        for name, method in [
            ("regressor", "predict"),
            ("multi", "predict"),
            ("classifier", "decision_function"),
            ("logistic", "predict_proba"),
            ("logistic", "decision_function"),
        ]:
            estimator = fitted[name]
            expected = getattr(estimator, method)(X)
            lazy = getattr(estimator, method)(Xd)
            assert lazy.shape == expected.shape, (name, method)
            assert lazy.dtype == expected.dtype, (name, method)
            _close(lazy.compute(), expected, np.float64)
        # score goes through predict, and the mixins' metrics compute its dask array.
        np.testing.assert_allclose(
            fitted["regressor"].score(Xd, y), fitted["regressor"].score(X, y), rtol=1e-9
        )
        for name in ("classifier", "logistic"):
            lazy = fitted[name].predict(Xd)
            assert lazy.dtype == fitted[name].classes_.dtype
            np.testing.assert_array_equal(lazy.compute(), fitted[name].predict(X))


def test_initial_states_shared_or_one_per_sequence_are_split_like_x(fitted):
    X, _ = _data()
    res, reg = fitted["reservoir"], fitted["regressor"]
    h0 = np.random.default_rng(1).normal(size=(N_SEQ, N_UNITS))
    Xd = da.from_array(X, chunks=(25, -1, -1))
    _close(res.transform(Xd, initial_state=h0).compute(), res.transform(X, h0), np.float64)
    _close(
        res.transform(Xd, initial_state=da.from_array(h0, chunks=(7, -1))).compute(),
        res.transform(X, h0),
        np.float64,
    )
    _close(res.run(Xd, initial_state=h0[0]).compute(), res.run(X, h0[0]), np.float64)
    _close(
        reg.predict(Xd, initial_state=h0).compute(),
        reg.predict(X, initial_state=h0),
        np.float64,
    )
    # Not the zero-state result: the states were used.
    assert not np.allclose(res.transform(X, h0), res.transform(X))
    with pytest.raises(ValueError, match="initial_state has 5 rows but X has 60 sequences"):
        res.transform(Xd, initial_state=h0[:5])


def test_the_graph_holds_a_snapshot_of_the_fitted_estimator():
    # Every task loads a pickled copy taken when the graph was built, so a parameter
    # changed afterwards does not leak into the result on one scheduler and not another.
    X, _ = _data()
    res = WCRNNReservoir(n_units=N_UNITS, random_state=0).fit(X)
    before = res.transform(X)
    lazy = res.transform(da.from_array(X, chunks=(30, -1, -1)))
    res.set_params(coupling=0.5)
    assert not np.allclose(res.transform(X), before)
    _close(lazy.compute(), before, np.float64)


def test_blocks_run_in_parallel_threads_without_interfering(fitted):
    from concurrent.futures import ThreadPoolExecutor

    X, _ = _data()
    res = fitted["reservoir"]
    Xd = da.from_array(X, chunks=(5, -1, -1))  # 12 blocks over 4 threads

    with ThreadPoolExecutor(4) as pool, dask.config.set(pool=pool):
        _close(res.transform(Xd).compute(scheduler="threads"), res.transform(X), np.float64)


# --------------------------------------------------------------------------------------
# Chunks, shapes and errors
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunks", [(30, 4, -1), (60, -1, 1), (7, 5, 1)])
def test_chunks_over_time_or_features_are_rechunked_with_a_warning(fitted, chunks):
    X, _ = _data()
    res = fitted["reservoir"]
    Xd = da.from_array(X, chunks=chunks)
    with pytest.warns(UserWarning, match="chunked over time steps or features") as record:
        lazy = res.transform(Xd)
    (warning,) = [w for w in record if "chunked over" in str(w.message)]
    assert warning.filename == __file__  # attributed to the caller
    assert "X.rechunk({0: 1000, 1: -1, 2: -1})" in str(warning.message)
    assert lazy.chunks[0] == Xd.chunks[0]  # the sequence chunks are kept
    _close(lazy.compute(), res.transform(X), np.float64)


def test_rechunking_keeps_blocks_within_the_dask_chunk_size(fitted):
    # One block of all sequences over time chunks: whole-sequence blocks would be the
    # whole array, larger than array.chunk-size, so dask chooses the sequence chunks.
    X, _ = _data()
    Xd = da.from_array(X, chunks=(-1, 3, -1))
    with dask.config.set({"array.chunk-size": "4KiB"}), pytest.warns(UserWarning):
        lazy = fitted["reservoir"].transform(Xd)
    assert len(lazy.chunks[0]) > 1
    assert max(lazy.chunks[0]) * N_STEPS * N_FEATURES * 8 <= 4096
    _close(lazy.compute(), fitted["reservoir"].transform(X), np.float64)


def test_sequence_chunks_alone_give_no_warning(fitted):
    X, _ = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted["reservoir"].transform(da.from_array(X, chunks=(10, -1, -1)))


def test_a_2d_dask_array_is_refused_with_the_way_out(fitted):
    series = da.zeros((100, N_FEATURES), chunks=(10, -1))
    with pytest.raises(ValueError, match=r"got a 2-D dask array.*pass it as a NumPy array"):
        fitted["reservoir"].transform(series)
    with pytest.raises(ValueError, match="WCRNNRegressor.predict takes a dask array"):
        fitted["regressor"].predict(series)


def test_bad_input_fails_when_the_graph_is_built(fitted):
    res = fitted["reservoir"]
    with pytest.raises(ValueError, match="3 features, but WCRNNReservoir is expecting 2"):
        res.transform(da.zeros((10, 5, 3), chunks=(5, -1, -1)))
    with pytest.raises(ValueError, match="empty batch"):
        res.transform(da.zeros((0, 5, N_FEATURES), chunks=(5, -1, -1)))
    unknown = da.zeros((10, 5, N_FEATURES), chunks=(5, -1, -1))
    unknown = unknown[unknown[:, 0, 0] == 0]  # unknown number of sequences: fine
    assert res.transform(unknown).compute().shape == (10, N_UNITS)
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        res.transform(unknown.transpose(1, 0, 2))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        WCRNNReservoir().transform(da.zeros((4, 5, 1), chunks=(2, -1, -1)))


def test_fit_on_a_dask_array_says_to_fit_on_a_part_in_memory():
    X, y = _data()
    Xd = da.from_array(X, chunks=(30, -1, -1))
    for estimator, args in [
        (WCRNNReservoir(n_units=N_UNITS), ()),
        (WCRNNRegressor(), (y,)),
        (WCRNNClassifier(), (y > 0,)),
    ]:
        with pytest.raises(TypeError, match=r"not on a dask array.*X\[:1000\]\.compute\(\)"):
            estimator.fit(Xd, *args)


class _LockedRidge(Ridge):
    """A readout that keeps a lock after fit, which cannot pickle."""

    def fit(self, X, y):
        super().fit(X, y)
        self.lock_ = threading.Lock()
        return self


def test_an_estimator_that_does_not_pickle_is_refused_clearly():
    X, y = _data()
    model = WCRNNRegressor(WCRNNReservoir(n_units=N_UNITS, random_state=0), _LockedRidge())
    model.fit(X, y)
    with pytest.raises(TypeError, match="so it must pickle; it does not"):
        model.predict(da.from_array(X, chunks=(30, -1, -1)))


# --------------------------------------------------------------------------------------
# Stores on disk
# --------------------------------------------------------------------------------------


def test_a_memory_mapped_npy_of_sequences(fitted, tmp_path):
    X, _ = _data(np.float32)
    path = tmp_path / "sequences.npy"
    stored = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=X.shape)
    stored[:] = X
    stored.flush()
    del stored
    mapped = np.load(path, mmap_mode="r")  # read-only: the kernels never write input
    lazy = da.from_array(mapped, chunks=(16, -1, -1))
    res = WCRNNReservoir(n_units=N_UNITS, sequence_features="both", random_state=0).fit(X)
    out = res.transform(lazy)
    assert out.dtype == np.float32
    _close(out.compute(), res.transform(X), np.float32)


def test_a_zarr_store_of_sequences(fitted, tmp_path):
    pytest.importorskip("zarr", reason="the zarr test needs zarr (installed by .ci/run)")
    X, _ = _data()
    store = str(tmp_path / "sequences.zarr")
    da.from_array(X, chunks=(20, -1, -1)).to_zarr(store)
    lazy = da.from_zarr(store)
    assert lazy.chunks[0] == (20, 20, 20)
    reg = fitted["regressor"]
    _close(reg.predict(lazy).compute(), reg.predict(X), np.float64)


# --------------------------------------------------------------------------------------
# A loopback cluster of two processes
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def process_cluster():
    distributed = pytest.importorskip("distributed", reason="needs the distributed extra")
    with (
        distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.mark.slow
def test_transform_and_predict_on_a_two_process_cluster(process_cluster, fitted):
    distributed = pytest.importorskip("distributed")
    client = process_cluster
    X, _ = _data()
    Xd = da.from_array(X, chunks=(15, -1, -1))
    res, clf = fitted["reservoir"], fitted["logistic"]
    features = res.transform(Xd)
    proba = clf.predict_proba(Xd)
    labels = clf.predict(Xd)
    # The client is the default scheduler while it is open.
    with distributed.get_task_stream(client) as stream:
        got_features, got_proba, got_labels = dask.compute(features, proba, labels)
    _close(got_features, res.transform(X), np.float64)
    _close(got_proba, clf.predict_proba(X), np.float64)
    np.testing.assert_array_equal(got_labels, clf.predict(X))
    # The blocks ran as tasks in the worker processes: 4 blocks for each output.
    ours = [t for t in stream.data if "wcrnn-" in str(t["key"])]
    assert len(ours) == 3 * 4
    assert {t["worker"] for t in ours} <= set(client.scheduler_info()["workers"])
