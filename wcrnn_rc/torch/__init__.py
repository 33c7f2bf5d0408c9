"""PyTorch backend: BPTT-trained WCRNNs and the weakly coupled residual initialisation.

An optional extra (``pip install ".[torch]"`` from a checkout); the core never imports it.

- :class:`WCRNNCell`, :class:`WCRNN`: the recurrence
  ``h_t = rho(h_{t-1}) + eps * f(W h_{t-1} + U x_t + b)`` as ``torch.nn`` modules
  (batch-first), with the residual families of :mod:`wcrnn_rc.residuals`, loadable
  from and exportable to a fitted :class:`~wcrnn_rc.WCRNNReservoir`;
- :func:`weakly_coupled_init_`: ``W_hh = R + eps * W0`` for ``torch.nn.RNN``;
- :class:`WCRNNTorchRegressor`, :class:`WCRNNTorchClassifier`: scikit-learn
  estimators trained end to end by backpropagation through time.
"""

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "wcrnn_rc.torch needs PyTorch, which is not installed. Install the torch extra "
        'from the wcrnn_rc checkout: pip install ".[torch]" (where pip would pull a '
        "multi-GB CUDA build, install a CPU build of torch first)"
    ) from exc

from .estimators import WCRNNTorchClassifier, WCRNNTorchRegressor
from .init import weakly_coupled_init_
from .modules import WCRNN, WCRNNCell

__all__ = [
    "WCRNN",
    "WCRNNCell",
    "WCRNNTorchClassifier",
    "WCRNNTorchRegressor",
    "weakly_coupled_init_",
]
