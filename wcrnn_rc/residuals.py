"""Residual maps rho: construction and eigenvalues.

A WCRNN carries its state forward with a fixed residual map rho (the update is on the
documentation's model page). This module has two layers:

- free functions that build matrices or parameters from ``(n_units, *, ...,
  random_state=None)``, in the style of ``sklearn.random_projection``;
- small parameter objects (``IdentityResidual``, ``OrthogonalResidual``, ...) that a
  reservoir clones and *builds* in ``fit``. They support ``get_params`` /
  ``set_params``, so ``GridSearchCV`` can search ``res__residual__scale``.

A built residual knows its eigenvalues (``eigenvalues_``), from which the theoretical
Lyapunov spectrum ``log|eig R|`` follows, and hands the kernels its structured form,
so that identity, diagonal and 2x2-rotational residuals cost O(N) per step.
"""

import numbers

import numpy as np
from scipy.stats import ortho_group
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from . import _constants

__all__ = [
    "BaseResidual",
    "CallableResidual",
    "HeterogeneousResidual",
    "IdentityResidual",
    "MatrixResidual",
    "NoResidual",
    "OrthogonalResidual",
    "RotationalResidual",
    "TanhResidual",
    "block_rotation",
    "dominant_angles",
    "haar_orthogonal",
    "log_uniform_timescales",
    "make_residual",
    "spread_angles",
]

RESIDUAL_NAMES = (
    "identity",
    "orthogonal",
    "rotational",
    "heterogeneous",
    "tanh",
    "none",
)


# --------------------------------------------------------------------------------------
# Free functions: matrices and parameters
# --------------------------------------------------------------------------------------


def haar_orthogonal(n_units, *, random_state=None):
    """Draw a Haar-random orthogonal matrix.

    Parameters
    ----------
    n_units : int
        Size of the matrix.
    random_state : int, RandomState instance or None, default=None
        Controls the draw. Pass an int for reproducible output across multiple
        function calls.

    Returns
    -------
    Q : ndarray of shape (n_units, n_units)
        An orthogonal matrix, ``Q.T @ Q = I``.

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc.residuals import haar_orthogonal
    >>> Q = haar_orthogonal(4, random_state=0)
    >>> np.allclose(Q.T @ Q, np.eye(4))
    True
    """
    if n_units == 1:
        rng = check_random_state(random_state)
        return np.array([[1.0 if rng.random_sample() < 0.5 else -1.0]])
    return ortho_group.rvs(n_units, random_state=check_random_state(random_state))


def spread_angles(n_angles):
    """Rotation angles spread evenly over the open interval (0, pi).

    Parameters
    ----------
    n_angles : int
        Number of angles.

    Returns
    -------
    angles : ndarray of shape (n_angles,)
        ``pi * (k + 1) / (n_angles + 1)`` for ``k = 0 .. n_angles - 1``.

    Examples
    --------
    >>> from wcrnn_rc.residuals import spread_angles
    >>> spread_angles(3) / 3.141592653589793
    array([0.25, 0.5 , 0.75])
    """
    return np.pi * np.arange(1, n_angles + 1) / (n_angles + 1)


def dominant_angles(X, n_angles):
    """Rotation angles placed where the input's power spectrum has its mass.

    The power spectra of all sequences and features are averaged (the constant
    component excluded) and read as a density over angular frequency in (0, pi]
    radians per step. The angles are its ``(k + 0.5) / n_angles`` quantiles, so
    frequencies that carry more power get more rotation blocks, and a spectrum with
    one sharp peak puts every angle on that peak.

    Parameters
    ----------
    X : list of ndarray of shape (n_steps_i, n_features)
        The training sequences (a single series is a list of one).
    n_angles : int
        Number of angles to return.

    Returns
    -------
    angles : ndarray of shape (n_angles,)
        Sorted angles in (0, pi], in radians per time step.

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc.residuals import dominant_angles
    >>> t = np.arange(256)
    >>> x = np.sin(2 * np.pi * t / 16)[:, None]      # period 16: 2*pi/16 rad/step
    >>> np.round(dominant_angles([x], 2) / (2 * np.pi / 16), 1)
    array([1., 1.])
    """
    n_fft = max(len(seq) for seq in X)
    if n_fft < 3:
        raise ValueError(
            "Rotation angles from the data need sequences of at least 3 steps; "
            f"the longest training sequence has {n_fft}."
        )
    power = np.zeros(n_fft // 2 + 1)
    for seq in X:
        seq = np.asarray(seq, dtype=np.float64)
        spectrum = np.fft.rfft(seq - seq.mean(axis=0), n=n_fft, axis=0)
        power += (np.abs(spectrum) ** 2).sum(axis=1)
    power = power[1:]  # drop the constant component
    freqs = 2 * np.pi * np.arange(1, n_fft // 2 + 1) / n_fft
    if not np.any(power > 0):
        raise ValueError(
            "Rotation angles from the data need input that varies in time; "
            "the training input is constant."
        )
    # Each bin holds its power uniformly on [freq - half_bin, freq + half_bin].
    half_bin = np.pi / n_fft
    edges = np.concatenate([freqs - half_bin, [freqs[-1] + half_bin]])
    cdf = np.concatenate([[0.0], np.cumsum(power)]) / power.sum()
    quantiles = (np.arange(n_angles) + 0.5) / n_angles
    angles = np.interp(quantiles, cdf, edges)
    return np.clip(angles, np.finfo(float).eps, np.pi)


def block_rotation(angles, scale=1.0):
    """The 2x2 blocks ``scale * [[cos a, -sin a], [sin a, cos a]]``.

    Parameters
    ----------
    angles : array-like of shape (n_blocks,)
        Rotation angles in radians.
    scale : float, default=1.0
        Common modulus lambda of the block eigenvalues ``lambda * exp(+-i a)``.

    Returns
    -------
    blocks : ndarray of shape (n_blocks, 2, 2)

    Examples
    --------
    >>> from wcrnn_rc.residuals import block_rotation
    >>> block_rotation([0.0], scale=0.5)
    array([[[ 0.5, -0. ],
            [ 0. ,  0.5]]])
    """
    angles = np.asarray(angles, dtype=np.float64)
    cos, sin = np.cos(angles), np.sin(angles)
    blocks = np.empty((angles.shape[0], 2, 2))
    blocks[:, 0, 0] = cos
    blocks[:, 0, 1] = -sin
    blocks[:, 1, 0] = sin
    blocks[:, 1, 1] = cos
    return scale * blocks


def log_uniform_timescales(n_units, timescales):
    """Timescales spread log-uniformly (deterministically) over a range.

    Parameters
    ----------
    n_units : int
        Number of timescales.
    timescales : tuple of (float, float)
        ``(tau_min, tau_max)`` in time steps, ``0 < tau_min <= tau_max``.

    Returns
    -------
    tau : ndarray of shape (n_units,)
        ``geomspace(tau_min, tau_max, n_units)``.

    Examples
    --------
    >>> from wcrnn_rc.residuals import log_uniform_timescales
    >>> log_uniform_timescales(3, (1, 100))
    array([  1.,  10., 100.])
    """
    tau_min, tau_max = timescales
    return np.geomspace(tau_min, tau_max, n_units)


# --------------------------------------------------------------------------------------
# Residual objects
# --------------------------------------------------------------------------------------


class BaseResidual(BaseEstimator):
    """Base class of residual maps.

    Subclasses implement ``_build(n_units, X, rng)`` and set, on the built object,
    ``n_units_``, ``kind_`` (a ``_constants.RESIDUAL_*`` constant) and the structured
    parameters the kind needs (``diagonal_``, ``blocks_`` or ``matrix_``). The
    eigenvalues follow from the structure.

    A residual is *linear* (``rho(h) = R h``) unless it says otherwise; for a
    non-linear residual, ``eigenvalues_`` are those of its linearisation at h = 0.

    Examples
    --------
    Every residual family shares this interface once built:

    >>> from wcrnn_rc.residuals import BaseResidual, IdentityResidual
    >>> res = IdentityResidual(scale=0.5).build(2)
    >>> isinstance(res, BaseResidual), res.spectral_radius_
    (True, 0.5)
    >>> res.to_matrix()
    array([[0.5, 0. ],
           [0. , 0.5]])
    """

    is_linear = True
    _parameter_constraints: dict = {}

    def build(self, n_units, *, X=None, random_state=None):
        """Fix the residual for a network of ``n_units`` units.

        Parameters
        ----------
        n_units : int
            Number of reservoir units.
        X : list of ndarray, default=None
            Training sequences, used by residuals chosen from the data.
        random_state : int, RandomState instance or None, default=None
            Randomness for random residuals.

        Returns
        -------
        self : object
            The built residual.
        """
        self._validate_params()
        self.n_units_ = int(n_units)
        self._eigenvalues = None
        self._build(self.n_units_, X, check_random_state(random_state))
        return self

    def _check_built(self):
        if not hasattr(self, "n_units_"):
            raise NotFittedError(
                f"This {type(self).__name__} is not built yet; call build(n_units) or "
                "use it inside a reservoir's fit."
            )

    @property
    def eigenvalues_(self):
        """ndarray of shape (n_units,), complex: eigenvalues of R, largest modulus first."""
        self._check_built()
        if self._eigenvalues is None:
            eig = np.asarray(self._compute_eigenvalues(), dtype=np.complex128)
            self._eigenvalues = eig[np.argsort(-np.abs(eig), kind="stable")]
        return self._eigenvalues

    @property
    def spectral_radius_(self):
        """float: largest eigenvalue modulus of R."""
        self._check_built()
        if hasattr(self, "_known_radius"):
            return self._known_radius  # exact, and no eigendecomposition needed
        return float(np.abs(self.eigenvalues_[0]))

    def _set_matrix(self, R):
        """Store a checked matrix R, as a diagonal when it is one (O(N) per step)."""
        if np.count_nonzero(R - np.diag(np.diag(R))) == 0:
            self.kind_ = _constants.RESIDUAL_DIAGONAL
            self.diagonal_ = np.diag(R).copy()
        else:
            self.kind_ = _constants.RESIDUAL_DENSE
            self.matrix_ = R

    def _compute_eigenvalues(self):
        if self.kind_ in (_constants.RESIDUAL_DIAGONAL, _constants.RESIDUAL_TANH):
            return self.diagonal_
        if self.kind_ == _constants.RESIDUAL_NONE:
            return np.zeros(self.n_units_)
        if self.kind_ == _constants.RESIDUAL_BLOCKS:
            eig = [np.linalg.eigvals(block) for block in self.blocks_]
            if 2 * len(self.blocks_) < self.n_units_:
                eig.append(self.diagonal_[-1:])
            return np.concatenate(eig) if eig else np.zeros(0)
        return np.linalg.eigvals(self.matrix_)

    def to_matrix(self):
        """The residual as a dense matrix R (the linearisation at 0 if non-linear).

        Returns
        -------
        R : ndarray of shape (n_units, n_units)
        """
        self._check_built()
        n = self.n_units_
        if self.kind_ == _constants.RESIDUAL_DENSE:
            return self.matrix_.copy()
        if self.kind_ in (_constants.RESIDUAL_DIAGONAL, _constants.RESIDUAL_TANH):
            return np.diag(self.diagonal_)
        R = np.zeros((n, n))
        if self.kind_ == _constants.RESIDUAL_BLOCKS:
            for p, block in enumerate(self.blocks_):
                R[2 * p : 2 * p + 2, 2 * p : 2 * p + 2] = block
            if n % 2:
                R[-1, -1] = self.diagonal_[-1]
        return R

    def apply(self, h):
        """Apply rho to states (a plain-NumPy reference, not used on the hot path).

        Parameters
        ----------
        h : ndarray of shape (..., n_units)

        Returns
        -------
        rho_h : ndarray of shape (..., n_units)
        """
        h = np.asarray(h)
        if self.kind_ == _constants.RESIDUAL_TANH:
            return self.diagonal_ * np.tanh(h)
        return h @ self.to_matrix().T

    def kernel_operands(self, dtype):
        """The arguments ``run_packed`` takes for this residual, cast to ``dtype``.

        Parameters
        ----------
        dtype : {np.float32, np.float64}

        Returns
        -------
        operands : tuple
            ``(kind, diagonal, blocks, dense_transposed)``; unused entries are empty.
        """
        self._check_built()
        n = self.n_units_
        diag = getattr(self, "diagonal_", None)
        diag = np.zeros(n) if diag is None else diag
        blocks = getattr(self, "blocks_", None)
        blocks = np.zeros((0, 2, 2)) if blocks is None else blocks
        dense_t = np.zeros((0, 0))
        if self.kind_ == _constants.RESIDUAL_DENSE:
            dense_t = self.matrix_.T
        return (
            self.kind_,
            np.ascontiguousarray(diag, dtype=dtype),
            np.ascontiguousarray(blocks, dtype=dtype),
            np.ascontiguousarray(dense_t, dtype=dtype),
        )


class _ScaledResidual(BaseResidual):
    """A residual family with one modulus ``scale`` (lambda)."""

    _parameter_constraints = {"scale": [Interval(numbers.Real, None, None, closed="neither")]}

    def __init__(self, scale=1.0):
        self.scale = scale


class NoResidual(BaseResidual):
    """No residual, rho(h) = 0. With ``coupling=1`` the network is a plain ESN.

    Examples
    --------
    >>> from wcrnn_rc.residuals import NoResidual
    >>> NoResidual().build(3).eigenvalues_
    array([0.+0.j, 0.+0.j, 0.+0.j])
    """

    def _build(self, n_units, X, rng):
        self.kind_ = _constants.RESIDUAL_NONE


class IdentityResidual(_ScaledResidual):
    """Scaled identity, R = scale * I, applied in O(N) per step.

    With ``scale = 1 - a`` and ``coupling = a`` the network is a leaky ESN with leak
    rate ``a``.

    Parameters
    ----------
    scale : float, default=1.0
        The common eigenvalue lambda of R.

    Attributes
    ----------
    diagonal_ : ndarray of shape (n_units,)
        The diagonal of R.

    Examples
    --------
    >>> from wcrnn_rc.residuals import IdentityResidual
    >>> IdentityResidual(scale=0.9).build(2).eigenvalues_
    array([0.9+0.j, 0.9+0.j])
    """

    def _build(self, n_units, X, rng):
        self.kind_ = _constants.RESIDUAL_DIAGONAL
        self.diagonal_ = np.full(n_units, float(self.scale))


class OrthogonalResidual(_ScaledResidual):
    """Scaled Haar-random orthogonal matrix, R = scale * Q (a dense product per step).

    Parameters
    ----------
    scale : float, default=1.0
        Modulus lambda shared by all eigenvalues of R.

    Attributes
    ----------
    matrix_ : ndarray of shape (n_units, n_units)
        R.

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc.residuals import OrthogonalResidual
    >>> res = OrthogonalResidual(scale=0.9).build(4, random_state=0)
    >>> np.allclose(np.abs(res.eigenvalues_), 0.9)
    True
    """

    def _build(self, n_units, X, rng):
        self.kind_ = _constants.RESIDUAL_DENSE
        self.matrix_ = float(self.scale) * haar_orthogonal(n_units, random_state=rng)
        self._known_radius = abs(float(self.scale))


class RotationalResidual(_ScaledResidual):
    """Block-diagonal 2x2 rotations, R = scale * blockdiag(rot(theta_k)), O(N) per step.

    Units ``(2k, 2k + 1)`` rotate by ``theta_k`` each step, so the pair oscillates at
    that angular frequency while its amplitude fades as ``scale**t``. With an odd
    number of units the last unit is a 1x1 block ``scale``.

    Parameters
    ----------
    scale : float, default=1.0
        Modulus lambda of every eigenvalue ``lambda * exp(+-i theta_k)``.
    angles : {"spread", "random", "data"} or array-like of shape (n_units // 2,), \
            default="spread"
        The rotation angles, in radians per step:

        - ``"spread"``: evenly over (0, pi), see :func:`spread_angles`;
        - ``"random"``: uniform on (0, pi), drawn from ``random_state``;
        - ``"data"``: from the dominant frequencies of the training input, chosen in
          ``fit``, see :func:`dominant_angles`;
        - an array: exactly these angles.

    Attributes
    ----------
    angles_ : ndarray of shape (n_units // 2,)
        The angles in use.
    blocks_ : ndarray of shape (n_units // 2, 2, 2)
        The 2x2 blocks of R.
    diagonal_ : ndarray of shape (n_units,)
        Holds the trailing 1x1 block when ``n_units`` is odd.

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc.residuals import RotationalResidual
    >>> res = RotationalResidual(scale=0.9, angles=[np.pi / 2]).build(2)
    >>> np.round(res.eigenvalues_, 6)
    array([0.+0.9j, 0.-0.9j])
    """

    _parameter_constraints = {
        **_ScaledResidual._parameter_constraints,
        "angles": [StrOptions({"spread", "random", "data"}), "array-like"],
    }

    def __init__(self, scale=1.0, angles="spread"):
        self.scale = scale
        self.angles = angles

    def _build(self, n_units, X, rng):
        n_blocks = n_units // 2
        if isinstance(self.angles, str):
            if self.angles == "spread":
                angles = spread_angles(n_blocks)
            elif self.angles == "random":
                angles = rng.uniform(0.0, np.pi, size=n_blocks)
            else:
                if X is None:
                    raise ValueError(
                        'RotationalResidual(angles="data") needs the training input; '
                        "build it through a reservoir's fit."
                    )
                angles = dominant_angles(X, n_blocks)
        else:
            angles = np.asarray(self.angles, dtype=np.float64).ravel()
            if angles.shape[0] != n_blocks:
                raise ValueError(
                    f"RotationalResidual got {angles.shape[0]} angles, but "
                    f"{n_units} units form {n_blocks} rotation blocks."
                )
            if not np.all(np.isfinite(angles)):
                raise ValueError("RotationalResidual angles must be finite.")
        self.kind_ = _constants.RESIDUAL_BLOCKS
        self._known_radius = abs(float(self.scale))
        self.angles_ = angles
        self.blocks_ = block_rotation(angles, float(self.scale))
        self.diagonal_ = np.zeros(n_units)
        if n_units % 2:
            self.diagonal_[-1] = float(self.scale)


class HeterogeneousResidual(BaseResidual):
    """Diagonal residual with heterogeneous timescales, O(N) per step.

    ``R = diag(exp(-1 / tau_i))`` with the timescales ``tau_i`` (in steps) spread
    log-uniformly over ``timescales``, so unit ``i`` forgets with time constant
    ``tau_i`` and the Lyapunov exponents of the residual are ``-1 / tau_i``.

    Parameters
    ----------
    timescales : tuple of (float, float), default=(1.0, 100.0)
        ``(tau_min, tau_max)``, with ``0 < tau_min <= tau_max``.

    Attributes
    ----------
    timescales_ : ndarray of shape (n_units,)
        The timescale of each unit.
    diagonal_ : ndarray of shape (n_units,)
        The diagonal of R.

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc.residuals import HeterogeneousResidual
    >>> res = HeterogeneousResidual(timescales=(1, 100)).build(3)
    >>> np.round(-1 / np.log(res.diagonal_), 6)
    array([  1.,  10., 100.])
    """

    _parameter_constraints = {"timescales": ["array-like"]}

    def __init__(self, timescales=(1.0, 100.0)):
        self.timescales = timescales

    def _build(self, n_units, X, rng):
        scales = np.asarray(self.timescales, dtype=np.float64).ravel()
        if scales.shape != (2,) or not (0 < scales[0] <= scales[1] < np.inf):
            raise ValueError(
                "HeterogeneousResidual timescales must be (tau_min, tau_max) with "
                f"0 < tau_min <= tau_max < inf; got {self.timescales!r}."
            )
        self.kind_ = _constants.RESIDUAL_DIAGONAL
        self.timescales_ = log_uniform_timescales(n_units, scales)
        self.diagonal_ = np.exp(-1.0 / self.timescales_)


class TanhResidual(_ScaledResidual):
    """Non-linear residual rho(h) = scale * tanh(h), O(N) per step.

    Its Jacobian is ``diag(scale * (1 - tanh(h)**2))``; ``eigenvalues_`` are those
    of the linearisation at h = 0, all equal to ``scale``.

    Parameters
    ----------
    scale : float, default=1.0
        The gain lambda.

    Examples
    --------
    >>> from wcrnn_rc.residuals import TanhResidual
    >>> res = TanhResidual(scale=0.5).build(2)
    >>> res.apply([[0.0, 100.0]])
    array([[0. , 0.5]])
    """

    is_linear = False

    def _build(self, n_units, X, rng):
        self.kind_ = _constants.RESIDUAL_TANH
        self.diagonal_ = np.full(n_units, float(self.scale))


class MatrixResidual(BaseResidual):
    """A user-given residual matrix R.

    A diagonal matrix is detected and applied in O(N) per step; any other matrix is
    applied as a dense product.

    Parameters
    ----------
    matrix : array-like of shape (n_units, n_units)
        The residual R. It must be square, finite and match ``n_units``.

    Attributes
    ----------
    matrix_ : ndarray of shape (n_units, n_units)
        A float64 copy of R (only for a non-diagonal R).
    diagonal_ : ndarray of shape (n_units,)
        The diagonal of R (only for a diagonal R).

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc.residuals import MatrixResidual
    >>> MatrixResidual(0.5 * np.eye(2)).build(2).eigenvalues_
    array([0.5+0.j, 0.5+0.j])
    """

    _parameter_constraints = {"matrix": ["array-like"]}

    def __init__(self, matrix):
        self.matrix = matrix

    def _build(self, n_units, X, rng):
        self._set_matrix(_check_residual_matrix(self.matrix, n_units))


class CallableResidual(BaseResidual):
    """A residual matrix made by a user function ``func(n_units, random_state)``.

    Parameters
    ----------
    func : callable
        Called in ``build`` as ``func(n_units, random_state)`` with a
        ``numpy.random.RandomState``; must return an ``(n_units, n_units)`` array.

    Attributes
    ----------
    matrix_ : ndarray of shape (n_units, n_units)
        The returned matrix (only for a non-diagonal result).
    diagonal_ : ndarray of shape (n_units,)
        Its diagonal (only for a diagonal result).

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc.residuals import CallableResidual
    >>> res = CallableResidual(lambda n, rng: 0.5 * np.eye(n)).build(2)
    >>> res.spectral_radius_
    0.5
    """

    _parameter_constraints = {"func": [callable]}

    def __init__(self, func):
        self.func = func

    def _build(self, n_units, X, rng):
        self._set_matrix(_check_residual_matrix(self.func(n_units, rng), n_units))


def _check_residual_matrix(R, n_units):
    try:
        R = np.array(R, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"The residual matrix must be numeric: {exc}") from exc
    if R.shape != (n_units, n_units):
        raise ValueError(
            f"The residual matrix has shape {R.shape}, but the reservoir has "
            f"{n_units} units: expected ({n_units}, {n_units})."
        )
    if not np.all(np.isfinite(R)):
        raise ValueError("The residual matrix contains NaN or infinity.")
    return R


def make_residual(residual, scale=1.0):
    """Turn a reservoir's ``residual`` argument into an unbuilt residual object.

    Parameters
    ----------
    residual : str, BaseResidual, array-like or callable
        A family name (``"identity"``, ``"orthogonal"``, ``"rotational"``,
        ``"heterogeneous"``, ``"tanh"``, ``"none"``), a residual object (cloned), a
        matrix R, or a callable ``func(n_units, random_state) -> R``.
    scale : float, default=1.0
        lambda for ``"identity"``, ``"orthogonal"``, ``"rotational"`` and ``"tanh"``;
        ignored otherwise.

    Returns
    -------
    residual : BaseResidual
        A fresh, unbuilt residual object.

    Examples
    --------
    >>> from wcrnn_rc.residuals import make_residual
    >>> make_residual("rotational", 0.9)
    RotationalResidual(scale=0.9)
    """
    if isinstance(residual, str):
        families = {
            "identity": lambda: IdentityResidual(scale=scale),
            "orthogonal": lambda: OrthogonalResidual(scale=scale),
            "rotational": lambda: RotationalResidual(scale=scale),
            "heterogeneous": HeterogeneousResidual,
            "tanh": lambda: TanhResidual(scale=scale),
            "none": NoResidual,
        }
        if residual not in families:
            raise ValueError(f"Unknown residual {residual!r}; expected one of {RESIDUAL_NAMES}.")
        return families[residual]()
    if isinstance(residual, BaseResidual):
        return clone(residual)
    if callable(residual):
        return CallableResidual(residual)
    return MatrixResidual(residual)
