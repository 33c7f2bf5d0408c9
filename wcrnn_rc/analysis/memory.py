"""Jaeger's linear memory capacity, every delay from one factorisation per segment."""

import numbers

import numpy as np
from scipy import linalg
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from .._config import MEMORY_SINGLE_THREAD_MAX_WORK, blas_threads_for
from .._linalg import cholesky_factor, solve_normal_equations
from .._network import network_of
from .._validation import warn_external
from ._common import as_series

__all__ = ["memory_capacity"]

# Targets are built this many elements (steps x delays x features) at a time (8 MB).
_TARGET_BLOCK_ELEMENTS = 1 << 20


# Default length: this many steps per unit, and at least _MIN_DEFAULT_STEPS. The
# jackknife's remaining bias on thinly spread memory falls with n / N: a weakly
# coupled identity residual read 13 % low at 40 N (N = 100 and 400), 3 to 5 % at 80 N
# (benchmarks/bench_memory_estimator.py).
_DEFAULT_STEPS_PER_UNIT = 80
_MIN_DEFAULT_STEPS = 8000

# Fewest training steps per fitted coefficient (N states and the intercept). The
# debiased estimate fits each half of the steps, so each half has at least 5 per
# coefficient there; fewer make the adjusted R^2 of a half (its factor
# (n - 1) / (n - N - 1) above 1.25) too noisy to mean anything.
_MIN_STEPS_PER_COEFFICIENT = 10


# The initial transient is found by MSER-5 on batches of this many steps.
_MSER_BATCH = 5
# The run is continued until it is past its transient, at most to this many times
# its first length.
_MAX_SETTLING_FACTOR = 16


def _states(network, u, initial_state=None):
    """The states of the fitted network driven by u: the one place it is run."""
    return network.run_series(u, initial_state=initial_state)


def _squared_distance(states):
    """Squared distance of every state from the mean over the second half."""
    centred = states - states[states.shape[0] // 2 :].mean(axis=0)
    return np.einsum("ij,ij->i", centred, centred)


def _transient_end(distance):
    """The first step past the initial transient (MSER-5), or None if it is not over.

    White's (1997) marginal standard error rule on batch means of 5 steps of
    ``distance`` (the state's squared distance from its mean over the second half):
    the truncation ``d`` that minimises ``sum_{i > d} (y_i - mean_d)^2 / (m - d)^2``.
    A minimum past the middle of the run means that the run is too short to tell
    (Hoad, Robinson and Davies 2010), and gives None.
    """
    m = distance.shape[0] // _MSER_BATCH
    if m < 8:
        return 0
    y = distance[: m * _MSER_BATCH].reshape(m, _MSER_BATCH).mean(axis=1)
    y = y - y[m // 2 :].mean()  # keeps the sums of squares free of cancellation
    count = np.arange(m, 0, -1, dtype=np.float64)
    tail_sum = np.cumsum(y[::-1])[::-1]
    tail_squares = np.cumsum((y * y)[::-1])[::-1]
    statistic = (tail_squares - tail_sum**2 / count) / count**2
    # The last batches are left out: over a handful of points the statistic is noise.
    end = int(np.argmin(statistic[: m - max(2, m // 20)]))
    return None if end > m // 2 else end * _MSER_BATCH


def _settled_run(network, draw, start, n_steps):
    """The drive and the states of its last ``n_steps`` steps, past the transient.

    Where MSER-5 finds the initial transient not over, the run is continued (from
    its last state, with more of the drive) to twice its length, its first half
    dropped, up to ``_MAX_SETTLING_FACTOR`` times the first length (past it, a
    ``RuntimeWarning``). Where it is over but fewer than ``n_steps`` steps follow
    it, the run is continued by as many.

    Returns ``(u, begin, states)``: the whole drive, the index in it of the first
    state returned, and the states.
    """
    u = draw(start + n_steps)
    states = _states(network, u)
    offset = 0  # states[0] is the state after u[offset]
    while True:
        if not np.all(np.isfinite(states[-1])):
            break  # a diverging network: no estimate to make
        end = _transient_end(_squared_distance(states))
        if end is not None:
            missing = end + n_steps - states.shape[0]
            if missing > 0:  # over, but fewer than n_steps after it: run on as many
                more = draw(missing)
                states = np.vstack([states[end:], _states(network, more, states[-1])])
                u = np.vstack([u, more])
                offset += end
            break
        end = states.shape[0] // 2  # not over: the first half is transient
        if u.shape[0] >= _MAX_SETTLING_FACTOR * (start + n_steps):
            warn_external(
                f"The network had not settled after {u.shape[0]} steps of the drive "
                "(its initial transient, found by MSER-5, was not over): the memory "
                f"capacity describes the last {n_steps} "
                "steps and may depend on the drive. Pass washout= to set the steps "
                "dropped.",
                RuntimeWarning,
            )
            break
        more = draw(states.shape[0])
        states = np.vstack([states[end:], _states(network, more, states[-1])])
        u = np.vstack([u, more])
        offset += end
    begin = u.shape[0] - n_steps
    return u, begin, states[begin - offset :]


@validate_params(
    {
        "reservoir": [object],
        "max_delay": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "n_steps": [Interval(numbers.Integral, 2, None, closed="left"), None],
        "washout": [Interval(numbers.Integral, 0, None, closed="left"), None],
        "method": [StrOptions({"debiased", "held_out"})],
        "test_size": [
            Interval(numbers.Real, 0, 1, closed="neither"),
            Interval(numbers.Integral, 1, None, closed="left"),
            None,
        ],
        "input_scaling": [Interval(numbers.Real, 0, None, closed="neither")],
        "series": ["array-like", None],
        "return_curve": ["boolean"],
        "random_state": ["random_state"],
    },
    # False: an unfitted reservoir is fitted inside, and its fit must validate it.
    prefer_skip_nested_validation=False,
)
def memory_capacity(
    reservoir,
    *,
    max_delay=None,
    n_steps=None,
    washout=None,
    method="debiased",
    test_size=None,
    input_scaling=1.0,
    series=None,
    return_curve=False,
    random_state=None,
):
    """Linear memory capacity (Jaeger 2001): how much of its past input the state holds.

    The reservoir is driven by i.i.d. input u_t, uniform on
    ``[-input_scaling, input_scaling]``. For every delay k = 1..K, ``MC_k`` is the
    share of the variance of u_{t-k} that the best linear readout of the state h_t
    (least squares with intercept) explains, and ``MC = sum_k MC_k``. The population
    value (an infinitely long drive) is at most ``n_units`` (Jaeger 2001).

    The default ``method="debiased"`` estimates it without the bias that a finite
    drive gives either way: for each of the full run and its two halves, the
    in-sample R^2 of every delay, adjusted for the N fitted coefficients (Ezekiel's
    adjusted R^2, ``1 - (1 - R^2) (n - 1) / (n - p - 1)``), then the halves'
    remaining 1 / n bias removed by Quenouille's split-sample jackknife
    (``2 R^2_adj(full) - mean R^2_adj(halves)`` for equal halves). All K delays come
    from one factorisation per segment. ``method="held_out"`` is the classical
    estimate: readouts fitted on the first steps, squared correlations on the
    last ``test_size``; it is biased low (see Notes).

    Parameters
    ----------
    reservoir : WCRNNReservoir, or fitted estimator or pipeline containing one
        The network. An unfitted reservoir is cloned and fitted on the drive (one
        feature) and the argument is left unchanged.
    max_delay : int, default=None
        Largest delay K; None means ``2 * n_units``.
    n_steps : int, default=None
        Steps used for the readouts, after the washout. None means
        ``max(8000, 80 * n_units)``; with ``series``, all of it. The readouts need
        at least ``10 * (n_units + 1)`` training steps (all ``n_steps`` for
        ``"debiased"``, the part before the held-out steps for ``"held_out"``);
        fewer raise a ``ValueError`` that says how many.
    washout : int, default=None
        Leading steps dropped; at least K so that every target u_{t-k} exists. None
        means: past the initial transient, found by White's MSER-5 rule, and at
        least K (see Notes); with ``series``, K.
    method : {"debiased", "held_out"}, default="debiased"
        ``"debiased"``: jackknifed adjusted in-sample R^2, consistent and with the
        bias of a finite drive removed to first order. ``"held_out"``: squared
        correlations on held-out steps (the estimate of this library before 0.2 and
        of most others), biased low.
    test_size : float or int, default=None
        Only for ``method="held_out"``: held-out share (a float in (0, 1), NumPy
        floats too) or number (an int) of the last ``n_steps``. None means 0.2.
    input_scaling : float, default=1.0
        Half-width of the uniform drive. The correlations do not depend on it for a
        linear network; for a non-linear one larger inputs saturate the branch.
    series : array-like of shape (n_steps_total,) or (n_steps_total, n_features), \
            default=None
        A drive to use instead of the i.i.d. one (for instance the memory of a real
        signal; correlated input can make the sum of the ``MC_k`` exceed what i.i.d.
        input gives).
    return_curve : bool, default=False
        Also return ``MC_k`` for k = 1..K.
    random_state : int, RandomState instance or None, default=None
        Draws the drive. Pass an int for reproducible output across multiple
        function calls.

    Returns
    -------
    mc : float
        The memory capacity, in ``[0, min(n_units, K * n_features)]`` for the i.i.d.
        drive, in ``[0, K * n_features]`` for a ``series``; NaN where the states
        overflow (a diverging network).
    curve : ndarray of shape (max_delay,)
        ``MC_k``; only with ``return_curve=True``. With ``"debiased"`` each entry is
        an unbiased estimate, unclipped, so that their sum is too: where the
        memory is nil an entry can be slightly negative (by about
        ``sqrt(2 N) / n_steps``).

    Notes
    -----
    With d > 1 input features, every feature gets its own independent drive and
    ``MC_k`` is the sum over features of the recall of that feature. Because the
    features' drives are uncorrelated, the bound ``MC <= n_units`` still holds (the
    recalls are projections onto the same N-dimensional state space).

    **Bias.** With p = N coefficients fitted on n steps, the in-sample R^2 of a delay
    whose population value is r is too high by about ``(1 - r) p / n``, and a
    held-out squared correlation too low by about as much: summed over K = 2N
    delays, about ``2 N^2 / n`` either way, which swamps a capacity spread thinly
    over many poorly recalled delays. For 100 units at coupling 0.01 with an
    identity residual at scale 0.95 (population MC about 5.5), the held-out
    estimate gives 1.0 at 2000 steps and 4.4 at 10000. Ezekiel's adjustment removes
    the ``p / n`` term exactly for independent samples; on a time series it leaves a
    bias of order ``1 / n`` (there, 30 % low at 2000 steps), which the jackknife
    removes. The total is clipped to the range of the population value,
    ``[0, min(N, K d)]`` (``[0, K d]`` for a ``series``), because a sum of unbiased
    terms can leave it by sampling noise; the curve is not clipped. The agreement
    with the population value, measured per residual family, is in the user guide
    (Memory capacity) and ``benchmarks/bench_memory_estimator.py``: within 10 % at 89
    of 96 networks. The misses are metastable or multistable networks, which have
    no single value at practical lengths: compare those over several drives.

    **Washout.** A network can take far longer than K steps to settle: with
    heterogeneous timescales at coupling 0.3, the slow units need over 1000 steps to
    reach the saturated branch's fixed point, and inside the readouts that transient
    costs most of the memory (0.3 against 3.4 at 20 units). By default the run's
    initial transient is found by MSER-5 (White 1997), the truncation that
    minimises the squared standard error of the mean of the rest, applied to batch
    means of five steps of the state's squared distance from its mean over the
    run's second half. Where that truncation falls past the middle of the run, the
    transient is not over (Hoad, Robinson and Davies 2010): the run is continued to
    twice its length and its first half dropped, up to 16 times the first length
    (then a ``RuntimeWarning``). The readouts then use the last ``n_steps`` steps.
    A metastable network can still wander for longer than any such run before it
    settles (tens of thousands of steps for some; see the user guide). An explicit
    ``washout`` is taken as given.

    The states are deterministic functions of the drive and can be extremely
    ill-conditioned. Where the centred states' condition number exceeds 1e5, the
    projections come from a Householder QR of each half's states (with the
    intercept; the full run's from the two triangular factors stacked) instead of the
    normal equations, and directions
    below rounding (``s < s_max * n * eps``) count neither as projection nor as
    fitted coefficients.

    References
    ----------
    H. Jaeger (2001). Short term memory in echo state networks. GMD Report 152,
    German National Research Center for Information Technology.

    M. Ezekiel (1930). Methods of Correlation Analysis. Wiley, New York.

    M. H. Quenouille (1949). Approximate tests of correlation in time-series.
    Journal of the Royal Statistical Society, Series B, 11(1), 68-84.

    K. P. White Jr. (1997). An effective truncation heuristic for bias reduction in
    simulation output. Simulation, 69(6), 323-334.

    K. Hoad, S. Robinson and R. Davies (2010). Automating warm-up length estimation.
    Journal of the Operational Research Society, 61(9), 1389-1403.

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
    >>> held_out = memory_capacity(res, method="held_out", test_size=0.2,
    ...                            random_state=0)
    >>> bool(0 < held_out <= 20)
    True
    """
    if test_size is not None and method != "held_out":
        raise ValueError(
            f"test_size={test_size!r} applies only to method='held_out'; the "
            "'debiased' estimate uses every step."
        )
    rng = check_random_state(random_state)

    def drive_to_fit():
        return np.zeros((1, 1)) if series is None else _as_2d(series)

    network = network_of(reservoir, drive_to_fit)
    n_units, n_features = network.n_units, network.n_features
    max_delay = 2 * n_units if max_delay is None else max_delay
    settle = washout is None and series is None
    washout = max_delay if washout is None else washout
    start = max(washout, max_delay)
    if series is None:
        if n_steps is None:
            n_steps = max(_MIN_DEFAULT_STEPS, _DEFAULT_STEPS_PER_UNIT * n_units)
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

    need = _MIN_STEPS_PER_COEFFICIENT * (n_units + 1)
    if method == "held_out":
        test_size = 0.2 if test_size is None else test_size
        # A count only when integral: np.float32(0.2) is no Python float but a share.
        if isinstance(test_size, numbers.Integral):
            n_test = int(test_size)
        else:
            n_test = round(float(test_size) * n_steps)
        n_train = n_steps - n_test
        if n_test < 2 or n_train < 2:
            raise ValueError(
                f"test_size={test_size} leaves {n_train} training and {n_test} held-out "
                f"steps of n_steps={n_steps}; both need at least 2."
            )
        if n_train < need:
            raise ValueError(
                f"{n_train} training steps (n_steps={n_steps} less test_size={test_size}) "
                f"are too few for {n_units} units: a meaningful readout needs at least "
                f"{need} ({_MIN_STEPS_PER_COEFFICIENT} per state and intercept)."
            )
    else:
        n_train = n_steps
        if n_steps < need:
            raise ValueError(
                f"n_steps={n_steps} is too few for {n_units} units: the debiased "
                f"estimate needs at least {need} steps "
                f"({_MIN_STEPS_PER_COEFFICIENT} per state and intercept)."
            )

    def draw(n):
        return input_scaling * rng.uniform(-1.0, 1.0, size=(n, n_features))

    work = n_train * n_units * (n_units + max_delay * n_features)  # the two products
    with blas_threads_for(work, MEMORY_SINGLE_THREAD_MAX_WORK):
        if settle:
            u, start, states = _settled_run(network, draw, start, n_steps)
        else:
            if series is None:
                u = draw(start + n_steps)
            states = _states(network, u)[start:]
        targets = _DelayTargets(u, start, n_steps, max_delay)
        peak = np.max(np.abs(states)) if states.size else 0.0
        if not np.isfinite(peak):  # a diverging network: no estimate
            curve = np.full(targets.n_columns, np.nan)
        else:
            if peak > 0:  # R^2 ignores the scale; this keeps huge states' Grams finite
                states /= peak
            if method == "held_out":
                curve = _held_out_curve(states, targets, n_train)
            else:
                curve = _debiased_curve(states, targets)
    curve = curve.reshape(max_delay, n_features).sum(axis=1)
    # The population value's range: N bounds it for an i.i.d. drive only (Jaeger
    # 2001); a correlated series can be recalled at every delay.
    bound = max_delay * n_features if series is not None else min(n_units, max_delay * n_features)
    mc = float(np.clip(curve.sum(), 0.0, bound))
    return (mc, curve) if return_curve else mc


class _DelayTargets:
    """The targets u_{t-k}: a row per step, a column per delay and feature, delay-major.

    Built block by block from a view of u, so memory stays O(N T) for the states plus
    one block, not O(T K d) (320 MB for N = 1000 and K = 2N at 20000 steps).
    """

    def __init__(self, u, start, n_steps, max_delay):
        # windows[t, c, k - 1] = u[start + t - k, c]: reversed windows of u, a view.
        windows = np.lib.stride_tricks.sliding_window_view(u, max_delay, axis=0)
        self._windows = windows[start - max_delay : start - max_delay + n_steps, :, ::-1]
        self.n_columns = max_delay * u.shape[1]
        self._block = max(1, _TARGET_BLOCK_ELEMENTS // self.n_columns)

    def __call__(self, lo, hi):
        """Target rows lo..hi-1, a fresh array."""
        rows = self._windows[lo:hi].transpose(0, 2, 1)
        return np.ascontiguousarray(rows).reshape(hi - lo, -1)

    def blocks(self, lo, hi):
        """Row ranges covering lo..hi-1, one block each."""
        return [(a, min(a + self._block, hi)) for a in range(lo, hi, self._block)]

    def cross(self, X, lo, hi, shift=None):
        """``X.T @ (Y[lo:hi] - shift)`` with X the matching rows, block by block."""
        out = np.zeros((X.shape[1], self.n_columns))
        for a, b in self.blocks(lo, hi):
            y = self(a, b)
            if shift is not None:
                y -= shift
            out += X[a - lo : b - lo].T @ y
        return out


def _debiased_curve(states, targets):
    """Jackknifed adjusted in-sample R^2 per (delay, feature), delay-major.

    ``states`` (this call's own array) is centred in place.
    """
    n_steps, n_units = states.shape
    half = n_steps // 2
    segments = [(0, half), (half, n_steps)]

    # Targets centred by their mean over all steps (the intercept absorbs it; this
    # only avoids cancellation), with their sums and sums of squares per half.
    target_mean = sum(targets(a, b).sum(axis=0) for a, b in targets.blocks(0, n_steps))
    target_mean /= n_steps
    sums, squares = np.zeros((2, 2, targets.n_columns))
    for i, (lo, hi) in enumerate(segments):
        for a, b in targets.blocks(lo, hi):
            y = targets(a, b)
            y -= target_mean
            sums[i] += y.sum(axis=0)
            squares[i] += np.einsum("ij,ij->j", y, y)
    lengths = np.array([hi - lo for lo, hi in segments], dtype=float)
    half_var = squares - sums**2 / lengths[:, None]
    full_var = squares.sum(axis=0)

    mean = states.mean(axis=0)
    half_means = [states[lo:hi].mean(axis=0) for lo, hi in segments]
    r2 = _normal_equations_r2(states, targets, segments, mean, half_means, sums)
    if r2 is None:
        r2 = _qr_r2(states, targets, segments, mean, target_mean)
    (full_r2, full_rank), *halves = r2

    def adjusted(r2, variance, n, rank):
        out = np.zeros_like(r2)
        np.divide(r2, variance, out=out, where=variance > 0)
        return np.where(variance > 0, 1.0 - (1.0 - out) * (n - 1) / (n - rank - 1), 0.0)

    full = adjusted(full_r2, full_var, n_steps, full_rank)
    parts = [
        adjusted(h_r2, half_var[i], lengths[i], h_rank) for i, (h_r2, h_rank) in enumerate(halves)
    ]
    # Weights that cancel a c / n bias: a - 2 b = 1 and a / n = b (1/n_1 + 1/n_2);
    # a = 2, b = 1/2 for equal halves.
    b = 1.0 / (n_steps * (1.0 / lengths).sum() - 2.0)
    return (1.0 + 2.0 * b) * full - b * (parts[0] + parts[1])


def _normal_equations_r2(states, targets, segments, mean, half_means, sums):
    """Explained sums of squares from one Cholesky per segment, or None if any of the
    three Grams is too ill-conditioned for them. Centres ``states`` by half.

    Returns ``[(ess_full, N), (ess_half_1, N), (ess_half_2, N)]``: explained sum of
    squares per target column and the number of coefficients.
    """
    n_units = states.shape[1]
    grams, crosses = [], []
    for (lo, hi), m in zip(segments, half_means, strict=True):
        states[lo:hi] -= m
        grams.append(states[lo:hi].T @ states[lo:hi])
    # The full run, centred by its own mean: each half's rows are A_h + 1 d_h^T with
    # A_h centred by the half's mean, so Gram and cross products add up exactly.
    offsets = [m - mean for m in half_means]
    full_gram = sum(
        g + (hi - lo) * np.outer(d, d)
        for g, d, (lo, hi) in zip(grams, offsets, segments, strict=True)
    )
    factors = [cholesky_factor(g) for g in [full_gram, *grams]]
    if any(f is None for f in factors):
        for (lo, hi), m in zip(segments, half_means, strict=True):  # back to the raw states
            states[lo:hi] += m
        return None
    for lo, hi in segments:
        crosses.append(targets.cross(states[lo:hi], lo, hi))
    full_cross = sum(c + np.outer(d, s) for c, d, s in zip(crosses, offsets, sums, strict=True))
    out = []
    for factor, cross in zip(factors, [full_cross, *crosses], strict=True):
        z = linalg.solve_triangular(factor, cross, trans="T", check_finite=False)
        out.append((np.einsum("ij,ij->j", z, z), n_units))
    return out


def _qr_r2(states, targets, segments, mean, target_mean):
    """Explained sums of squares from a Householder QR of each half with the
    intercept, the full run's from the two triangular factors stacked (a tall-skinny
    QR). Rank-aware: directions below rounding (``s < s_max * n * eps``) count
    neither as projection nor as coefficients.

    Returns ``[(ess_full, rank), (ess_half_1, rank), (ess_half_2, rank)]``.
    """
    n_steps, n_units = states.shape
    # The intercept column, scaled like the states so that it does not set the rank
    # tolerance of their directions.
    scale = float(np.sqrt(np.mean((states - mean) ** 2))) or 1.0
    triangles, coordinates, out = [], [], []
    for lo, hi in segments:
        design = np.empty((hi - lo, n_units + 1))
        design[:, 0] = scale
        np.subtract(states[lo:hi], mean, out=design[:, 1:])
        q, r = linalg.qr(design, mode="economic", overwrite_a=True, check_finite=False)
        del design
        qy = targets.cross(q, lo, hi, shift=target_mean)  # Q.T y, y centred
        del q
        triangles.append(r)
        coordinates.append(qy)
        out.append(_projected(r, qy, hi - lo))
    # The full run's design is blockdiag(Q_1, Q_2) [R_1; R_2], and its Q.T y the
    # stacked coordinates projected on the stacked factor's Q.
    q, r = linalg.qr(np.vstack(triangles), mode="economic", check_finite=False)
    full = _projected(r, q.T @ np.vstack(coordinates), n_steps)
    return [full, *out]


def _projected(r, qy, n):
    """Explained sum of squares beyond the intercept, and the number of coefficients
    beyond it, for a design ``Q r`` (intercept first) and coordinates ``qy = Q.T y``."""
    # The intercept's own share, (c.T y)^2 / |c|^2 for the constant column
    # c = Q r[:, 0] (the design's first column, never zero).
    c = r[:, 0]
    intercept = (c @ qy) ** 2 / (c @ c)
    s = linalg.svdvals(r, check_finite=False)
    tol = s[0] * max(n, r.shape[1]) * np.finfo(np.float64).eps
    rank = int(np.count_nonzero(s > tol))
    if rank < r.shape[1]:  # rotate onto the singular directions, drop the null ones
        u = linalg.svd(r, check_finite=False)[0]
        qy = u[:, :rank].T @ qy
    total = np.einsum("ij,ij->j", qy, qy)
    return total - intercept, rank - 1


def _held_out_curve(states, targets, n_train):
    """Held-out squared correlations, one per (delay, feature), delay-major."""
    n_steps = states.shape[0]
    # States centred by their training mean: the intercept then needs no centred
    # targets (X.T @ 1 = 0), and the correlations ignore its value. (In place: these
    # are this call's own arrays, and fresh pages cost as much as the arithmetic.)
    states -= states[:n_train].mean(axis=0)
    train = states[:n_train]
    # One factorisation for every target column; an SVD-based least squares
    # (minimum norm, on the targets built whole) for ill-conditioned states.
    coef = solve_normal_equations(
        train.T @ train,
        lambda: targets.cross(train, 0, n_train),
        lambda: linalg.lstsq(train, targets(0, n_train), check_finite=False)[0],
    )

    # Held out: squared correlations from sums over blocks of predictions and targets,
    # each centred by its mean over the held-out steps.
    test = states[n_train:]
    test_blocks = targets.blocks(n_train, n_steps)
    target_mean = sum(targets(a, b).sum(axis=0) for a, b in test_blocks) / len(test)
    prediction_mean = test.mean(axis=0) @ coef
    cov, prediction_var, target_var = np.zeros((3, targets.n_columns))
    for a, b in test_blocks:
        y = targets(a, b)
        y -= target_mean
        p = test[a - n_train : b - n_train] @ coef
        p -= prediction_mean
        cov += np.einsum("ij,ij->j", p, y)
        prediction_var += np.einsum("ij,ij->j", p, p)
        target_var += np.einsum("ij,ij->j", y, y)
    var = prediction_var * target_var
    out = np.zeros(targets.n_columns)
    np.divide(cov * cov, var, out=out, where=var > 0)
    return out


def _as_2d(series):
    series = np.asarray(series, dtype=np.float64)
    return series[:, None] if series.ndim == 1 else series
