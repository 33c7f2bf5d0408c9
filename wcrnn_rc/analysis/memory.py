"""Jaeger's linear memory capacity, every delay from one least-squares factorisation."""

import numbers

import numpy as np
from scipy import linalg
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from .._config import MEMORY_SINGLE_THREAD_MAX_WORK, blas_threads_for
from ._common import analysed_network, as_series

__all__ = ["memory_capacity"]

# Targets are built this many elements (steps x delays x features) at a time (8 MB).
_TARGET_BLOCK_ELEMENTS = 1 << 20

# The normal equations (one Cholesky for every delay) are accurate to about
# cond(X)**2 * eps; past this condition number of the centred states, an SVD instead.
_MAX_NORMAL_EQUATIONS_CONDITION = 1e5


@validate_params(
    {
        "reservoir": [object],
        "max_delay": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "n_steps": [Interval(numbers.Integral, 2, None, closed="left"), None],
        "washout": [Interval(numbers.Integral, 0, None, closed="left"), None],
        "test_size": [
            Interval(numbers.Real, 0, 1, closed="neither"),
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
        "input_scaling": [Interval(numbers.Real, 0, None, closed="neither")],
        "series": ["array-like", None],
        "return_curve": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def memory_capacity(
    reservoir,
    *,
    max_delay=None,
    n_steps=None,
    washout=None,
    test_size=0.2,
    input_scaling=1.0,
    series=None,
    return_curve=False,
    random_state=None,
):
    """Linear memory capacity (Jaeger 2001): how much of its past input the state holds.

    The reservoir is driven by i.i.d. input u_t, uniform on
    ``[-input_scaling, input_scaling]``. For every delay k = 1..K a linear readout
    (least squares with intercept) is trained on the states to output u_{t-k}, and
    ``MC_k`` is the squared correlation between its output and u_{t-k} on held-out
    steps. ``MC = sum_k MC_k``. All K readouts come from one factorisation of the
    state matrix (one least-squares solve with K right-hand sides).

    Parameters
    ----------
    reservoir : WCRNNReservoir, or fitted estimator or pipeline containing one
        The network. An unfitted reservoir is cloned and fitted on the drive (one
        feature) and the argument is left unchanged.
    max_delay : int, default=None
        Largest delay K; None means ``2 * n_units``.
    n_steps : int, default=None
        Steps used for the readouts (training and held-out), after the washout.
        None means ``max(2000, 20 * n_units)``; with ``series``, all of it.
    washout : int, default=None
        Leading steps dropped; at least K so that every target u_{t-k} exists. None
        means K.
    test_size : float or int, default=0.2
        Held-out share (float in (0, 1)) or number (int) of the last ``n_steps``.
    input_scaling : float, default=1.0
        Half-width of the uniform drive. The correlations do not depend on it for a
        linear network; for a non-linear one larger inputs saturate the branch.
    series : array-like of shape (n_steps_total,) or (n_steps_total, n_features), \
            default=None
        A drive to use instead of the i.i.d. one (for instance the memory of a real
        signal; correlated input can make MC exceed what i.i.d. input gives).
    return_curve : bool, default=False
        Also return ``MC_k`` for k = 1..K.
    random_state : int, RandomState instance or None, default=None
        Draws the drive. Pass an int for reproducible output across multiple
        function calls.

    Returns
    -------
    mc : float
        The memory capacity, between 0 and K.
    curve : ndarray of shape (max_delay,)
        ``MC_k``; only with ``return_curve=True``.

    Notes
    -----
    With d > 1 input features, every feature gets its own independent drive and
    ``MC_k`` is the sum over features of the squared correlation of the delay-k recall
    of that feature. Because the features' drives are uncorrelated, the bound
    ``MC <= n_units`` still holds (the recalls are projections onto the same
    N-dimensional state space); on held-out steps each useless readout adds about
    ``1 / n_test`` of sampling noise.

    The held-out estimate is biased low where the memory is spread thinly: many delays
    each recalled with a small R^2, which overfitting on the training steps hides. For
    100 units at coupling 0.01, 2000 steps give a quarter to a half of what 10000 give
    with an identity residual at scale 0.95 (1.0 against 4.4) or a heterogeneous one
    (4.5 against 9.3), while a rotational residual at scale 0.95, whose delays are each
    recalled well, gives 89 at both. Compare such networks at a larger ``n_steps``, the
    same for all.

    Examples
    --------
    >>> from wcrnn_rc import WCRNNReservoir
    >>> from wcrnn_rc.analysis import memory_capacity
    >>> res = WCRNNReservoir(n_units=20, residual="orthogonal", residual_scale=0.9,
    ...                      coupling=0.05, random_state=0)
    >>> mc, curve = memory_capacity(res, return_curve=True, random_state=0)
    >>> curve.shape
    (40,)
    >>> bool(0 < mc <= 20)
    True
    """
    rng = check_random_state(random_state)

    def drive_to_fit():
        return np.zeros((1, 1)) if series is None else _as_2d(series)

    network = analysed_network(reservoir, drive_to_fit)
    n_units, n_features = network.n_units, network.n_features
    max_delay = 2 * n_units if max_delay is None else max_delay
    washout = max_delay if washout is None else washout
    start = max(washout, max_delay)
    if series is None:
        n_steps = max(2000, 20 * n_units) if n_steps is None else n_steps
        u = input_scaling * rng.uniform(-1.0, 1.0, size=(start + n_steps, n_features))
    else:
        u = as_series(network, series, name="series")
        available = u.shape[0] - start
        n_steps = available if n_steps is None else n_steps
        if n_steps < 2 or n_steps > available:
            raise ValueError(
                f"series has {u.shape[0]} steps: too few for a washout of {start} "
                f"(at least max_delay={max_delay}) and n_steps={n_steps}."
            )
        u = u[: start + n_steps]
    n_test = round(test_size * n_steps) if isinstance(test_size, float) else test_size
    n_train = n_steps - n_test
    if n_test < 2 or n_train < 2:
        raise ValueError(
            f"test_size={test_size} leaves {n_train} training and {n_test} held-out steps "
            f"of n_steps={n_steps}; both need at least 2."
        )

    work = n_train * n_units * (n_units + max_delay * n_features)  # the two products
    with blas_threads_for(work, MEMORY_SINGLE_THREAD_MAX_WORK):
        curve = _memory_curve(network, u, start, n_steps, n_train, max_delay)
    curve = curve.reshape(max_delay, n_features).sum(axis=1)
    mc = float(curve.sum())
    return (mc, curve) if return_curve else mc


def _memory_curve(network, u, start, n_steps, n_train, max_delay):
    """Held-out squared correlations, one per (delay, feature), delay-major.

    The targets (a row per step, a column per delay and feature) are built block by
    block from a view of u, so memory stays O(N T) for the states plus one block,
    not O(T K d) (320 MB for N = 1000 with the defaults).
    """
    states = network.run_series(u)[start:]
    # windows[t, c, k - 1] = u[start + t - k, c]: reversed windows of u, a view.
    windows = np.lib.stride_tricks.sliding_window_view(u, max_delay, axis=0)
    windows = windows[start - max_delay : start - max_delay + n_steps, :, ::-1]
    n_columns = max_delay * u.shape[1]
    block = max(1, _TARGET_BLOCK_ELEMENTS // n_columns)

    def targets(lo, hi):
        """Target rows lo..hi-1, columns delay-major."""
        return np.ascontiguousarray(windows[lo:hi].transpose(0, 2, 1)).reshape(hi - lo, -1)

    def blocks(lo, hi):
        return [(a, min(a + block, hi)) for a in range(lo, hi, block)]

    # States centred by their training mean: the intercept then needs no centred
    # targets (X.T @ 1 = 0), and the correlations ignore its value. (In place: these
    # are this call's own arrays, and fresh pages cost as much as the arithmetic.)
    states -= states[:n_train].mean(axis=0)
    train = states[:n_train]
    coef = _least_squares(
        train,
        lambda: sum(train[a:b].T @ targets(a, b) for a, b in blocks(0, n_train)),
        lambda: targets(0, n_train),
    )

    # Held out: squared correlations from sums over blocks of predictions and targets,
    # each centred by its mean over the held-out steps.
    test = states[n_train:]
    test_blocks = blocks(n_train, n_steps)
    target_mean = sum(targets(a, b).sum(axis=0) for a, b in test_blocks) / len(test)
    prediction_mean = test.mean(axis=0) @ coef
    cov, prediction_var, target_var = np.zeros((3, n_columns))
    for a, b in test_blocks:
        y = targets(a, b)
        y -= target_mean
        p = test[a - n_train : b - n_train] @ coef
        p -= prediction_mean
        cov += np.einsum("ij,ij->j", p, y)
        prediction_var += np.einsum("ij,ij->j", p, p)
        target_var += np.einsum("ij,ij->j", y, y)
    var = prediction_var * target_var
    out = np.zeros(n_columns)
    np.divide(cov * cov, var, out=out, where=var > 0)
    return out


def _least_squares(X, cross_products, targets):
    """Least-squares coefficients for every target column, from one factorisation.

    The Cholesky factor of ``X.T @ X`` with ``cross_products()`` (= ``X.T @ Y``) when X
    is well conditioned (about 10x faster than an SVD here), else LAPACK's SVD-based
    ``gelsd`` (minimum-norm solution) on ``targets()`` (= Y, built whole).
    """
    gram = X.T @ X
    try:
        factor, lower = linalg.cho_factor(gram, check_finite=False)
    except linalg.LinAlgError:  # singular: states confined to a subspace
        pass
    else:
        anorm = np.abs(gram).sum(axis=0).max()
        rcond, _ = linalg.lapack.dpocon(factor, anorm, uplo="L" if lower else "U")
        if rcond * _MAX_NORMAL_EQUATIONS_CONDITION**2 >= 1.0:
            return linalg.cho_solve((factor, lower), cross_products(), check_finite=False)
    return linalg.lstsq(X, targets(), check_finite=False)[0]


def _as_2d(series):
    series = np.asarray(series, dtype=np.float64)
    return series[:, None] if series.ndim == 1 else series
