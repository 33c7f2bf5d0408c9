"""Dynamics of fitted reservoirs: Lyapunov spectra and memory capacity.

These functions take a :class:`~wcrnn_rc.WCRNNReservoir` (fitted, or fitted here on
the drive) or a fitted estimator or pipeline that contains one. They read the
reservoir only through its fitted weights and kernels, so the reservoir module can
offer them as cached attributes (``lyapunov_exponents_``, ``memory_capacity_``).
"""

from .lyapunov import kaplan_yorke_dimension, lyapunov_spectrum, max_lyapunov_exponent
from .memory import memory_capacity

__all__ = [
    "kaplan_yorke_dimension",
    "lyapunov_spectrum",
    "max_lyapunov_exponent",
    "memory_capacity",
]
