"""Baselines: a plain ESN and a leaky ESN against WCRNN variants on every findings task.

Five reservoirs of N=100 units, all with the same readout, on the six offline tasks the
findings use:

- plain ESN: ``residual="none"``, ``coupling=1``; W drawn with spectral radius
  ``recurrent_gain`` (the entries of W are N(0, g**2 / N), so its spectral radius is
  about g; default 0.9, tuned over 0.5 / 0.9 / 1.2);
- leaky ESN: ``residual="identity"``, ``residual_scale=1 - a``, ``coupling=a`` (exactly a
  leaky ESN with leak rate a), ``recurrent_gain=0.9``; a = 0.3 by default, tuned over
  0.1 / 0.3 / 0.6;
- WCRNN identity, near-critical: ``residual_scale=0.99``, coupling 0.01 (tuned over
  0.003 / 0.01 / 0.03);
- WCRNN rotational (the library default): angles spread over (0, pi),
  ``residual_scale=0.95``, coupling 0.1 (tuned over 0.03 / 0.1 / 0.3);
- WCRNN heterogeneous: ``diag(exp(-1 / tau_i))``, tau log-uniform over 1..100 steps,
  coupling 0.1 (tuned over 0.03 / 0.1 / 0.3).

Everything else is the library default for every model (``input_scaling=1``,
``bias_scaling=0.1``; the WCRNNs keep ``recurrent_gain=1``) and is not tuned. Sequence
tasks use the last state (``sequence_features="last"``).

Tasks (``wcrnn_rc.datasets``) and scores, each on a fixed held-out part:

- psdigits: permuted sequential digits (1797 x 64 steps), accuracy;
- digits by rows: 8 steps of 8 pixels, accuracy;
- frequency task: 1000 sequences of 100 steps, 4 classes, accuracy;
- adding problem: 2000 sequences of 50 steps, test MSE (predicting the mean scores
  var(y), about 0.167);
- NARMA10: one series of 5000 steps, NRMSE on the last 1000;
- mixed delays: recall u_{t-k} for k = 1, 5, 20, 50 from one series of 5000 steps, mean
  R^2 over the delays on the last 1000.

The readout is a ridge regression on standardised states: for sequence tasks
``RidgeClassifierCV`` / ``RidgeCV`` (alpha by leave-one-out over 1e-4..1e4) trained on a
stratified 75 % split and scored on the other 25 %; for the series a ``Ridge`` trained on
steps 200..3999 (the first 200 are washout) with alpha (1e-8..1e2) chosen on steps
3200..3999 after training on 200..3199, scored on steps 4000..4999. "Tuned" picks each
model's knob per task by the mean validation score over the seeds (5-fold
cross-validation on the training split; the series' validation block), never by the
test score. The script also prints the dynamics (memory capacity, largest Lyapunov
exponent; :func:`wcrnn_rc.sweeps.parameter_sweep`'s metrics, with the same network
seeds as the scores, from :func:`wcrnn_rc.sweeps.draw_seeds`, and drive seeds spawned
independently of them) of every grid point, and an aside: the classification tasks
with the mean state over time as features instead of the last state.

Run from the repository root::

    python benchmarks/findings_baselines.py            # offline data, about 1 minute
    python benchmarks/findings_baselines.py --full --data-home ~/scikit_learn_data

``--full`` replaces psdigits by psMNIST and digits by rows by sequential MNIST by rows
(``fetch_sequential_mnist``; 10000 training images drawn from the first 60000 and 2000
test images from the last 10000). It writes ``benchmarks/results/findings_baselines.json``
and ``.png`` (a copy of the figure goes to ``docs/results/figures/``). The task code here
is shared with ``findings_edge_of_chaos.py``.
"""

import time
import warnings

import numpy as np
from _findings import (
    finding_parser,
    load_record,
    markdown_table,
    mean_std,
    nrmse,
    panel_letters,
    report,
    ridge_predict,
    save_figure,
    style,
)
from joblib import Parallel, delayed
from sklearn.linear_model import RidgeClassifierCV, RidgeCV
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch
from threadpoolctl import threadpool_limits

from wcrnn_rc import WCRNNReservoir
from wcrnn_rc.analysis import max_lyapunov_exponent, memory_capacity
from wcrnn_rc.datasets import (
    fetch_sequential_mnist,
    load_sequential_digits,
    make_adding_problem,
    make_delay_task,
    make_frequency_task,
    make_narma,
)
from wcrnn_rc.plotting import PALETTE
from wcrnn_rc.sweeps import draw_seeds, parameter_sweep

NAME = "findings_baselines"
N_UNITS = 100
# Ridge penalties: leave-one-out (RidgeCV's GCV) for sequence tasks, a validation block
# for the series (leave-one-out on a time series leaks neighbouring steps).
SEQUENCE_ALPHAS = np.logspace(-4, 4, 9)
SERIES_ALPHAS = np.logspace(-8, 2, 11)
SERIES_STEPS, SERIES_WASHOUT, SERIES_VAL_START, SERIES_TEST_START = 5000, 200, 3200, 4000
MIXED_DELAYS = (1, 5, 20, 50)
CV_FOLDS = 5
# The full datasets are subsampled: N=100 reservoirs over 784 steps, several seeds.
FULL_TRAIN, FULL_TEST = 10000, 2000

# Tasks re-run with the mean state over time as features, as an aside.
ASIDE_TASKS = ("psdigits", "frequency")
TASKS = ("psdigits", "digits_rows", "frequency", "adding", "narma10", "delays")
TASK_LABELS = {
    "psdigits": "psdigits acc",
    "digits_rows": "digits by rows acc",
    "frequency": "frequency acc",
    "adding": "adding MSE",
    "narma10": "NARMA10 NRMSE",
    "delays": "mixed delays R^2",
}
# The figure's task and model names (the tables keep the plain-text ones above).
TASK_AXIS_LABELS = {
    "psdigits": "psdigits\naccuracy",
    "digits_rows": "digits by rows\naccuracy",
    "frequency": "frequency\naccuracy",
    "adding": "adding problem\nMSE",
    "narma10": "NARMA10\nNRMSE",
    "delays": "mixed delays\nmean $R^2$",
}
MODEL_LABELS = {
    "ESN": "ESN",
    "leaky ESN": "leaky ESN",
    "WCRNN identity 0.99": r"WCRNN identity ($\lambda = 0.99$)",
    "WCRNN rotational": r"WCRNN rotational ($\lambda = 0.95$)",
    "WCRNN heterogeneous": "WCRNN heterogeneous",
}


# --------------------------------------------------------------------------------------
# Tasks (shared with findings_edge_of_chaos.py)
# --------------------------------------------------------------------------------------


def _mnist_subsample(by, data_home):
    """sMNIST (by row) or psMNIST (by pixel): train from the first 60000, test the rest.

    Only the drawn images are kept: ``(X, y, train, test)`` with the training images
    first.
    """
    X, y = fetch_sequential_mnist(
        permute=by == "pixel", by=by, data_home=data_home, random_state=0, return_X_y=True
    )
    rng = np.random.RandomState(0)
    train = np.sort(rng.choice(60000, FULL_TRAIN, replace=False))
    test = 60000 + np.sort(rng.choice(len(y) - 60000, FULL_TEST, replace=False))
    keep = np.concatenate([train, test])
    return X[keep], y[keep], np.arange(FULL_TRAIN), np.arange(FULL_TRAIN, len(keep))


def load_task(name, *, full=False, data_home=None):
    """One task: data, split and how it is scored.

    Parameters
    ----------
    name : str
        One of ``TASKS``.
    full : bool, default=False
        psdigits and digits by rows become psMNIST and sMNIST by rows (subsampled).
    data_home : str, default=None
        fetch_openml cache, with ``full``.

    Returns
    -------
    task : Bunch
        ``name``, ``kind`` ("classification", "sequence_regression" or "series"),
        ``X``, ``y``, ``train`` and ``test`` (indices, for sequence tasks),
        ``greater_is_better``, ``chance`` (the score of a constant prediction) and
        ``description``.
    """
    if name in ("psdigits", "digits_rows"):
        by = "pixel" if name == "psdigits" else "row"
        if full:
            X, y, train, test = _mnist_subsample(by, data_home)
            source = "psMNIST" if by == "pixel" else "sMNIST by rows"
            description = f"{source}, {FULL_TRAIN} train / {FULL_TEST} test images"
        else:
            X, y = load_sequential_digits(
                permute=by == "pixel", by=by, random_state=0, return_X_y=True
            )
            train, test = _stratified_split(y)
            description = (
                "permuted sequential digits, 64 steps x 1"
                if by == "pixel"
                else "sequential digits by rows, 8 steps x 8"
            )
        return Bunch(
            name=name, kind="classification", X=X, y=y, train=train, test=test,
            greater_is_better=True, chance=1.0 / len(np.unique(y)), description=description,
        )  # fmt: skip
    if name == "frequency":
        X, y = make_frequency_task(n_samples=1000, seq_len=100, random_state=0)
        train, test = _stratified_split(y)
        return Bunch(
            name=name, kind="classification", X=X, y=y, train=train, test=test,
            greater_is_better=True, chance=1.0 / len(np.unique(y)),
            description="frequency task, 1000 x 100 steps, 4 classes",
        )  # fmt: skip
    if name == "adding":
        X, y = make_adding_problem(n_samples=2000, seq_len=50, random_state=0)
        train, test = train_test_split(np.arange(len(y)), test_size=0.25, random_state=0)
        return Bunch(
            name=name, kind="sequence_regression", X=X, y=y, train=train, test=test,
            greater_is_better=False, chance=float(np.var(y[test])),
            description="adding problem, 2000 x 50 steps, MSE",
        )  # fmt: skip
    if name == "narma10":
        X, y = make_narma(n_steps=SERIES_STEPS, order=10, random_state=0)
        return Bunch(
            name=name, kind="series", X=X, y=y, greater_is_better=False, chance=1.0,
            description=f"NARMA10, {SERIES_STEPS} steps, NRMSE",
        )  # fmt: skip
    if name == "delays":
        X, y = make_delay_task(n_steps=SERIES_STEPS, delay=list(MIXED_DELAYS), random_state=0)
        return Bunch(
            name=name, kind="series", X=X, y=y, greater_is_better=True, chance=0.0,
            description=f"mixed delays {list(MIXED_DELAYS)}, {SERIES_STEPS} steps, mean R^2",
        )  # fmt: skip
    raise ValueError(f"Unknown task {name!r}; use one of {TASKS}.")


def _stratified_split(y):
    indices = np.arange(len(y))
    return train_test_split(indices, test_size=0.25, random_state=0, stratify=y)


def mean_r2(y_true, y_pred):
    """R^2 per target column, averaged (1 - MSE / variance)."""
    y_true = y_true.reshape(len(y_true), -1)
    y_pred = y_pred.reshape(len(y_pred), -1)
    mse = np.mean((y_pred - y_true) ** 2, axis=0)
    return float(np.mean(1.0 - mse / np.var(y_true, axis=0)))


def series_metric(task):
    """``(metric, greater_is_better)`` of a series task."""
    return (mean_r2, True) if task.name == "delays" else (nrmse, False)


def _sequence_readout(kind):
    if kind == "classification":
        return make_pipeline(StandardScaler(), RidgeClassifierCV(alphas=SEQUENCE_ALPHAS))
    return make_pipeline(StandardScaler(), RidgeCV(alphas=SEQUENCE_ALPHAS))


def _sequence_scores(train_features, test_features, task, validate):
    y_train, y_test = task.y[task.train], task.y[task.test]
    readout = _sequence_readout(task.kind).fit(train_features, y_train)
    scores = {}
    if task.kind == "classification":
        folds = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=0)
        scoring = "accuracy"
        scores["test"] = float(readout.score(test_features, y_test))
    else:
        folds = KFold(CV_FOLDS, shuffle=True, random_state=0)
        scoring = "neg_mean_squared_error"
        scores["test"] = float(np.mean((readout.predict(test_features) - y_test) ** 2))
    if validate:
        cv = cross_val_score(
            _sequence_readout(task.kind), train_features, y_train, cv=folds, scoring=scoring
        )
        scores["val"] = float(np.mean(cv)) * (1 if task.greater_is_better else -1)
    return scores


def _series_scores(states, task):
    """Alpha chosen on the validation block, then refitted on all training steps."""
    metric, greater_is_better = series_metric(task)
    y = task.y
    fit_val = slice(SERIES_WASHOUT, SERIES_VAL_START)
    val = slice(SERIES_VAL_START, SERIES_TEST_START)
    fit_test = slice(SERIES_WASHOUT, SERIES_TEST_START)
    test = slice(SERIES_TEST_START, len(y))
    val_scores = np.array(
        [metric(y[val], ridge_predict(states, y, a, fit_val, val)) for a in SERIES_ALPHAS]
    )
    val_scores[~np.isfinite(val_scores)] = -np.inf if greater_is_better else np.inf
    best = np.argmax(val_scores) if greater_is_better else np.argmin(val_scores)
    prediction = ridge_predict(states, y, SERIES_ALPHAS[best], fit_test, test)
    return {"val": float(val_scores[best]), "test": metric(y[test], prediction)}


def task_scores(reservoir, task, *, validate=True):
    """Held-out score (and validation score) of a reservoir on a task.

    Parameters
    ----------
    reservoir : WCRNNReservoir
        Unfitted; a clone is fitted on the task's training input (which only draws the
        weights; nothing is learnt from the data).
    task : Bunch
        From :func:`load_task`.
    validate : bool, default=True
        Also compute the validation score used for tuning.

    Returns
    -------
    scores : dict
        ``"test"`` (and ``"val"``) in the task's own units; NaN for both when the
        states overflowed (``FloatingPointError``).
    """
    reservoir = WCRNNReservoir(**reservoir.get_params())
    try:
        with warnings.catch_warnings():
            # Supercritical residuals (scale > 1) are swept on purpose.
            warnings.simplefilter("ignore")
            if task.kind == "series":
                states = reservoir.fit(task.X).transform(task.X)
                return _series_scores(states, task)
            X_train, X_test = task.X[task.train], task.X[task.test]
            reservoir.fit(X_train)
            train_features, test_features = (
                reservoir.transform(X_train),
                reservoir.transform(X_test),
            )
            if not (np.all(np.isfinite(train_features)) and np.all(np.isfinite(test_features))):
                raise FloatingPointError("non-finite features")
            return _sequence_scores(train_features, test_features, task, validate)
    except (FloatingPointError, np.linalg.LinAlgError, ValueError):
        # Overflowing states (or a readout that cannot fit them): the model failed.
        return {"test": np.nan, "val": np.nan}


def task_metric(reservoir, random_state, *, task):
    """A ``parameter_sweep`` metric: the held-out score on ``task``.

    The reservoir already carries the run's seed as its ``random_state``.
    """
    return task_scores(reservoir, task, validate=False)["test"]


def quiet_memory_capacity(reservoir, random_state):
    """``parameter_sweep``'s memory capacity metric, without the supercritical warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return memory_capacity(reservoir, random_state=random_state)


def quiet_max_lyapunov(reservoir, random_state):
    """``parameter_sweep``'s largest-Lyapunov metric, without the supercritical warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return max_lyapunov_exponent(reservoir, random_state=random_state)


DYNAMICS_METRICS = {"memory_capacity": quiet_memory_capacity, "max_lyapunov": quiet_max_lyapunov}


# --------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------


def _esn(gain):
    return {"residual": "none", "coupling": 1.0, "recurrent_gain": gain}


def _leaky(leak):
    return {
        "residual": "identity",
        "residual_scale": round(1.0 - leak, 12),
        "coupling": leak,
        "recurrent_gain": 0.9,
    }


def _wcrnn(residual, coupling, **extra):
    return {"residual": residual, "coupling": coupling, **extra}


# name -> (knob label, default value, grid, params(value))
MODELS = {
    "ESN": ("spectral radius", 0.9, (0.5, 0.9, 1.2), _esn),
    "leaky ESN": ("leak rate", 0.3, (0.1, 0.3, 0.6), _leaky),
    "WCRNN identity 0.99": (
        "coupling",
        0.01,
        (0.003, 0.01, 0.03),
        lambda c: _wcrnn("identity", c, residual_scale=0.99),
    ),
    "WCRNN rotational": (
        "coupling",
        0.1,
        (0.03, 0.1, 0.3),
        lambda c: _wcrnn("rotational", c, residual_scale=0.95),
    ),
    "WCRNN heterogeneous": (
        "coupling",
        0.1,
        (0.03, 0.1, 0.3),
        lambda c: _wcrnn("heterogeneous", c),
    ),
}


def make_reservoir(params, seed):
    """The N=100 reservoir every model shares, with ``params`` on top."""
    return WCRNNReservoir(
        n_units=N_UNITS, sequence_features="last", random_state=int(seed), **params
    )


def _mean_state_scores(model, seed, tasks):
    """Test scores with the mean state over time as features (default settings)."""
    params = MODELS[model][3](MODELS[model][1])
    reservoir = make_reservoir(params, seed).set_params(sequence_features="mean")
    with threadpool_limits(limits=1):
        return {
            name: task_scores(reservoir, task, validate=False)["test"]
            for name, task in tasks.items()
        }


def _evaluate(model, value, seed, tasks):
    params = MODELS[model][3](value)
    with threadpool_limits(limits=1):  # parallelism comes from joblib
        return {
            name: task_scores(make_reservoir(params, seed), task) for name, task in tasks.items()
        }


# --------------------------------------------------------------------------------------
# Tables and figure
# --------------------------------------------------------------------------------------


def _format(values, name):
    values = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(values)):
        return "diverged"
    if name == "adding" and np.mean(values) < 1e-3:  # near-perfect: keep the magnitude
        return f"{np.mean(values):.1e} ± {np.std(values):.0e}"
    return mean_std(values, digits=4 if name == "adding" else 3)


def _select(scores, model, task, greater_is_better):
    """The knob value with the best mean validation score over seeds."""
    grid = MODELS[model][2]
    # A knob value with a diverged seed (NaN) counts as the worst.
    means = [np.mean([s["val"] for s in scores[model, v, task]]) for v in grid]
    means = np.where(np.isfinite(means), means, -np.inf if greater_is_better else np.inf)
    return grid[int(np.argmax(means) if greater_is_better else np.argmin(means))]


def _skill(value, best, chance):
    """1 for the best model on the task, 0 for a constant prediction (chance)."""
    return (value - chance) / (best - chance)


def _figure(tables, tasks):
    import matplotlib.pyplot as plt

    style()
    fig, axes = plt.subplots(2, 1, figsize=(12, 8.5), sharex=True)
    models = list(MODELS)
    width = 0.8 / len(models)
    # One best per task over both panels, so that the panels compare.
    bests = {}
    for name, task in tasks.items():
        means = [np.mean(table[m][name]) for table in tables.values() for m in models]
        bests[name] = (np.nanmax if task.greater_is_better else np.nanmin)(means)
    for ax, (title, table) in zip(axes, tables.items(), strict=True):
        for j, name in enumerate(tasks):
            task = tasks[name]
            means = np.array([np.mean(table[m][name]) for m in models])
            stds = np.array([np.std(table[m][name]) for m in models])
            finite = np.isfinite(means)
            best = bests[name]
            skill = _skill(means, best, task.chance)
            err = stds / abs(best - task.chance)
            for i, model in enumerate(models):
                x = j + (i - (len(models) - 1) / 2) * width
                shown = np.clip(skill[i], -0.2, 1.05) if finite[i] else -0.2
                off = not (finite[i] and skill[i] >= -0.2)
                ax.bar(
                    x, shown, width, yerr=err[i] if finite[i] else 0, capsize=2,
                    color=PALETTE[i], edgecolor="white" if not off else "black",
                    label=MODEL_LABELS[model] if j == 0 else None,
                    hatch="//" if off else None,
                )  # fmt: skip
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_ylim(-0.25, 1.15)
        ax.set_ylabel("skill (0: chance, 1: best)")
        ax.set_title(title)
    axes[-1].set_xticks(range(len(tasks)), [TASK_AXIS_LABELS[name] for name in tasks])
    panel_letters(axes, x=-0.06)
    fig.suptitle(
        f"Baselines against WCRNNs ($N = {N_UNITS}$): test scores as skill = "
        "(score − chance) / (best − chance), best over both panels\n"
        "mean ± std over seeds; black-edged hatched bars: below −0.2 or diverged"
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, ncol=len(models), loc="lower center", frameon=False,
               handlelength=1.2, columnspacing=1.2)  # fmt: skip
    return fig


def replot(record):
    """Redraw the figure from a saved JSON record; only the tasks' chance levels are rebuilt."""
    tasks = {name: load_task(name, full=record["full"]) for name in TASKS}
    scores = record["scores"]
    tables = {}
    for label in ("defaults", "tuned on validation"):
        tables[f"{label} (test scores)"] = {
            model: {
                name: [s["test"] for s in scores[f"{model}|{value}|{name}"]]
                for name, value in record["chosen"][f"{label}|{model}"].items()
            }
            for model in MODELS
        }
    return _figure(tables, tasks)


def main(argv=None):
    """Evaluate every model on every task; print and write the tables and the figure."""
    parser = finding_parser(__doc__)
    args = parser.parse_args(argv)
    if args.replot:
        save_figure(NAME, replot(load_record(NAME)))
        return
    started = time.perf_counter()
    tasks = {name: load_task(name, full=args.full, data_home=args.data_home) for name in TASKS}
    # The network seeds of parameter_sweep(random_state=0), so that the dynamics below
    # are those of the scored networks (its drives have seeds of their own).
    seeds = draw_seeds(0, args.seeds)
    jobs = [
        (model, value, seed)
        for model, spec in MODELS.items()
        for value in spec[2]
        for seed in seeds
    ]
    outputs = Parallel(n_jobs=args.n_jobs)(
        delayed(_evaluate)(model, value, seed, tasks) for model, value, seed in jobs
    )
    scores = {}
    for (model, value, _), out in zip(jobs, outputs, strict=True):
        for name, result in out.items():
            scores.setdefault((model, value, name), []).append(result)

    # Dynamics of every configuration (i.i.d. drive), through parameter_sweep.
    grid = [
        {key: [val] for key, val in spec[3](value).items()}
        for spec in MODELS.values()
        for value in spec[2]
    ]
    dynamics = parameter_sweep(
        WCRNNReservoir(n_units=N_UNITS, sequence_features="last"),
        grid,
        metrics=DYNAMICS_METRICS,
        n_seeds=args.seeds,
        n_jobs=args.n_jobs,
        random_state=0,
    )
    points = [(model, value) for model, spec in MODELS.items() for value in spec[2]]

    # Aside: the classification tasks with the mean state instead of the last state.
    aside_tasks = {name: tasks[name] for name in ASIDE_TASKS}
    aside = Parallel(n_jobs=args.n_jobs)(
        delayed(_mean_state_scores)(model, seed, aside_tasks) for model in MODELS for seed in seeds
    )
    aside_rows = []
    for i, model in enumerate(MODELS):
        runs = aside[i * len(seeds) : (i + 1) * len(seeds)]
        default = MODELS[model][1]
        cells = []
        for name in ASIDE_TASKS:
            cells.append(_format([s["test"] for s in scores[model, default, name]], name))
            cells.append(_format([run[name] for run in runs], name))
        aside_rows.append([model, *cells])
    aside_headers = ["model (defaults)"] + [
        f"{TASK_LABELS[name]} ({features} state)"
        for name in ASIDE_TASKS
        for features in ("last", "mean")
    ]

    def dyn(model, value, metric):
        i = points.index((model, value))
        return [dynamics[f"seed{j}_{metric}"][i] for j in range(args.seeds)]

    headers = ["model", "setting", *(TASK_LABELS[t] for t in TASKS), "MC", "lambda_max"]
    rows, tables, chosen = [], {}, {}
    for label, tuned in (("defaults", False), ("tuned on validation", True)):
        table = {}
        for model, (knob, default, _, _) in MODELS.items():
            table[model] = {}
            picks = {}
            for name, task in tasks.items():
                value = _select(scores, model, name, task.greater_is_better) if tuned else default
                picks[name] = value
                table[model][name] = [s["test"] for s in scores[model, value, name]]
            chosen[label, model] = picks
            if tuned:
                setting = f"{knob} per task: " + ", ".join(f"{picks[t]:g}" for t in TASKS)
                mc = lyap = None
            else:
                setting = f"{knob} {default:g}"
                mc = mean_std(dyn(model, default, "memory_capacity"), digits=1)
                lyap = mean_std(dyn(model, default, "max_lyapunov"), digits=4)
            rows.append(
                [f"{model} ({label})" if tuned else model, setting]
                + [_format(table[model][t], t) for t in TASKS]
                + [mc, lyap]
            )
        tables[label] = table
    chance_row = ["constant prediction (chance)", "-"] + [
        f"{tasks[t].chance:.4f}" if t == "adding" else f"{tasks[t].chance:.3f}" for t in TASKS
    ]
    rows.append(chance_row + [None, None])

    dynamics_rows = [
        [model, f"{value:g}"]
        + [mean_std(dyn(model, value, "memory_capacity"), digits=1)]
        + [mean_std(dyn(model, value, "max_lyapunov"), digits=4)]
        for model, value in points
    ]
    figure = (
        None
        if args.no_save
        else _figure({f"{label} (test scores)": table for label, table in tables.items()}, tasks)
    )
    payload = {
        "n_units": N_UNITS,
        "seeds": [int(s) for s in seeds],
        "full": args.full,
        "tasks": {name: task.description for name, task in tasks.items()},
        "models": {
            model: {
                "knob": spec[0],
                "default": spec[1],
                "grid": list(spec[2]),
                "params_default": spec[3](spec[1]),
            }
            for model, spec in MODELS.items()
        },  # fmt: skip
        "scores": {
            f"{model}|{value}|{name}": result for (model, value, name), result in scores.items()
        },
        "chosen": {f"{label}|{model}": picks for (label, model), picks in chosen.items()},
        "dynamics_headers": ["model", "knob value", "MC", "lambda_max"],
        "dynamics_rows": dynamics_rows,
        "mean_state_headers": aside_headers,
        "mean_state_rows": aside_rows,
        "wall_time_s": time.perf_counter() - started,
    }
    report(NAME, headers, rows, payload=payload, figure=figure, save=not args.no_save,
           started=started)  # fmt: skip

    print("\nDynamics of every grid point (i.i.d. uniform drive, mean ± std over seeds):")
    print(markdown_table(payload["dynamics_headers"], dynamics_rows))
    print("\nAside: last state against mean state as the sequence features (defaults):")
    print(markdown_table(aside_headers, aside_rows))


if __name__ == "__main__":
    main()
