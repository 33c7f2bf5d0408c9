"""The fused recurrence (one numba call forward, hand-derived BPTT backward) against
autograd through the step-by-step reference module."""

import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the torch extra; the core test install skips these

from wcrnn_rc import WCRNNReservoir, _config, _constants  # noqa: E402
from wcrnn_rc.residuals import RotationalResidual  # noqa: E402
from wcrnn_rc.torch import WCRNN  # noqa: E402
from wcrnn_rc.torch._fused import FusedRecurrence  # noqa: E402

# The bounds: fused gradients equal autograd's to 1e-10 (float64), 1e-4 (float32).
TOL = {torch.float64: dict(rtol=1e-10, atol=1e-10), torch.float32: dict(rtol=1e-4, atol=1e-4)}
RESIDUALS = [
    "identity",
    "orthogonal",
    "rotational",
    "heterogeneous",
    "tanh",
    "none",
    "random angles",
    "dense matrix",
    "diagonal matrix",
]


def _residual(name, n_units):
    rng = np.random.default_rng(1)
    if name == "random angles":
        return RotationalResidual(scale=0.9, angles="random")
    if name == "dense matrix":  # non-normal, no structure: one product per step
        return 0.8 * rng.normal(size=(n_units, n_units)) / np.sqrt(n_units)
    if name == "diagonal matrix":
        return np.diag(rng.uniform(-0.9, 0.9, size=n_units))
    return name


def _module(residual, activation, n_units, train_residual, dtype):
    X = np.zeros((1, 3))
    res = WCRNNReservoir(
        n_units=n_units,
        residual=_residual(residual, n_units),
        residual_scale=0.8,
        coupling=0.3,
        activation=activation,
        recurrent_gain=0.9,
        bias_scaling=0.3,
        random_state=0,
    ).fit(X)
    return WCRNN.from_reservoir(res, train_residual=train_residual, dtype=dtype)


def _gradients(rnn, recurrence, x, h0, lengths, weights_states, weights_last):
    """States, last states and the gradients of a loss reading both."""
    rnn.recurrence = recurrence
    rnn.zero_grad()
    h0 = h0.clone().requires_grad_(True)
    states, last = rnn(x, h0=h0, lengths=lengths)
    loss = (states * weights_states).sum() + (last * weights_last).sum()
    loss.backward()
    grads = {name: p.grad for name, p in rnn.named_parameters() if p.numel()}
    return states.detach(), last.detach(), h0.grad, grads


@pytest.fixture(params=["one call", "stepwise"])
def fused_driver(request, monkeypatch):
    """Both drivers of the fused kernels: every product in numba, or NumPy's per step."""
    if request.param == "stepwise":
        monkeypatch.setattr(_config, "FUSED_NUMBA_GEMM_MAX_UNITS", 0)
    return request.param


@pytest.mark.parametrize("train_residual", [False, True])
@pytest.mark.parametrize("n_units", [5, 6])  # odd N: the trailing 1x1 rotation block
@pytest.mark.parametrize("activation", ["tanh", "relu", "identity"])
@pytest.mark.parametrize("residual", RESIDUALS)
def test_fused_gradients_equal_autograd_through_the_reference(
    residual, activation, n_units, train_residual
):
    _check_gradients(residual, activation, n_units, train_residual)


@pytest.mark.parametrize("n_units", [5, 6])
@pytest.mark.parametrize("residual", RESIDUALS)
def test_stepwise_driver_gradients_equal_autograd(residual, n_units, monkeypatch):
    """The driver for large N (NumPy's products per step) on the same cases."""
    monkeypatch.setattr(_config, "FUSED_NUMBA_GEMM_MAX_UNITS", 0)
    _check_gradients(residual, "tanh", n_units, True)


def _check_gradients(residual, activation, n_units, train_residual):
    for dtype in (torch.float64, torch.float32):
        rnn = _module(residual, activation, n_units, train_residual, dtype)
        g = torch.Generator().manual_seed(0)
        x = torch.randn(5, 9, 3, generator=g, dtype=torch.float64).to(dtype)
        h0 = (0.5 * torch.randn(5, n_units, generator=g, dtype=torch.float64)).to(dtype)
        weights_states = torch.randn(5, 9, n_units, generator=g, dtype=torch.float64).to(dtype)
        weights_last = torch.randn(5, n_units, generator=g, dtype=torch.float64).to(dtype)
        for lengths in (None, torch.tensor([9, 2, 9, 1, 6])):  # ragged, unsorted
            want = _gradients(rnn, "reference", x, h0, lengths, weights_states, weights_last)
            got = _gradients(rnn, "fused", x, h0, lengths, weights_states, weights_last)
            for name, a, b in zip(("states", "last", "h0"), got[:3], want[:3], strict=True):
                torch.testing.assert_close(a, b, **TOL[dtype], msg=name)
            assert got[3].keys() == want[3].keys()
            trained = {name for name in got[3] if name.startswith("cell.residual")}
            assert bool(trained) == (train_residual and residual != "none")
            for name in want[3]:
                torch.testing.assert_close(got[3][name], want[3][name], **TOL[dtype], msg=name)


def test_padded_steps_play_no_part():
    rnn = _module("rotational", "tanh", 6, True, torch.float64)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, 8, 3, generator=g, dtype=torch.float64)
    lengths = torch.tensor([8, 3, 5])
    states, last = rnn(x, lengths=lengths)
    assert torch.all(states[1, 3:] == 0) and torch.all(states[2, 5:] == 0)
    noisy = x.clone()
    noisy[1, 3:] = 100.0
    again, last_again = rnn(noisy, lengths=lengths)
    torch.testing.assert_close(again, states, rtol=0, atol=0)
    for i, n in enumerate(lengths.tolist()):
        alone, alone_last = rnn(x[i : i + 1, :n])
        torch.testing.assert_close(alone[0], states[i, :n], rtol=1e-14, atol=1e-14)
        torch.testing.assert_close(alone_last[0], last[i], rtol=1e-14, atol=1e-14)


def _operands(kind, n_units, dtype, generator):
    def rand(*shape):
        return (0.5 * torch.randn(*shape, generator=generator, dtype=dtype)).requires_grad_(True)

    diag = torch.zeros(0, dtype=dtype)
    blocks = torch.zeros(0, 2, 2, dtype=dtype)
    dense = torch.zeros(0, 0, dtype=dtype)
    if kind in (_constants.RESIDUAL_DIAGONAL, _constants.RESIDUAL_TANH):
        diag = rand(n_units)
    elif kind == _constants.RESIDUAL_BLOCKS:
        blocks = rand(n_units // 2, 2, 2)
        diag = rand(n_units)  # only its trailing entry (odd N) is read
    elif kind == _constants.RESIDUAL_DENSE:
        dense = rand(n_units, n_units)
    return diag, blocks, dense


@pytest.mark.parametrize("kind", _constants.RESIDUAL_KINDS)
@pytest.mark.parametrize("activation", ["tanh", "identity"])
def test_gradcheck(kind, activation, fused_driver):
    n_units, batch, n_steps = 3, 3, 4
    g = torch.Generator().manual_seed(2)
    drive = torch.randn(n_steps, batch, n_units, generator=g, dtype=torch.float64)
    h0 = 0.5 * torch.randn(batch, n_units, generator=g, dtype=torch.float64)
    weight = 0.5 * torch.randn(n_units, n_units, generator=g, dtype=torch.float64)
    diag, blocks, dense = _operands(kind, n_units, torch.float64, g)
    batch_sizes = np.array([3, 3, 2, 1], dtype=np.int64)  # ragged, sorted

    def run(drive, h0, weight, diag, blocks, dense):
        return FusedRecurrence.apply(
            drive,
            h0,
            weight,
            diag,
            blocks,
            dense,
            kind,
            0.4,
            _constants.ACTIVATIONS[activation],
            batch_sizes,
        )

    inputs = [t.requires_grad_(True) for t in (drive, h0, weight)] + [diag, blocks, dense]
    assert torch.autograd.gradcheck(run, inputs, eps=1e-6, atol=1e-7)


def test_second_derivatives_through_the_input_raise():
    rnn = WCRNN(1, 4, random_state=0, dtype=torch.float64)
    x = torch.randn(2, 5, 1, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(rnn(x)[1].square().sum(), x, create_graph=True)
    # The backward runs in NumPy (once_differentiable): no graph of the gradient.
    with pytest.raises(RuntimeError, match="once_differentiable|not have been used"):
        torch.autograd.grad(grad.sum(), x)


def test_auto_runs_fused_on_cpu_and_the_reference_elsewhere():
    rnn = WCRNN(1, 4, random_state=0)
    assert rnn.recurrence == "auto"
    assert rnn.resolved_recurrence(torch.zeros(1, 2, 1)) == "fused"
    assert rnn.resolved_recurrence(torch.zeros(1, 2, 1, dtype=torch.bfloat16)) == "reference"
    rnn.recurrence = "fused"
    with pytest.raises(ValueError, match="CPU tensors of float32 or float64"):
        rnn.resolved_recurrence(torch.zeros(1, 2, 1, dtype=torch.float16))
    with pytest.raises(ValueError, match="recurrence must be one of"):
        rnn.recurrence = "fast"
    with pytest.raises(ValueError, match="recurrence must be one of"):
        WCRNN(1, 4, recurrence="numba")


def test_fused_path_is_one_autograd_node_not_one_per_step():
    """The point of fusing: autograd's graph does not grow with the sequence length."""

    def n_nodes(recurrence, n_steps):
        rnn = WCRNN(1, 4, random_state=0, recurrence=recurrence)
        _, last = rnn(torch.zeros(2, n_steps, 1))
        seen, stack = set(), [last.grad_fn]
        while stack:
            node = stack.pop()
            if node is None or node in seen:
                continue
            seen.add(node)
            stack.extend(next_fn for next_fn, _ in node.next_functions)
        return len(seen)

    assert n_nodes("fused", 50) == n_nodes("fused", 5)
    assert n_nodes("reference", 50) > n_nodes("reference", 5) + 100


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("cc") is None and shutil.which("gcc") is None,
    reason="torch.compile's CPU backend (inductor) compiles C++: it needs a C compiler",
)
def test_compiled_path_matches_the_reference():
    """torch.compile of the step (the GPU path), here on the CPU: same states and grads."""
    rnn = _module("orthogonal", "tanh", 5, True, torch.float64)
    g = torch.Generator().manual_seed(3)
    x = torch.randn(3, 6, 3, generator=g, dtype=torch.float64)
    h0 = torch.randn(3, 5, generator=g, dtype=torch.float64)
    ws, wl = torch.randn(3, 6, 5, generator=g, dtype=torch.float64), torch.randn(3, 5)
    wl = wl.to(torch.float64)
    want = _gradients(rnn, "reference", x, h0, None, ws, wl)
    got = _gradients(rnn, "compiled", x, h0, None, ws, wl)
    for a, b in zip(got[:3], want[:3], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    for name in want[3]:
        torch.testing.assert_close(got[3][name], want[3][name], rtol=1e-12, atol=1e-12)
    import pickle

    again = pickle.loads(pickle.dumps(rnn))  # the compiled step is not pickled
    assert again.recurrence == "compiled"
    torch.testing.assert_close(again(x, h0=h0)[0], got[0], rtol=1e-12, atol=1e-12)
