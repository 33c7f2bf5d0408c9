"""Precision edge cases of the kernels' arithmetic."""

import numpy as np

from wcrnn_rc import WCRNNReservoir


def _memoryless_unit(activation="tanh"):
    """One unit with h_t = f(x_t): W = 0, U = 1, b = 0, no residual, coupling 1."""
    return WCRNNReservoir(
        n_units=1,
        residual="none",
        coupling=1.0,
        activation=activation,
        recurrent_weights=[[0.0]],
        input_weights=[[1.0]],
        bias=[0.0],
    )


def test_kernel_tanh_is_within_two_ulp_of_numpy():
    x = np.concatenate(
        [
            np.linspace(-25, 25, 200_001),
            np.geomspace(1e-300, 1e3, 10_000),
            -np.geomspace(1e-300, 1e3, 10_000),
            [0.0, -0.0, 0.625, -0.625, np.nextafter(0.625, 1), 20.0, 1e308, -1e308],
        ]
    )[:, None]
    got = _memoryless_unit().fit(x).transform(x)[:, 0]
    want = np.tanh(x[:, 0])
    ulp = np.abs(got - want) / np.spacing(np.maximum(np.abs(want), np.finfo(float).tiny))
    assert ulp.max() <= 2.0
    nonzero = want != 0  # h = 0 + 1 * tanh(-0.0) is +0.0 by IEEE addition
    assert np.all(np.signbit(got[nonzero]) == np.signbit(want[nonzero]))


def test_kernel_tanh_in_float32():
    x = np.linspace(-12, 12, 50_001, dtype=np.float32)[:, None]
    got = _memoryless_unit().fit(x).transform(x)[:, 0]
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, np.tanh(x[:, 0]), rtol=2e-7, atol=1e-38)


def test_relu_and_identity_activations_are_exact():
    x = np.linspace(-3, 3, 101)[:, None]
    np.testing.assert_array_equal(
        _memoryless_unit("relu").fit(x).transform(x)[:, 0], np.maximum(x[:, 0], 0)
    )
    np.testing.assert_array_equal(_memoryless_unit("identity").fit(x).transform(x)[:, 0], x[:, 0])
