"""The fitted network: one immutable object holding the operands the kernels take.

:class:`~wcrnn_rc.WCRNNReservoir` builds a :class:`Network` in ``fit`` and exposes it
as ``network_``. Everything that runs the network (the reservoir's ``transform``, the
estimators' streamed readout, the analysis functions, the torch backend) reads it,
and every size the kernels use comes from its arrays, so no parameter changed after
``fit`` can reach a kernel. Its arrays are read-only.

The module also finds the network inside a fitted reservoir, estimator or pipeline
(``find_network``), by the public ``network_`` attribute alone.
"""

import dataclasses
import math
import numbers

import numpy as np
import scipy.sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from . import _config, _kernels, _memory
from ._constants import ACTIVATIONS, RESIDUAL_BLOCKS, RESIDUAL_DENSE, RESIDUAL_KINDS
from ._validation import (
    Sequences,
    from_packed_order,
    make_packing,
    pack,
    to_packed_order,
    unpack,
)

__all__ = ["Network", "find_network", "find_reservoir", "network_of"]

_ARRAY_FIELDS = (
    "recurrent_t",
    "indptr",
    "indices",
    "data",
    "input_weights",
    "bias",
    "residual_diag",
    "residual_blocks",
    "residual_dense_t",
)


def csr_arrays(W):
    """CSR ``(indptr, indices, data)`` of a dense or scipy sparse square matrix.

    int64 indices, float64 values, columns sorted within rows, no explicit zeros.
    """
    if scipy.sparse.issparse(W):
        W = scipy.sparse.csr_array(W, dtype=np.float64, copy=True)
        W.sum_duplicates()  # also sorts the columns
        W.eliminate_zeros()
        return (
            W.indptr.astype(np.int64, copy=False),
            W.indices.astype(np.int64, copy=False),
            W.data,
        )
    rows, cols = np.nonzero(W)
    indptr = np.searchsorted(rows, np.arange(W.shape[0] + 1)).astype(np.int64)
    return indptr, cols.astype(np.int64), np.ascontiguousarray(W[rows, cols], dtype=np.float64)


def dense_bytes(n_units, dtype=np.float64):
    """Bytes of one dense N x N array."""
    return int(n_units) ** 2 * np.dtype(dtype).itemsize


def check_dense_fits(n_units, what, dtype=np.float64, copies=1):
    """``MemoryError`` before making ``copies`` dense N x N arrays that would not fit."""
    _memory.check_fits(
        copies * dense_bytes(n_units, dtype),
        f"{what} ({n_units} x {n_units} {np.dtype(dtype).name})",
        hint="Use a sparse W (a density below 0.1, or fan_in).",
    )


@dataclasses.dataclass(frozen=True, eq=False)
class Network:
    """The operands of a fitted WCRNN, in the layouts the kernels take (float64).

    Build it with :meth:`from_weights`. ``coupling`` and ``activation`` are the only
    fields meant to change after ``fit`` (:meth:`with_run_parameters` returns a copy);
    everything else is fixed.

    Attributes
    ----------
    recurrent_t : ndarray of shape (n_units, n_units) or (0, 0)
        ``W.T``, C-contiguous (the dense layout); empty when W is stored as CSR.
    indptr, indices, data : ndarray
        CSR arrays of W (int64 row pointers and columns, float64 values); empty
        when W is stored dense. Exactly one layout is stored: CSR when the density
        of W is at most the larger of ``_config.SPARSE_MAX_DENSITY``, dense
        otherwise. A run that takes the other path builds that layout on first use
        and caches it, out of the pickle (:meth:`recurrent_operands`).
    w_density : float
        Fraction of non-zero entries of W (selects the path per call).
    input_weights : ndarray of shape (n_units, n_features)
        U.
    bias : ndarray of shape (n_units,)
        b.
    residual_kind : int
        A ``wcrnn_rc._constants.RESIDUAL_*`` code.
    residual_diag, residual_blocks, residual_dense_t : ndarray
        The residual's structured operands (see ``BaseResidual.kernel_operands``).
    residual_radius : float
        Spectral radius of the (linearised) residual, for messages.
    coupling : float
        eps.
    activation : int
        A ``wcrnn_rc._constants.ACTIVATION_*`` code.
    recurrent_radius : float
        The spectral radius of W where it was computed when W was drawn (a sparse
        draw rescaled to its gain), else NaN.
    """

    recurrent_t: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    w_density: float
    input_weights: np.ndarray
    bias: np.ndarray
    residual_kind: int
    residual_diag: np.ndarray
    residual_blocks: np.ndarray
    residual_dense_t: np.ndarray
    residual_radius: float
    coupling: float
    activation: int
    recurrent_radius: float = math.nan
    _casts: dict = dataclasses.field(default_factory=dict, init=False, repr=False)

    @classmethod
    def from_weights(
        cls, W, U, b, residual, *, coupling, activation, recurrent_radius=math.nan
    ):  # fmt: skip
        """Build the network from W, U, b and a built residual object.

        W is stored in one layout (see the class docstring): a sparse W above the
        sparse threshold is made dense, a dense one below it is made CSR.

        Parameters
        ----------
        W : ndarray, scipy sparse matrix/array, or tuple of ndarray
            W of shape (n_units, n_units), or its canonical CSR arrays ``(indptr,
            indices, data)`` (int64, int64, float64; sorted distinct columns), which
            are stored as they are, without a copy (they become read-only).
        U : ndarray of shape (n_units, n_features)
        b : ndarray of shape (n_units,)
        residual : BaseResidual
            A built residual (its ``kernel_operands`` and ``spectral_radius_``).
        coupling : float
        activation : str
            A name of ``wcrnn_rc._constants.ACTIVATIONS``.
        recurrent_radius : float, default=NaN
            The spectral radius of W, where known.

        Returns
        -------
        network : Network
        """
        n_units = U.shape[0]
        if isinstance(W, tuple):
            nnz = int(np.count_nonzero(W[2]))
        elif scipy.sparse.issparse(W):
            nnz = W.count_nonzero()
        else:
            W = np.asarray(W, dtype=np.float64)
            nnz = np.count_nonzero(W)
        density = nnz / max(n_units * n_units, 1)
        empty = np.zeros(0, np.int64)
        if isinstance(W, tuple) and nnz != W[2].size:  # explicit zeros (a zero draw)
            W = scipy.sparse.csr_array((W[2], W[1], W[0]), shape=(n_units, n_units))
        if density <= max(_config.SPARSE_MAX_DENSITY.values()):
            indptr, indices, data = W if isinstance(W, tuple) else csr_arrays(W)
            recurrent_t = np.zeros((0, 0))
        else:
            indptr, indices, data = empty, empty, np.zeros(0)
            if isinstance(W, tuple):
                W = scipy.sparse.csr_array((W[2], W[1], W[0]), shape=(n_units, n_units))
            if scipy.sparse.issparse(W):
                check_dense_fits(n_units, "W stored dense")
                W = W.toarray()
            recurrent_t = np.ascontiguousarray(W.T)
        kind, diag, blocks, dense_t = residual.kernel_operands(np.float64)
        return cls(
            recurrent_t=recurrent_t,
            indptr=indptr,
            indices=indices,
            data=data,
            w_density=float(density),
            input_weights=np.array(U, dtype=np.float64, order="C"),
            bias=np.array(b, dtype=np.float64),
            residual_kind=int(kind),
            residual_diag=diag,
            residual_blocks=blocks,
            residual_dense_t=dense_t,
            residual_radius=float(residual.spectral_radius_),
            coupling=coupling,
            activation=ACTIVATIONS[activation] if isinstance(activation, str) else activation,
            recurrent_radius=recurrent_radius,
        )

    def __post_init__(self):
        # Cast scalars to the kernels' types here, so one specialisation serves any
        # Python or NumPy scalar type (int 1, bool, float32 each compiled anew before).
        set_field = object.__setattr__
        if isinstance(self.coupling, bool | str) or not isinstance(self.coupling, numbers.Real):
            raise TypeError(f"coupling must be a real number; got {self.coupling!r}.")
        coupling = float(self.coupling)
        if not (math.isfinite(coupling) and coupling >= 0):
            raise ValueError(f"coupling must be finite and >= 0; got {coupling}.")
        set_field(self, "coupling", coupling)
        if self.activation not in ACTIVATIONS.values():
            raise ValueError(f"Unknown activation code {self.activation!r}.")
        set_field(self, "activation", int(self.activation))
        if self.residual_kind not in RESIDUAL_KINDS:
            raise ValueError(f"Unknown residual kind {self.residual_kind!r}.")
        set_field(self, "w_density", float(self.w_density))
        set_field(self, "residual_radius", float(self.residual_radius))
        set_field(self, "recurrent_radius", float(self.recurrent_radius))
        n_units, n_features = self.input_weights.shape
        expected = {
            # one layout of W: dense W.T, or CSR arrays with an empty W.T
            "recurrent_t": (0, 0) if self.indptr.size else (n_units, n_units),
            "bias": (n_units,),
            "residual_diag": (n_units,),
        }
        if self.indptr.size:
            expected["indptr"] = (n_units + 1,)
            if self.indices.shape != self.data.shape or (
                self.indices.size and not (0 <= self.indices.min() <= self.indices.max() < n_units)
            ):
                raise ValueError("The CSR arrays of W do not describe an N x N matrix.")
        if self.residual_kind == RESIDUAL_BLOCKS:
            expected["residual_blocks"] = (n_units // 2, 2, 2)
        if self.residual_kind == RESIDUAL_DENSE:
            expected["residual_dense_t"] = (n_units, n_units)
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise ValueError(
                    f"Network operand {name} has shape {getattr(self, name).shape}; expected "
                    f"{shape} for {n_units} units and {n_features} input features."
                )
        self._freeze()

    def _freeze(self):
        for name in _ARRAY_FIELDS:
            array = getattr(self, name)
            if array.flags.writeable:
                array = array.copy() if array.base is not None else array
                array.setflags(write=False)
                object.__setattr__(self, name, array)

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault("recurrent_radius", math.nan)  # pickled before it existed
        self.__dict__["_casts"] = {}
        self._freeze()

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_casts"] = {}
        return state

    @property
    def n_units(self):
        """int: number of units N, from the arrays."""
        return self.input_weights.shape[0]

    @property
    def n_features(self):
        """int: number of input features d, from the arrays."""
        return self.input_weights.shape[1]

    @property
    def stores_sparse(self):
        """bool: whether W is stored as CSR arrays (else as dense ``W.T``)."""
        return self.indptr.size > 0

    @property
    def recurrent_weights(self):
        """W, read-only, in its stored layout.

        An ndarray of shape (n_units, n_units) (a view) when W is stored dense; a
        ``scipy.sparse.csr_array`` over the network's read-only CSR arrays when it is
        stored sparse (``stores_sparse``). :meth:`dense_recurrent_weights` always
        gives an ndarray.
        """
        if not self.stores_sparse:
            return self.recurrent_t.T
        if "csr_array" not in self._casts:
            shape = (self.n_units, self.n_units)
            self._casts["csr_array"] = scipy.sparse.csr_array(
                (self.data, self.indices, self.indptr), shape=shape, copy=False
            )
        return self._casts["csr_array"]

    @property
    def recurrent_nnz(self):
        """int: number of non-zero entries of W."""
        if self.stores_sparse:
            return int(self.data.size)
        return int(round(self.w_density * self.n_units**2))

    def dense_recurrent_weights(self):
        """W as a dense ndarray of shape (n_units, n_units).

        The read-only stored array when W is stored dense; a new array (after a
        check that it fits in memory, else ``MemoryError``) when it is stored sparse.
        """
        if not self.stores_sparse:
            return self.recurrent_t.T
        check_dense_fits(self.n_units, "W made dense")
        return self.recurrent_weights.toarray()

    def with_run_parameters(self, *, coupling, activation):
        """This network with another coupling and activation (validated, cast).

        Returns ``self`` when both are unchanged.
        """
        code = ACTIVATIONS[activation] if isinstance(activation, str) else activation
        if coupling == self.coupling and code == self.activation and type(coupling) is float:
            return self
        return dataclasses.replace(self, coupling=coupling, activation=code)

    # ------------------------------------------------------------ kernel operands

    def _cast(self, name, dtype):
        array = getattr(self, name)
        if dtype == np.float64:
            return array
        key = (name, np.dtype(dtype).str)
        if key not in self._casts:
            self._casts[key] = np.ascontiguousarray(array, dtype=dtype)
        return self._casts[key]

    def uses_sparse(self, batched):
        """Whether a run takes the CSR path (a batch crosses over at a lower density)."""
        threshold = _config.SPARSE_MAX_DENSITY["batch" if batched else "series"]
        return self.w_density <= threshold

    def _other_layout(self, dtype):
        """The layout W is not stored in, built once per dtype and cached (not pickled)."""
        key = ("other_layout", np.dtype(dtype).str)
        if key not in self._casts:
            if self.stores_sparse:  # a batch between the two thresholds: dense W.T
                check_dense_fits(self.n_units, "W made dense for a batched run", dtype)
                recurrent_t = np.zeros((self.n_units, self.n_units), dtype=dtype)
                rows = np.repeat(np.arange(self.n_units), np.diff(self.indptr))
                recurrent_t[self.indices, rows] = self.data
                self._casts[key] = recurrent_t
            else:  # a threshold raised above the density W was stored for
                indptr, indices, data = csr_arrays(self.recurrent_t.T)
                self._casts[key] = (indptr, indices, data.astype(dtype))
        return self._casts[key]

    def recurrent_operands(self, dtype, batched):
        """``(W.T, indptr, indices, data, residual kind, diag, blocks, R.T)`` in dtype.

        The path (CSR or dense) is chosen per call by :meth:`uses_sparse`; a layout
        that is not stored is built on first use and cached.
        """
        if self.uses_sparse(batched):
            if self.stores_sparse:
                indptr, indices, data = self.indptr, self.indices, self._cast("data", dtype)
            else:
                indptr, indices, data = self._other_layout(dtype)
            recurrent_t = np.zeros((0, 0), dtype=dtype)
        else:
            indptr = indices = np.zeros(0, np.int64)
            data = np.zeros(0, dtype)
            if self.stores_sparse:
                recurrent_t = self._other_layout(dtype)
            else:
                recurrent_t = self._cast("recurrent_t", dtype)
        return (
            recurrent_t,
            indptr,
            indices,
            data,
            self.residual_kind,
            self._cast("residual_diag", dtype),
            self._cast("residual_blocks", dtype),
            self._cast("residual_dense_t", dtype),
        )

    def input_operands(self, dtype):
        """``(U.T, b)`` in dtype, C-contiguous."""
        key = ("input_t", np.dtype(dtype).str)
        if key not in self._casts:
            self._casts[key] = np.ascontiguousarray(self.input_weights.T, dtype=dtype)
        return self._casts[key], self._cast("bias", dtype)

    # ------------------------------------------------------------ running

    def initial_states(self, initial_state, n_seq, dtype):
        """h_0 for ``n_seq`` sequences: zeros, one state broadcast, or one per sequence."""
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

    def state_windows(self, seqs, packing=None, *, out=None, store_states=False,
                      initial_state=None):  # fmt: skip
        """Run the network window by window over time.

        Yields ``(rows, states, last, total)`` per window of steps: ``rows`` is the
        slice of packed rows the window covers, ``states`` their packed states,
        ``last`` the state of every sequence after the window (packed order) and
        ``total`` the window's sum of states per sequence (float64). States go into
        ``out[rows]`` when ``out`` (all packed rows) is given, else into one window
        buffer reused for every window when ``store_states``, else nowhere
        (``states`` is empty). Only one window's input is held at a time.

        Parameters
        ----------
        seqs : Sequences
            Validated input (``wcrnn_rc._validation.validate_sequences``).
        packing : Packing, default=None
            ``make_packing(seqs.lengths)`` when None.
        out : ndarray of shape (n_rows, n_units), default=None
        store_states : bool, default=False
        initial_state : array-like of shape (n_units,) or (n_sequences, n_units), \
                default=None
        """
        if seqs.n_features != self.n_features:
            raise ValueError(
                f"X has {seqs.n_features} features, but the network takes {self.n_features}."
            )
        packing = make_packing(seqs.lengths) if packing is None else packing
        dtype = seqs.dtype
        n_units = self.n_units
        n_rows = int(seqs.lengths.sum())
        if out is not None and (out.shape != (n_rows, n_units) or out.dtype != dtype):
            raise ValueError("out does not match the packed states' shape and dtype.")
        packed_x = seqs.data[0] if len(seqs) == 1 else pack(seqs.data, packing)
        input_t, bias = self.input_operands(dtype)
        operands = self.recurrent_operands(dtype, batched=packing.batch_sizes[0] > 1)
        fused = input_t.shape[0] <= _config.MAX_FUSED_FEATURES
        h = to_packed_order(self.initial_states(initial_state, len(seqs), dtype), packing)
        chunks = _kernels.parallel_chunks(packing.lengths, n_units, dense=operands[1].size == 0)

        buffer = np.empty((0, n_units), dtype)  # grown once, reused by every window
        # A window holds its input rows, and N values per row only for a state buffer or
        # a drive computed outside the step; without either, far more steps fit in one
        # (a batch of 20,000 sequences at N = 200 ran one step per window, each paying
        # the kernel call's allocations and the finiteness check).
        per_row = n_units if (store_states and out is None) or not fused else seqs.n_features
        for _, t1, rows, batch_sizes in window_steps(packing, per_row):
            n_rows = rows.stop - rows.start
            if out is not None:
                states = out[rows]
            elif store_states:
                if buffer.shape[0] < n_rows:
                    buffer = np.empty((n_rows, n_units), dtype)
                states = buffer[:n_rows]
            else:
                states = buffer[:0]
            if fused:
                inputs, kernel_input_t = packed_x[rows], input_t
            else:  # one GEMM for the window's drive beats per-step products
                inputs, kernel_input_t = packed_x[rows] @ input_t + bias, input_t[:0]
            inputs = np.ascontiguousarray(inputs)
            parts = _kernels.run_chunks(
                _kernels.run_packed,
                [
                    (
                        inputs,
                        kernel_input_t,
                        bias,
                        batch_sizes,
                        h[first:stop],
                        *operands,
                        self.coupling,
                        self.activation,
                        states,
                        first,
                    )
                    for first, stop in chunks
                ],
            )
            if len(parts) == 1:
                h, total = parts[0]
            else:
                h = np.concatenate([part[0] for part in parts])
                total = np.concatenate([part[1] for part in parts])
            # Non-finite states persist (inf and NaN propagate through rho and W), so
            # the sums catch a blow-up anywhere in the window.
            if not np.all(np.isfinite(total)):
                raise FloatingPointError(
                    f"Reservoir states became NaN or infinite by time step {t1}. "
                    f"The residual's spectral radius is {self.residual_radius:.3g}"
                    + (" (> 1, supercritical)" if self.residual_radius > 1 else "")
                    + "; lower residual_scale, coupling, recurrent_gain or the input "
                    "scaling, or use dtype float64."
                )
            yield rows, states, h, total

    def run(self, seqs, *, store_states, initial_state=None):
        """Run all sequences; return ``(states list or None, last, total)`` in input order.

        ``total`` (the sum of each sequence's states) is float64 whatever the dtype.
        """
        n_rows = int(seqs.lengths.sum())
        packed_states = np.empty((n_rows, self.n_units), seqs.dtype) if store_states else None
        packing = make_packing(seqs.lengths)
        total = 0.0
        for _, _, last_so_far, window_total in self.state_windows(
            seqs, packing, out=packed_states, initial_state=initial_state
        ):
            last, total = last_so_far, total + window_total
        last, total = from_packed_order(last, packing), from_packed_order(total, packing)
        if not store_states:
            return None, last, total
        if len(seqs) == 1:
            return [packed_states], last, total
        return unpack(packed_states, packing), last, total

    def run_series(self, X, initial_state=None):
        """States ``(n_steps, n_units)`` of one validated float series ``X`` (T, d)."""
        X = np.ascontiguousarray(X)
        states, _, _ = self.run(
            Sequences("series", [X], X.dtype), store_states=True, initial_state=initial_state
        )
        return states[0]

    def generate(self, coef, intercept, h0, n_steps, exogenous=None, dtype=np.float64):
        """Closed-loop forecasts ``V h + c`` fed back into the first inputs, compiled.

        The readout's ``n_targets`` outputs drive the first ``n_targets`` inputs and
        ``exogenous`` the others; W keeps its stored layout (a sparse W stays sparse).

        Parameters
        ----------
        coef : ndarray of shape (n_targets, n_units)
        intercept : ndarray of shape (n_targets,)
        h0 : ndarray of shape (n_units,)
            The state the first forecast is read from.
        n_steps : int
        exogenous : ndarray of shape (n_steps, n_features - n_targets), default=None
        dtype : {np.float64, np.float32}, default=np.float64
            The precision of the loop (float32: half the memory traffic of each step).

        Returns
        -------
        forecasts : ndarray of shape (n_steps, n_targets), in dtype
            Rows from ``n_finite`` on are not written.
        h : ndarray of shape (n_units,)
            The state after step ``n_finite`` (after the last forecast was fed back when
            all are finite).
        n_finite : int
            The number of leading finite forecasts.
        """
        coef = np.ascontiguousarray(coef, dtype=dtype)
        n_targets = coef.shape[0]
        input_t, bias = self.input_operands(dtype)
        if exogenous is None:
            exogenous = np.zeros((n_steps, 0), dtype)
        forecasts = np.empty((n_steps, n_targets), dtype)
        h, n_finite = _kernels.generate_closed_loop(
            np.ascontiguousarray(exogenous, dtype=dtype),
            input_t,
            bias,
            np.array(h0, dtype=dtype, ndmin=2, order="C"),
            *self.recurrent_operands(dtype, batched=False),
            self.coupling,
            self.activation,
            coef,
            np.ascontiguousarray(intercept, dtype=dtype),
            forecasts,
        )
        return forecasts, h[0], int(n_finite)


def window_steps(packing, values_per_row):
    """The windows of a run: ``(t0, t1, rows, batch_sizes)`` for steps ``t0:t1``.

    Each window covers at most ``_config.WINDOW_ELEMENTS // values_per_row`` packed rows
    (and at least one step); ``rows`` is its slice of packed rows and
    ``batch_sizes`` its steps' batch sizes, C-contiguous for the kernels. One
    sequence needs no O(n_steps) index array: its row t is step t.
    """
    max_rows = max(1, _config.WINDOW_ELEMENTS // max(values_per_row, 1))
    n_steps = len(packing.batch_sizes)
    if len(packing.order) == 1:
        ones = np.ones(min(max_rows, n_steps), np.int64)  # every window's batch sizes
        for t0 in range(0, n_steps, max_rows):
            t1 = min(t0 + max_rows, n_steps)
            yield t0, t1, slice(t0, t1), ones[: t1 - t0]
        return
    step_rows = np.concatenate([[0], np.cumsum(packing.batch_sizes)])
    t0 = 0
    while t0 < n_steps:
        t1 = np.searchsorted(step_rows, step_rows[t0] + max_rows, side="right") - 1
        t1 = min(max(t1, t0 + 1), n_steps)
        yield t0, t1, slice(step_rows[t0], step_rows[t1]), packing.batch_sizes[t0:t1]
        t0 = t1


# ---------------------------------------------------------------- finding a network


def _is_fitted(obj):
    try:
        check_is_fitted(obj)
    except NotFittedError:
        return False
    return True


def _looks_like_reservoir(obj):
    """A reservoir estimator: it builds a network in ``fit`` (public names only)."""
    if isinstance(obj, Network) or not hasattr(obj, "fit") or not hasattr(obj, "get_params"):
        return False
    if "network_" not in dir(type(obj)):
        return False
    return {"n_units", "residual", "coupling"} <= set(obj.get_params(deep=False))


def find_reservoir(obj):
    """The reservoir inside ``obj``: itself, an estimator's ``reservoir_``, a pipeline step.

    Returns ``(reservoir, fitted)``; an unfitted reservoir comes back as given.
    """
    if _looks_like_reservoir(obj):
        return obj, _is_fitted(obj)
    fitted_inner = getattr(obj, "__dict__", {}).get("reservoir_")
    if fitted_inner is not None and _looks_like_reservoir(fitted_inner):
        return fitted_inner, True
    for _, step in getattr(obj, "steps", []):
        if step is not None and step != "passthrough":
            try:
                return find_reservoir(step)
            except TypeError:
                continue
    if hasattr(obj, "get_params") and ("reservoir" in obj.get_params(deep=False)):
        raise NotFittedError(
            f"This {type(obj).__name__} is not fitted yet: fit it first, or pass its "
            "reservoir, which is then fitted on the drive."
        )
    if hasattr(obj, "steps"):
        raise NotFittedError(f"This {type(obj).__name__} holds no fitted reservoir: fit it first.")
    raise TypeError(
        "Expected a WCRNNReservoir, or a fitted estimator or pipeline containing one; "
        f"got {type(obj).__name__}."
    )


def find_network(obj):
    """The :class:`Network` of a network, a fitted reservoir, estimator or pipeline."""
    if isinstance(obj, Network):
        return obj
    reservoir, fitted = find_reservoir(obj)
    if not fitted:
        raise NotFittedError(f"This {type(reservoir).__name__} is not fitted yet; call fit first.")
    return reservoir.network_


def network_of(obj, fit_input):
    """The network of ``obj``; an unfitted reservoir is cloned and fitted here.

    ``fit_input`` is a callable returning the input to fit on (only called when needed);
    ``obj`` itself is never changed.
    """
    if isinstance(obj, Network):
        return obj
    reservoir, fitted = find_reservoir(obj)
    if fitted:
        return reservoir.network_
    return clone(reservoir).fit(fit_input()).network_


# ---------------------------------------------------------------- harvested features

# Per-sequence features, in the order a user lists them; "both" is ["last", "mean"].
SEQUENCE_FEATURES = ("last", "mean", "max", "ppv", "segments", "model_space")
MODEL_SPACE_TARGETS = ("state", "input")


@dataclasses.dataclass(frozen=True)
class FeatureSpec:
    """What the harvest computes per sequence (validated by the reservoir).

    Attributes
    ----------
    features : tuple of str
        Names of ``SEQUENCE_FEATURES``, in output order, without repeats.
    n_segments : int
        Segments for ``"segments"``: the state at the end of each of k equal parts.
    model_space_target : {"state", "input"}
        What the per-sequence ridge model predicts from the reduced state r_{t-1}:
        the next reduced state r_t or the next input x_t.
    model_space_alpha : float
        Ridge penalty of the per-sequence model, on the per-step averaged normal
        equations (so it does not scale with the length).
    bidirectional : bool
        Also run every sequence time-reversed and append its features.
    projection : ndarray of shape (n_units, n_components) or None
        Principal axes of the training states (model space only).
    center : ndarray of shape (n_units,) or None
        Mean training state (model space only).
    ppv_thresholds : ndarray of shape (n_thresholds, n_units) or None
        Levels ``"ppv"`` compares each unit's state with (quantiles of its training
        states); None compares with 0.
    legacy_names : bool
        A single ``"last"`` or ``"mean"`` is named ``prefix{i}`` (as before the
        other features existed).
    """

    features: tuple
    n_segments: int = 4
    model_space_target: str = "state"
    model_space_alpha: float = 1.0
    bidirectional: bool = False
    projection: np.ndarray = None
    center: np.ndarray = None
    ppv_thresholds: np.ndarray = None
    legacy_names: bool = False

    @property
    def n_ppv_thresholds(self):
        return 1 if self.ppv_thresholds is None else self.ppv_thresholds.shape[0]

    def widths(self, n_units, n_features):
        """``{feature: number of columns}`` for one direction."""
        n_comp = 0 if self.projection is None else self.projection.shape[1]
        n_targets = n_comp if self.model_space_target == "state" else n_features
        sizes = {
            "last": n_units,
            "mean": n_units,
            "max": n_units,
            "ppv": self.n_ppv_thresholds * n_units,
            "segments": self.n_segments * n_units,
            "model_space": (n_comp + 1) * n_targets,
        }
        return {name: sizes[name] for name in self.features}

    def n_features_out(self, n_units, n_features):
        width = sum(self.widths(n_units, n_features).values())
        return 2 * width if self.bidirectional else width

    def names(self, prefix, n_units, n_features):
        """Output column names, forward block first (``_rev`` for the reversed one)."""
        if self.legacy_names and not self.bidirectional:
            return [f"{prefix}{i}" for i in range(n_units)]
        n_comp = 0 if self.projection is None else self.projection.shape[1]
        n_targets = n_comp if self.model_space_target == "state" else n_features
        directions = ["", "_rev"] if self.bidirectional else [""]
        names = []
        for direction in directions:
            for feature in self.features:
                stem = f"{prefix}{direction}_"
                if feature == "segments":
                    names += [
                        f"{stem}seg{j}_{i}" for j in range(self.n_segments) for i in range(n_units)
                    ]
                elif feature == "ppv" and self.ppv_thresholds is not None:
                    names += [
                        f"{stem}ppv{j}_{i}"
                        for j in range(self.n_ppv_thresholds)
                        for i in range(n_units)
                    ]
                elif feature == "model_space":
                    # w{p}_{q}: weight of reduced-state component p (p = n_comp: the
                    # intercept) for target q
                    names += [
                        f"{stem}model{p}_{q}" for p in range(n_comp + 1) for q in range(n_targets)
                    ]
                else:
                    names += [f"{stem}{feature}{i}" for i in range(n_units)]
        return names


def segment_ends(lengths, n_segments):
    """Last step of each of ``n_segments`` equal parts: ``ceil((j + 1) L / k) - 1``."""
    lengths = np.asarray(lengths, dtype=np.int64)
    j = np.arange(1, n_segments + 1, dtype=np.int64)
    return np.ascontiguousarray((j[None, :] * lengths[:, None] + n_segments - 1) // n_segments - 1)


def principal_axes(network, seqs, n_components):
    """Mean and leading principal axes of the states of ``seqs``, streamed by window.

    Returns ``(center (n_units,), projection (n_units, n_components))`` in float64;
    each axis' largest entry is positive, so that the result is reproducible.
    """
    n, total, gram = 0, np.zeros(network.n_units), np.zeros((network.n_units, network.n_units))
    for _, states, _, _ in network.state_windows(seqs, store_states=True):
        states = states.astype(np.float64)
        n += states.shape[0]
        total += states.sum(axis=0)
        gram += states.T @ states
    center = total / n
    covariance = gram / n - np.outer(center, center)
    _, vectors = np.linalg.eigh(covariance)
    axes = vectors[:, ::-1][:, :n_components]
    signs = np.sign(axes[np.argmax(np.abs(axes), axis=0), np.arange(axes.shape[1])])
    return center, np.ascontiguousarray(axes * np.where(signs == 0, 1.0, signs))


# Fibonacci hashing (Knuth): row r is kept when the low 32 bits of r * floor(2^32 / phi)
# fall below 2^32 / stride. Unlike every stride-th packed row, which aliases with the
# time-major packing (stride 5 over 25 running sequences kept rows of only 5 of them),
# this spreads the kept rows over all sequences and steps; integer arithmetic, so the
# sample is the same on every machine.
_SAMPLE_HASH = np.uint64(2654435769)
_SAMPLE_HASH_RANGE = 1 << 32


def sample_rows(start, stop, stride):
    """Boolean mask of the packed rows ``start`` .. ``stop - 1`` kept for a sample of
    about one row in ``stride``, spread over sequences and steps (Fibonacci hashing)."""
    rows = np.arange(start, stop, dtype=np.uint64)
    hashed = (rows * _SAMPLE_HASH) & np.uint64(_SAMPLE_HASH_RANGE - 1)  # wraps mod 2^64
    return hashed < np.uint64(_SAMPLE_HASH_RANGE // stride)


def state_quantiles(network, seqs, levels, max_elements):
    """Per-unit quantiles of the states of ``seqs``, from a sample of about one packed
    row in ``stride`` spread over all sequences and steps (``sample_rows``).

    Parameters
    ----------
    network : Network
    seqs : Sequences
    levels : ndarray of shape (n_levels, n_units)
        Quantile level in [0, 1] for each unit, one row per threshold.
    max_elements : int
        About this many state entries are kept at most.

    Returns
    -------
    quantiles : ndarray of shape (n_levels, n_units), float64
        Linear interpolation between order statistics (NumPy's default method).
    """
    n_units = network.n_units
    stride = max(1, -(-int(seqs.lengths.sum()) * n_units // max_elements))
    sample = []
    for rows, states, _, _ in network.state_windows(seqs, store_states=True):
        sample.append(states[sample_rows(rows.start, rows.stop, stride)].astype(np.float64))
    ordered = np.sort(np.concatenate(sample), axis=0)
    position = np.asarray(levels, dtype=np.float64) * (len(ordered) - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, len(ordered) - 1)
    units = np.arange(n_units)
    fraction = position - below
    return ordered[below, units] * (1 - fraction) + ordered[above, units] * fraction


def reversed_sequences(seqs):
    """The sequences time-reversed (copies of the input only)."""
    return Sequences(seqs.kind, [np.ascontiguousarray(s[::-1]) for s in seqs.data], seqs.dtype)


def harvest_features(network, seqs, spec, initial_state=None):
    """Per-sequence features of ``spec`` for validated sequences, in input order.

    Runs the compiled harvest (``_kernels.harvest_packed``) window by window; only
    per-sequence accumulators are held, never a sequence's states. With
    ``spec.bidirectional`` the time-reversed run's features follow the forward ones.
    Each run starts from ``initial_state`` (zeros when None; see
    ``Network.initial_states``).

    Returns
    -------
    features : ndarray of shape (n_sequences, spec.n_features_out(...)), in seqs.dtype
    """
    lengths = seqs.lengths
    if "segments" in spec.features and lengths.min() < spec.n_segments:
        short = np.flatnonzero(lengths < spec.n_segments)
        raise ValueError(
            f"sequence_features 'segments' with n_segments={spec.n_segments} needs at least "
            f"{spec.n_segments} steps per sequence; sequences {short[:5].tolist()} have "
            f"{lengths[short[:5]].tolist()}. Lower n_segments, or pad or drop the short "
            "sequences."
        )
    blocks = [_harvest_one_direction(network, seqs, spec, initial_state)]
    if spec.bidirectional:
        reverse = reversed_sequences(seqs)
        blocks.append(_harvest_one_direction(network, reverse, spec, initial_state))
    return np.hstack(blocks) if len(blocks) > 1 else blocks[0]


def _harvest_one_direction(network, seqs, spec, initial_state=None):
    if seqs.n_features != network.n_features:
        raise ValueError(
            f"X has {seqs.n_features} features, but the network takes {network.n_features}."
        )
    dtype = seqs.dtype
    n_seq, n_units = len(seqs), network.n_units
    packing = make_packing(seqs.lengths)
    lengths = packing.lengths  # packed order
    wants = set(spec.features)
    packed_x = seqs.data[0] if n_seq == 1 else pack(seqs.data, packing)
    input_t, bias = network.input_operands(dtype)
    operands = network.recurrent_operands(dtype, batched=packing.batch_sizes[0] > 1)
    fused = input_t.shape[0] <= _config.MAX_FUSED_FEATURES

    # Sums over time accumulate in float64 whatever the state dtype: a float32 sum of
    # 2e6 states is off by about 1e-3.
    total = np.zeros((n_seq if "mean" in wants else 0, n_units), np.float64)
    maximum = np.full((n_seq if "max" in wants else 0, n_units), -np.inf, dtype)
    if spec.ppv_thresholds is None:
        thresholds = np.zeros((1, n_units), dtype)
    else:
        thresholds = np.ascontiguousarray(spec.ppv_thresholds, dtype=dtype)
    positives = np.zeros((n_seq if "ppv" in wants else 0, len(thresholds), n_units), np.float64)
    n_segments = spec.n_segments if "segments" in wants else 0
    ends = segment_ends(lengths, n_segments)
    segments = np.zeros((n_seq, n_segments, n_units), dtype)
    model = "model_space" in wants
    if model:
        projection = np.ascontiguousarray(spec.projection, dtype=dtype)
        center = np.ascontiguousarray(spec.center, dtype=dtype)
    else:
        projection, center = np.zeros((n_units, 0), dtype), np.zeros(n_units, dtype)
    n_comp = projection.shape[1]
    input_targets = model and spec.model_space_target == "input"
    n_targets = network.n_features if input_targets else n_comp
    previous = np.zeros((n_seq if model else 0, n_comp), dtype)
    gram = np.zeros((n_seq, n_comp + 1, n_comp + 1) if model else (0, 0, 0), np.float64)
    cross = np.zeros((n_seq if model else 0, n_comp + 1, n_targets), np.float64)
    no_targets = np.zeros((0, n_targets), dtype)

    h = to_packed_order(network.initial_states(initial_state, n_seq, dtype), packing)
    chunks = _kernels.parallel_chunks(lengths, n_units, dense=operands[1].size == 0)
    # The harvest keeps no states: a window holds its input rows (and the drive, when
    # computed outside the step), as in Network.state_windows.
    per_row = seqs.n_features if fused else n_units
    for t0, t1, rows, batch_sizes in window_steps(packing, per_row):
        if fused:
            inputs, kernel_input_t = packed_x[rows], input_t
        else:
            inputs, kernel_input_t = packed_x[rows] @ input_t + bias, input_t[:0]
        inputs = np.ascontiguousarray(inputs)
        targets = np.ascontiguousarray(packed_x[rows]) if input_targets else no_targets
        parts = _kernels.run_chunks(
            _kernels.harvest_packed,
            [
                (
                    inputs,
                    kernel_input_t,
                    bias,
                    batch_sizes,
                    h[first:stop],
                    *operands,
                    network.coupling,
                    network.activation,
                    t0,
                    total[first:stop],
                    maximum[first:stop],
                    thresholds,
                    positives[first:stop],
                    ends[first:stop],
                    segments[first:stop],
                    projection,
                    center,
                    targets,
                    previous[first:stop],
                    gram[first:stop],
                    cross[first:stop],
                    first,
                )
                for first, stop in chunks
            ],
        )
        h = parts[0] if len(parts) == 1 else np.concatenate(parts)
        # Without the sum, the window's last states: a non-finite state persists
        # (inf and NaN propagate through rho and W) in all but degenerate networks.
        if not np.all(np.isfinite(total if total.shape[0] else h)):
            raise FloatingPointError(
                f"Reservoir states became NaN or infinite by time step {t1}. "
                f"The residual's spectral radius is {network.residual_radius:.3g}"
                + (" (> 1, supercritical)" if network.residual_radius > 1 else "")
                + "; lower residual_scale, coupling, recurrent_gain or the input "
                "scaling, or use dtype float64."
            )

    counts = lengths[:, None].astype(np.float64)
    blocks = {  # means divided in float64, returned in the input dtype
        "last": lambda: h,
        "mean": lambda: (total / counts).astype(dtype),
        "max": lambda: maximum,
        "ppv": lambda: (positives / counts[:, :, None]).reshape(n_seq, -1).astype(dtype),
        "segments": lambda: segments.reshape(n_seq, -1),
        "model_space": lambda: model_space_weights(
            gram, cross, lengths - 1, spec.model_space_alpha
        ).astype(dtype),
    }
    parts = [blocks[name]() for name in spec.features]
    out = parts[0] if len(parts) == 1 else np.hstack(parts)
    return from_packed_order(out, packing)


def model_space_weights(gram, cross, n_pairs, alpha):
    """Per-sequence ridge weights ``(G / n + alpha I)^-1 (C / n)``, flattened row-major.

    Parameters
    ----------
    gram : ndarray of shape (n_sequences, p, p)
    cross : ndarray of shape (n_sequences, p, n_targets)
    n_pairs : ndarray of shape (n_sequences,)
        Number of (z, y) pairs summed (a sequence of length 1 has none: zero weights).
    alpha : float

    Returns
    -------
    weights : ndarray of shape (n_sequences, p * n_targets), float64
    """
    scale = 1.0 / np.maximum(np.asarray(n_pairs, dtype=np.float64), 1.0)[:, None, None]
    lhs = gram.astype(np.float64) * scale + alpha * np.eye(gram.shape[1])
    weights = np.linalg.solve(lhs, cross.astype(np.float64) * scale)
    return weights.reshape(len(weights), -1)
