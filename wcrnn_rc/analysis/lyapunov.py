"""Lyapunov spectra of input-driven reservoirs by the QR method."""

import numbers

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from .. import _config, _kernels
from .._config import LYAPUNOV_SINGLE_THREAD_MAX_WORK, blas_threads_for
from .._network import network_of
from .._progress import progress
from ._common import as_series

__all__ = ["kaplan_yorke_dimension", "lyapunov_spectrum", "max_lyapunov_exponent"]

# Adaptive re-orthonormalisation: QR once the leading and trailing directions have
# drifted apart by a factor of up to 1e4 (about 4 of 16 digits), at most every 128 steps.
_MAX_LOG_SPREAD = float(np.log(1e4))
_MAX_INTERVAL = 128


@validate_params(
    {
        "reservoir": [object],
        "X": ["array-like", None],
        "n_exponents": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "n_steps": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "washout": [Interval(numbers.Integral, 0, None, closed="left")],
        "reorthonormalize_every": [
            Interval(numbers.Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "random_state": ["random_state"],
        "verbose": ["boolean"],
        "initial_state": ["array-like", None],
        "feedback": [tuple, None],
    },
    # False: an unfitted reservoir is fitted inside, and its fit must validate it.
    prefer_skip_nested_validation=False,
)
def lyapunov_spectrum(
    reservoir,
    X=None,
    *,
    n_exponents=None,
    n_steps=None,
    washout=500,
    reorthonormalize_every="auto",
    random_state=None,
    verbose=False,
    initial_state=None,
    feedback=None,
):
    """Lyapunov exponents of the input-driven reservoir, per time step, largest first.

    The network runs on the drive while ``n_exponents`` tangent vectors follow the
    step Jacobians ``J_t = rho'(h_{t-1}) + coupling * diag(f'(a_t)) W`` (for a linear
    residual ``rho' = R``; for the ``tanh`` residual ``diag(lambda * (1 - tanh(h)**2))``)
    and are re-orthonormalised by QR. Exponent i is the time average of
    ``log|diag(R_qr)|_i`` over the ``n_steps`` steps after the washout. The cost per
    step is O(N**2 k) for k exponents (twice that for a dense residual), in float64
    whatever the reservoir's input dtype.

    Parameters
    ----------
    reservoir : WCRNNReservoir, fitted estimator or pipeline containing one, or Network
        The network. An unfitted reservoir is cloned and fitted on the drive (the
        argument is left unchanged).
    X : array-like of shape (n_steps_total, n_features), default=None
        One input series to drive the network. None drives it with i.i.d. input,
        uniform on [-1, 1] in every feature (one feature for an unfitted reservoir).
    n_exponents : int, default=None
        Number k of leading exponents; None computes all ``n_units``.
    n_steps : int, default=None
        Steps averaged over after the washout. None means 2000 without X and all
        steps after the washout with X.
    washout : int, default=500
        Leading steps run but not counted, so that the state forgets h_0 and the
        tangent vectors turn towards the leading directions.
    reorthonormalize_every : int or "auto", default="auto"
        Steps between QRs. Any interval gives the same exponents in exact
        arithmetic; longer intervals cost fewer QRs but lose accuracy once the
        directions grow apart. ``"auto"`` sets the interval after each QR so that
        they grow apart by at most a factor 1e4 (from one step, at most doubling, up
        to 128 steps; every step when a direction collapses); 1 is the textbook
        method.
    random_state : int, RandomState instance or None, default=None
        Draws the i.i.d. drive and the initial tangent vectors. Pass an int for
        reproducible output across multiple function calls.
    verbose : bool, default=False
        Show a progress bar (tqdm, on stderr) with the elapsed time while the
        spectrum runs: a full spectrum of 1000 units takes minutes.
    initial_state : array-like of shape (n_units,), default=None
        h_0; zeros when None. An autonomous network (a closed-loop forecaster, whose
        drive is constant) needs a state on its attractor, where zeros may lie in
        another basin.
    feedback : tuple (coef, intercept), default=None
        A linear readout ``y = V h + c`` (coef V of shape (m, n_units), intercept c
        of shape (m,)) fed back into the first m inputs: the spectrum of that closed
        loop, whose recurrent weights are ``W + U_y V``. The low-rank term is added
        to W each step (O(N m k)), so a sparse W stays sparse. ``X`` (or the i.i.d.
        drive) then gives only the other ``n_features - m`` inputs; with none, the
        loop is autonomous. ``WCRNNForecaster.lyapunov_spectrum`` calls this.

    Returns
    -------
    exponents : ndarray of shape (n_exponents,)
        Lyapunov exponents per step, largest first. A direction that a singular
        Jacobian collapses exactly (e.g. ``residual="none"`` with ReLU) has -inf.

    See Also
    --------
    max_lyapunov_exponent : The largest exponent alone, at O(N**2) per step.
    wcrnn_rc.WCRNNReservoir.residual_lyapunov_exponents_ : The theory, ``log|eig R|``.

    Notes
    -----
    With ``coupling=0`` and a linear residual R the exponents are exactly
    ``log|eig R|``. For ``R = lambda * Q`` with Q orthogonal every exponent lies in
    ``[log(lambda - coupling * ||W||_2), log(lambda + coupling * ||W||_2)]`` (with a
    slope-bounded activation such as tanh). A positive largest exponent means the
    driven network is chaotic: nearby states separate.

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc import WCRNNReservoir
    >>> from wcrnn_rc.analysis import lyapunov_spectrum
    >>> res = WCRNNReservoir(n_units=20, residual="orthogonal", residual_scale=0.9,
    ...                      coupling=0.0, random_state=0)
    >>> exponents = lyapunov_spectrum(res, n_steps=200, washout=50, random_state=0)
    >>> exponents.shape
    (20,)
    >>> bool(np.allclose(exponents, np.log(0.9)))
    True
    """
    rng = check_random_state(random_state)
    network = network_of(reservoir, (lambda: np.zeros((1, 1))) if X is None else (lambda: X))
    input_t, bias = network.input_operands(np.float64)
    feedback_t, feedback_coef = input_t[:0], np.zeros((0, network.n_units))
    if feedback is not None:
        feedback_t, feedback_coef, input_t, bias = _split_feedback(network, feedback)
    n_fed_back = feedback_t.shape[0]
    if X is None:
        if n_steps is None:
            n_steps = 2000
        drive = rng.uniform(-1.0, 1.0, size=(washout + n_steps, input_t.shape[0]))
    else:
        drive = as_series(network, X, n_fed_back=n_fed_back)
        available = drive.shape[0] - washout
        if n_steps is None:
            n_steps = available
        if n_steps < 1 or n_steps > available:
            raise ValueError(
                f"X has {drive.shape[0]} steps: too few for washout={washout} and "
                f"n_steps={n_steps}."
            )
        drive = drive[: washout + n_steps]
    n_units = network.n_units
    k = n_units if n_exponents is None else n_exponents
    if k > n_units:
        raise ValueError(f"n_exponents={k} exceeds the number of units ({n_units}).")
    # Rows of one (n_units, n_units) draw: the first k directions do not depend on k,
    # so a partial spectrum is the leading part of the full one.
    frame0 = np.linalg.qr(rng.standard_normal((k, n_units)).T)[0].T.copy()
    if input_t.shape[0] == 0:  # all inputs fed back: one zero input keeps the input path
        drive, input_t = np.zeros((len(drive), 1)), np.zeros((1, n_units))
    if input_t.shape[0] > _config.MAX_FUSED_FEATURES:  # one GEMM for the whole drive
        drive, input_t = drive @ input_t + bias, input_t[:0]
    every = 0 if reorthonormalize_every == "auto" else reorthonormalize_every
    overflow = FloatingPointError(
        "The Lyapunov computation overflowed: the states or tangent vectors became "
        "infinite. Lower the residual scale, coupling or input scaling."
    )
    work = k * n_units**2
    with (
        blas_threads_for(work, LYAPUNOV_SINGLE_THREAD_MAX_WORK),
        np.errstate(divide="ignore"),
        progress(
            f"Lyapunov spectrum: {k} exponents of {n_units} units, {len(drive)} steps",
            enabled=verbose,
        ),
    ):
        try:
            log_growth, last_state, _ = _kernels.lyapunov_qr(
                drive,
                input_t,
                bias,
                network.initial_states(initial_state, 1, np.float64),
                *network.recurrent_operands(np.float64, batched=False),
                network.coupling,
                network.activation,
                frame0,
                washout,
                every,
                _MAX_LOG_SPREAD,
                _MAX_INTERVAL,
                feedback_t,
                feedback_coef,
            )
        except np.linalg.LinAlgError as exc:  # numba's QR refuses a non-finite frame
            raise overflow from exc
    exponents = log_growth / n_steps
    # Non-finite states persist, so the last state tells whether any step overflowed.
    if not np.all(np.isfinite(last_state)) or np.isnan(exponents).any():
        raise overflow
    return np.sort(exponents)[::-1]


def _split_feedback(network, feedback):
    """``(U_y.T, V, U_x.T, b + U_y c)`` of a validated readout ``(V, c)`` fed back."""
    try:
        coef, intercept = feedback
    except (TypeError, ValueError):
        raise ValueError("feedback must be a pair (coef, intercept).") from None
    coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    intercept = np.atleast_1d(np.asarray(intercept, dtype=np.float64))
    m = coef.shape[0]
    if coef.shape != (m, network.n_units) or intercept.shape != (m,):
        raise ValueError(
            f"feedback's coef has shape {coef.shape} and intercept {intercept.shape}; "
            f"expected (m, {network.n_units}) and (m,)."
        )
    if m > network.n_features:
        raise ValueError(
            f"feedback has {m} outputs but the network only {network.n_features} inputs "
            "to feed them back into."
        )
    if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
        raise ValueError("feedback contains NaN or infinity.")
    input_t, bias = network.input_operands(np.float64)
    feedback_t = np.ascontiguousarray(input_t[:m])
    return (
        feedback_t,
        np.ascontiguousarray(coef),
        np.ascontiguousarray(input_t[m:]),
        bias + intercept @ feedback_t,
    )


def max_lyapunov_exponent(reservoir, X=None, *, n_steps=None, washout=500, random_state=None):
    """The largest Lyapunov exponent of the input-driven reservoir, per time step.

    :func:`lyapunov_spectrum` with one tangent vector: O(N**2) per step (a
    matrix-vector product), so cheap enough for sweeps.

    Parameters
    ----------
    reservoir : WCRNNReservoir, or fitted estimator or pipeline containing one
        The network; an unfitted reservoir is cloned and fitted on the drive.
    X : array-like of shape (n_steps_total, n_features), default=None
        One input series; None drives the network with i.i.d. uniform [-1, 1] input.
    n_steps : int, default=None
        Steps averaged over after the washout: 2000 without X, all of X otherwise.
    washout : int, default=500
        Leading steps not counted.
    random_state : int, RandomState instance or None, default=None
        Draws the drive and the initial tangent vector.

    Returns
    -------
    exponent : float
        Negative: perturbations fade (fading memory); near 0: the edge of chaos;
        positive: chaos.

    Examples
    --------
    >>> from wcrnn_rc import WCRNNReservoir
    >>> from wcrnn_rc.analysis import max_lyapunov_exponent
    >>> weak = WCRNNReservoir(n_units=50, coupling=0.05, random_state=0)
    >>> strong = WCRNNReservoir(n_units=50, residual="none", coupling=1.0,
    ...                         recurrent_gain=3.0, random_state=0)
    >>> max_lyapunov_exponent(weak, random_state=0) < 0 < max_lyapunov_exponent(
    ...     strong, random_state=0)
    True
    """
    return float(
        lyapunov_spectrum(
            reservoir,
            X,
            n_exponents=1,
            n_steps=n_steps,
            washout=washout,
            random_state=random_state,
        )[0]
    )


def kaplan_yorke_dimension(exponents):
    """The Kaplan-Yorke (Lyapunov) dimension of an attractor from its Lyapunov spectrum.

    With the exponents sorted in decreasing order and ``j`` the largest index whose
    partial sum ``S_j = lambda_1 + .. + lambda_j`` is still non-negative,

    .. code-block:: text

        D_KY = j + S_j / |lambda_{j+1}|

    (0 when ``lambda_1 < 0``, a stable fixed point). The units of the exponents (per
    step or per unit time) cancel.

    Parameters
    ----------
    exponents : array-like of shape (n_exponents,)
        Lyapunov exponents, in any order.

    Returns
    -------
    dimension : float
        ``n_exponents`` when every partial sum is non-negative: the dimension is then
        at least that, and more exponents are needed to tell.

    References
    ----------
    .. [1] J. L. Kaplan and J. A. Yorke, "Chaotic behavior of multidimensional
       difference equations", in *Functional Differential Equations and Approximation
       of Fixed Points*, Lecture Notes in Mathematics 730, 204-227 (1979).

    Examples
    --------
    >>> from wcrnn_rc.analysis import kaplan_yorke_dimension
    >>> round(kaplan_yorke_dimension([0.9056, 0.0, -14.5723]), 4)      # Lorenz-63
    2.0621
    >>> kaplan_yorke_dimension([-0.1, -0.5])
    0.0
    """
    values = np.asarray(exponents, dtype=np.float64).ravel()
    if values.size == 0 or np.isnan(values).any():
        raise ValueError("exponents must be a non-empty array without NaN.")
    values = np.sort(values)[::-1]
    sums = np.cumsum(values)
    non_negative = np.flatnonzero(sums >= 0)
    if non_negative.size == 0:
        return 0.0
    j = int(non_negative[-1]) + 1
    if j == values.size:
        return float(j)
    return float(j + sums[j - 1] / abs(values[j]))
