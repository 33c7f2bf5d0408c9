"""Shared helper of the analysis functions: checking a drive against the network."""

import numpy as np

__all__ = ["as_series"]


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
