"""WCRNNReservoir: a weakly coupled residual reservoir as a scikit-learn transformer."""

import numbers
import warnings

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _kernels
from ._validation import make_packing, pack, unpack, validate_sequences
from .analysis import lyapunov_spectrum, memory_capacity
from .residuals import RESIDUAL_NAMES, BaseResidual, make_residual

__all__ = [
    "WCRNNReservoir",
    "SupercriticalResidualWarning",
    "input_weight_matrix",
    "random_bias",
    "recurrent_weight_matrix",
]

_ACTIVATIONS = {
    "tanh": _kernels.ACTIVATION_TANH,
    "relu": _kernels.ACTIVATION_RELU,
    "identity": _kernels.ACTIVATION_IDENTITY,
}
# W runs as CSR when at most this fraction of its entries is non-zero (the `density`
# parameter for a drawn W); above it a dense product is faster. One series and a
# batch cross over at different densities, since a batch reuses each dense row of W
# across sequences (benchmarks/bench_sparse.py: 0.08-0.12 and 0.015-0.033).
SPARSE_MAX_DENSITY = {"series": 0.1, "batch": 0.02}
# Largest window (rows x units) of states run at once; longer inputs run in windows.
_WINDOW_ELEMENTS = 1 << 21
# Up to this many input features, U x_t is applied inside the step; above it, one
# GEMM per window computes the drive U x_t + b first.
_MAX_FUSED_FEATURES = 16


class SupercriticalResidualWarning(UserWarning):
    """A linear residual has spectral radius above 1, so states can grow without bound.

    :class:`WCRNNReservoir` issues it in ``fit``.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from wcrnn_rc import SupercriticalResidualWarning, WCRNNReservoir
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = WCRNNReservoir(n_units=4, residual_scale=1.1).fit(np.zeros((5, 1)))
    >>> any(w.category is SupercriticalResidualWarning for w in caught)
    True
    """


# --------------------------------------------------------------------------------------
# Free functions: random matrices
# --------------------------------------------------------------------------------------


def recurrent_weight_matrix(n_units, *, density=1.0, gain=1.0, random_state=None):
    """Draw the recurrent weights W of the weakly coupled branch.

    Entries are N(0, gain**2 / (density * n_units)) on a random pattern that keeps
    each entry with probability ``density``, so the spectral radius of W is about
    ``gain`` (the circular law).

    Parameters
    ----------
    n_units : int
        Number of units.
    density : float, default=1.0
        Expected fraction of non-zero entries, in (0, 1].
    gain : float, default=1.0
        Approximate spectral radius g.
    random_state : int, RandomState instance or None, default=None
        Controls the draw. Pass an int for reproducible output across multiple
        function calls.

    Returns
    -------
    W : ndarray of shape (n_units, n_units)

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc.reservoir import recurrent_weight_matrix
    >>> W = recurrent_weight_matrix(400, gain=0.5, random_state=0)
    >>> round(float(np.max(np.abs(np.linalg.eigvals(W)))), 1)
    0.5
    """
    rng = check_random_state(random_state)
    W = rng.standard_normal((n_units, n_units)) * (gain / np.sqrt(density * n_units))
    if density < 1.0:
        W[rng.random_sample((n_units, n_units)) >= density] = 0.0
    return W


def input_weight_matrix(n_units, n_features, *, scaling=1.0, random_state=None):
    """Draw input weights U with entries uniform on [-scaling, scaling].

    Parameters
    ----------
    n_units : int
        Number of units.
    n_features : int
        Number of input features d.
    scaling : float, default=1.0
        Half-width of the uniform distribution.
    random_state : int, RandomState instance or None, default=None
        Controls the draw. Pass an int for reproducible output across multiple
        function calls.

    Returns
    -------
    U : ndarray of shape (n_units, n_features)

    Examples
    --------
    >>> from wcrnn_rc.reservoir import input_weight_matrix
    >>> input_weight_matrix(3, 2, scaling=0.5, random_state=0).shape
    (3, 2)
    """
    rng = check_random_state(random_state)
    return rng.uniform(-1.0, 1.0, size=(n_units, n_features)) * scaling


def random_bias(n_units, *, scaling=1.0, random_state=None):
    """Draw a bias b with entries uniform on [-scaling, scaling].

    Parameters
    ----------
    n_units : int
        Number of units.
    scaling : float, default=1.0
        Half-width of the uniform distribution.
    random_state : int, RandomState instance or None, default=None
        Controls the draw. Pass an int for reproducible output across multiple
        function calls.

    Returns
    -------
    b : ndarray of shape (n_units,)

    Examples
    --------
    >>> from wcrnn_rc.reservoir import random_bias
    >>> random_bias(4, scaling=0.0, random_state=0)
    array([0., 0., 0., 0.])
    """
    rng = check_random_state(random_state)
    return rng.uniform(-1.0, 1.0, size=n_units) * scaling


def _csr_arrays(W):
    """CSR ``(indptr, indices, data)`` of a dense square matrix, for the kernels."""
    rows, cols = np.nonzero(W)
    indptr = np.searchsorted(rows, np.arange(W.shape[0] + 1)).astype(np.int64)
    return indptr, cols.astype(np.int64), W[rows, cols]


def _check_explicit(array, name, shape):
    """Validate a user-given weight array against its expected shape."""
    try:
        array = np.array(array, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array: {exc}") from exc
    if array.shape != shape:
        raise ValueError(f"{name} has shape {array.shape}; expected {shape}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return array


# --------------------------------------------------------------------------------------
# The transformer
# --------------------------------------------------------------------------------------


class WCRNNReservoir(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Weakly coupled residual reservoir (a fixed random WCRNN) as a transformer.

    The state follows ``h_t = rho(h_{t-1}) + coupling * f(W h_{t-1} + U x_t + b)``
    from ``h_0 = 0``: a fixed residual map rho carries memory forward and a weakly
    coupled random recurrent branch adds computation. ``fit`` only draws the weights;
    ``transform`` runs the network (numba kernels, no Python per time step).

    Input shapes:

    - a 2-D array ``(n_steps, n_features)`` is one time series; ``transform``
      returns its states ``(n_steps, n_units)``, one row per time step;
    - a 3-D array ``(n_sequences, n_steps, n_features)`` or a list of 2-D arrays
      ``(n_steps_i, n_features)`` (lengths may differ) is a set of sequences;
      ``transform`` returns one row per sequence, chosen by ``sequence_features``.

    The computation runs in the input's dtype (float32 or float64; other input is
    converted to float64).

    Parameters
    ----------
    n_units : int, default=100
        Number of units N.
    residual : str, BaseResidual, ndarray or callable, default="rotational"
        The residual map rho:

        - ``"identity"``: ``residual_scale * I``;
        - ``"orthogonal"``: ``residual_scale * Q``, Q Haar-random orthogonal;
        - ``"rotational"``: ``residual_scale`` times 2x2 rotations with angles
          spread over (0, pi) (use :class:`~wcrnn_rc.residuals.RotationalResidual`
          for given, random or data-chosen angles);
        - ``"heterogeneous"``: ``diag(exp(-1 / tau_i))``, tau log-uniform over
          1..100 steps (use :class:`~wcrnn_rc.residuals.HeterogeneousResidual` for
          another range);
        - ``"tanh"``: the non-linear ``residual_scale * tanh(h)``;
        - ``"none"``: 0, a plain ESN when ``coupling=1``;
        - a residual object from :mod:`wcrnn_rc.residuals` (cloned in ``fit``);
        - an array R of shape (n_units, n_units);
        - a callable ``func(n_units, random_state) -> R``.
    residual_scale : float, default=0.95
        lambda for ``"identity"``, ``"orthogonal"``, ``"rotational"`` and
        ``"tanh"``. Ignored for the other residuals, which carry their own scale.
        Below 1 the residual is subcritical (fading memory with timescale
        ``-1 / log(lambda)`` steps); above 1 states can grow without bound.
    coupling : float, default=0.1
        Coupling eps of the non-linear branch.
    activation : {"tanh", "relu", "identity"}, default="tanh"
        Activation f of the non-linear branch.
    recurrent_gain : float, default=1.0
        Approximate spectral radius of W, see :func:`~wcrnn_rc.reservoir.recurrent_weight_matrix`.
    density : float, default=1.0
        Fraction of non-zero entries of W. At or below 0.1 for one series, or 0.02
        for a batch of sequences, the kernels use a sparse (CSR) product.
    input_scaling : float, default=1.0
        U is uniform on [-input_scaling, input_scaling].
    bias_scaling : float, default=0.1
        b is uniform on [-bias_scaling, bias_scaling].
    sequence_features : {"last", "mean", "both"}, default="last"
        Features ``transform`` returns per sequence for 3-D or list input: the last
        state, the mean state over time, or both concatenated ``[last, mean]``.
    recurrent_weights : array-like of shape (n_units, n_units), default=None
        Explicit W; replaces the random draw.
    input_weights : array-like of shape (n_units, n_features), default=None
        Explicit U; replaces the random draw.
    bias : array-like of shape (n_units,), default=None
        Explicit b; replaces the random draw.
    random_state : int, RandomState instance or None, default=None
        Controls the random residual, W, U and b, each drawn from its own seed so
        that giving one explicitly leaves the others unchanged. Pass an int for
        reproducible output across multiple function calls.

    Attributes
    ----------
    residual_ : BaseResidual
        The built residual, with ``eigenvalues_`` and ``spectral_radius_``.
    recurrent_weights_ : ndarray of shape (n_units, n_units)
        W.
    input_weights_ : ndarray of shape (n_units, `n_features_in_`)
        U.
    bias_ : ndarray of shape (n_units,)
        b.
    n_features_in_ : int
        Number of input features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when X has string feature names.
    residual_lyapunov_exponents_ : ndarray of shape (n_units,)
        The theory: ``log|eig R|``, largest first (for the ``tanh`` residual, of its
        linearisation at 0). Free: no simulation.
    lyapunov_exponents_ : ndarray of shape (min(n_units, 100),)
        Numeric Lyapunov spectrum per step, largest first: computed on first access by
        :func:`~wcrnn_rc.analysis.lyapunov_spectrum` with i.i.d. uniform [-1, 1] drive,
        2000 steps after a washout of 500, ``random_state=0``; then cached.
    memory_capacity_ : float
        Linear memory capacity, computed on first access by
        :func:`~wcrnn_rc.analysis.memory_capacity` with its defaults and
        ``random_state=0`` (delays up to ``2 * n_units``); then cached.
    memory_curve_ : ndarray of shape (2 * n_units,)
        ``MC_k`` for k = 1..2N, computed and cached with ``memory_capacity_``.

    See Also
    --------
    WCRNNRegressor : A reservoir with a trained readout for regression.
    WCRNNClassifier : A reservoir with a trained readout for classification.

    Notes
    -----
    With ``residual=(1 - a) * I`` (``"identity"``, ``residual_scale=1 - a``) and
    ``coupling=a`` the states are exactly those of a leaky echo-state network with
    leak rate ``a``; with ``residual="none"`` and ``coupling=1``, of a plain ESN.

    ``fit`` fixes everything drawn or built (the residual, W, U, b and W's storage);
    ``coupling``, ``activation`` and ``sequence_features`` are read each time the
    reservoir runs, so changing them after ``fit`` takes effect at once.

    A linear residual with spectral radius above 1 raises a
    :class:`SupercriticalResidualWarning` in ``fit``; states that overflow raise a
    ``FloatingPointError`` rather than coming back as NaN or infinity.

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc import WCRNNReservoir
    >>> X = np.sin(np.linspace(0, 20, 200))[:, None]
    >>> res = WCRNNReservoir(n_units=50, random_state=0).fit(X)
    >>> res.transform(X).shape
    (200, 50)
    >>> batch = np.random.default_rng(0).normal(size=(8, 30, 1))
    >>> res.transform(batch).shape          # one row per sequence
    (8, 50)
    """

    _parameter_constraints: dict = {
        "n_units": [Interval(numbers.Integral, 1, None, closed="left")],
        "residual": [StrOptions(set(RESIDUAL_NAMES)), BaseResidual, "array-like", callable],
        "residual_scale": [Interval(numbers.Real, None, None, closed="neither")],
        "coupling": [Interval(numbers.Real, 0, None, closed="left")],
        "activation": [StrOptions(set(_ACTIVATIONS))],
        "recurrent_gain": [Interval(numbers.Real, 0, None, closed="left")],
        "density": [Interval(numbers.Real, 0, 1, closed="right")],
        "input_scaling": [Interval(numbers.Real, 0, None, closed="left")],
        "bias_scaling": [Interval(numbers.Real, 0, None, closed="left")],
        "sequence_features": [StrOptions({"last", "mean", "both"})],
        "recurrent_weights": ["array-like", None],
        "input_weights": ["array-like", None],
        "bias": ["array-like", None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_units=100,
        *,
        residual="rotational",
        residual_scale=0.95,
        coupling=0.1,
        activation="tanh",
        recurrent_gain=1.0,
        density=1.0,
        input_scaling=1.0,
        bias_scaling=0.1,
        sequence_features="last",
        recurrent_weights=None,
        input_weights=None,
        bias=None,
        random_state=None,
    ):
        self.n_units = n_units
        self.residual = residual
        self.residual_scale = residual_scale
        self.coupling = coupling
        self.activation = activation
        self.recurrent_gain = recurrent_gain
        self.density = density
        self.input_scaling = input_scaling
        self.bias_scaling = bias_scaling
        self.sequence_features = sequence_features
        self.recurrent_weights = recurrent_weights
        self.input_weights = input_weights
        self.bias = bias
        self.random_state = random_state

    # ---------------------------------------------------------------- fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Draw the weights and build the residual for inputs like ``X``.

        Parameters
        ----------
        X : array-like of shape (n_steps, n_features) or (n_sequences, n_steps, \
                n_features), or list of array-like of shape (n_steps_i, n_features)
            Training input. Only its number of features matters, except for a
            residual chosen from the data (rotation angles ``"data"``).
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted reservoir.
        """
        seqs = validate_sequences(self, X, reset=True)
        self._build(seqs)
        return self

    def _build(self, seqs):
        n_units, n_features = self.n_units, seqs.n_features
        rng = check_random_state(self.random_state)
        seeds = rng.randint(np.iinfo(np.int32).max, size=4)

        self.residual_ = make_residual(self.residual, self.residual_scale).build(
            n_units, X=seqs.data, random_state=seeds[0]
        )
        if self.recurrent_weights is None:
            W = recurrent_weight_matrix(
                n_units, density=self.density, gain=self.recurrent_gain, random_state=seeds[1]
            )
        else:
            W = _check_explicit(self.recurrent_weights, "recurrent_weights", (n_units, n_units))
        if self.input_weights is None:
            U = input_weight_matrix(
                n_units, n_features, scaling=self.input_scaling, random_state=seeds[2]
            )
        else:
            U = _check_explicit(self.input_weights, "input_weights", (n_units, n_features))
        if self.bias is None:
            b = random_bias(n_units, scaling=self.bias_scaling, random_state=seeds[3])
        else:
            b = _check_explicit(self.bias, "bias", (n_units,))
        self.recurrent_weights_, self.input_weights_, self.bias_ = W, U, b
        self._dynamics_cache = {}
        self._n_features_out = n_units
        # Kernel layouts of W, made once: W.T for dense products, CSR when W is sparse
        # enough for either path; the path itself is chosen per call.
        self._w_density = (
            self.density if self.recurrent_weights is None else (np.count_nonzero(W) / W.size)
        )
        self._w_transposed = np.ascontiguousarray(W.T)
        self._w_csr = None
        if self._w_density <= max(SPARSE_MAX_DENSITY.values()):
            self._w_csr = _csr_arrays(W)

        # Critical residuals (radius 1 up to rounding) are allowed; above it states grow.
        if self.residual_.is_linear and self.residual_.spectral_radius_ > 1.0 + 1e-9:
            warnings.warn(
                f"The residual has spectral radius {self.residual_.spectral_radius_:.3g} "
                "> 1 (supercritical): states can grow without bound. Use a residual "
                "scale below 1 for fading memory.",
                SupercriticalResidualWarning,
                stacklevel=3,
            )

    # ---------------------------------------------------------------- running

    def _operands(self, dtype, batched):
        """Kernel arguments for weights cast to ``dtype`` (no state is kept)."""
        if self._w_density <= SPARSE_MAX_DENSITY["batch" if batched else "series"]:
            csr = self._w_csr if self._w_csr is not None else _csr_arrays(self.recurrent_weights_)
            indptr, indices, data = csr
            sparse = (indptr, indices, data.astype(dtype, copy=False))
            recurrent_t = np.zeros((0, 0), dtype=dtype)
        else:
            sparse = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, dtype))
            recurrent_t = self._w_transposed.astype(dtype, copy=False)
        return (recurrent_t, *sparse, *self.residual_.kernel_operands(dtype))

    def _kernel_arguments(self, dtype, batched):
        """``(U.T, b, operands, activation code)`` in ``dtype``, as the kernels take them."""
        input_t = np.ascontiguousarray(self.input_weights_.T, dtype=dtype)
        bias = self.bias_.astype(dtype)
        return input_t, bias, self._operands(dtype, batched), _ACTIVATIONS[self.activation]

    def _initial_states(self, initial_state, n_seq, dtype):
        if initial_state is None:
            return np.zeros((n_seq, self.n_units), dtype=dtype)
        h0 = np.asarray(initial_state, dtype=dtype)
        if h0.shape == (self.n_units,):
            h0 = np.broadcast_to(h0, (n_seq, self.n_units))
        if h0.shape != (n_seq, self.n_units):
            raise ValueError(
                f"initial_state has shape {np.shape(initial_state)}; expected "
                f"({self.n_units},) or ({n_seq}, {self.n_units})."
            )
        if not np.all(np.isfinite(h0)):
            raise ValueError("initial_state contains NaN or infinity.")
        return np.array(h0, dtype=dtype, order="C")

    def _state_windows(self, seqs, packing, *, out=None, store_states=False, initial_state=None):
        """Run the network window by window over time.

        Yields ``(rows, states, last, total)`` per window of steps: ``rows`` is the
        slice of packed rows the window covers, ``states`` their packed states,
        ``last`` the state of every sequence after the window (packed order) and
        ``total`` the window's sum of states per sequence. States go into ``out[rows]``
        when ``out`` (all packed rows) is given, else into one window buffer reused
        for every window when ``store_states``, else nowhere (``states`` is empty).
        Only one window's input is held at a time.
        """
        dtype = seqs.dtype
        packed_x = seqs.data[0] if len(seqs) == 1 else pack(seqs.data, packing)
        input_t, bias, operands, activation = self._kernel_arguments(
            dtype, batched=packing.batch_sizes[0] > 1
        )
        fused = input_t.shape[0] <= _MAX_FUSED_FEATURES
        h = self._initial_states(initial_state, len(seqs), dtype)[packing.order]

        step_rows = np.concatenate([[0], np.cumsum(packing.batch_sizes)])
        max_rows = max(1, _WINDOW_ELEMENTS // self.n_units)
        buffer = np.empty((0, self.n_units), dtype)  # grown once, reused by every window
        t0, n_steps = 0, len(packing.batch_sizes)
        while t0 < n_steps:
            t1 = np.searchsorted(step_rows, step_rows[t0] + max_rows, side="right") - 1
            t1 = min(max(t1, t0 + 1), n_steps)
            rows = slice(step_rows[t0], step_rows[t1])
            n_rows = rows.stop - rows.start
            if out is not None:
                states = out[rows]
            elif store_states:
                if buffer.shape[0] < n_rows:
                    buffer = np.empty((n_rows, self.n_units), dtype)
                states = buffer[:n_rows]
            else:
                states = buffer[:0]
            if fused:
                inputs, kernel_input_t = packed_x[rows], input_t
            else:  # one GEMM for the window's drive beats per-step products
                inputs, kernel_input_t = packed_x[rows] @ input_t + bias, input_t[:0]
            h, total = _kernels.run_packed(
                np.ascontiguousarray(inputs),
                kernel_input_t,
                bias,
                packing.batch_sizes[t0:t1],
                h,
                *operands,
                self.coupling,
                activation,
                states,
            )
            # Non-finite states persist (inf and NaN propagate through rho and W), so
            # the sums catch a blow-up anywhere in the window.
            if not np.all(np.isfinite(total)):
                raise FloatingPointError(
                    f"Reservoir states became NaN or infinite by time step {t1}. "
                    f"The residual's spectral radius is "
                    f"{self.residual_.spectral_radius_:.3g}"
                    + (" (> 1, supercritical)" if self.residual_.spectral_radius_ > 1 else "")
                    + "; lower residual_scale, coupling, recurrent_gain or the input "
                    "scaling, or use dtype float64."
                )
            yield rows, states, h, total
            t0 = t1

    def _run(self, seqs, *, store_states, initial_state=None):
        """Run all sequences; return (states list or None, last, total) in input order."""
        n_rows = int(seqs.lengths.sum())
        packed_states = np.empty((n_rows, self.n_units), seqs.dtype) if store_states else None
        packing = make_packing(seqs.lengths)
        total = 0.0
        for _, _, last_so_far, window_total in self._state_windows(
            seqs, packing, out=packed_states, initial_state=initial_state
        ):
            last, total = last_so_far, total + window_total
        inverse = np.argsort(packing.order)
        last, total = last[inverse], total[inverse]
        if not store_states:
            return None, last, total
        if len(seqs) == 1:
            return [packed_states], last, total
        return unpack(packed_states, packing), last, total

    def _sequence_features(self, last, total, lengths):
        if self.sequence_features == "last":
            return last
        mean = total / lengths[:, None].astype(total.dtype)
        if self.sequence_features == "mean":
            return mean
        return np.hstack([last, mean])

    def transform(self, X):
        """Run the reservoir and return its states or per-sequence features.

        Parameters
        ----------
        X : array-like of shape (n_steps, n_features) or (n_sequences, n_steps, \
                n_features), or list of array-like of shape (n_steps_i, n_features)
            Input.

        Returns
        -------
        X_new : ndarray of shape (n_steps, n_units) or (n_sequences, n_features_out)
            States for one series; for sequences, the last state, the mean state
            (``n_units`` columns each) or both (``2 * n_units`` columns), as set by
            ``sequence_features``.
        """
        check_is_fitted(self)
        seqs = validate_sequences(self, X, reset=False)
        if seqs.kind == "series":
            states, _, _ = self._run(seqs, store_states=True)
            return states[0]
        _, last, total = self._run(seqs, store_states=False)
        return self._sequence_features(last, total, seqs.lengths)

    def run(self, X, initial_state=None):
        """Return the full state trajectories.

        Parameters
        ----------
        X : array-like of shape (n_steps, n_features) or (n_sequences, n_steps, \
                n_features), or list of array-like of shape (n_steps_i, n_features)
            Input.
        initial_state : array-like of shape (n_units,) or (n_sequences, n_units), \
                default=None
            h_0 for every sequence, or one per sequence; zeros when None.

        Returns
        -------
        states : ndarray of shape (n_steps, n_units) or (n_sequences, n_steps, \
                n_units), or list of ndarray of shape (n_steps_i, n_units)
            Matches the input: a 2-D array for a series, a 3-D array for a 3-D
            batch, a list for a list.

        Examples
        --------
        >>> import numpy as np
        >>> from wcrnn_rc import WCRNNReservoir
        >>> X = np.zeros((5, 10, 2))
        >>> res = WCRNNReservoir(n_units=8, random_state=0).fit(X)
        >>> res.run(X).shape
        (5, 10, 8)
        >>> [s.shape for s in res.run([X[0], X[0, :3]])]
        [(10, 8), (3, 8)]
        """
        check_is_fitted(self)
        seqs = validate_sequences(self, X, reset=False)
        states, _, _ = self._run(seqs, store_states=True, initial_state=initial_state)
        if seqs.kind == "series":
            return states[0]
        if seqs.kind == "batch":
            return np.stack(states)
        return states

    # ---------------------------------------------------------------- dynamics

    def _cached_dynamics(self, name, compute):
        # coupling and activation are read at run time, so they are part of the key.
        check_is_fitted(self)
        key = (name, self.coupling, self.activation)
        if key not in self._dynamics_cache:
            self._dynamics_cache[key] = compute()
        return self._dynamics_cache[key]

    @property
    def residual_lyapunov_exponents_(self):
        """ndarray of shape (n_units,): ``log|eig R|``, largest first (the theory)."""
        check_is_fitted(self)
        with np.errstate(divide="ignore"):  # a zero eigenvalue contracts at once: -inf
            return np.log(np.abs(self.residual_.eigenvalues_))

    @property
    def lyapunov_exponents_(self):
        """ndarray of shape (min(n_units, 100),): numeric Lyapunov spectrum, cached."""
        return self._cached_dynamics(
            "lyapunov",
            lambda: lyapunov_spectrum(
                self,
                n_exponents=min(self.n_units, 100),
                n_steps=2000,
                washout=500,
                random_state=0,
            ),
        )

    def _memory(self):
        return self._cached_dynamics(
            "memory", lambda: memory_capacity(self, return_curve=True, random_state=0)
        )

    @property
    def memory_capacity_(self):
        """float: linear memory capacity with i.i.d. drive, delays up to 2N, cached."""
        return self._memory()[0]

    @property
    def memory_curve_(self):
        """ndarray of shape (2 * n_units,): ``MC_k`` for k = 1..2N, cached."""
        return self._memory()[1]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
