"""WCRNNReservoir: a weakly coupled residual reservoir as a scikit-learn transformer."""

import numbers
import threading

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph
import scipy.sparse.linalg
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from . import _config, _memory
from ._constants import ACTIVATIONS
from ._dask import is_dask_array, map_sequences
from ._network import (
    MODEL_SPACE_TARGETS,
    SEQUENCE_FEATURES,
    FeatureSpec,
    Network,
    dense_bytes,
    harvest_features,
    principal_axes,
    state_quantiles,
)
from ._validation import validate_sequences, warn_external
from .analysis import lyapunov_spectrum, memory_capacity
from .residuals import RESIDUAL_NAMES, BaseResidual, make_residual

__all__ = [
    "WCRNNReservoir",
    "DynamicsError",
    "DynamicsOverflowError",
    "SupercriticalResidualWarning",
    "input_weight_matrix",
    "random_bias",
    "recurrent_weight_matrix",
    "sparse_recurrent_weights",
    "spectral_radius",
]

# Parameters fixed by fit (the weights and the residual are drawn from them), and the
# ones read each time the network runs.
_STRUCTURAL_PARAMS = (
    "n_units",
    "residual",
    "residual_scale",
    "recurrent_gain",
    "density",
    "fan_in",
    "input_scaling",
    "bias_scaling",
    "recurrent_weights",
    "input_weights",
    "bias",
    "random_state",
    "model_space_components",
    "ppv_quantiles",
)
_RUN_TIME_PARAMS = (
    "coupling",
    "activation",
    "sequence_features",
    "n_segments",
    "model_space_target",
    "model_space_alpha",
    "bidirectional",
)
# Sequences whose states the model-space principal axes and the ppv quantiles are
# fitted on (evenly spaced).
_MAX_PCA_SEQUENCES = 256
# State entries sampled for the ppv quantiles: about _QUANTILE_SAMPLE_ROWS states
# per unit, spread over the run's sequences and steps (_network.sample_rows), at
# most _QUANTILE_SAMPLE_ELEMENTS (32 MB in float64).
# Sorting 4M entries took most of fit's time for WCRNNClassifier's default on
# OSULeaf (200 x 427 steps, 300 units); with 1024 rows the classification benchmark's
# mean accuracy moved by -0.002 to +0.001 (seeds 0-9 / 0-2), fit + predict 4-48% faster.
_QUANTILE_SAMPLE_ROWS = 1024
_QUANTILE_SAMPLE_ELEMENTS = 1 << 22
# The quantiles' run covers only as many training sequences (evenly spaced) as give
# about _QUANTILE_RUN_ROWS steps, and at least _MIN_QUANTILE_SEQUENCES (up to
# _MAX_PCA_SEQUENCES): it had run up to 256 whole sequences for 1024 kept rows, a
# second run over most training sets. Measured on the classification benchmark
# (seeds 0-9): mean accuracy 0.9461 with 256 sequences, 0.9472 with 32 (16: 0.9465);
# OSULeaf's fit + predict 0.52 s against 0.43 s.
_QUANTILE_RUN_ROWS = 4 * _QUANTILE_SAMPLE_ROWS
_MIN_QUANTILE_SEQUENCES = 32
# Range of the ppv quantile levels, drawn uniformly per unit and threshold.
_PPV_LEVELS = (0.05, 0.95)
_DEFAULT_RESIDUAL_SCALE = 0.95
# RMS of the training pre-activation U x + b above which fit warns: tanh'(10) ~ 8e-9.
# One-step prediction of a standardised series lost nothing at RMS 3, 0.006 in R^2 at
# 6, and fell below repeating the last value by 18 (docs/getting_started.md).
_SATURATION_RMS = 10.0
# Up to this many input features the saturation check uses the moments of U.
_SATURATION_MOMENTS_MAX_FEATURES = 64
# The named residuals that take their scale from residual_scale.
_SCALED_RESIDUALS = ("identity", "orthogonal", "rotational", "tanh")


def _uses_residual_scale(residual):
    return isinstance(residual, str) and residual in _SCALED_RESIDUALS


def _describe(residual):
    if isinstance(residual, str):
        return repr(residual)
    if isinstance(residual, BaseResidual):
        return type(residual).__name__
    return "given as " + ("a callable" if callable(residual) else "an array")


def _same_parameter(current, fitted):
    """Whether a parameter still has the value it was fitted with."""
    if current is fitted:
        return True
    if isinstance(current, BaseResidual) and isinstance(fitted, BaseResidual):
        return type(current) is type(fitted) and repr(current) == repr(fitted)
    scalar_types = (numbers.Number, str, type(None))
    if isinstance(current, scalar_types) and isinstance(fitted, scalar_types):
        return type(current) is type(fitted) and current == fitted
    return False  # another array, callable or RandomState object


def _short(value):
    text = repr(value) if not hasattr(value, "shape") else f"array of shape {value.shape}"
    return text if len(text) <= 40 else text[:37] + "..."


class DynamicsError(AttributeError):
    """A fitted reservoir's dynamics attribute could not be computed.

    An ``AttributeError``, so that ``hasattr``, ``dir`` and tools that inspect an
    estimator's attributes see a missing attribute rather than a failure; the cause
    is chained (``__cause__``).

    Examples
    --------
    >>> from wcrnn_rc import DynamicsError
    >>> issubclass(DynamicsError, AttributeError)
    True
    """


class DynamicsOverflowError(DynamicsError, FloatingPointError):
    """The simulation behind a dynamics attribute overflowed (a supercritical network).

    Both a :class:`DynamicsError` and a ``FloatingPointError``.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from wcrnn_rc import WCRNNReservoir
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     res = WCRNNReservoir(n_units=10, residual_scale=3.0, random_state=0)
    ...     res = res.fit(np.zeros((5, 1)))
    >>> hasattr(res, "lyapunov_exponents_")
    False
    """


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
    ``gain`` (the circular law). Below a density of 1 the draw is
    :func:`sparse_recurrent_weights`' (rescaled to exactly ``gain`` where the
    expected fan-in ``density * n_units`` is below 5), made dense.

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

    See Also
    --------
    sparse_recurrent_weights : The same distribution in CSR, in O(nnz) memory.

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc.reservoir import recurrent_weight_matrix
    >>> W = recurrent_weight_matrix(400, gain=0.5, random_state=0)
    >>> round(float(np.max(np.abs(np.linalg.eigvals(W)))), 1)
    0.5
    """
    if density < 1.0:
        return sparse_recurrent_weights(
            n_units, density=density, gain=gain, random_state=random_state
        ).toarray()
    rng = check_random_state(random_state)
    return rng.standard_normal((n_units, n_units)) * (gain / np.sqrt(n_units))


# Expected fan-in (density * n_units, or fan_in) below which the circular law does not
# set W's spectral radius: at N = 1500 and gain 1, fan-ins of 5 to 50 gave radii
# 1.01-1.06 (as a dense draw does), 2 gave 0.94-1.38, 1 gave 0.76-1.78, and below 1 W
# is often nilpotent (radius 0) or up to 1.98. Below it the draw is rescaled to the
# measured radius (spectral_radius: sparse, per strongly connected component).
EXACT_RADIUS_MAX_FAN_IN = 5
# A draw's temporaries hold at most this many entries at once when it goes row block
# by row block (the dense-ish patterns above _REJECTION_MAX_FRACTION).
_DRAW_BLOCK_ELEMENTS = 1 << 22
# Up to this fraction of a row kept, distinct columns are drawn by redrawing repeats
# (each round keeps a fraction of at least 1 - this of the repeats' redraws); above it,
# by a row-block Bernoulli mask or permutation, whose O(N**2) time is then O(nnz).
_REJECTION_MAX_FRACTION = 0.25
# Strongly connected components up to this size get a dense eigendecomposition; larger
# ones ARPACK. The crossover, measured on fan-in 2 to 4 draws (25 seeds each): dense
# 4-6 ms against ARPACK 5-6 ms at 150 units, 35 against 9-11 ms at 300, 100 against
# 11-15 ms at 500, 430 against 15-28 ms at 1000; ARPACK agreed to 5e-9 (its tol 1e-8).
_DENSE_EIG_MAX_UNITS = 200
# A component on which ARPACK does not converge falls back to a dense
# eigendecomposition up to this size (3.6 s and 32 MB at 2000 units).
_DENSE_EIG_FALLBACK_MAX_UNITS = 2000
# Eigenvalues of largest modulus asked of ARPACK for a larger component's radius.
_ARPACK_EIGENVALUES = 6
# Lanczos vectors ARPACK keeps (scipy's default for 6 eigenvalues is 20). With 48, at
# tol 1e-12 on 12 draws each: fan-in 4 at 300 units 253 against 387 ms in all (the
# slowest 40 against 78 ms), at 1000 units 687 against 1478 ms (slowest 93 against
# 787), fan-in 3 at 3000 units 1459 against 2888 ms; the radii agreed to 1e-13. They
# cost 48 N floats (38 MB at N = 10^5).
_ARPACK_LANCZOS_VECTORS = 48


def _distinct_columns(counts, n_units, rng):
    """Sorted distinct column indices per row (CSR order), ``counts[i]`` in row i.

    Draws with replacement, then redraws each repeat within its row until none is
    left; symmetric in the columns, so each row's set is uniform among the sets of
    its size. O(nnz) memory: one int64 key per non-zero (row * N + column).
    """
    keys = np.repeat(np.arange(n_units, dtype=np.int64) * n_units, counts)
    keys += rng.randint(0, n_units, size=keys.size, dtype=np.int64)
    while True:
        keys.sort()
        repeats = np.flatnonzero(keys[1:] == keys[:-1]) + 1
        if repeats.size == 0:
            break
        rows = keys[repeats] // n_units
        keys[repeats] = rows * n_units + rng.randint(0, n_units, size=rows.size, dtype=np.int64)
    np.remainder(keys, n_units, out=keys)
    return keys


def _blockwise_pattern(n_units, density, fan_in, rng):
    """Row counts and CSR columns of a pattern keeping at least a quarter of each row."""
    block = max(1, _DRAW_BLOCK_ELEMENTS // n_units)
    counts, columns = [], []
    for start in range(0, n_units, block):
        n_rows = min(block, n_units - start)
        if fan_in is None:  # each entry kept with probability density
            rows, cols = np.nonzero(rng.random_sample((n_rows, n_units)) < density)
            counts.append(np.bincount(rows, minlength=n_rows))
        else:  # the first fan_in columns of a random permutation of each row
            cols = np.sort(np.argsort(rng.random_sample((n_rows, n_units)), axis=1)[:, :fan_in])
            counts.append(np.full(n_rows, fan_in))
        columns.append(cols.ravel().astype(np.int64))
    return np.concatenate(counts).astype(np.int64), np.concatenate(columns)


def sparse_recurrent_weights(
    n_units, *, density=None, fan_in=None, gain=1.0, exact_radius="auto", random_state=None
):
    """Draw the recurrent weights W as a sparse CSR matrix, in O(nnz) memory and time.

    The pattern first, then the values: with ``density``, each row keeps a
    Binomial(n_units, density) number of distinct columns, chosen uniformly (so each
    entry is kept with probability ``density``, as in
    :func:`recurrent_weight_matrix`); with ``fan_in``, every row keeps exactly
    ``fan_in``. The kept entries are N(0, gain**2 / fan-in), the fan-in being
    ``density * n_units`` or ``fan_in``, so that the spectral radius is about
    ``gain`` (the circular law). No N x N array is made.

    Parameters
    ----------
    n_units : int
        Number of units N.
    density : float, default=None
        Probability that an entry is kept, in (0, 1]. Give it or ``fan_in``.
    fan_in : int, default=None
        Exact number of non-zeros per row, in [1, n_units].
    gain : float, default=1.0
        The spectral radius sought.
    exact_radius : {"auto", True, False}, default="auto"
        Rescale W so that its spectral radius is exactly ``gain``, computed by
        :func:`spectral_radius`. ``"auto"`` does so where the circular law is
        unreliable: a fan-in (expected or fixed) below 5. Where W is nilpotent
        (no cycles: radius 0, common below a fan-in of 1) it cannot be rescaled;
        it is left as drawn, with a warning.
    random_state : int, RandomState instance or None, default=None
        Controls the draw. Pass an int for reproducible output across multiple
        function calls.

    Returns
    -------
    W : scipy.sparse.csr_array of shape (n_units, n_units)
        float64 values, int64 indices, sorted within rows.

    See Also
    --------
    recurrent_weight_matrix : The dense draw (``density=1``, the default reservoir).

    Examples
    --------
    >>> from wcrnn_rc.reservoir import sparse_recurrent_weights, spectral_radius
    >>> W = sparse_recurrent_weights(1000, fan_in=10, random_state=0)
    >>> W.nnz, W.shape
    (10000, (1000, 1000))
    >>> W = sparse_recurrent_weights(1000, density=0.002, gain=0.9, random_state=0)
    >>> round(spectral_radius(W), 6)          # fan-in 2: rescaled to the gain
    0.9
    """
    indptr, indices, data, _ = _draw_sparse(
        n_units, density, fan_in, gain, exact_radius, random_state
    )
    return _csr(indptr, indices, data)


def _csr(indptr, indices, data):
    n_units = indptr.size - 1
    return scipy.sparse.csr_array((data, indices, indptr), shape=(n_units, n_units), copy=False)


def _expected_fan_in(n_units, density, fan_in):
    return float(fan_in) if fan_in is not None else density * n_units


def _draw_sparse(n_units, density, fan_in, gain, exact_radius, random_state):
    """``sparse_recurrent_weights``' CSR arrays, and the radius measured (None if not).

    The arrays are the draw's own (no views), so that a network stores them as they are.
    """
    if (density is None) == (fan_in is None):
        raise ValueError("Give exactly one of density and fan_in.")
    if fan_in is not None:
        if isinstance(fan_in, bool) or not isinstance(fan_in, numbers.Integral):
            raise TypeError(f"fan_in must be an int; got {fan_in!r}.")
        if not 1 <= fan_in <= n_units:
            raise ValueError(f"fan_in must be in [1, n_units={n_units}]; got {fan_in}.")
    elif not 0 < density <= 1:
        raise ValueError(f"density must be in (0, 1]; got {density}.")
    if exact_radius not in ("auto", True, False):
        raise ValueError(f"exact_radius must be 'auto', True or False; got {exact_radius!r}.")
    rng = check_random_state(random_state)
    fraction = fan_in / n_units if fan_in is not None else density
    if fraction <= _REJECTION_MAX_FRACTION:
        if fan_in is None:
            counts = rng.binomial(n_units, density, size=n_units).astype(np.int64)
        else:
            counts = np.full(n_units, fan_in, dtype=np.int64)
        indices = _distinct_columns(counts, n_units, rng)
    else:
        counts, indices = _blockwise_pattern(n_units, density, fan_in, rng)
    indptr = np.zeros(n_units + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    data = rng.standard_normal(indices.size)
    data *= gain / np.sqrt(_expected_fan_in(n_units, density, fan_in))
    radius = None
    if exact_radius is True or (
        exact_radius == "auto"
        and _expected_fan_in(n_units, density, fan_in) < EXACT_RADIUS_MAX_FAN_IN
    ):
        radius = _rescale_to_gain(_csr(indptr, indices, data), gain)  # a view: scales data
    return indptr, indices, data, radius


def _rescale_to_gain(W, gain):
    """Scale W (in place) to spectral radius ``gain``; return the radius it then has."""
    if gain == 0:
        return 0.0
    # ARPACK's tolerance: 1e-12 kept the gain to 1e-13 (ARPACK's default here, 1e-8,
    # to 2e-9) for about 1.4x the time (23 against 14 ms at 400 units, fan-in 4).
    radius = spectral_radius(W, tol=1e-12)
    if not np.isfinite(radius):  # ARPACK did not converge: spectral_radius warned
        return None
    if radius <= _NILPOTENT_RADIUS * gain:
        warn_external(
            f"The sparse W drawn has no cycles (it is nilpotent: spectral radius 0), so it "
            f"cannot be scaled to recurrent_gain={gain:g}; it is left as drawn. Raise the "
            "density or fan_in (an expected fan-in below 1 often gives no cycles).",
            UserWarning,
        )
        return 0.0
    W.data *= gain / radius
    return float(gain)


# Below this fraction of the gain a measured radius is rounding of an exact 0.
_NILPOTENT_RADIUS = 1e-12


def spectral_radius(W, *, tol=1e-8, random_state=0):
    """The spectral radius ``max |eig W|`` of a dense or sparse square matrix.

    A sparse W is split into its strongly connected components (the graph of its
    non-zeros): its eigenvalues are those of the components' diagonal blocks, so a
    nilpotent W (no cycles) gets exactly 0, a component that is a single cycle
    ``prod |w| ** (1 / length)``, components of up to 200 units a dense
    eigendecomposition, and larger ones ARPACK (``scipy.sparse.linalg.eigs``, the six
    eigenvalues of largest modulus, with 48 Lanczos vectors: asked for one, it can
    converge on a smaller one), in O(nnz + 48 n) memory. ARPACK is several times
    faster from about 200 units (15-28 ms against 430 ms at 1000, fan-in 2 to 4, at
    ``tol=1e-8``); where it does not converge,
    a component of up to 2000 units gets the dense eigendecomposition instead.

    Parameters
    ----------
    W : ndarray or scipy sparse matrix/array of shape (n, n)
    tol : float, default=1e-8
        Relative accuracy asked of ARPACK.
    random_state : int, RandomState instance or None, default=0
        ARPACK's starting vector, so that the result is reproducible.

    Returns
    -------
    radius : float
        NaN, with a warning, when ARPACK does not converge on a component of more
        than 2000 units.

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc.reservoir import spectral_radius
    >>> spectral_radius(np.array([[0.0, 2.0], [0.5, 0.0]]))
    1.0
    >>> import scipy.sparse
    >>> spectral_radius(scipy.sparse.csr_array(np.triu(np.ones((3, 3)), 1)))  # nilpotent
    0.0
    """
    if not scipy.sparse.issparse(W):
        W = np.asarray(W, dtype=np.float64)
        return float(np.max(np.abs(np.linalg.eigvals(W)))) if W.size else 0.0
    W = scipy.sparse.csr_array(W, dtype=np.float64)
    n_comp, labels = scipy.sparse.csgraph.connected_components(
        W, directed=True, connection="strong"
    )
    sizes = np.bincount(labels, minlength=n_comp)
    diagonal = np.abs(W.diagonal())
    # A unit in a component of its own contributes its self-loop (0 without one).
    alone = sizes[labels] == 1
    radius = float(diagonal[alone].max()) if alone.any() else 0.0
    order = np.argsort(labels, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)])
    rng = check_random_state(random_state)
    for comp in np.flatnonzero(sizes > 1):
        units = order[starts[comp] : starts[comp + 1]]
        block = W[units][:, units]
        if block.nnz == units.size:
            # One edge into each unit of a strongly connected component: a single cycle,
            # whose eigenvalues all have the modulus prod |w| ** (1 / length) (and on
            # which ARPACK is slow: every eigenvalue is one of largest modulus).
            with np.errstate(divide="ignore"):  # a stored zero: radius 0
                value = np.exp(np.mean(np.log(np.abs(block.data))))
        elif units.size <= _DENSE_EIG_MAX_UNITS:
            value = _dense_radius(block)
        else:
            value = _arpack_radius(block, tol, rng)
        if np.isnan(value):
            return np.nan
        radius = max(radius, float(value))
    return radius


def _dense_radius(block):
    return np.max(np.abs(np.linalg.eigvals(block.toarray())))


def _arpack_radius(block, tol, rng):
    v0 = rng.uniform(-1.0, 1.0, size=block.shape[0])
    # Several eigenvalues, not one: a random W has many of nearly the largest modulus,
    # and ARPACK asked for one converged on a smaller one (off by 1.3 % at N = 2500,
    # fan-in 4, seed 2; six found the radius to 3e-11 on every draw tried, for 2 to 6
    # times the time, milliseconds at these sizes).
    n = block.shape[0]
    k = min(_ARPACK_EIGENVALUES, n - 2)
    for ncv, maxiter in ((min(_ARPACK_LANCZOS_VECTORS, n - 1), 20 * n), (64, 100 * n)):
        try:
            values = scipy.sparse.linalg.eigs(
                block, k=k, which="LM", tol=tol, v0=v0, ncv=ncv, maxiter=maxiter,
                return_eigenvectors=False,
            )  # fmt: skip
            return float(np.abs(values).max())
        except scipy.sparse.linalg.ArpackNoConvergence:
            continue
    if block.shape[0] <= _DENSE_EIG_FALLBACK_MAX_UNITS:
        return _dense_radius(block)
    warn_external(
        f"ARPACK did not converge on the spectral radius of a {block.shape[0]}-unit "
        "component of W; W is left at the circular-law scale.",
        UserWarning,
    )
    return np.nan


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


def _check_explicit_recurrent(W, shape):
    """A user-given W: a float64 ndarray, or a canonical CSR array when given sparse."""
    if not scipy.sparse.issparse(W):
        return _check_explicit(W, "recurrent_weights", shape)
    try:
        W = scipy.sparse.csr_array(W, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"recurrent_weights must be a numeric sparse matrix: {exc}") from exc
    if W.shape != shape:
        raise ValueError(f"recurrent_weights has shape {W.shape}; expected {shape}.")
    if not np.all(np.isfinite(W.data)):
        raise ValueError("recurrent_weights contains NaN or infinity.")
    return W


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
        ``"tanh"``. The other residuals carry their own scale: setting it to
        another value than the default with them warns in ``fit``.
        Below 1 the residual is subcritical (fading memory with timescale
        ``-1 / log(lambda)`` steps); above 1 states can grow without bound.
    coupling : float, default=0.1
        Coupling eps of the non-linear branch.
    activation : {"tanh", "relu", "identity"}, default="tanh"
        Activation f of the non-linear branch.
    recurrent_gain : float, default=1.0
        Approximate spectral radius of W, see :func:`~wcrnn_rc.reservoir.recurrent_weight_matrix`;
        exact for a sparse W whose fan-in is below 5, see
        :func:`~wcrnn_rc.reservoir.sparse_recurrent_weights`.
    density : float, default=1.0
        Fraction of non-zero entries of W (each entry kept with this probability).
        Below 1, W is drawn sparse, in O(nnz) memory
        (:func:`~wcrnn_rc.reservoir.sparse_recurrent_weights`). At or below 0.1
        W is stored as CSR, and the kernels use a sparse product for one series (at
        or below 0.02, for a batch of sequences too).
    fan_in : int, default=None
        Draw W with exactly this many non-zeros per row (the usual choice for wide
        reservoirs, e.g. 10), instead of a ``density``; needs ``density=1.0`` (the
        default), and at most ``n_units``.
    input_scaling : float, default=1.0
        U is uniform on [-input_scaling, input_scaling]. Inputs should be of order 1
        and centred (see Notes).
    bias_scaling : float, default=0.1
        b is uniform on [-bias_scaling, bias_scaling].
    sequence_features : str or list of str, default="last"
        Features ``transform`` returns per sequence for 3-D or list input, one name
        or a list of names concatenated in the order given:

        - ``"last"``: the last state; ``"mean"``: the mean state over time;
          ``"both"`` (alone): ``["last", "mean"]``;
        - ``"max"``: each unit's maximum over time; ``"ppv"``: the proportion of
          steps where each unit is positive (ROCKET's two pooling features), or
          above each of its ``ppv_quantiles`` thresholds;
        - ``"segments"``: the states at the ends of ``n_segments`` equal parts of
          each sequence (the last part ends with the last state);
        - ``"model_space"``: the reservoir model space (Bianchi et al. 2021): the
          weights and intercept of a ridge model fitted per sequence to predict
          ``model_space_target`` at step t from the state at step t-1, read in the
          ``model_space_components`` principal axes of the training states.

        All of them are accumulated while the network runs, in the compiled kernel;
        no sequence's states are kept. The default stays ``"last"`` (with 100
        units): memory and forecasting tasks read the state itself, and a
        one-row-per-sequence regression of what the sequence ends on reads the last
        state. :class:`WCRNNClassifier` defaults to a reservoir of its own, with
        ``["last", "mean", "max", "ppv"]``, measured to classify better.
    n_segments : int, default=4
        Number of equal parts for ``"segments"``; every sequence needs at least that
        many steps.
    model_space_components : int, default=20
        Principal axes of the training states (fitted in ``fit``, up to 256
        sequences) in which ``"model_space"`` reads the state; at most
        ``n_units``. The model space has ``(components + 1) * components`` columns
        for the ``"state"`` target and ``(components + 1) * n_features`` for
        ``"input"``.
    model_space_target : {"state", "input"}, default="state"
        What the per-sequence model predicts: the next reduced state, or the next
        input.
    model_space_alpha : float, default=1.0
        Ridge penalty of the per-sequence model, added to the normal equations
        averaged per step (so it does not grow with the length).
    ppv_quantiles : int, default=None
        Number of thresholds per unit for ``"ppv"``. None compares each unit with
        0. An int k draws k quantile levels per unit, uniform on [0.05, 0.95], and
        ``fit`` sets the thresholds to those quantiles of the unit's training
        states (about 1024 steps, spread over a run over evenly spaced
        training sequences: enough for about 4096 steps, at least 32 of them and
        at most 256), as
        MiniRocket sets its biases from quantiles of its convolution outputs: a
        threshold inside the range the unit visits gives an informative
        proportion, where 0 can lie outside it.
        ``"ppv"`` then has ``k * n_units`` columns. The thresholds are fixed at
        ``fit`` (like the weights); the time-reversed run of ``bidirectional`` uses
        the same ones.
    bidirectional : bool, default=False
        Also run every sequence time-reversed (from ``h_0 = 0`` at its last step)
        and append that run's features after the forward ones.
    recurrent_weights : array-like or scipy sparse matrix of shape (n_units, n_units), \
            default=None
        Explicit W, dense or sparse; replaces the random draw (``recurrent_gain``,
        ``density`` and ``fan_in`` are then not used).
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
    ppv_thresholds_ : ndarray of shape (ppv_quantiles, n_units) or None
        The ``"ppv"`` thresholds fitted with ``ppv_quantiles`` (read-only); None
        without.
    recurrent_weights_ : ndarray or scipy.sparse.csr_array of shape (n_units, n_units)
        W (read-only), in the layout the network stores it: an ndarray when dense
        (density above 0.1), a ``csr_array`` when sparse. ``network_`` offers
        ``dense_recurrent_weights()`` for an ndarray either way.
    recurrent_spectral_radius_ : float
        The spectral radius of W: measured in ``fit`` for a rescaled sparse draw (a
        fan-in below 5), else computed on first access
        (:func:`~wcrnn_rc.reservoir.spectral_radius`, sparse for a sparse W) and
        cached.
    input_weights_ : ndarray of shape (n_units, `n_features_in_`)
        U (read-only).
    bias_ : ndarray of shape (n_units,)
        b (read-only).
    network_ : Network
        The fitted network that every run, the analysis functions and the torch
        backend read: W, U, b and the residual in the kernels' layouts (read-only),
        with the current ``coupling`` and ``activation``.
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

    ``fit`` fixes everything drawn or built (the residual, W, U, b and W's storage)
    from ``n_units``, ``residual``, ``residual_scale``, ``recurrent_gain``,
    ``density``, ``input_scaling``, ``bias_scaling``, the explicit arrays and
    ``random_state``. Changing one of these after ``fit`` makes every run raise
    ``NotFittedError`` until ``fit`` is called again. ``coupling``, ``activation``
    and ``sequence_features`` are validated and read each time the reservoir runs,
    so changing them after ``fit`` takes effect at once.

    The dynamics attributes (``lyapunov_exponents_``, ``memory_capacity_``,
    ``memory_curve_``) are simulations, run on first access with the defaults given
    above and cached per coupling and activation; ``fit`` stays as cheap as drawing
    the weights. When one cannot be computed (a supercritical network overflows) it
    raises :class:`DynamicsError` (:class:`DynamicsOverflowError` for an overflow),
    an ``AttributeError``, so ``hasattr``, ``dir`` and ``inspect`` never fail on a
    fitted reservoir. Use :mod:`wcrnn_rc.analysis` for other drives and lengths.

    Inputs should be of order 1 and centred: ``U`` feeds ``tanh`` directly, so a
    series in its own units (values in the hundreds, say) saturates every unit and
    the state keeps little more than the input's sign. Put a ``StandardScaler``
    before the reservoir, or standardise sequences per feature with the training
    set's mean and standard deviation. (A series around 300, predicted one step
    ahead, scores R^2 0.76 raw, worse than repeating the last value, 0.97, and 0.98
    standardised; see the getting-started page.) ``fit`` warns when the
    pre-activation ``U x + b`` of the training input has an RMS above 10, where
    tanh's slope is below 1e-8.

    A linear residual with spectral radius above 1 raises a
    :class:`SupercriticalResidualWarning` in ``fit``; states that overflow raise a
    ``FloatingPointError`` rather than coming back as NaN or infinity.

    References
    ----------
    .. [1] I. Dubinin and F. Effenberger, "Fading memory as inductive bias in residual
       recurrent networks", *Neural Networks* 173, 106179 (2024).
       https://doi.org/10.1016/j.neunet.2024.106179, arXiv:2307.14823.

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
        "activation": [StrOptions(set(ACTIVATIONS))],
        "recurrent_gain": [Interval(numbers.Real, 0, None, closed="left")],
        "density": [Interval(numbers.Real, 0, 1, closed="right")],
        "fan_in": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "input_scaling": [Interval(numbers.Real, 0, None, closed="left")],
        "bias_scaling": [Interval(numbers.Real, 0, None, closed="left")],
        "sequence_features": [StrOptions({*SEQUENCE_FEATURES, "both"}), list, tuple],
        "n_segments": [Interval(numbers.Integral, 1, None, closed="left")],
        "model_space_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "ppv_quantiles": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "model_space_target": [StrOptions(set(MODEL_SPACE_TARGETS))],
        "model_space_alpha": [Interval(numbers.Real, 0, None, closed="neither")],
        "bidirectional": ["boolean"],
        "recurrent_weights": ["array-like", "sparse matrix", None],
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
        fan_in=None,
        input_scaling=1.0,
        bias_scaling=0.1,
        sequence_features="last",
        n_segments=4,
        model_space_components=20,
        model_space_target="state",
        model_space_alpha=1.0,
        ppv_quantiles=None,
        bidirectional=False,
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
        self.fan_in = fan_in
        self.input_scaling = input_scaling
        self.bias_scaling = bias_scaling
        self.sequence_features = sequence_features
        self.n_segments = n_segments
        self.model_space_components = model_space_components
        self.model_space_target = model_space_target
        self.model_space_alpha = model_space_alpha
        self.ppv_quantiles = ppv_quantiles
        self.bidirectional = bidirectional
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
        self.__dict__.pop("_network", None)  # fitted only once the build succeeds
        seqs = validate_sequences(self, X, reset=True)
        self._build(seqs)
        return self

    def __sklearn_is_fitted__(self):
        return "_network" in self.__dict__

    def _check_fits(self, n_features):
        """``MemoryError`` before drawing a network whose arrays would not fit."""
        n_units = self.n_units
        if self.recurrent_weights is not None:
            w_bytes, layout = 0, "given W"  # already in memory
        elif self.fan_in is None and self.density == 1.0:
            # the draw and its transposed copy (the dense layout) are held at once
            w_bytes, layout = 2 * dense_bytes(n_units), "dense W (N x N float64, and W.T)"
        else:
            nnz = self.fan_in * n_units if self.fan_in is not None else self.density * n_units**2
            # the stored CSR arrays plus the draw's keys and values
            w_bytes = _memory.csr_bytes(n_units, nnz) + 16 * nnz
            layout = f"sparse W ({nnz:.3g} expected non-zeros)"
            if nnz / n_units**2 > max(_config.SPARSE_MAX_DENSITY.values()):
                w_bytes += dense_bytes(n_units)
                layout = f"W drawn sparse ({nnz:.3g} non-zeros), stored dense"
        dense_residual = isinstance(self.residual, str) and self.residual == "orthogonal"
        # a Haar-orthogonal R: the Gaussian draw, its QR and R itself
        r_bytes = 3 * dense_bytes(n_units) if dense_residual else 0
        other = 8 * n_units * (n_features + 8)  # U, b, the residual's O(N) operands
        total = w_bytes + r_bytes + other
        _memory.check_fits(
            total,
            f"{type(self).__name__}(n_units={n_units}, density={self.density}, "
            f"fan_in={self.fan_in}) with {layout}"
            + (", a dense orthogonal residual" if r_bytes else ""),
            hint="Lower n_units, or draw W sparse (density well below 1, or fan_in).",
        )

    def _build(self, seqs):
        n_units, n_features = self.n_units, seqs.n_features
        if self.fan_in is not None and self.recurrent_weights is None:
            if self.density != 1.0:
                raise ValueError(
                    f"fan_in={self.fan_in} and density={self.density} both set the sparsity "
                    "of W; give one of them (leave density=1.0 with fan_in)."
                )
            if self.fan_in > n_units:
                raise ValueError(
                    f"fan_in={self.fan_in} exceeds n_units={n_units}: a row has at most "
                    "n_units non-zeros."
                )
        self._check_fits(n_features)
        rng = check_random_state(self.random_state)
        # The ppv levels take a fifth seed only when asked for: a RandomState shared with
        # the caller advances as before otherwise, and the first four seeds never change.
        n_seeds = 4 if self.ppv_quantiles is None else 5
        seeds = rng.randint(np.iinfo(np.int32).max, size=n_seeds)

        if self.residual_scale != _DEFAULT_RESIDUAL_SCALE and not _uses_residual_scale(
            self.residual
        ):
            warn_external(
                f"residual_scale={self.residual_scale} is ignored: the residual "
                f"{_describe(self.residual)} carries its own scale. Set the scale on the "
                "residual itself (see wcrnn_rc.residuals).",
                UserWarning,
            )
        residual = make_residual(self.residual, self.residual_scale).build(
            n_units, X=seqs.data, random_state=seeds[0]
        )
        radius = None
        if self.recurrent_weights is not None:
            W = _check_explicit_recurrent(self.recurrent_weights, (n_units, n_units))
        elif self.fan_in is None and self.density == 1.0:  # the default, drawn as ever
            W = recurrent_weight_matrix(n_units, gain=self.recurrent_gain, random_state=seeds[1])
        else:
            *W, radius = _draw_sparse(
                n_units,
                None if self.fan_in is not None else self.density,
                self.fan_in,
                self.recurrent_gain,
                "auto",
                seeds[1],
            )
            W = tuple(W)  # the CSR arrays, stored as they are
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

        network = Network.from_weights(
            W,
            U,
            b,
            residual,
            coupling=self.coupling,
            activation=self.activation,
            recurrent_radius=np.nan if radius is None else radius,
        )
        del W  # only the network's layout is kept
        features = self._feature_names()
        if "model_space" in features:
            # The model space reads the states in their principal axes, fitted on the
            # training states (streamed, up to _MAX_PCA_SEQUENCES sequences).
            n_components = min(self.model_space_components, n_units)
            self._model_space_axes = principal_axes(network, self._state_sample(seqs), n_components)
        else:
            self._model_space_axes = None
        if self.ppv_quantiles is not None:
            levels = check_random_state(seeds[4]).uniform(
                *_PPV_LEVELS, size=(self.ppv_quantiles, n_units)
            )
            max_elements = min(_QUANTILE_SAMPLE_ELEMENTS, _QUANTILE_SAMPLE_ROWS * n_units)
            needed = int(np.ceil(_QUANTILE_RUN_ROWS / float(seqs.lengths.mean())))
            n_sequences = max(_MIN_QUANTILE_SEQUENCES, needed)
            self._ppv_thresholds = state_quantiles(
                network, self._state_sample(seqs, n_sequences), levels, max_elements
            )
            self._ppv_thresholds.flags.writeable = False
        else:
            self._ppv_thresholds = None
        self.ppv_thresholds_ = self._ppv_thresholds
        self._network = network
        self._fitted_structure = {name: getattr(self, name) for name in _STRUCTURAL_PARAMS}
        self._dynamics_cache = {}
        self._output_kinds = {}
        self.residual_ = residual
        # Read-only views of the network's arrays: nothing can change the fitted network.
        # (recurrent_weights_ is a property: a stored view would pickle as a copy.)
        self.input_weights_ = network.input_weights
        self.bias_ = network.bias

        self._warn_if_saturating(seqs)
        # Critical residuals (radius 1 up to rounding) are allowed; above it states grow.
        if residual.is_linear and residual.spectral_radius_ > 1.0 + 1e-9:
            warn_external(
                f"The residual has spectral radius {residual.spectral_radius_:.3g} "
                "> 1 (supercritical): states can grow without bound. Use a residual "
                "scale below 1 for fading memory.",
                SupercriticalResidualWarning,
            )

    @staticmethod
    def _state_sample(seqs, max_sequences=_MAX_PCA_SEQUENCES):
        """Up to ``max_sequences`` (at most ``_MAX_PCA_SEQUENCES``) evenly spaced sequences."""
        max_sequences = min(max_sequences, _MAX_PCA_SEQUENCES)
        sample = seqs.data[:: max(1, -(-len(seqs) // max_sequences))]
        return type(seqs)(seqs.kind, sample, seqs.dtype)

    def _warn_if_saturating(self, seqs):
        """Warn when the training input drives tanh deep into saturation."""
        if self.activation != "tanh":
            return
        steps = np.concatenate(seqs.data) if len(seqs) > 1 else seqs.data[0]
        sample = steps[:: max(1, len(steps) // 10_000)].astype(np.float64)
        U, b = self.input_weights_, self.bias_
        if U.shape[1] <= _SATURATION_MOMENTS_MAX_FEATURES:
            # sum_t ||U x_t + b||^2 from d x d moments: no (n_rows, N) array, which for
            # a wide reservoir (10^5 units) would be larger than its sparse W
            gram, cross = U.T @ U, U.T @ b
            squares = (
                np.einsum("ti,ij,tj->", sample, gram, sample)
                + 2.0 * np.sum(sample @ cross)
                + len(sample) * float(b @ b)
            )
            rms = float(np.sqrt(max(squares, 0.0) / (len(sample) * U.shape[0])))
        else:
            rms = float(np.sqrt(np.mean((sample @ U.T + b) ** 2)))
        if rms > _SATURATION_RMS:
            warn_external(
                f"The input drives tanh deep into saturation (RMS of U x + b = {rms:.3g} > "
                f"{_SATURATION_RMS:g}): the state keeps little more than the input's sign, "
                "and models built on it will be poor. Standardise the input (a "
                "StandardScaler before the reservoir) or lower input_scaling.",
                UserWarning,
            )

    # ---------------------------------------------------------------- the network

    @property
    def recurrent_weights_(self):
        """ndarray or scipy.sparse.csr_array of shape (n_units, n_units): W, read-only,
        in the network's stored layout (a ``csr_array`` when stored sparse)."""
        check_is_fitted(self)
        return self._network.recurrent_weights

    @property
    def recurrent_spectral_radius_(self):
        """float: the spectral radius of W (measured in fit, or on first access; cached)."""
        check_is_fitted(self)
        network = self._network
        if not np.isnan(network.recurrent_radius):
            return network.recurrent_radius
        if "recurrent_spectral_radius_" not in self._dynamics_cache:
            self._dynamics_cache["recurrent_spectral_radius_"] = spectral_radius(
                network.recurrent_weights
            )
        return self._dynamics_cache["recurrent_spectral_radius_"]

    def _check_structure(self):
        """Raise when a parameter fixed by ``fit`` has changed since."""
        changed = [
            name
            for name, fitted in self._fitted_structure.items()
            if not _same_parameter(getattr(self, name), fitted)
        ]
        if changed:
            detail = ", ".join(
                f"{name} ({_short(self._fitted_structure[name])} -> {_short(getattr(self, name))})"
                for name in changed
            )
            raise NotFittedError(
                f"This {type(self).__name__} was fitted with other values of {detail}, which "
                "take effect only when the weights are drawn: call fit again."
            )

    @property
    def network_(self):
        """Network: the fitted network (read-only operands, with the current coupling and
        activation); what the kernels, the analysis functions and the torch backend run."""
        check_is_fitted(self)
        self._check_structure()
        validate_parameter_constraints(
            {k: self._parameter_constraints[k] for k in _RUN_TIME_PARAMS},
            {k: getattr(self, k) for k in _RUN_TIME_PARAMS},
            caller_name=type(self).__name__,
        )
        return self._network.with_run_parameters(coupling=self.coupling, activation=self.activation)

    def _feature_names(self):
        """``sequence_features`` as a tuple of names (validated; "both" expanded)."""
        value = self.sequence_features
        names = [value] if isinstance(value, str) else list(value)
        if not names:
            raise ValueError(
                "The 'sequence_features' parameter of WCRNNReservoir must not be an empty "
                f"list; give one or more of {list(SEQUENCE_FEATURES)}."
            )
        if not isinstance(value, str) and "both" in names:
            raise ValueError(
                "The 'sequence_features' parameter of WCRNNReservoir takes 'both' only as a "
                "string; in a list, give 'last' and 'mean'."
            )
        bad = [name for name in names if not isinstance(name, str) or name not in SEQUENCE_FEATURES]
        if isinstance(value, str) and value == "both":
            names, bad = ["last", "mean"], []
        if bad:
            raise ValueError(
                f"The 'sequence_features' parameter of WCRNNReservoir got unknown feature "
                f"names {bad!r}; expected names among {list(SEQUENCE_FEATURES)}."
            )
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(
                f"The 'sequence_features' parameter of WCRNNReservoir lists {repeated!r} more "
                "than once."
            )
        return tuple(names)

    def _feature_spec(self):
        """The validated :class:`FeatureSpec` of the current parameters."""
        features = self._feature_names()
        axes = self._model_space_axes
        if "model_space" in features and axes is None:
            raise NotFittedError(
                f"This {type(self).__name__} was fitted without 'model_space' in "
                "sequence_features, so it has no principal axes for it: call fit again."
            )
        center, projection = axes if axes is not None else (None, None)
        return FeatureSpec(
            features=features,
            n_segments=int(self.n_segments),
            model_space_target=self.model_space_target,
            model_space_alpha=float(self.model_space_alpha),
            bidirectional=bool(self.bidirectional),
            projection=projection,
            center=center,
            ppv_thresholds=self._ppv_thresholds,
            legacy_names=isinstance(self.sequence_features, str)
            and self.sequence_features in ("last", "mean"),
        )

    def sequence_feature_matrix(self, seqs, initial_state=None):
        """Per-sequence features of validated sequences (the estimators' entry point).

        Parameters
        ----------
        seqs : Sequences
            Validated input (``wcrnn_rc._validation.validate_sequences``).
        initial_state : array-like of shape (n_units,) or (n_sequences, n_units), \
                default=None
            The state each sequence starts from; None means zeros.

        Returns
        -------
        features : ndarray of shape (n_sequences, n_features_out)
        """
        return harvest_features(self.network_, seqs, self._feature_spec(), initial_state)

    @property
    def _n_features_out(self):
        # The width of the last transform's output in this thread: states of a series
        # are n_units wide, and per-sequence features twice that with "both".
        kind = self._output_kinds.get(threading.get_ident(), "sequences")
        n_units = self._network.n_units
        if kind == "series":
            return n_units
        return self._feature_spec().n_features_out(n_units, self._network.n_features)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns of the last ``transform`` (in this thread).

        A series' states and a single ``"last"`` or ``"mean"`` feature of sequences
        are named ``wcrnnreservoir0`` .. ``wcrnnreservoir{N-1}``. Otherwise each block
        is named by its feature, in the order of ``sequence_features``:
        ``wcrnnreservoir_last{i}``, ``_mean{i}``, ``_max{i}``, ``_ppv{i}`` (with
        ``ppv_quantiles``: ``_ppv{j}_{i}``, threshold j of unit i),
        ``_seg{j}_{i}`` (segment j, unit i) and ``_model{p}_{q}`` (weight of
        principal component p, p = ``model_space_components`` being the intercept,
        for target q); with ``bidirectional=True`` the time-reversed block follows
        with ``wcrnnreservoir_rev_`` names. Before any ``transform``, the names of the
        per-sequence features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored except for validation against ``feature_names_in_``.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features, generate_names=False)
        prefix = type(self).__name__.lower()
        n_units = self._network.n_units
        if self._output_kinds.get(threading.get_ident(), "sequences") == "series":
            names = [f"{prefix}{i}" for i in range(n_units)]
        else:
            names = self._feature_spec().names(prefix, n_units, self._network.n_features)
        return np.asarray(names, dtype=object)

    # ---------------------------------------------------------------- running

    def transform(self, X, initial_state=None):
        """Run the reservoir and return its states or per-sequence features.

        Parameters
        ----------
        X : array-like of shape (n_steps, n_features) or (n_sequences, n_steps, \
                n_features), or list of array-like of shape (n_steps_i, n_features)
            Input.
        initial_state : array-like of shape (n_units,) or (n_sequences, n_units), \
                default=None
            h_0 for every sequence, or one per sequence; zeros when None. Pass the
            last state of a previous run to carry a series on.

        Returns
        -------
        X_new : ndarray of shape (n_steps, n_units) or (n_sequences, n_features_out)
            States for one series; for sequences, the features set by
            ``sequence_features`` (and ``bidirectional``), as named by
            ``get_feature_names_out``. A dask array of sequences gives a dask array,
            computed block by block (see the user guide's page on dask).
        """
        if is_dask_array(X):  # chunk by chunk on dask's scheduler (wcrnn_rc._dask)
            return map_sequences(self, "transform", X, initial_state=initial_state)
        network = self.network_
        seqs = validate_sequences(self, X, reset=False)
        self._output_kinds[threading.get_ident()] = (
            "series" if seqs.kind == "series" else "sequences"
        )
        if seqs.kind == "series":
            states, _, _ = network.run(seqs, store_states=True, initial_state=initial_state)
            return states[0]
        return harvest_features(network, seqs, self._feature_spec(), initial_state)

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
            batch, a list for a list; a dask array for a dask array of sequences.

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
        if is_dask_array(X):  # chunk by chunk on dask's scheduler (wcrnn_rc._dask)
            return map_sequences(self, "run", X, initial_state=initial_state)
        network = self.network_
        seqs = validate_sequences(self, X, reset=False)
        states, _, _ = network.run(seqs, store_states=True, initial_state=initial_state)
        if seqs.kind == "series":
            return states[0]
        if seqs.kind == "batch":
            return np.stack(states)
        return states

    # ---------------------------------------------------------------- dynamics

    def _cached_dynamics(self, name, compute):
        # Computed from the current network (coupling and activation may change after
        # fit, so they are part of the key). Every failure comes out as an
        # AttributeError subclass, so hasattr, dir and inspect never see another error.
        network = self.network_
        key = (name, network.coupling, network.activation)
        if key not in self._dynamics_cache:
            try:
                value = compute(network)
            except FloatingPointError as exc:
                raise DynamicsOverflowError(
                    f"{name} cannot be computed: {exc} Compute it with the functions of "
                    "wcrnn_rc.analysis to choose the drive and steps."
                ) from exc
            except AttributeError:
                raise
            except Exception as exc:
                raise DynamicsError(f"{name} cannot be computed: {exc}") from exc
            self._dynamics_cache[key] = value
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
            "lyapunov_exponents_",
            lambda network: lyapunov_spectrum(
                network,
                n_exponents=min(network.n_units, 100),
                n_steps=2000,
                washout=500,
                random_state=0,
            ),
        )

    def _memory(self):
        return self._cached_dynamics(
            "memory_capacity_",
            lambda network: memory_capacity(network, return_curve=True, random_state=0),
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
