"""Residual families: matrices, eigenvalues, angles, timescales and cloning."""

import numpy as np
import pytest
from naive import rotation_matrix
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from wcrnn_rc.residuals import (
    CallableResidual,
    HeterogeneousResidual,
    IdentityResidual,
    MatrixResidual,
    NoResidual,
    OrthogonalResidual,
    RotationalResidual,
    TanhResidual,
    dominant_angles,
    make_residual,
)


def _sorted(eig):
    return np.sort_complex(np.round(np.asarray(eig, dtype=complex), 10))


@pytest.mark.parametrize(
    "residual",
    [
        IdentityResidual(0.9),
        OrthogonalResidual(0.95),
        RotationalResidual(0.97),
        RotationalResidual(0.97, angles="random"),
        HeterogeneousResidual((2, 50)),
        NoResidual(),
        MatrixResidual(np.arange(25.0).reshape(5, 5) / 50),
    ],
    ids=lambda r: type(r).__name__,
)
@pytest.mark.parametrize("n_units", [5, 6])
def test_eigenvalues_are_those_of_the_matrix(residual, n_units):
    if isinstance(residual, MatrixResidual) and n_units != 5:
        residual = MatrixResidual(np.arange(36.0).reshape(6, 6) / 60)
    built = clone(residual).build(n_units, random_state=0)
    want = np.linalg.eigvals(built.to_matrix())
    np.testing.assert_allclose(_sorted(built.eigenvalues_), _sorted(want), atol=1e-8)
    moduli = np.abs(built.eigenvalues_)
    assert np.all(np.diff(moduli) <= 1e-12), "largest modulus first"
    assert built.spectral_radius_ == pytest.approx(moduli[0])


def test_orthogonal_is_orthogonal_and_haar_reproducible(global_random_seed):
    R = OrthogonalResidual(0.9).build(20, random_state=global_random_seed).matrix_
    np.testing.assert_allclose(R.T @ R, 0.81 * np.eye(20), atol=1e-12)
    again = OrthogonalResidual(0.9).build(20, random_state=global_random_seed).matrix_
    np.testing.assert_array_equal(R, again)


@pytest.mark.parametrize("n_units", [6, 7])
def test_rotational_blocks_match_an_independent_construction(n_units):
    angles = np.array([0.1, 1.0, 3.0])
    built = RotationalResidual(0.8, angles=angles).build(n_units)
    np.testing.assert_allclose(built.to_matrix(), rotation_matrix(angles, 0.8, n_units))
    want = np.concatenate([0.8 * np.exp(1j * angles), 0.8 * np.exp(-1j * angles)])
    if n_units % 2:
        want = np.append(want, 0.8)
    np.testing.assert_allclose(_sorted(built.eigenvalues_), _sorted(want), atol=1e-12)


def test_rotational_spread_angles_lie_in_open_interval():
    angles = RotationalResidual().build(40).angles_
    assert np.all((angles > 0) & (angles < np.pi))
    np.testing.assert_allclose(np.diff(angles), np.pi / 21)


def test_rotational_data_angles_follow_the_input_spectrum():
    t = np.arange(512)
    X = np.column_stack([np.sin(2 * np.pi * t / 32), 0.3 * np.sin(2 * np.pi * t / 5)])
    angles = RotationalResidual(angles="data").build(40, X=[X]).angles_
    w_slow, w_fast = 2 * np.pi / 32, 2 * np.pi / 5
    near_slow = np.abs(angles - w_slow) < 0.05
    near_fast = np.abs(angles - w_fast) < 0.05
    assert near_slow.all() or (near_slow | near_fast).all()
    assert near_slow.sum() > near_fast.sum()  # the stronger component gets more blocks


def test_dominant_angles_reject_constant_and_short_input():
    with pytest.raises(ValueError, match="constant"):
        dominant_angles([np.ones((20, 1))], 3)
    with pytest.raises(ValueError, match="at least 3 steps"):
        dominant_angles([np.ones((2, 1))], 3)


def test_rotational_errors():
    with pytest.raises(ValueError, match="needs the training input"):
        RotationalResidual(angles="data").build(4)
    with pytest.raises(ValueError, match="3 angles, but 4 units form 2"):
        RotationalResidual(angles=[0.1, 0.2, 0.3]).build(4)


def test_heterogeneous_timescales():
    built = HeterogeneousResidual(timescales=(2, 200)).build(5)
    np.testing.assert_allclose(built.timescales_, [2, 2 * 10**0.5, 20, 20 * 10**0.5, 200])
    np.testing.assert_allclose(-1 / np.log(built.diagonal_), built.timescales_)
    with pytest.raises(ValueError, match="tau_min <= tau_max"):
        HeterogeneousResidual(timescales=(10, 1)).build(3)
    with pytest.raises(ValueError, match="tau_min <= tau_max"):
        HeterogeneousResidual(timescales=(0, 1)).build(3)


def test_tanh_residual_is_nonlinear_with_linearisation_eigenvalues():
    built = TanhResidual(0.7).build(3)
    assert not built.is_linear
    np.testing.assert_allclose(built.eigenvalues_, 0.7)
    h = np.array([0.1, -2.0, 30.0])
    np.testing.assert_allclose(built.apply(h), 0.7 * np.tanh(h))


def test_matrix_residual_detects_diagonal_and_checks_shape():
    from wcrnn_rc import _kernels

    assert MatrixResidual(np.diag([0.5, 0.6])).build(2).kind_ == _kernels.RESIDUAL_DIAGONAL
    assert MatrixResidual([[0.5, 0.1], [0, 0.6]]).build(2).kind_ == _kernels.RESIDUAL_DENSE
    with pytest.raises(ValueError, match=r"shape \(2, 2\).*expected \(3, 3\)"):
        MatrixResidual(np.eye(2)).build(3)
    with pytest.raises(ValueError, match="NaN"):
        MatrixResidual(np.full((2, 2), np.nan)).build(2)
    with pytest.raises(TypeError, match="numeric"):
        MatrixResidual([["a", "b"], ["c", "d"]]).build(2)


def test_callable_residual_gets_size_and_random_state():
    calls = []

    def factory(n, rng):
        calls.append((n, rng))
        return rng.normal(size=(n, n)) * 0.1

    a = CallableResidual(factory).build(4, random_state=3).to_matrix()
    b = CallableResidual(factory).build(4, random_state=3).to_matrix()
    np.testing.assert_array_equal(a, b)
    assert calls[0][0] == 4


def test_unbuilt_residual_raises_not_fitted():
    with pytest.raises(NotFittedError, match="not built"):
        _ = IdentityResidual().eigenvalues_


def test_make_residual_names_and_objects():
    assert make_residual("identity", 0.5).get_params() == {"scale": 0.5}
    assert isinstance(make_residual(np.eye(2)), MatrixResidual)
    assert isinstance(make_residual(lambda n, rng: np.eye(n)), CallableResidual)
    template = RotationalResidual(0.9, angles="random")
    made = make_residual(template)
    assert made is not template and made.get_params() == template.get_params()
    with pytest.raises(ValueError, match="Unknown residual 'spiral'"):
        make_residual("spiral")


def test_invalid_residual_parameters_are_rejected():
    with pytest.raises(ValueError, match="angles"):
        RotationalResidual(angles="sideways").build(4)
