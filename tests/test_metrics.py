"""wcrnn_rc.metrics: the normalised error, valid prediction time and NRMSE."""

import numpy as np
import pytest

from wcrnn_rc.metrics import normalized_error, nrmse, valid_prediction_time


def test_normalised_error_definitions():
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=(50, 3)) * [1.0, 2.0, 5.0], rng.normal(size=(50, 3))
    sigma = y.std(axis=0)
    expected = np.sqrt(np.mean(((p - y) / sigma) ** 2, axis=1))
    np.testing.assert_allclose(normalized_error(y, p), expected, rtol=1e-12)
    norm = np.linalg.norm(p - y, axis=1) / np.sqrt(np.mean(np.sum(y**2, axis=1)))
    np.testing.assert_allclose(normalized_error(y, p, normalization="norm"), norm, rtol=1e-12)
    given = np.sqrt(np.mean(((p - y) / 2.0) ** 2, axis=1))
    np.testing.assert_allclose(normalized_error(y, p, scale=2.0), given, rtol=1e-12)


def test_valid_time_counts_leading_steps_below_threshold():
    y = np.tile([[1.0], [-1.0]], (10, 1))  # std 1
    offsets = np.array([0.0, 0.1, 0.39, 0.41, 0.0, 0.0] + [0.0] * 14)[:, None]
    assert valid_prediction_time(y, y + offsets) == 3  # the later recovery does not count
    assert valid_prediction_time(y, y + offsets, threshold=0.5) == 20
    assert valid_prediction_time(y, y + offsets, dt=0.02) == pytest.approx(0.06)
    assert valid_prediction_time(y, y + offsets, dt=0.02, lyapunov_exponent=0.9) == pytest.approx(
        0.054
    )
    diverged = y + offsets
    diverged[1] = np.nan
    assert valid_prediction_time(y, diverged) == 1


def test_nrmse_of_the_mean_is_one_and_of_truth_zero():
    y = np.random.default_rng(1).normal(size=(200, 2)) * [1.0, 10.0]
    assert nrmse(y, np.broadcast_to(y.mean(axis=0), y.shape)) == pytest.approx(1.0)
    assert nrmse(y, y) == 0.0


def test_metric_bad_input():
    y = np.zeros((5, 2))
    with pytest.raises(ValueError, match="same shape"):
        nrmse(y, np.zeros((5, 3)))
    with pytest.raises(ValueError, match="no\nspread|spread"):
        nrmse(y, y)
    with pytest.raises(ValueError, match="normalization must be one of"):
        nrmse(np.ones((3, 1)) * [[1], [2], [3]], np.zeros((3, 1)), normalization="range")
    with pytest.raises(ValueError, match="threshold"):
        valid_prediction_time(np.arange(3.0), np.arange(3.0), threshold=0)
