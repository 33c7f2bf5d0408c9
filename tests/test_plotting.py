"""Plots draw what they claim: check the artists and their data (Agg backend)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection, PolyCollection  # noqa: E402

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


def test_memory_curve_lines_and_seed_band():
    fitted = WCRNNReservoir(n_units=10, random_state=0).fit(np.zeros((1, 1)))
    given = np.linspace(1, 0, 20)
    ax = plot_memory_curve({"fitted": fitted, "given": given})
    assert len(ax.lines) == 2 and not ax.collections  # one seed: no band
    mc, curve = memory_capacity(fitted, return_curve=True, random_state=0)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(1, 21))
    np.testing.assert_allclose(ax.lines[0].get_ydata(), curve)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), given)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [f"fitted (MC = {mc:.1f})", "given (MC = 10.0)"]
    assert ax.get_xlabel() == "delay k"

    _, ax2 = plt.subplots()
    out = plot_memory_curve(WCRNNReservoir(n_units=10, residual="identity"), n_seeds=3, ax=ax2)
    assert out is ax2
    (band,) = [c for c in ax2.collections if isinstance(c, PolyCollection)]
    # the band's outline spans the seeds' minimum to maximum around the mean line
    vertices = band.get_paths()[0].vertices
    mean = ax2.lines[0].get_ydata()
    assert vertices[:, 1].min() <= mean.min() and vertices[:, 1].max() >= mean.max()
    assert ax2.get_legend().get_texts()[0].get_text().startswith("identity (MC = ")


def test_memory_curve_label_count_checked():
    with pytest.raises(ValueError, match="2 labels for 1 models"):
        plot_memory_curve([np.ones(3)], labels=["a", "b"])


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
    # a given partial spectrum is drawn against the matching part of the theory
    model = WCRNNRegressor(reservoir=res).fit(np.zeros((5, 1)), np.zeros(5))
    ax = plot_lyapunov_spectrum(model, exponents=[-0.01, -0.02])
    assert len(ax.lines[1].get_ydata()) == 2


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


def test_sweep_heatmap_marks_edge_of_chaos():
    grid = {"coupling": [0.05, 0.5, 1.0], "recurrent_gain": [0.5, 3.0]}
    results = parameter_sweep(
        WCRNNReservoir(n_units=30, residual="none"), grid, metrics=["max_lyapunov"],
        random_state=0,
    )  # fmt: skip
    lyap = results["mean_max_lyapunov"]
    assert lyap.min() < 0 < lyap.max()
    ax = plot_sweep(results, "mean_max_lyapunov", "coupling", "recurrent_gain")
    image = ax.images[0].get_array()
    assert image.shape == (2, 3)  # rows: recurrent_gain, columns: coupling
    assert image[1, 2] == lyap[5]  # coupling 1.0, gain 3.0 (ParameterGrid order)
    assert image[0, 0] == lyap[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.05", "0.5", "1"]
    assert ax.get_ylabel() == "recurrent_gain"
    assert len(ax.collections) >= 1  # the zero contour
    assert "edge of chaos" in ax.get_legend().get_texts()[0].get_text()
    # no sign change: nothing to mark in "auto"
    calm = {k: v for k, v in results.items()}
    calm["mean_max_lyapunov"] = -np.abs(lyap)
    ax = plot_sweep(calm, "mean_max_lyapunov", "coupling", "recurrent_gain")
    assert ax.get_legend() is None


def test_sweep_edge_of_chaos_on_a_single_row_or_column():
    # contour needs a 2 x 2 grid: a one-row sweep marks the crossing as a line instead,
    # at the linearly interpolated zero of the largest exponent.
    results = parameter_sweep(
        WCRNNReservoir(n_units=30, residual="none"),
        {"coupling": [1.0], "recurrent_gain": [0.5, 3.0]},
        metrics=["max_lyapunov"], random_state=0,
    )  # fmt: skip
    low, high = results["mean_max_lyapunov"]
    assert low < 0 < high
    ax = plot_sweep(results, "mean_max_lyapunov", "recurrent_gain", "coupling")
    (line,) = ax.lines[:1]
    np.testing.assert_allclose(line.get_xdata(), low / (low - high))
    ax = plot_sweep(results, "mean_max_lyapunov", "coupling", "recurrent_gain")
    np.testing.assert_allclose(ax.lines[0].get_ydata(), low / (low - high))
    assert "edge of chaos" in ax.get_legend().get_texts()[0].get_text()


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
