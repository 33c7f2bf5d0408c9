"""Forecast metrics: valid prediction time and normalised root-mean-square error.

Both compare a forecast ``y_pred`` with the truth ``y_true``, arrays of shape
``(n_steps, n_targets)`` (or 1-D for one target), row ``t`` being time step ``t``.
"""

import numpy as np

__all__ = ["normalized_error", "nrmse", "valid_prediction_time"]

_NORMALIZATIONS = ("std", "norm")


def _check_pair(y_true, y_pred):
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.ndim == 1:
        y_true = y_true[:, None]
    if y_pred.ndim == 1:
        y_pred = y_pred[:, None]
    if y_true.ndim != 2 or y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape (n_steps, n_targets); got "
            f"{np.shape(y_true)} and {np.shape(y_pred)}."
        )
    if y_true.shape[0] == 0:
        raise ValueError("y_true and y_pred are empty.")
    if not np.isfinite(y_true).all():
        raise ValueError("y_true contains NaN or infinity.")
    return y_true, y_pred


def _scale(y_true, scale, normalization):
    if normalization not in _NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {_NORMALIZATIONS}; got {normalization!r}.")
    if scale is None:
        if normalization == "std":
            scale = y_true.std(axis=0)
        else:
            scale = np.sqrt(np.mean(np.sum(y_true**2, axis=1)))
    scale = np.asarray(scale, dtype=np.float64)
    if normalization == "std":
        scale = np.broadcast_to(scale, (y_true.shape[1],))
    elif scale.ndim != 0:
        raise ValueError('With normalization="norm", scale must be a scalar.')
    if not (np.all(np.isfinite(scale)) and np.all(scale > 0)):
        raise ValueError(
            "The normalising scale must be positive and finite (a constant y_true has no "
            "spread: pass scale, e.g. the standard deviation of the training series)."
        )
    return scale


def normalized_error(y_true, y_pred, *, normalization="std", scale=None):
    """The normalised forecast error at each time step.

    - ``"std"`` (Vlachas et al. 2020 [1]_): ``e(t) = sqrt(mean_i ((y_pred_i(t) -
      y_true_i(t)) / sigma_i)**2)``, with ``sigma_i`` the standard deviation of target
      i over time;
    - ``"norm"`` (Pathak et al. 2018 [2]_): ``e(t) = ||y_pred(t) - y_true(t)|| /
      sqrt(<||y_true||**2>)``, with ``<.>`` the mean over time.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_steps, n_targets) or (n_steps,)
        The truth and the forecast.
    normalization : {"std", "norm"}, default="std"
        Which normalisation.
    scale : float or array-like of shape (n_targets,), default=None
        ``sigma_i`` (``"std"``) or ``sqrt(<||y||**2>)`` (``"norm"``); None computes it
        from ``y_true``. Pass the training series' value when ``y_true`` is too short
        to estimate the attractor's spread.

    Returns
    -------
    error : ndarray of shape (n_steps,)
        Non-finite forecasts give ``inf``.

    References
    ----------
    .. [1] P. R. Vlachas et al., "Backpropagation algorithms and reservoir computing in
       recurrent neural networks for the forecasting of complex spatiotemporal
       dynamics", Neural Networks 126, 191-217 (2020).
    .. [2] J. Pathak, B. Hunt, M. Girvan, Z. Lu and E. Ott, "Model-free prediction of
       large spatiotemporally chaotic systems from data: a reservoir computing
       approach", Phys. Rev. Lett. 120, 024102 (2018).

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc.metrics import normalized_error
    >>> y = np.array([[1.0], [-1.0], [1.0], [-1.0]])     # standard deviation 1
    >>> normalized_error(y, y + [[0.0], [0.1], [0.5], [2.0]])
    array([0. , 0.1, 0.5, 2. ])
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    scale = _scale(y_true, scale, normalization)
    with np.errstate(over="ignore", invalid="ignore"):
        if normalization == "std":
            error = np.sqrt(np.mean(((y_pred - y_true) / scale) ** 2, axis=1))
        else:
            error = np.linalg.norm(y_pred - y_true, axis=1) / scale
    return np.where(np.isfinite(error), error, np.inf)


def valid_prediction_time(
    y_true, y_pred, *, threshold=0.4, normalization="std", scale=None, dt=1.0,
    lyapunov_exponent=None,
):  # fmt: skip
    """How long a forecast stays valid: the leading steps with normalised error < threshold.

    The valid prediction time is the largest ``t_f`` such that the normalised error
    (:func:`normalized_error`) stays below ``threshold`` at every step ``t <= t_f``
    (Pathak et al. 2018 [1]_, threshold 0.4; Vlachas et al. 2020 [2]_, with the
    per-target standard deviation, the default here). It is returned as a number
    of steps, or in time units with ``dt``, or in Lyapunov times with
    ``lyapunov_exponent`` (``steps * dt * lyapunov_exponent``).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_steps, n_targets) or (n_steps,)
        The truth and the forecast, from the same starting point.
    threshold : float, default=0.4
        The largest normalised error still counted as valid.
    normalization : {"std", "norm"}, default="std"
        See :func:`normalized_error`.
    scale : float or array-like, default=None
        See :func:`normalized_error`.
    dt : float, default=1.0
        Time between two steps.
    lyapunov_exponent : float, default=None
        The system's leading Lyapunov exponent per unit time; given, the result is in
        Lyapunov times.

    Returns
    -------
    valid_time : int or float
        The number of valid leading steps (an int) when ``dt=1`` and no exponent is
        given; else ``steps * dt`` (times ``lyapunov_exponent``).

    References
    ----------
    .. [1] J. Pathak, B. Hunt, M. Girvan, Z. Lu and E. Ott, Phys. Rev. Lett. 120,
       024102 (2018).
    .. [2] P. R. Vlachas et al., Neural Networks 126, 191-217 (2020).

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc.metrics import valid_prediction_time
    >>> y = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    >>> valid_prediction_time(y, y + [[0.0], [0.1], [0.5], [0.1]])
    2
    >>> valid_prediction_time(y, y + [[0.0], [0.1], [0.5], [0.1]], dt=0.5,
    ...                       lyapunov_exponent=0.9)
    0.9
    """
    if not (np.isfinite(threshold) and threshold > 0):
        raise ValueError(f"threshold must be positive and finite; got {threshold!r}.")
    error = normalized_error(y_true, y_pred, normalization=normalization, scale=scale)
    exceeded = np.flatnonzero(~(error < threshold))
    steps = int(exceeded[0]) if exceeded.size else len(error)
    if dt == 1.0 and lyapunov_exponent is None:
        return steps
    return steps * float(dt) * (1.0 if lyapunov_exponent is None else float(lyapunov_exponent))


def nrmse(y_true, y_pred, *, normalization="std", scale=None):
    """Normalised root-mean-square error over all steps.

    ``sqrt(mean_t e(t)**2)`` with ``e`` from :func:`normalized_error`: for
    ``"std"``, the RMS error of each target divided by that target's standard
    deviation over time, then the RMS over targets,
    ``sqrt(mean_{t,i} ((y_pred_ti - y_true_ti) / sigma_i)**2)``; 1 is the error of
    predicting the mean. For ``"norm"``, ``sqrt(mean_t ||y_pred - y_true||**2 /
    mean_t ||y_true||**2)``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_steps, n_targets) or (n_steps,)
    normalization : {"std", "norm"}, default="std"
    scale : float or array-like, default=None
        See :func:`normalized_error`.

    Returns
    -------
    nrmse : float

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc.metrics import nrmse
    >>> y = np.sin(np.linspace(0, 20, 500))
    >>> round(nrmse(y, np.full_like(y, y.mean())), 6)       # predicting the mean
    1.0
    """
    error = normalized_error(y_true, y_pred, normalization=normalization, scale=scale)
    return float(np.sqrt(np.mean(error**2)))
