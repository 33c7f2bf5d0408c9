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

``MACKEY_GLASS`` then came from a later random search on the same seeds (its script is
not kept; its log, one line per setting with the three valid times, is
``results/bench_forecasting_mg_search.jsonl``): 651 settings of rotational (angles
spread, random or from the data's spectrum), identity, orthogonal and heterogeneous
(timescales 1 to 10-1000 steps) residuals, with residual scale 0.5-0.99 (``1 - scale``
log-uniform), coupling 0.02-0.5, recurrent gain 0.5-1.2 (uniform), input scaling
0.1-1.5, bias scaling 0.05-2 and alpha 1e-12-1e-6 (log-uniform), in four stages: 100
random points, 50 around the best five, 400 more random points, 100 around the best
five of all. ``MG_CANDIDATES`` ends with its five best (``--task mackey_glass``: 35
settings, under a minute).

``--solver svd`` re-runs the candidates with ``Ridge(solver="svd")`` (a QR of the
states, not the normal equations): the random search's five best, each over
``SVD_ALPHAS`` instead of its own alpha, since a precise solve gives a small alpha a
meaning that the normal equations' rounding did not (``--write`` stores it under
``mackey_glass_svd`` or ``lorenz_svd``).
"""

import argparse
import json
import statistics

from _common import RESULTS_DIR, json_default
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

from wcrnn_rc.residuals import RotationalResidual

SEARCH_SEEDS = (100, 101, 102)
ALPHAS = {"lorenz": (1e-10, 1e-8), "mackey_glass": (1e-10, 1e-8, 1e-6)}
SVD_ALPHAS = (1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9)


def _identity(scale, coupling, gain, bias):
    return dict(
        residual="identity", residual_scale=scale, coupling=coupling, recurrent_gain=gain,
        input_scaling=0.3, bias_scaling=bias,
    )  # fmt: skip


def _searched(angles, scale, coupling, gain, input_scaling, bias, alpha):
    """A rotational setting of the random search: a whole setting, with its own alpha."""
    return dict(
        reservoir=dict(
            residual=RotationalResidual(scale=scale, angles=angles), coupling=coupling,
            recurrent_gain=gain, input_scaling=input_scaling, bias_scaling=bias,
        ),
        alpha=alpha,
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
    # The five best of the later random search (651 points on the same seeds; see the
    # module docstring), each with its own alpha, unrounded (the forecast is chaotic in
    # them): the first is MACKEY_GLASS.
    _searched("random", 0.8675913354651378, 0.024214593005851572, 0.7501012601049619,
              1.1996952586396823, 0.694903684003419, 1e-12),
    _searched("data", 0.8338113835722762, 0.2094548608499163, 0.9776910905411965,
              0.18982539142664753, 0.7804058634887732, 8.459212346914506e-12),
    _searched("random", 0.8733632118718717, 0.060439532101770915, 0.9364411815278469,
              1.4048702000703435, 2.0, 6.414534492471933e-12),
    _searched("random", 0.8953849414046487, 0.02302176938867407, 0.6217451381083262,
              1.454389806330314, 0.8427746658652406, 6.7532166323952466e-12),
    _searched("data", 0.8990638045435445, 0.11326572078848542, 0.6755568441184057,
              0.7585852173462327, 1.1718863389577137, 8.915239835516297e-12),
]  # fmt: skip


def _settings(task, candidates, solver):
    """The settings a search runs: a candidate is the reservoir's parameters, run with
    each alpha of ALPHAS, or a whole setting (with "reservoir" and "alpha"), run as it
    is; with ``solver="svd"`` every setting's readout is ``Ridge(solver="svd")`` and a
    whole setting's reservoir runs over SVD_ALPHAS instead of its own alpha."""
    settings = []
    for candidate in candidates:
        if "reservoir" not in candidate:
            settings += [dict(reservoir=candidate, alpha=alpha) for alpha in ALPHAS[task]]
        elif solver == "svd":
            settings += [dict(reservoir=candidate["reservoir"], alpha=a) for a in SVD_ALPHAS]
        else:
            settings.append(candidate)
    return [dict(setting, solver=solver) for setting in settings]


def search(task, solver="auto"):
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
    for setting in _settings(task, candidates, solver):
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
    parser.add_argument(
        "--solver",
        choices=("auto", "svd"),
        default="auto",
        help="the ridge readout's solver (svd: a streamed QR)",
    )
    parser.add_argument("--write", action="store_true", help="write the results file")
    args = parser.parse_args(argv)
    result = search(args.task, args.solver)
    if args.write:
        path = RESULTS_DIR / "search_forecasting.json"
        previous = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        previous[args.task if args.solver == "auto" else f"{args.task}_{args.solver}"] = result
        path.write_text(json.dumps(previous, indent=1, default=json_default), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
