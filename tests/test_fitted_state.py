"""A fitted state nothing can corrupt: the network object, parameters changed after fit,
run-time parameters validated where they are used, dynamics attributes that never make
``hasattr`` fail, output names, per-sequence checks and readout validation."""

import inspect
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from wcrnn_rc import (
    DynamicsError,
    DynamicsOverflowError,
    SupercriticalResidualWarning,
    WCRNNClassifier,
    WCRNNRegressor,
    WCRNNReservoir,
)
from wcrnn_rc._network import Network, find_network

RESIDUALS = ["identity", "orthogonal", "rotational", "heterogeneous", "tanh", "none"]


@pytest.fixture
def series():
    return np.random.default_rng(0).uniform(-1, 1, size=(40, 2))


# ---------------------------------------------------------------- structural parameters


def test_shrinking_n_units_after_fit_raises_in_a_subprocess():
    """Before, the kernels indexed the fitted arrays with buffers sized from n_units: the
    rotational default aborted the process (free(): corrupted unsorted chunks)."""
    code = textwrap.dedent(
        """
        import numpy as np
        from sklearn.exceptions import NotFittedError
        from wcrnn_rc import WCRNNReservoir
        X = np.random.default_rng(0).normal(size=(200, 1))
        res = WCRNNReservoir(random_state=0).fit(X)
        res.set_params(n_units=10)
        for call in (res.transform, res.run):
            try:
                call(X)
            except NotFittedError as exc:
                assert "n_units (100 -> 10)" in str(exc), exc
            else:
                raise SystemExit("no error")
        print("clean")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "clean"


@pytest.mark.parametrize("residual", RESIDUALS)
@pytest.mark.parametrize(
    "change",
    [
        {"n_units": 10},
        {"n_units": 300},
        {"residual_scale": 0.5},
        {"density": 0.1},
        {"random_state": 1},
        {"input_weights": np.ones((12, 2))},
    ],
    ids=lambda change: next(iter(change)),
)
def test_structural_change_after_fit_raises_until_refit(series, residual, change):
    res = WCRNNReservoir(n_units=12, residual=residual, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # residual_scale on a scale-free family
        res.fit(series)
        before = res.transform(series)
        res.set_params(**change)
        for call in (res.transform, res.run):
            with pytest.raises(NotFittedError, match=next(iter(change))):
                call(series)
        with pytest.raises(NotFittedError):
            res.network_  # noqa: B018
        res.fit(series)
    after = res.transform(series)
    assert after.shape[1] == res.get_params()["n_units"]
    if "n_units" not in change:
        assert after.shape == before.shape


def test_setting_a_parameter_back_to_its_fitted_value_needs_no_refit(series):
    res = WCRNNReservoir(n_units=12, random_state=0).fit(series)
    before = res.transform(series)
    res.set_params(n_units=5).set_params(n_units=12)
    np.testing.assert_allclose(res.transform(series), before, rtol=1e-12)


def test_fitted_arrays_are_read_only(series):
    res = WCRNNReservoir(n_units=8, density=0.05, random_state=0).fit(series)
    network = res.network_
    # density 0.05: W is a csr_array over the network's read-only CSR arrays
    for array in (res.recurrent_weights_.data, res.input_weights_, res.bias_):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1.0
    for name in ("recurrent_t", "input_weights", "bias", "residual_diag", "data"):
        assert not getattr(network, name).flags.writeable, name
    with pytest.raises(AttributeError):
        network.coupling = 3.0
    # A pickled copy is as read-only, and runs the same.
    copy = pickle.loads(pickle.dumps(res))
    assert not copy.network_.recurrent_t.flags.writeable
    np.testing.assert_allclose(copy.transform(series), res.transform(series), rtol=1e-12)


def test_network_checks_its_operands_against_each_other(series):
    network = WCRNNReservoir(n_units=6, residual="rotational", random_state=0).fit(series).network_
    import dataclasses

    with pytest.raises(ValueError, match="recurrent_t"):
        dataclasses.replace(network, recurrent_t=np.zeros((5, 5)))
    with pytest.raises(ValueError, match="residual_blocks"):
        dataclasses.replace(network, residual_blocks=np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="bias"):
        dataclasses.replace(network, bias=np.zeros(7))


def test_network_takes_every_size_from_its_arrays(series):
    res = WCRNNReservoir(n_units=9, random_state=0).fit(series)
    network = find_network(make_pipeline(StandardScaler(), res).fit(series))
    assert isinstance(network, Network)
    assert (network.n_units, network.n_features) == (9, 2)
    assert find_network(WCRNNRegressor(res).fit(series, series[:, 0])).n_units == 9
    with pytest.raises(NotFittedError):
        find_network(WCRNNReservoir())
    with pytest.raises(TypeError, match="WCRNNReservoir"):
        find_network(Ridge())


# ---------------------------------------------------------------- run-time parameters


@pytest.mark.parametrize(
    "param, value",
    [
        ("sequence_features", "bogus"),
        ("coupling", -5),
        ("coupling", "0.1"),
        ("activation", "bogus"),
    ],
)
def test_run_time_parameters_are_validated_where_used(series, param, value):
    res = WCRNNReservoir(n_units=8, random_state=0).fit(series)
    res.set_params(**{param: value})
    batch = np.stack([series, series])
    with pytest.raises(InvalidParameterError, match=param):
        res.transform(batch)
    with pytest.raises(InvalidParameterError, match=param):
        res.run(series)


def test_run_time_parameters_take_effect_at_once(series):
    res = WCRNNReservoir(n_units=8, coupling=0.1, random_state=0).fit(series)
    weak = res.transform(series)
    strong = res.set_params(coupling=0.5).transform(series)
    refit = WCRNNReservoir(n_units=8, coupling=0.5, random_state=0).fit(series).transform(series)
    np.testing.assert_allclose(strong, refit, rtol=1e-12)
    assert not np.allclose(weak, strong)


@pytest.mark.parametrize("coupling", [1, True, np.float32(1.0), np.int8(1), np.float64(1.0)])
def test_coupling_of_any_scalar_type_runs_one_specialisation(series, coupling):
    """Scalars are cast at the boundary, so no new kernel specialisation is compiled
    (each used to cost about a second); the states equal those of the float."""
    from wcrnn_rc import _kernels

    reference = WCRNNReservoir(n_units=8, coupling=1.0, random_state=0).fit(series)
    want = reference.transform(series)
    n_signatures = len(getattr(_kernels.run_packed, "signatures", []))
    res = WCRNNReservoir(n_units=8, coupling=coupling, random_state=0)
    if isinstance(coupling, bool):
        with pytest.raises(TypeError, match="coupling must be a real number"):
            res.fit(series)
        return
    got = res.fit(series).transform(series)
    assert isinstance(res.network_.coupling, float)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert len(getattr(_kernels.run_packed, "signatures", [])) == n_signatures


# ---------------------------------------------------------------- dynamics attributes


@pytest.fixture
def supercritical():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SupercriticalResidualWarning)
        return WCRNNReservoir(n_units=10, residual_scale=3.0, random_state=0).fit(np.zeros((5, 1)))


@pytest.mark.parametrize("name", ["lyapunov_exponents_", "memory_capacity_", "memory_curve_"])
def test_hasattr_on_a_supercritical_reservoir_is_false(supercritical, name):
    assert not hasattr(supercritical, name)
    with pytest.raises(DynamicsOverflowError) as info:
        getattr(supercritical, name)
    assert isinstance(info.value, FloatingPointError)
    assert isinstance(info.value.__cause__, FloatingPointError)
    # The estimators delegate, and fail the same way.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SupercriticalResidualWarning)
        model = WCRNNRegressor(supercritical).fit(np.zeros((5, 1)), np.zeros(5))
    assert not hasattr(model, name)


def test_inspection_tools_never_fail_on_a_fitted_reservoir(supercritical):
    names = dict(inspect.getmembers(supercritical))
    assert "lyapunov_exponents_" not in names and "network_" in names
    # scikit-learn's __dir__ lists only what hasattr finds.
    listed = dir(supercritical)
    assert "network_" in listed and "memory_capacity_" not in listed


def test_dynamics_errors_are_attribute_errors():
    assert issubclass(DynamicsError, AttributeError)
    assert issubclass(DynamicsOverflowError, DynamicsError)
    assert not hasattr(WCRNNReservoir(), "memory_capacity_")  # unfitted


def test_dynamics_are_cached_per_coupling(series):
    res = WCRNNReservoir(n_units=10, residual="orthogonal", coupling=0.0, random_state=0)
    res.fit(series)
    zero = res.lyapunov_exponents_
    np.testing.assert_allclose(zero, np.log(0.95), atol=1e-9)
    strong = res.set_params(coupling=1.0).lyapunov_exponents_
    assert not np.allclose(strong, zero, atol=1e-3)
    assert res.set_params(coupling=0.0).lyapunov_exponents_ is zero


# ---------------------------------------------------------------- output names


@pytest.mark.parametrize("features", ["last", "mean", "both"])
@pytest.mark.parametrize("kind", ["series", "batch", "ragged"])
def test_set_output_pandas_on_every_input_kind(series, features, kind):
    pd = pytest.importorskip("pandas")
    res = WCRNNReservoir(n_units=5, sequence_features=features, random_state=0)
    res.fit(series).set_output(transform="pandas")
    X = {"series": series, "batch": np.stack([series, series]), "ragged": [series, series[:7]]}
    out = res.transform(X[kind])
    assert isinstance(out, pd.DataFrame)
    width = 10 if (features == "both" and kind != "series") else 5
    assert out.shape[1] == width
    assert list(out.columns) == list(res.get_feature_names_out())
    if width == 10:
        assert out.columns[0] == "wcrnnreservoir_last0"
        assert out.columns[5] == "wcrnnreservoir_mean0"
        np.testing.assert_allclose(
            out.to_numpy()[:, :5], res.set_output(transform="default").transform(X[kind])[:, :5]
        )


# ---------------------------------------------------------------- input checks


def test_list_of_dataframes_with_swapped_columns_raises():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    frames = [pd.DataFrame(rng.normal(size=(20, 2)), columns=["a", "b"]) for _ in range(3)]
    res = WCRNNReservoir(n_units=5, random_state=0).fit(frames)
    np.testing.assert_array_equal(res.feature_names_in_, ["a", "b"])
    swapped = frames[:2] + [frames[2][["b", "a"]]]
    with pytest.raises(ValueError, match="Sequence 2"):
        res.transform(swapped)
    with pytest.raises(ValueError, match="Sequence 2"):
        WCRNNReservoir(n_units=5).fit(swapped)


def test_list_of_1d_arrays_raises_with_the_reshape():
    X = [np.arange(5.0), np.arange(7.0)]
    with pytest.raises(ValueError, match=r"x.reshape\(-1, 1\)"):
        WCRNNReservoir(n_units=5).fit(X)


# ---------------------------------------------------------------- readouts and failed fits


@pytest.mark.parametrize("ridge", [Ridge(alpha=-5), Ridge(solver="bogus")])
def test_streamed_ridge_validates_its_parameters(series, ridge):
    model = WCRNNRegressor(WCRNNReservoir(n_units=5, random_state=0), readout=ridge)
    with pytest.raises(InvalidParameterError):
        model.fit(series, series[:, 0])


class _FailingRegressor(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        raise RuntimeError("readout failed")

    def predict(self, X):
        return np.zeros(len(X))


def test_failed_fit_leaves_no_fitted_attributes(series):
    model = WCRNNRegressor(WCRNNReservoir(n_units=5, random_state=0)).fit(series, series[:, 0])
    model.set_params(readout=_FailingRegressor())
    with pytest.raises(RuntimeError, match="readout failed"):
        model.fit(series, series[:, 0])
    assert not hasattr(model, "reservoir_") and not hasattr(model, "readout_")
    with pytest.raises(NotFittedError):
        model.predict(series)


def test_failed_reservoir_build_leaves_it_unfitted(series):
    res = WCRNNReservoir(n_units=4, random_state=0).fit(series)
    res.set_params(recurrent_weights=np.ones((3, 3)))
    with pytest.raises(ValueError, match="recurrent_weights"):
        res.fit(series)
    with pytest.raises(NotFittedError):
        res.transform(series)


# ---------------------------------------------------------------- warnings


def test_supercritical_warning_points_at_the_caller():
    X = np.zeros((5, 1))
    for fit in (
        lambda: WCRNNReservoir(n_units=4, residual_scale=1.5).fit(X),
        lambda: make_pipeline(WCRNNReservoir(n_units=4, residual_scale=1.5)).fit(X),
        lambda: WCRNNClassifier(WCRNNReservoir(n_units=4, residual_scale=1.5)).fit(
            np.zeros((2, 5, 1)), [0, 1]
        ),
    ):
        with pytest.warns(SupercriticalResidualWarning) as caught:
            fit()
        assert [w.filename for w in caught] == [__file__] * len(caught)


@pytest.mark.parametrize("residual", ["heterogeneous", "none", np.eye(4) * 0.5])
def test_ignored_residual_scale_warns(series, residual):
    with pytest.warns(UserWarning, match="residual_scale=0.5 is ignored"):
        WCRNNReservoir(n_units=4, residual=residual, residual_scale=0.5).fit(series)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        WCRNNReservoir(n_units=4, residual=residual).fit(series)  # the default: no warning
