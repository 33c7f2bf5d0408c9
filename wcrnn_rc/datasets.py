"""Benchmark tasks for reservoirs and recurrent networks, in scikit-learn's dataset style.

Generators (``make_*``) build synthetic tasks and return ``(X, y)`` by default, or a
:class:`~sklearn.utils.Bunch` with ``return_X_y=False``. Loaders (``load_*``,
``fetch_*``) read image sets as pixel sequences and return a Bunch by default, like
scikit-learn's loaders. Sequence tasks give ``X`` of shape
``(n_sequences, n_steps, n_features)``; one-series tasks give ``(n_steps, n_features)``
with one target per step.

- Memory: :func:`make_delay_task`, :func:`make_copy_task`, :func:`make_adding_problem`;
- non-linear dynamics: :func:`make_narma`, :func:`make_mackey_glass`;
- chaotic flows for forecasting: :func:`make_lorenz`, :func:`make_rossler`,
  :func:`make_lorenz96`, :func:`make_kuramoto_sivashinsky`;
- classification: :func:`make_frequency_task`, :func:`load_sequential_digits`,
  :func:`fetch_sequential_mnist`, :func:`fetch_sequential_cifar10`.
"""

import numbers
import os
import socket
import tempfile
import warnings
import zipfile
from contextlib import contextmanager
from http.client import HTTPException
from pathlib import Path
from urllib.error import URLError

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

__all__ = [
    "fetch_sequential_cifar10",
    "fetch_sequential_mnist",
    "load_sequential_digits",
    "make_adding_problem",
    "make_copy_task",
    "make_delay_task",
    "make_frequency_task",
    "make_mackey_glass",
    "make_narma",
    # chaotic flows for forecasting
    "make_kuramoto_sivashinsky",
    "make_lorenz",
    "make_lorenz96",
    "make_rossler",
]

# A NARMA series is declared diverged once |y| passes this: a stable NARMA-10 stays
# below about 1.5, and past a few units the quadratic term runs away within a few steps.
_NARMA_DIVERGENCE_BOUND = 1e6

# Relative tolerance for "tau / dt is a whole number of steps" (float division noise).
_GRID_RTOL = 1e-9

# (sqrt(5) - 1) / 2: the offset of the default frequency grid of make_frequency_task.
_GOLDEN_FRACTION = 0.6180339887498949

# Seconds a download waits for the server per connection and per read (not for the whole
# download): a live server sends something well within it, a dead one fails in time.
_DEFAULT_TIMEOUT_S = 20.0
# Folder (under data_home) of the arrays parsed from OpenML's ARFF files.
_PARSED_FOLDER = "wcrnn_rc"


def _result(X, y, return_X_y, **fields):
    if return_X_y:
        return X, y
    return Bunch(data=X, target=y, **fields)


def _whole_steps(value, dt, name):
    """``value / dt`` as an int, or a ValueError if it is not a whole number of steps."""
    ratio = value / dt
    steps = round(ratio)
    if steps < 1 or abs(ratio - steps) > _GRID_RTOL * max(1.0, abs(ratio)):
        raise ValueError(
            f"{name}={value!r} must be a positive whole multiple of dt={dt!r} "
            f"(got {name} / dt = {ratio!r}); choose dt so that {name} / dt is an integer."
        )
    return steps


@validate_params(
    {
        "n_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "seq_len": [Interval(numbers.Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def make_adding_problem(n_samples=1000, seq_len=50, *, random_state=None, return_X_y=True):
    """Generate the adding problem: add the two marked numbers of a long sequence.

    Each sequence has two channels. Channel 0 holds numbers drawn uniformly from
    ``[0, 1)``; channel 1 is 1 at exactly two steps, one drawn uniformly from the first
    half (steps ``0 .. seq_len // 2 - 1``) and one from the second half, and 0
    elsewhere. The target is the sum of the two marked numbers, so the network has to
    hold the first one for up to ``seq_len`` steps. Always predicting 1 gives a mean
    squared error of 1/6 (about 0.167), the usual baseline.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of sequences.
    seq_len : int, default=50
        Steps per sequence; at least 2.
    random_state : int, RandomState instance or None, default=None
        Determines the numbers and the marker positions. Pass an int for reproducible
        output across multiple function calls.
    return_X_y : bool, default=True
        If True, return ``(X, y)``; otherwise a Bunch.

    Returns
    -------
    X : ndarray of shape (n_samples, seq_len, 2)
        Numbers (channel 0) and markers (channel 1).
    y : ndarray of shape (n_samples,)
        Sum of the two marked numbers, in ``[0, 2)``.
    data : Bunch
        With ``return_X_y=False``: ``data`` (X), ``target`` (y), ``markers`` (ndarray of
        shape (n_samples, 2), the two marked steps, first-half step first) and
        ``DESCR``.

    References
    ----------
    .. [1] S. Hochreiter and J. Schmidhuber, "Long short-term memory", Neural
       Computation 9(8), 1735-1780, 1997 (experiment 4).
    .. [2] Q. V. Le, N. Jaitly and G. E. Hinton, "A simple way to initialize recurrent
       networks of rectified linear units", arXiv:1504.00941, 2015.

    Examples
    --------
    >>> from wcrnn_rc.datasets import make_adding_problem
    >>> X, y = make_adding_problem(n_samples=5, seq_len=20, random_state=0)
    >>> X.shape, y.shape
    ((5, 20, 2), (5,))
    >>> X[:, :, 1].sum(axis=1)
    array([2., 2., 2., 2., 2.])
    """
    rng = check_random_state(random_state)
    half = seq_len // 2
    values = rng.uniform(size=(n_samples, seq_len))
    first = rng.randint(0, half, size=n_samples)
    second = rng.randint(half, seq_len, size=n_samples)
    rows = np.arange(n_samples)
    X = np.zeros((n_samples, seq_len, 2))
    X[:, :, 0] = values
    X[rows, first, 1] = 1.0
    X[rows, second, 1] = 1.0
    y = values[rows, first] + values[rows, second]
    return _result(
        X,
        y,
        return_X_y,
        markers=np.column_stack([first, second]),
        DESCR=f"Adding problem: {n_samples} sequences of {seq_len} steps, 2 channels.",
    )


@validate_params(
    {
        "n_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "seq_len": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_symbols": [Interval(numbers.Integral, 2, None, closed="left")],
        "delay": [Interval(numbers.Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def make_copy_task(
    n_samples=1000, seq_len=10, *, n_symbols=8, delay=20, random_state=None, return_X_y=True
):
    """Generate the copy (memorisation) task: recall a symbol string after a delay.

    Each sequence is one-hot coded over ``n_symbols + 1`` channels: ``seq_len`` symbols
    drawn uniformly from ``0 .. n_symbols - 1`` (channels ``0 .. n_symbols - 1``), then
    ``delay`` blank steps (all channels 0), then one cue step (1 on the last channel,
    ``n_symbols``). The target is the symbol string, to be read out from the state
    after the cue: ``seq_len`` classification problems of ``n_symbols`` classes, each
    at chance level ``1 / n_symbols`` without memory.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of sequences.
    seq_len : int, default=10
        Symbols to remember per sequence.
    n_symbols : int, default=8
        Alphabet size; at least 2.
    delay : int, default=20
        Blank steps between the last symbol and the cue; 0 or more.
    random_state : int, RandomState instance or None, default=None
        Determines the symbols. Pass an int for reproducible output across multiple
        function calls.
    return_X_y : bool, default=True
        If True, return ``(X, y)``; otherwise a Bunch.

    Returns
    -------
    X : ndarray of shape (n_samples, seq_len + delay + 1, n_symbols + 1)
        One-hot symbols, blanks and the cue.
    y : ndarray of shape (n_samples, seq_len), dtype int64
        The symbols, in order.
    data : Bunch
        With ``return_X_y=False``: ``data``, ``target``, ``n_symbols``, ``delay`` and
        ``DESCR``.

    References
    ----------
    .. [1] S. Hochreiter and J. Schmidhuber, "Long short-term memory", Neural
       Computation 9(8), 1735-1780, 1997.
    .. [2] M. Arjovsky, A. Shah and Y. Bengio, "Unitary evolution recurrent neural
       networks", ICML 2016 (the copying memory problem).

    Examples
    --------
    >>> from wcrnn_rc.datasets import make_copy_task
    >>> X, y = make_copy_task(n_samples=3, seq_len=5, n_symbols=4, delay=10, random_state=0)
    >>> X.shape, y.shape
    ((3, 16, 5), (3, 5))
    >>> bool((X[:, :5, :4].argmax(axis=2) == y).all())
    True
    """
    rng = check_random_state(random_state)
    symbols = rng.randint(0, n_symbols, size=(n_samples, seq_len)).astype(np.int64)
    X = np.zeros((n_samples, seq_len + delay + 1, n_symbols + 1))
    rows = np.arange(n_samples)[:, None]
    steps = np.arange(seq_len)[None, :]
    X[rows, steps, symbols] = 1.0
    X[:, -1, n_symbols] = 1.0
    return _result(
        X,
        symbols,
        return_X_y,
        n_symbols=n_symbols,
        delay=delay,
        DESCR=(
            f"Copy task: {n_samples} sequences, {seq_len} symbols of {n_symbols}, "
            f"{delay} blank steps, then a cue on channel {n_symbols}."
        ),
    )


@validate_params(
    {
        "n_steps": [Interval(numbers.Integral, 1, None, closed="left")],
        "delay": [Interval(numbers.Integral, 0, None, closed="left"), "array-like"],
        "random_state": ["random_state"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def make_delay_task(n_steps=2000, delay=5, *, random_state=None, return_X_y=True):
    """Generate a delayed-recall task: output the input of ``delay`` steps ago.

    The input is i.i.d. uniform on ``[-0.5, 0.5]``. ``max(delay)`` extra samples are
    drawn before the first returned step, so every target is defined from step 0 on
    (no washout of undefined targets is needed; a reservoir still wants one for its
    own transient). Scored over many delays, this is Jaeger's memory-capacity task.

    Parameters
    ----------
    n_steps : int, default=2000
        Length of the series.
    delay : int or array-like of int, default=5
        Delay(s), each 0 or more. A sequence gives one target column per delay.
    random_state : int, RandomState instance or None, default=None
        Determines the input. Pass an int for reproducible output across multiple
        function calls.
    return_X_y : bool, default=True
        If True, return ``(X, y)``; otherwise a Bunch.

    Returns
    -------
    X : ndarray of shape (n_steps, 1)
        The input series.
    y : ndarray of shape (n_steps,) or (n_steps, n_delays)
        ``y[t] = X[t - delay, 0]`` (drawn before the series for ``t < delay``); one
        column per delay when ``delay`` is a sequence.
    data : Bunch
        With ``return_X_y=False``: ``data``, ``target``, ``delays`` (ndarray of int),
        ``history`` (the ``max(delay)`` inputs drawn before ``X``) and ``DESCR``.

    References
    ----------
    .. [1] H. Jaeger, "Short term memory in echo state networks", GMD Report 152,
       German National Research Center for Information Technology, 2001.

    Examples
    --------
    >>> from wcrnn_rc.datasets import make_delay_task
    >>> X, y = make_delay_task(n_steps=100, delay=3, random_state=0)
    >>> X.shape, y.shape
    ((100, 1), (100,))
    >>> bool((y[3:] == X[:-3, 0]).all())
    True
    >>> X, Y = make_delay_task(n_steps=100, delay=[1, 2, 5], random_state=0)
    >>> Y.shape
    (100, 3)
    """
    scalar = isinstance(delay, numbers.Integral)
    delays = np.atleast_1d(np.asarray(delay))
    if delays.ndim != 1 or delays.size == 0:
        raise ValueError(
            f"delay must be an int or a non-empty 1-D sequence of ints; got shape "
            f"{np.shape(delay)}."
        )
    if not np.issubdtype(delays.dtype, np.integer):
        raise TypeError(f"delay must hold integers; got dtype {delays.dtype}.")
    if (delays < 0).any():
        raise ValueError(f"delay must be 0 or more; got {delays.tolist()}.")
    delays = delays.astype(np.int64)
    max_delay = int(delays.max())
    rng = check_random_state(random_state)
    u = rng.uniform(-0.5, 0.5, size=n_steps + max_delay)
    X = u[max_delay:, None].copy()
    y = np.column_stack([u[max_delay - d : max_delay - d + n_steps] for d in delays])
    if scalar:
        y = y[:, 0]
    return _result(
        X,
        y,
        return_X_y,
        delays=delays,
        history=u[:max_delay].copy(),
        DESCR=f"Delayed recall of i.i.d. U[-0.5, 0.5] input, delays {delays.tolist()}.",
    )


@validate_params(
    {
        "n_steps": [Interval(numbers.Integral, 1, None, closed="left")],
        "order": [Interval(numbers.Integral, 1, None, closed="left")],
        "washout": [Interval(numbers.Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def make_narma(n_steps=2000, order=10, *, washout=200, random_state=None, return_X_y=True):
    """Generate a NARMA series (non-linear auto-regressive moving average).

    With inputs ``u_t`` i.i.d. uniform on ``[0, 0.5]`` the system is

    .. code-block:: text

        y_{t+1} = 0.3 y_t + 0.05 y_t * sum_{i=0}^{order-1} y_{t-i}
                  + 1.5 u_{t-order+1} u_t + 0.1

    started from ``y_t = 0`` for ``t < order`` and iterated from ``t = order - 1``
    (the first step at which ``u_{t-order+1}`` exists). The first ``washout`` steps
    (input and output) are then dropped, so the returned series is on the system's
    stationary regime. ``y[t]`` is the target for the network state after input
    ``X[t]``: it is ``y_{t+1}``, which depends on ``u_t``.

    NARMA with ``order`` above 10 can diverge with this input range (NARMA-20 is often
    run with a tanh squashing instead); a ValueError is raised when it does.

    Parameters
    ----------
    n_steps : int, default=2000
        Length of the returned series.
    order : int, default=10
        System order (memory length).
    washout : int, default=200
        Leading steps generated and dropped.
    random_state : int, RandomState instance or None, default=None
        Determines the input. Pass an int for reproducible output across multiple
        function calls.
    return_X_y : bool, default=True
        If True, return ``(X, y)``; otherwise a Bunch.

    Returns
    -------
    X : ndarray of shape (n_steps, 1)
        The input ``u``.
    y : ndarray of shape (n_steps,)
        The NARMA output, ``y[t]`` being the target after input ``X[t]``.
    data : Bunch
        With ``return_X_y=False``: ``data``, ``target``, ``order``, ``washout`` and
        ``DESCR``.

    Raises
    ------
    ValueError
        If the series diverges (``|y|`` exceeds 1e6 or becomes non-finite).

    References
    ----------
    .. [1] A. F. Atiya and A. G. Parlos, "New results on recurrent network training:
       unifying the algorithms and accelerating convergence", IEEE Transactions on
       Neural Networks 11(3), 697-709, 2000.
    .. [2] H. Jaeger, "Adaptive nonlinear system identification with echo state
       networks", NIPS 2002.

    Examples
    --------
    >>> from wcrnn_rc.datasets import make_narma
    >>> X, y = make_narma(n_steps=500, order=10, random_state=0)
    >>> X.shape, y.shape
    ((500, 1), (500,))
    """
    rng = check_random_state(random_state)
    total = washout + n_steps
    u = rng.uniform(0.0, 0.5, size=total)
    uu = u.tolist()  # Python floats: a scalar loop runs several times faster on them
    out = [0.0] * (total + 1)  # out[t] = y_t
    window = 0.0  # sum_{i=0}^{order-1} y_{t-i}, kept as a running sum
    for t in range(order - 1, total):
        yt = out[t]
        window += yt - (out[t - order] if t >= order else 0.0)
        nxt = 0.3 * yt + 0.05 * yt * window + 1.5 * uu[t - order + 1] * uu[t] + 0.1
        if not abs(nxt) <= _NARMA_DIVERGENCE_BOUND:  # also catches nan
            raise ValueError(
                f"NARMA-{order} diverged at step {t + 1} (|y| > "
                f"{_NARMA_DIVERGENCE_BOUND:g}); orders above 10 can be unstable with "
                "inputs in [0, 0.5]. Use a lower order or another random_state."
            )
        out[t + 1] = nxt
    y = np.asarray(out[washout + 1 :])
    X = u[washout:, None].copy()
    return _result(
        X,
        y,
        return_X_y,
        order=order,
        washout=washout,
        DESCR=f"NARMA-{order} (Atiya & Parlos 2000), {n_steps} steps after {washout}.",
    )


# Leading Lyapunov exponent per time unit for tau = 17, beta = 0.2, gamma = 0.1, n = 10
# (measured by Benettin's method on _mackey_glass_rk4; see make_mackey_glass).
_MACKEY_GLASS_EXPONENT = 0.0051


def _mackey_glass_rk4(history, n_grid, delay_steps, dt, beta, gamma, n):
    """Integrate the Mackey-Glass DDE on a grid of step dt; return every grid value.

    ``history`` holds x on the grid points ``-delay_steps .. 0`` (times ``-tau .. 0``);
    between grid points it is linear. Returns ``x`` on grid points ``0 .. n_grid``.
    """
    # Python floats and a list: a scalar RK4 loop is about 5x faster than on NumPy
    # scalars (30000 steps in about 0.1 s).
    x = history.tolist() + [0.0] * n_grid
    half = 0.5 * dt
    sixth = dt / 6.0
    for i in range(delay_steps, delay_steps + n_grid):
        xi = x[i]
        d0 = x[i - delay_steps]  # x(t - tau)
        d1 = x[i - delay_steps + 1]  # x(t + dt - tau)
        dm = 0.5 * (d0 + d1)  # x(t + dt/2 - tau), linear between grid points
        p0 = beta * d0 / (1.0 + d0**n)
        pm = beta * dm / (1.0 + dm**n)
        p1 = beta * d1 / (1.0 + d1**n)
        k1 = p0 - gamma * xi
        k2 = pm - gamma * (xi + half * k1)
        k3 = pm - gamma * (xi + half * k2)
        k4 = p1 - gamma * (xi + dt * k3)
        x[i + 1] = xi + sixth * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return np.asarray(x[delay_steps:])


@validate_params(
    {
        "n_steps": [Interval(numbers.Integral, 1, None, closed="left")],
        "tau": [Interval(numbers.Real, 0, None, closed="neither")],
        "beta": [Interval(numbers.Real, 0, None, closed="neither")],
        "gamma": [Interval(numbers.Real, 0, None, closed="neither")],
        "n": [Interval(numbers.Real, 0, None, closed="neither")],
        "dt": [Interval(numbers.Real, 0, None, closed="neither")],
        "sample_every": [Interval(numbers.Real, 0, None, closed="neither")],
        "horizon": [Interval(numbers.Integral, 1, None, closed="left")],
        "washout": [Interval(numbers.Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def make_mackey_glass(
    n_steps=2000,
    tau=17,
    *,
    beta=0.2,
    gamma=0.1,
    n=10,
    dt=0.1,
    sample_every=1.0,
    horizon=1,
    washout=1000,
    random_state=None,
    return_X_y=True,
):
    """Generate a Mackey-Glass time series and its ``horizon``-step-ahead target.

    Integrates the delay differential equation

    .. code-block:: text

        dx/dt = beta * x(t - tau) / (1 + x(t - tau)^n) - gamma * x(t)

    with the classical fourth-order Runge-Kutta method at step ``dt``. The delay is
    held exactly on the grid: ``tau / dt`` must be a whole number ``D`` of steps, so
    the delayed values at the start and end of step ``i`` are the stored grid values
    ``x[i - D]`` and ``x[i - D + 1]``; the one RK4 needs at the half step is their
    average (linear interpolation, second-order accurate, which keeps the scheme's
    global error at O(dt^2) for this smooth delayed term; the non-delayed part is
    RK4 proper). The series is sampled every ``sample_every`` time units (a whole
    number of steps too). With ``tau = 17`` (the default) the attractor is chaotic
    and stays within about [0.2, 1.4]. For the default parameters the leading
    Lyapunov exponent is about 0.0051 per time unit (natural logarithm), so one
    Lyapunov time is about 196 time units (196 samples at ``sample_every = 1``). That
    value was measured on this integration by Benettin's method [3]_ (two copies, the
    distance between their delay windows renormalised every time unit): 0.0051 with a
    spread of 0.00003 over six initial histories of 5e5 time units each, the same at
    ``dt`` 0.1, 0.05 and 0.02 within 0.0001; Farmer [4]_ computed the spectrum of this
    system, and estimates from coarser discretisations run up to about 0.0056.

    Parameters
    ----------
    n_steps : int, default=2000
        Number of returned samples.
    tau : float, default=17
        Delay; a positive whole multiple of ``dt``.
    beta : float, default=0.2
        Production rate.
    gamma : float, default=0.1
        Decay rate.
    n : float, default=10
        Hill exponent of the production term.
    dt : float, default=0.1
        Integration step.
    sample_every : float, default=1.0
        Time between two returned samples; a whole multiple of ``dt``.
    horizon : int, default=1
        Prediction horizon, in samples.
    washout : int, default=1000
        Samples integrated and dropped before the returned series, so that it starts
        on the attractor rather than on the transient from the initial history.
    random_state : int, RandomState instance or None, default=None
        Determines the initial history: x on the grid points of ``[-tau, 0]`` is
        ``1.2 + U[-0.1, 0.1]`` (independently per point, linear in between). Pass an
        int for reproducible output across multiple function calls.
    return_X_y : bool, default=True
        If True, return ``(X, y)``; otherwise a Bunch.

    Returns
    -------
    X : ndarray of shape (n_steps, 1)
        ``x`` at the sample times.
    y : ndarray of shape (n_steps,)
        ``x`` ``horizon`` samples later.
    data : Bunch
        With ``return_X_y=False``: ``data``, ``target``, ``history`` (the initial
        history on the grid of ``[-tau, 0]``, ndarray of shape (tau / dt + 1,)),
        ``times`` (the sample times of ``X``, integration starting at 0), ``tau``,
        ``dt``, ``sample_every``, ``lyapunov_exponent`` (0.0051 per time unit for the
        default ``tau``, ``beta``, ``gamma`` and ``n``, else None) and ``DESCR``.

    References
    ----------
    .. [1] M. C. Mackey and L. Glass, "Oscillation and chaos in physiological control
       systems", Science 197(4300), 287-289, 1977.
    .. [2] H. Jaeger and H. Haas, "Harnessing nonlinearity: predicting chaotic systems
       and saving energy in wireless communication", Science 304(5667), 78-80, 2004.
    .. [3] G. Benettin, L. Galgani, A. Giorgilli and J.-M. Strelcyn, "Lyapunov
       characteristic exponents for smooth dynamical systems and for Hamiltonian
       systems; a method for computing all of them", Meccanica 15, 9-30, 1980.
    .. [4] J. D. Farmer, "Chaotic attractors of an infinite-dimensional dynamical
       system", Physica D 4(3), 366-393, 1982.

    Examples
    --------
    >>> from wcrnn_rc.datasets import make_mackey_glass
    >>> X, y = make_mackey_glass(n_steps=500, washout=200, random_state=0)
    >>> X.shape, y.shape
    ((500, 1), (500,))
    >>> bool((y[:-1] == X[1:, 0]).all())
    True
    """
    delay_steps = _whole_steps(tau, dt, "tau")
    stride = _whole_steps(sample_every, dt, "sample_every")
    rng = check_random_state(random_state)
    history = 1.2 + rng.uniform(-0.1, 0.1, size=delay_steps + 1)
    n_samples = washout + n_steps + horizon
    x = _mackey_glass_rk4(history, (n_samples - 1) * stride, delay_steps, float(dt), beta, gamma, n)
    if not np.isfinite(x).all():
        raise ValueError(
            "The Mackey-Glass integration produced non-finite values; use a smaller dt."
        )
    samples = x[::stride]
    X = samples[washout : washout + n_steps, None].copy()
    y = samples[washout + horizon : washout + horizon + n_steps].copy()
    times = (washout + np.arange(n_steps)) * stride * dt
    return _result(
        X,
        y,
        return_X_y,
        history=history,
        times=times,
        tau=tau,
        dt=dt,
        sample_every=sample_every,
        lyapunov_exponent=(
            _MACKEY_GLASS_EXPONENT if (tau, beta, gamma, n) == (17, 0.2, 0.1, 10) else None
        ),
        DESCR=(
            f"Mackey-Glass series, tau={tau}, beta={beta}, gamma={gamma}, n={n}; RK4 with "
            f"dt={dt}, sampled every {sample_every}, {horizon}-step-ahead target."
        ),
    )


def _default_frequencies(n_classes, n_frequencies):
    """Deal ``n_classes * n_frequencies`` evenly spaced frequencies in (0, pi) to classes."""
    n_total = n_classes * n_frequencies
    # Offset by the golden ratio's fractional part, so that no frequency is a simple
    # rational multiple of pi (whose samples would take few distinct values) and no two
    # in a class are harmonics: either would let the histogram of a sequence's values
    # (a memoryless feature) tell the classes apart.
    grid = np.pi * (np.arange(n_total) + _GOLDEN_FRACTION) / n_total
    # Class c gets grid points c, c + n_classes, ...: each class spans the band.
    return grid.reshape(n_frequencies, n_classes).T.copy()


@validate_params(
    {
        "n_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "seq_len": [Interval(numbers.Integral, 2, None, closed="left")],
        "n_classes": [Interval(numbers.Integral, 2, None, closed="left")],
        "frequencies": ["array-like", None],
        "noise": [Interval(numbers.Real, 0, None, closed="left")],
        "n_frequencies": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def make_frequency_task(
    n_samples=1000,
    seq_len=100,
    *,
    n_classes=4,
    frequencies=None,
    noise=0.1,
    n_frequencies=2,
    random_state=None,
    return_X_y=True,
):
    """Generate a spectral classification task: tell sequences apart by their frequencies.

    Class ``c`` is a set of ``k`` angular frequencies ``frequencies[c]`` (radians per
    step). A sequence of class ``c`` is

    .. code-block:: text

        x_t = sum_j a_j sin(frequencies[c, j] * t + phi_j) + noise * e_t,  t = 0..seq_len-1

    with amplitudes ``a_j`` uniform on ``[0.5, 1.5]``, phases ``phi_j`` uniform on
    ``[0, 2 pi)`` and ``e_t`` standard normal, all independent. Classes differ only in
    their frequencies: the amplitude and phase distributions are shared, so the
    distribution of any single value ``x_t`` is the same for every class (a memoryless
    model is at chance) and the class means are 0 (a linear model of the raw sequence
    is at chance too). A classifier must resolve frequency over time, which a
    reservoir's oscillating modes do.

    By default the ``K = n_classes * n_frequencies`` frequencies
    ``pi * (m + g) / K``, ``m = 0 .. K - 1``, ``g = (sqrt(5) - 1) / 2``, are dealt out in
    turn: class ``c`` gets ``m = c, c + n_classes, ...``. They are ``pi / K`` apart
    (0.39 rad for 4 classes of 2, about 6 frequency bins of a 100-step sequence), and
    the offset ``g`` keeps them off rational multiples of pi and off harmonic ratios,
    which would otherwise leave a trace in the histogram of a sequence's values. With
    the defaults (seeds 0 to 2, 30% of 1500 sequences held out) a logistic
    regression on each sequence's sorted values, which ignores their order, scores
    0.29-0.34 (chance 0.25), and
    ``WCRNNReservoir(100, sequence_features="both")`` followed by ``StandardScaler``
    and ``RidgeClassifier`` scores 1.0. The class information sits in small
    differences of the state features, so standardise them before a penalised
    readout (without the scaler the same pipeline scores about 0.43).

    Parameters
    ----------
    n_samples : int, default=1000
        Number of sequences; the classes are balanced (up to one sequence) and
        shuffled.
    seq_len : int, default=100
        Steps per sequence.
    n_classes : int, default=4
        Number of classes; must equal ``len(frequencies)`` when frequencies are given.
    frequencies : array-like of shape (n_classes,) or (n_classes, k), default=None
        Angular frequencies of each class, in ``(0, pi]``. None uses the default
        above.
    noise : float, default=0.1
        Standard deviation of the additive Gaussian noise.
    n_frequencies : int, default=2
        Frequencies per class in the default set (ignored when ``frequencies`` is
        given).
    random_state : int, RandomState instance or None, default=None
        Determines labels, amplitudes, phases and noise. Pass an int for reproducible
        output across multiple function calls.
    return_X_y : bool, default=True
        If True, return ``(X, y)``; otherwise a Bunch.

    Returns
    -------
    X : ndarray of shape (n_samples, seq_len, 1)
        The sequences.
    y : ndarray of shape (n_samples,), dtype int64
        Class labels ``0 .. n_classes - 1``.
    data : Bunch
        With ``return_X_y=False``: ``data``, ``target``, ``frequencies`` (ndarray of
        shape (n_classes, k)), ``amplitudes`` and ``phases`` (ndarray of shape
        (n_samples, k)), ``target_names`` and ``DESCR``.

    Examples
    --------
    >>> from wcrnn_rc.datasets import make_frequency_task
    >>> data = make_frequency_task(n_samples=8, seq_len=50, random_state=0,
    ...                            return_X_y=False)
    >>> data.data.shape, data.target.shape, data.frequencies.shape
    ((8, 50, 1), (8,), (4, 2))
    """
    if frequencies is None:
        freqs = _default_frequencies(n_classes, n_frequencies)
    else:
        freqs = np.asarray(frequencies, dtype=np.float64)
        if freqs.ndim == 1:
            freqs = freqs[:, None]
        if freqs.ndim != 2 or freqs.shape[1] == 0:
            raise ValueError(
                "frequencies must have shape (n_classes,) or (n_classes, k) with k >= 1; "
                f"got shape {np.shape(frequencies)}."
            )
        if freqs.shape[0] != n_classes:
            raise ValueError(
                f"frequencies has {freqs.shape[0]} rows (classes) but n_classes={n_classes}; "
                "pass n_classes equal to len(frequencies)."
            )
        if not (np.isfinite(freqs).all() and (freqs > 0).all() and (freqs <= np.pi).all()):
            raise ValueError(
                "frequencies must be angular frequencies in (0, pi] radians per step "
                "(higher ones alias); got values outside that range."
            )
    rng = check_random_state(random_state)
    k = freqs.shape[1]
    y = rng.permutation(np.arange(n_samples) % n_classes).astype(np.int64)
    amplitudes = rng.uniform(0.5, 1.5, size=(n_samples, k))
    phases = rng.uniform(0.0, 2.0 * np.pi, size=(n_samples, k))
    t = np.arange(seq_len)
    waves = np.sin(freqs[y][:, :, None] * t + phases[:, :, None])  # (n, k, T)
    X = np.einsum("nk,nkt->nt", amplitudes, waves)
    X += noise * rng.standard_normal(X.shape)
    return _result(
        X[:, :, None],
        y,
        return_X_y,
        frequencies=freqs,
        amplitudes=amplitudes,
        phases=phases,
        target_names=np.arange(n_classes),
        DESCR=(
            f"Frequency classification: {n_samples} sequences of {seq_len} steps, "
            f"{n_classes} classes of {k} frequencies each, noise std {noise}."
        ),
    )


_DIGITS_DESCR = """Sequential digits
-----------------

scikit-learn's bundled optical handwritten digits (1797 images of 8x8 pixels, 10
classes; UCI ML hand-written digits, test set), scaled from 0..16 to [0, 1] and read as
sequences: by pixel (64 steps of one value, raster order) or by row (8 steps of 8
values). With permute=True one fixed random pixel permutation is applied to every image
before the reshape (the "permuted" variant of sequential MNIST, Le et al. 2015), which
spreads the strokes' local structure over the whole sequence.
"""


@validate_params(
    {
        "permute": ["boolean"],
        "by": [StrOptions({"pixel", "row"})],
        "random_state": ["random_state"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def load_sequential_digits(*, permute=False, by="pixel", random_state=0, return_X_y=False):
    """Load scikit-learn's 8x8 digits as pixel or row sequences (sequential digits).

    A small, offline stand-in for sequential MNIST: 1797 images, no download.

    Parameters
    ----------
    permute : bool, default=False
        Apply one fixed random permutation to the 64 pixels of every image (before the
        reshape into rows).
    by : {"pixel", "row"}, default="pixel"
        ``"pixel"``: 64 steps of 1 value; ``"row"``: 8 steps of the 8 pixels of a row.
    random_state : int, RandomState instance or None, default=0
        Determines the permutation (``check_random_state(random_state).permutation(64)``)
        when ``permute`` is True. Pass an int for the same permutation across calls.
    return_X_y : bool, default=False
        If True, return ``(X, y)``; otherwise a Bunch.

    Returns
    -------
    data : Bunch
        ``data`` (ndarray of shape (1797, 64, 1) or (1797, 8, 8), float64 in [0, 1]),
        ``target`` (ndarray of shape (1797,), int), ``images`` (ndarray of shape
        (1797, 8, 8), the unpermuted images in [0, 1]), ``permutation`` (None, or
        ndarray of shape (64,): step ``s`` holds raster pixel ``permutation[s]``),
        ``target_names`` and ``DESCR``.
    (X, y) : tuple
        With ``return_X_y=True``.

    References
    ----------
    .. [1] Q. V. Le, N. Jaitly and G. E. Hinton, "A simple way to initialize recurrent
       networks of rectified linear units", arXiv:1504.00941, 2015 (sequential and
       permuted MNIST).

    Examples
    --------
    >>> from wcrnn_rc.datasets import load_sequential_digits
    >>> X, y = load_sequential_digits(return_X_y=True)
    >>> X.shape, y.shape
    ((1797, 64, 1), (1797,))
    >>> digits = load_sequential_digits(permute=True, by="row")
    >>> digits.data.shape, digits.permutation.shape
    ((1797, 8, 8), (64,))
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    pixels = digits.data / 16.0
    X, permutation = _pixel_sequences(pixels, 8, permute=permute, by=by, random_state=random_state)
    y = digits.target
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        images=digits.images / 16.0,
        permutation=permutation,
        target_names=digits.target_names,
        DESCR=_DIGITS_DESCR,
    )


def _pixel_sequences(pixels, side, *, permute, by, random_state):
    """Grey ``(n, side**2)`` images as sequences, by pixel or by row, optionally permuted.

    The permutation (``check_random_state(random_state).permutation(side**2)``) moves
    pixel positions before the images are cut into rows. Returns the sequences and the
    permutation (None without one).
    """
    permutation = None
    if permute:
        permutation = check_random_state(random_state).permutation(side * side)
        pixels = pixels[:, permutation]
    shape = (-1, side * side, 1) if by == "pixel" else (-1, side, side)
    return pixels.reshape(shape), permutation


@contextmanager
def _socket_timeout(seconds):
    """Sockets opened in the block time out after ``seconds`` (None: leave as is).

    fetch_openml opens its URLs without a timeout, so the process-wide default applies;
    it is restored on the way out.
    """
    if seconds is None:
        yield
        return
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _data_home(data_home):
    from sklearn.datasets import get_data_home

    try:
        return Path(get_data_home(data_home))
    except (FileExistsError, NotADirectoryError) as error:
        raise type(error)(
            f"data_home={str(data_home)!r}: cannot create the cache folder there, because "
            f"{error.filename!r} is a file. Pass a folder as data_home (None: "
            "~/scikit_learn_data), or move that file."
        ) from error


def _load_parsed(path, n_features):
    """``(values, target, description)`` kept by an earlier fetch, or None."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            values, target, descr = stored["values"], stored["target"], str(stored["descr"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        warnings.warn(
            f"The parsed arrays at {path} cannot be read ({error}); parsing the OpenML copy again.",
            RuntimeWarning,
            stacklevel=4,
        )
        return None
    if values.ndim != 2 or values.shape[1] != n_features or target.shape != values.shape[:1]:
        warnings.warn(
            f"The parsed arrays at {path} have shapes {values.shape} and {target.shape}, "
            f"expected (n, {n_features}) and (n,); parsing the OpenML copy again.",
            RuntimeWarning,
            stacklevel=4,
        )
        return None
    return values, target, descr


def _save_parsed(path, values, target, descr):
    """Keep the parsed arrays for later calls; a folder that refuses them only warns."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed, so that an interrupted write leaves no partial file.
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as f:
            np.savez(f, values=values, target=target, descr=np.array(descr))
        os.replace(f.name, path)
    except OSError as error:
        warnings.warn(
            f"Cannot keep the parsed arrays at {path} ({error}); the next call parses the "
            "ARFF file again.",
            RuntimeWarning,
            stacklevel=4,
        )


def _download_and_parse(name, n_features, home, n_retries, delay, timeout, verbose):
    """fetch_openml of ``name`` version 1, with a timeout and errors that say what to do."""
    from sklearn.datasets import fetch_openml

    from ._progress import progress

    desc = f"{name}: download (first call) and parse the ARFF, once"
    try:
        with _socket_timeout(timeout), progress(desc, enabled=bool(verbose)):
            bunch = fetch_openml(
                name=name,
                version=1,
                data_home=str(home),
                as_frame=False,
                parser="liac-arff",
                n_retries=n_retries,
                delay=delay,
            )
    except (URLError, TimeoutError, ConnectionError, HTTPException) as error:
        reason = getattr(error, "reason", None) or error or type(error).__name__
        raise ConnectionError(
            f"Cannot download the OpenML dataset {name!r} ({reason}; n_retries={n_retries}"
            f"{f', timeout={timeout} s' if timeout is not None else ''}). The first call "
            "downloads it from openml.org: check the network connection and any proxy "
            "(HTTPS_PROXY), or raise timeout= for a slow server. Offline, copy the folder "
            f"{home / 'openml'} from a machine where the fetch worked: later calls read "
            "only the cache."
        ) from error
    except KeyError as error:
        raise ValueError(
            f"The OpenML description of {name!r} lacks the field {error}: its cached copy "
            f"under {home / 'openml'} is incomplete or damaged, or the server answered in "
            "an unexpected format. Delete that folder and fetch again."
        ) from error
    except (FileExistsError, NotADirectoryError) as error:
        raise type(error)(
            f"Cannot create the cache folder {error.filename!r}: a file of that name is in "
            f"the way under data_home={str(home)!r}. Move it, or pass another data_home."
        ) from error
    values = np.asarray(bunch.data)
    if values.ndim != 2 or values.shape[1] != n_features:
        raise ValueError(
            f"OpenML dataset {name!r} gave data of shape {values.shape}, expected "
            f"(n_samples, {n_features}); the cache under data_home may be corrupt."
        )
    target = np.asarray(bunch.target).astype(np.int64)
    # Pixels are integers 0..255: kept as uint8 (a quarter of the float32 size).
    if np.all((values >= 0) & (values <= 255) & (values == np.rint(values))):
        values = values.astype(np.uint8)
    else:
        values = values.astype(np.float32)
    return values, target, bunch.DESCR


def _fetch_openml_arrays(name, n_features, *, data_home, n_retries, delay, timeout, verbose):
    """``(X, y, description)`` of OpenML dataset ``name`` version 1, through the caches.

    The first call downloads the ARFF file (fetch_openml's cache, ``data_home/openml``)
    and parses it; the parsed arrays are then kept in ``data_home/wcrnn_rc`` so that
    later calls skip the parse (about a minute for MNIST). The liac-arff parser keeps
    pandas optional; the nominal class labels are converted to int64.
    """
    home = _data_home(data_home)
    path = home / _PARSED_FOLDER / f"{name}-v1.npz"
    parsed = _load_parsed(path, n_features)
    if parsed is None:
        parsed = _download_and_parse(name, n_features, home, n_retries, delay, timeout, verbose)
        _save_parsed(path, *parsed)
    values, y, descr = parsed
    # Integer pixels 0..255 are exact in float32: scaling them rounds once, as before.
    X = values.astype(np.float32)
    X /= np.float32(255.0)
    return X, y, descr


@validate_params(
    {
        "permute": ["boolean"],
        "by": [StrOptions({"pixel", "row"})],
        "data_home": [str, os.PathLike, None],
        "random_state": ["random_state"],
        "return_X_y": ["boolean"],
        "n_retries": [Interval(numbers.Integral, 1, None, closed="left")],
        "delay": [Interval(numbers.Real, 0, None, closed="neither")],
        "timeout": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_sequential_mnist(
    *,
    permute=False,
    by="pixel",
    data_home=None,
    random_state=0,
    return_X_y=False,
    n_retries=3,
    delay=1.0,
    timeout=_DEFAULT_TIMEOUT_S,
    verbose=1,
):
    """Load MNIST as pixel or row sequences (sequential and permuted MNIST).

    Downloads ``mnist_784`` (version 1, 70000 images of 28x28 pixels) from OpenML with
    :func:`sklearn.datasets.fetch_openml` on first use, caches the file under
    ``data_home/openml`` and parses it once (the 70000 ARFF rows take about a minute);
    the parsed pixels are kept in ``data_home/wcrnn_rc/mnist_784-v1.npz`` (55 MB), so
    later calls load them in well under a second, offline. Delete that file to parse
    again. Pixels are scaled to float32 in [0, 1]. The usual split is the first 60000
    images for training and the last 10000 for testing.

    Parameters
    ----------
    permute : bool, default=False
        Apply one fixed random permutation to the 784 pixels of every image (before the
        reshape into rows): permuted MNIST.
    by : {"pixel", "row"}, default="pixel"
        ``"pixel"``: 784 steps of 1 value (raster order); ``"row"``: 28 steps of 28.
    data_home : str or path-like, default=None
        Cache folder, as in :func:`sklearn.datasets.fetch_openml` (None:
        ``~/scikit_learn_data``).
    random_state : int, RandomState instance or None, default=0
        Determines the permutation (``check_random_state(random_state).permutation(784)``)
        when ``permute`` is True. Pass an int for the same permutation across calls.
    return_X_y : bool, default=False
        If True, return ``(X, y)``; otherwise a Bunch.
    n_retries : int, default=3
        Retries on network errors, passed to ``fetch_openml``.
    delay : float, default=1.0
        Seconds between retries, passed to ``fetch_openml``.
    timeout : float or None, default=20.0
        Seconds to wait for the server, per connection and per read (not for the whole
        download); None waits for ever. Applied as the process-wide socket default
        during the download, since ``fetch_openml`` takes none.
    verbose : int, default=1
        Above 0, show the elapsed time (tqdm, on stderr) while the dataset is
        downloaded and parsed, on the first call only.

    Returns
    -------
    data : Bunch
        ``data`` (ndarray of shape (70000, 784, 1) or (70000, 28, 28), float32 in
        [0, 1]), ``target`` (ndarray of shape (70000,), int64), ``images`` (ndarray of
        shape (70000, 28, 28), unpermuted), ``permutation`` (None, or ndarray of shape
        (784,): step ``s`` holds raster pixel ``permutation[s]``), ``target_names`` and
        ``DESCR``.
    (X, y) : tuple
        With ``return_X_y=True``.

    Raises
    ------
    ConnectionError
        If the download fails or times out (the message says what to check, and how to
        use a copied cache offline).
    ValueError
        If the cached OpenML description is incomplete or the data have another shape.
    FileExistsError, NotADirectoryError
        If a file stands where the cache folder should be.

    See Also
    --------
    load_sequential_digits : The same task on 8x8 digits, bundled with scikit-learn.

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning
       applied to document recognition", Proceedings of the IEEE 86(11), 1998.
    .. [2] Q. V. Le, N. Jaitly and G. E. Hinton, "A simple way to initialize recurrent
       networks of rectified linear units", arXiv:1504.00941, 2015.

    Examples
    --------
    >>> from wcrnn_rc.datasets import fetch_sequential_mnist
    >>> mnist = fetch_sequential_mnist(permute=True)  # doctest: +SKIP
    >>> mnist.data.shape, mnist.data.dtype  # doctest: +SKIP
    ((70000, 784, 1), dtype('float32'))
    """
    pixels, y, descr = _fetch_openml_arrays(
        "mnist_784",
        784,
        data_home=data_home,
        n_retries=n_retries,
        delay=delay,
        timeout=timeout,
        verbose=verbose,
    )
    images = pixels.reshape(-1, 28, 28)
    X, permutation = _pixel_sequences(pixels, 28, permute=permute, by=by, random_state=random_state)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        images=images,
        permutation=permutation,
        target_names=np.arange(10),
        DESCR=(
            f"Sequential MNIST (by {by}{', permuted' if permute else ''}), pixels scaled "
            f"to [0, 1].\n\n{descr}"
        ),
    )


_CIFAR10_CLASSES = np.array(
    ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
)


@validate_params(
    {
        "grayscale": ["boolean"],
        "permute": ["boolean"],
        "by": [StrOptions({"pixel", "row"})],
        "data_home": [str, os.PathLike, None],
        "random_state": ["random_state"],
        "return_X_y": ["boolean"],
        "n_retries": [Interval(numbers.Integral, 1, None, closed="left")],
        "delay": [Interval(numbers.Real, 0, None, closed="neither")],
        "timeout": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_sequential_cifar10(
    *,
    data_home=None,
    grayscale=False,
    permute=False,
    by="pixel",
    random_state=0,
    return_X_y=False,
    n_retries=3,
    delay=1.0,
    timeout=_DEFAULT_TIMEOUT_S,
    verbose=1,
):
    """Load CIFAR-10 as pixel sequences (sequential CIFAR-10).

    Downloads ``CIFAR_10`` (version 1, 60000 colour images of 32x32 pixels) from
    OpenML with :func:`sklearn.datasets.fetch_openml` on first use, caches the file
    under ``data_home/openml`` and parses it once; the parsed pixels are kept in
    ``data_home/wcrnn_rc/CIFAR_10-v1.npz`` (184 MB), so later calls skip the parse.
    Delete that file to parse again. OpenML stores each image channel-major (the 1024 red values in
    raster order, then green, then blue); here each step is one pixel in raster order
    with its 3 channels, scaled to float32 in [0, 1]. With ``grayscale=True`` each step
    is the luminance ``0.299 R + 0.587 G + 0.114 B`` (ITU-R BT.601). The OpenML copy
    lists the 50000 training images first, then the 10000 test images.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Cache folder, as in :func:`sklearn.datasets.fetch_openml` (None:
        ``~/scikit_learn_data``).
    grayscale : bool, default=False
        Return one luminance channel instead of RGB.
    permute : bool, default=False
        Apply one fixed random permutation to the 1024 pixel positions (the channels of
        a pixel stay together).
    by : {"pixel", "row"}, default="pixel"
        ``"pixel"``: 1024 steps of one pixel each. ``"row"``: 32 steps of one image row
        (after any permutation), its 32 pixels' channels side by side, pixel-major:
        96 features in RGB, 32 in grayscale.
    random_state : int, RandomState instance or None, default=0
        Determines the permutation (``check_random_state(random_state).permutation(1024)``)
        when ``permute`` is True.
    return_X_y : bool, default=False
        If True, return ``(X, y)``; otherwise a Bunch.
    n_retries : int, default=3
        Retries on network errors, passed to ``fetch_openml``.
    delay : float, default=1.0
        Seconds between retries, passed to ``fetch_openml``.
    timeout : float or None, default=20.0
        Seconds to wait for the server, per connection and per read (not for the whole
        download); None waits for ever. Applied as the process-wide socket default
        during the download, since ``fetch_openml`` takes none.
    verbose : int, default=1
        Above 0, show the elapsed time (tqdm, on stderr) while the dataset is
        downloaded and parsed, on the first call only.

    Returns
    -------
    data : Bunch
        ``data`` (ndarray of shape (60000, 1024, 3), or (60000, 1024, 1) in grayscale;
        by rows (60000, 32, 96) or (60000, 32, 32); float32 in [0, 1]), ``target``
        (ndarray of shape (60000,), int64),
        ``images`` (ndarray of shape (60000, 32, 32, 3), unpermuted RGB),
        ``permutation`` (None or ndarray of shape (1024,)), ``target_names`` (the class
        names) and ``DESCR``.
    (X, y) : tuple
        With ``return_X_y=True``.

    Raises
    ------
    ConnectionError
        If the download fails or times out (the message says what to check, and how to
        use a copied cache offline).
    ValueError
        If the cached OpenML description is incomplete or the data have another shape.
    FileExistsError, NotADirectoryError
        If a file stands where the cache folder should be.

    References
    ----------
    .. [1] A. Krizhevsky, "Learning multiple layers of features from tiny images",
       technical report, University of Toronto, 2009.
    .. [2] T. H. Trinh, A. M. Dai, M.-T. Luong and Q. V. Le, "Learning longer-term
       dependencies in RNNs with auxiliary losses", ICML 2018 (sequential CIFAR-10).

    Examples
    --------
    >>> from wcrnn_rc.datasets import fetch_sequential_cifar10
    >>> X, y = fetch_sequential_cifar10(grayscale=True, return_X_y=True)  # doctest: +SKIP
    >>> X.shape, X.dtype  # doctest: +SKIP
    ((60000, 1024, 1), dtype('float32'))
    """
    flat, y, descr = _fetch_openml_arrays(
        "CIFAR_10",
        3072,
        data_home=data_home,
        n_retries=n_retries,
        delay=delay,
        timeout=timeout,
        verbose=verbose,
    )
    # (n, channel, pixel) -> (n, pixel, channel): each step is one pixel's RGB.
    rgb = np.ascontiguousarray(flat.reshape(-1, 3, 1024).transpose(0, 2, 1))
    del flat
    images = rgb.reshape(-1, 32, 32, 3)
    permutation = None
    X = rgb
    if permute:
        permutation = check_random_state(random_state).permutation(1024)
        X = X[:, permutation]
    if grayscale:
        luma = np.array([0.299, 0.587, 0.114], dtype=np.float32)
        X = (X @ luma)[:, :, None]
    if by == "row":
        X = X.reshape(X.shape[0], 32, -1)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        images=images,
        permutation=permutation,
        target_names=_CIFAR10_CLASSES.copy(),
        DESCR=(
            f"Sequential CIFAR-10 ({'grayscale' if grayscale else 'RGB'}"
            f"{', permuted' if permute else ''}, one {by} per step), pixels scaled to "
            f"[0, 1].\n\n{descr}"
        ),
    )


# --------------------------------------------------------------------------------------
# Time-series collections in aeon's layout, and the UCR/UEA archive through aeon
# --------------------------------------------------------------------------------------

from ._validation import warn_external  # noqa: E402  (kept with the block it serves)

__all__ += ["from_aeon_collection", "load_ucr_uea"]

_COLLECTION_LAYOUTS = ("channels_first", "channels_last")


def _layout_warning(n_channels, n_timepoints, where, layout):
    other = "channels_last" if layout == "channels_first" else "channels_first"
    axes = {
        "channels_first": "(n_cases, n_channels, n_timepoints)",
        "channels_last": "(n_cases, n_timepoints, n_channels)",
    }
    warn_external(
        f"{where} has more channels ({n_channels}) than time points ({n_timepoints}) "
        f"when read with layout={layout!r} {axes[layout]}. If its axes are "
        f"{axes[other]}, pass layout={other!r}.",
        UserWarning,
    )


@validate_params(
    {"X": ["array-like", list], "layout": [StrOptions(set(_COLLECTION_LAYOUTS))]},
    prefer_skip_nested_validation=True,
)
def from_aeon_collection(X, *, layout="channels_first"):
    """Convert a collection of time series to this library's layout.

    aeon (and sktime's numpy3D) store a collection as ``(n_cases, n_channels,
    n_timepoints)``, and an unequal-length one as a list of ``(n_channels,
    n_timepoints_i)`` arrays. wcrnn_rc's estimators take ``(n_cases, n_timepoints,
    n_channels)`` or a list of ``(n_timepoints_i, n_channels)``. The layout is never
    guessed from the shape: it is the ``layout`` parameter, and a case with more
    channels than time points in that layout warns (its axes are probably swapped).

    Parameters
    ----------
    X : array-like of shape (n_cases, n_channels, n_timepoints) or (n_cases, \
            n_timepoints), or list of array-like of shape (n_channels, n_timepoints_i)
        The collection. A 2-D array is a collection of univariate series (one row
        per case), as in aeon.
    layout : {"channels_first", "channels_last"}, default="channels_first"
        ``"channels_first"``: aeon's ``(n_cases, n_channels, n_timepoints)`` (each
        list item ``(n_channels, n_timepoints_i)``). ``"channels_last"``: already
        ``(n_cases, n_timepoints, n_channels)`` (each item ``(n_timepoints_i,
        n_channels)``); only checked and converted to float.

    Returns
    -------
    X_new : ndarray of shape (n_cases, n_timepoints, n_channels) or list of ndarray \
            of shape (n_timepoints_i, n_channels)
        A 3-D array for 2-D or 3-D input, a list for a list (float64, C-contiguous).

    Raises
    ------
    ValueError
        For input of another dimension, an empty collection, or NaN (aeon pads
        unequal lengths with NaN in some formats: pass such a collection as a list
        of the unpadded series).

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc.datasets import from_aeon_collection
    >>> X = np.zeros((10, 3, 50))            # 10 cases, 3 channels, 50 time points
    >>> from_aeon_collection(X).shape
    (10, 50, 3)
    >>> [x.shape for x in from_aeon_collection([np.zeros((2, 30)), np.zeros((2, 41))])]
    [(30, 2), (41, 2)]
    """
    if isinstance(X, (list, tuple)) and not (len(X) and np.ndim(X[0]) < 2):
        if not X:
            raise ValueError("from_aeon_collection got an empty list of cases.")
        out = []
        for i, case in enumerate(X):
            case = np.asarray(case, dtype=np.float64)
            if case.ndim != 2:
                raise ValueError(
                    f"Case {i} of the list has {case.ndim} dimensions; each case must be "
                    "2-D, (n_channels, n_timepoints_i) for layout='channels_first' or "
                    "(n_timepoints_i, n_channels) for layout='channels_last'."
                )
            out.append(case)
        cases = [c.T if layout == "channels_first" else c for c in out]
        n_channels = cases[0].shape[1]
        longest = max(c.shape[0] for c in cases)
        if n_channels > longest:
            _layout_warning(n_channels, longest, "Every case of the list", layout)
        for i, case in enumerate(cases):
            if not np.all(np.isfinite(case)):
                raise ValueError(f"Case {i} of the list contains NaN or infinity.")
        return [np.ascontiguousarray(c) for c in cases]
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 2:
        X = X[:, None, :] if layout == "channels_first" else X[:, :, None]
    if X.ndim != 3:
        raise ValueError(
            f"from_aeon_collection expects a 3-D array (n_cases, n_channels, n_timepoints), "
            f"a 2-D array (n_cases, n_timepoints) or a list of 2-D cases; got {X.ndim}-D."
        )
    if X.shape[0] == 0 or X.size == 0:
        raise ValueError(f"from_aeon_collection got an empty collection of shape {X.shape}.")
    if np.isnan(X).any():
        raise ValueError(
            "The collection contains NaN. An unequal-length collection padded with NaN "
            "must be given as a list of its unpadded cases; impute missing values first."
        )
    if not np.all(np.isfinite(X)):
        raise ValueError("The collection contains infinity.")
    if layout == "channels_first":
        n_channels, n_timepoints = X.shape[1], X.shape[2]
        X = X.transpose(0, 2, 1)
    else:
        n_timepoints, n_channels = X.shape[1], X.shape[2]
    if n_channels > n_timepoints:
        _layout_warning(n_channels, n_timepoints, f"The collection of shape {X.shape}", layout)
    return np.ascontiguousarray(X)


def _aeon_shipped_dir():
    try:
        import aeon.datasets
    except ImportError as exc:
        raise ImportError(
            "load_ucr_uea needs aeon, the aeon extra: pip install aeon (or, in a checkout, "
            "pip install -e '.[aeon]')."
        ) from exc
    return Path(aeon.datasets.__file__).parent / "data"


def _shipped_classification(folder):
    if not folder.is_dir():
        return []
    return sorted(
        p.name
        for p in folder.iterdir()
        if (p / f"{p.name}_TRAIN.ts").is_file() and (p / f"{p.name}_TEST.ts").is_file()
    )


@validate_params(
    {
        "name": [str],
        "split": [StrOptions({"train", "test"}), None],
        "download": ["boolean"],
        "extract_path": [str, os.PathLike, None],
    },
    prefer_skip_nested_validation=True,
)
def load_ucr_uea(name, *, split=None, download=False, extract_path=None):
    """Load a UCR/UEA classification dataset through aeon, in this library's layout.

    With ``download=False`` (the default) only the datasets that ship inside aeon
    are read, offline: among them ArrowHead, BasicMotions, GunPoint,
    ItalyPowerDemand, JapaneseVowels (variable length), OSULeaf, ACSF1 and
    PickupGestureWiimoteZ (variable length). With ``download=True`` any archive
    dataset is fetched by ``aeon.datasets.load_classification`` into
    ``extract_path``.

    Parameters
    ----------
    name : str
        Dataset name, as in the archive ("GunPoint").
    split : {"train", "test"} or None, default=None
        One split; None returns both, as ``(X_train, y_train, X_test, y_test)``.
    download : bool, default=False
        Allow aeon to download a dataset that it does not ship.
    extract_path : str or path-like, default=None
        Where aeon looks for (and downloads) datasets that it does not ship.

    Returns
    -------
    X, y : (ndarray of shape (n_cases, n_timepoints, n_channels) or list of \
ndarray of shape (n_timepoints_i, n_channels)), ndarray of shape (n_cases,)
        One split (a list when lengths differ); labels as strings, as aeon gives.
        With ``split=None``: ``X_train, y_train, X_test, y_test``.

    Raises
    ------
    ImportError
        When aeon is not installed (the ``aeon`` extra).
    ValueError
        For a dataset aeon does not ship, with ``download=False``.

    Examples
    --------
    >>> from wcrnn_rc.datasets import load_ucr_uea
    >>> X_train, y_train, X_test, y_test = load_ucr_uea("BasicMotions")  # doctest: +SKIP
    >>> X_train.shape                                                   # doctest: +SKIP
    (40, 100, 6)
    """
    shipped_dir = _aeon_shipped_dir()
    from aeon.datasets import load_classification

    shipped = _shipped_classification(shipped_dir)
    if name in shipped:
        path = str(shipped_dir)
    elif download:
        path = None if extract_path is None else str(extract_path)
    else:
        raise ValueError(
            f"aeon does not ship the dataset {name!r}; the ones it ships (read offline) "
            f"are {shipped}. Pass download=True to let aeon download it."
        )
    splits = ["train", "test"] if split is None else [split]
    out = []
    for part in splits:
        X, y = load_classification(name, split=part, extract_path=path)
        out += [from_aeon_collection(X, layout="channels_first"), np.asarray(y)]
    return tuple(out)


# Chaotic flows for forecasting: Lorenz-63, Rossler, Lorenz-96, Kuramoto-Sivashinsky
# --------------------------------------------------------------------------------------

# Largest internal RK4 step per system, in time units: the sampling step dt is split
# into ceil(dt / this) RK4 steps. Lorenz-63 at 0.005 (dt = 0.02: four steps) agrees with
# a tight DOP853 integration to about 1e-7 over one time unit (tests/test_datasets.py).
_MAX_RK4_STEP = {"lorenz": 0.005, "rossler": 0.01, "lorenz96": 0.005}


def _flow_result(samples, n_steps, horizon, washout, dt, return_X_y, **fields):
    X = samples[washout : washout + n_steps].copy()
    y = samples[washout + horizon : washout + horizon + n_steps].copy()
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError("The integration produced non-finite values; use a smaller dt.")
    times = (washout + np.arange(n_steps)) * dt
    return _result(X, y, return_X_y, times=times, dt=dt, **fields)


def _n_substeps(dt, system):
    return max(1, int(np.ceil(dt / _MAX_RK4_STEP[system] - 1e-9)))


def _rk4_scalar(rhs, state, n_samples, dt, n_sub):
    """Classical RK4 on a few Python floats (faster than NumPy for 3 variables)."""
    h = dt / n_sub
    half, sixth = 0.5 * h, h / 6.0
    out = [state]
    s = state
    for _ in range(n_samples - 1):
        for _ in range(n_sub):
            k1 = rhs(s)
            k2 = rhs([a + half * b for a, b in zip(s, k1, strict=True)])
            k3 = rhs([a + half * b for a, b in zip(s, k2, strict=True)])
            k4 = rhs([a + h * b for a, b in zip(s, k3, strict=True)])
            s = [
                a + sixth * (p + 2.0 * q + 2.0 * r + w)
                for a, p, q, r, w in zip(s, k1, k2, k3, k4, strict=True)
            ]
        out.append(s)
    return np.asarray(out, dtype=np.float64)


_FLOW_CONSTRAINTS = {
    "n_steps": [Interval(numbers.Integral, 1, None, closed="left")],
    "dt": [Interval(numbers.Real, 0, None, closed="neither")],
    "horizon": [Interval(numbers.Integral, 0, None, closed="left")],
    "washout": [Interval(numbers.Integral, 0, None, closed="left")],
    "initial_state": ["array-like", None],
    "random_state": ["random_state"],
    "return_X_y": ["boolean"],
}


def _initial_state(initial_state, default, spread, rng, name="initial_state"):
    if initial_state is None:
        return np.asarray(default, dtype=np.float64) + rng.uniform(-spread, spread, len(default))
    state = np.asarray(initial_state, dtype=np.float64)
    if state.shape != (len(default),) or not np.isfinite(state).all():
        raise ValueError(f"{name} must be {len(default)} finite numbers; got shape {state.shape}.")
    return state


@validate_params(
    {
        **_FLOW_CONSTRAINTS,
        "sigma": [Interval(numbers.Real, None, None, closed="neither")],
        "rho": [Interval(numbers.Real, None, None, closed="neither")],
        "beta": [Interval(numbers.Real, None, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def make_lorenz(
    n_steps=5000,
    *,
    dt=0.02,
    sigma=10.0,
    rho=28.0,
    beta=8.0 / 3.0,
    horizon=1,
    washout=1000,
    initial_state=None,
    random_state=None,
    return_X_y=True,
):
    """Sample the Lorenz-63 system at a fixed step, after dropping a transient.

    .. code-block:: text

        dx/dt = sigma (y - x),  dy/dt = x (rho - z) - y,  dz/dt = x y - beta z

    integrated by the classical RK4 method, each sampling step ``dt`` split into RK4
    steps of at most 0.005 time units. With the classical parameters (the defaults)
    the Lyapunov spectrum is about (0.9056, 0, -14.5723) per unit time [2]_, so one
    Lyapunov time is 1 / 0.9056 = 1.104 time units (55 samples at ``dt = 0.02``), and
    the Kaplan-Yorke dimension is 2.062.

    Parameters
    ----------
    n_steps : int, default=5000
        Number of returned samples.
    dt : float, default=0.02
        Time between samples.
    sigma, rho, beta : float, default=10, 28, 8/3
        The system's parameters.
    horizon : int, default=1
        ``y`` is the state ``horizon`` samples after ``X``.
    washout : int, default=1000
        Samples integrated and dropped first, so that the series starts on the
        attractor.
    initial_state : array-like of shape (3,), default=None
        The state at time 0; None draws ``(1, 1, 1) + U[-1, 1]^3`` from ``random_state``.
    random_state : int, RandomState instance or None, default=None
        Draws the initial state. Pass an int for reproducible output.
    return_X_y : bool, default=True
        If True, return ``(X, y)``; otherwise a Bunch.

    Returns
    -------
    X : ndarray of shape (n_steps, 3)
        ``(x, y, z)`` at the sample times.
    y : ndarray of shape (n_steps, 3)
        The state ``horizon`` samples later.
    data : Bunch
        With ``return_X_y=False``: ``data``, ``target``, ``times``, ``dt``,
        ``lyapunov_exponent`` (0.9056, for the default parameters; None otherwise)
        and ``DESCR``.

    References
    ----------
    .. [1] E. N. Lorenz, "Deterministic nonperiodic flow", J. Atmos. Sci. 20, 130-141
       (1963).
    .. [2] J. C. Sprott, *Chaos and Time-Series Analysis*, Oxford University Press
       (2003), table of Lyapunov exponents: 0.9056, 0, -14.5723.

    Examples
    --------
    >>> from wcrnn_rc.datasets import make_lorenz
    >>> X, y = make_lorenz(n_steps=200, washout=100, random_state=0)
    >>> X.shape, y.shape
    ((200, 3), (200, 3))
    >>> bool((X[1:] == y[:-1]).all())
    True
    """
    rng = check_random_state(random_state)
    state = _initial_state(initial_state, [1.0, 1.0, 1.0], 1.0, rng)
    s, r, b = float(sigma), float(rho), float(beta)

    def rhs(v):
        x, y_, z = v
        return [s * (y_ - x), x * (r - z) - y_, x * y_ - b * z]

    n_samples = washout + n_steps + horizon
    samples = _rk4_scalar(rhs, state.tolist(), n_samples, float(dt), _n_substeps(dt, "lorenz"))
    classical = (s, r, b) == (10.0, 28.0, 8.0 / 3.0)
    return _flow_result(
        samples,
        n_steps,
        horizon,
        washout,
        dt,
        return_X_y,
        lyapunov_exponent=0.9056 if classical else None,
        DESCR=f"Lorenz-63 (sigma={s}, rho={r}, beta={b:.6g}), RK4, sampled every dt={dt}.",
    )


@validate_params(
    {
        **_FLOW_CONSTRAINTS,
        "a": [Interval(numbers.Real, None, None, closed="neither")],
        "b": [Interval(numbers.Real, None, None, closed="neither")],
        "c": [Interval(numbers.Real, None, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def make_rossler(
    n_steps=5000,
    *,
    dt=0.1,
    a=0.2,
    b=0.2,
    c=5.7,
    horizon=1,
    washout=1000,
    initial_state=None,
    random_state=None,
    return_X_y=True,
):
    """Sample the Rossler system at a fixed step, after dropping a transient.

    .. code-block:: text

        dx/dt = -y - z,  dy/dt = x + a y,  dz/dt = b + z (x - c)

    integrated by RK4 with internal steps of at most 0.01. With the default
    parameters the Lyapunov spectrum is about (0.0714, 0, -5.3943) per unit time [2]_
    (one Lyapunov time is 14 time units, 140 samples at ``dt = 0.1``).

    Parameters
    ----------
    n_steps : int, default=5000
        Number of returned samples.
    dt : float, default=0.1
        Time between samples.
    a, b, c : float, default=0.2, 0.2, 5.7
        The system's parameters.
    horizon : int, default=1
        ``y`` is the state ``horizon`` samples after ``X``.
    washout : int, default=1000
        Samples integrated and dropped first.
    initial_state : array-like of shape (3,), default=None
        The state at time 0; None draws ``(1, 1, 0) + U[-0.5, 0.5]^3``.
    random_state : int, RandomState instance or None, default=None
        Draws the initial state. Pass an int for reproducible output.
    return_X_y : bool, default=True
        If True, return ``(X, y)``; otherwise a Bunch.

    Returns
    -------
    X : ndarray of shape (n_steps, 3)
    y : ndarray of shape (n_steps, 3)
        The state ``horizon`` samples later.
    data : Bunch
        With ``return_X_y=False``: ``data``, ``target``, ``times``, ``dt``,
        ``lyapunov_exponent`` (0.0714 for the defaults, else None) and ``DESCR``.

    References
    ----------
    .. [1] O. E. Rossler, "An equation for continuous chaos", Phys. Lett. A 57,
       397-398 (1976).
    .. [2] J. C. Sprott, *Chaos and Time-Series Analysis*, Oxford University Press
       (2003): 0.0714, 0, -5.3943.

    Examples
    --------
    >>> from wcrnn_rc.datasets import make_rossler
    >>> X, y = make_rossler(n_steps=100, washout=50, random_state=0)
    >>> X.shape
    (100, 3)
    """
    rng = check_random_state(random_state)
    state = _initial_state(initial_state, [1.0, 1.0, 0.0], 0.5, rng)
    pa, pb, pc = float(a), float(b), float(c)

    def rhs(v):
        x, y_, z = v
        return [-y_ - z, x + pa * y_, pb + z * (x - pc)]

    n_samples = washout + n_steps + horizon
    samples = _rk4_scalar(rhs, state.tolist(), n_samples, float(dt), _n_substeps(dt, "rossler"))
    classical = (pa, pb, pc) == (0.2, 0.2, 5.7)
    return _flow_result(
        samples,
        n_steps,
        horizon,
        washout,
        dt,
        return_X_y,
        lyapunov_exponent=0.0714 if classical else None,
        DESCR=f"Rossler (a={pa}, b={pb}, c={pc}), RK4, sampled every dt={dt}.",
    )


def _lorenz96_rhs(x, forcing):
    return (np.roll(x, -1) - np.roll(x, 2)) * np.roll(x, 1) - x + forcing


@validate_params(
    {
        **_FLOW_CONSTRAINTS,
        "n_variables": [Interval(numbers.Integral, 4, None, closed="left")],
        "forcing": [Interval(numbers.Real, None, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def make_lorenz96(
    n_steps=5000,
    *,
    n_variables=40,
    forcing=8.0,
    dt=0.01,
    horizon=1,
    washout=1000,
    initial_state=None,
    random_state=None,
    return_X_y=True,
):
    """Sample the Lorenz-96 system at a fixed step, after dropping a transient.

    .. code-block:: text

        dx_i/dt = (x_{i+1} - x_{i-2}) x_{i-1} - x_i + F,   i = 1..n (cyclic)

    integrated by RK4 with internal steps of at most 0.005. For ``n_variables=40``
    and ``F = 8`` the leading Lyapunov exponent is about 1.68 per unit time [2]_ [3]_
    (one Lyapunov time is 0.6 time units).

    Parameters
    ----------
    n_steps : int, default=5000
        Number of returned samples.
    n_variables : int, default=40
        Number of variables n (at least 4).
    forcing : float, default=8.0
        F.
    dt : float, default=0.01
        Time between samples.
    horizon : int, default=1
        ``y`` is the state ``horizon`` samples after ``X``.
    washout : int, default=1000
        Samples integrated and dropped first.
    initial_state : array-like of shape (n_variables,), default=None
        The state at time 0; None draws ``F + U[-0.5, 0.5]^n``.
    random_state : int, RandomState instance or None, default=None
        Draws the initial state. Pass an int for reproducible output.
    return_X_y : bool, default=True
        If True, return ``(X, y)``; otherwise a Bunch.

    Returns
    -------
    X : ndarray of shape (n_steps, n_variables)
    y : ndarray of shape (n_steps, n_variables)
        The state ``horizon`` samples later.
    data : Bunch
        With ``return_X_y=False``: ``data``, ``target``, ``times``, ``dt``,
        ``lyapunov_exponent`` (1.68 for n = 40 and F = 8, else None) and ``DESCR``.

    References
    ----------
    .. [1] E. N. Lorenz, "Predictability: a problem partly solved", Proc. ECMWF
       Seminar on Predictability (1996).
    .. [2] P. R. Vlachas et al., "Backpropagation algorithms and reservoir computing in
       recurrent neural networks for the forecasting of complex spatiotemporal
       dynamics", Neural Networks 126, 191-217 (2020).
    .. [3] A. Karimi and M. R. Paul, "Extensive chaos in the Lorenz-96 model", Chaos
       20, 043105 (2010).

    Examples
    --------
    >>> from wcrnn_rc.datasets import make_lorenz96
    >>> X, y = make_lorenz96(n_steps=50, n_variables=10, washout=10, random_state=0)
    >>> X.shape
    (50, 10)
    """
    rng = check_random_state(random_state)
    default = np.full(n_variables, float(forcing))
    state = _initial_state(initial_state, default, 0.5, rng)
    n_sub = _n_substeps(dt, "lorenz96")
    h = float(dt) / n_sub
    n_samples = washout + n_steps + horizon
    samples = np.empty((n_samples, n_variables))
    samples[0] = x = state
    F = float(forcing)
    for i in range(1, n_samples):
        for _ in range(n_sub):
            k1 = _lorenz96_rhs(x, F)
            k2 = _lorenz96_rhs(x + 0.5 * h * k1, F)
            k3 = _lorenz96_rhs(x + 0.5 * h * k2, F)
            k4 = _lorenz96_rhs(x + h * k3, F)
            x = x + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        samples[i] = x
    return _flow_result(
        samples,
        n_steps,
        horizon,
        washout,
        dt,
        return_X_y,
        lyapunov_exponent=1.68 if (n_variables, F) == (40, 8.0) else None,
        DESCR=f"Lorenz-96 (n={n_variables}, F={F}), RK4, sampled every dt={dt}.",
    )


def _ks_etdrk4_coefficients(domain_size, n_grid, h, n_contour=32):
    """ETDRK4 coefficients of Kassam & Trefethen (2005) by a contour integral."""
    k = 2.0 * np.pi / domain_size * np.fft.rfftfreq(n_grid, d=1.0 / n_grid)
    lin = k**2 - k**4
    E, E2 = np.exp(h * lin), np.exp(h * lin / 2.0)
    roots = np.exp(1j * np.pi * (np.arange(1, n_contour + 1) - 0.5) / n_contour)
    LR = h * lin[:, None] + roots[None, :]
    Q = h * np.real(np.mean((np.exp(LR / 2.0) - 1.0) / LR, axis=1))
    f1 = h * np.real(np.mean((-4.0 - LR + np.exp(LR) * (4.0 - 3.0 * LR + LR**2)) / LR**3, axis=1))
    f2 = h * np.real(np.mean((2.0 + LR + np.exp(LR) * (-2.0 + LR)) / LR**3, axis=1))
    f3 = h * np.real(np.mean((-4.0 - 3.0 * LR - LR**2 + np.exp(LR) * (4.0 - LR)) / LR**3, axis=1))
    g = -0.5j * k  # the Fourier transform of -u u_x is g * fft(u^2)
    return E, E2, Q, f1, f2, f3, g


@validate_params(
    {
        **_FLOW_CONSTRAINTS,
        "domain_size": [Interval(numbers.Real, 0, None, closed="neither")],
        "n_grid": [Interval(numbers.Integral, 8, None, closed="left")],
        "n_substeps": [Interval(numbers.Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def make_kuramoto_sivashinsky(
    n_steps=2000,
    *,
    domain_size=22.0,
    n_grid=64,
    dt=0.25,
    n_substeps=1,
    horizon=1,
    washout=1000,
    initial_state=None,
    random_state=None,
    return_X_y=True,
):
    """Sample the Kuramoto-Sivashinsky equation on a periodic domain (ETDRK4).

    .. code-block:: text

        u_t = -u u_x - u_xx - u_xxxx,   x in [0, domain_size), periodic

    discretised pseudo-spectrally on ``n_grid`` points and integrated by the
    exponential time-differencing RK4 scheme of Kassam & Trefethen [1]_ (step
    ``dt / n_substeps``). For ``domain_size = 22`` the leading Lyapunov exponent is
    about 0.043-0.048 per unit time [2]_ [3]_ (one Lyapunov time is about 22 time
    units, 90 samples at ``dt = 0.25``).

    Parameters
    ----------
    n_steps : int, default=2000
        Number of returned samples.
    domain_size : float, default=22.0
        Length L of the periodic domain; larger domains are more chaotic.
    n_grid : int, default=64
        Grid points (Fourier modes) in space.
    dt : float, default=0.25
        Time between samples.
    n_substeps : int, default=1
        ETDRK4 steps per sample.
    horizon : int, default=1
        ``y`` is the field ``horizon`` samples after ``X``.
    washout : int, default=1000
        Samples integrated and dropped first.
    initial_state : array-like of shape (n_grid,), default=None
        u at time 0 on the grid; None draws ``0.1 * cos(2 pi x / L) + N(0, 0.01)``.
    random_state : int, RandomState instance or None, default=None
        Draws the initial field. Pass an int for reproducible output.
    return_X_y : bool, default=True
        If True, return ``(X, y)``; otherwise a Bunch.

    Returns
    -------
    X : ndarray of shape (n_steps, n_grid)
        u on the grid at the sample times.
    y : ndarray of shape (n_steps, n_grid)
        The field ``horizon`` samples later.
    data : Bunch
        With ``return_X_y=False``: ``data``, ``target``, ``times``, ``dt``,
        ``grid`` (the points x), ``lyapunov_exponent`` (0.043 for L = 22, else None)
        and ``DESCR``.

    References
    ----------
    .. [1] A.-K. Kassam and L. N. Trefethen, "Fourth-order time-stepping for stiff
       PDEs", SIAM J. Sci. Comput. 26(4), 1214-1233 (2005).
    .. [2] R. A. Edson, J. E. Bunder, T. W. Mattner and A. J. Roberts, "Lyapunov
       exponents of the Kuramoto-Sivashinsky PDE", ANZIAM J. 61, 270-285 (2019).
    .. [3] P. Cvitanovic, R. L. Davidchack and E. Siminos, "On the state space geometry
       of the Kuramoto-Sivashinsky flow in a periodic domain", SIAM J. Appl. Dyn.
       Syst. 9(1), 1-33 (2010).

    Examples
    --------
    >>> from wcrnn_rc.datasets import make_kuramoto_sivashinsky
    >>> X, y = make_kuramoto_sivashinsky(n_steps=100, n_grid=32, washout=100,
    ...                                  random_state=0)
    >>> X.shape
    (100, 32)
    """
    rng = check_random_state(random_state)
    grid = float(domain_size) * np.arange(n_grid) / n_grid
    if initial_state is None:
        u = 0.1 * np.cos(2.0 * np.pi * grid / domain_size) + rng.normal(0.0, 0.01, n_grid)
    else:
        u = _initial_state(initial_state, np.zeros(n_grid), 0.0, rng)
    h = float(dt) / n_substeps
    E, E2, Q, f1, f2, f3, g = _ks_etdrk4_coefficients(float(domain_size), n_grid, h)
    n_samples = washout + n_steps + horizon
    samples = np.empty((n_samples, n_grid))
    samples[0] = u
    v = np.fft.rfft(u)

    def nonlinear(w):
        return g * np.fft.rfft(np.fft.irfft(w, n_grid) ** 2)

    for i in range(1, n_samples):
        for _ in range(n_substeps):
            Nv = nonlinear(v)
            a = E2 * v + Q * Nv
            Na = nonlinear(a)
            b = E2 * v + Q * Na
            Nb = nonlinear(b)
            c = E2 * a + Q * (2.0 * Nb - Nv)
            Nc = nonlinear(c)
            v = E * v + Nv * f1 + 2.0 * (Na + Nb) * f2 + Nc * f3
        samples[i] = np.fft.irfft(v, n_grid)
    return _flow_result(
        samples,
        n_steps,
        horizon,
        washout,
        dt,
        return_X_y,
        grid=grid,
        lyapunov_exponent=0.043 if float(domain_size) == 22.0 else None,
        DESCR=(
            f"Kuramoto-Sivashinsky (L={domain_size}, {n_grid} points), ETDRK4 with step "
            f"{h}, sampled every dt={dt}."
        ),
    )
