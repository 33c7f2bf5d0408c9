"""``wcrnn-rc forecast`` and the forecast plots."""

import matplotlib
import numpy as np
import pytest

from wcrnn_rc.cli import main

matplotlib.use("Agg")


def test_forecast_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["forecast", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: wcrnn-rc forecast")
    assert "--system {lorenz,rossler,mackey-glass,lorenz96}" in text


def test_forecast_prints_valid_time_and_spectrum_and_writes_files(tmp_path, capsys):
    argv = ["forecast", "--units", "60", "--train", "800", "--steps", "100"]
    argv += ["--lyapunov-steps", "300", "--washout", "50", "-o", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "valid prediction time (normalised error < 0.4):" in out
    assert "Lyapunov times" in out
    assert "closed-loop Lyapunov spectrum (autonomous, per unit time)" in out
    assert "0.9056" in out and "-14.5723" in out
    assert {p.name for p in tmp_path.iterdir()} == {"forecast.csv", "forecast.png", "attractor.png"}
    rows = (tmp_path / "forecast.csv").read_text().splitlines()
    assert rows[0] == "step,true0,true1,true2,forecast0,forecast1,forecast2"
    assert len(rows) == 101


def test_forecast_mackey_glass_has_no_attractor_figure(tmp_path, capsys):
    argv = ["forecast", "--system", "mackey-glass", "--units", "40", "--train", "600"]
    argv += ["--steps", "50", "--lyapunov-steps", "200", "--washout", "50", "-o", str(tmp_path)]
    assert main(argv) == 0
    assert "Lyapunov times" not in capsys.readouterr().out
    assert {p.name for p in tmp_path.iterdir()} == {"forecast.csv", "forecast.png"}


def test_plot_forecast_marks_the_valid_time():
    from wcrnn_rc.plotting import plot_attractor, plot_forecast

    y = np.tile([[1.0], [-1.0]], (10, 1))
    pred = y.copy()
    pred[5:] += 1.0  # valid for 5 steps
    ax = plot_forecast(y, pred, dt=0.1)
    marker = ax.get_lines()[-1]
    assert marker.get_xdata()[0] == pytest.approx(0.5)
    assert ax.get_xlabel() == "time"
    ax = plot_forecast(y, pred, dt=0.1, lyapunov_exponent=2.0)
    assert ax.get_lines()[-1].get_xdata()[0] == pytest.approx(1.0)
    ax = plot_attractor(np.zeros((5, 3)), np.ones((4, 3)), components=(1, 2))
    assert ax.get_xlabel() == "component 1"
    np.testing.assert_array_equal(ax.get_lines()[1].get_xdata(), 1.0)
