"""The PyTorch modules against the numba kernels, and the weakly coupled Elman init."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the torch extra; the core test install skips these

from naive import rotation_matrix  # noqa: E402

from wcrnn_rc import WCRNNReservoir  # noqa: E402
from wcrnn_rc.residuals import (  # noqa: E402
    HeterogeneousResidual,
    OrthogonalResidual,
    RotationalResidual,
)
from wcrnn_rc.torch import WCRNN, WCRNNCell, weakly_coupled_init_  # noqa: E402

TORCH_DTYPES = {np.float32: torch.float32, np.float64: torch.float64}
# Parity with the numba kernels, per dtype (the issue: 1e-10 in float64, ~1e-5 in float32).
TOL = {np.float64: dict(rtol=1e-10, atol=1e-10), np.float32: dict(rtol=1e-5, atol=1e-5)}

RESIDUALS = {
    "identity": "identity",
    "orthogonal": "orthogonal",
    "rotational": "rotational",
    "heterogeneous": "heterogeneous",
    "tanh": "tanh",
    "none": "none",
    "random angles": RotationalResidual(scale=0.9, angles="random"),
    # A dense non-normal matrix R (no structure to exploit: one product per step).
    "matrix": "matrix",
    # A diagonal matrix R, which the core and the module both apply elementwise.
    "diagonal matrix": "diagonal matrix",
}


def _residual_argument(name, n_units, seed):
    residual = RESIDUALS[name]
    rng = np.random.default_rng(seed)
    if residual == "matrix":
        return 0.8 * rng.normal(size=(n_units, n_units)) / np.sqrt(n_units)
    if residual == "diagonal matrix":
        return np.diag(rng.uniform(-0.9, 0.9, size=n_units))
    return residual


def _reservoir(name, n_units, activation, seed, X):
    return WCRNNReservoir(
        n_units=n_units,
        residual=_residual_argument(name, n_units, seed),
        residual_scale=0.8,
        coupling=0.1,
        activation=activation,
        recurrent_gain=0.9,
        bias_scaling=0.2,
        random_state=seed,
    ).fit(X)


def _parity(residual, activation, dtype, n_units, device):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(4, 40, 3)).astype(dtype)
    h0 = rng.uniform(-0.5, 0.5, size=(4, n_units))
    res = _reservoir(residual, n_units, activation, 0, X)
    want = res.run(X, initial_state=h0)
    assert want.dtype == dtype

    rnn = WCRNN.from_reservoir(res, dtype=TORCH_DTYPES[dtype], device=device)
    states, last = rnn(torch.as_tensor(X, device=device), h0=torch.as_tensor(h0, device=device))
    got = states.detach().cpu().numpy()
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, **TOL[dtype])
    np.testing.assert_allclose(last.detach().cpu().numpy(), want[:, -1], **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ["tanh", "relu", "identity"])
@pytest.mark.parametrize("residual", list(RESIDUALS))
@pytest.mark.parametrize("n_units", [7, 8])  # odd N: a trailing 1x1 rotation block
def test_forward_matches_numba_kernels(residual, activation, dtype, n_units):
    _parity(residual, activation, dtype, n_units, "cpu")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("residual", list(RESIDUALS))
def test_forward_on_cuda_matches_numba_kernels(residual, dtype):
    _parity(residual, "tanh", dtype, 7, "cuda")


@pytest.mark.parametrize("residual", ["rotational", "orthogonal", "tanh"])
def test_ragged_lengths_match_numba_kernels(residual):
    rng = np.random.default_rng(1)
    X = [rng.uniform(-1, 1, size=(n, 2)) for n in (30, 5, 17, 1)]
    res = _reservoir(residual, 9, "tanh", 1, X)
    want = res.run(X)
    padded = np.zeros((4, 30, 2))
    for i, seq in enumerate(X):
        padded[i, : len(seq)] = seq
    lengths = torch.tensor([len(seq) for seq in X])
    rnn = WCRNN.from_reservoir(res, dtype=torch.float64)
    states, last = rnn(torch.as_tensor(padded), lengths=lengths)
    for i, seq_states in enumerate(want):
        np.testing.assert_allclose(states[i, : len(seq_states)].detach().numpy(), seq_states)
        np.testing.assert_allclose(last[i].detach().numpy(), seq_states[-1])
        assert torch.all(states[i, len(seq_states) :] == 0)


def test_cell_is_one_step_of_the_layer():
    rnn = WCRNN(2, 6, residual="rotational", random_state=0, dtype=torch.float64)
    x = torch.randn(3, 5, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    states, _ = rnn(x)
    h = None
    for t in range(5):
        h = rnn.cell(x[:, t], h)
        torch.testing.assert_close(h, states[:, t])


def test_same_random_state_gives_the_reservoirs_network():
    X = np.zeros((1, 3))
    res = WCRNNReservoir(n_units=10, residual="orthogonal", random_state=7).fit(X)
    cell = WCRNNCell(3, 10, residual="orthogonal", random_state=7, dtype=torch.float64)
    np.testing.assert_array_equal(cell.weight_hh.detach().numpy(), res.recurrent_weights_)
    np.testing.assert_array_equal(cell.weight_ih.detach().numpy(), res.input_weights_)
    np.testing.assert_array_equal(cell.bias.detach().numpy(), res.bias_)
    np.testing.assert_array_equal(cell.residual_matrix_numpy(), res.residual_.to_matrix())


@pytest.mark.parametrize("n_units", [7, 8])
def test_rotational_residual_is_pairwise_and_matches_the_matrix(n_units):
    """O(N) pairs with the odd 1x1 block, equal to the block-diagonal matrix."""
    angles = np.linspace(0.3, 2.5, n_units // 2)
    cell = WCRNNCell(
        1,
        n_units,
        residual=RotationalResidual(scale=0.7, angles=angles),
        random_state=0,
        dtype=torch.float64,
    )
    assert cell.residual_kind == "blocks"
    assert not hasattr(cell, "residual_matrix")
    h = torch.randn(5, n_units, dtype=torch.float64)
    R = rotation_matrix(angles, 0.7, n_units)
    np.testing.assert_allclose(cell.residual_map(h).numpy(), h.numpy() @ R.T, atol=1e-15)


def test_structured_residuals_are_stored_in_o_n():
    kinds = {
        "identity": ("diagonal", (16,)),
        "heterogeneous": ("diagonal", (16,)),
        "rotational": ("blocks", (8, 2, 2)),
        "tanh": ("tanh", ()),
        "none": ("none", None),
        "orthogonal": ("dense", (16, 16)),
    }
    for residual, (kind, shape) in kinds.items():
        cell = WCRNNCell(1, 16, residual=residual, random_state=0)
        assert cell.residual_kind == kind
        tensors = {n: b for n, b in cell.named_buffers() if n.startswith("residual")}
        if shape is None:
            assert tensors == {}
        else:
            assert max(t.shape for t in tensors.values()) == shape


@pytest.mark.parametrize("residual", ["identity", "rotational", "orthogonal", "tanh"])
def test_residual_is_fixed_unless_trainable(residual):
    fixed = WCRNNCell(2, 6, residual=residual, random_state=0)
    trained = WCRNNCell(2, 6, residual=residual, random_state=0, train_residual=True)
    fixed_names = {n for n, _ in fixed.named_parameters()}
    trained_names = {n for n, _ in trained.named_parameters()}
    assert fixed_names == {"weight_hh", "weight_ih", "bias"}
    assert {n for n in trained_names - fixed_names if n.startswith("residual")}
    # The same state_dict keys either way, so weights move between the two.
    assert fixed.state_dict().keys() == trained.state_dict().keys()

    x = torch.randn(3, 2)
    h = torch.randn(3, 6)
    trained(x, h).sum().backward()
    grads = {
        n: p.grad for n, p in trained.named_parameters() if n.startswith("residual") and p.numel()
    }
    assert grads
    assert all(g is not None and torch.any(g != 0) for g in grads.values())


def test_backward_reaches_every_weight():
    rnn = WCRNN(2, 6, random_state=0)
    states, last = rnn(torch.randn(4, 12, 2))
    last.pow(2).sum().backward()
    for name, param in rnn.named_parameters():
        assert param.grad is not None and torch.any(param.grad != 0), name


@pytest.mark.parametrize(
    "residual",
    [
        "identity",
        "orthogonal",
        "rotational",
        "heterogeneous",
        "tanh",
        "none",
        RotationalResidual(scale=0.9, angles="random"),
    ],
)
@pytest.mark.parametrize("n_units", [5, 6])
def test_to_reservoir_round_trip(residual, n_units):
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, size=(3, 25, 2))
    rnn = WCRNN(2, n_units, residual=residual, random_state=3, dtype=torch.float64)
    res = rnn.to_reservoir()
    states, _ = rnn(torch.as_tensor(X))
    np.testing.assert_allclose(res.run(X), states.detach().numpy(), rtol=1e-10, atol=1e-12)
    again = WCRNN.from_reservoir(res, dtype=torch.float64)
    for (name, a), (_, b) in zip(rnn.state_dict().items(), again.state_dict().items(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-15, msg=name)


def test_rotational_export_keeps_structure_until_blocks_stop_being_rotations():
    rnn = WCRNN(1, 7, residual="rotational", random_state=0, dtype=torch.float64)
    exported = rnn.to_reservoir().residual_
    assert isinstance(exported, RotationalResidual)
    np.testing.assert_allclose(exported.to_matrix(), rnn.cell.residual_matrix_numpy())
    trained = WCRNN(1, 7, residual="rotational", random_state=0, train_residual=True)
    with torch.no_grad():
        trained.cell.residual_blocks[0, 0, 0] += 0.05  # no longer a scaled rotation
    exported = trained.to_reservoir().residual_
    assert not isinstance(exported, RotationalResidual)
    np.testing.assert_allclose(
        exported.to_matrix(), trained.cell.residual_matrix_numpy(), atol=1e-7
    )


def test_trained_network_exports_to_the_analysis_attributes():
    rnn = WCRNN(1, 8, residual="heterogeneous", random_state=0, dtype=torch.float64)
    optimiser = torch.optim.SGD(rnn.parameters(), lr=0.1)
    x = torch.randn(8, 20, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    for _ in range(3):
        optimiser.zero_grad()
        rnn(x)[1].pow(2).sum().backward()
        optimiser.step()
    res = rnn.to_reservoir()
    np.testing.assert_array_equal(res.recurrent_weights_, rnn.cell.weight_hh.detach().numpy())
    np.testing.assert_allclose(
        res.residual_.eigenvalues_.real, np.sort(res.residual_.diagonal_)[::-1]
    )


def test_data_angles_need_a_fitted_reservoir():
    with pytest.raises(ValueError, match="from_reservoir"):
        WCRNNCell(1, 4, residual=RotationalResidual(angles="data"))
    X = np.sin(0.3 * np.arange(200))[:, None]
    res = WCRNNReservoir(n_units=4, residual=RotationalResidual(angles="data")).fit(X)
    rnn = WCRNN.from_reservoir(res, dtype=torch.float64)
    np.testing.assert_allclose(rnn(torch.as_tensor(X[None]))[0][0].detach().numpy(), res.run(X))


def test_bad_input_is_reported():
    rnn = WCRNN(2, 4, random_state=0)
    with pytest.raises(ValueError, match="batch, n_steps, input_size"):
        rnn(torch.zeros(5, 2))
    with pytest.raises(ValueError, match="3 features"):
        rnn(torch.zeros(1, 5, 3))
    with pytest.raises(ValueError, match="h0 has shape"):
        rnn(torch.zeros(2, 5, 2), h0=torch.zeros(3, 4))
    with pytest.raises(ValueError, match="lengths"):
        rnn(torch.zeros(2, 5, 2), lengths=[6, 1])
    with pytest.raises(TypeError, match="WCRNNReservoir"):
        WCRNN.from_reservoir("not a reservoir")
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        WCRNN.from_reservoir(WCRNNReservoir())
    with pytest.raises(TypeError, match="floating"):
        WCRNN(1, 2, dtype=torch.int64)


# --------------------------------------------------------------------------------------
# The weakly coupled initialisation of Elman RNNs
# --------------------------------------------------------------------------------------


def _bauer_fike_holds(W_hh, R, eps_W0_norm):
    """Every eigenvalue of W_hh lies within eps * ||W0||_2 of an eigenvalue of R."""
    eig_w = np.linalg.eigvals(W_hh)
    eig_r = np.linalg.eigvals(R)
    distance = np.abs(eig_w[:, None] - eig_r[None, :]).min(axis=1)
    return np.all(distance <= eps_W0_norm + 1e-9), distance.max()


@pytest.mark.parametrize(
    "residual",
    ["identity", "orthogonal", "rotational", "heterogeneous", "none", OrthogonalResidual(0.9)],
)
@pytest.mark.parametrize("coupling", [0.01, 0.1, 0.5])
def test_weakly_coupled_init_eigenvalues_near_the_residual(residual, coupling):
    def init(eps, seed):
        rnn = torch.nn.RNN(3, 24, num_layers=2, batch_first=True)
        g = torch.Generator().manual_seed(seed)
        out = weakly_coupled_init_(rnn, residual, 0.95, eps, generator=g)
        assert out is rnn
        return [getattr(rnn, f"weight_hh_l{k}").detach().double().numpy() for k in (0, 1)]

    weighted = init(coupling, 0)
    bare = init(0.0, 0)  # same generator: the same R, without W0
    for W_hh, R in zip(weighted, bare, strict=True):
        W0 = (W_hh - R) / coupling
        assert np.linalg.norm(W0, 2) > 0.5  # W0 is really there (about 2 for N(0, 1/N))
        holds, worst = _bauer_fike_holds(W_hh, R, coupling * np.linalg.norm(W0, 2))
        assert holds, worst
    # Layers get their own draws.
    assert not np.allclose(weighted[0], weighted[1])


def test_weakly_coupled_init_with_an_explicit_matrix_and_its_eigenvalues():
    R = np.diag(np.linspace(0.5, 1.0, 16))
    rnn = torch.nn.RNN(1, 16, dtype=torch.float64)
    weakly_coupled_init_(rnn, R, coupling=0.05, generator=torch.Generator().manual_seed(1))
    W_hh = rnn.weight_hh_l0.detach().numpy()
    W0 = (W_hh - R) / 0.05
    holds, _ = _bauer_fike_holds(W_hh, R, 0.05 * np.linalg.norm(W0, 2))
    assert holds
    assert 1.5 < np.linalg.norm(W0, 2) < 2.6  # W0 ~ N(0, 1/N): ||W0||_2 about 2


def test_weakly_coupled_init_is_reproducible_and_covers_directions_and_cells():
    def weights(seed):
        rnn = torch.nn.RNN(2, 8, bidirectional=True, nonlinearity="relu")
        weakly_coupled_init_(rnn, "rotational", generator=torch.Generator().manual_seed(seed))
        return rnn.weight_hh_l0.detach().clone(), rnn.weight_hh_l0_reverse.detach().clone()

    a, b = weights(0), weights(0)
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.allclose(a[0], weights(1)[0])
    cell = torch.nn.RNNCell(2, 4)
    weakly_coupled_init_(cell, "identity", 1.0, 0.0)
    torch.testing.assert_close(cell.weight_hh.detach(), torch.eye(4))


def test_weakly_coupled_init_rejects_what_it_cannot_hold():
    with pytest.raises(TypeError, match="Elman"):
        weakly_coupled_init_(torch.nn.LSTM(1, 4))
    with pytest.raises(ValueError, match="non-linear"):
        weakly_coupled_init_(torch.nn.RNN(1, 4), "tanh")
    with pytest.raises(ValueError, match="coupling"):
        weakly_coupled_init_(torch.nn.RNN(1, 4), coupling=-0.1)
    with pytest.raises(ValueError, match="expected \\(4, 4\\)"):
        weakly_coupled_init_(torch.nn.RNN(1, 4), np.eye(3))


def test_weakly_coupled_rnn_keeps_its_memory_longer():
    """The point of the init: at t=0 the gradient through 100 steps does not vanish."""

    def gradient_ratio(init):
        torch.manual_seed(0)
        rnn = torch.nn.RNN(1, 64, batch_first=True)
        if init:
            weakly_coupled_init_(rnn, "orthogonal", 1.0, 0.05, generator=torch.Generator())
        x = torch.randn(16, 100, 1, requires_grad=True)
        out, _ = rnn(x)
        out[:, -1].sum().backward()
        grad = x.grad.abs().mean(dim=(0, 2))
        return float(grad[0] / grad[-1])

    assert gradient_ratio(init=True) > 100 * gradient_ratio(init=False)


def test_heterogeneous_residual_object_is_accepted():
    rnn = torch.nn.RNN(1, 10)
    weakly_coupled_init_(rnn, HeterogeneousResidual(timescales=(2, 50)), coupling=0.0)
    np.testing.assert_allclose(
        np.diag(rnn.weight_hh_l0.detach().numpy()), np.exp(-1 / np.geomspace(2, 50, 10)), rtol=1e-6
    )
