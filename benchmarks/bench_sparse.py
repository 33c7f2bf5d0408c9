"""Benchmark: where the sparse (CSR) recurrent product starts to beat the dense one.

``WCRNNReservoir`` runs W as CSR when its density (the ``density`` parameter for a
drawn W, the non-zero fraction of a given one) is at most
``wcrnn_rc._config.SPARSE_MAX_DENSITY[key]``, where ``key`` is ``"series"`` for one
sequence and ``"batch"`` for several, and as a dense BLAS product otherwise. This
script forces each path by monkeypatching that dict (every entry 0 forces dense,
every entry 1 forces sparse), checks once that the patch does pick the path, and
times ``transform`` for

- ``N`` in ``N_UNITS`` and W density in ``DENSITIES``;
- one series of ``SERIES_STEPS`` steps (every state returned), and a batch of
  ``BATCH_SEQUENCES`` sequences of ``BATCH_STEPS`` steps (last state returned),

with a plain ESN (``residual="none"``, ``coupling=1``, tanh, float64). For each case
it reports the time ratio sparse / dense and the crossover density where that ratio
crosses 1, interpolated log-linearly between the two densities that bracket it.

The sparse product costs about ``density * N**2`` per row and the dense one ``N**2``
whatever the density, so the ratio grows with density: once sparse is
``SKIP_RATIO`` times slower, higher densities are not timed for that case (they
would only add minutes).

Run ``python benchmarks/bench_sparse.py``; it writes
``benchmarks/results/bench_sparse.json``.
"""

import math

import numpy as np
from _common import (
    Contender,
    best,
    fmt_ms,
    fmt_x,
    format_summary,
    format_table,
    machine_info,
    machine_line,
    ratio,
    summary_item,
    time_interleaved,
    write_results,
)

import wcrnn_rc._config as config_module
from wcrnn_rc import WCRNNReservoir

NAME = "bench_sparse"
N_UNITS = (200, 1000)
DENSITIES = (0.01, 0.03, 0.1, 0.3, 1.0)
SERIES_STEPS = 2000
BATCH_SEQUENCES, BATCH_STEPS = 256, 50
REPEATS = 5
SKIP_RATIO = 3.0
SEED = 0
# Values of SPARSE_MAX_DENSITY that force a path, for one series and for batches alike.
FORCE = {
    "dense": {"series": 0.0, "batch": 0.0},
    "sparse": {"series": 1.0, "batch": 1.0},
}


def make_inputs():
    """The two workloads: one series (T, 1) and a batch (B, T, 1)."""
    rng = np.random.default_rng(SEED)
    return {
        "series": rng.uniform(-1.0, 1.0, size=(SERIES_STEPS, 1)),
        "batch": rng.uniform(-1.0, 1.0, size=(BATCH_SEQUENCES, BATCH_STEPS, 1)),
    }


def forced(path, reservoir, X):
    """A call of ``reservoir.transform(X)`` with W forced to the dense or sparse path."""

    def run():
        saved = config_module.SPARSE_MAX_DENSITY
        config_module.SPARSE_MAX_DENSITY = dict(FORCE[path])
        try:
            return reservoir.transform(X)
        finally:
            config_module.SPARSE_MAX_DENSITY = saved

    return run


def crossover(densities, ratios):
    """Density where sparse / dense crosses 1, log-linearly interpolated.

    Returns ``(value, note)``: value None with a note when no bracket exists.
    """
    pairs = [(d, r) for d, r in zip(densities, ratios, strict=True) if r is not None]
    for (d0, r0), (d1, r1) in zip(pairs, pairs[1:], strict=False):
        if r0 <= 1.0 < r1:
            slope = (math.log(d1) - math.log(d0)) / (math.log(r1) - math.log(r0))
            return math.exp(math.log(d0) - math.log(r0) * slope), "interpolated"
    if pairs and all(r > 1.0 for _, r in pairs):
        return None, f"dense wins at every density tested (>= {pairs[0][0]:g})"
    if pairs and all(r <= 1.0 for _, r in pairs):
        return None, f"sparse wins at every density tested (<= {pairs[-1][0]:g})"
    return None, "no single crossing"


def run_case(n_units, workload, X):
    """Time dense and sparse over the densities for one (N, workload) case."""
    points, skipping = [], False
    for density in DENSITIES:
        reservoir = WCRNNReservoir(
            n_units=n_units, residual="none", coupling=1.0, density=density, random_state=SEED
        ).fit(X)
        nonzero = np.count_nonzero(reservoir.recurrent_weights_) / n_units**2
        contenders = [Contender("dense", forced("dense", reservoir, X), REPEATS, warmup=False)]
        if not skipping:
            contenders.append(
                Contender("sparse", forced("sparse", reservoir, X), REPEATS, warmup=False)
            )
        timings = time_interleaved(contenders)
        sparse_over_dense = ratio(best(timings, "sparse"), best(timings, "dense"))
        skipping = skipping or (sparse_over_dense is not None and sparse_over_dense > SKIP_RATIO)
        points.append(
            {
                "density": density,
                "nonzero_fraction": nonzero,
                "timings": timings,
                "sparse_over_dense": sparse_over_dense,
            }
        )
    value, note = crossover(DENSITIES, [p["sparse_over_dense"] for p in points])
    return {
        "n_units": n_units,
        "workload": workload,
        "points": points,
        "crossover": value,
        "crossover_note": note,
    }


def check_forcing():
    """Fail loudly if patching SPARSE_MAX_DENSITY no longer picks the path.

    Uses the fitted network's ``recurrent_operands`` (an empty dense W means the CSR
    path): if the switch moves, the timings would otherwise compare a path with itself.
    """
    reservoir = WCRNNReservoir(n_units=8, density=0.5, random_state=0).fit(np.zeros((5, 1)))
    for path, values in FORCE.items():
        for batched in (False, True):
            saved = config_module.SPARSE_MAX_DENSITY
            config_module.SPARSE_MAX_DENSITY = dict(values)
            try:
                recurrent_t = reservoir.network_.recurrent_operands(np.float64, batched=batched)[0]
            finally:
                config_module.SPARSE_MAX_DENSITY = saved
            picked = "sparse" if recurrent_t.size == 0 else "dense"
            if picked != path:
                raise RuntimeError(
                    f"SPARSE_MAX_DENSITY = {values} ran the {picked} path (batched="
                    f"{batched}), not the {path} one: the switch has changed."
                )


def warm_up(inputs):
    """Compile the kernel for float64 (shared by both paths) outside the timings."""
    check_forcing()
    for X in inputs.values():
        small = X[..., :10, :] if X.ndim == 3 else X[:10]
        reservoir = WCRNNReservoir(n_units=8, residual="none", coupling=1.0, random_state=0)
        for path in FORCE:
            forced(path, reservoir.fit(small), small)()


def main():
    """Time every case, print the ratio table and the crossovers, save them."""
    print(
        f"Sparse vs dense W: plain ESN, N in {N_UNITS}, densities {DENSITIES}; one series "
        f"of {SERIES_STEPS} steps, and a batch of {BATCH_SEQUENCES} x {BATCH_STEPS} steps."
    )
    print(machine_line(machine_info()))
    print(f"Best of {REPEATS} interleaved repeats; JIT warm-up excluded.\n")
    inputs = make_inputs()
    warm_up(inputs)
    current = dict(config_module.SPARSE_MAX_DENSITY)
    cases = [run_case(n, workload, X) for n in N_UNITS for workload, X in inputs.items()]

    headers = ["N", "workload", "density", "dense [ms]", "sparse [ms]", "sparse / dense"]
    rows = []
    for case in cases:
        for point in case["points"]:
            sparse = best(point["timings"], "sparse")
            rows.append(
                [
                    case["n_units"],
                    case["workload"],
                    f"{point['density']:g}",
                    fmt_ms(best(point["timings"], "dense")),
                    "skipped" if "sparse" not in point["timings"] else fmt_ms(sparse),
                    fmt_x(point["sparse_over_dense"]),
                ]
            )
    summary = [
        summary_item(
            f"crossover density, N={case['n_units']}, {case['workload']}",
            case["crossover"],
            unit="",
        )
        for case in cases
    ]
    summary += [
        summary_item(f'SPARSE_MAX_DENSITY["{key}"] (current setting)', value, unit="")
        for key, value in current.items()
    ]
    print(format_table(headers, rows))
    print("\nCrossover (sparse faster below it):")
    for case in cases:
        shown = "-" if case["crossover"] is None else f"{case['crossover']:.3f}"
        label = f"N={case['n_units']:>5}, {case['workload']:<6}"
        print(f"  {label}: {shown}  ({case['crossover_note']})")
    print(f"wcrnn_rc._config.SPARSE_MAX_DENSITY is currently {current}.")
    print("\n" + format_summary(summary))

    path = write_results(
        NAME,
        {
            "parameters": {
                "n_units": N_UNITS,
                "densities": DENSITIES,
                "series_steps": SERIES_STEPS,
                "batch": [BATCH_SEQUENCES, BATCH_STEPS],
                "repeats": REPEATS,
                "skip_ratio": SKIP_RATIO,
                "seed": SEED,
            },
            "sparse_max_density": current,
            "cases": cases,
            "summary": summary,
            "table": {"headers": headers, "rows": rows},
        },
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
