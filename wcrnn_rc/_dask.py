"""Dask arrays of sequences: transform, run and predict chunk by chunk.

``WCRNNReservoir.transform``/``run`` and the estimators' ``predict``,
``predict_proba`` and ``decision_function`` hand a dask array to
:func:`map_sequences`, which returns a lazy dask array computed block by block on
whatever dask scheduler is active (threads, ``scheduler="sync"``, processes or a
``distributed`` cluster). Every block is a NumPy batch of whole sequences that goes
through the estimator's own in-memory method, so the result equals the in-memory one.

Dask is an optional extra: this module imports it only when a dask array comes in
(``_validation.is_dask_array`` reads the object's type without importing dask), so
importing wcrnn_rc never imports it. It depends on nothing in wcrnn_rc but
``_validation``; the estimators call it, not the other way round.
"""

import warnings

import numpy as np

from ._validation import is_dask_array, warn_external

__all__ = ["is_dask_array", "map_sequences"]

_INSTALL = (
    'pip install "dask[array]" (in a source tree: pip install ".[distributed]", '
    "which also installs dask.distributed)"
)
_FEATURE_NAMES_WARNING = "X does not have valid feature names"


def _import_dask():
    try:
        import dask
        import dask.array as da
    except ImportError as exc:  # pragma: no cover - a dask array implies dask
        raise ImportError(f"Dask arrays need dask.array: {_INSTALL}.") from exc
    return dask, da


def _whole_sequences(X, owner, method):
    """``X`` with every block holding whole sequences (one chunk along axes 1 and 2).

    A dask array chunked over time steps or features is rechunked, with a warning:
    every sequence is run from its first step to its last in one task.
    """
    if X.ndim != 3:
        raise ValueError(
            f"{owner}.{method} takes a dask array of sequences of shape (n_sequences, "
            f"n_steps, n_features), chunked over sequences; got a {X.ndim}-D dask array. "
            "One time series (2-D) runs step after step, so it cannot be split across "
            "tasks: pass it as a NumPy array (or stream it with partial_fit)."
        )
    if any(np.isnan(size) for size in X.shape[1:]):
        raise ValueError(
            f"{owner}.{method} needs the number of steps and features of the dask array; "
            f"its shape is {X.shape}. Call X.compute_chunk_sizes() first."
        )
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(
            f"Found an empty batch of sequences with shape {X.shape}; every sequence "
            "needs at least one time step."
        )
    if len(X.chunks[1]) > 1 or len(X.chunks[2]) > 1:
        # Keep the sequence chunks where a whole-sequence block stays within dask's
        # chunk size; otherwise let dask choose them ("auto").
        limit = dask_chunk_bytes()
        block = max(X.chunks[0], default=0) * X.shape[1] * X.shape[2] * X.dtype.itemsize
        first = X.chunks[0] if block <= limit else "auto"
        rechunked = X.rechunk({0: first, 1: -1, 2: -1})
        warn_external(
            f"The dask array passed to {owner}.{method} is chunked over time steps or "
            f"features (chunks {_describe_chunks(X.chunks)}), but every sequence must be "
            f"whole in one block: it is rechunked to {_describe_chunks(rechunked.chunks)}, "
            "which moves the data between tasks once more. Chunk it over sequences only, "
            "e.g. X.rechunk({0: 1000, 1: -1, 2: -1}) or da.from_zarr(store, "
            "chunks=(1000, -1, -1)).",
            UserWarning,
        )
        X = rechunked
    return X


def dask_chunk_bytes():
    """Dask's target block size in bytes (``array.chunk-size``, 128 MiB by default)."""
    dask, _ = _import_dask()
    from dask.utils import parse_bytes

    return parse_bytes(dask.config.get("array.chunk-size"))


def _describe_chunks(chunks):
    parts = []
    for sizes in chunks:
        sizes = tuple(sizes)
        if len(sizes) == 1:
            parts.append(str(sizes[0]))
        elif len(set(sizes)) == 1:
            parts.append(f"{len(sizes)} x {sizes[0]}")
        elif len(set(sizes[:-1])) == 1 and sizes[-1] < sizes[0]:
            parts.append(f"{len(sizes)} blocks of up to {sizes[0]}")
        else:
            parts.append(f"{len(sizes)} blocks")
    return "(" + ", ".join(parts) + ")"


def _pickled(estimator):
    """The fitted estimator as bytes, which every task loads (a snapshot)."""
    import cloudpickle  # a dependency of dask

    try:
        return cloudpickle.dumps(estimator, protocol=5)
    except Exception as exc:
        raise TypeError(
            f"A dask array is computed by copies of this {type(estimator).__name__} in "
            f"every task (and in other processes on a cluster), so it must pickle; it "
            f"does not: {exc}"
        ) from exc


def _apply_block(block, *rest, payload, method, has_state, kwargs):
    """Run ``method`` of the pickled estimator on one block of whole sequences."""
    import pickle

    estimator = pickle.loads(payload)
    if has_state:
        kwargs = {**kwargs, "initial_state": rest[0]}
    with warnings.catch_warnings():
        # Feature names were checked once on the whole array (see map_sequences).
        warnings.filterwarnings("ignore", message=_FEATURE_NAMES_WARNING)
        return np.asarray(getattr(estimator, method)(np.asarray(block), **kwargs))


def map_sequences(estimator, method, X, *, initial_state=None, **kwargs):
    """Apply ``estimator.method`` to a dask array of sequences, block by block.

    Parameters
    ----------
    estimator : fitted estimator
        Its ``method`` takes a NumPy batch ``(n_sequences, n_steps, n_features)``
        and returns one row per sequence (any trailing shape).
    method : str
        ``"transform"``, ``"run"``, ``"predict"``, ``"predict_proba"`` or
        ``"decision_function"``.
    X : dask array of shape (n_sequences, n_steps, n_features)
        Chunked over sequences; chunks over steps or features are rechunked (with a
        warning).
    initial_state : array-like of shape (n_units,) or (n_sequences, n_units), \
            default=None
        Passed on to ``method``; one state per sequence is split like ``X``.
    **kwargs
        Other keyword arguments of ``method``.

    Returns
    -------
    dask array of shape (n_sequences, ...)
        Lazy: computed on the active dask scheduler. Its blocks follow ``X``'s
        sequence chunks.
    """
    dask, da = _import_dask()
    owner = type(estimator).__name__
    X = _whole_sequences(X, owner, method)
    n_steps, n_features = int(X.shape[1]), int(X.shape[2])
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)

    # Where each sequence has its own initial state, the states are split like X.
    state = initial_state
    if state is not None and not is_dask_array(state):
        state = np.asarray(state)
    per_sequence = state is not None and state.ndim == 2
    if per_sequence and tuple(state.shape[:1]) != tuple(X.shape[:1]):
        raise ValueError(
            f"initial_state has {state.shape[0]} rows but X has {X.shape[0]} sequences; "
            "give one state for all or one per sequence."
        )
    if state is not None:
        kwargs = {**kwargs, "initial_state": np.asarray(state[:1]) if per_sequence else state}

    # One sequence of zeros, in memory, checks the estimator and the input's width (and
    # the feature names) now, and gives the output's trailing shape and dtype.
    probe = np.zeros((1, n_steps, n_features), dtype=dtype)
    sample = np.asarray(getattr(estimator, method)(probe, **kwargs))
    trailing = sample.shape[1:]

    payload = dask.delayed(_pickled(estimator), pure=True)
    letters = "abcdefgh"[: len(trailing)]
    args = [X, "ist"]
    if per_sequence:
        kwargs.pop("initial_state")
        args += [da.asarray(state).rechunk({0: X.chunks[0], 1: -1}), "iu"]
    return da.blockwise(
        _apply_block,
        "i" + letters,
        *args,
        payload=payload,
        method=method,
        has_state=per_sequence,
        kwargs=kwargs,
        new_axes=dict(zip(letters, trailing, strict=True)),
        concatenate=True,
        dtype=sample.dtype,
        meta=np.empty((0,) * sample.ndim, dtype=sample.dtype),
        token=f"wcrnn-{owner.lower()}-{method}",
    )
