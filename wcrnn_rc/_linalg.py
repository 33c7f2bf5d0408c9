"""Least squares from the normal equations: the one solver of the library's readouts.

The memory capacity's readouts (every delay from one factorisation) and the streamed
ridge readout both solve ``G x = c`` with ``G`` a Gram matrix ``X.T X`` (plus
``alpha I`` for ridge). A Cholesky factor of G is about ten times faster than an SVD
of X, but the normal equations lose accuracy as ``cond(X)**2 * eps``: past a condition
number of ``MAX_NORMAL_EQUATIONS_CONDITION`` the callers fall back to an SVD.

This module imports only NumPy and SciPy, so that every other module can use it.
"""

import numpy as np
from scipy import linalg

__all__ = ["MAX_NORMAL_EQUATIONS_CONDITION", "cholesky_factor", "solve_normal_equations"]

# Largest condition number of the design X (so cond(G) up to its square) for which
# the normal equations are used; at 1e5 they keep about 6 digits in float64.
MAX_NORMAL_EQUATIONS_CONDITION = 1e5


def cholesky_factor(gram):
    """Upper Cholesky factor of a symmetric positive semi-definite ``gram``.

    Returns None where ``gram`` is singular or its condition number (estimated by
    LAPACK's ``dpocon``) exceeds ``MAX_NORMAL_EQUATIONS_CONDITION ** 2``.
    """
    try:
        factor = linalg.cholesky(gram, lower=False, check_finite=False)
    except linalg.LinAlgError:  # singular: the design is confined to a subspace
        return None
    anorm = np.abs(gram).sum(axis=0).max()
    rcond, _ = linalg.lapack.dpocon(factor, anorm, uplo="U")
    if rcond * MAX_NORMAL_EQUATIONS_CONDITION**2 < 1.0:
        return None
    return factor


def solve_normal_equations(gram, cross_products, fallback):
    """``x`` with ``gram @ x = cross_products()``, or ``fallback()`` if ill-conditioned.

    Parameters
    ----------
    gram : ndarray of shape (n, n)
        Symmetric positive semi-definite.
    cross_products : callable
        Returns the right-hand side, shape (n, k); called only when it is needed.
    fallback : callable
        Returns the solution by other means (an SVD-based ``lstsq``), for a
        ``gram`` that ``cholesky_factor`` rejects.
    """
    factor = cholesky_factor(gram)
    if factor is None:
        return fallback()
    return linalg.cho_solve((factor, False), cross_products(), check_finite=False)
