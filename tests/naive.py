"""Plain-NumPy reference twins of the numba kernels: slow, obvious, one step at a time.

Nothing here imports ``wcrnn_rc._kernels``; the tests compare the two.
"""

import numpy as np

# Tolerances for comparing kernels with their NumPy twins, per dtype.
RTOL = {np.float32: 1e-4, np.float64: 1e-7}
ATOL = {np.float32: 1e-5, np.float64: 1e-10}

ACTIVATIONS = {
    "tanh": np.tanh,
    "relu": lambda a: np.maximum(a, 0),
    "identity": lambda a: a,
}


def naive_states(X, W, U, b, rho, coupling, activation="tanh", h0=None):
    """States of ``h_t = rho(h_{t-1}) + coupling * f(W h_{t-1} + U x_t + b)``.

    Parameters
    ----------
    X : ndarray of shape (n_steps, n_features)
    W, U, b : ndarrays of shapes (N, N), (N, n_features), (N,)
    rho : callable mapping a state (N,) to rho(h) (N,)
    coupling : float
    activation : {"tanh", "relu", "identity"}
    h0 : ndarray of shape (N,), optional

    Returns
    -------
    states : ndarray of shape (n_steps, N), in the dtype of X
    """
    f = ACTIVATIONS[activation]
    dtype = X.dtype
    h = np.zeros(W.shape[0], dtype) if h0 is None else np.asarray(h0, dtype).copy()
    W, U, b = W.astype(dtype), U.astype(dtype), b.astype(dtype)
    out = np.empty((X.shape[0], W.shape[0]), dtype)
    for t in range(X.shape[0]):
        a = W @ h + U @ X[t] + b
        h = (rho(h) + dtype.type(coupling) * f(a)).astype(dtype)
        out[t] = h
    return out


def linear_rho(R):
    """rho(h) = R h."""
    return lambda h: R.astype(h.dtype) @ h


def tanh_rho(scale):
    """rho(h) = scale * tanh(h)."""
    return lambda h: h.dtype.type(scale) * np.tanh(h)


def rotation_matrix(angles, scale, n_units):
    """Block-diagonal 2x2 rotations built entry by entry (independent of residuals.py)."""
    R = np.zeros((n_units, n_units))
    for k, theta in enumerate(angles):
        i = 2 * k
        R[i, i] = R[i + 1, i + 1] = scale * np.cos(theta)
        R[i, i + 1] = -scale * np.sin(theta)
        R[i + 1, i] = scale * np.sin(theta)
    if n_units % 2:
        R[-1, -1] = scale
    return R


def leaky_esn_states(X, W, U, b, leak):
    """The textbook leaky ESN: h_t = (1 - a) h_{t-1} + a tanh(W h_{t-1} + U x_t + b)."""
    h = np.zeros(W.shape[0])
    out = []
    for x in X:
        h = (1 - leak) * h + leak * np.tanh(W @ h + U @ x + b)
        out.append(h)
    return np.array(out)


def esn_states(X, W, U, b):
    """The textbook ESN: h_t = tanh(W h_{t-1} + U x_t + b)."""
    h = np.zeros(W.shape[0])
    out = []
    for x in X:
        h = np.tanh(W @ h + U @ x + b)
        out.append(h)
    return np.array(out)


ACTIVATION_SLOPES = {
    "tanh": lambda a: 1.0 - np.tanh(a) ** 2,
    "relu": lambda a: (a > 0).astype(float),
    "identity": np.ones_like,
}


def naive_lyapunov(X, W, U, b, residual_jacobian, rho, coupling, activation, frame0, washout):
    """Textbook QR method, one explicit Jacobian and one QR per step.

    ``residual_jacobian(h)`` returns the N x N matrix d rho / d h at h; ``frame0`` holds
    orthonormal tangent vectors as rows. Returns the sum of log|diag R| per direction
    over the steps after ``washout`` (in QR order).
    """
    f = ACTIVATIONS[activation]
    slope = ACTIVATION_SLOPES[activation]
    h = np.zeros(W.shape[0])
    Q = frame0.T.copy()
    log_growth = np.zeros(Q.shape[1])
    for t in range(X.shape[0]):
        a = W @ h + U @ X[t] + b
        J = residual_jacobian(h) + coupling * slope(a)[:, None] * W
        h = rho(h) + coupling * f(a)
        Q, R = np.linalg.qr(J @ Q)
        if t >= washout:
            log_growth += np.log(np.abs(np.diag(R)))
    return log_growth


def naive_memory_curve(states, u, max_delay, n_train):
    """MC_k by one separate least-squares fit per delay (numpy.linalg.lstsq)."""
    curve = np.zeros(max_delay)
    for k in range(1, max_delay + 1):
        for c in range(u.shape[1]):
            y = u[max_delay - k : len(u) - k, c]
            X = states[max_delay:]
            Xc = X[:n_train] - X[:n_train].mean(axis=0)
            w = np.linalg.lstsq(Xc, y[:n_train] - y[:n_train].mean(), rcond=None)[0]
            pred = (X[n_train:] - X[:n_train].mean(axis=0)) @ w
            curve[k - 1] += np.corrcoef(pred, y[n_train:])[0, 1] ** 2
    return curve


def naive_segment_ends(length, n_segments):
    """Step index ending each of ``n_segments`` equal parts: ceil((j + 1) L / k) - 1."""
    return [int(np.ceil((j + 1) * length / n_segments)) - 1 for j in range(n_segments)]


def naive_sequence_features(
    states,
    X,
    features,
    *,
    n_segments=4,
    center=None,
    projection=None,
    target="state",
    alpha=1.0,
    ppv_thresholds=None,
):
    """Per-sequence features from one sequence's full state matrix ``states`` (T, N).

    ``"ppv"`` is the fraction of steps above each row of ``ppv_thresholds``
    (n_thresholds, N), or above 0 when None, threshold-major.

    The model space is the ridge solution ``(Z^T Z / n + alpha I)^-1 Z^T Y / n`` with
    ``Z = [r_{t-1}, 1]`` and ``Y = r_t`` (``target="state"``) or ``x_t``, over the
    ``n = T - 1`` pairs, ``r = (h - center) @ projection``; flattened row-major.
    """
    states = states.astype(np.float64)
    out = []
    for feature in features:
        if feature == "last":
            out.append(states[-1])
        elif feature == "mean":
            out.append(states.mean(axis=0))
        elif feature == "max":
            out.append(states.max(axis=0))
        elif feature == "ppv":
            levels = np.zeros((1, states.shape[1])) if ppv_thresholds is None else ppv_thresholds
            out.append(np.concatenate([(states > level).mean(axis=0) for level in levels]))
        elif feature == "segments":
            out.append(states[naive_segment_ends(len(states), n_segments)].ravel())
        elif feature == "model_space":
            r = (states - center) @ projection
            Z = np.hstack([r[:-1], np.ones((len(r) - 1, 1))])
            Y = r[1:] if target == "state" else X[1:].astype(np.float64)
            n = max(len(Z), 1)
            lhs = Z.T @ Z / n + alpha * np.eye(Z.shape[1])
            out.append(np.linalg.solve(lhs, Z.T @ Y / n).ravel())
        else:
            raise ValueError(feature)
    return np.concatenate(out)
