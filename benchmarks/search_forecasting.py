"""The decisive stage of the search behind bench_forecasting.py's tuned settings.

``benchmarks/results/bench_forecasting_search.json`` logs the whole search (its
exploratory stages were run with scikit-learn's ridge and a NumPy closed loop). This
script re-runs the stage that chose ``LORENZ`` and ``MACKEY_GLASS``: each candidate
through ``WCRNNForecaster`` itself, on the search seeds 100-102 (never the seeds the
benchmark reports), keeping the best median valid time. It prints one line per
candidate and the chosen one; ``--write`` stores them in
``results/search_forecasting.json``.

Run ``python benchmarks/search_forecasting.py --task lorenz`` (about 40 fits of a
500-unit forecaster; a few minutes).
"""

import argparse
import json
import statistics

from _common import RESULTS_DIR
from bench_forecasting import (
    LORENZ_DT,
    LORENZ_LAMBDA,
    MG_FORECAST,
    N_FORECAST,
    lorenz_data,
    mackey_glass_data,
    our_forecast,
    valid_times,
)

SEARCH_SEEDS = (100, 101, 102)
ALPHAS = {"lorenz": (1e-10, 1e-8), "mackey_glass": (1e-10, 1e-8, 1e-6)}


def _identity(scale, coupling, gain, bias):
    return dict(
        residual="identity", residual_scale=scale, coupling=coupling, recurrent_gain=gain,
        input_scaling=0.3, bias_scaling=bias,
    )  # fmt: skip


# The six best of the exploratory grid (stage 3 of the log).
LORENZ_CANDIDATES = [
    _identity(0.3, 1.0, 0.5, 2.0),
    _identity(0.3, 1.0, 0.5, 1.0),
    _identity(0.3, 0.5, 0.9, 2.0),
    _identity(0.3, 0.5, 0.5, 1.0),
    _identity(0.5, 0.5, 0.5, 1.0),
    _identity(0.3, 0.5, 0.5, 2.0),
]
MG_CANDIDATES = [
    dict(residual="rotational", residual_scale=0.9, coupling=0.1, input_scaling=1.0),
    dict(residual="identity", residual_scale=0.7, coupling=0.3, recurrent_gain=0.9,
         input_scaling=0.3),
    _identity(0.5, 1.0, 0.5, 1.0),
    _identity(0.7, 0.3, 0.9, 1.0),
    dict(residual="rotational", residual_scale=0.7, coupling=0.3, recurrent_gain=0.9,
         input_scaling=0.3, bias_scaling=0.5),
    dict(residual="heterogeneous", coupling=0.3, recurrent_gain=0.9, input_scaling=0.3,
         bias_scaling=0.5),
    dict(residual="orthogonal", residual_scale=0.7, coupling=0.3, recurrent_gain=0.9,
         input_scaling=0.3),
    dict(residual="identity", residual_scale=0.7, coupling=0.3, recurrent_gain=1.2,
         input_scaling=0.3),
    dict(residual="identity", residual_scale=0.9, coupling=0.1, recurrent_gain=0.9,
         input_scaling=0.3, bias_scaling=0.5),
    dict(residual="rotational", residual_scale=0.95, coupling=0.05, recurrent_gain=0.9,
         input_scaling=1.0),
]  # fmt: skip


def search(task):
    if task == "lorenz":
        data, candidates, n_steps, lam, dt = (
            lorenz_data, LORENZ_CANDIDATES, N_FORECAST, LORENZ_LAMBDA, LORENZ_DT,
        )  # fmt: skip
    else:
        data, candidates, n_steps, lam, dt = (
            mackey_glass_data, MG_CANDIDATES, MG_FORECAST, None, 1.0,
        )  # fmt: skip
    series = {seed: data(seed) for seed in SEARCH_SEEDS}
    rows = []
    for params in candidates:
        for alpha in ALPHAS[task]:
            setting = dict(reservoir=params, alpha=alpha)
            values = []
            for seed, (train, test) in series.items():
                forecast = our_forecast(setting, seed, train, n_steps)[1]
                values.append(valid_times(test[:n_steps], forecast, train.std(axis=0), lam, dt))
            rows.append({"setting": setting, "valid_times": values,
                         "median": statistics.median(values)})  # fmt: skip
            print(f"median {rows[-1]['median']:8.2f}  per seed "
                  f"{[round(v, 2) for v in values]}  {setting}")  # fmt: skip
    best = max(rows, key=lambda row: row["median"])
    print(f"chosen: {best['setting']} (median {best['median']:.2f})")
    return {"rows": rows, "chosen": best}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=("lorenz", "mackey_glass"), default="lorenz")
    parser.add_argument("--write", action="store_true", help="write the results file")
    args = parser.parse_args(argv)
    result = search(args.task)
    if args.write:
        path = RESULTS_DIR / "search_forecasting.json"
        previous = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        previous[args.task] = result
        path.write_text(json.dumps(previous, indent=1), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
