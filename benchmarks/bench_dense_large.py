"""Benchmark: one series through a large dense reservoir, against reservoirpy and NumPy.

Task: one series of ``N_STEPS`` steps with one input feature through a plain ESN of
``N_UNITS`` units with a dense W (``WCRNNReservoir(residual="none", coupling=1.0)``,
tanh, float64), returning all states. Each step is one (1, N) @ (N, N) product, so
this measures the per-step overhead around a large matrix-vector product.

Contenders, all computing the same states:

- wcrnn_rc: ``WCRNNReservoir(...).transform(X)``;
- reservoirpy: ``Reservoir(W=..., Win=..., bias=..., lr=1.0).run(X)``;
- the floor: a bare NumPy loop ``for t: x = np.tanh(W @ x + u[t])`` storing every
  state, with ``u = X @ U.T + b`` computed inside the timed call.

Run ``python benchmarks/bench_dense_large.py``. It prints the ratios of best times and
where wcrnn_rc's time goes, and writes ``benchmarks/results/bench_dense_large.json``.
"""

import numpy as np
from _common import (
    Contender,
    activation_cost,
    best,
    failed,
    fmt_ms,
    fmt_x,
    format_activation_cost,
    format_breakdown,
    format_summary,
    format_table,
    machine_info,
    machine_line,
    profile_breakdown,
    ratio,
    summary_item,
    time_interleaved,
    try_setup,
    write_results,
)

from wcrnn_rc import WCRNNReservoir

NAME = "bench_dense_large"
N_UNITS = 1000
N_STEPS = 2000
SEED = 0
# Targets from the issue.
TARGET_VS_RESERVOIRPY = 1.0  # faster than reservoirpy: speed-up above 1
TARGET_VS_NUMPY = 1.3  # at most this many times the bare NumPy loop
REPEATS = {"wcrnn_rc": 15, "numpy": 15, "reservoirpy": 9}
BUDGET_S = 60.0  # no new timing round after this long (the machine can be very slow)


def numpy_loop(W, U, b, X):
    """The floor: a bare NumPy recurrence that stores every state."""

    def run():
        u = X @ U.T + b
        states = np.empty((len(X), W.shape[0]))
        x = np.zeros(W.shape[0])
        for t in range(len(X)):
            x = np.tanh(W @ x + u[t])
            states[t] = x
        return states

    return run


def settle_check(contenders):
    """The same contenders timed *without* the pause between calls, for comparison.

    Not a headline figure: it shows how much interleaving two libraries' BLAS thread
    pools costs on this machine when nothing lets the worker threads go idle (see
    ``SETTLE_S`` in ``_common.py``).
    """
    return time_interleaved(contenders, budget_s=BUDGET_S / 3, settle_s=0.0)


def setup_reservoirpy(W, U, b):
    """A reservoirpy Reservoir with the given weights; returns a run from zero state."""
    from reservoirpy.nodes import Reservoir

    def run(X):
        return Reservoir(N_UNITS, lr=1.0, W=W, Win=U, bias=b).run(X)

    return run


def main():
    """Time the three contenders, check they agree, print and save the ratios."""
    machine = machine_info()
    print(
        f"Dense large: one series, N={N_UNITS}, T={N_STEPS}, d=1, plain ESN "
        "(residual='none', coupling=1), dense W, tanh, float64; all states returned."
    )
    print(machine_line(machine))
    print("Best of interleaved repeats; JIT warm-up excluded.")
    X = np.random.default_rng(SEED).uniform(-1.0, 1.0, size=(N_STEPS, 1))
    reservoir = WCRNNReservoir(
        n_units=N_UNITS, residual="none", coupling=1.0, random_state=SEED
    ).fit(X)
    W, U, b = reservoir.recurrent_weights_, reservoir.input_weights_, reservoir.bias_
    floor = numpy_loop(W, U, b, X)
    run_peer, peer_reason = try_setup(lambda: setup_reservoirpy(W, U, b))

    contenders = [
        Contender("wcrnn_rc", lambda: reservoir.transform(X), REPEATS["wcrnn_rc"]),
        Contender("NumPy loop", floor, REPEATS["numpy"]),
    ]
    if run_peer is not None:
        contenders.append(Contender("reservoirpy", lambda: run_peer(X), REPEATS["reservoirpy"]))
    timings = time_interleaved(contenders, budget_s=BUDGET_S)
    if peer_reason is not None:
        timings["reservoirpy"] = failed(peer_reason)

    ours_states = reservoir.transform(X)
    state_errors = {"NumPy loop": float(np.max(np.abs(floor() - ours_states)))}
    if timings["reservoirpy"]["status"] == "ok":
        state_errors["reservoirpy"] = float(np.max(np.abs(run_peer(X) - ours_states)))

    ours = best(timings, "wcrnn_rc")
    speedup = ratio(best(timings, "reservoirpy"), ours)
    vs_numpy = ratio(ours, best(timings, "NumPy loop"))
    summary = [
        summary_item(
            "wcrnn_rc speed-up vs reservoirpy", speedup, unit="x", target=TARGET_VS_RESERVOIRPY
        ),
        summary_item(
            "wcrnn_rc / bare NumPy loop",
            vs_numpy,
            unit="x",
            target=TARGET_VS_NUMPY,
            at_least=False,
        ),
    ]
    headers = ["contender", "best [ms]", "median [ms]", "repeats", "best / ours", "max |dh|"]
    rows = []
    for name, entry in timings.items():
        if entry["status"] != "ok":
            rows.append([name, entry["reason"], None, None, None, None])
            continue
        error = state_errors.get(name)
        rows.append(
            [
                name,
                fmt_ms(entry["best_s"]),
                fmt_ms(entry["median_s"]),
                entry["repeats"],
                fmt_x(ratio(entry["best_s"], ours)),
                None if error is None else f"{error:.1e}",
            ]
        )

    breakdown = profile_breakdown(lambda: reservoir.transform(X))
    activation = activation_cost(reservoir, X, repeats=REPEATS["wcrnn_rc"], budget_s=BUDGET_S / 3)
    no_settle = settle_check(contenders)

    print("\n" + format_table(headers, rows))
    print("\n" + format_summary(summary))
    print("\nWhere wcrnn_rc's time goes:")
    print("\n".join(format_breakdown(breakdown)))
    print(format_activation_cost(activation))
    print(
        "\nMethodology check, same contenders with no pause between calls (best [ms]): "
        + ", ".join(f"{name} {fmt_ms(best(no_settle, name))}" for name in timings)
    )

    path = write_results(
        NAME,
        {
            "parameters": {
                "n_units": N_UNITS,
                "n_steps": N_STEPS,
                "seed": SEED,
                "repeats": REPEATS,
            },
            "timings": timings,
            "ratios": {"speedup_vs_reservoirpy": speedup, "over_numpy_loop": vs_numpy},
            "sanity": {"state_error": state_errors},
            "summary": summary,
            "table": {"headers": headers, "rows": rows},
            "breakdown": breakdown,
            "activation_cost": activation,
            "no_settle_check": no_settle,
        },
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
