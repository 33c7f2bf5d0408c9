"""The weakly coupled residual initialisation of Elman RNNs: ``W_hh = R + eps * W0``."""

import numbers

import numpy as np
import torch
from torch import nn

from ..residuals import make_residual

__all__ = ["weakly_coupled_init_"]


def weakly_coupled_init_(
    rnn,
    residual="orthogonal",
    residual_scale=1.0,
    coupling=0.1,
    *,
    recurrent_gain=1.0,
    generator=None,
):
    """Initialise an Elman RNN's recurrent weights as ``R + coupling * W0``, in place.

    ``R`` is a residual of :mod:`wcrnn_rc.residuals` (linear families only) and
    ``W0`` has i.i.d. entries N(0, recurrent_gain**2 / N), so its spectral radius is
    about ``recurrent_gain``. For a normal R (every named family), each eigenvalue
    of ``W_hh`` lies within ``coupling * ||W0||_2`` of an eigenvalue of R
    (Bauer-Fike): the residual sets the timescales of the untrained network and the
    random part couples the units weakly. Input weights and biases are left as they
    are.

    Parameters
    ----------
    rnn : torch.nn.RNN or torch.nn.RNNCell
        An Elman RNN (tanh or relu). Every layer and direction is initialised, each
        with its own draw.
    residual : str, BaseResidual, ndarray or callable, default="orthogonal"
        ``"identity"``, ``"orthogonal"``, ``"rotational"``, ``"heterogeneous"``,
        ``"none"``, a linear residual object, a matrix R of shape
        (hidden_size, hidden_size), or a callable ``func(n_units, random_state)``.
    residual_scale : float, default=1.0
        lambda of the ``"identity"``, ``"orthogonal"`` and ``"rotational"`` residuals.
    coupling : float, default=0.1
        eps, at least 0.
    recurrent_gain : float, default=1.0
        Scale of W0: its entries have standard deviation ``recurrent_gain / sqrt(N)``.
    generator : torch.Generator, default=None
        Source of randomness (W0 and the seed of a random residual); None uses
        torch's global generator.

    Returns
    -------
    rnn : torch.nn.RNN or torch.nn.RNNCell
        The same module.

    Examples
    --------
    >>> import torch
    >>> from wcrnn_rc.torch import weakly_coupled_init_
    >>> rnn = torch.nn.RNN(1, 32, batch_first=True)
    >>> g = torch.Generator().manual_seed(0)
    >>> rnn = weakly_coupled_init_(rnn, residual="identity", residual_scale=1.0,
    ...                            coupling=0.01, generator=g)
    >>> eig = torch.linalg.eigvals(rnn.weight_hh_l0.detach().double())
    >>> bool(((eig - 1).abs() < 0.03).all())
    True
    """
    if isinstance(rnn, nn.RNN):
        names = [name for name, _ in rnn.named_parameters() if name.startswith("weight_hh")]
        mode = rnn.mode
    elif isinstance(rnn, nn.RNNCell):
        names, mode = ["weight_hh"], "RNN_" + rnn.nonlinearity.upper()
    else:
        raise TypeError(
            "weakly_coupled_init_ initialises Elman RNNs (torch.nn.RNN or torch.nn.RNNCell); "
            f"got {type(rnn).__name__}. LSTM and GRU gates have no single recurrent "
            "matrix to initialise this way."
        )
    if mode not in ("RNN_TANH", "RNN_RELU"):  # pragma: no cover - guarded by the types
        raise TypeError(f"Unsupported RNN mode {mode!r}.")
    for name, value in (("coupling", coupling), ("recurrent_gain", recurrent_gain)):
        if not isinstance(value, numbers.Real) or not value >= 0 or not np.isfinite(value):
            raise ValueError(f"{name} must be a finite number >= 0; got {value!r}.")
    device = generator.device if generator is not None else "cpu"
    for name in names:
        weight = getattr(rnn, name)
        n = weight.shape[0]
        if weight.shape != (n, n):
            raise ValueError(
                f"{name} has shape {tuple(weight.shape)}; the weakly coupled "
                "initialisation needs a square recurrent matrix (proj_size=0)."
            )
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator, device=device).item())
        res = make_residual(residual, residual_scale).build(n, random_state=seed)
        if not res.is_linear:
            raise ValueError(
                f"The residual {residual!r} is non-linear; an Elman RNN's recurrent "
                "matrix can only hold a linear residual R."
            )
        R = torch.as_tensor(res.to_matrix(), dtype=torch.float64, device=device)
        W0 = torch.randn(n, n, generator=generator, dtype=torch.float64, device=device)
        W0 *= recurrent_gain / np.sqrt(n)
        with torch.no_grad():
            weight.copy_((R + coupling * W0).to(weight.dtype))
    return rnn
