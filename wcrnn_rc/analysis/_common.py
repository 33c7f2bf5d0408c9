"""Shared helper of the analysis functions: checking a drive against the network."""

import numpy as np

__all__ = ["as_series"]


def as_series(network, X, name="X", n_fed_back=0):
    """Check that X is one time series with the network's features; float64 (T, d).

    With ``n_fed_back``, the first that many inputs come from a readout fed back, and
    X gives only the others.
    """
    X = np.asarray(X, dtype=np.float64)
    n_features = network.n_features - n_fed_back
    if X.ndim == 1 and n_features == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be one time series of shape (n_steps, n_features); got an array "
            f"of shape {X.shape}. Analyse sequences one at a time."
        )
    if X.shape[1] != n_features:
        fed_back = f", {n_fed_back} of them fed back" if n_fed_back else ""
        raise ValueError(
            f"{name} has {X.shape[1]} features, but the reservoir was fitted with "
            f"{network.n_features}{fed_back}."
        )
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return np.ascontiguousarray(X)
