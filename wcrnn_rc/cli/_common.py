"""What the commands share: the reservoir of the options, warnings, parallel runs."""

import warnings
from contextlib import contextmanager

from joblib import Parallel, delayed

from .._progress import progress
from ..reservoir import SupercriticalResidualWarning, WCRNNReservoir
from ..sweeps import METRICS, draw_seeds


def reservoir(args, **params):
    """The reservoir of the command's options; ``params`` override them."""
    base = {"n_units": args.units, "activation": args.activation, "recurrent_gain": args.gain}
    if not isinstance(args.residual, list):  # one network (memory, lyapunov), not a grid
        base |= {
            "residual": args.residual,
            "residual_scale": args.scale,
            "coupling": args.coupling,
        }
    return WCRNNReservoir(**(base | params))


def check_params(args, grid=None):
    """Have the reservoir check the options' values (its own messages), before any work.

    The analysis functions and parameter_sweep fit their reservoir with scikit-learn's
    nested parameter validation skipped, so a value out of range would otherwise run
    unchecked. ``grid`` maps parameter names to lists of values; each value is checked
    once, the other parameters held at their first values.
    """
    grid = grid or {}
    first = {key: values[0] for key, values in grid.items()}
    reservoir(args, **first)._validate_params()
    for key, values in grid.items():
        for value in values[1:]:
            reservoir(args, **(first | {key: value}))._validate_params()


def describe(args, params=None):
    params = params or {
        "residual": args.residual,
        "residual_scale": args.scale,
        "coupling": args.coupling,
    }
    return (
        f"{params['residual']} residual, scale {params['residual_scale']:g}, coupling "
        f"{params['coupling']:g}, {args.units} units, {args.activation}"
    )


@contextmanager
def quiet():
    # The CLI sweeps across the critical scale on purpose and marks the regime itself;
    # one warning per supercritical network would bury the table.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SupercriticalResidualWarning)
        yield


class SweepMetric:
    """A sweep metric as the library computes it; NaN where the states overflow.

    A module-level class, so that loky and dask workers can unpickle it.
    """

    def __init__(self, name):
        self.name = name

    def __call__(self, reservoir, random_state):
        try:
            return METRICS[self.name](reservoir, random_state)
        except FloatingPointError:  # diverged: a NaN cell
            return float("nan")


def parallel_runs(function, args, desc):
    """``function(args, (network_seed, drive_seed))`` for each of ``--seeds`` networks.

    The seeds are spawned from ``--seed`` apart (``draw_seeds``); the runs go on
    ``--n-jobs``, with a progress bar.
    """
    seeds = list(zip(*draw_seeds(args.seed, args.seeds, return_drive_seeds=True), strict=True))
    runs = Parallel(n_jobs=args.n_jobs, return_as="generator")(
        delayed(function)(args, pair) for pair in seeds
    )
    results = []
    with progress(desc, total=len(seeds), enabled=not args.quiet, unit="network") as bar:
        for result in runs:
            results.append(result)
            bar.update()
    return results


def supercritical_note(scales):
    if max(abs(scale) for scale in scales) > 1:
        print(" note: residual scales above 1 are supercritical: states grow, lambda_max > 0")
