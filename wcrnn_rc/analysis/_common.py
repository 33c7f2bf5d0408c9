"""Shared helpers of the analysis functions: the network to analyse, and its drive."""

import numpy as np

from .._network import network_of

__all__ = ["analysed_network", "as_series"]


def analysed_network(obj, X_for_fit):
    """The :class:`~wcrnn_rc._network.Network` to analyse.

    ``obj`` is a network, a fitted reservoir, estimator or pipeline, or an unfitted
    reservoir, which is cloned and fitted on ``X_for_fit()`` (a callable, only called
    when needed).
    """
    return network_of(obj, X_for_fit)


def as_series(network, X, name="X"):
    """Check that X is one time series with the network's features; float64 (T, d)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1 and network.n_features == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be one time series of shape (n_steps, n_features); got an array "
            f"of shape {X.shape}. Analyse sequences one at a time."
        )
    if X.shape[1] != network.n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} features, but the reservoir was fitted with "
            f"{network.n_features}."
        )
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return np.ascontiguousarray(X)
