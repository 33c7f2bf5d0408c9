"""Integer codes shared by the kernels and their callers.

This module imports nothing, so that code which only needs a code (the torch
backend, the residual families) does not import numba.
"""

# Residual kinds understood by the kernels (see ``wcrnn_rc.residuals``).
RESIDUAL_NONE = 0  # rho(h) = 0
RESIDUAL_DIAGONAL = 1  # rho(h) = d * h, O(N)
RESIDUAL_BLOCKS = 2  # 2x2 blocks on unit pairs (2i, 2i+1), trailing unit diagonal
RESIDUAL_DENSE = 3  # rho(h) = R h, one product per step
RESIDUAL_TANH = 4  # rho(h) = d * tanh(h), O(N)

RESIDUAL_KINDS = (
    RESIDUAL_NONE,
    RESIDUAL_DIAGONAL,
    RESIDUAL_BLOCKS,
    RESIDUAL_DENSE,
    RESIDUAL_TANH,
)

ACTIVATION_TANH = 0
ACTIVATION_RELU = 1
ACTIVATION_IDENTITY = 2

# The activation names the estimators accept, and the code each runs as.
ACTIVATIONS = {
    "tanh": ACTIVATION_TANH,
    "relu": ACTIVATION_RELU,
    "identity": ACTIVATION_IDENTITY,
}
