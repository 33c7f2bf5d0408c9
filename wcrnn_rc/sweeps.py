"""Parameter sweeps of the dynamics and scores, in parallel with joblib; dynamics scorers.

A sweep evaluates every point of a parameter grid on ``n_seeds`` networks: the
memory capacity, the largest Lyapunov exponent (or any metric of the reservoir),
and with data a cross-validated score. It runs through :class:`joblib.Parallel`
(threads by default: the kernels and BLAS release the GIL), so any joblib backend
spreads it out, including a dask.distributed cluster::

    from dask.distributed import Client
    import joblib

    client = Client("tcp://scheduler:8786")
    with joblib.parallel_config(backend="dask"):
        results = parameter_sweep(WCRNNReservoir(), grid, n_seeds=5)
"""

import numbers
import os
import threading
import time
import warnings
from collections import Counter

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.model_selection import ParameterGrid, cross_validate
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted

from ._config import single_blas_thread
from .analysis import max_lyapunov_exponent, memory_capacity
from .estimators import WCRNNClassifier, WCRNNRegressor
from .reservoir import WCRNNReservoir

__all__ = ["draw_seeds", "edge_of_chaos_scorer", "memory_capacity_scorer", "parameter_sweep"]

# The estimators that hold a reservoir as their ``reservoir`` parameter (None: default).
_ESTIMATORS = (WCRNNRegressor, WCRNNClassifier)

# joblib's backend hint. Threads win on every sweep measured (benchmarks/bench_sweep.py):
# the kernels and BLAS release the GIL, and a thread starts in microseconds where a
# loky worker pays about 1.5 s of imports. parallel_config(backend=...) overrides it.
_PREFER = "threads"


def _memory_capacity_metric(reservoir, random_state):
    return memory_capacity(reservoir, random_state=random_state)


def _max_lyapunov_metric(reservoir, random_state):
    return max_lyapunov_exponent(reservoir, random_state=random_state)


def _spectral_radius_metric(reservoir, random_state):
    try:
        check_is_fitted(reservoir)
    except NotFittedError:  # the residual does not depend on the input: fit on any
        reservoir = clone(reservoir).fit(np.zeros((1, 1)))
    return reservoir.residual_.spectral_radius_


METRICS = {
    "memory_capacity": _memory_capacity_metric,
    "max_lyapunov": _max_lyapunov_metric,
    "spectral_radius": _spectral_radius_metric,
}


def _metric_functions(metrics):
    if isinstance(metrics, dict):
        items = list(metrics.items())
    else:
        items = [(name, name) for name in metrics]
    functions = {}
    for name, metric in items:
        if isinstance(metric, str):
            if metric not in METRICS:
                raise ValueError(
                    f"Unknown metric {metric!r}; use one of {sorted(METRICS)} or give "
                    "{name: callable(reservoir, random_state) -> float}."
                )
            metric = METRICS[metric]
        elif not callable(metric):
            raise TypeError(f"Metric {name!r} must be a name or a callable.")
        functions[name] = metric
    return functions


# --------------------------------------------------------------------------------------
# Finding and seeding the reservoirs inside an estimator (public API only)
# --------------------------------------------------------------------------------------


def _nested(estimator):
    """``(path, object)`` for ``estimator`` (path "") and each of its nested parameters."""
    yield "", estimator
    if hasattr(estimator, "get_params"):
        yield from estimator.get_params(deep=True).items()


def _first_reservoir(estimator):
    """The first WCRNNReservoir in ``estimator`` (itself, a parameter or a step), or None."""
    for _, value in _nested(estimator):
        if isinstance(value, WCRNNReservoir):
            return value
    return None


def _seeded(estimator, seed):
    """``estimator`` (a clone, changed in place) with ``seed`` in every random_state.

    A WCRNN estimator's default reservoir (``reservoir=None``), at any depth, is made
    explicit first, so that it has a ``random_state`` to set. Raises a ValueError when
    a reservoir is reachable but did not take the seed.
    """
    defaults = {
        _join(path, "reservoir"): WCRNNReservoir()
        for path, value in _nested(estimator)
        if isinstance(value, _ESTIMATORS) and value.reservoir is None
    }
    if defaults:
        estimator.set_params(**defaults)
    keys = [
        key
        for key in estimator.get_params(deep=True)
        if key == "random_state" or key.endswith("__random_state")
    ]
    estimator.set_params(**dict.fromkeys(keys, seed))
    for path, value in _nested(estimator):
        unseeded = (isinstance(value, WCRNNReservoir) and value.random_state != seed) or (
            isinstance(value, _ESTIMATORS) and value.reservoir is None
        )
        if unseeded:
            where = f"the reservoir at {path!r}" if path else "the reservoir"
            raise ValueError(
                f"Cannot seed {where} of {type(estimator).__name__}: "
                f"set_params({_join(path, 'random_state')}=...) did not reach it, so the "
                "sweep could not be reproduced. Give it a reservoir whose random_state "
                "its set_params sets."
            )
    return estimator


def _join(path, name):
    return f"{path}__{name}" if path else name


# --------------------------------------------------------------------------------------
# One run: a grid point on one network, with its own drive
# --------------------------------------------------------------------------------------


def _evaluate(index, estimator, params, seeds, X, y, metrics, scoring, cv, error_score, caller_pid):
    """Evaluate run ``index``; returns ``(index, values, errors, seconds, warnings)``.

    In the caller's process (serial, or a thread) the run's warnings go through the
    caller's filters as they are raised. In another process they are recorded, with a
    hook that is safe when that process runs several tasks in threads (dask workers),
    and issued again by the caller.
    """
    if os.getpid() == caller_pid:
        return (
            index,
            *_evaluate_one(estimator, params, seeds, X, y, metrics, scoring, cv, error_score),
            (),
        )
    with _recorded_warnings() as caught:
        values, errors, seconds = _evaluate_one(
            estimator, params, seeds, X, y, metrics, scoring, cv, error_score
        )
    return index, values, errors, seconds, tuple(caught)


def _evaluate_one(estimator, params, seeds, X, y, metrics, scoring, cv, error_score):
    start = time.perf_counter()
    network_seed, drive_seed = seeds
    estimator = _seeded(clone(estimator).set_params(**clone(params, safe=False)), network_seed)
    values, errors = {}, {}

    def attempt(name, compute):
        try:
            values[name] = float(compute())
        except Exception as error:
            if error_score == "raise":
                raise
            values[name], errors[name] = float(error_score), _describe(error)

    if metrics:
        reservoir = clone(_first_reservoir(estimator))
        fit_error = None
        try:
            if X is not None:
                reservoir.fit(X)  # the network the data sees (features, data-chosen angles)
        except Exception as error:
            if error_score == "raise":
                raise
            fit_error = _describe(error)
        for name, metric in metrics.items():
            if fit_error is None:
                attempt(name, lambda metric=metric: metric(reservoir, drive_seed))
            else:  # no network to measure: every metric fails with the fit
                values[name], errors[name] = float(error_score), fit_error
    if y is not None:

        def score():
            cv_results = cross_validate(
                estimator, X, y, scoring=scoring, cv=cv, error_score="raise"
            )
            return np.mean(cv_results["test_score"])

        attempt("score", score)
    return values, errors, time.perf_counter() - start


def _describe(error):
    return f"{type(error).__name__}: {error}"


# Recording warnings in a worker process. warnings.catch_warnings swaps process-global
# state, so two threads of one worker (a dask worker with threads_per_worker > 1) would
# lose or leak each other's warnings. Instead a hook, installed once per process, hands
# each warning to the list of the thread that raised it; a filter that matches only in
# threads running a sweep task lets all of theirs through ("always"), so each reaches the
# caller's filters once, while other threads keep the process's own filters.
_recording = threading.local()
_hook_lock = threading.Lock()


class _InSweepTask:
    """A warning filter's message pattern that matches in a thread recording warnings."""

    def match(self, text):
        return getattr(_recording, "sink", None) is not None


_IN_SWEEP_TASK = _InSweepTask()


def _show_or_record(message, category, filename, lineno, file=None, line=None):
    sink = getattr(_recording, "sink", None)
    if sink is None:
        _show_or_record.shown(message, category, filename, lineno, file, line)
    else:
        sink.append((category, str(message)))


class _recorded_warnings:
    def __enter__(self):
        with _hook_lock:
            # (Re)install when missing: a catch_warnings block elsewhere may have
            # restored the process's own showwarning or filter list around it.
            if warnings.showwarning is not _show_or_record:
                _show_or_record.shown = warnings.showwarning
                warnings.showwarning = _show_or_record
            if not any(item[1] is _IN_SWEEP_TASK for item in warnings.filters):
                warnings.filters.insert(0, ("always", _IN_SWEEP_TASK, Warning, None, 0))
        _recording.sink = []
        return _recording.sink

    def __exit__(self, *exc_info):
        _recording.sink = None
        return False


# --------------------------------------------------------------------------------------
# The sweep
# --------------------------------------------------------------------------------------


def _progress(iterable, total, verbose):
    if not verbose:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc="sweep", unit="run")


def _tqdm_available():
    try:
        import tqdm  # noqa: F401
    except ImportError:  # joblib prints its own progress instead
        return False
    return True


@validate_params(
    {
        "estimator": [object],
        "param_grid": [dict, list],
        "X": ["array-like", None],
        "y": ["array-like", None],
        "metrics": [list, tuple, dict],
        "scoring": [str, callable, None],
        "cv": ["cv_object"],
        "n_seeds": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_jobs": [numbers.Integral, None],
        "error_score": [StrOptions({"raise"}), numbers.Real],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=False,
)
def parameter_sweep(
    estimator,
    param_grid,
    X=None,
    y=None,
    *,
    metrics=("memory_capacity", "max_lyapunov"),
    scoring=None,
    cv=None,
    n_seeds=1,
    n_jobs=None,
    error_score=np.nan,
    random_state=None,
    verbose=0,
):
    """Evaluate the dynamics (and, with data, the score) over a parameter grid.

    Every grid point runs on ``n_seeds`` networks. Run j uses two seeds, spawned
    independently from ``random_state`` (see :func:`draw_seeds`): the network seed,
    put into every ``random_state`` parameter of a clone of ``estimator`` (nested
    ones too: a WCRNN estimator's default reservoir is made explicit so that it is
    seeded), and the drive seed, passed to the metrics. Every grid point sees the
    same seeds (common random numbers: differences between points are not seed
    noise).

    The runs go through :class:`joblib.Parallel`, on threads unless a backend is
    chosen with :func:`joblib.parallel_config` (the kernels and BLAS release the
    GIL, and threads start at once, where worker processes pay their imports).
    Every run does its linear algebra on one BLAS thread: the sweep sets this in
    the calling process for its duration, and worker processes start that way (set
    ``parallel_config(backend="loky", inner_max_num_threads=1)``; dask's workers
    do by default). The arithmetic is then the same whatever runs it, so the
    numbers are identical for every ``n_jobs`` and backend. Each warning raised in a
    run (such as :class:`~wcrnn_rc.SupercriticalResidualWarning`) reaches the
    caller's warning filters once: directly from threads of the calling process,
    re-issued in the caller from worker processes.

    Parameters
    ----------
    estimator : WCRNNReservoir, WCRNNRegressor, WCRNNClassifier or Pipeline
        The model to sweep; it is cloned for every run. The metrics use the first
        reservoir inside it (itself, a WCRNN estimator's reservoir, a pipeline
        step). Custom metrics and estimators must be thread-safe under the default
        backend (they are, if they keep no shared state).
    param_grid : dict or list of dicts
        As in :class:`~sklearn.model_selection.GridSearchCV`, e.g.
        ``{"residual_scale": [0.9, 0.99], "coupling": [0.01, 0.1]}`` for a reservoir
        or ``{"reservoir__coupling": [...]}`` for an estimator. It must have at
        least one point.
    X : array-like, default=None
        Input. With ``y``, the estimator is cross-validated on it. Without, the
        reservoir is still fitted on it before the metrics (its number of features,
        and data-chosen rotation angles, then match the data).
    y : array-like, default=None
        Targets; with X, each run also reports the mean cross-validated ``score``.
    metrics : sequence of str or dict, default=("memory_capacity", "max_lyapunov")
        Names among ``"memory_capacity"`` (:func:`~wcrnn_rc.analysis.memory_capacity`),
        ``"max_lyapunov"`` (:func:`~wcrnn_rc.analysis.max_lyapunov_exponent`) and
        ``"spectral_radius"`` (of the residual), or a dict
        ``{name: callable(reservoir, random_state) -> float}``; ``random_state`` is
        the run's drive seed (the reservoir may be unfitted; the analysis functions
        fit a clone on their drive). An empty tuple computes none.
    scoring : str or callable, default=None
        Scorer for the cross-validated score, as in
        :func:`~sklearn.model_selection.cross_validate`; None uses the estimator's
        ``score``.
    cv : int, cross-validation generator or iterable, default=None
        As in :func:`~sklearn.model_selection.cross_validate` (5 folds by default).
        For one long series, a :class:`~sklearn.model_selection.TimeSeriesSplit`
        keeps the folds in time order.
    n_seeds : int, default=1
        Networks (and drives) per grid point.
    n_jobs : int, default=None
        Parallel runs, as in :class:`joblib.Parallel`; None uses the active joblib
        backend's default (one job, or all workers of a dask cluster under
        ``parallel_config(backend="dask")``).
    error_score : "raise" or float, default=np.nan
        Value of a metric, or of the score, whose computation raised (a network
        whose states overflow raises ``FloatingPointError``), as in
        :class:`~sklearn.model_selection.GridSearchCV`. The other runs go on; a
        :class:`~sklearn.exceptions.FitFailedWarning` says how many failed, and
        ``results["errors"]`` says where and why. If every run fails, a ValueError
        is raised. ``"raise"`` raises the first error instead.
    random_state : int, RandomState instance or None, default=None
        Spawns the network and drive seeds. Pass an int for reproducible output
        across multiple function calls.
    verbose : int, default=0
        Above 0, show a progress bar (tqdm, when installed; joblib's messages
        otherwise).

    Returns
    -------
    results : dict of ndarray
        One entry per grid point, in the style of ``GridSearchCV.cv_results_``
        (``pandas.DataFrame(results)`` makes a table):

        - ``params``: the grid points; ``param_<name>``: masked arrays of values;
        - for each metric m (and ``score`` with data): ``seed<j>_<m>``, the value
          of run j (network j on drive j); ``mean_<m>`` and ``std_<m>``, their mean
          and standard deviation (``ddof=0``) over the ``n_seeds`` runs. The spread
          is over networks and drives together: each run draws both, so ``std_<m>``
          is the spread a new network on a new drive would show;
        - ``n_failed``: the number of runs at the point that raised;
          ``errors``: the list of their messages, as ``"seed <j>, <m>: <error>"``
          (empty where nothing failed);
        - ``mean_time``, ``std_time``: seconds per run.

    See Also
    --------
    draw_seeds : The seeds of run j, to rebuild its network and drive.
    wcrnn_rc.plotting.plot_sweep : A metric of the results as a heatmap.

    Examples
    --------
    >>> from wcrnn_rc import WCRNNReservoir
    >>> from wcrnn_rc.sweeps import parameter_sweep
    >>> results = parameter_sweep(
    ...     WCRNNReservoir(n_units=20),
    ...     {"coupling": [0.05, 0.5]},
    ...     metrics=["max_lyapunov"],
    ...     n_seeds=2,
    ...     random_state=0,
    ... )
    >>> list(results["param_coupling"])
    [0.05, 0.5]
    >>> results["mean_max_lyapunov"].shape
    (2,)
    >>> results["n_failed"].tolist()
    [0, 0]
    """
    metric_functions = _metric_functions(metrics)
    if y is not None and X is None:
        raise ValueError("y was given without X.")
    if not metric_functions and y is None:
        raise ValueError("Nothing to compute: give metrics, or X and y to score.")
    points = list(ParameterGrid(param_grid))
    if not points:
        raise ValueError(
            f"param_grid has no points: {param_grid!r}. Give at least one value per "
            "parameter (an empty dict sweeps the estimator as it is)."
        )
    for params in points:  # bad names and unseedable models fail here, before any run
        checked = _seeded(clone(estimator).set_params(**clone(params, safe=False)), 0)
        if metric_functions and _first_reservoir(checked) is None:
            raise TypeError(
                f"{type(estimator).__name__} has no WCRNNReservoir to measure; pass a "
                "WCRNNReservoir, a WCRNN estimator or a pipeline with one, or metrics=()."
            )
    network_seeds, drive_seeds = draw_seeds(random_state, n_seeds, return_drive_seeds=True)
    seeds = [(int(a), int(b)) for a, b in zip(network_seeds, drive_seeds, strict=True)]

    caller = os.getpid()
    tasks = [
        delayed(_evaluate)(
            i * n_seeds + j,
            estimator,
            params,
            seeds[j],
            X,
            y,
            metric_functions,
            scoring,
            cv,
            error_score,
            caller,
        )  # fmt: skip
        for i, params in enumerate(points)
        for j in range(n_seeds)
    ]
    use_bar = bool(verbose) and _tqdm_available()
    parallel = Parallel(
        n_jobs=n_jobs,
        prefer=_PREFER,
        return_as="generator_unordered" if use_bar else "list",
        verbose=0 if use_bar else verbose,
    )
    # In the caller, around the whole sweep (never inside a task): the runs that share
    # its process (serial, threads) then all use one BLAS thread, as worker processes
    # do (loky with inner_max_num_threads=1, dask's nanny), so the arithmetic, hence
    # every number, is the same for any n_jobs and backend.
    with single_blas_thread():
        outputs = list(_progress(parallel(tasks), len(tasks), use_bar))
    outputs.sort(key=lambda out: out[0])  # grid order, whatever finished first
    for _, _, _, _, caught in outputs:  # from worker processes; in grid order
        for category, message in caught:
            warnings.warn(message, category, stacklevel=3)
    results = _collect(points, n_seeds, outputs)
    _report_failures(results, len(outputs), error_score)
    return results


def _report_failures(results, n_runs, error_score):
    n_failed = int(results["n_failed"].sum())
    if not n_failed:
        return
    reasons = Counter(
        message.split(": ", 1)[1] for errors in results["errors"] for message in errors
    )
    summary = "\n".join(f"{count} times: {reason}" for reason, count in reasons.most_common())
    if n_failed == n_runs:
        raise ValueError(f"All the {n_runs} runs of the sweep failed:\n{summary}")
    warnings.warn(
        f"{n_failed} of the {n_runs} runs of the sweep failed; their values are "
        f"error_score={error_score!r}. results['n_failed'] and results['errors'] say "
        f"which. The errors:\n{summary}",
        FitFailedWarning,
        stacklevel=4,
    )


def _collect(points, n_seeds, outputs):
    n_points = len(points)
    results = {"params": points}
    for name in sorted({key for params in points for key in params}):
        column = np.ma.MaskedArray(np.empty(n_points, dtype=object), mask=True)
        for i, params in enumerate(points):
            if name in params:
                column[i] = params[name]
        results[f"param_{name}"] = column
    values = [out[1] for out in outputs]
    for name in values[0]:
        table = np.array([v[name] for v in values]).reshape(n_points, n_seeds)
        for j in range(n_seeds):
            results[f"seed{j}_{name}"] = table[:, j]
        results[f"mean_{name}"] = table.mean(axis=1)
        results[f"std_{name}"] = table.std(axis=1)
    errors = np.empty(n_points, dtype=object)
    n_failed = np.zeros(n_points, dtype=int)
    for i in range(n_points):
        runs = [outputs[i * n_seeds + j][2] for j in range(n_seeds)]
        errors[i] = [
            f"seed {j}, {name}: {message}"
            for j, run in enumerate(runs)
            for name, message in run.items()
        ]
        n_failed[i] = sum(bool(run) for run in runs)
    results["n_failed"] = n_failed
    results["errors"] = errors
    times = np.array([out[3] for out in outputs]).reshape(n_points, n_seeds)
    results["mean_time"] = times.mean(axis=1)
    results["std_time"] = times.std(axis=1)
    return results


@validate_params(
    {
        "random_state": ["random_state"],
        "n_seeds": [Interval(numbers.Integral, 0, None, closed="left")],
        "return_drive_seeds": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def draw_seeds(random_state, n_seeds, *, return_drive_seeds=False):
    """The seeds of a sweep's runs: a network seed and a drive seed for each.

    A :class:`numpy.random.SeedSequence` made from ``random_state`` spawns one child
    per run, and each child spawns two: the network's and the drive's. The two
    streams are independent (no seed is a function of the other), and run j's
    seeds do not depend on ``n_seeds``, so adding seeds keeps the first runs. Run j
    of :func:`parameter_sweep` puts the network seed into the model's
    ``random_state`` and passes the drive seed to the metrics, so another tool (the
    command line's ``memory`` and ``lyapunov``) can rebuild it: ``memory_capacity(
    WCRNNReservoir(..., random_state=network[j]), random_state=drive[j])``.

    Parameters
    ----------
    random_state : int, RandomState instance or None
        As passed to :func:`parameter_sweep`. An int gives the same seeds on every
        call; a RandomState instance is advanced (four draws); None draws fresh
        entropy from the operating system.
    n_seeds : int
        Number of runs.
    return_drive_seeds : bool, default=False
        Return the drive seeds too.

    Returns
    -------
    network_seeds : ndarray of shape (n_seeds,)
        Integers in ``[0, 2**31)``.
    drive_seeds : ndarray of shape (n_seeds,)
        Integers in ``[0, 2**31)``; only with ``return_drive_seeds=True``.

    Examples
    --------
    >>> from wcrnn_rc.sweeps import draw_seeds
    >>> network, drive = draw_seeds(0, 3, return_drive_seeds=True)
    >>> network.shape, drive.shape
    ((3,), (3,))
    >>> bool((draw_seeds(0, 3) == network).all())
    True
    >>> bool((draw_seeds(0, 5)[:3] == network).all())   # more runs, same first three
    True
    """
    if isinstance(random_state, np.random.RandomState):
        root = np.random.SeedSequence(random_state.randint(2**32, size=4, dtype=np.uint64))
    elif random_state is None:
        root = np.random.SeedSequence()
    else:
        root = np.random.SeedSequence(int(random_state))
    pairs = [
        [int(stream.generate_state(1)[0] >> 1) for stream in child.spawn(2)]
        for child in root.spawn(n_seeds)
    ]
    pairs = np.array(pairs, dtype=np.int64).reshape(n_seeds, 2)
    network, drive = pairs[:, 0].copy(), pairs[:, 1].copy()
    return (network, drive) if return_drive_seeds else network


def _find_fitted_reservoir(estimator):
    """The fitted reservoir inside a fitted reservoir, WCRNN estimator or pipeline."""
    if isinstance(estimator, WCRNNReservoir):
        check_is_fitted(estimator)
        return estimator
    if isinstance(estimator, _ESTIMATORS):
        check_is_fitted(estimator)
        return estimator.reservoir_
    for _, step in getattr(estimator, "steps", []):
        if isinstance(step, (WCRNNReservoir, *_ESTIMATORS)):
            return _find_fitted_reservoir(step)
    raise TypeError(
        "Expected a WCRNNReservoir, or a fitted estimator or pipeline containing one; "
        f"got {type(estimator).__name__}."
    )


# --------------------------------------------------------------------------------------
# Scorers: select by dynamics in GridSearchCV
# --------------------------------------------------------------------------------------


def memory_capacity_scorer(estimator, X=None, y=None):
    """Scorer: the fitted reservoir's memory capacity (greater is better).

    A scikit-learn scorer (``scorer(estimator, X, y)``): pass it as ``scoring=`` to
    :class:`~sklearn.model_selection.GridSearchCV`. X and y are ignored; the value is
    the cached ``memory_capacity_`` of the reservoir inside ``estimator`` (i.i.d.
    drive, ``random_state=0``), so it depends on the network alone.

    Parameters
    ----------
    estimator : fitted WCRNNReservoir, WCRNN estimator or pipeline containing one
    X, y : ignored

    Returns
    -------
    score : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from wcrnn_rc import WCRNNReservoir
    >>> from wcrnn_rc.sweeps import memory_capacity_scorer
    >>> X = np.zeros((40, 1))
    >>> search = GridSearchCV(WCRNNReservoir(n_units=10, random_state=0),
    ...                       {"residual": ["identity", "rotational"]},
    ...                       scoring=memory_capacity_scorer, cv=2).fit(X)
    >>> search.best_params_
    {'residual': 'rotational'}
    """
    return float(_find_fitted_reservoir(estimator).memory_capacity_)


def edge_of_chaos_scorer(estimator, X=None, y=None):
    """Scorer: minus the distance of the largest Lyapunov exponent from 0.

    Greater is better, so :class:`~sklearn.model_selection.GridSearchCV` with
    ``scoring=edge_of_chaos_scorer`` picks the network closest to the edge of chaos.
    X and y are ignored; the exponent is
    :func:`~wcrnn_rc.analysis.max_lyapunov_exponent` with i.i.d. drive and
    ``random_state=0``.

    Parameters
    ----------
    estimator : fitted WCRNNReservoir, WCRNN estimator or pipeline containing one
    X, y : ignored

    Returns
    -------
    score : float
        ``-|lambda_max|``, at most 0.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from wcrnn_rc import WCRNNReservoir
    >>> from wcrnn_rc.sweeps import edge_of_chaos_scorer
    >>> X = np.zeros((40, 1))
    >>> search = GridSearchCV(WCRNNReservoir(n_units=20, residual="orthogonal",
    ...                                      coupling=0.01, random_state=0),
    ...                       {"residual_scale": [0.5, 0.9, 0.99]},
    ...                       scoring=edge_of_chaos_scorer, cv=2).fit(X)
    >>> search.best_params_
    {'residual_scale': 0.99}
    """
    reservoir = _find_fitted_reservoir(estimator)
    return -abs(max_lyapunov_exponent(reservoir, random_state=0))
