"""Parameter sweeps of the dynamics and scores, in parallel with joblib; dynamics scorers.

A sweep evaluates every point of a parameter grid on ``n_seeds`` networks: the
memory capacity, the largest Lyapunov exponent (or any metric of the reservoir),
and with data a cross-validated score. It runs through :class:`joblib.Parallel`, so
any joblib backend spreads it out, including a dask.distributed cluster::

    from dask.distributed import Client
    import joblib

    client = Client("tcp://scheduler:8786")
    with joblib.parallel_backend("dask"):
        results = parameter_sweep(WCRNNReservoir(), grid, n_seeds=5)
"""

import numbers
import time
import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid, cross_validate
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from ._config import single_blas_thread
from ._network import find_reservoir, network_of
from .analysis import max_lyapunov_exponent, memory_capacity
from .estimators import WCRNNClassifier, WCRNNRegressor
from .reservoir import WCRNNReservoir

__all__ = ["draw_seeds", "edge_of_chaos_scorer", "memory_capacity_scorer", "parameter_sweep"]


def _memory_capacity_metric(reservoir, random_state):
    return memory_capacity(reservoir, random_state=random_state)


def _max_lyapunov_metric(reservoir, random_state):
    return max_lyapunov_exponent(reservoir, random_state=random_state)


def _spectral_radius_metric(reservoir, random_state):
    return network_of(reservoir, lambda: np.zeros((1, 1))).residual_radius


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


def _sweep_reservoir(estimator):
    """The (unfitted) reservoir inside an unfitted estimator or pipeline, or None."""
    if isinstance(estimator, WCRNNReservoir):
        return estimator
    if isinstance(estimator, (WCRNNRegressor, WCRNNClassifier)):
        return WCRNNReservoir() if estimator.reservoir is None else estimator.reservoir
    for _, step in getattr(estimator, "steps", []):
        found = _sweep_reservoir(step)
        if found is not None:
            return found
    return None


def _with_seed(estimator, seed):
    """Clone-safe: put ``seed`` in every random_state of ``estimator`` (nested too)."""
    if isinstance(estimator, (WCRNNRegressor, WCRNNClassifier)) and estimator.reservoir is None:
        estimator.set_params(reservoir=WCRNNReservoir())
    keys = [
        key
        for key in estimator.get_params(deep=True)
        if key == "random_state" or key.endswith("__random_state")
    ]
    return estimator.set_params(**dict.fromkeys(keys, int(seed)))


def _evaluate(estimator, params, seed, X, y, metrics, scoring, cv):
    # One BLAS thread per run, whatever the backend: the numbers then do not depend on
    # n_jobs (BLAS results can change in the last bits with the thread count), and
    # parallel runs do not oversubscribe the cores. Warnings are recorded and handed
    # back, because the caller's warning filters do not reach worker processes.
    with single_blas_thread(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values, seconds = _evaluate_one(estimator, params, seed, X, y, metrics, scoring, cv)
    return values, seconds, [(w.category, str(w.message)) for w in caught]


def _evaluate_one(estimator, params, seed, X, y, metrics, scoring, cv):
    start = time.perf_counter()
    estimator = _with_seed(clone(estimator).set_params(**params), seed)
    values = {}
    if metrics:
        reservoir = clone(_sweep_reservoir(estimator))
        if X is not None:
            reservoir.fit(X)  # the network the data sees (features, data-chosen angles)
        for name, metric in metrics.items():
            values[name] = float(metric(reservoir, seed))
    if y is not None:
        scores = cross_validate(estimator, X, y, scoring=scoring, cv=cv, error_score="raise")
        values["score"] = float(np.mean(scores["test_score"]))
    return values, time.perf_counter() - start


def _progress(iterable, total, verbose):
    if not verbose:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:  # joblib prints its own progress instead
        return iterable
    return tqdm(iterable, total=total, desc="sweep", unit="run")


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
    random_state=None,
    verbose=0,
):
    """Evaluate the dynamics (and, with data, the score) over a parameter grid.

    Every grid point runs on ``n_seeds`` networks. The seeds are drawn once, up
    front, from ``random_state``, and each run puts its seed into every
    ``random_state`` parameter of a clone of ``estimator`` (nested ones too); every
    grid point sees the same seeds (common random numbers: differences between
    points are not seed noise). Each run uses one BLAS thread, so the results are
    identical for every ``n_jobs`` and joblib backend; parallelism comes from
    ``n_jobs`` (or the cluster's workers). Warnings raised in the runs (such as
    :class:`~wcrnn_rc.SupercriticalResidualWarning`) are collected and issued once
    each, in the calling process, so the caller's warning filters apply to them.

    Parameters
    ----------
    estimator : WCRNNReservoir, WCRNNRegressor, WCRNNClassifier or Pipeline
        The model to sweep; it is cloned for every run. The metrics use the
        reservoir inside it.
    param_grid : dict or list of dicts
        As in :class:`~sklearn.model_selection.GridSearchCV`, e.g.
        ``{"residual_scale": [0.9, 0.99], "coupling": [0.01, 0.1]}`` for a reservoir
        or ``{"reservoir__coupling": [...]}`` for an estimator.
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
        ``{name: callable(reservoir, random_state) -> float}`` (the reservoir may be
        unfitted; the analysis functions fit a clone on their drive). An empty tuple
        computes none.
    scoring : str or callable, default=None
        Scorer for the cross-validated score, as in
        :func:`~sklearn.model_selection.cross_validate`; None uses the estimator's
        ``score``.
    cv : int, cross-validation generator or iterable, default=None
        As in :func:`~sklearn.model_selection.cross_validate` (5 folds by default).
        For one long series, a :class:`~sklearn.model_selection.TimeSeriesSplit`
        keeps the folds in time order.
    n_seeds : int, default=1
        Networks per grid point.
    n_jobs : int, default=None
        Parallel runs, as in :class:`joblib.Parallel`; None uses the active joblib
        backend's default (one job, or all workers of a dask cluster under
        ``joblib.parallel_backend("dask")``).
    random_state : int, RandomState instance or None, default=None
        Draws the seeds. Pass an int for reproducible output across multiple
        function calls.
    verbose : int, default=0
        Above 0, show a progress bar (tqdm, when installed; joblib's messages
        otherwise).

    Returns
    -------
    results : dict of ndarray
        One entry per grid point, in the style of ``GridSearchCV.cv_results_``
        (``pandas.DataFrame(results)`` makes a table):

        - ``params``: the grid points; ``param_<name>``: masked arrays of values;
        - for each metric m (and ``score`` with data): ``seed<j>_<m>`` per seed,
          ``mean_<m>`` and ``std_<m>`` over seeds;
        - ``mean_time``, ``std_time``: seconds per run.

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
    """
    metric_functions = _metric_functions(metrics)
    if y is not None and X is None:
        raise ValueError("y was given without X.")
    if metric_functions and _sweep_reservoir(estimator) is None:
        raise TypeError(
            f"{type(estimator).__name__} has no WCRNNReservoir to measure; pass a "
            "WCRNNReservoir, a WCRNN estimator or a pipeline with one, or metrics=()."
        )
    if not metric_functions and y is None:
        raise ValueError("Nothing to compute: give metrics, or X and y to score.")
    points = list(ParameterGrid(param_grid))
    seeds = draw_seeds(random_state, n_seeds)

    tasks = [
        delayed(_evaluate)(estimator, params, seed, X, y, metric_functions, scoring, cv)
        for params in points
        for seed in seeds
    ]
    use_bar = bool(verbose) and _tqdm_available()
    parallel = Parallel(
        n_jobs=n_jobs,
        return_as="generator" if use_bar else "list",
        verbose=0 if use_bar else verbose,
    )
    outputs = list(_progress(parallel(tasks), len(tasks), use_bar))
    _reissue_warnings(outputs)
    return _collect(points, n_seeds, outputs)


def _reissue_warnings(outputs):
    """Warn once per distinct warning the runs recorded, here in the caller's process.

    The caller's filters then apply, and the same warnings appear for any n_jobs or
    backend, in the order of the grid.
    """
    seen = set()
    for _, _, caught in outputs:
        for category, message in caught:
            if (category, message) not in seen:
                seen.add((category, message))
                warnings.warn(message, category, stacklevel=3)


def draw_seeds(random_state, n_seeds):
    """The network seeds a sweep uses, drawn up front from ``random_state``.

    Seed j is the ``random_state`` of network j at every grid point, so another tool
    (the command line's ``memory`` and ``lyapunov``) can rebuild a sweep's network j.

    Parameters
    ----------
    random_state : int, RandomState instance or None
        As passed to :func:`parameter_sweep`.
    n_seeds : int
        Number of seeds.

    Returns
    -------
    seeds : ndarray of shape (n_seeds,)
        Integers in ``[0, 2**31 - 1)``.

    Examples
    --------
    >>> from wcrnn_rc.sweeps import draw_seeds
    >>> draw_seeds(0, 3).shape
    (3,)
    >>> bool((draw_seeds(0, 3) == draw_seeds(0, 3)).all())
    True
    """
    return check_random_state(random_state).randint(np.iinfo(np.int32).max, size=n_seeds)


def _tqdm_available():
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def _collect(points, n_seeds, outputs):
    n_points = len(points)
    results = {"params": points}
    for name in sorted({key for params in points for key in params}):
        column = np.ma.MaskedArray(np.empty(n_points, dtype=object), mask=True)
        for i, params in enumerate(points):
            if name in params:
                column[i] = params[name]
        results[f"param_{name}"] = column
    values = [out[0] for out in outputs]
    for name in values[0]:
        table = np.array([v[name] for v in values]).reshape(n_points, n_seeds)
        for j in range(n_seeds):
            results[f"seed{j}_{name}"] = table[:, j]
        results[f"mean_{name}"] = table.mean(axis=1)
        results[f"std_{name}"] = table.std(axis=1)
    times = np.array([out[1] for out in outputs]).reshape(n_points, n_seeds)
    results["mean_time"] = times.mean(axis=1)
    results["std_time"] = times.std(axis=1)
    return results


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
    return float(find_reservoir(estimator)[0].memory_capacity_)


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
    reservoir = find_reservoir(estimator)[0]
    return -abs(max_lyapunov_exponent(reservoir, random_state=0))
