"""``python -m wcrnn_rc``: the main job runs offline and prints what it claims."""

import re

import pytest

from wcrnn_rc.__main__ import main


def test_main_job_prints_accuracy_and_dynamics(capsys):
    accuracy = main(["--n-units", "60", "--seed", "1"])
    out = capsys.readouterr().out
    assert accuracy > 0.7  # chance is 0.1
    assert f"{accuracy:.3f}" in out
    mc = float(re.search(r"memory capacity\s+([\d.]+)", out).group(1))
    assert 0 < mc <= 60
    exponent = float(re.search(r"largest Lyapunov exponent\s+(-?[\d.]+)", out).group(1))
    assert exponent < 0  # the default reservoir has fading memory


def test_main_job_rejects_bad_arguments(capsys):
    with pytest.raises(SystemExit):
        main(["--n-units", "0"])
    assert "positive integer" in capsys.readouterr().err
