"""The ``wcrnn-rc`` command line: tables, files, errors, seeds, dask, the entry points."""

import csv
import importlib.util
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from itertools import product
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.image  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from wcrnn_rc import SupercriticalResidualWarning  # noqa: E402
from wcrnn_rc.cli import _bench, _cluster, _demo, main  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FAST = ["--units", "20", "--n-jobs", "1", "--quiet"]
SCALES, COUPLINGS = (0.5, 0.95, 1.05), (0.01, 0.3)
GRID = ["--scale", *map(str, SCALES), "--coupling", *map(str, COUPLINGS)]
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
COMMANDS = ("demo", "memory", "lyapunov", "sweep", "bench")


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def assert_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 5_000, path
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and min(image.shape[:2]) > 200
    assert image[..., :3].std() > 0.05  # something is drawn: not a blank canvas
    return image


def last_line(text):
    """The last line a terminal shows: a progress bar's \r-redraws end lines too."""
    return text.replace("\r", "\n").strip().splitlines()[-1]


def sweep_header(metrics, n_seeds):
    header = ["residual", "residual_scale", "coupling", "n_units"]
    header += [f"{stat}_{m}" for m in metrics for stat in ("mean", "std")]
    return header + [f"seed{j}_{m}" for m in metrics for j in range(n_seeds)]


# --------------------------------------------------------------------------------------
# Help and usage errors
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: wcrnn-rc {command}")
    assert "--output DIR" in text
    if command != "bench":  # the benchmark scripts fix their own seeds and threads
        assert "--seed SEED" in text and "--n-jobs N" in text


def test_no_command_prints_help_and_returns_2(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "usage: wcrnn-rc" in err
    assert all(command in err for command in COMMANDS)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["lyapunov", "--units", "ten"], "argument --units: invalid int value: 'ten'"),
        (["sweep", "--scale", "0.9", "x"], "argument --scale: invalid float value: 'x'"),
        (["sweep", "--residual", "spiral"], "argument --residual: invalid choice: 'spiral'"),
        (["sweep", "--metrics", "accuracy"], "argument --metrics: invalid choice: 'accuracy'"),
        (["memory", "--rows", "0"], "argument --rows: must be a positive integer, got 0"),
        (["sweep", "--seeds", "0"], "argument --seeds: must be a positive integer, got 0"),
        (["memory", "--bogus"], "unrecognized arguments: --bogus"),
        (["spiral"], "argument COMMAND: invalid choice: 'spiral'"),
    ],
)
def test_usage_errors_exit_2_with_one_clear_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("wcrnn-rc") and ": error: " in last
    assert message in last


def test_output_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    with pytest.raises(SystemExit) as exit_info:
        main(["sweep", *FAST, "--output", str(target)])
    assert exit_info.value.code == 2
    assert "exists and is not a folder" in capsys.readouterr().err


# --------------------------------------------------------------------------------------
# sweep
# --------------------------------------------------------------------------------------


def test_sweep_prints_table_and_writes_csv_and_heatmaps(tmp_path, capsys):
    out = tmp_path / "new" / "folder"  # created, parents too
    assert main(["sweep", *FAST, *GRID, "--seeds", "2", "--output", str(out)]) == 0
    text = capsys.readouterr().out

    header, rows = read_csv(out / "sweep.csv")
    metrics = ("memory_capacity", "max_lyapunov")
    assert header == sweep_header(metrics, 2)
    assert len(rows) == len(SCALES) * len(COUPLINGS)
    assert [(float(r["residual_scale"]), float(r["coupling"])) for r in rows] == list(
        product(SCALES, COUPLINGS)
    )
    for row in rows:
        assert row["residual"] == "rotational" and row["n_units"] == "20"
        values = {key: float(row[key]) for key in header[4:]}
        assert all(math.isfinite(v) for v in values.values())
        for m in metrics:
            seeds = [values[f"seed{j}_{m}"] for j in range(2)]
            assert values[f"mean_{m}"] == pytest.approx(np.mean(seeds), rel=1e-12)
            assert values[f"std_{m}"] == pytest.approx(np.std(seeds), rel=1e-9, abs=1e-15)
        capacities = [values[k] for k in header[4:] if k.endswith("memory_capacity")]
        assert all(0 <= mc <= 20 for mc in capacities)
        # The table shows the same numbers, and the regime follows the exponent's sign.
        line = next(
            line
            for line in text.splitlines()
            if line.split()[:3]
            == ["rotational", f"{float(row['residual_scale']):g}", row["coupling"]]
        )
        assert f"{values['mean_memory_capacity']:.2f}" in line.split()
        lyapunov = values["mean_max_lyapunov"]
        assert line.split()[-1] == ("subcritical" if lyapunov < 0 else "supercritical")
        scale = float(row["residual_scale"])
        if scale > 1:  # the residual's growth dominates: lambda_max = log(scale)
            assert lyapunov == pytest.approx(math.log(scale), abs=1e-3)
        if scale == 0.5:
            assert lyapunov < -0.4
    assert "supercritical: states grow" in text  # 1.05 is in the grid

    for name in ("sweep_memory.png", "sweep_lyapunov.png"):
        assert_png(out / name)
    assert f"wrote sweep.csv and sweep_memory.png, sweep_lyapunov.png to {out}" in text


def test_sweep_over_residual_families_draws_a_panel_each(tmp_path, capsys):
    one, two = tmp_path / "one", tmp_path / "two"
    base = ["sweep", *FAST, "--seeds", "1", "--scale", "0.9", "0.99", "--coupling", "0.01"]
    assert main([*base, "--metrics", "memory_capacity", "--output", str(one)]) == 0
    argv = [*base, "--residual", "rotational", "identity", "--metrics", "memory_capacity"]
    assert main([*argv, "--output", str(two)]) == 0
    _, rows = read_csv(two / "sweep.csv")
    assert [r["residual"] for r in rows] == ["rotational"] * 2 + ["identity"] * 2
    assert read_csv(one / "sweep.csv")[1] == rows[:2]  # the same networks
    assert not (two / "sweep_lyapunov.png").exists()  # only the metrics asked for
    width_one = assert_png(one / "sweep_memory.png").shape[1]
    width_two = assert_png(two / "sweep_memory.png").shape[1]
    assert width_two == pytest.approx(2 * width_one, rel=0.02)


def test_sweep_same_seed_same_csv(tmp_path):
    def run(seed, folder):
        argv = ["sweep", *FAST, "--scale", "0.9", "0.99", "--coupling", "0.01", "0.3"]
        assert main([*argv, "--seeds", "2", "--seed", str(seed), "--output", str(folder)]) == 0
        return (folder / "sweep.csv").read_bytes()

    first = run(3, tmp_path / "a")
    assert run(3, tmp_path / "b") == first
    assert run(4, tmp_path / "c") != first


def test_sweep_shows_a_progress_bar_unless_quiet(capsys):
    argv = ["sweep", "--units", "10", "--scale", "0.9", "--coupling", "0.1", "--n-jobs", "1"]
    assert main(argv) == 0
    assert "100%" in capsys.readouterr().err  # tqdm's bar on stderr
    assert main([*argv, "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_sweep_marks_diverged_networks_without_warnings(tmp_path, capsys):
    argv = ["sweep", *FAST, "--scale", "0.5", "30", "--coupling", "0.1", "--seeds", "1"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main([*argv, "--output", str(tmp_path)]) == 0
    # The table marks the regimes; one warning per supercritical network would bury it.
    assert not [w for w in caught if issubclass(w.category, SupercriticalResidualWarning)]
    text = capsys.readouterr().out
    assert "diverged" in text and "Traceback" not in text
    _, rows = read_csv(tmp_path / "sweep.csv")
    assert math.isfinite(float(rows[0]["mean_memory_capacity"]))
    assert math.isnan(float(rows[1]["mean_memory_capacity"]))
    assert math.isnan(float(rows[1]["mean_max_lyapunov"]))


def test_sweep_on_a_dask_scheduler_writes_the_same_csv(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")  # the distributed extra

    argv = ["sweep", *FAST, "--scale", "0.5", "0.99", "--coupling", "0.01", "0.3", "--seeds", "2"]
    assert main([*argv, "--output", str(tmp_path / "local")]) == 0
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        on_cluster = [*argv, "--n-jobs", "-1", "--scheduler", address]
        assert main([*on_cluster, "--output", str(tmp_path / "dask")]) == 0
        # The runs went through the scheduler (joblib's dask backend batches them).
        assert any("_evaluate" in prefix for prefix in cluster.scheduler.task_prefixes)
    assert f"on the dask scheduler {address}" in capsys.readouterr().out
    local = (tmp_path / "local" / "sweep.csv").read_bytes()
    assert (tmp_path / "dask" / "sweep.csv").read_bytes() == local


def test_scheduler_without_distributed_names_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    assert main(["sweep", *FAST, "--scheduler", "tcp://127.0.0.1:8786"]) == 1
    err = capsys.readouterr().err
    assert "pip install distributed" in err and "Traceback" not in err


def test_unreachable_scheduler_is_a_clean_error(monkeypatch, capsys):
    pytest.importorskip("distributed")  # the distributed extra
    monkeypatch.setattr(_cluster, "SCHEDULER_TIMEOUT_S", 1)
    assert main(["sweep", *FAST, "--scheduler", "tcp://127.0.0.1:1"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the dask scheduler at 'tcp://127.0.0.1:1'" in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------------------
# memory and lyapunov
# --------------------------------------------------------------------------------------


def test_memory_prints_capacity_and_writes_curve(tmp_path, capsys):
    argv = ["memory", *FAST, "--seeds", "2", "--rows", "3", "--output", str(tmp_path)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    header, rows = read_csv(tmp_path / "memory_curve.csv")
    assert header == ["delay", "mean_mc", "seed0_mc", "seed1_mc"]
    assert [int(r["delay"]) for r in rows] == list(range(1, 41))  # 2 * units delays
    curves = np.array([[float(r[k]) for k in header[1:]] for r in rows])
    assert np.all((curves >= 0) & (curves <= 1))  # squared correlations (held out)
    np.testing.assert_allclose(curves[:, 0], curves[:, 1:].mean(axis=1))
    capacities = curves[:, 1:].sum(axis=0)
    assert 0 < capacities.mean() <= 20
    assert f"MC = {capacities.mean():.2f} +- {capacities.std():.2f} over 2 networks" in text
    table = [line.split() for line in text.splitlines()[2:5]]
    assert [row[:2] for row in table] == [[str(k), f"{curves[k - 1, 0]:.3f}"] for k in (1, 2, 3)]
    assert "(3 of 40 delays shown)" in text
    assert_png(tmp_path / "memory_curve.png")


def test_memory_reports_the_sweep_s_network(tmp_path):
    params = ["--scale", "0.9", "--coupling", "0.1", "--seed", "5"]
    assert main(["memory", *FAST, *params, "--output", str(tmp_path)]) == 0
    assert main(["sweep", *FAST, *params, "--seeds", "1", "--output", str(tmp_path)]) == 0
    _, curve = read_csv(tmp_path / "memory_curve.csv")
    _, (row,) = read_csv(tmp_path / "sweep.csv")
    mc = sum(float(r["seed0_mc"]) for r in curve)
    assert mc == pytest.approx(float(row["seed0_memory_capacity"]), rel=1e-9)


def test_lyapunov_equals_theory_without_coupling(tmp_path, capsys):
    argv = ["lyapunov", *FAST[:2], "--residual", "orthogonal", "--scale", "0.9"]
    argv += ["--coupling", "0", "--steps", "300", "--rows", "4", "--output", str(tmp_path)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    header, rows = read_csv(tmp_path / "lyapunov_spectrum.csv")
    assert header == ["index", "theory", "mean_numeric", "seed0_numeric"]
    assert [int(r["index"]) for r in rows] == list(range(1, 21))
    theory = np.array([float(r["theory"]) for r in rows])
    numeric = np.array([float(r["mean_numeric"]) for r in rows])
    np.testing.assert_allclose(theory, math.log(0.9), rtol=1e-12)
    np.testing.assert_allclose(numeric, math.log(0.9), rtol=1e-8)
    assert "lambda_max = -0.1054, theory log max|eig R| = -0.1054" in text
    assert "(4 of 20 exponents shown" in text
    assert_png(tmp_path / "lyapunov_spectrum.png")


def test_lyapunov_with_coupling_departs_from_theory_within_the_bound(capsys):
    # For R = lambda Q (Q orthogonal) every exponent lies within
    # [log(lambda - eps ||W||), log(lambda + eps ||W||)], and ||W|| is about 2 * gain.
    argv = ["lyapunov", *FAST, "--residual", "orthogonal", "--scale", "0.9", "--coupling"]
    assert main([*argv, "0.05", "--rows", "1"]) == 0
    text = capsys.readouterr().out
    largest = float(text.split("lambda_max = ")[1].split(",")[0])
    assert math.log(0.9 - 0.05 * 3) < largest < math.log(0.9 + 0.05 * 3)
    assert largest != pytest.approx(math.log(0.9), abs=1e-4)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["memory", "--units", "10", "--scale", "3"], "became NaN or infinite"),
        (["lyapunov", "--units", "10", "--scale", "30", "--steps", "100"], "overflowed"),
        (["memory", "--units", "10", "--steps", "3"], "needs at least 110 steps"),
    ],
)
def test_failing_work_is_a_clean_error(argv, message, capsys):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert last_line(err).startswith(f"wcrnn-rc {argv[0]}: error: ") and message in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------------------
# demo
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mc, lyapunov, expected",
    [
        ([5.0, 9.0, 7.0], [-0.1, 0.01, -0.2], (2, True)),  # 9 is supercritical: skipped
        ([5.0, np.nan, 7.0], [-0.1, np.nan, 0.0], (0, True)),  # 0 is not < 0; NaN diverged
        ([5.0, 9.0], [0.1, 0.2], (1, False)),  # none subcritical: the highest MC overall
    ],
)
def test_best_point_rule(mc, lyapunov, expected):
    results = {"mean_memory_capacity": np.array(mc), "mean_max_lyapunov": np.array(lyapunov)}
    assert _demo.best_point(results) == expected


def test_demo_end_to_end(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the default output folder is ./wcrnn-rc-demo
    grid = ["--scale", "0.5", "0.9", "0.99", "1.05", "--coupling", "0.01", "0.3"]
    options = ["--units", "30", "--seeds", "2", *grid, "--n-jobs", "1", "--quiet"]
    assert main(["demo", *options]) == 0
    text = capsys.readouterr().out
    out = tmp_path / "wcrnn-rc-demo"

    header, rows = read_csv(out / "sweep.csv")
    assert header == sweep_header(("memory_capacity", "max_lyapunov"), 2)
    assert len(rows) == 8
    for name in ("sweep_memory", "sweep_lyapunov", "memory_curve", "lyapunov_spectrum"):
        assert_png(out / f"{name}.png")

    # The best reservoir: highest mean MC among the rows with mean lambda_max < 0.
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    subcritical = [r for r in rows if float(r["mean_max_lyapunov"]) < 0]
    best = max(subcritical, key=lambda r: float(r["mean_memory_capacity"]))
    assert summary["best"]["residual_scale"] == float(best["residual_scale"])
    assert summary["best"]["coupling"] == float(best["coupling"])
    assert summary["sweep_mean_memory_capacity"] == float(best["mean_memory_capacity"])
    # ... rebuilt as the sweep's network 0, so its MC is that network's.
    assert summary["memory_capacity"] == pytest.approx(
        float(best["seed0_memory_capacity"]), rel=1e-9
    )
    numeric, theory = summary["lyapunov_numeric"], summary["lyapunov_theory"]
    assert numeric[0] < 0 and theory[0] == pytest.approx(
        math.log(summary["best"]["residual_scale"])
    )
    assert abs(numeric[0] - theory[0]) < 0.05
    assert summary["digits_chance"] == pytest.approx(0.1, abs=0.01)
    assert summary["digits_accuracy"] > 5 * summary["digits_chance"]

    assert "[4/4] Summary" in text
    assert f"{summary['digits_accuracy']:.3f} (chance {summary['digits_chance']:.3f})" in text
    assert f"{summary['memory_capacity']:.2f} (at most 30)" in text
    scales = [line.split()[0] for line in text.split("memory capacity MC")[1].splitlines()[2:6]]
    assert scales == ["0.5", "0.9", "0.99", "1.05"]  # the short table: scales down

    # The sweep command with the same options writes the demo's sweep.csv.
    assert main(["sweep", *options, "--output", str(tmp_path / "sweep")]) == 0
    assert (tmp_path / "sweep" / "sweep.csv").read_bytes() == (out / "sweep.csv").read_bytes()


# --------------------------------------------------------------------------------------
# bench
# --------------------------------------------------------------------------------------


def test_bench_summary_only_lists_peers_and_copies_results(tmp_path, capfd):
    argv = ["bench", "--summary-only", "--path", str(BENCHMARKS), "--output", str(tmp_path)]
    assert main(argv) == 0
    out = capfd.readouterr().out
    for peer in _bench.PEERS:
        assert peer in out
    assert "run_all.py --summary-only" in out
    assert "Summary" in out and "bench_digits" in out  # run_all.py's own output
    expected = sorted(path.name for path in (BENCHMARKS / "results").glob("bench_*.json"))
    assert expected and sorted(path.name for path in tmp_path.iterdir()) == expected

    assert main([*argv[:-1], str(tmp_path / "one"), "bench_digits"]) == 0
    assert [path.name for path in (tmp_path / "one").iterdir()] == ["bench_digits.json"]


def test_bench_forwards_the_scripts_exit_status(capfd):
    argv = ["bench", "no_such_benchmark", "--summary-only", "--path", str(BENCHMARKS)]
    assert main(argv) == 2
    assert "unknown benchmark(s) ['no_such_benchmark']" in capfd.readouterr().err


def test_bench_with_a_bogus_path_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--summary-only", "--path", str(tmp_path)])
    assert exit_info.value.code == 2
    assert f"--path {tmp_path}: no benchmarks/run_all.py there" in capsys.readouterr().err


def test_bench_without_a_checkout_says_how_to_get_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(_bench, "benchmark_candidates", lambda: [tmp_path / "benchmarks"])
    assert main(["bench", "--summary-only"]) == 1
    err = capsys.readouterr().err
    assert "bench needs the wcrnn-rc source tree" in err
    assert "no benchmark scripts found" in err and str(tmp_path / "benchmarks") in err
    assert 'pip install -e ".[bench]"' in err and "<" not in err  # no placeholder URL
    assert "Peer libraries" not in capsys.readouterr().out  # nothing runs first


# --------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------


def test_console_script_and_python_m_are_the_same_entry_point():
    script = shutil.which("wcrnn-rc", path=str(Path(sys.executable).parent))
    assert script is not None, "the wcrnn-rc console script is not installed"
    from_script = subprocess.run([script, "--help"], capture_output=True, text=True, check=False)
    from_module = subprocess.run(
        [sys.executable, "-m", "wcrnn_rc", "--help"], capture_output=True, text=True, check=False
    )
    assert from_script.returncode == from_module.returncode == 0
    assert from_script.stdout.startswith("usage: wcrnn-rc")
    assert from_script.stdout == from_module.stdout
    no_command = subprocess.run(
        [sys.executable, "-m", "wcrnn_rc"], capture_output=True, text=True, check=False
    )
    assert no_command.returncode == 2 and "usage: wcrnn-rc" in no_command.stderr


# --------------------------------------------------------------------------------------
# Start-up: what --help imports, the library's options and checks
# --------------------------------------------------------------------------------------

HEAVY = ("numpy", "scipy", "sklearn", "numba", "matplotlib")


def test_help_and_usage_errors_import_nothing_heavy():
    # A fresh interpreter: this one has them all loaded already.
    code = (
        "import sys\n"
        "from wcrnn_rc.cli import main\n"
        "for argv in (['--help'], ['sweep', '--help'], ['memory', '--rows', '0']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print(sorted(name for name in {HEAVY!r} if name in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, preexec_fn=_default_sigint
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_parser_choices_are_the_library_s_options():
    from wcrnn_rc import WCRNNReservoir
    from wcrnn_rc.cli import _parser
    from wcrnn_rc.residuals import RESIDUAL_NAMES
    from wcrnn_rc.sweeps import METRICS

    (activations,) = WCRNNReservoir._parameter_constraints["activation"]
    assert set(_parser.ACTIVATIONS) == activations.options
    assert _parser.RESIDUALS == RESIDUAL_NAMES
    assert _parser.METRICS == tuple(sorted(METRICS))
    assert set(_parser.SWEEP_METRICS) <= set(METRICS)


@pytest.mark.parametrize(
    "argv, message, reservoir",
    [
        (["memory", "--units", "0"], "The 'n_units' parameter of WCRNNReservoir must be", 1),
        (["sweep", "--coupling", "0.1", "-1"], "The 'coupling' parameter of WCRNNReservoir", 1),
        (["demo", "--scale", "0.9", "nan"], "The 'residual_scale' parameter of WCRNNRes", 1),
        (["lyapunov", "--gain", "-2"], "The 'recurrent_gain' parameter of WCRNNReservoir", 1),
        (["lyapunov", "--units", "5", "--exponents", "6"], "n_exponents=6 exceeds", 0),
        (["memory", "--units", "5", "--max-delay", "0"], "'max_delay' parameter", 0),
        (["memory", "--seed", "-1"], "The 'random_state' parameter of draw_seeds", 0),
    ],
)
def test_the_library_checks_the_values(argv, message, reservoir, tmp_path, capsys):
    # Its message, as it words it, in one line.
    assert main([*argv, "--n-jobs", "1", "--output", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert message in last_line(err) and "Traceback" not in err
    assert last_line(err).startswith(f"wcrnn-rc {argv[0]}: error: ")
    if reservoir:  # the reservoir's values, the whole grid's, are checked before any run
        assert "|" not in err  # no progress bar


def test_a_negative_scale_is_the_library_s_to_accept(capsys):
    # The library takes any real residual_scale: |eig R| = 0.5 for lambda = -0.5.
    argv = ["lyapunov", *FAST, "--residual", "identity", "--scale", "-0.5", "--coupling", "0"]
    assert main([*argv, "--steps", "100", "--rows", "1"]) == 0
    assert "lambda_max = -0.6931, theory log max|eig R| = -0.6931" in capsys.readouterr().out


# --------------------------------------------------------------------------------------
# Never lose work: --output checked first, expected errors in one line, signals
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_an_output_that_cannot_be_created_fails_before_any_work(command, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("a file, where the folder's parent should be")
    out = blocker / "out"  # mkdir fails, whoever runs the test (root too)
    argv = [command, "--output", str(out)] + (["--summary-only"] if command == "bench" else [])
    assert main(argv) == 1
    stdout, err = capsys.readouterr()
    assert stdout == ""  # every command prints its heading first: nothing ran
    assert err == f"wcrnn-rc {command}: error: --output {out}: cannot create the folder " + (
        "(Not a directory); choose a folder you can write to\n"
    )


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root writes into a folder whatever its mode; the parent-is-a-file test covers it",
)
def test_an_existing_unwritable_output_fails_before_any_work(tmp_path, capsys):
    out = tmp_path / "read-only"
    out.mkdir()
    out.chmod(0o500)
    try:
        assert main(["sweep", *FAST, *GRID, "--output", str(out)]) == 1
    finally:
        out.chmod(0o700)
    stdout, err = capsys.readouterr()
    assert stdout == "" and "Traceback" not in err
    assert f"--output {out}: cannot write files there (Permission denied)" in err


def test_a_folder_that_refuses_files_is_reported_before_any_work(tmp_path, monkeypatch, capsys):
    # As a read-only mount answers (it stops root too); the chmod test above, run by
    # anyone but root, shows that the check meets the real refusal.
    from wcrnn_rc.cli import _output

    def refuse(**kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(_output, "TemporaryFile", refuse)
    assert main(["demo", "--output", str(tmp_path)]) == 1
    stdout, err = capsys.readouterr()
    assert stdout == ""
    assert err == (
        f"wcrnn-rc demo: error: --output {tmp_path}: cannot write files there (Read-only "
        "file system); choose a folder you can write to\n"
    )


def _raise(error):
    def run(args):
        raise error

    return run


@pytest.mark.parametrize(
    "error, line",
    [
        (
            MemoryError(),
            "out of memory; use fewer --units, --steps or --seeds, or a smaller --n-jobs "
            "(each parallel run holds its own states)",
        ),
        (OSError(28, "No space left on device", "/x/a.csv"), "No space left on device: /x/a.csv"),
        (FloatingPointError("states overflowed"), "states overflowed"),
    ],
)
def test_expected_errors_are_one_line_and_debug_adds_the_traceback(
    error, line, monkeypatch, capsys
):
    from wcrnn_rc.cli import _memory

    monkeypatch.setattr(_memory, "run", _raise(error))
    assert main(["memory"]) == 1
    err = capsys.readouterr().err
    assert err == f"wcrnn-rc memory: error: {line}\n"
    assert main(["memory", "--debug"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback") and f"{type(error).__name__}" in err
    assert err.endswith(f"wcrnn-rc memory: error: {line}\n")


def test_a_bug_keeps_its_traceback(monkeypatch):
    from wcrnn_rc.cli import _memory

    monkeypatch.setattr(_memory, "run", _raise(TypeError("a bug")))
    with pytest.raises(TypeError, match="a bug"):
        main(["memory"])


def test_ctrl_c_while_the_command_loads_exits_130_without_traceback(tmp_path, monkeypatch, capsys):
    from wcrnn_rc.cli import _main

    def interrupted(name, package=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(_main.importlib, "import_module", interrupted)
    assert main(["demo", "--output", str(tmp_path)]) == 130
    assert capsys.readouterr().err == "wcrnn-rc demo: interrupted\n"


def _descendants(pid):
    """The process ids below ``pid`` (psutil, or Linux's /proc without it)."""
    try:
        import psutil
    except ImportError:
        children = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended meanwhile
                continue
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        found, todo = set(), [pid]
        while todo:
            below = children.get(todo.pop(), [])
            found.update(below)
            todo += below
        return found
    return {child.pid for child in psutil.Process(pid).children(recursive=True)}


def _alive(pid):
    try:
        import psutil
    except ImportError:
        stat = Path(f"/proc/{pid}/stat")
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _default_sigint():
    # A test run started in the background by a non-interactive shell ignores SIGINT,
    # and children inherit that: give the child the default, as a terminal would.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait(predicate, seconds):
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.skipif(
    importlib.util.find_spec("psutil") is None and not Path("/proc/self/stat").exists(),
    reason="needs psutil or Linux's /proc to list the worker processes",
)
@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
@pytest.mark.parametrize(
    "argv",
    [
        # loky worker processes: 40 networks of 400 units on 2 workers.
        ["memory", "--units", "400", "--seeds", "40", "--n-jobs", "2"],
        # the sweep's default thread pool: 36 points x 10 networks of 100 units.
        ["sweep", "--seeds", "10", "--n-jobs", "2"],
    ],
    ids=["memory-processes", "sweep-threads"],
)
def test_a_signal_mid_run_shuts_the_workers_down(argv, signum, status, tmp_path):
    command = argv[0]
    process = subprocess.Popen(
        [sys.executable, "-m", "wcrnn_rc", *argv, "--output", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )
    workers = set()
    try:
        if command == "memory":
            assert _wait(lambda: len(_descendants(process.pid)) >= 2, 60), "no workers started"
            time.sleep(0.5)  # the workers are running tasks now
        else:
            time.sleep(8)  # imports done, the sweep's threads are running
        workers = _descendants(process.pid)
        start = time.monotonic()
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=30)
        seconds = time.monotonic() - start
    finally:
        for pid in [process.pid, *workers]:  # if the test failed: leave nothing behind
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert process.returncode == status, stderr
    assert seconds < 10
    assert "Traceback" not in stderr
    message = "terminated" if signum == signal.SIGTERM else "interrupted"
    assert last_line(stderr) == f"wcrnn-rc {command}: {message}"
    assert _wait(lambda: not any(_alive(pid) for pid in workers), 10), [
        pid for pid in workers if _alive(pid)
    ]
    assert not list(tmp_path.glob("*.csv"))


def test_ctrl_c_at_start_up_in_a_real_process_exits_130_without_traceback():
    # A real SIGINT, sent by the process to itself as the command's modules start to
    # load (NumPy first): an import hook fires it, so that it lands there every time.
    code = (
        "import os, signal, sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'numpy':\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "from wcrnn_rc.cli import main\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "sys.exit(main(['memory', '--units', '10', '--quiet']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, preexec_fn=_default_sigint
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr == "wcrnn-rc memory: interrupted\n"


# --------------------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["memory", "lyapunov"])
def test_memory_and_lyapunov_show_progress_unless_quiet(command, capsys):
    argv = [command, "--units", "10", "--seeds", "2", "--n-jobs", "1", "--rows", "1"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "/2 [" in err  # tqdm's count of networks, on stderr
    assert main([*argv, "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_one_long_call_shows_its_elapsed_time(capsys):
    from wcrnn_rc._progress import progress

    with progress("one long call"):
        time.sleep(2.3)  # the bar is redrawn each second, with no update
    err = capsys.readouterr().err
    assert "one long call: 00:02 elapsed" in err
    with progress("quiet", enabled=False) as bar:
        bar.update()
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_debug_and_quiet_says_what_it_silences(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    assert "--debug" in text
    if command != "bench":
        assert "progress bar" in text.split("--quiet")[-1].split("--debug")[0]
