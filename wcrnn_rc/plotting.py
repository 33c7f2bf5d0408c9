"""Plots of the dynamics: memory curves, Lyapunov spectra, residual eigenvalues, sweeps.

matplotlib is imported inside the functions, so importing wcrnn_rc never starts it.
Every function draws into ``ax`` (a new figure's axes when None) and returns it.

Axes carry symbols and units (``residual scale λ``, ``coupling ε``, ``delay k
(steps)``), the lines take the Okabe-Ito palette (distinguishable with the common
colour-vision deficiencies), and signed quantities such as Lyapunov exponents get a
diverging colour map centred on 0.
"""

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from ._network import find_reservoir
from .analysis import lyapunov_spectrum, memory_capacity
from .residuals import BaseResidual

__all__ = [
    "plot_attractor",
    "plot_forecast",
    "plot_lyapunov_spectrum",
    "plot_memory_curve",
    "plot_residual_eigenvalues",
    "plot_sweep",
]

# Okabe & Ito (2008): blue, vermillion, bluish green, reddish purple, orange, sky blue,
# black; the yellow is left out (too pale on white).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")

# Axis and colour-bar labels of the reservoir's parameters and the sweeps' metrics. A
# sweep's ``mean_<metric>`` and ``std_<metric>`` are labelled from ``<metric>``.
LABELS = {
    "residual_scale": r"residual scale $\lambda$",
    "coupling": r"coupling $\varepsilon$",
    "recurrent_gain": r"recurrent gain $g$ (spectral radius of $W$)",
    "n_units": r"units $N$",
    "input_scaling": "input scaling",
    "bias_scaling": "bias scaling",
    "density": r"density of $W$",
    "memory_capacity": "memory capacity MC (delays recalled)",
    "max_lyapunov": r"largest Lyapunov exponent $\lambda_{\max}$ (per step)",
    "spectral_radius": r"spectral radius of $R$",
    "score": "score",
}

# Metrics whose sign is the point: drawn with a diverging map centred on 0.
_SIGNED = ("max_lyapunov", "lyapunov")

_EDGE_LABEL = r"edge of chaos: $\lambda_{\max}$ changes sign"


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def _label(name, labels=None):
    """A readable label for a parameter or metric name; ``labels`` overrides."""
    if labels and name in labels:
        return labels[name]
    base = name.rsplit("__", 1)[-1]  # a pipeline's "res__coupling"
    if base in LABELS:
        return LABELS[base]
    for prefix, text in (("mean_", "mean "), ("std_", "sd of ")):
        if base.startswith(prefix) and base[len(prefix) :] in LABELS:
            return text + LABELS[base[len(prefix) :]]
    return name


def _drive_seed(random_state):
    """One int seed for every model of a call (the same drive or networks for all)."""
    if random_state is None or isinstance(random_state, numbers.Integral):
        if random_state is None:
            return int(check_random_state(None).randint(np.iinfo(np.int32).max))
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    raise ValueError(
        f"random_state must be an int, a numpy RandomState or None; got {random_state!r}."
    )


def _seed_curves(model, n_seeds, seed, memory_kwargs):
    """Memory curves of ``model`` rebuilt with ``n_seeds`` seeds, or given curves."""
    if not hasattr(model, "get_params"):  # precomputed curve(s)
        return np.atleast_2d(np.asarray(model, dtype=float)), None
    reservoir = find_reservoir(model)[0]
    if n_seeds == 1:
        runs = [(reservoir, seed)]
    else:
        seeds = np.random.RandomState(seed).randint(np.iinfo(np.int32).max, size=n_seeds)
        runs = [(clone(reservoir).set_params(random_state=int(s)), int(s)) for s in seeds]
    curves = [
        memory_capacity(network, return_curve=True, random_state=s, **memory_kwargs)[1]
        for network, s in runs
    ]
    return np.array(curves), reservoir.n_units


def plot_memory_curve(
    models,
    *,
    labels=None,
    n_seeds=1,
    band="range",
    n_units=None,
    random_state=0,
    legend=True,
    ax=None,
    **memory_kwargs,
):
    """Plot memory curves ``MC_k`` against the delay k, with a band over seeds.

    ``MC_k`` is the squared correlation between the input ``k`` steps back and its
    best linear readout from the state (see
    :func:`~wcrnn_rc.analysis.memory_capacity`); ``MC = sum_k MC_k``.

    A dotted vertical line marks the delay ``k = N``, the number of units. ``N`` is
    also the bound ``MC <= N``: the readouts are projections onto an N-dimensional
    state space, which holds at most N independent traces of the past. A network that
    recalls its last N inputs almost perfectly (a rotational residual near the
    critical scale) therefore has a curve near 1 up to ``k = N`` and a drop there;
    beyond it every ``MC_k`` is close to 0 (held-out sampling noise, about
    ``1 / n_test`` each).

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
        ``random_state``); the line is the mean curve over them.
    band : {"range", "sd"}, default="range"
        What the shaded band spans wherever there are several curves (seeds, or rows
        of a precomputed 2-D array): ``"range"``, the minimum to the maximum over the
        networks; ``"sd"``, the mean plus and minus one standard deviation
        (``ddof=1``). The legend says which, and over how many networks.
    n_units : int, default=None
        ``N`` for the ``k = N`` line. By default the reservoirs' ``n_units``;
        precomputed curves do not carry it, so give it for them (no line otherwise).
    random_state : int, RandomState instance or None, default=0
        Seeds the drive (one seed), or draws the networks' seeds (several). Every
        model gets the same drive and the same network seeds, so that their curves
        differ by the model only; a RandomState or None is drawn from once per call.
    legend : bool or dict, default=True
        Draw the legend; a dict is passed to :meth:`matplotlib.axes.Axes.legend`
        (for instance ``loc`` and ``bbox_to_anchor`` to place it outside the axes).
    ax : matplotlib Axes, default=None
        Axes to draw in; a new figure's when None.
    **memory_kwargs
        Passed to :func:`~wcrnn_rc.analysis.memory_capacity` (e.g. ``max_delay``).

    Returns
    -------
    ax : matplotlib Axes
        One line per model (labelled with its MC, the mean over seeds), a band with
        several curves, and the ``k = N`` line.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from wcrnn_rc import WCRNNReservoir
    >>> from wcrnn_rc.plotting import plot_memory_curve
    >>> ax = plot_memory_curve({"rotational": WCRNNReservoir(n_units=10),
    ...                         "identity": WCRNNReservoir(n_units=10, residual="identity")},
    ...                        n_seeds=2)
    >>> [text.get_text() for text in ax.get_legend().get_texts()][2:]
    ['k = N = 10 (bound MC ≤ N)', 'band: min to max over 2 networks']
    """
    from matplotlib.patches import Patch

    if band not in ("range", "sd"):
        raise ValueError(f'band must be "range" or "sd"; got {band!r}.')
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
    seed = _drive_seed(random_state)
    sizes, band_counts = set(), set()
    for i, (model, label) in enumerate(zip(models, labels, strict=True)):
        curves, size = _seed_curves(model, n_seeds, seed, memory_kwargs)
        sizes.add(n_units if n_units is not None else size)
        delays = np.arange(1, curves.shape[1] + 1)
        mean = curves.mean(axis=0)
        (line,) = ax.plot(
            delays, mean, color=PALETTE[i % len(PALETTE)], label=f"{label} (MC = {mean.sum():.1f})"
        )
        if curves.shape[0] > 1:
            if band == "range":
                low, high = curves.min(axis=0), curves.max(axis=0)
            else:
                sd = curves.std(axis=0, ddof=1)
                low, high = mean - sd, mean + sd
            ax.fill_between(delays, low, high, color=line.get_color(), alpha=0.25, linewidth=0)
            band_counts.add(curves.shape[0])
    for size in sorted(sizes - {None}):
        ax.axvline(
            size, color="0.35", linestyle=":", linewidth=1.5, label=f"k = N = {size} (bound MC ≤ N)"
        )
    handles, texts = ax.get_legend_handles_labels()
    if band_counts:
        count = band_counts.pop() if len(band_counts) == 1 else None
        over = f"over {count} networks" if count else "over the networks"
        what = "min to max" if band == "range" else "mean ± 1 sd"
        handles.append(Patch(facecolor="0.5", alpha=0.35, linewidth=0))
        texts.append(f"band: {what} {over}")
    ax.set_xlabel("delay k (steps)")
    ax.set_ylabel(r"memory function $MC_k$ (recall $R^2$)")
    ax.set_ylim(-0.02, 1.02)
    if ax.get_xscale() == "linear":  # on a log axis (set by the caller) 0 has no place
        ax.set_xlim(0, ax.get_xlim()[1])
    if legend:
        ax.legend(handles, texts, **{"fontsize": "small", **(legend if legend is not True else {})})
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

    The exponents are per step and sorted largest first. As the coupling goes to 0 they
    approach the theory ``log|eig R|``, the log-moduli of the residual's eigenvalues.
    The dashed line at 0 (the edge of chaos) is drawn within the frame when the
    exponents come near it; when they are all far below (or above) it, the frame
    keeps to the exponents, so that numeric and theory can be told apart, and the
    legend says on which side 0 lies.

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
    ['numeric (QR method)', 'theory: log|eig R|']
    """
    ax = _axes(ax)
    reservoir, fitted = find_reservoir(reservoir)
    if not fitted:
        reservoir = clone(reservoir).fit(np.zeros((1, 1)))
    if exponents is None:
        exponents = lyapunov_spectrum(reservoir, **spectrum_kwargs)
    exponents = np.asarray(exponents, dtype=float)
    theory = reservoir.residual_lyapunov_exponents_[: len(exponents)]
    index = np.arange(1, len(exponents) + 1)
    ax.plot(index, exponents, "o", markersize=4, color=PALETTE[0], label="numeric (QR method)")
    ax.plot(index[: len(theory)], theory, "-", color=PALETTE[1], label="theory: log|eig R|")
    shown = np.concatenate([exponents, theory])
    shown = shown[np.isfinite(shown)]
    zero = "0: edge of chaos"
    if shown.size:
        low, high = shown.min(), shown.max()
        span = max(high - low, 0.05 * max(abs(low), abs(high)), 1e-12)
        # 0 joins the frame unless it would squeeze the exponents into a thin strip.
        if high < -span or low > span:
            pad = 0.08 * span
            ax.set_ylim(low - pad, high + pad)
            ax.set_autoscaley_on(False)
            zero += " (above the frame)" if high < 0 else " (below the frame)"
    ax.axhline(0.0, color="0.4", linestyle="--", linewidth=1, label=zero)
    ax.set_xlabel("index $i$ (largest first)")
    ax.set_ylabel(r"Lyapunov exponent $\lambda_i$ (per step)")
    ax.legend(fontsize="small")
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
    ax.plot(np.cos(theta), np.sin(theta), color="0.5", linewidth=1, label="unit circle |μ| = 1")
    ax.scatter(eig.real, eig.imag, s=14, color=PALETTE[0], label="eigenvalues μ of R", zorder=3)
    ax.axhline(0.0, color="0.85", linewidth=0.8, zorder=0)
    ax.axvline(0.0, color="0.85", linewidth=0.8, zorder=0)
    ax.set_aspect("equal")
    ax.set_xlabel("Re μ")
    ax.set_ylabel("Im μ")
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_sweep(
    results,
    metric,
    x,
    y,
    *,
    edge_of_chaos="auto",
    labels=None,
    xscale="auto",
    yscale="auto",
    cmap=None,
    norm=None,
    ax=None,
):
    """Heatmap of a sweep's metric over two parameters, marking the edge of chaos.

    The cells sit at the parameters' true values: each cell spans from half-way to
    its neighbours (geometric half-way on a log axis), so an uneven grid is drawn
    unevenly, and a grid of roughly constant ratios (such as 0.01, 0.03, 0.1, 0.3)
    gets a log axis. Ticks mark every grid value, labelled where there is room.

    The edge of chaos is drawn as the boundary between the cells whose mean largest
    Lyapunov exponent is negative and those where it is 0 or more (black with a white
    halo, visible on any colour). Being made of cell sides, it is visible on any grid,
    2 x 2 or a single row included, and claims no more than the grid resolves.

    Metrics whose sign matters (the Lyapunov exponents) use a diverging colour map
    centred on 0: blue for ordered, red for chaotic, white at the edge. Others use
    viridis. Cells without a value (diverged networks, or points not swept) are grey.

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
        Draw the boundary where the mean largest Lyapunov exponent changes sign;
        "auto" draws it when ``results`` has ``mean_max_lyapunov`` and it changes
        sign.
    labels : dict, default=None
        Axis and colour-bar labels by name (``x``, ``y`` or ``metric``), overriding
        the built-in ones (``wcrnn_rc.plotting.LABELS``: ``residual_scale`` becomes
        "residual scale λ", ``mean_memory_capacity`` "mean memory capacity MC
        (delays recalled)"). Names without either are shown as they are.
    xscale, yscale : {"auto", "linear", "log"}, default="auto"
        "auto" takes a log axis when the values are positive, span a factor of 3 or
        more, and are more evenly spaced in log than in linear terms.
    cmap : str or Colormap, default=None
        By default "RdBu_r" for signed metrics, else "viridis".
    norm : matplotlib Normalize, default=None
        By default, for signed metrics, 0 at the centre of the map: a
        ``TwoSlopeNorm`` when the values have both signs (each side spans its own
        range, so that small positive exponents still show red), else a
        ``CenteredNorm``.
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes
        A ``pcolormesh`` of the metric (rows: y values, columns: x values) with a
        colour bar, and the edge of chaos when drawn (two ``LineCollection``: the
        halo, then the line), with its legend below the axes.

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
    >>> ax.collections[0].get_array().shape
    (2, 2)
    >>> ax.get_xlabel()
    'coupling $\\\\varepsilon$'
    """
    import matplotlib as mpl
    from matplotlib.collections import LineCollection
    from matplotlib.colors import CenteredNorm, TwoSlopeNorm
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.patheffects import withStroke
    from matplotlib.ticker import FuncFormatter

    for name, scale in (("xscale", xscale), ("yscale", yscale)):
        if scale not in ("auto", "linear", "log"):
            raise ValueError(f'{name} must be "auto", "linear" or "log"; got {scale!r}.')
    ax = _axes(ax)
    if metric not in results:
        raise ValueError(f"results has no {metric!r}; it has {sorted(results)}.")
    xs, ys = _grid_values(results, x), _grid_values(results, y)
    grid = _on_grid(results, metric, x, y, xs, ys)
    x_log, y_log = _log_axis(xs, xscale, x), _log_axis(ys, yscale, y)
    x_edges, y_edges = _edges(xs, x_log), _edges(ys, y_log)

    signed = any(key in metric for key in _SIGNED)
    cmap = mpl.colormaps[cmap or ("RdBu_r" if signed else "viridis")].with_extremes(bad="0.8")
    finite = grid[np.isfinite(grid)]
    if norm is None and signed and finite.size:
        if finite.min() < 0 < finite.max():
            norm = TwoSlopeNorm(vcenter=0.0, vmin=finite.min(), vmax=finite.max())
        else:
            norm = CenteredNorm(vcenter=0.0, halfrange=max(np.abs(finite).max(), 1e-12))
    mesh = ax.pcolormesh(
        x_edges, y_edges, np.ma.masked_invalid(grid), cmap=cmap, norm=norm, shading="flat"
    )
    bar = ax.figure.colorbar(mesh, ax=ax, label=_wrap(_label(metric, labels)))
    if isinstance(norm, TwoSlopeNorm):
        bar.set_ticks(_two_slope_ticks(norm.vmin, norm.vmax))
        bar.ax.yaxis.set_major_formatter(FuncFormatter(_short_number))
    ax.set_xscale("log" if x_log else "linear")
    ax.set_yscale("log" if y_log else "linear")
    ax.set_xlim(x_edges[0], x_edges[-1])
    ax.set_ylim(y_edges[0], y_edges[-1])
    _grid_ticks(ax, ax.xaxis, xs, x_log)
    _grid_ticks(ax, ax.yaxis, ys, y_log)
    ax.set_xlabel(_label(x, labels))
    ax.set_ylabel(_label(y, labels))

    handles = []
    if not np.isfinite(grid).all():
        handles.append(Patch(facecolor="0.8", label="no value (diverged)"))
    if edge_of_chaos == "auto":
        lyap = results.get("mean_max_lyapunov")
        edge_of_chaos = lyap is not None and np.nanmin(lyap) < 0 <= np.nanmax(lyap)
    if edge_of_chaos:
        if "mean_max_lyapunov" not in results:
            raise ValueError("Marking the edge of chaos needs the 'max_lyapunov' metric.")
        lyap_grid = _on_grid(results, "mean_max_lyapunov", x, y, xs, ys)
        segments = _sign_boundary(lyap_grid, x_edges, y_edges)
        style = dict(capstyle="round", joinstyle="round", zorder=3)
        ax.add_collection(LineCollection(segments, colors="white", linewidths=4.5, **style))
        ax.add_collection(LineCollection(segments, colors="black", linewidths=2.0, **style))
        handles.insert(
            0,
            Line2D(
                [],
                [],
                color="black",
                linewidth=2.0,
                path_effects=[withStroke(linewidth=4.5, foreground="white")],
                label=_EDGE_LABEL,
            ),
        )
    if handles:
        # Below the axes: inside it would hide cells.
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            borderaxespad=4.6,
            ncol=len(handles),
            fontsize="small",
            frameon=False,
        )
    return ax


def _log_axis(values, scale, name):
    if scale == "log":
        if min(values) <= 0:
            raise ValueError(f"A log axis for {name!r} needs positive values; got {values}.")
        return True
    if scale == "linear":
        return False
    v = np.asarray(values, dtype=float)
    if len(v) < 2 or v.min() <= 0 or v.max() / v.min() < 3:
        return False
    if len(v) == 2:
        return v.max() / v.min() >= 10
    linear, geometric = np.diff(v), np.diff(np.log(v))
    return np.std(geometric) / np.mean(geometric) < np.std(linear) / np.mean(linear)


def _edges(values, log):
    """Cell edges half-way between sorted grid values (in log terms on a log axis).

    The outer cells are as wide as their inner half, but stop at 0 on a linear axis
    when the values have one sign (a coupling or gain grid never shows negative ones).
    """
    v = np.log10(values) if log else np.asarray(values, dtype=float)
    if len(v) == 1:
        half = 0.5 if log else (0.5 * abs(v[0]) or 0.5)
        edges = np.array([v[0] - half, v[0] + half])
        if log:
            return 10.0**edges
        return edges
    else:
        middle = (v[:-1] + v[1:]) / 2
        edges = np.concatenate([[2 * v[0] - middle[0]], middle, [2 * v[-1] - middle[-1]]])
    if log:
        return 10.0**edges
    if v[0] >= 0:  # the outer cells stop at 0 rather than reach values of the other sign
        edges[0] = max(edges[0], 0.0)
    if v[-1] <= 0:
        edges[-1] = min(edges[-1], 0.0)
    return edges


def _grid_ticks(ax, axis, values, log):
    """A tick at every grid value: labelled (major) where labels fit, short (minor) else."""
    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import FixedLocator, NullFormatter

    position = np.log10(values) if log else np.asarray(values, dtype=float)
    low, high = axis.get_view_interval()
    span = (np.log10(high) - np.log10(low)) if log else high - low
    box = ax.get_position()
    width, height = ax.figure.get_size_inches()
    points = 72 * (box.width * width if axis is ax.xaxis else box.height * height)
    size = FontProperties(size=mpl.rcParams["xtick.labelsize"]).get_size_in_points()
    texts = [f"{value:g}" for value in values]
    # the room a label needs, as a share of the axis
    room = [
        ((len(text) * 0.6 + 1) if axis is ax.xaxis else 1.4) * size / points / 2 for text in texts
    ]
    labelled = []
    # round values first (fewest characters), then left to right: 1 beats 0.99
    for i in sorted(range(len(values)), key=lambda i: (len(texts[i]), i)):
        if all(abs(position[i] - position[j]) / span >= room[i] + room[j] for j in labelled):
            labelled.append(i)
    unlabelled = [values[i] for i in range(len(values)) if i not in labelled]
    labelled = [values[i] for i in sorted(labelled)]
    axis.set_ticks(labelled, [f"{v:g}" for v in labelled])
    axis.set_minor_locator(FixedLocator(unlabelled))
    axis.set_minor_formatter(NullFormatter())


def _short_number(value, _position=None):
    return f"{value:g}".replace("-", "\N{MINUS SIGN}")


def _wrap(label, width=32):
    """A long colour-bar label on two lines, broken before its parenthesis."""
    if len(label) > width and " (" in label:
        head, _, tail = label.rpartition(" (")
        return f"{head}\n({tail}"
    return label


def _two_slope_ticks(vmin, vmax):
    """Colour-bar ticks for a TwoSlopeNorm: each side gets its own round steps."""
    from matplotlib.ticker import MaxNLocator

    below = MaxNLocator(4).tick_values(vmin, 0.0)
    above = MaxNLocator(2).tick_values(0.0, vmax)
    ticks = np.concatenate(
        [below[(below >= vmin) & (below < 0)], [0.0], above[(above > 0) & (above <= vmax)]]
    )
    return ticks


def _sign_boundary(lyap, x_edges, y_edges):
    """Cell sides between a cell with exponent < 0 and a neighbour with exponent >= 0."""
    finite, negative = np.isfinite(lyap), lyap < 0
    segments = []
    n_rows, n_columns = lyap.shape
    for i in range(n_rows):
        for j in range(n_columns - 1):
            if finite[i, j] and finite[i, j + 1] and negative[i, j] != negative[i, j + 1]:
                segments.append([(x_edges[j + 1], y_edges[i]), (x_edges[j + 1], y_edges[i + 1])])
    for i in range(n_rows - 1):
        for j in range(n_columns):
            if finite[i, j] and finite[i + 1, j] and negative[i, j] != negative[i + 1, j]:
                segments.append([(x_edges[j], y_edges[i + 1]), (x_edges[j + 1], y_edges[i + 1])])
    return segments


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
    filled = np.zeros(grid.shape, dtype=bool)  # a NaN result (diverged) fills its cell too
    x_values, y_values = results[f"param_{x}"], results[f"param_{y}"]
    for value, xv, yv in zip(results[metric], x_values, y_values, strict=True):
        if xv is np.ma.masked or yv is np.ma.masked:
            continue
        if filled[ys.index(yv), xs.index(xv)]:
            raise ValueError(
                f"Several results share {x}={xv}, {y}={yv}: sweep only these two "
                "parameters, or select the rows of one setting of the others first."
            )
        grid[ys.index(yv), xs.index(xv)] = value
        filled[ys.index(yv), xs.index(xv)] = True
    return grid


# --------------------------------------------------------------------------------------
# Forecasts: the forecast against the truth, and the generated attractor
# --------------------------------------------------------------------------------------


def plot_forecast(
    y_true, y_pred, *, dt=1.0, lyapunov_exponent=None, threshold=0.4, scale=None,
    component=0, ax=None,
):  # fmt: skip
    """A closed-loop forecast against the truth, with the valid prediction time marked.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_steps, n_targets) or (n_steps,)
        The truth and the forecast, from the same starting point.
    dt : float, default=1.0
        Time between steps.
    lyapunov_exponent : float, default=None
        The system's leading exponent per unit time: given, the time axis is in
        Lyapunov times (``t * lyapunov_exponent``).
    threshold, scale :
        As in :func:`wcrnn_rc.metrics.valid_prediction_time`.
    component : int, default=0
        The target drawn.
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from wcrnn_rc.plotting import plot_forecast
    >>> t = np.linspace(0, 20, 400)
    >>> ax = plot_forecast(np.sin(t), np.sin(1.05 * t), dt=0.05, lyapunov_exponent=0.9)
    >>> ax.get_xlabel()
    'time (Lyapunov times)'
    """
    from .metrics import valid_prediction_time

    y_true = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(len(y_pred), -1)
    ax = _axes(ax)
    unit = 1.0 if lyapunov_exponent is None else float(lyapunov_exponent)
    times = np.arange(len(y_true)) * float(dt) * unit
    ax.plot(times, y_true[:, component], color=PALETTE[6], label="truth")
    ax.plot(times, y_pred[:, component], color=PALETTE[1], linestyle="--", label="forecast")
    steps = valid_prediction_time(y_true, y_pred, threshold=threshold, scale=scale)
    valid = steps * float(dt) * unit
    ax.axvline(valid, color=PALETTE[0], linestyle=":", label=f"valid time {valid:.3g}")
    ax.set_xlabel("time (Lyapunov times)" if lyapunov_exponent is not None else "time")
    ax.set_ylabel(f"component {component}")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_attractor(y_true, y_pred, *, components=(0, 2), ax=None):
    """A 2-D projection of the generated attractor over the true one.

    Parameters
    ----------
    y_true : array-like of shape (n_steps, n_targets)
        A long trajectory of the true system.
    y_pred : array-like of shape (n_steps_pred, n_targets)
        A long closed-loop generation.
    components : tuple of two int, default=(0, 2)
        The components on the x and y axes (x and z for Lorenz-63).
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from wcrnn_rc.datasets import make_lorenz
    >>> from wcrnn_rc.plotting import plot_attractor
    >>> X, _ = make_lorenz(500, random_state=0)
    >>> ax = plot_attractor(X, X[::-1])
    >>> len(ax.get_lines())
    2
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    i, j = components
    ax = _axes(ax)
    ax.plot(y_true[:, i], y_true[:, j], color=PALETTE[6], linewidth=0.5, alpha=0.6, label="truth")
    ax.plot(y_pred[:, i], y_pred[:, j], color=PALETTE[1], linewidth=0.5, alpha=0.8,
            label="generated")  # fmt: skip
    ax.set_xlabel(f"component {i}")
    ax.set_ylabel(f"component {j}")
    ax.legend(loc="best", fontsize="small")
    return ax
