"""``wcrnn-rc demo``: sweep, best reservoir, its spectrum against theory, digits."""

import json
import time

import numpy as np

from .._progress import progress
from ..analysis import lyapunov_spectrum, memory_capacity
from ..sweeps import draw_seeds
from ._common import describe, quiet, reservoir
from ._output import fmt, memory_figure, print_table, spectrum_figure
from ._parser import SWEEP_METRICS
from ._sweep import normalise_grid, notes, print_pivots, run_grid, write_heatmaps, write_sweep_csv


def best_point(results):
    """Index of the highest mean MC among points with mean lambda_max < 0, and the rule.

    Falls back to the highest mean MC overall when no point is subcritical.
    """
    mc = np.nan_to_num(results["mean_memory_capacity"], nan=-np.inf)
    subcritical = results["mean_max_lyapunov"] < 0  # NaN (diverged) compares False
    if subcritical.any():
        return int(np.argmax(np.where(subcritical, mc, -np.inf))), True
    return int(np.argmax(mc)), False


def _digits_accuracy(network, seed):
    """Fit reservoir -> StandardScaler -> RidgeClassifier on permuted sequential digits.

    ``seed`` draws the pixel permutation and the stratified train/test split.
    """
    from sklearn.linear_model import RidgeClassifier
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from ..datasets import load_sequential_digits

    X, y = load_sequential_digits(permute=True, random_state=seed, return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed
    )
    # Weak coupling makes small states; the scaler keeps the ridge penalty comparable.
    pipe = Pipeline(
        [
            ("res", network.set_params(sequence_features="both")),
            ("scale", StandardScaler()),
            ("ridge", RidgeClassifier()),
        ]
    )
    accuracy = pipe.fit(X_train, y_train).score(X_test, y_test)
    chance = np.bincount(y_test).max() / len(y_test)  # always the most frequent class
    return float(accuracy), float(chance), len(y_train), len(y_test)


def _step(number, text):
    print(f"\n[{number}/4] {text}", flush=True)
    return time.perf_counter()


def _sweep_stage(args, out):
    """Stage 1: the sweep, its short tables, sweep.csv and the heatmaps."""
    n_points = len(args.residual) * len(args.scale) * len(args.coupling)
    start = _step(
        1,
        f"Sweep: memory capacity and lambda_max over {n_points} grid points x {args.seeds} "
        f"networks ({args.units} units, {args.activation})",
    )
    results, order = run_grid(args, SWEEP_METRICS)
    print_pivots(results, SWEEP_METRICS, args)
    notes(results, SWEEP_METRICS, args.scale)
    write_sweep_csv(out / "sweep.csv", results, order, SWEEP_METRICS, args)
    figures = write_heatmaps(out, results, SWEEP_METRICS, args)
    print(f" ({time.perf_counter() - start:.1f} s)")
    return results, figures


def _best_stage(args, out, results):
    """Stage 2: the best grid point's network 0, its memory curve and spectrum vs theory."""
    index, subcritical = best_point(results)
    params = results["params"][index]
    network_seeds, drive_seeds = draw_seeds(args.seed, args.seeds, return_drive_seeds=True)
    seed, drive_seed = int(network_seeds[0]), int(drive_seeds[0])
    rule = "highest mean MC among grid points with mean lambda_max < 0"
    if not subcritical:
        rule = "no grid point has lambda_max < 0: highest mean MC overall"
    start = _step(2, f"Best reservoir ({rule}): {describe(args, params)}; network 0")
    network = reservoir(args, **params, random_state=seed)
    with quiet(), progress("memory curve, Lyapunov spectrum", enabled=not args.quiet):
        mc, curve = memory_capacity(network, return_curve=True, random_state=drive_seed)
        network.fit(np.zeros((1, 1)))
        numeric = lyapunov_spectrum(
            network, n_exponents=min(args.units, 100), random_state=drive_seed
        )
    theory = network.residual_lyapunov_exponents_[: len(numeric)]
    shown = sorted({0, min(1, len(numeric) - 1), len(numeric) - 1})  # each index once
    print_table(
        ["exponent", "numeric", "theory log|eig R|"],
        [[f"lambda_{i + 1}", fmt(numeric[i]), fmt(theory[i])] for i in shown],
    )
    print(f" memory capacity {mc:.2f} (at most {args.units})")
    title = f"best: {describe(args, params)}"
    memory_figure(curve, title, out / "memory_curve.png", n_units=args.units)
    spectrum_figure(network, numeric, title, out / "lyapunov_spectrum.png")
    print(f" ({time.perf_counter() - start:.1f} s)")
    return {
        "index": index,
        "params": params,
        "seed": seed,
        "rule": rule,
        "memory_capacity": mc,
        "numeric": numeric,
        "theory": theory,
    }


def _digits_stage(args, best):
    """Stage 3: the best parameters' pipeline on permuted sequential digits."""
    start = _step(3, "Permuted sequential digits: 1797 images as 64-step pixel sequences")
    with quiet(), progress("fit and score on digits", enabled=not args.quiet):
        network = reservoir(args, **best["params"], random_state=best["seed"])
        accuracy, chance, n_train, n_test = _digits_accuracy(network, args.seed)
    print_table(
        ["model", "test accuracy"],
        [
            ["chance (most frequent class)", f"{chance:.3f}"],
            ["best reservoir + StandardScaler + RidgeClassifier", f"{accuracy:.3f}"],
        ],
    )
    print(f" ({n_train} training, {n_test} test sequences; {time.perf_counter() - start:.1f} s)")
    return accuracy, chance


def run(args):
    """``wcrnn-rc demo``: sweep, best reservoir, spectrum vs theory, digits; write all."""
    normalise_grid(args)
    out = args.output
    total = time.perf_counter()
    results, figures = _sweep_stage(args, out)
    best = _best_stage(args, out, results)
    accuracy, chance = _digits_stage(args, best)
    figures += ["memory_curve.png", "lyapunov_spectrum.png"]
    summary = {
        "best": {
            **best["params"],
            "n_units": args.units,
            "activation": args.activation,
            "recurrent_gain": args.gain,
            "random_state": best["seed"],
        },
        "rule": best["rule"],
        "sweep_mean_memory_capacity": float(results["mean_memory_capacity"][best["index"]]),
        "sweep_mean_max_lyapunov": float(results["mean_max_lyapunov"][best["index"]]),
        "memory_capacity": best["memory_capacity"],
        "lyapunov_numeric": [float(v) for v in best["numeric"][:10]],
        "lyapunov_theory": [float(v) for v in best["theory"][:10]],
        "digits_accuracy": accuracy,
        "digits_chance": chance,
        "seed": args.seed,
        "n_seeds": args.seeds,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    _step(4, f"Summary ({time.perf_counter() - total:.1f} s in all)")
    print_table(
        ["", ""],
        [
            ["best reservoir", describe(args, best["params"])],
            ["memory capacity", f"{best['memory_capacity']:.2f} (at most {args.units})"],
            ["lambda_max numeric", fmt(best["numeric"][0])],
            ["lambda_max theory", f"{fmt(best['theory'][0])} (log max|eig R|)"],
            ["digits test accuracy", f"{accuracy:.3f} (chance {chance:.3f})"],
            ["files", f"{out.resolve()}: sweep.csv, summary.json, {', '.join(figures)}"],
        ],
    )
    return 0
