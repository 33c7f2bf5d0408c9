"""Lyapunov spectra: the kernel against its NumPy twin, and against the theory."""

import numpy as np
import pytest
from naive import naive_lyapunov
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline

from wcrnn_rc import WCRNNClassifier, WCRNNRegressor, WCRNNReservoir
from wcrnn_rc._kernels import lyapunov_qr
from wcrnn_rc.analysis import lyapunov_spectrum, max_lyapunov_exponent
from wcrnn_rc.residuals import HeterogeneousResidual


def _residual_jacobian(res):
    residual = res.residual_
    if not residual.is_linear:
        return lambda h: np.diag(residual.scale * (1 - np.tanh(h) ** 2))
    R = residual.to_matrix()
    return lambda h: R


def _rho(res):
    residual = res.residual_
    return lambda h: residual.apply(h)


@pytest.mark.parametrize("every", [1, 3, 0])  # 0: adaptive
@pytest.mark.parametrize("activation", ["tanh", "relu", "identity"])
@pytest.mark.parametrize(
    "residual", ["identity", "orthogonal", "rotational", "heterogeneous", "tanh", "none"]
)
@pytest.mark.parametrize("density", [1.0, 0.05])  # dense W, CSR W
def test_kernel_matches_naive_qr(residual, activation, every, density, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    n_units, k, n_steps, washout = 9, 5, 80, 20
    X = rng.uniform(-1, 1, size=(n_steps, 2))
    res = WCRNNReservoir(
        n_units=n_units,
        residual=residual,
        residual_scale=0.9,
        coupling=0.3,
        activation=activation,
        recurrent_gain=1.5,
        density=density,
        random_state=global_random_seed,
    ).fit(X)
    frame0 = np.linalg.qr(rng.standard_normal((n_units, k)))[0].T.copy()
    network = res.network_
    input_t, bias = network.input_operands(np.float64)
    operands, act = network.recurrent_operands(np.float64, batched=False), network.activation
    with np.errstate(divide="ignore"):
        got, h, n_qr = lyapunov_qr(
            X, input_t, bias, np.zeros((1, n_units)), *operands, res.coupling, act,
            frame0, washout, every, np.log(1e4), 32, input_t[:0], np.zeros((0, n_units)),
        )  # fmt: skip
        want = naive_lyapunov(
            X, res.recurrent_weights_, res.input_weights_, res.bias_,
            _residual_jacobian(res), _rho(res), res.coupling, activation, frame0, washout,
        )  # fmt: skip
    # A direction that a singular Jacobian collapses (dead ReLU units without a
    # residual) comes out as -inf or as a huge negative number set by rounding.
    collapsed = want < -50
    assert np.all(got[collapsed] < -50)
    np.testing.assert_allclose(got[~collapsed], want[~collapsed], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(h[0], res.run(X)[-1], rtol=1e-12, atol=1e-12)
    if every == 1:
        assert n_qr == n_steps
    elif every == 3:  # every third step since the last QR, and at the ends of washout and X
        expected, since = 0, 0
        for t in range(n_steps):
            since += 1
            if since == 3 or t in (washout - 1, n_steps - 1):
                expected, since = expected + 1, 0
        assert n_qr == expected


@pytest.mark.parametrize(
    "residual",
    [
        "identity",
        "orthogonal",
        "rotational",
        HeterogeneousResidual(timescales=(1, 10)),
        np.diag([0.9, -0.5, 0.3, 0.8, 0.1, -0.7, 0.6, 0.2]),  # well-separated moduli
    ],
    ids=["identity", "orthogonal", "rotational", "heterogeneous", "matrix"],
)
def test_uncoupled_spectrum_is_log_residual_eigenvalues(residual, global_random_seed):
    res = WCRNNReservoir(
        n_units=8, residual=residual, residual_scale=0.9, coupling=0.0,
        random_state=global_random_seed,
    ).fit(np.zeros((1, 1)))  # fmt: skip
    numeric = lyapunov_spectrum(res, washout=2000, random_state=global_random_seed)
    np.testing.assert_allclose(numeric, res.residual_lyapunov_exponents_, rtol=0, atol=1e-8)


@pytest.mark.parametrize("residual", ["identity", "orthogonal", "rotational"])
@pytest.mark.parametrize("coupling", [0.01, 0.05])
def test_weakly_coupled_exponents_within_theory_band(residual, coupling, global_random_seed):
    lam = 0.95
    res = WCRNNReservoir(
        n_units=30, residual=residual, residual_scale=lam, coupling=coupling,
        random_state=global_random_seed,
    ).fit(np.zeros((1, 1)))  # fmt: skip
    spread = coupling * np.linalg.norm(res.recurrent_weights_, 2)
    exponents = lyapunov_spectrum(res, n_steps=1000, random_state=global_random_seed)
    assert np.all(exponents >= np.log(lam - spread) - 1e-12)
    assert np.all(exponents <= np.log(lam + spread) + 1e-12)
    # And the coupling does move them off log(lambda).
    assert np.abs(exponents - np.log(lam)).max() > 1e-4


def test_strongly_coupled_random_network_is_chaotic(global_random_seed):
    res = WCRNNReservoir(
        n_units=100, residual="none", coupling=1.0, recurrent_gain=3.0,
        input_scaling=0.1, random_state=global_random_seed,
    )  # fmt: skip
    assert max_lyapunov_exponent(res, random_state=global_random_seed) > 0.1
    weak = clone(res).set_params(residual="rotational", coupling=0.05, recurrent_gain=1.0)
    assert max_lyapunov_exponent(weak, random_state=global_random_seed) < 0


@pytest.mark.parametrize(
    "params",
    [
        {"residual": "rotational", "coupling": 0.1},
        {"residual": "tanh", "residual_scale": 1.0, "coupling": 0.5, "recurrent_gain": 2.0},
        {"residual": "none", "coupling": 1.0, "recurrent_gain": 3.0},  # chaotic
        {"residual": "none", "coupling": 1.0, "activation": "relu", "recurrent_gain": 0.5},
    ],
)
def test_adaptive_interval_matches_every_step(params, global_random_seed):
    res = WCRNNReservoir(n_units=40, random_state=global_random_seed, **params)
    kwargs = dict(n_steps=600, washout=100, random_state=global_random_seed)
    every_step = lyapunov_spectrum(res, reorthonormalize_every=1, **kwargs)
    auto = lyapunov_spectrum(res, **kwargs)
    finite = np.isfinite(every_step)
    np.testing.assert_array_equal(finite, np.isfinite(auto))
    np.testing.assert_allclose(auto[finite], every_step[finite], rtol=1e-9, atol=1e-10)


def test_partial_spectrum_is_leading_part_of_full(global_random_seed):
    res = WCRNNReservoir(n_units=30, coupling=0.3, random_state=global_random_seed)
    kwargs = dict(n_steps=500, washout=100, random_state=global_random_seed)
    full = lyapunov_spectrum(res, **kwargs)
    # The 5 directions follow the first 5 of the full frame exactly; sorting may order
    # them among the others differently where exponents have not separated yet.
    partial = lyapunov_spectrum(res, n_exponents=5, **kwargs)
    assert np.abs(partial[:, None] - full[None, :]).min(axis=1).max() < 1e-10
    assert np.abs(full - max_lyapunov_exponent(res, **kwargs)).min() < 1e-10
    assert np.all(np.diff(full) <= 0)


def test_tanh_residual_exponents_below_its_linearisation(global_random_seed):
    # rho'(h) = lambda * (1 - tanh(h)^2) <= lambda: the driven network contracts at
    # least as fast as its linearisation at 0 when uncoupled.
    res = WCRNNReservoir(
        n_units=10, residual="tanh", residual_scale=0.98, coupling=0.0, input_scaling=1.0,
        random_state=global_random_seed,
    )  # fmt: skip
    exponents = lyapunov_spectrum(res, random_state=global_random_seed)
    res.fit(np.zeros((1, 1)))
    np.testing.assert_allclose(res.residual_lyapunov_exponents_, np.log(0.98))
    # Uncoupled, h stays at 0 (the branch is off), so the bound is attained exactly.
    np.testing.assert_allclose(exponents, np.log(0.98), atol=1e-12)
    # Coupled: ||J_t||_2 <= lambda * max(1 - tanh^2) + eps * ||W||_2, so the largest
    # exponent is at most log(lambda + eps * ||W||_2) (the theory's own bound).
    coupled = clone(res).set_params(coupling=0.3).fit(np.zeros((1, 1)))
    bound = np.log(0.98 + 0.3 * np.linalg.norm(coupled.recurrent_weights_, 2))
    largest = lyapunov_spectrum(coupled, random_state=0)[0]
    assert largest <= bound + 1e-12
    assert largest > np.log(0.98) - 0.5  # and not collapsed


@pytest.mark.parametrize("residual", ["orthogonal", "rotational", "tanh", "heterogeneous"])
def test_sum_of_exponents_is_mean_log_determinant(residual, global_random_seed):
    """The full spectrum sums to the time average of log|det J_t| (Oseledets), computed
    here independently: states from the reservoir, Jacobians and slogdet in NumPy."""
    rng = np.random.default_rng(global_random_seed)
    washout, n_steps = 200, 600
    X = rng.uniform(-1, 1, size=(washout + n_steps, 1))
    res = WCRNNReservoir(
        n_units=12, residual=residual, residual_scale=0.9, coupling=0.3,
        recurrent_gain=1.2, random_state=global_random_seed,
    ).fit(X)  # fmt: skip
    exponents = lyapunov_spectrum(res, X, washout=washout, random_state=global_random_seed)
    states = np.vstack([np.zeros((1, 12)), res.run(X)])
    W, U, b = res.recurrent_weights_, res.input_weights_, res.bias_
    coupling = res.coupling
    log_dets = []
    for t in range(washout, washout + n_steps):
        h_prev = states[t]
        slope = 1 - np.tanh(h_prev @ W.T + X[t] @ U.T + b) ** 2
        if residual == "tanh":
            rho_jacobian = np.diag(0.9 * (1 - np.tanh(h_prev) ** 2))
        else:
            rho_jacobian = res.residual_.to_matrix()
        log_dets.append(np.linalg.slogdet(rho_jacobian + coupling * slope[:, None] * W)[1])
    np.testing.assert_allclose(exponents.sum(), np.mean(log_dets), rtol=1e-8, atol=1e-10)


def test_drive_given_as_x_and_reproducibility():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(700, 2))
    res = WCRNNReservoir(n_units=20, random_state=0).fit(X)
    a = lyapunov_spectrum(res, X, random_state=1)
    np.testing.assert_array_equal(a, lyapunov_spectrum(res, X, random_state=1))
    # X sets the drive; the initial frame is random. The sum of all exponents (mean
    # log|det J_t|) does not depend on it, each exponent only to O(1 / n_steps).
    other_frame = lyapunov_spectrum(res, X, random_state=2)
    assert a.sum() == pytest.approx(other_frame.sum(), abs=1e-12)
    np.testing.assert_allclose(a, other_frame, atol=5e-3)
    assert a.shape == (20,)
    b = lyapunov_spectrum(res, X, n_steps=100, washout=600, random_state=1)
    assert not np.allclose(a, b)  # fewer steps, another average
    # float32 input runs in float64 all the same
    np.testing.assert_allclose(lyapunov_spectrum(res, X.astype(np.float32), random_state=1),
                               a, rtol=1e-6)  # fmt: skip


def test_unfitted_reservoir_is_fitted_on_a_clone():
    res = WCRNNReservoir(n_units=10, random_state=0)
    exponents = lyapunov_spectrum(res, n_steps=100, random_state=0)
    assert not hasattr(res, "residual_")
    fitted = clone(res).fit(np.zeros((1, 1)))
    np.testing.assert_array_equal(exponents, lyapunov_spectrum(fitted, n_steps=100, random_state=0))


def test_estimators_and_pipelines_give_their_reservoir():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 1)), rng.normal(size=200)
    reservoir = WCRNNReservoir(n_units=10, random_state=0)
    want = lyapunov_spectrum(clone(reservoir).fit(X), n_steps=100, random_state=0)
    for model in (
        WCRNNRegressor(reservoir=clone(reservoir)).fit(X, y),
        Pipeline([("res", clone(reservoir)), ("ridge", Ridge())]).fit(X, y),
    ):
        np.testing.assert_array_equal(lyapunov_spectrum(model, n_steps=100, random_state=0), want)
    with pytest.raises(NotFittedError, match="not fitted"):
        lyapunov_spectrum(WCRNNClassifier(), n_steps=10)
    with pytest.raises(TypeError, match="WCRNNReservoir"):
        lyapunov_spectrum(Ridge(), n_steps=10)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"X": np.zeros((3, 10, 1))}, ValueError, "one time series"),
        ({"X": np.zeros((100, 2))}, ValueError, "2 features"),
        ({"X": np.zeros((100, 1)), "washout": 100}, ValueError, "too few"),
        ({"X": np.zeros((100, 1)), "n_steps": 200, "washout": 0}, ValueError, "too few"),
        ({"X": np.full((100, 1), np.nan)}, ValueError, "NaN"),
        ({"n_exponents": 11}, ValueError, "exceeds the number of units"),
        ({"n_exponents": 0}, ValueError, "n_exponents"),
        ({"reorthonormalize_every": 0}, ValueError, "reorthonormalize_every"),
        ({"washout": -1}, ValueError, "washout"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    res = WCRNNReservoir(n_units=10, random_state=0).fit(np.zeros((5, 1)))
    with pytest.raises(error, match=match):
        lyapunov_spectrum(res, **kwargs)


def test_overflowing_network_raises():
    res = WCRNNReservoir(
        n_units=10, residual="identity", residual_scale=1.5, activation="identity",
        coupling=1.0, recurrent_gain=2.0, random_state=0,
    )  # fmt: skip
    with pytest.warns(UserWarning, match="supercritical"):
        res.fit(np.zeros((1, 1)))
    with pytest.raises(FloatingPointError, match="overflowed"):
        lyapunov_spectrum(res, n_steps=1000, random_state=0)


def test_overflow_inside_the_qr_raises_floating_point_error():
    # A tanh network whose frame overflows between two QRs: the compiled QR refuses the
    # non-finite frame with LinAlgError, which must surface as the documented error.
    res = WCRNNReservoir(n_units=10, residual_scale=30.0, random_state=0)
    with pytest.warns(UserWarning, match="supercritical"):
        res.fit(np.zeros((1, 1)))
    with pytest.raises(FloatingPointError, match="overflowed"):
        lyapunov_spectrum(res, n_steps=100, random_state=0)


@pytest.mark.parametrize("params", [{"coupling": -1.0}, {"n_units": 0}])
def test_unfitted_reservoir_is_validated_when_fitted_inside(params):
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=next(iter(params))):
        lyapunov_spectrum(WCRNNReservoir(**params), n_steps=10, washout=0)


def test_verbose_shows_progress_and_changes_nothing(capsys):
    pytest.importorskip("tqdm")
    res = WCRNNReservoir(n_units=10, random_state=0)
    quiet = lyapunov_spectrum(res, n_steps=100, washout=10, random_state=0)
    assert capsys.readouterr().err == ""
    loud = lyapunov_spectrum(res, n_steps=100, washout=10, random_state=0, verbose=True)
    assert "Lyapunov spectrum: 10 exponents of 10 units, 110 steps" in capsys.readouterr().err
    np.testing.assert_array_equal(loud, quiet)  # the same call: identical arithmetic


def test_feedback_is_validated():
    res = WCRNNReservoir(n_units=10, random_state=0).fit(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="pair"):
        lyapunov_spectrum(res, feedback=(np.zeros((1, 10)),))
    with pytest.raises(ValueError, match=r"expected \(m, 10\)"):
        lyapunov_spectrum(res, feedback=(np.zeros((1, 9)), np.zeros(1)))
    with pytest.raises(ValueError, match="only 2 inputs"):
        lyapunov_spectrum(res, feedback=(np.zeros((3, 10)), np.zeros(3)))
    with pytest.raises(ValueError, match="NaN or infinity"):
        lyapunov_spectrum(res, feedback=(np.full((1, 10), np.nan), np.zeros(1)))
    # One of the two inputs fed back: X gives the other one.
    with pytest.raises(ValueError, match="1 of them fed back"):
        lyapunov_spectrum(res, np.zeros((600, 2)), feedback=(np.zeros((1, 10)), np.zeros(1)))


def test_zero_feedback_is_the_open_loop():
    res = WCRNNReservoir(n_units=12, random_state=0).fit(np.zeros((5, 2)))
    X = np.random.default_rng(0).uniform(-1, 1, size=(700, 2))
    open_loop = lyapunov_spectrum(res, X, n_exponents=4, washout=100, random_state=1)
    # The first input fed back from a readout of zero weights and intercept 0.5 is the
    # open loop driven by a constant 0.5 in that input.
    X_const = X.copy()
    X_const[:, 0] = 0.5
    want = lyapunov_spectrum(res, X_const, n_exponents=4, washout=100, random_state=1)
    got = lyapunov_spectrum(
        res, X[:, 1:], n_exponents=4, washout=100, random_state=1,
        feedback=(np.zeros((1, 12)), np.array([0.5])),
    )  # fmt: skip
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert not np.allclose(got, open_loop)
