"""WCRNNCell and WCRNN: the weakly coupled residual recurrence as ``torch.nn`` modules.

The weights are drawn by :class:`~wcrnn_rc.WCRNNReservoir` (so one ``random_state``
gives the same network in numba and in PyTorch), or loaded from a fitted reservoir
with ``from_reservoir``. ``to_reservoir`` exports a module, trained or not, back to a
fitted reservoir, whose Lyapunov exponents and memory capacity the analysis tools
then compute.

The residual keeps its structure: identity, heterogeneous and other diagonal
residuals are an elementwise product, rotational residuals act on unit pairs
``(2k, 2k + 1)`` (O(N) per step), orthogonal and other dense residuals are one
matrix product, ``"tanh"`` is ``scale * tanh(h)`` and ``"none"`` is zero.
"""

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn
from torch.nn import functional as F

from .. import _constants
from ..reservoir import WCRNNReservoir
from ..residuals import NoResidual, RotationalResidual, TanhResidual
from ._fused import fused_forward

__all__ = ["WCRNN", "WCRNNCell"]

# How WCRNN.forward runs the recurrence (see its docstring).
RECURRENCES = ("auto", "fused", "reference", "compiled")
_FUSED_DTYPES = (torch.float32, torch.float64)

_ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "identity": lambda a: a}
_RESIDUAL_KINDS = {
    _constants.RESIDUAL_NONE: "none",
    _constants.RESIDUAL_DIAGONAL: "diagonal",
    _constants.RESIDUAL_BLOCKS: "blocks",
    _constants.RESIDUAL_DENSE: "dense",
    _constants.RESIDUAL_TANH: "tanh",
}


def _reservoir_for(input_size, hidden_size, params):
    """A WCRNNReservoir fitted only to draw the weights for ``input_size`` features."""
    residual = params.get("residual", "rotational")
    if isinstance(residual, RotationalResidual) and isinstance(residual.angles, str):
        if residual.angles == "data":
            raise ValueError(
                'Rotation angles "data" are chosen from training input, which a module '
                "does not see: fit a WCRNNReservoir on your data and use "
                "from_reservoir(reservoir)."
            )
    if params.get("random_state") is None:
        # Follow torch.manual_seed (as torch's own modules do), not NumPy's global RNG.
        params = {**params, "random_state": int(torch.randint(0, 2**31 - 1, (1,)))}
    reservoir = WCRNNReservoir(n_units=hidden_size, **params)
    return reservoir.fit(np.zeros((1, input_size)))


class WCRNNCell(nn.Module):
    """One step of a WCRNN: ``h' = rho(h) + coupling * f(W h + U x + b)``.

    The weights are drawn as :class:`~wcrnn_rc.WCRNNReservoir` draws them (see its
    parameters); ``W`` (``weight_hh``), ``U`` (``weight_ih``) and ``b`` (``bias``)
    are trainable parameters. The residual is a fixed buffer unless
    ``train_residual=True`` makes it a parameter; a trained residual keeps its
    structure (a trained rotational residual learns general 2x2 blocks, a trained
    ``"tanh"`` residual its scale), so it still costs O(N) per step.

    Parameters
    ----------
    input_size : int
        Number of input features d.
    hidden_size : int
        Number of units N.
    residual : str, BaseResidual, ndarray or callable, default="rotational"
        The residual map, as for :class:`~wcrnn_rc.WCRNNReservoir`. Rotation angles
        chosen from the data need a reservoir fitted on the data: use
        :meth:`from_reservoir`.
    residual_scale : float, default=0.95
        lambda of the ``"identity"``, ``"orthogonal"``, ``"rotational"`` and
        ``"tanh"`` residuals.
    coupling : float, default=0.1
        Coupling eps (a fixed buffer).
    activation : {"tanh", "relu", "identity"}, default="tanh"
        Activation f.
    recurrent_gain : float, default=1.0
        Approximate spectral radius of the initial W.
    input_scaling : float, default=1.0
        U is uniform on [-input_scaling, input_scaling].
    bias_scaling : float, default=0.1
        b is uniform on [-bias_scaling, bias_scaling].
    train_residual : bool, default=False
        Whether the residual is trained with the other weights.
    random_state : int, RandomState instance or None, default=None
        Controls the draw, exactly as ``WCRNNReservoir(random_state=...)``. None
        draws a seed from torch's global generator, so that ``torch.manual_seed``
        makes the module reproducible.
    device : torch.device or str, default=None
        Device of the weights.
    dtype : torch.dtype, default=None
        Floating dtype of the weights; None means ``torch.get_default_dtype()``.

    Attributes
    ----------
    weight_hh : Parameter of shape (hidden_size, hidden_size)
        W.
    weight_ih : Parameter of shape (hidden_size, input_size)
        U.
    bias : Parameter of shape (hidden_size,)
        b.
    coupling : Tensor of shape ()
        eps.
    residual_kind : {"none", "diagonal", "blocks", "dense", "tanh"}
        How rho is applied; its tensors are ``residual_diagonal`` (diagonal),
        ``residual_blocks`` and ``residual_tail`` (2x2 blocks, then the 1x1 block of an
        odd N), ``residual_matrix`` (dense) or ``residual_scale`` (tanh).

    Examples
    --------
    >>> import torch
    >>> from wcrnn_rc.torch import WCRNNCell
    >>> cell = WCRNNCell(3, 8, random_state=0)
    >>> h = cell(torch.zeros(5, 3))
    >>> h.shape
    torch.Size([5, 8])
    """

    def __init__(
        self,
        input_size,
        hidden_size,
        *,
        residual="rotational",
        residual_scale=0.95,
        coupling=0.1,
        activation="tanh",
        recurrent_gain=1.0,
        input_scaling=1.0,
        bias_scaling=0.1,
        train_residual=False,
        random_state=None,
        device=None,
        dtype=None,
    ):
        super().__init__()
        reservoir = _reservoir_for(
            input_size,
            hidden_size,
            dict(
                residual=residual,
                residual_scale=residual_scale,
                coupling=coupling,
                activation=activation,
                recurrent_gain=recurrent_gain,
                input_scaling=input_scaling,
                bias_scaling=bias_scaling,
                random_state=random_state,
            ),
        )
        self._load_reservoir(reservoir, train_residual, device, dtype)

    @classmethod
    def from_reservoir(cls, reservoir, *, train_residual=False, device=None, dtype=None):
        """A cell with the weights of a fitted :class:`~wcrnn_rc.WCRNNReservoir`.

        Parameters
        ----------
        reservoir : WCRNNReservoir
            A fitted reservoir; its residual, W, U, b, coupling and activation are
            copied.
        train_residual : bool, default=False
            Whether the residual becomes a trainable parameter.
        device : torch.device or str, default=None
            Device of the weights.
        dtype : torch.dtype, default=None
            Dtype of the weights; None means ``torch.get_default_dtype()``.

        Returns
        -------
        cell : WCRNNCell

        Examples
        --------
        >>> import numpy as np
        >>> from wcrnn_rc import WCRNNReservoir
        >>> from wcrnn_rc.torch import WCRNNCell
        >>> res = WCRNNReservoir(n_units=4, random_state=0).fit(np.zeros((1, 2)))
        >>> WCRNNCell.from_reservoir(res).weight_ih.shape
        torch.Size([4, 2])
        """
        cell = cls.__new__(cls)
        nn.Module.__init__(cell)
        cell._load_reservoir(reservoir, train_residual, device, dtype)
        return cell

    def _load_reservoir(self, reservoir, train_residual, device, dtype):
        if not isinstance(reservoir, WCRNNReservoir):
            raise TypeError(
                f"from_reservoir needs a fitted WCRNNReservoir; got {type(reservoir).__name__}."
            )
        check_is_fitted(reservoir)
        dtype = torch.get_default_dtype() if dtype is None else dtype
        if not dtype.is_floating_point:
            raise TypeError(f"dtype must be a floating dtype; got {dtype}.")

        def tensor(array):
            return torch.as_tensor(np.array(array, dtype=np.float64), device=device).to(dtype)

        network = reservoir.network_  # validated coupling and activation, read-only arrays
        self.activation = reservoir.activation
        self.train_residual = bool(train_residual)
        # torch trains a dense W (a sparse reservoir's W is made dense, size-checked)
        self.weight_hh = nn.Parameter(tensor(network.dense_recurrent_weights()))
        self.weight_ih = nn.Parameter(tensor(network.input_weights))
        self.bias = nn.Parameter(tensor(network.bias))
        self.register_buffer("coupling", tensor(network.coupling))

        kind = _RESIDUAL_KINDS[network.residual_kind]
        self.residual_kind = kind
        n = network.n_units
        if kind == "diagonal":
            self._add_residual("residual_diagonal", tensor(network.residual_diag))
        elif kind == "blocks":
            self._add_residual("residual_blocks", tensor(network.residual_blocks))
            self._add_residual("residual_tail", tensor(network.residual_diag[2 * (n // 2) :]))
        elif kind == "dense":
            self._add_residual("residual_matrix", tensor(network.residual_dense_t.T))
        elif kind == "tanh":
            self._add_residual("residual_scale", tensor(float(network.residual_diag[0])))

    def _add_residual(self, name, value):
        if self.train_residual:
            self.register_parameter(name, nn.Parameter(value))
        else:
            self.register_buffer(name, value)

    @property
    def input_size(self):
        """int: number of input features d."""
        return self.weight_ih.shape[1]

    @property
    def hidden_size(self):
        """int: number of units N."""
        return self.weight_hh.shape[0]

    def extra_repr(self):
        return (
            f"{self.input_size}, {self.hidden_size}, residual={self.residual_kind}, "
            f"coupling={float(self.coupling):.4g}, activation={self.activation}, "
            f"train_residual={self.train_residual}"
        )

    def residual_map(self, h):
        """Apply rho to states.

        Parameters
        ----------
        h : Tensor of shape (..., hidden_size)

        Returns
        -------
        rho_h : Tensor of shape (..., hidden_size)
        """
        kind = self.residual_kind
        if kind == "diagonal":
            return h * self.residual_diagonal
        if kind == "blocks":
            n_pairs = self.residual_blocks.shape[0]
            pairs = h[..., : 2 * n_pairs].unflatten(-1, (n_pairs, 2))
            # out[..., p, i] = sum_j blocks[p, i, j] * pairs[..., p, j]: O(N).
            rotated = (self.residual_blocks * pairs.unsqueeze(-2)).sum(-1).flatten(-2)
            if self.residual_tail.shape[0]:
                tail = h[..., 2 * n_pairs :] * self.residual_tail
                rotated = torch.cat([rotated, tail], dim=-1)
            return rotated
        if kind == "dense":
            return h @ self.residual_matrix.T
        if kind == "tanh":
            return self.residual_scale * torch.tanh(h)
        return torch.zeros_like(h)

    def step(self, drive, h):
        """One step from a precomputed drive ``U x + b``.

        Parameters
        ----------
        drive : Tensor of shape (batch, hidden_size)
            ``U x_t + b``.
        h : Tensor of shape (batch, hidden_size)
            ``h_{t-1}``.

        Returns
        -------
        h_new : Tensor of shape (batch, hidden_size)
        """
        pre = drive + F.linear(h, self.weight_hh)
        return self.residual_map(h) + self.coupling * _ACTIVATIONS[self.activation](pre)

    def forward(self, x, h=None):
        """One step ``h' = rho(h) + coupling * f(W h + U x + b)``.

        Parameters
        ----------
        x : Tensor of shape (batch, input_size)
            Input at this step.
        h : Tensor of shape (batch, hidden_size), default=None
            Previous state; zeros when None.

        Returns
        -------
        h_new : Tensor of shape (batch, hidden_size)
        """
        if h is None:
            h = x.new_zeros(x.shape[0], self.hidden_size)
        return self.step(F.linear(x, self.weight_ih, self.bias), h)

    def residual_matrix_numpy(self):
        """The linear residual R as a float64 array (None for ``"tanh"``).

        Returns
        -------
        R : ndarray of shape (hidden_size, hidden_size) or None

        Examples
        --------
        >>> from wcrnn_rc.torch import WCRNNCell
        >>> cell = WCRNNCell(1, 2, residual="identity", residual_scale=0.5)
        >>> cell.residual_matrix_numpy()
        array([[0.5, 0. ],
               [0. , 0.5]])
        """
        n, kind = self.hidden_size, self.residual_kind
        if kind == "tanh":
            return None
        R = np.zeros((n, n))
        if kind == "diagonal":
            R = np.diag(_numpy(self.residual_diagonal))
        elif kind == "dense":
            R = _numpy(self.residual_matrix)
        elif kind == "blocks":
            blocks = _numpy(self.residual_blocks)
            for p, block in enumerate(blocks):
                R[2 * p : 2 * p + 2, 2 * p : 2 * p + 2] = block
            if n % 2:
                R[-1, -1] = _numpy(self.residual_tail)[0]
        return R

    def _export_residual(self):
        """The residual as an argument of WCRNNReservoir, structure kept when possible."""
        kind = self.residual_kind
        if kind == "none":
            return NoResidual()
        if kind == "tanh":
            return TanhResidual(scale=float(self.residual_scale))
        if kind == "blocks":
            rotational = _as_rotation(
                _numpy(self.residual_blocks),
                _numpy(self.residual_tail),
                tol=100 * torch.finfo(self.residual_blocks.dtype).eps,
            )
            if rotational is not None:
                return rotational
        return self.residual_matrix_numpy()

    def to_reservoir(self):
        """Export the current weights as a fitted :class:`~wcrnn_rc.WCRNNReservoir`.

        The reservoir is built with explicit ``recurrent_weights``, ``input_weights``
        and ``bias`` (float64 copies) and the residual: a rotational residual whose
        blocks are still scaled rotations with one modulus is exported as a
        :class:`~wcrnn_rc.residuals.RotationalResidual` with those angles, ``"tanh"``
        and ``"none"`` as themselves, any other residual as its matrix R (applied in
        O(N) by the core when diagonal). Its ``run`` then reproduces this module's
        states, and its ``lyapunov_exponents_`` and ``memory_capacity_`` describe
        the trained network.

        Returns
        -------
        reservoir : WCRNNReservoir
            A fitted reservoir.

        Examples
        --------
        >>> import numpy as np
        >>> import torch
        >>> from wcrnn_rc.torch import WCRNN
        >>> rnn = WCRNN(2, 6, random_state=0, dtype=torch.float64)
        >>> X = np.random.default_rng(0).normal(size=(3, 10, 2))
        >>> states, _ = rnn(torch.as_tensor(X))
        >>> res = rnn.cell.to_reservoir()
        >>> np.allclose(res.run(X), states.detach().numpy())
        True
        """
        reservoir = WCRNNReservoir(
            n_units=self.hidden_size,
            residual=self._export_residual(),
            coupling=float(self.coupling),
            activation=self.activation,
            recurrent_weights=_numpy(self.weight_hh),
            input_weights=_numpy(self.weight_ih),
            bias=_numpy(self.bias),
        )
        return reservoir.fit(np.zeros((1, self.input_size)))


def _numpy(tensor):
    return tensor.detach().to("cpu", torch.float64).numpy().copy()


def _as_rotation(blocks, tail, tol):
    """A RotationalResidual equal to these blocks (and 1x1 tail), or None."""
    if blocks.shape[0] == 0:
        scale = float(tail[0]) if tail.shape[0] else 1.0
        return RotationalResidual(scale=scale, angles=np.zeros(0))
    a, b, c, d = blocks[:, 0, 0], blocks[:, 0, 1], blocks[:, 1, 0], blocks[:, 1, 1]
    moduli = np.hypot(a, c)
    scale = float(moduli[0])
    bound = tol * max(abs(scale), 1.0)
    if not (
        np.allclose(a, d, rtol=0, atol=bound)
        and np.allclose(b, -c, rtol=0, atol=bound)
        and np.allclose(moduli, scale, rtol=0, atol=bound)
        and (tail.shape[0] == 0 or abs(tail[0] - scale) <= bound)
    ):
        return None
    if scale == 0.0:
        return None
    return RotationalResidual(scale=scale, angles=np.arctan2(c, a))


class WCRNN(nn.Module):
    """A WCRNN layer over whole sequences (batch-first), like ``torch.nn.RNN``.

    Runs :class:`WCRNNCell` over time. Sequences of different lengths are padded,
    with their ``lengths`` given: the last state of each is read at its own last
    step, and the padded steps of ``states`` are zero.

    Three ways to run the recurrence give the same states and gradients
    (``recurrence=``):

    - ``"fused"`` (CPU, float32/float64): the whole batch of sequences in one
      compiled numba call, and BPTT in another (a ``torch.autograd.Function`` with a
      hand-derived backward pass). Autograd then sees a few operations per batch,
      not several per step.
    - ``"reference"``: a Python loop over time of :meth:`WCRNNCell.step`, autograd
      through every step (any device, any dtype).
    - ``"compiled"``: the same loop with the step compiled by ``torch.compile``
      (its elementwise work fused into a few kernels); the path meant for GPUs,
      where the fused kernels do not run (untested on a GPU so far). Compiling takes
      seconds on the first call of each input shape.
    - ``"auto"`` (default): ``"fused"`` for CPU tensors of float32/float64, else
      ``"reference"``.

    Parameters
    ----------
    input_size : int
        Number of input features d.
    hidden_size : int
        Number of units N.
    recurrence : {"auto", "fused", "reference", "compiled"}, default="auto"
        How the recurrence runs (above); may be changed on the module at any time.
    **params
        Keyword parameters of :class:`WCRNNCell` (``residual``, ``residual_scale``,
        ``coupling``, ``activation``, ``recurrent_gain``, ``input_scaling``,
        ``bias_scaling``, ``train_residual``, ``random_state``, ``device``,
        ``dtype``).

    Attributes
    ----------
    cell : WCRNNCell
        The step, holding all weights.
    recurrence : str
        As the parameter.

    Examples
    --------
    >>> import torch
    >>> from wcrnn_rc.torch import WCRNN
    >>> rnn = WCRNN(1, 16, residual="heterogeneous", random_state=0)
    >>> states, last = rnn(torch.randn(4, 30, 1))
    >>> states.shape, last.shape
    (torch.Size([4, 30, 16]), torch.Size([4, 16]))
    """

    def __init__(self, input_size, hidden_size, *, recurrence="auto", **params):
        super().__init__()
        self.cell = WCRNNCell(input_size, hidden_size, **params)
        self.recurrence = recurrence

    @classmethod
    def from_reservoir(
        cls, reservoir, *, train_residual=False, device=None, dtype=None, recurrence="auto"
    ):
        """A layer with the weights of a fitted :class:`~wcrnn_rc.WCRNNReservoir`.

        Parameters
        ----------
        reservoir : WCRNNReservoir
            A fitted reservoir.
        train_residual : bool, default=False
            Whether the residual becomes a trainable parameter.
        device : torch.device or str, default=None
            Device of the weights.
        dtype : torch.dtype, default=None
            Dtype of the weights; None means ``torch.get_default_dtype()``.
        recurrence : {"auto", "fused", "reference", "compiled"}, default="auto"
            How the recurrence runs (see the class docstring).

        Returns
        -------
        rnn : WCRNN

        Examples
        --------
        >>> import numpy as np
        >>> import torch
        >>> from wcrnn_rc import WCRNNReservoir
        >>> from wcrnn_rc.torch import WCRNN
        >>> X = np.random.default_rng(0).normal(size=(2, 20, 1))
        >>> res = WCRNNReservoir(n_units=10, residual="orthogonal", random_state=0).fit(X)
        >>> rnn = WCRNN.from_reservoir(res, dtype=torch.float64)
        >>> states, _ = rnn(torch.as_tensor(X))
        >>> np.allclose(states.detach().numpy(), res.run(X), rtol=0, atol=1e-12)
        True
        """
        rnn = cls.__new__(cls)
        nn.Module.__init__(rnn)
        rnn.cell = WCRNNCell.from_reservoir(
            reservoir, train_residual=train_residual, device=device, dtype=dtype
        )
        rnn.recurrence = recurrence
        return rnn

    @property
    def recurrence(self):
        """str: how the recurrence runs: "auto", "fused", "reference" or "compiled"."""
        return self._recurrence

    @recurrence.setter
    def recurrence(self, value):
        if value not in RECURRENCES:
            raise ValueError(f"recurrence must be one of {RECURRENCES}; got {value!r}.")
        self._recurrence = value

    def __getstate__(self):
        state = super().__getstate__().copy()
        state.pop("_compiled_step", None)  # a compiled function does not pickle
        return state

    def to_reservoir(self):
        """Export the current weights as a fitted :class:`~wcrnn_rc.WCRNNReservoir`.

        See :meth:`WCRNNCell.to_reservoir`.

        Returns
        -------
        reservoir : WCRNNReservoir

        Examples
        --------
        >>> from wcrnn_rc.torch import WCRNN
        >>> WCRNN(1, 4, residual="identity", random_state=0).to_reservoir().n_units
        4
        """
        return self.cell.to_reservoir()

    @property
    def input_size(self):
        """int: number of input features d."""
        return self.cell.input_size

    @property
    def hidden_size(self):
        """int: number of units N."""
        return self.cell.hidden_size

    def resolved_recurrence(self, x):
        """The path ``forward`` takes for input ``x``: ``recurrence`` with "auto" resolved.

        Parameters
        ----------
        x : Tensor
            The input (its device and dtype decide).

        Returns
        -------
        recurrence : {"fused", "reference", "compiled"}

        Examples
        --------
        >>> import torch
        >>> from wcrnn_rc.torch import WCRNN
        >>> WCRNN(1, 4, random_state=0).resolved_recurrence(torch.zeros(2, 3, 1))
        'fused'
        """
        fusable = x.device.type == "cpu" and x.dtype in _FUSED_DTYPES
        if self.recurrence == "auto":
            return "fused" if fusable else "reference"
        if self.recurrence == "fused" and not fusable:
            raise ValueError(
                "recurrence='fused' runs on CPU tensors of float32 or float64; got a "
                f"{x.dtype} tensor on {x.device}. Use 'compiled' or 'reference' there."
            )
        return self.recurrence

    def forward(self, x, h0=None, lengths=None):
        """Run the network over a batch of sequences.

        Parameters
        ----------
        x : Tensor of shape (batch, n_steps, input_size)
            Input, batch first; padded when ``lengths`` is given.
        h0 : Tensor of shape (hidden_size,) or (batch, hidden_size), default=None
            Initial state of every sequence, or of each; zeros when None.
        lengths : Tensor or sequence of int of shape (batch,), default=None
            Length of each sequence, each in ``1 .. n_steps``; None means all
            ``n_steps``.

        Returns
        -------
        states : Tensor of shape (batch, n_steps, hidden_size)
            ``h_1 .. h_T`` of each sequence (zero after its length).
        last : Tensor of shape (batch, hidden_size)
            The state at each sequence's last step.
        """
        if x.dim() != 3:
            raise ValueError(
                f"WCRNN expects input of shape (batch, n_steps, input_size); got {tuple(x.shape)}."
            )
        batch, n_steps, n_features = x.shape
        if n_features != self.input_size:
            raise ValueError(
                f"Input has {n_features} features; the WCRNN expects {self.input_size}."
            )
        if n_steps == 0:
            raise ValueError("WCRNN needs sequences of at least one step.")
        h = self._initial_state(h0, batch, x)
        if lengths is not None:
            lengths = torch.as_tensor(lengths, device=x.device).long()
            if lengths.shape != (batch,) or lengths.min() < 1 or lengths.max() > n_steps:
                raise ValueError(
                    f"lengths must hold one length in 1..{n_steps} per sequence; got "
                    f"{lengths.tolist()}."
                )
        recurrence = self.resolved_recurrence(x)
        if recurrence == "fused":
            return fused_forward(self.cell, x, h, None if lengths is None else lengths.cpu())
        step = self.cell.step if recurrence == "reference" else self._compiled()
        drive = F.linear(x, self.cell.weight_ih, self.cell.bias)
        states = []
        for t in range(n_steps):
            h = step(drive[:, t], h)
            states.append(h)
        states = torch.stack(states, dim=1)
        if lengths is None:
            return states, h
        rows = torch.arange(batch, device=x.device)
        last = states[rows, lengths - 1]
        mask = torch.arange(n_steps, device=x.device)[None, :] < lengths[:, None]
        return states * mask.unsqueeze(-1).to(states.dtype), last

    def _compiled(self):
        compiled = self.__dict__.get("_compiled_step")
        if compiled is None:
            # Inductor fuses the step's elementwise work into a few kernels. Not
            # mode="reduce-overhead" (CUDA graphs): the loop keeps every step's output,
            # which CUDA-graph trees overwrite on the next replay.
            compiled = torch.compile(self.cell.step, dynamic=False)
            self.__dict__["_compiled_step"] = compiled
        return compiled

    def _initial_state(self, h0, batch, x):
        n = self.hidden_size
        if h0 is None:
            return x.new_zeros(batch, n)
        h0 = torch.as_tensor(h0, dtype=x.dtype, device=x.device)
        if h0.shape == (n,):
            h0 = h0.expand(batch, n)
        if h0.shape != (batch, n):
            raise ValueError(f"h0 has shape {tuple(h0.shape)}; expected ({n},) or ({batch}, {n}).")
        return h0
