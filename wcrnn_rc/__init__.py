"""wcrnn_rc: reservoir computing with weakly coupled residual recurrent networks.

A WCRNN updates its state as ``h_t = rho(h_{t-1}) + eps * f(W h_{t-1} + U x_t + b)``:
a fixed residual map rho carries memory forward and a weakly coupled random branch
adds computation. The estimators here are scikit-learn compatible.

- :mod:`wcrnn_rc.residuals`: residual families and their eigenvalues;
- :mod:`wcrnn_rc.forecasting`: closed-loop forecasting (:class:`WCRNNForecaster`);
- :mod:`wcrnn_rc.metrics`: forecast metrics (valid prediction time, NRMSE);
- :mod:`wcrnn_rc.analysis`: Lyapunov spectra and memory capacity;
- :mod:`wcrnn_rc.sweeps`: parallel parameter sweeps (joblib, dask) and dynamics scorers;
- :mod:`wcrnn_rc.plotting`: memory curves, spectra, eigenvalues, sweep heatmaps;
- :mod:`wcrnn_rc.datasets`: benchmark tasks and sequential digits, MNIST and CIFAR-10;
- :mod:`wcrnn_rc.cli`: the ``wcrnn-rc`` command line (``wcrnn-rc demo``);
- :mod:`wcrnn_rc.torch`: the optional PyTorch backend (``pip install ".[torch]"``).

The model is that of I. Dubinin and F. Effenberger, "Fading memory as inductive bias in
residual recurrent networks", *Neural Networks* 173, 106179 (2024), arXiv:2307.14823;
please cite it when you use the library (``CITATION.cff`` in the source tree).
"""

import importlib

# The version's one source: pyproject.toml reads it (tests check CITATION.cff's).
__version__ = "0.1.0"

# Imported on first use: the estimators load numba and scikit-learn (about a second),
# which `wcrnn-rc --help` and `import wcrnn_rc.cli` need not wait for.
_LAZY = {
    "DynamicsError": "reservoir",
    "DynamicsOverflowError": "reservoir",
    "SupercriticalResidualWarning": "reservoir",
    "WCRNNClassifier": "estimators",
    "WCRNNForecaster": "forecasting",
    "WCRNNRegressor": "estimators",
    "WCRNNReservoir": "reservoir",
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "DynamicsError",
    "DynamicsOverflowError",
    "SupercriticalResidualWarning",
    "WCRNNClassifier",
    "WCRNNForecaster",
    "WCRNNRegressor",
    "WCRNNReservoir",
    "__version__",
]
