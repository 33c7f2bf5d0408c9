"""The chaotic flows of wcrnn_rc.datasets against an independent tight integration."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from wcrnn_rc.datasets import make_kuramoto_sivashinsky, make_lorenz, make_lorenz96, make_rossler


def _reference(rhs, x0, dt, n_samples):
    """DOP853 at rtol = atol = 1e-12, sampled at the same times."""
    t = dt * np.arange(n_samples)
    sol = solve_ivp(
        lambda _, v: rhs(v), (0.0, t[-1]), x0, t_eval=t, method="DOP853", rtol=1e-12, atol=1e-12
    )
    return sol.y.T


def _relative_error(got, expected):
    return np.abs(got - expected).max() / np.abs(expected).max()


def test_lorenz_matches_dop853_over_one_time_unit():
    x0 = [1.0, 2.0, 20.0]
    got = make_lorenz(51, washout=0, horizon=0, initial_state=x0)[0]

    def rhs(v):
        return np.array([10 * (v[1] - v[0]), v[0] * (28 - v[2]) - v[1], v[0] * v[1] - 8 / 3 * v[2]])

    assert _relative_error(got, _reference(rhs, x0, 0.02, 51)) < 1e-6


def test_rossler_matches_dop853_over_ten_time_units():
    x0 = [1.0, 1.0, 0.0]
    got = make_rossler(101, washout=0, horizon=0, initial_state=x0)[0]

    def rhs(v):
        return np.array([-v[1] - v[2], v[0] + 0.2 * v[1], 0.2 + v[2] * (v[0] - 5.7)])

    assert _relative_error(got, _reference(rhs, x0, 0.1, 101)) < 1e-8


def test_lorenz96_matches_dop853_over_one_time_unit():
    n = 10
    x0 = 8.0 + np.random.default_rng(0).uniform(-0.5, 0.5, n)
    got = make_lorenz96(101, n_variables=n, washout=0, horizon=0, initial_state=x0)[0]

    def rhs(x):  # written index by index, independently of the vectorised generator
        return np.array(
            [(x[(i + 1) % n] - x[(i - 2) % n]) * x[(i - 1) % n] - x[i] + 8.0 for i in range(n)]
        )

    assert _relative_error(got, _reference(rhs, x0, 0.01, 101)) < 1e-4


def test_kuramoto_sivashinsky_etdrk4_converges_to_a_stiff_reference():
    n, L = 32, 22.0
    u0 = make_kuramoto_sivashinsky(1, n_grid=n, washout=300, horizon=0, random_state=0)[0][0]
    k = 2 * np.pi / L * np.fft.rfftfreq(n, d=1.0 / n)
    lin, g = k**2 - k**4, -0.5j * k
    m = len(k)

    def rhs(_, w):  # the same Fourier discretisation, integrated by Radau
        v = w[:m] + 1j * w[m:]
        d = lin * v + g * np.fft.rfft(np.fft.irfft(v, n) ** 2)
        return np.concatenate([d.real, d.imag])

    v0 = np.fft.rfft(u0)
    t = 0.25 * np.arange(21)
    sol = solve_ivp(
        rhs, (0, t[-1]), np.concatenate([v0.real, v0.imag]), t_eval=t, method="Radau",
        rtol=1e-11, atol=1e-12,
    )  # fmt: skip
    expected = np.array([np.fft.irfft(w[:m] + 1j * w[m:], n) for w in sol.y.T])
    errors = [
        _relative_error(
            make_kuramoto_sivashinsky(
                21, n_grid=n, washout=0, horizon=0, initial_state=u0, n_substeps=sub
            )[0],
            expected,
        )
        for sub in (1, 2)
    ]
    assert errors[0] < 2e-4
    assert errors[1] < errors[0] / 4  # fourth order: halving the step gains ~16x


@pytest.mark.parametrize(
    "make, width, exponent",
    [
        (make_lorenz, 3, 0.9056),
        (make_rossler, 3, 0.0714),
        (lambda **kw: make_lorenz96(n_variables=40, **kw), 40, 1.68),
        (lambda **kw: make_kuramoto_sivashinsky(n_grid=32, **kw), 32, 0.043),
    ],
)
def test_shapes_horizon_transient_and_exponent(make, width, exponent):
    bunch = make(n_steps=30, washout=20, horizon=2, random_state=0, return_X_y=False)
    assert bunch.data.shape == bunch.target.shape == (30, width)
    np.testing.assert_array_equal(bunch.data[2:], bunch.target[:-2])
    assert bunch.lyapunov_exponent == exponent
    np.testing.assert_allclose(bunch.times, (20 + np.arange(30)) * bunch.dt)
    # The transient is dropped: the returned series continues the full integration.
    full = make(n_steps=50, washout=0, horizon=0, random_state=0)[0]
    np.testing.assert_allclose(bunch.data, full[20:50], rtol=1e-12, atol=1e-12)


def test_flows_reproducible_and_bad_initial_state():
    np.testing.assert_array_equal(
        make_lorenz(20, washout=5, random_state=3)[0], make_lorenz(20, washout=5, random_state=3)[0]
    )
    assert not np.allclose(make_lorenz(20, random_state=3)[0], make_lorenz(20, random_state=4)[0])
    with pytest.raises(ValueError, match="initial_state must be 3 finite numbers"):
        make_lorenz(10, initial_state=[1.0, 2.0])
    with pytest.raises(ValueError, match="non-finite"):
        make_lorenz(200, rho=1e8, washout=0, random_state=0)
