"""Shared input checks: one time series (2-D), a batch (3-D) or a ragged list.

``validate_sequences`` turns any accepted input into a ``Sequences`` record with a
canonical layout (C-contiguous float32 or float64), checking finiteness, emptiness,
widths and the number of features seen in ``fit``. ``pack`` lays sequences out
time-major for the kernels (see ``wcrnn_rc._kernels``) and ``unpack`` reverses it.
"""

import os
import sys
import warnings
from dataclasses import dataclass

import numpy as np
import sklearn
from sklearn.utils.validation import check_array, validate_data

FLOAT_DTYPES = (np.float64, np.float32)

# Frames in these directories are skipped when a warning is attributed to its caller.
_INTERNAL_DIRS = tuple(
    os.path.dirname(os.path.abspath(module.__file__)) + os.sep
    for module in (sys.modules[__name__.rpartition(".")[0]], sklearn)
)


def warn_external(message, category):
    """Issue a warning attributed to the first caller outside wcrnn_rc and scikit-learn.

    A fixed ``stacklevel`` points into scikit-learn when the call goes through its
    wrappers (``_fit_context``, pipelines); this walks the stack instead.
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        _INTERNAL_DIRS
    ):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level + 1)


def is_dask_array(X):
    """Whether ``X`` is a dask array, decided without importing dask."""
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "__dask_graph__")


@dataclass(frozen=True)
class Sequences:
    """Validated input.

    Attributes
    ----------
    kind : {"series", "batch", "ragged"}
        One time series (2-D input), equal-length sequences (3-D input) or a list of
        sequences (which may differ in length).
    data : list of ndarray of shape (n_steps_i, n_features)
        The sequences, C-contiguous, one entry for a single series.
    dtype : numpy dtype
        float32 or float64, shared by all sequences.
    """

    kind: str
    data: list
    dtype: np.dtype

    @property
    def lengths(self):
        return np.array([len(seq) for seq in self.data], dtype=np.int64)

    @property
    def n_features(self):
        return self.data[0].shape[1]

    def __len__(self):
        return len(self.data)


def _is_sequence_list(X):
    """True for a list/tuple whose items are themselves 2-D (each a sequence)."""
    if not isinstance(X, (list, tuple)) or len(X) == 0:
        return False
    first = X[0]
    if hasattr(first, "ndim"):
        return first.ndim == 2
    return (
        isinstance(first, (list, tuple))
        and len(first) > 0
        and isinstance(first[0], (list, tuple, np.ndarray))
    )


def validate_sequences(estimator, X, *, reset):
    """Validate input for a reservoir and record or check ``n_features_in_``.

    Parameters
    ----------
    estimator : estimator instance
        Receives ``n_features_in_`` (and feature names for a 2-D DataFrame).
    X : array-like of shape (n_steps, n_features) or (n_sequences, n_steps, \
            n_features), or list of array-like of shape (n_steps_i, n_features)
        Input.
    reset : bool
        True in ``fit``; False checks against the fitted ``n_features_in_``.

    Returns
    -------
    sequences : Sequences
    """
    if is_dask_array(X):
        # transform, run and predict take dask arrays (wcrnn_rc._dask) before this.
        raise TypeError(
            f"{type(estimator).__name__} is fitted on data in memory (a NumPy array or a "
            "list of sequences), not on a dask array. Fit on a part that fits in memory, "
            "e.g. fit(X[:1000].compute(), ...); the reservoir's transform and the "
            "regressor's and classifier's predict then take the whole dask array. For a "
            "readout trained block by block, see the user guide's page 'Datasets larger "
            "than memory (dask)'."
        )
    if isinstance(X, np.ndarray) and X.ndim == 3:
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(
                f"Found an empty batch of sequences with shape {X.shape}; every "
                "sequence needs at least one time step."
            )
        n_seq, n_steps, n_features = X.shape
        flat = validate_data(
            estimator,
            X.reshape(n_seq * n_steps, n_features),
            reset=reset,
            dtype=FLOAT_DTYPES,
            order="C",
            ensure_min_samples=1,
        )
        flat = flat.reshape(n_seq, n_steps, n_features)
        return Sequences("batch", list(flat), flat.dtype)
    if _is_sequence_list(X):
        return _validate_ragged(estimator, X, reset=reset)
    if isinstance(X, (list, tuple)) and len(X) == 0:
        raise ValueError("Found an empty list of sequences; at least one is required.")
    if isinstance(X, (list, tuple)) and getattr(X[0], "ndim", None) == 1:
        raise ValueError(
            "Found a list of 1-D arrays, which is ambiguous. For sequences of one "
            "feature each, pass [x.reshape(-1, 1) for x in X]; for one series with a "
            "feature per array, pass np.column_stack(X)."
        )
    if hasattr(X, "ndim") and X.ndim not in (2, 3):
        raise ValueError(
            f"Expected a 2-D array (n_steps, n_features), a 3-D array (n_sequences, "
            f"n_steps, n_features) or a list of 2-D sequences; got {X.ndim}-D input. "
            "Reshape your data with X.reshape(-1, 1) if it is one series of one feature."
        )
    series = validate_data(estimator, X, reset=reset, dtype=FLOAT_DTYPES, order="C")
    return Sequences("series", [series], series.dtype)


def _validate_ragged(estimator, X, *, reset):
    seqs = []
    for i, seq in enumerate(X):
        try:
            seq = check_array(
                seq,
                dtype=FLOAT_DTYPES,
                order="C",
                input_name=f"X[{i}]",
                ensure_min_samples=1,
            )
        except ValueError as exc:
            raise ValueError(f"Sequence {i} of the list is invalid: {exc}") from exc
        seqs.append(seq)
    widths = sorted({seq.shape[1] for seq in seqs})
    if len(widths) > 1:
        by_width = {w: [i for i, s in enumerate(seqs) if s.shape[1] == w] for w in widths}
        detail = "; ".join(f"{w} features: sequences {idx[:5]}" for w, idx in by_width.items())
        raise ValueError(f"All sequences must have the same number of features; found {detail}.")
    dtype = np.result_type(*[seq.dtype for seq in seqs])
    seqs = [np.ascontiguousarray(seq, dtype=dtype) for seq in seqs]
    # Record or check n_features_in_ (and feature names) through sklearn on one time
    # step of the first sequence, then check the names of every other DataFrame.
    validate_data(estimator, _first_row(X[0]), reset=reset, dtype=FLOAT_DTYPES)
    for i, seq in enumerate(X[1:], start=1):
        if hasattr(seq, "columns"):
            try:
                validate_data(estimator, _first_row(seq), reset=False, dtype=FLOAT_DTYPES)
            except ValueError as exc:
                raise ValueError(f"Sequence {i} of the list: {exc}") from exc
    return Sequences("ragged", seqs, np.dtype(dtype))


def _first_row(seq):
    """The first time step of a sequence, keeping a DataFrame's column names."""
    return seq.iloc[:1] if hasattr(seq, "iloc") else np.asarray(seq)[:1]


@dataclass(frozen=True)
class Packing:
    """Time-major layout of sequences sorted by decreasing length.

    Attributes
    ----------
    order : ndarray of shape (n_sequences,)
        ``order[j]`` is the original index of packed sequence ``j``.
    batch_sizes : ndarray of shape (max_length,)
        Number of running sequences at each step (for one sequence, a read-only
        broadcast 1).
    positions : ndarray of shape (n_rows,) or None
        Packed row of each step, sequence-major in packed order; None for one
        sequence, whose packed rows are its steps.
    lengths : ndarray of shape (n_sequences,)
        Lengths in packed order.
    """

    order: np.ndarray
    batch_sizes: np.ndarray
    positions: np.ndarray
    lengths: np.ndarray


def make_packing(lengths):
    """Compute the time-major packing of sequences with the given lengths.

    Parameters
    ----------
    lengths : ndarray of shape (n_sequences,)

    Returns
    -------
    packing : Packing
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    if len(lengths) == 1:
        # One series: row t is step t. No O(n_steps) index arrays (8 bytes a step
        # each, 80 MB per 10^7 steps, more than the output of a long predict).
        ones = np.broadcast_to(np.ones(1, np.int64), (int(lengths[0]),))
        return Packing(np.zeros(1, np.int64), ones, None, lengths)
    order = np.argsort(-lengths, kind="stable")
    sorted_lengths = lengths[order]
    steps = np.arange(sorted_lengths[0])
    # Sorted descending, so the sequences still running at step t are a prefix.
    batch_sizes = np.searchsorted(-sorted_lengths, -steps, side="left").astype(np.int64)
    step_offsets = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]])
    seq_index = np.repeat(np.arange(len(sorted_lengths)), sorted_lengths)
    seq_starts = np.concatenate([[0], np.cumsum(sorted_lengths)[:-1]])
    step_index = np.arange(seq_index.shape[0]) - np.repeat(seq_starts, sorted_lengths)
    positions = step_offsets[step_index] + seq_index
    return Packing(order, batch_sizes, positions, sorted_lengths)


def pack(seqs, packing):
    """Stack sequences into a (n_rows, n_features) time-major packed array."""
    if packing.positions is None:  # one sequence
        return np.array(seqs[0])
    seq_major = np.concatenate([seqs[i] for i in packing.order], axis=0)
    packed = np.empty_like(seq_major)
    packed[packing.positions] = seq_major
    return packed


def to_packed_order(rows, packing):
    """Per-sequence rows (input order) in packed order: a view when that is the same."""
    return rows if _in_input_order(packing) else rows[packing.order]


def from_packed_order(rows, packing):
    """Per-sequence rows in packed order back in input order (``to_packed_order``'s
    inverse)."""
    return rows if _in_input_order(packing) else rows[np.argsort(packing.order)]


def _in_input_order(packing):
    # Equal lengths (a 3-D batch) or already sorted: the stable sort kept every sequence
    # in place, and permuting (n_sequences, N) arrays would be a copy for nothing.
    return bool(np.all(packing.order == np.arange(len(packing.order))))


def unpack(packed, packing):
    """Split packed rows back into sequences, in the original order."""
    if packing.positions is None:  # one sequence
        return [packed]
    seq_major = packed[packing.positions]
    pieces = np.split(seq_major, np.cumsum(packing.lengths)[:-1])
    out = [None] * len(pieces)
    for j, piece in enumerate(pieces):
        out[packing.order[j]] = piece
    return out
