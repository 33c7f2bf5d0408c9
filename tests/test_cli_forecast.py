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
    out = capsys.readouterr().out
    assert "steps = " in out and "Lyapunov times" in out  # one time unit per step
    assert "time units" not in out
    assert {p.name for p in tmp_path.iterdir()} == {"forecast.csv", "forecast.png"}


def test_forecast_systems_quote_the_generators_exponents():
    from wcrnn_rc.cli._forecast import SYSTEMS
    from wcrnn_rc.datasets import make_lorenz, make_lorenz96, make_mackey_glass, make_rossler

    generated = {
        "lorenz": make_lorenz(5, return_X_y=False),
        "rossler": make_rossler(5, return_X_y=False),
        "mackey-glass": make_mackey_glass(5, washout=0, return_X_y=False),
        "lorenz96": make_lorenz96(5, n_variables=40, return_X_y=False),
    }
    assert set(generated) == set(SYSTEMS)
    for name, bunch in generated.items():
        assert SYSTEMS[name]["spectrum"][0] == bunch.lyapunov_exponent, name


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


def test_forecast_sizes_default_to_the_systems(capsys):
    from wcrnn_rc.cli import build_parser
    from wcrnn_rc.cli._forecast import DEFAULT_SIZE, SYSTEMS
    from wcrnn_rc.cli._parser import FORECAST_LORENZ96_SIZE

    args = build_parser().parse_args(["forecast", "--system", "lorenz96"])
    assert args.units is None and args.train is None
    assert FORECAST_LORENZ96_SIZE == (SYSTEMS["lorenz96"]["units"], SYSTEMS["lorenz96"]["train"])
    assert DEFAULT_SIZE == dict(units=300, train=5000)
    for name in ("lorenz", "rossler", "mackey-glass"):
        assert "units" not in SYSTEMS[name] and "train" not in SYSTEMS[name]
    with pytest.raises(SystemExit):
        main(["forecast", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: the system's; 300, lorenz96 2000)" in text
    assert "(default: the system's; 5000, lorenz96 20000)" in text


def test_forecast_lorenz96_runs_with_smaller_options(capsys):
    argv = ["forecast", "--system", "lorenz96", "--units", "80", "--train", "600"]
    argv += ["--steps", "50", "--lyapunov-steps", "100", "--washout", "50"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "lorenz96, 80 units, 600 training steps" in out
    assert "1.6800" in out
    # Three positive exponents of a 40-variable system: the dimension lies beyond them.
    assert "Kaplan-Yorke dimension at least 3" in out and "(true not known)" in out
