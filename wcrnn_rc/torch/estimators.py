"""WCRNNTorchRegressor and WCRNNTorchClassifier: WCRNNs trained end to end by BPTT."""

import copy
import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context, clone
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d
from torch import nn
from torch.nn import functional as F

from .._validation import validate_sequences
from ..reservoir import WCRNNReservoir
from .modules import RECURRENCES, WCRNN

__all__ = ["WCRNNTorchClassifier", "WCRNNTorchRegressor"]

_OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "sgd": torch.optim.SGD,
}
_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_PREDICT_BATCH = 1024  # sequences per forward pass in predict


_FITTED_ATTRIBUTES = (
    "module_",
    "optimizer_",
    "history_",
    "n_epochs_",
    "best_epoch_",
    "best_loss_",
    "n_features_in_",
    "feature_names_in_",
    "classes_",
    "_label_encoder",
    "_single_output",
)


class _SequenceModel(nn.Module):
    """A WCRNN layer and a linear readout of its last state or of every state."""

    def __init__(self, rnn, n_outputs, generator):
        super().__init__()
        self.rnn = rnn
        weight = rnn.cell.weight_hh
        self.readout = nn.Linear(
            rnn.hidden_size, n_outputs, dtype=weight.dtype, device=weight.device
        )
        # torch's default Linear init, U(-1/sqrt(N), 1/sqrt(N)), drawn again from our
        # generator so that it does not depend on torch's global seed.
        bound = 1.0 / np.sqrt(rnn.hidden_size)
        with torch.no_grad():
            for param in (self.readout.weight, self.readout.bias):
                draw = torch.rand(param.shape, generator=generator, dtype=torch.float64)
                param.copy_((2 * draw - 1) * bound)

    def forward(self, x, lengths, per_step):
        states, last = self.rnn(x, lengths=lengths)
        return self.readout(states if per_step else last)

    def window(self, x, lengths, h0, per_step):
        """Readout of one window from ``h0``, and the window's last states."""
        states, last = self.rnn(x, h0=h0, lengths=lengths)
        return self.readout(states if per_step else last), last


class _Data:
    """Sequences padded to one tensor, with lengths and (optionally) targets."""

    def __init__(self, seqs, dtype):
        self.lengths = torch.as_tensor(seqs.lengths)
        n_steps = int(self.lengths.max())
        padded = np.zeros((len(seqs), n_steps, seqs.n_features), dtype=np.float64)
        for i, seq in enumerate(seqs.data):
            padded[i, : len(seq)] = seq
        self.x = torch.as_tensor(padded).to(dtype)

    def batch(self, index, device):
        lengths = self.lengths[index]
        n_steps = int(lengths.max())
        return self.x[index, :n_steps].to(device), lengths.to(device), n_steps


class _BaseWCRNNTorch(BaseEstimator):
    """Shared parameters, training loop and prediction of the BPTT estimators."""

    _parameter_constraints: dict = {
        "reservoir": [WCRNNReservoir, None],
        "train_residual": ["boolean"],
        "outputs": [StrOptions({"last", "sequence"})],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(_OPTIMIZERS))],
        "clip_grad_norm": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "bptt_steps": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "recurrence": [StrOptions(set(RECURRENCES))],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "dtype": [StrOptions(set(_DTYPES))],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        reservoir=None,
        *,
        train_residual=False,
        outputs="last",
        max_epochs=50,
        batch_size=32,
        lr=1e-2,
        optimizer="adam",
        clip_grad_norm=1.0,
        weight_decay=0.0,
        validation_fraction=0.1,
        n_iter_no_change=10,
        bptt_steps=None,
        recurrence="auto",
        dtype="float32",
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.reservoir = reservoir
        self.train_residual = train_residual
        self.outputs = outputs
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.clip_grad_norm = clip_grad_norm
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.bptt_steps = bptt_steps
        self.recurrence = recurrence
        self.dtype = dtype
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def set_params(self, **params):
        """Set parameters, including nested ``reservoir__*`` ones.

        When ``reservoir`` is None, a nested parameter first puts the default
        ``WCRNNReservoir()`` in its place, so ``reservoir__coupling`` works out of the box.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
        """
        nested = any(key.startswith("reservoir__") for key in params)
        if nested and params.get("reservoir", self.reservoir) is None:
            params["reservoir"] = WCRNNReservoir()
        return super().set_params(**params)

    # ------------------------------------------------------------------ helpers

    def __sklearn_is_fitted__(self):
        return "module_" in self.__dict__

    def _torch_device(self):
        name = "cuda" if self.device == "auto" and torch.cuda.is_available() else self.device
        name = "cpu" if name == "auto" else name
        try:
            device = torch.device(name)
        except RuntimeError as exc:
            raise ValueError(f"Unknown device {self.device!r}: {exc}") from exc
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device={self.device!r}, but CUDA is not available here.")
        return device

    def _per_step(self, seqs):
        """Whether targets come one per time step (a series, or outputs="sequence")."""
        return seqs.kind == "series" or self.outputs == "sequence"

    def _check_targets(self, seqs, y):
        """Targets as a list, one array per sequence: (n_steps_i, ...) or (...)."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        if seqs.kind == "series":
            y = self._validate_targets(y)
            if y.shape[0] != len(seqs.data[0]):
                raise ValueError(
                    f"X is one series of {len(seqs.data[0])} time steps but y has "
                    f"{y.shape[0]} targets; give one target per time step."
                )
            return [y]
        if not self._per_step(seqs):
            y = self._validate_targets(y)
            if y.shape[0] != len(seqs):
                raise ValueError(
                    f"X has {len(seqs)} sequences but y has {y.shape[0]} targets; give "
                    "one target per sequence (or use outputs='sequence' for one per step)."
                )
            return list(y)
        if isinstance(y, np.ndarray) and y.ndim >= 2 and seqs.kind == "batch":
            pieces = list(y)
        elif isinstance(y, (list, tuple)):
            pieces = list(y)
        else:
            raise ValueError(
                "With outputs='sequence', y must hold one target per time step: an array "
                "of shape (n_sequences, n_steps[, n_targets]) for 3-D X, or a list of "
                "arrays of shape (n_steps_i[, n_targets])."
            )
        if len(pieces) != len(seqs):
            raise ValueError(f"X has {len(seqs)} sequences but y has {len(pieces)}.")
        pieces = [self._validate_targets(p) for p in pieces]
        for i, (piece, seq) in enumerate(zip(pieces, seqs.data, strict=True)):
            if piece.shape[0] != len(seq):
                raise ValueError(f"Sequence {i} has {len(seq)} steps but {piece.shape[0]} targets.")
        return pieces

    def _split(self, n_sequences, generator):
        """Training and validation indices (no validation for fewer than 2 sequences)."""
        order = torch.randperm(n_sequences, generator=generator)
        n_valid = int(round(self.validation_fraction * n_sequences))
        if self.validation_fraction > 0 and n_sequences >= 2:
            n_valid = min(max(n_valid, 1), n_sequences - 1)
        else:
            n_valid = 0
        return order[n_valid:], order[:n_valid]

    def _initial_reservoir(self, seqs, rng):
        """The reservoir fitted on the training input: the network training starts from.

        Its own ``random_state`` draws it when set; else ``rng`` does, first, so that
        ``random_state=k`` gives the network of ``WCRNNReservoir(random_state=k)``.
        """
        reservoir = clone(self.reservoir if self.reservoir is not None else WCRNNReservoir())
        if reservoir.random_state is None:
            reservoir.set_params(random_state=rng)
        return reservoir.fit(seqs.data)

    # ------------------------------------------------------------------ training

    def _fit(self, X, y):
        # Fitted attributes appear only when training succeeds: a failed fit (bad
        # input, a non-finite loss or gradient) leaves none, not even a previous fit's.
        for name in _FITTED_ATTRIBUTES:
            self.__dict__.pop(name, None)
        try:
            return self._train(X, y)
        except BaseException:
            for name in _FITTED_ATTRIBUTES:
                self.__dict__.pop(name, None)
            raise

    def _train(self, X, y):
        seqs = validate_sequences(self, X, reset=True)
        targets = self._check_targets(seqs, y)
        per_step = self._per_step(seqs)
        target_tensor, mask, n_outputs = self._encode_targets(targets, per_step, fit=True)
        device = self._torch_device()
        dtype = _DTYPES[self.dtype]

        random_state = self.random_state
        if random_state is None:  # follow torch.manual_seed, as the modules do
            random_state = int(torch.randint(0, np.iinfo(np.int32).max, (1,)))
        rng = check_random_state(random_state)
        # The reservoir draws the network from rng first (unless it has a random_state
        # of its own), so random_state=k gives the network of
        # WCRNNReservoir(random_state=k); torch's draws come after.
        reservoir = self._initial_reservoir(seqs, rng)
        generator = torch.Generator().manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
        rnn = WCRNN.from_reservoir(
            reservoir,
            train_residual=self.train_residual,
            dtype=_DTYPES[self.dtype],
            recurrence=self.recurrence,
        )
        module = _SequenceModel(rnn, n_outputs, generator).to(device)
        data = _Data(seqs, dtype)
        train_idx, valid_idx = self._split(len(seqs), generator)

        optimizer = _OPTIMIZERS[self.optimizer](
            module.parameters(), lr=self.lr, weight_decay=self.weight_decay
        )
        history = {"train_loss": [], "valid_loss": []}
        best_loss, best_state, best_epoch, stale = np.inf, None, 0, 0

        from tqdm.auto import tqdm

        epochs = tqdm(
            range(self.max_epochs),
            desc=type(self).__name__,
            disable=not self.verbose,
            leave=bool(self.verbose),
        )
        for epoch in epochs:
            module.train()
            order = train_idx[torch.randperm(len(train_idx), generator=generator)]
            total, count = 0.0, 0
            for batch, start in enumerate(range(0, len(order), self.batch_size)):
                index = order[start : start + self.batch_size]
                where = f"epoch {epoch + 1}, batch {batch + 1}"
                loss, weight = self._train_batch(
                    module, optimizer, data, index, target_tensor, mask, per_step, device, where
                )
                total += loss
                count += weight
            train_loss = total / count
            history["train_loss"].append(train_loss)
            monitored = train_loss
            if len(valid_idx):
                monitored = self._evaluate(module, data, valid_idx, target_tensor, mask, per_step)
                history["valid_loss"].append(monitored)
            epochs.set_postfix(
                train=f"{train_loss:.4g}",
                **({"valid": f"{monitored:.4g}"} if len(valid_idx) else {}),
            )
            if monitored < best_loss:
                best_loss, best_epoch, stale = monitored, epoch + 1, 0
                best_state = copy.deepcopy(module.state_dict())
            else:
                stale += 1
                if stale >= self.n_iter_no_change:
                    break
        epochs.close()
        if best_state is not None:
            module.load_state_dict(best_state)
        self.module_, self.optimizer_, self.history_ = module, optimizer, history
        self.n_epochs_ = len(history["train_loss"])
        self.best_epoch_ = best_epoch
        self.best_loss_ = float(best_loss)
        return self

    def _train_batch(
        self, module, optimizer, data, index, target_tensor, mask, per_step, device, where
    ):
        """Train on one batch; return its summed loss and weight (steps or sequences).

        Without ``bptt_steps`` (or when the batch is no longer) this is one gradient
        step through the whole sequences. Longer sequences are split into windows of
        ``bptt_steps``, run in order: each window starts from the previous one's last
        states (carried, detached) and, when it holds targets, takes its own gradient
        step (truncated BPTT).
        """
        x, lengths, n_steps = data.batch(index, device)
        width = n_steps if self.bptt_steps is None else self.bptt_steps
        cpu_lengths = lengths.cpu()
        h = None
        total, count = 0.0, 0
        for start in range(0, n_steps, width):
            stop = min(start + width, n_steps)
            running = torch.nonzero(cpu_lengths > start).squeeze(1)
            rows = index[running]
            window_lengths = (cpu_lengths[running] - start).clamp(max=stop - start)
            if per_step:
                step_mask = mask[rows, start:stop].to(device)
                weight = int(step_mask.sum())
            else:
                ends = cpu_lengths[running] <= stop  # read in this window
                weight = int(ends.sum())
            h0 = None if h is None else h[running.to(device)]
            xs = x[running.to(device), start:stop]
            if weight == 0:  # no target here: carry the state, no graph
                with torch.no_grad():
                    _, last = module.window(xs, window_lengths.to(device), h0, per_step)
            else:
                out, last = module.window(xs, window_lengths.to(device), h0, per_step)
                if per_step:
                    target = target_tensor[rows, start:stop].to(device)
                    loss = self._loss(out[step_mask], target[step_mask])
                else:
                    loss = self._loss(out[ends.to(device)], target_tensor[rows[ends]].to(device))
                self._step(module, optimizer, loss, where)
                total += float(loss.detach()) * weight
                count += weight
            if stop < n_steps:
                carried = x.new_zeros(len(index), last.shape[1]) if h is None else h.clone()
                carried[running.to(device)] = last.detach()
                h = carried
        return total, count

    def _step(self, module, optimizer, loss, where):
        """One optimiser step; a non-finite loss or gradient raises, naming ``where``."""
        if not torch.isfinite(loss.detach()):
            raise FloatingPointError(
                f"The training loss became {float(loss.detach())} in {where}; lower lr, "
                "residual_scale or coupling, or set clip_grad_norm."
            )
        optimizer.zero_grad()
        loss.backward()
        params = [p for p in module.parameters() if p.grad is not None]
        max_norm = np.inf if self.clip_grad_norm is None else self.clip_grad_norm
        norm = nn.utils.clip_grad_norm_(params, max_norm)
        if not torch.isfinite(norm):
            raise FloatingPointError(
                f"The gradient became non-finite (norm {float(norm)}) in {where}; lower lr, "
                "residual_scale or coupling, set clip_grad_norm, or shorten bptt_steps."
            )
        optimizer.step()

    def _batch_loss(self, module, data, index, target_tensor, mask, per_step, device):
        x, lengths, n_steps = data.batch(index, device)
        out = module(x, lengths, per_step)
        if per_step:
            target = target_tensor[index, :n_steps].to(device)
            step_mask = mask[index, :n_steps].to(device)
            return self._loss(out[step_mask], target[step_mask]), int(step_mask.sum())
        return self._loss(out, target_tensor[index].to(device)), len(index)

    def _evaluate(self, module, data, index, target_tensor, mask, per_step):
        module.eval()
        device = next(module.parameters()).device
        total, count = 0.0, 0
        with torch.no_grad():
            for start in range(0, len(index), _PREDICT_BATCH):
                part = index[start : start + _PREDICT_BATCH]
                loss, weight = self._batch_loss(
                    module, data, part, target_tensor, mask, per_step, device
                )
                total += float(loss.detach()) * weight
                count += weight
        return total / count

    # ------------------------------------------------------------------ prediction

    def _forward_all(self, X):
        """Raw outputs: per-step arrays (list) or an (n_sequences, n_outputs) array."""
        check_is_fitted(self)
        seqs = validate_sequences(self, X, reset=False)
        per_step = self._per_step(seqs)
        module = self.module_
        module.eval()
        weight = module.rnn.cell.weight_hh
        data = _Data(seqs, weight.dtype)
        outputs = []
        with torch.no_grad():
            for start in range(0, len(seqs), _PREDICT_BATCH):
                index = torch.arange(start, min(start + _PREDICT_BATCH, len(seqs)))
                x, lengths, _ = data.batch(index, weight.device)
                out = module(x, lengths, per_step).to("cpu", torch.float64).numpy()
                if per_step:
                    outputs.extend(o[:n] for o, n in zip(out, lengths.tolist(), strict=True))
                else:
                    outputs.append(out)
        if per_step:
            return seqs, outputs
        return seqs, np.concatenate(outputs)

    @staticmethod
    def _shape_like_input(seqs, per_sequence):
        """Per-step results shaped like the input: 2-D series, 3-D batch or a list."""
        if seqs.kind == "series":
            return per_sequence[0]
        if seqs.kind == "batch":
            return np.stack(per_sequence)
        return per_sequence

    def _flat_targets_and_predictions(self, X, y):
        """For ``score``: per-step targets and predictions stacked over all steps."""
        y_pred = self.predict(X)
        if isinstance(y_pred, list) or (
            isinstance(y_pred, np.ndarray) and self.outputs == "sequence" and y_pred.ndim >= 2
        ):
            seqs = validate_sequences(self, X, reset=False)
            if seqs.kind != "series":
                y_true = self._check_targets(seqs, y)
                return np.concatenate(list(y_true)), np.concatenate(list(y_pred))
        return y, y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


_SHARED_PARAMETERS = """
    reservoir : WCRNNReservoir, default=None
        The initial network, as an unfitted :class:`~wcrnn_rc.WCRNNReservoir`
        (cloned, then fitted on the training input in ``fit``): any network the core
        builds (every residual family, rotation angles chosen from the data, sparse
        or explicit ``recurrent_weights``, ``input_weights``, ``bias``). None means
        ``WCRNNReservoir()``. Its coupling stays fixed during training; W, U and b
        are trained (a sparse W becomes dense). Nested parameters
        (``reservoir__coupling``) work in ``set_params`` and ``GridSearchCV``.
    train_residual : bool, default=False
        Whether the residual is trained too (it keeps its structure).
    outputs : {"last", "sequence"}, default="last"
        For 3-D or list X: ``"last"`` reads the last state of each sequence (one
        target per sequence); ``"sequence"`` reads every step (one target per step:
        y of shape (n_sequences, n_steps[, ...]) or a list of per-step arrays). A
        2-D X is always one series with one target per step.
    max_epochs : int, default=50
        Maximum number of passes over the training sequences.
    batch_size : int, default=32
        Sequences per gradient step.
    lr : float, default=1e-2
        Learning rate.
    optimizer : {"adam", "adamw", "rmsprop", "sgd"}, default="adam"
        The torch optimiser.
    clip_grad_norm : float or None, default=1.0
        Gradients are clipped to this total norm before each step; None disables.
    weight_decay : float, default=0.0
        Weight decay of the optimiser.
    validation_fraction : float, default=0.1
        Fraction of the training sequences held out for early stopping; 0 disables.
        With fewer than two sequences (a single series) there is no validation set
        and the training loss is monitored instead.
    n_iter_no_change : int, default=10
        Training stops after this many epochs without a lower monitored loss
        (validation loss, else training loss); the best weights are restored.
    bptt_steps : int or None, default=None
        Truncated BPTT: longer sequences (a long 2-D series above all) are split
        into windows of this many steps, run in order, each starting from the
        previous window's last state (carried, detached from the graph) and taking
        its own gradient step when it holds targets. Memory then grows with
        ``bptt_steps``, not with the series' length. Nothing is dropped: every step
        is run and every target is trained on. None backpropagates through whole
        sequences.
    recurrence : {"auto", "fused", "reference", "compiled"}, default="auto"
        How the network runs (:class:`~wcrnn_rc.torch.WCRNN`): "auto" is the fused
        numba recurrence on the CPU and the step-by-step reference elsewhere.
    dtype : {"float32", "float64"}, default="float32"
        Floating dtype of the network.
    device : str, default="cpu"
        Torch device (``"cpu"``, ``"cuda"``, ``"cuda:1"``...), or ``"auto"`` for
        CUDA when available. Results are deterministic under ``random_state`` on CPU.
    random_state : int, RandomState instance or None, default=None
        Controls the initial network when ``reservoir`` has no ``random_state`` of
        its own (drawn exactly as ``WCRNNReservoir(random_state=...)`` draws it),
        the readout's initialisation, the validation split and the batch order.
        None draws a seed from torch's global generator, so ``torch.manual_seed``
        makes the fit reproducible.
    verbose : int, default=0
        Show a progress bar over epochs (tqdm) when positive."""

_SHARED_ATTRIBUTES = """
    module_ : torch.nn.Module
        The trained network: ``module_.rnn`` (a :class:`~wcrnn_rc.torch.WCRNN`, whose
        ``to_reservoir()`` exports it for the analysis tools) and ``module_.readout``
        (a ``torch.nn.Linear``).
    optimizer_ : torch.optim.Optimizer
        The optimiser, with its state after the last step.
    history_ : dict of list of float
        ``"train_loss"`` (mean over the epoch's batches) and ``"valid_loss"`` (empty
        without validation), one entry per epoch.
    n_epochs_ : int
        Number of epochs run.
    best_epoch_ : int
        The epoch whose weights were kept (1-based).
    best_loss_ : float
        Its monitored loss.
    n_features_in_ : int
        Number of input features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when X has string feature names."""


class WCRNNTorchRegressor(RegressorMixin, _BaseWCRNNTorch):
    __doc__ = f"""A WCRNN with a linear readout, trained end to end by BPTT (MSE loss).

    The network starts as the ``reservoir`` (a :class:`~wcrnn_rc.WCRNNReservoir`)
    draws it; then W, U, b, the readout and (with ``train_residual``) the residual
    are trained with mini-batch gradient descent through time. Input shapes are those of the core: a
    3-D array (n_sequences, n_steps, n_features) or a list of (n_steps_i,
    n_features) arrays of any lengths (padded, each read at its own last step), or a
    2-D array, one series with one target per step.

    Parameters
    ----------{_SHARED_PARAMETERS}

    Attributes
    ----------{_SHARED_ATTRIBUTES}

    See Also
    --------
    WCRNNTorchClassifier : The same model for classification.
    wcrnn_rc.WCRNNRegressor : The reservoir version: fixed network, ridge readout.

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc.torch import WCRNNTorchRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, 1, size=(200, 10, 1))
    >>> y = X[:, :, 0].sum(axis=1)                     # sum of the sequence
    >>> from wcrnn_rc import WCRNNReservoir
    >>> model = WCRNNTorchRegressor(
    ...     WCRNNReservoir(n_units=16), max_epochs=30, lr=0.05, random_state=0
    ... )
    >>> model.fit(X[:150], y[:150]).score(X[150:], y[150:]) > 0.9
    True
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network by backpropagation through time.

        Parameters
        ----------
        X : array-like of shape (n_steps, n_features) or (n_sequences, n_steps, \
                n_features), or list of array-like of shape (n_steps_i, n_features)
            Training input.
        y : array-like
            Targets: shape (n_sequences,) or (n_sequences, n_targets) for
            ``outputs="last"``; one per step for a 2-D X or ``outputs="sequence"``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y)

    @staticmethod
    def _validate_targets(y):
        return check_array(y, ensure_2d=False, dtype="numeric", input_name="y")

    def _encode_targets(self, targets, per_step, fit):
        first = np.asarray(targets[0])
        single = first.ndim == (1 if per_step else 0)
        if fit:
            self._single_output = single
        if not per_step:
            values = np.stack([np.atleast_1d(np.asarray(t, dtype=np.float64)) for t in targets])
            values = values.reshape(len(targets), -1)
            return torch.as_tensor(values).to(_DTYPES[self.dtype]), None, values.shape[1]
        to2d = [np.asarray(t, dtype=np.float64).reshape(len(t), -1) for t in targets]
        n_outputs = to2d[0].shape[1]
        if any(t.shape[1] != n_outputs for t in to2d):
            raise ValueError("Every sequence needs the same number of targets per step.")
        n_steps = max(len(t) for t in to2d)
        values = np.zeros((len(to2d), n_steps, n_outputs))
        mask = np.zeros((len(to2d), n_steps), dtype=bool)
        for i, t in enumerate(to2d):
            values[i, : len(t)] = t
            mask[i, : len(t)] = True
        return torch.as_tensor(values).to(_DTYPES[self.dtype]), torch.as_tensor(mask), n_outputs

    @staticmethod
    def _loss(output, target):
        return F.mse_loss(output, target)

    def predict(self, X):
        """Predict with the trained network.

        Parameters
        ----------
        X : array-like of shape (n_steps, n_features) or (n_sequences, n_steps, \
                n_features), or list of array-like of shape (n_steps_i, n_features)
            Input.

        Returns
        -------
        y_pred : ndarray or list of ndarray
            One prediction per sequence (``outputs="last"``), shape (n_sequences,)
            or (n_sequences, n_targets); else one per step, shaped like the input
            (2-D for a series, 3-D batch, or a list).
        """
        seqs, out = self._forward_all(X)
        if isinstance(out, list):
            out = [o[:, 0] if self._single_output else o for o in out]
            return self._shape_like_input(seqs, out)
        return out[:, 0] if self._single_output else out

    def score(self, X, y, sample_weight=None):
        """R^2 of the predictions, over all sequences (or all steps for per-step targets).

        Parameters
        ----------
        X : array-like
            Input, as for ``predict``.
        y : array-like
            True targets.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weights, for one target per sequence or a series.

        Returns
        -------
        score : float
        """
        y_true, y_pred = self._flat_targets_and_predictions(X, y)
        return r2_score(y_true, y_pred, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class WCRNNTorchClassifier(ClassifierMixin, _BaseWCRNNTorch):
    __doc__ = f"""A WCRNN with a linear readout, trained end to end by BPTT (cross-entropy).

    The network starts as the ``reservoir`` (a :class:`~wcrnn_rc.WCRNNReservoir`)
    draws it; then W, U, b, the readout and (with ``train_residual``) the residual
    are trained with mini-batch gradient descent through time. Sequences (3-D X or a list of any
    lengths) get one label each (``outputs="last"``) or one per step
    (``outputs="sequence"``); a 2-D X is one series with one label per step.

    Parameters
    ----------{_SHARED_PARAMETERS}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.{_SHARED_ATTRIBUTES}

    See Also
    --------
    WCRNNTorchRegressor : The same model for regression.
    wcrnn_rc.WCRNNClassifier : The reservoir version: fixed network, ridge readout.

    Examples
    --------
    >>> import numpy as np
    >>> from wcrnn_rc.torch import WCRNNTorchClassifier
    >>> rng = np.random.default_rng(0)
    >>> slopes = rng.choice([-1.0, 1.0], size=80)          # rising or falling
    >>> X = slopes[:, None, None] * np.linspace(0, 1, 15)[None, :, None]
    >>> X = X + 0.1 * rng.normal(size=X.shape)
    >>> y = np.where(slopes > 0, "up", "down")
    >>> from wcrnn_rc import WCRNNReservoir
    >>> clf = WCRNNTorchClassifier(
    ...     WCRNNReservoir(n_units=8), max_epochs=10, lr=0.05, random_state=0
    ... )
    >>> clf.fit(X[:60], y[:60]).score(X[60:], y[60:])
    1.0
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network by backpropagation through time.

        Parameters
        ----------
        X : array-like of shape (n_steps, n_features) or (n_sequences, n_steps, \
                n_features), or list of array-like of shape (n_steps_i, n_features)
            Training input.
        y : array-like
            Labels: shape (n_sequences,) for ``outputs="last"``; one per step for a
            2-D X or ``outputs="sequence"``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y)

    @staticmethod
    def _validate_targets(y):
        y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim != 1:
            raise ValueError(
                f"y must hold one label per sequence or per step (1-D); got shape {y.shape}."
            )
        check_classification_targets(y)
        return y

    def _encode_targets(self, targets, per_step, fit):
        if fit:
            flat = np.concatenate([np.atleast_1d(t) for t in targets])
            self._label_encoder = LabelEncoder().fit(flat)
            self.classes_ = self._label_encoder.classes_
        n_classes = len(self.classes_)
        if not per_step:
            codes = self._label_encoder.transform(np.asarray(targets))
            return torch.as_tensor(codes, dtype=torch.long), None, n_classes
        n_steps = max(len(t) for t in targets)
        codes = np.zeros((len(targets), n_steps), dtype=np.int64)
        mask = np.zeros((len(targets), n_steps), dtype=bool)
        for i, t in enumerate(targets):
            codes[i, : len(t)] = self._label_encoder.transform(t)
            mask[i, : len(t)] = True
        return torch.as_tensor(codes), torch.as_tensor(mask), n_classes

    @staticmethod
    def _loss(output, target):
        return F.cross_entropy(output, target)

    def predict_proba(self, X):
        """Class probabilities (softmax of the readout).

        Parameters
        ----------
        X : array-like
            Input, as for ``predict``.

        Returns
        -------
        proba : ndarray of shape (n_sequences, n_classes), or per step shaped like \
                the input with a trailing n_classes axis
        """
        seqs, out = self._forward_all(X)

        def softmax(z):
            z = np.exp(z - z.max(axis=-1, keepdims=True))
            return z / z.sum(axis=-1, keepdims=True)

        if isinstance(out, list):
            return self._shape_like_input(seqs, [softmax(o) for o in out])
        return softmax(out)

    def predict(self, X):
        """Predict labels.

        Parameters
        ----------
        X : array-like
            Input, as for ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_sequences,), or per step shaped like the input \
                (2-D series: (n_steps,); 3-D: (n_sequences, n_steps); list: a list)
        """
        seqs, out = self._forward_all(X)
        if isinstance(out, list):
            labels = [self.classes_[np.argmax(o, axis=-1)] for o in out]
            return self._shape_like_input(seqs, labels)
        return self.classes_[np.argmax(out, axis=-1)]

    def score(self, X, y, sample_weight=None):
        """Accuracy, over all sequences (or all steps for per-step labels).

        Parameters
        ----------
        X : array-like
            Input, as for ``predict``.
        y : array-like
            True labels.
        sample_weight : array-like, default=None
            Weights, for one label per sequence or a series.

        Returns
        -------
        score : float
        """
        y_true, y_pred = self._flat_targets_and_predictions(X, y)
        return accuracy_score(y_true, y_pred, sample_weight=sample_weight)
