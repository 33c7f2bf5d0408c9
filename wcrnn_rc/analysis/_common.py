"""Shared helpers of the analysis functions: finding and fitting the reservoir."""

import contextlib
import functools

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted


def _is_reservoir(obj):
    # Duck-typed so that this package never imports reservoir.py (which imports it).
    return hasattr(obj, "_kernel_arguments") and hasattr(obj, "residual")


def _is_fitted(obj):
    try:
        check_is_fitted(obj)
    except NotFittedError:
        return False
    return True


def find_reservoir(obj):
    """The reservoir inside ``obj``: itself, an estimator's ``reservoir_``, a pipeline step.

    Returns ``(reservoir, fitted)``; an unfitted reservoir comes back as given.
    """
    if _is_reservoir(obj):
        return obj, _is_fitted(obj)
    if _is_reservoir(getattr(obj, "reservoir_", None)):
        return obj.reservoir_, True
    for _, step in getattr(obj, "steps", []):
        if step is not None and step != "passthrough":
            try:
                return find_reservoir(step)
            except TypeError:
                continue
    if hasattr(obj, "reservoir") or hasattr(obj, "steps"):
        raise NotFittedError(
            f"This {type(obj).__name__} is not fitted yet: fit it first, or pass its "
            "reservoir, which is then fitted on the drive."
        )
    raise TypeError(
        "Expected a WCRNNReservoir, or a fitted estimator or pipeline containing one; "
        f"got {type(obj).__name__}."
    )


def fitted_reservoir(obj, X_for_fit):
    """The reservoir inside ``obj``, fitted; an unfitted one is cloned and fitted here.

    ``X_for_fit`` is a callable returning the input to fit on (only called when needed).
    """
    reservoir, fitted = find_reservoir(obj)
    if fitted:
        return reservoir
    return clone(reservoir).fit(X_for_fit())


def as_series(reservoir, X, name="X"):
    """Check that X is one time series with the reservoir's features; float64 (T, d)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1 and reservoir.n_features_in_ == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be one time series of shape (n_steps, n_features); got an array "
            f"of shape {X.shape}. Analyse sequences one at a time."
        )
    if X.shape[1] != reservoir.n_features_in_:
        raise ValueError(
            f"{name} has {X.shape[1]} features, but the reservoir was fitted with "
            f"{reservoir.n_features_in_}."
        )
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return np.ascontiguousarray(X)


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController  # a dependency of scikit-learn

    return ThreadpoolController()


def single_blas_thread():
    """Context manager: BLAS (NumPy's, SciPy's, numba's calls) on one thread inside.

    Made once per process (about 3 ms), then about 10 us per use.
    """
    return _blas_controller().limit(limits=1, user_api="blas")


def blas_threads_for(work, single_thread_max_work):
    """One BLAS thread when ``work`` (multiply-adds) is at most the threshold, else the
    default: on small products, thread start-up and synchronisation cost more than
    they save (measured on 2 cores, see the callers)."""
    if work > single_thread_max_work:
        return contextlib.nullcontext()
    return single_blas_thread()
