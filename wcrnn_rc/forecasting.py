"""WCRNNForecaster: teacher-forced training and closed-loop generation of time series.

The forecaster drives a reservoir with the observed series ``y_t`` (and exogenous
inputs ``X_t`` when given) and trains a readout to output ``y_{t+1}`` (teacher
forcing). To forecast it feeds its own output back as the next input (closed loop).

With a linear readout ``y_hat = V h + c`` (anything with ``coef_`` and
``intercept_``, such as the default ridge) and ``horizon=1``, the closed loop is
itself a WCRNN. At step ``t + 1`` the network takes ``y_hat_{t+1} = V h_t + c`` as
its input, so that

.. code-block:: text

    a_{t+1} = W h_t + U_y (V h_t + c) + U_x X_{t+1} + b
            = (W + U_y V) h_t + U_x X_{t+1} + (b + U_y c)

with the input weights split as ``U = [U_y, U_x]``. Generation runs this loop in one
compiled kernel, with no Python per step. The kernel keeps W in its stored layout
and adds the feedback ``U_y y_hat`` each step (``2 N n_targets`` operations), so a
sparse reservoir's closed loop stays sparse and costs O(nnz) per step; the folded,
dense network is ``WCRNNForecaster.closed_loop_network_``. Its step Jacobian,
``R + eps diag(f'(a)) (W + U_y V)``, gives the **closed-loop Lyapunov spectrum**: the
spectrum of the trained forecaster as an autonomous dynamical system, which for a
good model of a chaotic system approximates the system's own spectrum. It differs
from the **input-driven (open-loop) spectrum** of the reservoir,
:attr:`WCRNNReservoir.lyapunov_exponents_ <wcrnn_rc.WCRNNReservoir.lyapunov_exponents_>`,
which describes the untrained network driven by an external input and is negative
for a reservoir with fading memory.
"""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_array, check_is_fitted

from ._network import Network
from ._validation import Sequences
from .analysis import lyapunov_spectrum
from .estimators import NestedDefaultsMixin, ridge_from_state_windows
from .readouts import RidgeStatistics
from .reservoir import WCRNNReservoir

__all__ = ["WCRNNForecaster", "closed_loop_network"]


def closed_loop_network(network, coef, intercept):
    """The network of a closed loop: the readout's output fed back as the input.

    For a network with input weights ``U = [U_y, U_x]`` (the first ``n_targets``
    columns take the fed-back series, the others exogenous inputs) and a linear
    readout ``y_hat = V h + c``, the closed loop has recurrent weights
    ``W + U_y V``, bias ``b + U_y c`` and input weights ``U_x``. Without exogenous
    inputs it keeps one input column of zero weights, so that the kernels' input
    path stays the same: drive it with zeros.

    Parameters
    ----------
    network : Network
        The open-loop network (``WCRNNReservoir.network_``).
    coef : ndarray of shape (n_targets, n_units)
        V.
    intercept : ndarray of shape (n_targets,)
        c.

    Returns
    -------
    closed : Network
        The closed-loop network, with the same residual, coupling and activation.

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc import WCRNNReservoir
    >>> from wcrnn_rc.forecasting import closed_loop_network
    >>> res = WCRNNReservoir(n_units=10, random_state=0).fit(np.zeros((5, 1)))
    >>> V, c = np.full((1, 10), 0.1), np.array([0.5])
    >>> closed = closed_loop_network(res.network_, V, c)
    >>> closed.n_features            # one input column of zeros
    1
    >>> U_y = res.input_weights_[:, :1]
    >>> bool(np.allclose(closed.recurrent_weights, res.recurrent_weights_ + U_y @ V))
    True
    """
    coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    intercept = np.atleast_1d(np.asarray(intercept, dtype=np.float64))
    n_targets = coef.shape[0]
    if coef.shape[1] != network.n_units or intercept.shape != (n_targets,):
        raise ValueError(
            f"coef has shape {coef.shape} and intercept {intercept.shape}; expected "
            f"(n_targets, {network.n_units}) and (n_targets,)."
        )
    if n_targets > network.n_features:
        raise ValueError(
            f"The readout has {n_targets} outputs but the network only {network.n_features} "
            "inputs to feed them back into."
        )
    U = network.input_weights
    U_y, U_x = U[:, :n_targets], U[:, n_targets:]
    # The feedback term U_y V is dense whatever W's density (dense_recurrent_weights
    # checks that an N x N array fits); generation does not fold it in.
    W = network.dense_recurrent_weights() + U_y @ coef
    if U_x.shape[1] == 0:
        U_x = np.zeros((network.n_units, 1))
    empty = np.zeros(0, np.int64)
    return Network(
        recurrent_t=np.ascontiguousarray(W.T),
        indptr=empty,
        indices=empty,
        data=np.zeros(0),
        w_density=1.0,
        input_weights=np.ascontiguousarray(U_x),
        bias=network.bias + U_y @ intercept,
        residual_kind=network.residual_kind,
        residual_diag=network.residual_diag,
        residual_blocks=network.residual_blocks,
        residual_dense_t=network.residual_dense_t,
        residual_radius=network.residual_radius,
        coupling=network.coupling,
        activation=network.activation,
    )


# The forecaster runs in the dtype of the y it was fitted on: float32 stays float32
# (half the memory traffic of generation), anything else becomes float64.
_FIT_DTYPES = [np.float64, np.float32]


def _as_series(value, name, n_columns=None, dtype=np.float64):
    """One series as a float (n_steps, n_columns) array (1-D means one column), in
    ``dtype`` (or a list of dtypes, the input's kept where it is one of them)."""
    array = check_array(value, ensure_2d=False, dtype=dtype, input_name=name, ensure_min_samples=1)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D (n_steps, n_columns); got {array.ndim}-D.")
    if n_columns is not None and array.shape[1] != n_columns:
        raise ValueError(f"{name} has {array.shape[1]} columns; expected {n_columns}.")
    return np.ascontiguousarray(array)


def _series_list(value, name, dtype=np.float64):
    """A list of series from one series, a 3-D array or a list of series."""
    if isinstance(value, list | tuple) and len(value) and hasattr(value[0], "ndim"):
        return [_as_series(v, f"{name}[{i}]", dtype=dtype) for i, v in enumerate(value)], True
    if not hasattr(value, "ndim") and not hasattr(value, "iloc"):
        value = np.asarray(value)
    if getattr(value, "ndim", 0) == 3:
        return [_as_series(v, f"{name}[{i}]", dtype=dtype) for i, v in enumerate(value)], True
    return [_as_series(value, name, dtype=dtype)], False


def _ridge_fast_path(readout):
    return type(readout) is Ridge and not readout.positive


class WCRNNForecaster(NestedDefaultsMixin, BaseEstimator):
    """Forecast a time series with a reservoir: teacher forcing, then closed loop.

    ``fit(y)`` drives the reservoir with ``y_t`` (and exogenous ``X_t``) and trains
    the readout to output the next ``horizon`` values ``y_{t+1} .. y_{t+horizon}``
    from the state ``h_t``. ``predict(n_steps)`` generates in closed loop: each
    forecast is fed back as the next input.

    - With ``horizon=1`` and a linear readout (``coef_`` and ``intercept_``, e.g. the
      default ridge) the closed loop is the WCRNN with recurrent weights
      ``W + U_y V`` and bias ``b + U_y c`` (see
      :func:`~wcrnn_rc.forecasting.closed_loop_network`), run in one compiled
      kernel: no Python per step. The kernel adds the feedback ``U_y y_hat`` to
      ``W h`` each step, so a sparse W stays sparse (O(nnz) per step).
    - Any other readout runs step by step: one ``readout.predict`` and one network
      step per forecast step, in Python. Measured on the project's 2-core machine: a
      pipeline around ``Ridge`` took 1.9 ms per step at 50 units, the compiled loop
      6 us.
    - With ``horizon > 1`` (the direct multi-step strategy) the readout outputs a
      block of ``horizon`` steps at once; the block is then fed back as the input
      for the next ``horizon`` steps (one readout call and one compiled run per
      block).

    The forecaster runs in the dtype of the ``y`` it is fitted on (its first series):
    float32 ``y`` gives float32 states, ``state_`` and forecasts, and a float32
    closed loop, which moves half the bytes per step (a dense W of 2000 units fits in
    the cache in float32 and not in float64); anything else runs in float64. Later
    inputs (``X``, ``context``, chunks of ``partial_fit``) are cast to that dtype. The
    ridge statistics and the closed-loop spectrum are computed in float64 either way.

    Parameters
    ----------
    reservoir : WCRNNReservoir, default=None
        Cloned into ``reservoir_`` and fitted on the inputs ``[y, X]``; None means
        ``WCRNNReservoir()``. Nested parameters (``reservoir__coupling``) work in
        ``set_params`` and grid search.
    readout : regressor, default=None
        Any scikit-learn regressor, cloned into ``readout_``; None means ``Ridge()``.
        A plain ``Ridge`` (not ``positive``) is solved from statistics streamed with
        the run: by the normal equations (Cholesky, or an SVD-based ``lstsq`` of them
        where they are ill-conditioned) for every ``solver`` but ``"svd"``, and by a
        streamed QR of the states for ``Ridge(solver="svd")``
        (:class:`~wcrnn_rc.readouts.RidgeStatistics`). The result equals
        ``Ridge.fit`` on the states to rounding. A nearly unregularised readout
        (``alpha`` of 1e-10 or less, as chaotic systems are trained with) needs
        ``"svd"``: the states' condition number reaches 1e9, which the normal
        equations square past float64's precision. A subclass of ``Ridge`` runs its
        own ``fit`` on the stored states.
    washout : int, default=100
        Leading steps of each training series (and the shortest ``context`` of
        ``predict``) during which the state forgets ``h_0``; left out of training.
    horizon : int, default=1
        Steps the readout outputs at once. 1 is the recursive closed loop; larger
        values train the direct multi-step strategy.

    Attributes
    ----------
    reservoir_ : WCRNNReservoir
        The fitted reservoir; its inputs are the ``n_targets_`` series columns, then
        the ``n_exogenous_`` exogenous columns.
    readout_ : regressor
        The fitted readout, from states to ``horizon * n_targets_`` outputs
        (``[y_{t+1}, .., y_{t+horizon}]``, each ``n_targets_`` wide).
    state_ : ndarray of shape (n_units,)
        The state after the last input seen: the end of the (last) training series
        after ``fit`` or ``partial_fit``, the end of the forecast after ``predict``.
        The next ``predict`` without ``context`` continues from it.
    n_targets_ : int
        Number of columns of the series.
    n_exogenous_ : int
        Number of exogenous input columns (0 without ``X``).
    n_features_in_ : int
        ``n_targets_ + n_exogenous_``: the reservoir's inputs.
    closed_loop_network_ : Network
        The closed-loop network (``horizon=1`` and a linear readout only).
    lyapunov_exponents_ : ndarray of shape (min(n_units, 10),)
        The autonomous closed-loop Lyapunov spectrum per step, largest first (see
        :meth:`lyapunov_spectrum` for the defaults); computed on first access and
        cached.

    See Also
    --------
    WCRNNRegressor : Open-loop regression on an input series.
    wcrnn_rc.metrics.valid_prediction_time : How long a forecast stays valid.

    Notes
    -----
    The two Lyapunov spectra of the library are different quantities.
    ``WCRNNReservoir.lyapunov_exponents_`` is the **input-driven, open-loop**
    spectrum of the reservoir (an external drive, no feedback); this estimator's
    ``lyapunov_exponents_`` is the **autonomous, closed-loop** spectrum of the
    trained forecaster, whose Jacobian is ``R + eps diag(f'(a)) (W + U_y V)``.

    ``score`` is the R² (averaged over the targets) of the closed-loop forecast of
    the whole given series, not of one-step predictions. In ``GridSearchCV`` with
    ``TimeSeriesSplit`` each test fold follows its training fold, so the forecast
    continues from ``state_`` at the end of the training fold, as it should.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from wcrnn_rc import WCRNNForecaster, WCRNNReservoir
    >>> y = np.sin(0.2 * np.arange(1200))
    >>> model = WCRNNForecaster(WCRNNReservoir(n_units=50, random_state=0),
    ...                         Ridge(alpha=1e-4), washout=100)
    >>> model = model.fit(y[:1000])
    >>> forecast = model.predict(200)                 # continues after y[999]
    >>> forecast.shape
    (200, 1)
    >>> bool(np.abs(forecast[:, 0] - y[1000:]).max() < 0.01)
    True
    """

    _parameter_constraints: dict = {
        "reservoir": [WCRNNReservoir, None],
        "readout": [HasMethods(["fit", "predict"]), None],
        "washout": [Interval(numbers.Integral, 0, None, closed="left")],
        "horizon": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, reservoir=None, readout=None, *, washout=100, horizon=1):
        self.reservoir = reservoir
        self.readout = readout
        self.washout = washout
        self.horizon = horizon

    @staticmethod
    def _default_reservoir():
        return WCRNNReservoir()

    @staticmethod
    def _default_readout():
        return Ridge()

    # ---------------------------------------------------------------- input checks

    def _training_series(self, y, X):
        """Validated ``[(inputs, targets)]`` per series: inputs ``[y, X]``, targets y."""
        ys, many = _series_list(y, "y", _FIT_DTYPES)
        dtype = ys[0].dtype
        ys = [series.astype(dtype, copy=False) for series in ys]
        n_targets = ys[0].shape[1]
        for i, series in enumerate(ys):
            if series.shape[1] != n_targets:
                raise ValueError(
                    f"Series {i} of y has {series.shape[1]} columns; series 0 has {n_targets}."
                )
        if X is None:
            Xs = [None] * len(ys)
        else:
            Xs, x_many = (
                _series_list(X, "X", dtype) if many else ([_as_series(X, "X", dtype=dtype)], False)
            )
            if len(Xs) != len(ys):
                raise ValueError(f"X holds {len(Xs)} series but y holds {len(ys)}.")
            for i, (series, exog) in enumerate(zip(ys, Xs, strict=True)):
                if len(exog) != len(series):
                    raise ValueError(
                        f"X has {len(exog)} steps but y has {len(series)}"
                        + (f" (series {i})" if many else "")
                        + "; give one row of exogenous input per step."
                    )
                if exog.shape[1] != Xs[0].shape[1]:
                    raise ValueError("All series of X must have the same number of columns.")
        for i, series in enumerate(ys):
            where = f"series {i} of y" if many else "y"
            if self.horizon >= len(series):
                raise ValueError(
                    f"horizon={self.horizon} is not smaller than the {len(series)} steps of "
                    f"{where}: no step has a target {self.horizon} steps ahead."
                )
            if self.washout + self.horizon >= len(series):
                raise ValueError(
                    f"washout={self.washout} and horizon={self.horizon} leave no training "
                    f"steps in {where}, which has {len(series)} steps."
                )
        inputs = [s if x is None else np.hstack([s, x]) for s, x in zip(ys, Xs, strict=True)]
        n_exog = 0 if X is None else Xs[0].shape[1]
        return list(zip(inputs, ys, strict=True)), n_targets, n_exog, dtype

    def _targets_ahead(self, series):
        """``[y_{t+1}, .., y_{t+H}]`` for each state row t = 0 .. T-H-1."""
        T, H = len(series), self.horizon
        return np.hstack([series[k + 1 : T - H + k + 1] for k in range(H)])

    def _exogenous(self, X, n_steps, name="X"):
        if self.n_exogenous_ == 0:
            if X is not None:
                raise ValueError(f"{name} was given, but the forecaster was fitted without X.")
            return None
        if X is None:
            raise ValueError(
                f"The forecaster was fitted with {self.n_exogenous_} exogenous columns: give "
                f"{name} with one row per step."
            )
        X = _as_series(X, name, self.n_exogenous_, self._dtype)
        if len(X) != n_steps:
            raise ValueError(f"{name} has {len(X)} rows; expected {n_steps}, one per step.")
        return X

    # ---------------------------------------------------------------- fit

    def _pair_windows(self, network, inputs, series, initial_state, first_state_index, last):
        """(states, targets) windows of one series' teacher-forced pairs.

        State row i (the state after input i, global index ``first_state_index + i``)
        pairs with the targets ahead of it; rows before the washout are dropped.
        ``last`` receives the final state.
        """
        targets = self._targets_ahead(series)
        n_pairs = len(targets)
        start = max(0, self.washout - first_state_index)
        seqs = Sequences("series", [inputs], inputs.dtype)
        for rows, states, h, _ in network.state_windows(
            seqs, store_states=True, initial_state=initial_state
        ):
            last[0] = h[0]
            lo, hi = max(rows.start, start), min(rows.stop, n_pairs)
            if lo < hi:
                yield states[lo - rows.start : hi - rows.start], targets[lo:hi]

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, y, X=None):
        """Train the readout by teacher forcing.

        Parameters
        ----------
        y : array-like of shape (n_steps,) or (n_steps, n_targets), or list of such
            The series to learn; a list (or a 3-D array) holds several series, trained
            on together with no state carried across them.
        X : array-like of shape (n_steps, n_exogenous), or list of such, default=None
            Exogenous inputs, one row per step of ``y``.

        Returns
        -------
        self : object
            The fitted forecaster.
        """
        pairs, n_targets, n_exog, dtype = self._training_series(y, X)
        for name in ("reservoir_", "readout_", "state_", "_stream"):
            self.__dict__.pop(name, None)
        self._cache = {}
        readout = self.readout if self.readout is not None else self._default_readout()
        reservoir = clone(
            self.reservoir if self.reservoir is not None else self._default_reservoir()
        )
        fit_inputs = [inputs for inputs, _ in pairs]
        reservoir.fit(fit_inputs[0] if len(pairs) == 1 else fit_inputs)
        network = reservoir.network_
        last = np.zeros((1, network.n_units), dtype)

        def windows():
            for inputs, series in pairs:
                yield from self._pair_windows(network, inputs, series, None, 0, last)

        if _ridge_fast_path(readout):
            readout._validate_params()  # the streamed fit never calls Ridge.fit
            fitted = ridge_from_state_windows(windows(), readout)
        else:
            chunks = [(s.copy(), t) for s, t in windows()]
            features = np.vstack([s for s, _ in chunks])
            targets = np.vstack([t for _, t in chunks])
            fitted = clone(readout).fit(
                features, targets[:, 0] if targets.shape[1] == 1 else targets
            )
        self.reservoir_, self.readout_ = reservoir, fitted
        self.n_targets_, self.n_exogenous_ = n_targets, n_exog
        self.n_features_in_ = n_targets + n_exog
        self._dtype = dtype
        self.state_ = last[0].copy()
        self._fit_state = self.state_.copy()
        return self

    def partial_fit(self, y, X=None):
        """Stream one chunk of a single series, carrying the state and the last pair on.

        The first call draws the reservoir's weights from its chunk and starts from
        ``h_0 = 0``; each call runs its chunk from ``state_``. The state at the end of
        one chunk is paired with the first value of the next, so the teacher-forced
        pairs are those of one ``fit`` on the concatenated series (the first
        ``washout`` states of the stream are left out). With a plain ``Ridge``
        readout (the default) the readout is solved from running statistics after
        every chunk and equals that ``fit`` up to rounding; any other readout needs
        ``partial_fit`` (e.g. :class:`~wcrnn_rc.readouts.RLSRegressor`). ``fit``
        starts a new stream. Only ``horizon=1``.

        Parameters
        ----------
        y : array-like of shape (n_steps,) or (n_steps, n_targets)
            The next chunk of the series.
        X : array-like of shape (n_steps, n_exogenous), default=None
            Its exogenous inputs (given in every chunk, or in none).

        Returns
        -------
        self : object

        Examples
        --------
        >>> import numpy as np
        >>> from wcrnn_rc import WCRNNForecaster, WCRNNReservoir
        >>> y = np.sin(0.2 * np.arange(900))
        >>> streamed = WCRNNForecaster(WCRNNReservoir(n_units=30, random_state=0))
        >>> for chunk in np.array_split(y, 3):
        ...     streamed = streamed.partial_fit(chunk)
        >>> whole = WCRNNForecaster(WCRNNReservoir(n_units=30, random_state=0)).fit(y)
        >>> bool(np.allclose(streamed.predict(50), whole.predict(50)))
        True
        """
        first = "_stream" not in self.__dict__
        if first:
            self._validate_params()
        if self.horizon != 1:
            raise ValueError(f"partial_fit needs horizon=1; got horizon={self.horizon}.")
        series = _as_series(
            y, "y", None if first else self.n_targets_, _FIT_DTYPES if first else self._dtype
        )
        if not first and bool(self.n_exogenous_) != (X is not None):
            raise ValueError(
                "Give exogenous X in every chunk or in none: the stream started "
                + ("with" if self.n_exogenous_ else "without")
                + " it."
            )
        exog = (
            None
            if X is None
            else _as_series(X, "X", None if first else self.n_exogenous_, series.dtype)
        )
        if exog is not None and len(exog) != len(series):
            raise ValueError(
                f"X has {len(exog)} steps but y has {len(series)}; give one row of exogenous "
                "input per step."
            )
        inputs = series if exog is None else np.hstack([series, exog])
        if first:
            readout = self.readout if self.readout is not None else self._default_readout()
            reservoir = clone(
                self.reservoir if self.reservoir is not None else self._default_reservoir()
            )
            reservoir.fit(inputs)
            if _ridge_fast_path(readout):
                readout._validate_params()
                learner = RidgeStatistics.for_ridge(readout)
            elif hasattr(readout, "partial_fit"):
                learner = clone(readout)
            else:
                raise TypeError(
                    "partial_fit needs a Ridge readout or one with partial_fit (such as "
                    f"wcrnn_rc.readouts.RLSRegressor); got a {type(readout).__name__}."
                )
            self._cache = {}
            self.n_targets_ = series.shape[1]
            self.n_exogenous_ = 0 if exog is None else exog.shape[1]
            self.n_features_in_ = self.n_targets_ + self.n_exogenous_
            self._dtype = series.dtype
            stream = {"reservoir": reservoir, "template": readout, "learner": learner}
            stream.update(n_seen=0, state=np.zeros(reservoir.network_.n_units, series.dtype))
        else:
            stream = self._stream
            self._cache = {}
        learner, n_seen = stream["learner"], stream["n_seen"]

        def learn(states, targets):
            if isinstance(learner, RidgeStatistics):
                learner.update(states, targets)
            else:
                learner.partial_fit(states, targets[:, 0] if targets.shape[1] == 1 else targets)

        # The previous chunk's last state (state index n_seen) pairs with y[0].
        if n_seen >= 1 and n_seen > self.washout:
            learn(stream["state"][None], series[:1])
        # State row i of this chunk has index n_seen + i + 1 and pairs with y[i + 1].
        skip = max(0, self.washout - n_seen)
        last = np.zeros((1, 0))
        seqs = Sequences("series", [inputs], inputs.dtype)
        network = stream["reservoir"].network_
        for rows, states, h, _ in network.state_windows(
            seqs, store_states=True, initial_state=stream["state"]
        ):
            last = h
            lo, hi = max(rows.start, skip), min(rows.stop, len(series) - 1)
            if lo < hi:
                learn(states[lo - rows.start : hi - rows.start], series[lo + 1 : hi + 1])
        stream["state"] = np.array(last[0])
        stream["n_seen"] = n_seen + len(series)
        self._stream = stream
        self.reservoir_ = stream["reservoir"]
        self.state_ = stream["state"].copy()
        self._fit_state = self.state_.copy()
        if isinstance(learner, RidgeStatistics):
            if learner.n_samples:
                self.readout_ = learner.solve(stream["template"])
        elif stream["n_seen"] - 1 > self.washout:
            self.readout_ = learner
        return self

    def __sklearn_is_fitted__(self):
        return "readout_" in self.__dict__

    # ---------------------------------------------------------------- the closed loop

    def _linear_readout(self):
        """``(V, c)`` of a linear readout, or None."""
        readout = self.readout_
        if not (hasattr(readout, "coef_") and hasattr(readout, "intercept_")):
            return None
        n_out = self.horizon * self.n_targets_
        n_units = self.reservoir_.network_.n_units
        coef = np.asarray(readout.coef_, dtype=np.float64)
        intercept = np.broadcast_to(np.asarray(readout.intercept_, dtype=np.float64), (n_out,))
        if coef.size != n_out * n_units:
            return None
        return coef.reshape(n_out, n_units), np.array(intercept)

    def _require_linear(self, what):
        check_is_fitted(self)
        linear = self._linear_readout()
        if linear is None:
            raise TypeError(
                f"{what} needs a linear readout (with coef_ and intercept_, such as Ridge); "
                f"this forecaster's readout is a {type(self.readout_).__name__}."
            )
        if self.horizon != 1:
            raise ValueError(
                f"{what} needs horizon=1: with horizon={self.horizon} the fed-back block "
                "is not a per-step closed loop."
            )
        return linear

    def _closed_loop(self):
        network = self.reservoir_.network_
        key = ("closed_loop", network.coupling, network.activation)
        if key not in self._cache:
            coef, intercept = self._require_linear("The closed-loop network")
            self._cache[key] = closed_loop_network(network, coef, intercept)
        return self._cache[key]

    @property
    def closed_loop_network_(self):
        """Network: the closed loop ``W + U_y V``, ``b + U_y c`` (linear readout only)."""
        try:
            return self._closed_loop()
        except TypeError as exc:
            raise AttributeError(str(exc)) from exc

    @staticmethod
    def _raise_diverged(step, n_steps, what):
        raise FloatingPointError(
            f"The closed loop diverged at step {step} of {n_steps}: {what} became NaN or "
            "infinite. The trained loop is unstable; raise the readout's regularisation "
            "(readout__alpha), lower residual_scale or coupling, or train on more data."
        )

    def _generate_compiled(self, h, n_steps, X):
        network = self.reservoir_.network_
        coef, intercept = self._linear_readout()
        out, last, n_finite = network.generate(coef, intercept, h, n_steps, X, dtype=self._dtype)
        # The kernel stops at the first non-finite forecast. A non-finite state makes
        # its forecast non-finite (0 * inf is NaN), so it can only be the state that
        # forecast was read from, or the final one: step s is the shortest forecast
        # that fails, as in the step-by-step path.
        state_finite = bool(np.isfinite(last).all())
        if n_finite < n_steps or not state_finite:
            step = n_finite + 1 if state_finite else n_finite
            self._raise_diverged(step, n_steps, "the forecast" if state_finite else "the state")
        return out, last

    def _run_block(self, network, inputs, h, done, n_steps):
        try:
            return network.run_series(inputs, initial_state=h)[-1]
        except FloatingPointError:
            pass
        for k in range(len(inputs)):  # find the step that overflowed
            try:
                h = network.run_series(inputs[k : k + 1], initial_state=h)[-1]
            except FloatingPointError:
                self._raise_diverged(done + k + 1, n_steps, "the state")
        return h  # pragma: no cover (the block overflowed, so one of its steps did)

    def _generate_blocks(self, h, n_steps, X):
        """The documented slow path: one readout call and one compiled run per block."""
        network = self.reservoir_.network_
        H, m = self.horizon, self.n_targets_
        out = np.empty((n_steps, m), self._dtype)
        done = 0
        while done < n_steps:
            with np.errstate(over="ignore", invalid="ignore"):  # checked just below
                block = self.readout_.predict(h[None])
            block = np.asarray(block, dtype=np.float64).reshape(H, m)
            take = min(H, n_steps - done)
            block = block[:take]
            finite = np.isfinite(block).all(axis=1)
            if not finite.all():
                self._raise_diverged(done + int(np.argmin(finite)) + 1, n_steps, "the forecast")
            out[done : done + take] = block
            inputs = block if X is None else np.hstack([block, X[done : done + take]])
            inputs = np.ascontiguousarray(inputs, dtype=self._dtype)
            h = self._run_block(network, inputs, h, done, n_steps)
            done += take
        return out, h

    def _warm_up(self, context, context_X):
        network = self.reservoir_.network_
        context = _as_series(context, "context", self.n_targets_, self._dtype)
        needed = max(self.washout, 1)
        if len(context) < needed:
            raise ValueError(
                f"context has {len(context)} steps; the state needs at least "
                f"washout={self.washout} steps to warm up (and at least one)."
            )
        exog = self._exogenous(context_X, len(context), "context_X")
        inputs = np.ascontiguousarray(context if exog is None else np.hstack([context, exog]))
        # Only the last state is kept (the context may be long).
        _, last, _ = network.run(Sequences("series", [inputs], inputs.dtype), store_states=False)
        return last[0]

    def _forecast(self, n_steps, context, X, context_X):
        check_is_fitted(self)
        if isinstance(n_steps, bool) or not isinstance(n_steps, numbers.Integral) or n_steps < 1:
            raise ValueError(f"n_steps must be a positive integer; got {n_steps!r}.")
        n_steps = int(n_steps)
        X = self._exogenous(X, n_steps)
        if context is None:
            if context_X is not None:
                raise ValueError("context_X was given without context.")
            h = self.state_
        else:
            h = self._warm_up(context, context_X)
        if self.horizon == 1 and self._linear_readout() is not None:
            return self._generate_compiled(h, n_steps, X)
        return self._generate_blocks(h, n_steps, X)

    def predict(self, n_steps, *, context=None, X=None, context_X=None):
        """Generate ``n_steps`` in closed loop.

        Parameters
        ----------
        n_steps : int
            Number of steps to forecast.
        context : array-like of shape (n_context, n_targets) or (n_context,), \
                default=None
            Observed steps to warm up on (teacher-forced, from a zero state) before
            generating; at least ``washout`` steps. None continues from ``state_``
            (the end of the training series, or of the previous forecast).
        X : array-like of shape (n_steps, n_exogenous), default=None
            Exogenous inputs of the generated steps (required when ``fit`` had X).
        context_X : array-like of shape (n_context, n_exogenous), default=None
            Exogenous inputs of the context steps.

        Returns
        -------
        y_pred : ndarray of shape (n_steps, n_targets)
            ``y_pred[k]`` forecasts the step ``k + 1`` steps after the last input.
            ``state_`` becomes the state after the last forecast was fed back.

        Raises
        ------
        FloatingPointError
            When the forecast becomes NaN or infinite (the loop diverged), naming the
            step.
        """
        out, h = self._forecast(n_steps, context, X, context_X)
        self.state_ = np.array(h)
        return out

    def score(self, y, X=None, *, context=None, context_X=None):
        """R² of the closed-loop forecast of the whole series ``y``.

        The forecast of ``len(y)`` steps continues from ``state_`` (or warms up on
        ``context``) and is compared with ``y`` by :func:`sklearn.metrics.r2_score`,
        averaged uniformly over the targets. ``state_`` is left unchanged.

        Parameters
        ----------
        y : array-like of shape (n_steps,) or (n_steps, n_targets)
            The true continuation.
        X : array-like of shape (n_steps, n_exogenous), default=None
            Exogenous inputs of those steps.
        context, context_X : array-like, default=None
            As in :meth:`predict`.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        y = _as_series(y, "y", self.n_targets_)
        out, _ = self._forecast(len(y), context, X, context_X)
        return float(r2_score(y, out))

    # ---------------------------------------------------------------- dynamics

    def lyapunov_spectrum(
        self, n_exponents=None, *, n_steps=5000, washout=500, dt=1.0, X=None, random_state=0
    ):
        """The closed-loop Lyapunov spectrum of the trained forecaster, largest first.

        The autonomous closed loop (the network of :attr:`closed_loop_network_`, or
        driven by the exogenous ``X``) runs from the state at the end of training
        while tangent vectors follow its Jacobians ``R + eps diag(f'(a)) (W + U_y V)``,
        by :func:`wcrnn_rc.analysis.lyapunov_spectrum` with ``feedback`` (the compiled
        QR kernel). The feedback ``U_y V`` is added to W each step, so a sparse W
        stays sparse: O((nnz + N n_targets) k) per step for k exponents.

        Parameters
        ----------
        n_exponents : int, default=None
            Number of leading exponents; None means ``min(n_units, 10)``.
        n_steps : int, default=5000
            Steps averaged over.
        washout : int, default=500
            Steps run first, not counted.
        dt : float, default=1.0
            Time between two steps: the exponents are divided by it, so that with the
            series' sampling step they come out per unit time (1.0: per step).
        X : array-like of shape (washout + n_steps, n_exogenous), default=None
            The exogenous drive, when the forecaster has exogenous inputs.
        random_state : int, RandomState instance or None, default=0
            Draws the initial tangent vectors.

        Returns
        -------
        exponents : ndarray of shape (n_exponents,)

        Raises
        ------
        TypeError
            When the readout is not linear (no ``coef_`` and ``intercept_``).
        """
        coef, intercept = self._require_linear("The closed-loop spectrum")
        network = self.reservoir_.network_
        k = min(network.n_units, 10) if n_exponents is None else n_exponents
        if self.n_exogenous_:
            drive = self._exogenous(X, washout + n_steps)
        elif X is not None:
            raise ValueError("X was given, but the forecaster was fitted without X.")
        else:
            drive = None  # autonomous
        if not (isinstance(dt, numbers.Real) and dt > 0):
            raise ValueError(f"dt must be a positive number; got {dt!r}.")
        # The feedback U_y V is added to W each step, not folded into a dense W + U_y V.
        exponents = lyapunov_spectrum(
            network,
            drive,
            feedback=(coef, intercept),
            n_exponents=k,
            n_steps=n_steps,
            washout=washout,
            random_state=random_state,
            initial_state=self._fit_state,
        )
        return exponents / dt

    @property
    def lyapunov_exponents_(self):
        """ndarray: the closed-loop spectrum per step (``lyapunov_spectrum()``), cached."""
        check_is_fitted(self)
        network = self.reservoir_.network_
        key = ("lyapunov", network.coupling, network.activation)
        if key not in self._cache:
            try:
                self._cache[key] = self.lyapunov_spectrum()
            except (TypeError, ValueError) as exc:
                raise AttributeError(f"lyapunov_exponents_ cannot be computed: {exc}") from exc
        return self._cache[key]
