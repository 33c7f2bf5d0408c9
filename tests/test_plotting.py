"""Plots draw what they claim: check the artists and their data (Agg backend)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import (  # noqa: E402
    LineCollection,
    PathCollection,
    PolyCollection,
    QuadMesh,
)
from matplotlib.colors import CenteredNorm, TwoSlopeNorm  # noqa: E402

from wcrnn_rc import WCRNNRegressor, WCRNNReservoir  # noqa: E402
from wcrnn_rc.analysis import lyapunov_spectrum, memory_capacity  # noqa: E402
from wcrnn_rc.plotting import (  # noqa: E402
    plot_lyapunov_spectrum,
    plot_memory_curve,
    plot_residual_eigenvalues,
    plot_sweep,
)
from wcrnn_rc.residuals import RotationalResidual  # noqa: E402
from wcrnn_rc.sweeps import parameter_sweep  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _vertical_lines(ax):
    return [line for line in ax.lines if len(set(line.get_xdata())) == 1]


def test_memory_curve_lines_and_seed_band():
    fitted = WCRNNReservoir(n_units=10, random_state=0).fit(np.zeros((1, 1)))
    given = np.linspace(1, 0, 20)
    ax = plot_memory_curve({"fitted": fitted, "given": given})
    assert not ax.collections  # one seed: no band
    curves = [line for line in ax.lines if line not in _vertical_lines(ax)]
    assert len(curves) == 2
    mc, curve = memory_capacity(fitted, return_curve=True, random_state=0)
    np.testing.assert_array_equal(curves[0].get_xdata(), np.arange(1, 21))
    np.testing.assert_allclose(curves[0].get_ydata(), curve)
    np.testing.assert_allclose(curves[1].get_ydata(), given)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    # the precomputed curve carries no N: only the reservoir's k = N is marked
    assert legend == [f"fitted (MC = {mc:.1f})", "given (MC = 10.0)", "k = N = 10 (bound MC ≤ N)"]
    assert ax.get_xlabel() == "delay k (steps)"
    assert "$MC_k$" in ax.get_ylabel()

    _, ax2 = plt.subplots()
    out = plot_memory_curve(WCRNNReservoir(n_units=10, residual="identity"), n_seeds=3, ax=ax2)
    assert out is ax2
    (band,) = [c for c in ax2.collections if isinstance(c, PolyCollection)]
    # the band's outline spans the seeds' minimum to maximum around the mean line
    vertices = band.get_paths()[0].vertices
    mean = ax2.lines[0].get_ydata()
    assert vertices[:, 1].min() <= mean.min() and vertices[:, 1].max() >= mean.max()
    texts = [t.get_text() for t in ax2.get_legend().get_texts()]
    assert texts[0].startswith("identity (MC = ")
    assert texts[-1] == "band: min to max over 3 networks"


def test_memory_curve_band_is_the_stated_statistic():
    curves = np.array([[0.91, 0.52, 0.13], [0.24, 0.31, 0.06], [0.87, 0.18, 0.27]])
    mean, sd = curves.mean(axis=0), curves.std(axis=0, ddof=1)
    bands = {
        "range": (curves.min(axis=0), curves.max(axis=0), "min to max"),
        "sd": (mean - sd, mean + sd, "mean ± 1 sd"),
    }
    for band, (low, high, what) in bands.items():
        _, ax = plt.subplots()
        plot_memory_curve({"given": curves}, band=band, n_units=2, ax=ax)
        (poly,) = ax.collections
        y = poly.get_paths()[0].vertices[:, 1]
        for value in np.concatenate([low, high]):
            assert np.isclose(y, value).any(), (band, value)
        other_low, other_high, _ = bands["sd" if band == "range" else "range"]
        # delay 1 tells the two apart: 0.24 to 0.91 against 0.30 to 1.05
        assert not np.isclose(y, other_low[0]).any() and not np.isclose(y, other_high[0]).any()
        texts = [t.get_text() for t in ax.get_legend().get_texts()]
        assert texts[-1] == f"band: {what} over 3 networks"
    with pytest.raises(ValueError, match="band must be"):
        plot_memory_curve({"given": curves}, band="iqr")


def test_memory_curve_marks_k_equals_n():
    # precomputed curves get the line from n_units; reservoirs from their own n_units
    ax = plot_memory_curve({"given": np.linspace(1, 0, 30)}, n_units=12)
    (marker,) = _vertical_lines(ax)
    np.testing.assert_array_equal(marker.get_xdata(), [12, 12])
    assert marker.get_label() == "k = N = 12 (bound MC ≤ N)"
    assert not _vertical_lines(plot_memory_curve({"given": np.linspace(1, 0, 30)}))
    ax = plot_memory_curve(
        [WCRNNReservoir(n_units=6), WCRNNReservoir(n_units=9)], labels=["6", "9"], max_delay=12
    )
    assert sorted(line.get_xdata()[0] for line in _vertical_lines(ax)) == [6, 9]


def test_memory_curve_accepts_random_state_like_sklearn():
    reservoir = WCRNNReservoir(n_units=8, random_state=0)
    by_int = plot_memory_curve(reservoir, random_state=3).lines[0].get_ydata()
    # a RandomState is drawn from once, so equal states give equal curves
    by_state = plot_memory_curve(reservoir, random_state=np.random.RandomState(3))
    again = plot_memory_curve(reservoir, random_state=np.random.RandomState(3))
    np.testing.assert_allclose(by_state.lines[0].get_ydata(), again.lines[0].get_ydata())
    assert by_state.lines[0].get_ydata().shape == by_int.shape
    several = plot_memory_curve(reservoir, n_seeds=2, random_state=np.random.RandomState(1))
    assert len([c for c in several.collections if isinstance(c, PolyCollection)]) == 1
    plot_memory_curve(reservoir, random_state=None)
    with pytest.raises(ValueError, match="random_state must be"):
        plot_memory_curve(reservoir, random_state="seed")
    # every model of a call shares the drive: the same reservoir twice gives one curve
    rng = np.random.RandomState(5)
    ax = plot_memory_curve([reservoir, reservoir], labels=["a", "b"], random_state=rng)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), ax.lines[1].get_ydata())


def test_lyapunov_spectrum_numeric_against_theory():
    res = WCRNNReservoir(n_units=12, coupling=0.2, random_state=0).fit(np.zeros((1, 1)))
    ax = plot_lyapunov_spectrum(res, n_steps=300, random_state=0)
    numeric, theory, zero = ax.lines
    np.testing.assert_allclose(
        numeric.get_ydata(), lyapunov_spectrum(res, n_steps=300, random_state=0)
    )
    np.testing.assert_allclose(theory.get_ydata(), res.residual_lyapunov_exponents_)
    assert numeric.get_marker() == "o" and theory.get_linestyle() == "-"
    assert list(zero.get_ydata()) == [0, 0]
    assert ax.get_ylabel() == "Lyapunov exponent $\\lambda_i$ (per step)"
    assert ax.get_xlabel() == "index $i$ (largest first)"
    # exponents spanning up to near 0: 0 is inside the frame
    assert zero.get_label() == "0: edge of chaos" and ax.get_ylim()[1] >= 0
    # a given partial spectrum is drawn against the matching part of the theory
    model = WCRNNRegressor(reservoir=res).fit(np.zeros((5, 1)), np.zeros(5))
    ax = plot_lyapunov_spectrum(model, exponents=[-0.01, -0.02])
    assert len(ax.lines[1].get_ydata()) == 2


def test_lyapunov_spectrum_far_below_zero_keeps_the_frame_on_the_exponents():
    # 0 would squeeze a narrow spectrum far below it into a strip: the frame stays on
    # the exponents and the legend says where 0 is
    res = WCRNNReservoir(n_units=8, residual_scale=0.5, coupling=0.0, random_state=0)
    ax = plot_lyapunov_spectrum(res.fit(np.zeros((1, 1))), exponents=np.full(8, np.log(0.5)))
    low, high = ax.get_ylim()
    assert high < 0 and low < np.log(0.5) < high
    assert ax.lines[2].get_label() == "0: edge of chaos (above the frame)"
    assert "0: edge of chaos (above the frame)" in [
        t.get_text() for t in ax.get_legend().get_texts()
    ]


def test_residual_eigenvalues_and_unit_circle():
    residual = RotationalResidual(scale=0.9).build(7)
    ax = plot_residual_eigenvalues(residual)
    (points,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    offsets = points.get_offsets()
    np.testing.assert_allclose(offsets[:, 0] + 1j * offsets[:, 1], residual.eigenvalues_)
    circle = ax.lines[0]
    np.testing.assert_allclose(np.hypot(circle.get_xdata(), circle.get_ydata()), 1.0)
    assert ax.get_aspect() == 1.0
    res = WCRNNReservoir(n_units=6, residual="heterogeneous").fit(np.zeros((1, 1)))
    offsets = plot_residual_eigenvalues(res).collections[0].get_offsets()
    assert np.all(offsets[:, 1] == 0) and np.all(np.abs(offsets[:, 0]) < 1)
    with pytest.raises(ValueError, match="Fit the reservoir"):
        plot_residual_eigenvalues(WCRNNReservoir())


def _edge_segments(ax):
    """The edge-of-chaos line's segments (the black collection drawn over the halo)."""
    halo, line = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert halo.get_linewidth()[0] > line.get_linewidth()[0]
    return sorted(tuple(map(tuple, segment)) for segment in line.get_segments())


def test_sweep_heatmap_on_true_coordinates_with_labels_and_diverging_map():
    grid = {"coupling": [0.05, 0.5, 1.0], "recurrent_gain": [0.5, 3.0]}
    results = parameter_sweep(
        WCRNNReservoir(n_units=30, residual="none"), grid, metrics=["max_lyapunov"],
        random_state=0,
    )  # fmt: skip
    lyap = results["mean_max_lyapunov"]
    assert lyap.min() < 0 < lyap.max()
    ax = plot_sweep(results, "mean_max_lyapunov", "coupling", "recurrent_gain")
    mesh = ax.collections[0]
    assert isinstance(mesh, QuadMesh)
    image = mesh.get_array()
    assert image.shape == (2, 3)  # rows: recurrent_gain, columns: coupling
    assert image[1, 2] == lyap[5]  # coupling 1.0, gain 3.0 (ParameterGrid order)
    assert image[0, 0] == lyap[0]
    # cells span half-way to the neighbours, on the values' own (uneven) scale; the
    # outer cells stop at 0 rather than show negative couplings or gains
    corners = mesh.get_coordinates()
    np.testing.assert_allclose(corners[0, :, 0], [0.0, 0.275, 0.75, 1.25])
    np.testing.assert_allclose(corners[:, 0, 1], [0.0, 1.75, 4.25])
    assert ax.get_xscale() == "linear" and ax.get_xlim() == (0.0, 1.25)
    np.testing.assert_allclose(ax.get_xticks(minor=False), [0.05, 0.5, 1.0])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.05", "0.5", "1"]
    assert ax.get_xlabel() == "coupling $\\varepsilon$"
    assert ax.get_ylabel() == "recurrent gain $g$ (spectral radius of $W$)"
    colorbar = mesh.colorbar
    assert "largest Lyapunov exponent" in colorbar.ax.get_ylabel()
    # diverging, centred on 0, spanning the values on each side
    assert mesh.cmap.name.startswith("RdBu_r")
    assert isinstance(mesh.norm, TwoSlopeNorm) and mesh.norm.vcenter == 0.0
    assert mesh.norm.vmin == lyap.min() and mesh.norm.vmax == lyap.max()
    assert "edge of chaos" in ax.get_legend().get_texts()[0].get_text()
    # no sign change: nothing to mark in "auto", and the map still centres on 0
    calm = {k: v for k, v in results.items()}
    calm["mean_max_lyapunov"] = -np.abs(lyap)
    ax = plot_sweep(calm, "mean_max_lyapunov", "coupling", "recurrent_gain")
    assert ax.get_legend() is None
    assert isinstance(ax.collections[0].norm, CenteredNorm)
    assert ax.collections[0].norm.vcenter == 0.0


def test_sweep_labels_override_and_sequential_map_for_unsigned_metrics():
    results = parameter_sweep(
        WCRNNReservoir(n_units=8),
        {"residual_scale": [0.5, 0.9], "coupling": [0.01, 0.03, 0.1, 0.3]},
        metrics=["spectral_radius"], random_state=0,
    )  # fmt: skip
    ax = plot_sweep(results, "mean_spectral_radius", "coupling", "residual_scale",
                    labels={"coupling": "my coupling"})  # fmt: skip
    assert ax.get_xlabel() == "my coupling"
    assert ax.get_ylabel() == "residual scale $\\lambda$"
    mesh = ax.collections[0]
    assert mesh.colorbar.ax.get_ylabel() == "mean spectral radius of $R$"
    assert mesh.cmap.name.startswith("viridis") and not isinstance(mesh.norm, TwoSlopeNorm)
    # a geometric grid gets a log axis, with cells half-way in log terms
    assert ax.get_xscale() == "log" and ax.get_yscale() == "linear"
    edges = mesh.get_coordinates()[0, :, 0]
    np.testing.assert_allclose(np.log10(edges[1:-1]), np.log10([0.01, 0.03, 0.1, 0.3])[:-1]
                               + np.diff(np.log10([0.01, 0.03, 0.1, 0.3])) / 2)  # fmt: skip
    ax = plot_sweep(results, "mean_spectral_radius", "coupling", "residual_scale", xscale="linear")
    assert ax.get_xscale() == "linear"
    with pytest.raises(ValueError, match="xscale must be"):
        plot_sweep(results, "mean_spectral_radius", "coupling", "residual_scale", xscale="symlog")


def test_sweep_edge_of_chaos_on_a_two_by_two_grid_is_whole_cell_sides():
    # A contour through 4 cell centres would be a speck; the boundary between cells of
    # opposite sign runs along whole cell sides.
    results = parameter_sweep(
        WCRNNReservoir(n_units=30, residual="none"),
        {"coupling": [0.1, 1.0], "recurrent_gain": [0.5, 3.0]},
        metrics=["max_lyapunov"], random_state=0,
    )  # fmt: skip
    lyap = results["mean_max_lyapunov"]  # (0.1, 0.5), (0.1, 3), (1, 0.5), (1, 3)
    assert list(lyap > 0) == [False, False, False, True]
    ax = plot_sweep(results, "mean_max_lyapunov", "coupling", "recurrent_gain")
    assert ax.get_xscale() == "log"  # 0.1 and 1.0: a factor of 10
    x_edges = np.sqrt(10.0) ** np.array([-3, -1, 1])  # 0.0316, 0.316, 3.16
    expected = sorted(
        [
            ((x_edges[1], 1.75), (x_edges[1], 4.25)),  # right of (0.1, 3)
            ((x_edges[1], 1.75), (x_edges[2], 1.75)),  # above (1, 0.5)
        ]
    )
    np.testing.assert_allclose(_edge_segments(ax), expected)
    # visible: each side is a whole cell's side, here over half of the axes
    to_axes = ax.transData + ax.transAxes.inverted()
    sides = [np.ptp(to_axes.transform(np.array(side)), axis=0).max() for side in expected]
    np.testing.assert_allclose(sides, [2.5 / 4.25, 0.5])


def test_sweep_edge_of_chaos_on_a_single_row_or_column():
    results = parameter_sweep(
        WCRNNReservoir(n_units=30, residual="none"),
        {"coupling": [1.0], "recurrent_gain": [0.5, 3.0]},
        metrics=["max_lyapunov"], random_state=0,
    )  # fmt: skip
    low, high = results["mean_max_lyapunov"]
    assert low < 0 < high
    ax = plot_sweep(results, "mean_max_lyapunov", "recurrent_gain", "coupling")
    # one side, between the two cells, over the whole height of the single row
    np.testing.assert_allclose(_edge_segments(ax), [((1.75, 0.5), (1.75, 1.5))])
    assert ax.get_ylim() == (0.5, 1.5)
    ax = plot_sweep(results, "mean_max_lyapunov", "coupling", "recurrent_gain")
    np.testing.assert_allclose(_edge_segments(ax), [((0.5, 1.75), (1.5, 1.75))])
    assert "edge of chaos" in ax.get_legend().get_texts()[0].get_text()


def test_sweep_diverged_cells_are_grey_and_explained():
    results = parameter_sweep(
        WCRNNReservoir(n_units=8),
        {"residual_scale": [0.5, 0.9], "coupling": [0.01, 0.1]},
        metrics=["spectral_radius"], random_state=0,
    )  # fmt: skip
    results["mean_spectral_radius"][0] = np.nan
    ax = plot_sweep(results, "mean_spectral_radius", "coupling", "residual_scale")
    mesh = ax.collections[0]
    assert np.ma.getmaskarray(mesh.get_array()).sum() == 1
    np.testing.assert_allclose(mesh.cmap.get_bad()[:3], 0.8)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["no value (diverged)"]


def test_sweep_errors():
    results = parameter_sweep(
        WCRNNReservoir(n_units=5), {"coupling": [0.1, 0.2], "n_units": [5, 6]},
        metrics=["spectral_radius"], n_seeds=1, random_state=0,
    )  # fmt: skip
    with pytest.raises(ValueError, match="no 'mean_score'"):
        plot_sweep(results, "mean_score", "coupling", "n_units")
    with pytest.raises(ValueError, match="no parameter 'gain'"):
        plot_sweep(results, "mean_spectral_radius", "coupling", "gain")
    with pytest.raises(ValueError, match="needs the 'max_lyapunov'"):
        plot_sweep(results, "mean_spectral_radius", "coupling", "n_units", edge_of_chaos=True)
    three = parameter_sweep(
        WCRNNReservoir(n_units=5),
        {"coupling": [0.1], "n_units": [5], "residual_scale": [0.5, 0.9]},
        metrics=["spectral_radius"], random_state=0,
    )  # fmt: skip
    with pytest.raises(ValueError, match="Several results share"):
        plot_sweep(three, "mean_spectral_radius", "coupling", "n_units")
