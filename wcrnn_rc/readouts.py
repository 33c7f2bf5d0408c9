"""Readouts that learn online: recursive least squares, and streamed ridge statistics.

- :class:`RLSRegressor`: recursive least squares with a forgetting factor, the readout
  of FORCE learning (Sussillo & Abbott 2009), with ``partial_fit``;
- :class:`RidgeStatistics`: the running means and centred cross-products (or the
  triangular factor of a streamed QR) from which a ridge readout is solved exactly,
  chunk by chunk, in O(n_features**2) memory.
"""

import numbers

import numpy as np
from scipy import linalg
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context, clone
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _kernels
from ._linalg import solve_normal_equations

__all__ = ["RLSRegressor", "RidgeStatistics"]

# The intercept's penalty relative to alpha in RLS: small, as Ridge leaves it unpenalised,
# but finite so that P_0 stays well scaled.
_INTERCEPT_PENALTY = 1e-6


class RidgeStatistics:
    """Running statistics of a design matrix and targets, for an exact streamed ridge.

    Memory stays O(n_features**2) however many rows are seen, and :meth:`solve`
    equals ``Ridge.fit`` on all the rows stacked, up to rounding. Two solvers:

    - ``"cholesky"`` (the default): the chunks' means and centred cross-products are
      merged pairwise (Chan et al.'s update) and the normal equations solved by a
      Cholesky factor. It is the fastest, but it squares the design's condition
      number: past about 1e8 (a nearly unregularised readout of strongly correlated
      states) the small singular directions are lost to rounding.
    - ``"svd"``: the triangular factor R of ``[1, X, y]`` is updated by a QR of
      ``[R; chunk]``, and the ridge solved from the SVD of R, which has the singular
      values of the centred X. Accurate to about ``cond(X) * eps`` rather than
      ``cond(X)**2 * eps``, at about 4 to 10 times the cost of the cross-products
      (measured at 5000 x 500: 150-200 ms against 20-70 ms). The estimators take it
      for ``Ridge(solver="svd")``.

    Parameters
    ----------
    fit_intercept : bool, default=True
        Learn an unpenalised intercept.
    solver : {"cholesky", "svd"}, default="cholesky"
        How the ridge is accumulated and solved (above).

    Attributes
    ----------
    n_samples : int
        Rows seen.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from wcrnn_rc.readouts import RidgeStatistics
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(100, 3)), rng.normal(size=(100, 2))
    >>> stats = RidgeStatistics(fit_intercept=True)
    >>> stats.update(X[:30], y[:30]).update(X[30:], y[30:]).n_samples
    100
    >>> np.allclose(stats.solve(Ridge()).coef_, Ridge().fit(X, y).coef_)
    True
    >>> precise = RidgeStatistics(solver="svd").update(X, y)
    >>> np.allclose(precise.solve(Ridge()).coef_, Ridge().fit(X, y).coef_)
    True
    """

    _SOLVERS = ("cholesky", "svd")

    def __init__(self, fit_intercept=True, *, solver="cholesky"):
        if solver not in self._SOLVERS:
            raise ValueError(f"solver must be one of {self._SOLVERS}; got {solver!r}.")
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.n_samples = 0
        self._mean_x = self._mean_y = self._cxx = self._cxy = 0.0
        self._r = self._n_features = None

    @classmethod
    def for_ridge(cls, ridge):
        """The statistics that solve ``ridge``: its ``fit_intercept``, and ``"svd"``
        for ``Ridge(solver="svd")`` (the normal equations for every other solver)."""
        solver = "svd" if ridge.solver == "svd" else "cholesky"
        return cls(fit_intercept=ridge.fit_intercept, solver=solver)

    def update(self, X, y):
        """Add rows ``X`` (n, n_features) with targets ``y`` (n, n_targets); return self."""
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64).reshape(len(X), -1)
        m, n = X.shape[0], self.n_samples
        if m == 0:
            return self
        if self.solver == "svd":
            return self._update_factor(X, y)
        if not self.fit_intercept:
            self._cxx = self._cxx + X.T @ X
            self._cxy = self._cxy + X.T @ y
            self.n_samples += m
            return self
        wmean_x, wmean_y = X.mean(axis=0), y.mean(axis=0)
        xc, yc = X - wmean_x, y - wmean_y
        dx, dy = wmean_x - self._mean_x, wmean_y - self._mean_y
        weight = n * m / (n + m)
        self._cxx = self._cxx + xc.T @ xc + weight * np.outer(dx, dx)
        self._cxy = self._cxy + xc.T @ yc + weight * np.outer(dx, dy)
        self._mean_x = self._mean_x + dx * (m / (n + m))
        self._mean_y = self._mean_y + dy * (m / (n + m))
        self.n_samples += m
        return self

    def _update_factor(self, X, y):
        # Columns [1, X, y]: R's first row then holds the intercept, and R's X block is
        # the triangular factor of the centred X.
        columns = [X, y] if not self.fit_intercept else [np.ones((len(X), 1)), X, y]
        block = np.hstack(columns)
        if self._r is not None:
            block = np.vstack([self._r, block])
        self._r = linalg.qr(block, mode="r", overwrite_a=True, check_finite=False)[0]
        self._r = self._r[: block.shape[1]]
        self._n_features = X.shape[1]
        self.n_samples += len(X)
        return self

    def _coef_and_offset(self):
        """For each solver: a function of alpha giving (coef, for the targets), and
        the intercept as a function of coef."""
        if self.solver == "cholesky":
            cxx, cxy = self._cxx, self._cxy
            n_units = cxx.shape[0]

            def coef_of(a, targets):
                lhs = cxx + a * np.eye(n_units)
                rhs = cxy[:, targets]
                # The library's one solver (Cholesky with a condition check, else an SVD).
                return solve_normal_equations(
                    lhs,
                    lambda: rhs,
                    lambda: linalg.lstsq(lhs, rhs, check_finite=False)[0],
                ).T

            def intercept_of(coef):
                return self._mean_y - coef @ self._mean_x

            return cxy.shape[1], n_units, coef_of, intercept_of
        i, n = int(self.fit_intercept), self._n_features
        r = np.zeros((self._r.shape[1], self._r.shape[1]))
        r[: len(self._r)] = self._r
        u, s, vt = linalg.svd(r[i : i + n, i : i + n], check_finite=False)
        uty = u.T @ r[i : i + n, i + n :]
        # As scikit-learn's "svd" solver: directions of zero singular value get no weight.
        nonzero = s > 1e-15

        def coef_of(a, targets):
            d = np.zeros_like(s)
            d[nonzero] = s[nonzero] / (s[nonzero] ** 2 + a)
            return (vt.T @ (d[:, None] * uty[:, targets])).T

        def intercept_of(coef):
            # The first row's residual r11 c + r1x w - r1y is zeroed by the intercept c.
            return (r[0, 1 + n :] - coef @ r[0, 1 : 1 + n]) / r[0, 0]

        return r.shape[1] - i - n, n, coef_of, intercept_of

    def solve(self, ridge):
        """A clone of ``ridge`` (its ``alpha``) with ``coef_`` and ``intercept_`` solved.

        Parameters
        ----------
        ridge : Ridge
            Unfitted template; ``alpha`` may be one value per target.

        Returns
        -------
        ridge : Ridge
            ``coef_`` of shape (n_targets, n_features), ``intercept_`` (n_targets,).
        """
        if self.n_samples == 0:
            raise ValueError("No training steps are left for the readout.")
        n_targets, n_units, coef_of, intercept_of = self._coef_and_offset()
        alpha = np.broadcast_to(np.asarray(ridge.alpha, dtype=np.float64), (n_targets,))
        coef = np.empty((n_targets, n_units))
        for a in np.unique(alpha):
            targets = alpha == a
            coef[targets] = coef_of(a, targets)
        intercept = intercept_of(coef) if self.fit_intercept else np.zeros(n_targets)
        fitted = clone(ridge)
        fitted.coef_ = coef
        fitted.intercept_ = intercept
        fitted.n_features_in_ = n_units
        return fitted


class RLSRegressor(RegressorMixin, BaseEstimator):
    """Recursive least squares: an online linear readout with a forgetting factor.

    Each new row ``x`` (with a trailing 1 when ``fit_intercept``) updates the weights
    and the inverse correlation matrix ``P``:

    .. code-block:: text

        k = P x / (lambda + x' P x)
        w <- w + (y - w x) k'
        P <- (P - k x' P) / lambda

    from ``P_0 = I / alpha``. With ``forgetting_factor=1`` the weights after any
    number of rows are exactly the ridge solution ``argmin ||y - X w||^2 + alpha
    ||w||^2`` of all the rows so far. The intercept, when fitted, starts with
    ``P_0 = 1 / (1e-6 alpha)``: it is penalised a million times less than the
    weights, so that the result agrees with scikit-learn's ``Ridge`` (whose intercept
    is not penalised) to about 1e-6 relative. Below 1, a row ``s`` steps
    old weighs ``lambda**s``: the readout tracks a changing target (FORCE learning,
    Sussillo & Abbott 2009). Memory is O(n_features**2) whatever the stream's length;
    time is O(n_features**2) per row, in a compiled kernel.

    Parameters
    ----------
    forgetting_factor : float, default=1.0
        lambda, in (0, 1].
    alpha : float, default=1.0
        Regularisation: ``P_0 = I / alpha``.
    fit_intercept : bool, default=True
        Learn an intercept (a constant input of 1).

    Attributes
    ----------
    coef_ : ndarray of shape (n_targets, n_features) or (n_features,)
        The weights (1-D for 1-D ``y``).
    intercept_ : ndarray of shape (n_targets,) or float
    inverse_correlation_ : ndarray of shape (n_features + fit_intercept, n_features + \
            fit_intercept)
        P.
    n_samples_seen_ : int
    n_features_in_ : int

    References
    ----------
    .. [1] S. Haykin, *Adaptive Filter Theory*, 4th ed., Prentice Hall (2002), ch. 9.
    .. [2] D. Sussillo and L. F. Abbott, "Generating coherent patterns of activity from
       chaotic neural networks", Neuron 63(4), 544-557 (2009).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from wcrnn_rc.readouts import RLSRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 4))
    >>> y = X @ [1.0, -2.0, 0.5, 0.0] + 0.1 * rng.normal(size=500)
    >>> rls = RLSRegressor(alpha=1.0)
    >>> for chunk in np.array_split(np.arange(500), 5):
    ...     rls = rls.partial_fit(X[chunk], y[chunk])
    >>> ridge = Ridge(alpha=1.0).fit(X, y)
    >>> bool(np.allclose(rls.coef_, ridge.coef_))
    True
    """

    _parameter_constraints: dict = {
        "forgetting_factor": [Interval(numbers.Real, 0, 1, closed="right")],
        "alpha": [Interval(numbers.Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
    }

    def __init__(self, forgetting_factor=1.0, alpha=1.0, *, fit_intercept=True):
        self.forgetting_factor = forgetting_factor
        self.alpha = alpha
        self.fit_intercept = fit_intercept

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Start afresh from ``P_0 = I / alpha`` and learn from all rows, in order.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self : object
        """
        for name in ("_weights", "inverse_correlation_", "n_samples_seen_"):
            self.__dict__.pop(name, None)
        return self._partial_fit(X, y, reset=True)

    def partial_fit(self, X, y):
        """Update the weights with more rows (the first call starts afresh).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self : object
        """
        first = "_weights" not in self.__dict__
        if first:
            self._validate_params()
        return self._partial_fit(X, y, reset=first)

    def _partial_fit(self, X, y, *, reset):
        X, y = validate_data(
            self, X, y, reset=reset, multi_output=True, y_numeric=True, dtype=np.float64
        )
        y2 = y.reshape(len(y), -1)
        if reset:
            d = X.shape[1] + int(self.fit_intercept)
            self._weights = np.zeros((y2.shape[1], d))
            self.inverse_correlation_ = np.eye(d) / self.alpha
            if self.fit_intercept:
                self.inverse_correlation_[-1, -1] /= _INTERCEPT_PENALTY
            self.n_samples_seen_ = 0
            self._y_1d = y.ndim == 1
        elif y2.shape[1] != self._weights.shape[0]:
            raise ValueError(
                f"y has {y2.shape[1]} targets; the readout was fitted with "
                f"{self._weights.shape[0]}."
            )
        rows = np.hstack([X, np.ones((len(X), 1))]) if self.fit_intercept else X
        self._weights, self.inverse_correlation_ = _kernels.rls_update(
            np.ascontiguousarray(rows),
            np.ascontiguousarray(y2, dtype=np.float64),
            self._weights,
            self.inverse_correlation_,
            float(self.forgetting_factor),
        )
        if not np.isfinite(self._weights).all():
            raise FloatingPointError(
                "RLS weights became NaN or infinite; raise alpha or the forgetting factor."
            )
        self.n_samples_seen_ += len(X)
        return self

    def __sklearn_is_fitted__(self):
        return "_weights" in self.__dict__

    @property
    def coef_(self):
        """ndarray: the weights (without the intercept column)."""
        check_is_fitted(self)
        coef = self._weights[:, : self.n_features_in_]
        return coef[0] if self._y_1d else coef

    @property
    def intercept_(self):
        """ndarray or float: the intercept (zeros without ``fit_intercept``)."""
        check_is_fitted(self)
        if self.fit_intercept:
            intercept = self._weights[:, -1].copy()
        else:
            intercept = np.zeros(self._weights.shape[0])
        return float(intercept[0]) if self._y_1d else intercept

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X):
        """Linear prediction ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ np.asarray(self.coef_).T + self.intercept_
