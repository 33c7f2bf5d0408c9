"""The fused recurrence: the whole sequence in one numba call, and BPTT in another.

:class:`FusedRecurrence` is a ``torch.autograd.Function`` whose forward runs every
step of a (padded, ragged) batch in ``_kernels.bptt_forward`` and whose backward is
the hand-derived BPTT of ``_kernels.bptt_backward``. Around it, plain torch ops do
what is one large product: the drive ``U x + b`` of all steps before, and the weight
gradients ``dW = sum_t dA_t^T H_{t-1}`` (and ``dR`` of a dense residual) after, so
autograd sees a handful of operations per sequence batch instead of several per step.

CPU tensors only (numba runs on the host); ``WCRNN`` chooses this path on the CPU.
"""

import numpy as np
import torch
from torch.autograd.function import once_differentiable
from torch.nn import functional as F

from .. import _config, _constants, _kernels

__all__ = ["FusedRecurrence", "fused_forward"]

_KIND_CODES = {
    "none": _constants.RESIDUAL_NONE,
    "diagonal": _constants.RESIDUAL_DIAGONAL,
    "blocks": _constants.RESIDUAL_BLOCKS,
    "dense": _constants.RESIDUAL_DENSE,
    "tanh": _constants.RESIDUAL_TANH,
}


def _array(tensor):
    """A C-contiguous NumPy view (or copy) of a detached CPU tensor."""
    return np.ascontiguousarray(tensor.detach().numpy())


class FusedRecurrence(torch.autograd.Function):
    """``states = recurrence(drive, h0, W, residual)`` with a compiled backward pass.

    Inputs (all time-major, batch sorted by decreasing length):

    - ``drive`` (T, B, N): ``U x_t + b``;
    - ``h0`` (B, N); ``weight`` (N, N): W;
    - ``diag`` (N,) or (0,), ``blocks`` (N // 2, 2, 2) or (0, 2, 2), ``dense`` (N, N)
      or (0, 0): the residual's operands for its kind (see ``_kernels.run_packed``);
    - ``kind``, ``coupling``, ``activation``: the residual and activation codes and eps;
    - ``batch_sizes`` (T,) int64 NumPy array: running sequences per step.

    Returns the states (T, B, N), zero past each sequence's length.
    """

    @staticmethod
    def forward(
        ctx, drive, h0, weight, diag, blocks, dense, kind, coupling, activation, batch_sizes
    ):
        drive_np = _array(drive)
        h0_np = _array(h0)
        dtype = drive_np.dtype
        states = np.zeros_like(drive_np)
        slopes = np.zeros_like(drive_np)
        recurrent_t = _array(weight.T)
        diag_np = _array(diag).astype(dtype, copy=False)
        blocks_np = _array(blocks).astype(dtype, copy=False)
        dense_t = _array(dense.T).astype(dtype, copy=False)
        operands = (kind, diag_np, blocks_np, dense_t, float(coupling), activation)
        if drive_np.shape[2] <= _config.FUSED_NUMBA_GEMM_MAX_UNITS:
            _kernels.bptt_forward(
                drive_np, batch_sizes, h0_np, recurrent_t, *operands, states, slopes
            )
        else:
            _forward_stepwise(drive_np, batch_sizes, h0_np, recurrent_t, operands, states, slopes)
        states_t = torch.from_numpy(states)
        ctx.save_for_backward(h0, weight, diag, blocks, dense, states_t, torch.from_numpy(slopes))
        ctx.kind, ctx.batch_sizes = kind, batch_sizes
        return states_t

    @staticmethod
    @once_differentiable  # the backward runs in NumPy: a second derivative raises
    def backward(ctx, grad_states):
        h0, weight, diag, blocks, dense, states, slopes = ctx.saved_tensors
        kind = ctx.kind
        needs = ctx.needs_input_grad
        train_residual = any(needs[3:6])
        n_steps, batch, n_units = states.shape
        h0_np, states_np = _array(h0), states.numpy()
        grad_np = _array(grad_states).astype(states_np.dtype, copy=False)
        grad_drive = np.zeros_like(grad_np)
        dense_grad = train_residual and kind == _constants.RESIDUAL_DENSE
        grad_hidden = np.zeros((n_steps if dense_grad else 0, batch, n_units), states_np.dtype)
        grad_diag = np.zeros(diag.shape[0])
        grad_blocks = np.zeros((blocks.shape[0], 2, 2))
        dtype = states_np.dtype
        args = (
            grad_np,
            ctx.batch_sizes,
            h0_np,
            states_np,
            slopes.numpy(),
            _array(weight),
            kind,
            _array(diag).astype(dtype, copy=False),
            _array(blocks).astype(dtype, copy=False),
            _array(dense).astype(dtype, copy=False),
            train_residual,
            grad_drive,
            grad_hidden,
            grad_diag,
            grad_blocks,
        )
        if n_units <= _config.FUSED_NUMBA_GEMM_MAX_UNITS:
            grad_h0 = _kernels.bptt_backward(*args)
        else:
            grad_h0 = _backward_stepwise(*args)
        grad_drive_t = torch.from_numpy(grad_drive)
        grad_weight = None
        if needs[2]:
            grad_weight = _outer_sum(grad_drive_t, h0, states)
        grad_diag_t = grad_blocks_t = grad_dense_t = None
        if needs[3]:
            grad_diag_t = torch.from_numpy(grad_diag).to(diag.dtype)
        if needs[4]:
            grad_blocks_t = torch.from_numpy(grad_blocks).to(blocks.dtype)
        if needs[5]:
            grad_dense_t = _outer_sum(torch.from_numpy(grad_hidden), h0, states)
        grad_h0_t = torch.from_numpy(grad_h0) if needs[1] else None
        return (
            grad_drive_t,
            grad_h0_t,
            grad_weight,
            grad_diag_t,
            grad_blocks_t,
            grad_dense_t,
            None,
            None,
            None,
            None,
        )


def _forward_stepwise(drive, batch_sizes, h0, recurrent_t, operands, states, slopes):
    """``_kernels.bptt_forward`` with the per-step products by NumPy's BLAS."""
    kind, diag, blocks, dense_t, coupling, activation = operands
    h = h0.copy()
    pre = np.empty_like(h)
    res = np.empty_like(h)
    dense = kind == _constants.RESIDUAL_DENSE
    for t, k in enumerate(batch_sizes.tolist()):
        np.matmul(h[:k], recurrent_t, out=pre[:k])
        if dense:
            np.matmul(h[:k], dense_t, out=res[:k])
        _kernels.bptt_forward_step(
            h, pre, res, drive[t], k, kind, diag, blocks, coupling, activation, states[t], slopes[t]
        )


def _backward_stepwise(
    grad_states,
    batch_sizes,
    h0,
    states,
    slopes,
    recurrent,
    kind,
    diag,
    blocks,
    dense,
    train_residual,
    grad_drive,
    grad_hidden,
    grad_diag,
    grad_blocks,
):
    """``_kernels.bptt_backward`` with the per-step products by NumPy's BLAS."""
    g = np.zeros_like(h0)
    g_prev = np.empty_like(h0)
    w_part = np.empty_like(h0)
    store_hidden = grad_hidden.shape[0] > 0
    no_hidden = grad_hidden.reshape(-1, h0.shape[1])[:0]
    is_dense = kind == _constants.RESIDUAL_DENSE
    for t in range(len(batch_sizes) - 1, -1, -1):
        k = int(batch_sizes[t])
        _kernels.bptt_backward_step(
            g,
            g_prev,
            grad_states[t],
            slopes[t],
            h0 if t == 0 else states[t - 1],
            k,
            kind,
            diag,
            blocks,
            train_residual,
            grad_drive[t],
            grad_hidden[t] if store_hidden else no_hidden,
            grad_diag,
            grad_blocks,
        )
        if is_dense:
            np.matmul(g[:k], dense, out=g_prev[:k])
        np.matmul(grad_drive[t, :k], recurrent, out=w_part[:k])
        np.add(g_prev[:k], w_part[:k], out=g[:k])
    return g


def _outer_sum(grads, h0, states):
    """``sum_t grads_t^T H_{t-1}`` with ``H_{-1} = h0``: two GEMMs over all steps."""
    n_units = states.shape[2]
    total = grads[0].T @ h0.detach()
    if states.shape[0] > 1:
        total = total + grads[1:].reshape(-1, n_units).T @ states[:-1].reshape(-1, n_units)
    return total


def residual_operands(cell):
    """The residual's differentiable operands for the kernels: (kind, diag, blocks, dense)."""
    kind = cell.residual_kind
    weight = cell.weight_hh
    n = weight.shape[0]
    empty = weight.new_zeros(0)
    blocks = weight.new_zeros(0, 2, 2)
    dense = weight.new_zeros(0, 0)
    diag = empty
    if kind == "diagonal":
        diag = cell.residual_diagonal
    elif kind == "blocks":
        blocks = cell.residual_blocks
        diag = torch.cat([weight.new_zeros(2 * blocks.shape[0]), cell.residual_tail])
    elif kind == "dense":
        dense = cell.residual_matrix
    elif kind == "tanh":
        diag = cell.residual_scale.expand(n)
    return _KIND_CODES[kind], diag, blocks, dense


def fused_forward(cell, x, h, lengths):
    """Run ``cell`` over ``x`` (batch first) from ``h`` with the fused recurrence.

    Parameters
    ----------
    cell : WCRNNCell
        The weights (CPU, float32 or float64).
    x : Tensor of shape (batch, n_steps, input_size)
    h : Tensor of shape (batch, hidden_size)
    lengths : LongTensor of shape (batch,) or None
        Validated lengths (1..n_steps), or None for all n_steps.

    Returns
    -------
    states : Tensor of shape (batch, n_steps, hidden_size)
        Zero past each sequence's length.
    last : Tensor of shape (batch, hidden_size)
    """
    batch, n_steps, _ = x.shape
    order = None
    if lengths is None or bool((lengths == n_steps).all()):
        batch_sizes = np.full(n_steps, batch, dtype=np.int64)
    else:
        order = torch.argsort(lengths, descending=True, stable=True)
        x, h = x[order], h[order]
        counts = np.bincount(lengths.cpu().numpy(), minlength=n_steps + 1)
        # batch_sizes[t] = number of sequences longer than t.
        batch_sizes = (batch - np.cumsum(counts)[:n_steps]).astype(np.int64)
    drive = F.linear(x.transpose(0, 1), cell.weight_ih, cell.bias).contiguous()
    kind, diag, blocks, dense = residual_operands(cell)
    states = FusedRecurrence.apply(
        drive,
        h.contiguous(),
        cell.weight_hh,
        diag,
        blocks,
        dense,
        kind,
        float(cell.coupling),
        _constants.ACTIVATIONS[cell.activation],
        batch_sizes,
    ).transpose(0, 1)
    if order is not None:
        states = states[torch.argsort(order)]
    if lengths is None:
        return states, states[:, -1]
    return states, states[torch.arange(batch), lengths - 1]
