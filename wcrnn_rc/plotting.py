"""Plots of the dynamics: memory curves, Lyapunov spectra, residual eigenvalues, sweeps.

matplotlib is imported inside the functions, so importing wcrnn_rc never starts it.
Every function draws into ``ax`` (a new figure's axes when None) and returns it.
"""

import numpy as np
from sklearn.base import clone

from ._network import find_reservoir
from .analysis import lyapunov_spectrum, memory_capacity
from .residuals import BaseResidual

__all__ = [
    "plot_lyapunov_spectrum",
    "plot_memory_curve",
    "plot_residual_eigenvalues",
    "plot_sweep",
]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def _seed_curves(model, n_seeds, random_state, memory_kwargs):
    """Memory curves of ``model`` rebuilt with ``n_seeds`` seeds, or given curves."""
    if not hasattr(model, "get_params"):  # precomputed curve(s)
        return np.atleast_2d(np.asarray(model, dtype=float))
    reservoir = find_reservoir(model)[0]
    if n_seeds == 1:
        runs = [(reservoir, random_state)]
    else:
        seeds = np.random.RandomState(random_state).randint(np.iinfo(np.int32).max, size=n_seeds)
        runs = [(clone(reservoir).set_params(random_state=int(s)), int(s)) for s in seeds]
    curves = [
        memory_capacity(network, return_curve=True, random_state=seed, **memory_kwargs)[1]
        for network, seed in runs
    ]
    return np.array(curves)


def plot_memory_curve(models, *, labels=None, n_seeds=1, random_state=0, ax=None, **memory_kwargs):
    """Plot memory curves ``MC_k`` against the delay k, with a band over seeds.

    Parameters
    ----------
    models : reservoir, estimator, array-like, or a list or dict of them
        Each entry is a :class:`~wcrnn_rc.WCRNNReservoir` (fitted or not), an
        estimator or pipeline containing one, or precomputed curves of shape
        (max_delay,) or (n_seeds, max_delay). A dict maps labels to entries.
    labels : list of str, default=None
        Legend labels; by default the dict keys, else the reservoirs' residuals.
    n_seeds : int, default=1
        With more than 1, every reservoir is rebuilt with ``n_seeds`` seeds (its
        ``random_state``); the line is the mean curve and the band spans min to max.
    random_state : int, default=0
        Seeds the drive (one seed), or draws the networks' seeds (several).
    ax : matplotlib Axes, default=None
        Axes to draw in; a new figure's when None.
    **memory_kwargs
        Passed to :func:`~wcrnn_rc.analysis.memory_capacity` (e.g. ``max_delay``).

    Returns
    -------
    ax : matplotlib Axes
        One line per model (labelled with its MC), and a band with several seeds.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from wcrnn_rc import WCRNNReservoir
    >>> from wcrnn_rc.plotting import plot_memory_curve
    >>> ax = plot_memory_curve({"rotational": WCRNNReservoir(n_units=10),
    ...                         "identity": WCRNNReservoir(n_units=10, residual="identity")},
    ...                        n_seeds=2)
    >>> len(ax.lines)
    2
    """
    ax = _axes(ax)
    if isinstance(models, dict):
        labels = list(models) if labels is None else labels
        models = list(models.values())
    elif hasattr(models, "get_params") or not isinstance(models, list):
        models = [models]
    if labels is None:
        labels = [_describe(m) for m in models]
    if len(labels) != len(models):
        raise ValueError(f"Got {len(labels)} labels for {len(models)} models.")
    for model, label in zip(models, labels, strict=True):
        curves = _seed_curves(model, n_seeds, random_state, memory_kwargs)
        delays = np.arange(1, curves.shape[1] + 1)
        mean = curves.mean(axis=0)
        (line,) = ax.plot(delays, mean, label=f"{label} (MC = {mean.sum():.1f})")
        if curves.shape[0] > 1:
            ax.fill_between(
                delays, curves.min(axis=0), curves.max(axis=0), color=line.get_color(), alpha=0.25
            )
    ax.set_xlabel("delay k")
    ax.set_ylabel("$MC_k$")
    ax.set_ylim(-0.02, 1.02)
    ax.legend()
    return ax


def _describe(model):
    if not hasattr(model, "get_params"):
        return "curve"
    try:
        reservoir = find_reservoir(model)[0]
    except (TypeError, ValueError, AttributeError):
        return type(model).__name__
    residual = reservoir.residual
    return residual if isinstance(residual, str) else type(residual).__name__


def plot_lyapunov_spectrum(reservoir, *, exponents=None, ax=None, **spectrum_kwargs):
    """Plot the numeric Lyapunov spectrum against the residual's theory.

    Parameters
    ----------
    reservoir : WCRNNReservoir or estimator or pipeline containing one, fitted
        The network; its residual gives the theory ``log|eig R|``.
    exponents : array-like, default=None
        A numeric spectrum to show; by default computed with
        :func:`~wcrnn_rc.analysis.lyapunov_spectrum` and ``spectrum_kwargs``.
    ax : matplotlib Axes, default=None
    **spectrum_kwargs
        Passed to :func:`~wcrnn_rc.analysis.lyapunov_spectrum`.

    Returns
    -------
    ax : matplotlib Axes
        Markers for the numeric exponents, a line for the theory and a dashed line
        at 0 (the edge of chaos).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from wcrnn_rc import WCRNNReservoir
    >>> from wcrnn_rc.plotting import plot_lyapunov_spectrum
    >>> res = WCRNNReservoir(n_units=10, random_state=0).fit(np.zeros((1, 1)))
    >>> ax = plot_lyapunov_spectrum(res, n_steps=200, random_state=0)
    >>> [line.get_label() for line in ax.lines[:2]]
    ['numeric', 'theory: log|eig R|']
    """
    ax = _axes(ax)
    reservoir, fitted = find_reservoir(reservoir)
    if not fitted:
        reservoir = clone(reservoir).fit(np.zeros((1, 1)))
    if exponents is None:
        exponents = lyapunov_spectrum(reservoir, **spectrum_kwargs)
    exponents = np.asarray(exponents, dtype=float)
    theory = reservoir.residual_lyapunov_exponents_
    index = np.arange(1, len(exponents) + 1)
    ax.plot(index, exponents, "o", markersize=4, label="numeric")
    ax.plot(
        np.arange(1, len(theory) + 1)[: len(exponents)],
        theory[: len(exponents)],
        "-",
        label="theory: log|eig R|",
    )
    ax.axhline(0.0, color="0.5", linestyle="--", linewidth=1)
    ax.set_xlabel("exponent index")
    ax.set_ylabel("Lyapunov exponent per step")
    ax.legend()
    return ax


def plot_residual_eigenvalues(residual, *, ax=None):
    """Plot the residual's eigenvalues in the complex plane, with the unit circle.

    Inside the circle the residual is subcritical (fading memory); on it, critical.

    Parameters
    ----------
    residual : BaseResidual (built), or fitted reservoir / estimator / pipeline
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes
        A scatter of the eigenvalues and the unit circle as a line; equal aspect.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from wcrnn_rc.residuals import RotationalResidual
    >>> from wcrnn_rc.plotting import plot_residual_eigenvalues
    >>> ax = plot_residual_eigenvalues(RotationalResidual(scale=0.9).build(8))
    >>> ax.collections[0].get_offsets().shape
    (8, 2)
    """
    ax = _axes(ax)
    if not isinstance(residual, BaseResidual):
        reservoir, fitted = find_reservoir(residual)
        if not fitted:
            raise ValueError("Fit the reservoir first: its residual is built in fit.")
        residual = reservoir.residual_
    eig = residual.eigenvalues_
    theta = np.linspace(0, 2 * np.pi, 361)
    ax.plot(np.cos(theta), np.sin(theta), color="0.5", linewidth=1, label="unit circle")
    ax.scatter(eig.real, eig.imag, s=12, label="eigenvalues of R", zorder=3)
    ax.set_aspect("equal")
    ax.set_xlabel("Re")
    ax.set_ylabel("Im")
    ax.legend(loc="upper right")
    return ax


def plot_sweep(results, metric, x, y, *, edge_of_chaos="auto", ax=None):
    """Heatmap of a sweep's metric over two parameters, marking the edge of chaos.

    Parameters
    ----------
    results : dict
        From :func:`~wcrnn_rc.sweeps.parameter_sweep`, over a grid of (at least)
        the two parameters ``x`` and ``y``.
    metric : str
        Key to show, e.g. ``"mean_memory_capacity"`` or ``"mean_score"``.
    x, y : str
        Parameter names for the horizontal and vertical axes.
    edge_of_chaos : bool or "auto", default="auto"
        Draw the contour where the mean largest Lyapunov exponent crosses 0; "auto"
        draws it when ``results`` has ``mean_max_lyapunov`` and it changes sign.
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes
        An image of the metric (rows: y values, columns: x values) with a colour
        bar, and the contour at exponent 0 when drawn.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from wcrnn_rc import WCRNNReservoir
    >>> from wcrnn_rc.sweeps import parameter_sweep
    >>> from wcrnn_rc.plotting import plot_sweep
    >>> results = parameter_sweep(WCRNNReservoir(n_units=10),
    ...                           {"coupling": [0.1, 1.0], "recurrent_gain": [0.5, 3.0]},
    ...                           metrics=["max_lyapunov"], random_state=0)
    >>> ax = plot_sweep(results, "mean_max_lyapunov", "coupling", "recurrent_gain")
    >>> ax.images[0].get_array().shape
    (2, 2)
    """
    ax = _axes(ax)
    if metric not in results:
        raise ValueError(f"results has no {metric!r}; it has {sorted(results)}.")
    xs, ys = _grid_values(results, x), _grid_values(results, y)
    grid = _on_grid(results, metric, x, y, xs, ys)
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
    ax.figure.colorbar(image, ax=ax, label=metric)
    ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs])
    ax.set_yticks(range(len(ys)), [f"{v:g}" for v in ys])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if edge_of_chaos == "auto":
        lyap = results.get("mean_max_lyapunov")
        edge_of_chaos = lyap is not None and np.nanmin(lyap) < 0 < np.nanmax(lyap)
    if edge_of_chaos:
        if "mean_max_lyapunov" not in results:
            raise ValueError("Marking the edge of chaos needs the 'max_lyapunov' metric.")
        lyap_grid = _on_grid(results, "mean_max_lyapunov", x, y, xs, ys)
        if min(lyap_grid.shape) > 1:
            ax.contour(lyap_grid, levels=[0.0], colors="red", linewidths=2)
        else:  # one row or column: contour needs 2 x 2, so mark the crossings as lines
            line = ax.axvline if lyap_grid.shape[0] == 1 else ax.axhline
            for position in _zero_crossings(lyap_grid.ravel()):
                line(position, color="red", linewidth=2)
        ax.plot([], [], color="red", label="edge of chaos ($\\lambda_{max} = 0$)")
        ax.legend(loc="upper right")
    return ax


def _zero_crossings(values):
    """Fractional indices where a 1-D sequence changes sign (linear interpolation)."""
    crossings = []
    for i, (a, b) in enumerate(zip(values[:-1], values[1:], strict=True)):
        if a == 0:
            crossings.append(float(i))
        elif a * b < 0:
            crossings.append(i + a / (a - b))
    if len(values) and values[-1] == 0:
        crossings.append(float(len(values) - 1))
    return crossings


def _grid_values(results, name):
    key = f"param_{name}"
    if key not in results:
        raise ValueError(f"results has no parameter {name!r}.")
    values = results[key]
    return sorted(
        {v for v, m in zip(values.data, np.ma.getmaskarray(values), strict=True) if not m}
    )


def _on_grid(results, metric, x, y, xs, ys):
    grid = np.full((len(ys), len(xs)), np.nan)
    x_values, y_values = results[f"param_{x}"], results[f"param_{y}"]
    for value, xv, yv in zip(results[metric], x_values, y_values, strict=True):
        if xv is np.ma.masked or yv is np.ma.masked:
            continue
        if not np.isnan(grid[ys.index(yv), xs.index(xv)]):
            raise ValueError(
                f"Several results share {x}={xv}, {y}={yv}: sweep only these two "
                "parameters, or select the rows of one setting of the others first."
            )
        grid[ys.index(yv), xs.index(xv)] = value
    return grid
