"""Benchmark: memory capacity against reservoirpy, Lyapunov spectra against NumPy.

1. Memory capacity, N=100 units, 200 delays, one 2000-step i.i.d. drive (uniform on
   [-0.8, 0.8], the same series for both), 20 % held out:

   - wcrnn_rc: ``memory_capacity(reservoir, max_delay=200, series=u,
     method="held_out")`` (a 200-step washout, the run, one least-squares
     factorisation for all 200 delays);
   - reservoirpy: ``observables.memory_capacity(Reservoir >> Ridge, k_max=200,
     series=u, test_size=0.2)`` (a 200-step warm-up, the run, one ridge fit with 200
     outputs), with a leaky-ESN reservoir given wcrnn_rc's W, U and b (the same
     states), ridge 1e-9.

2. Full Lyapunov spectrum, N=100, 2000 steps of i.i.d. drive, the default reservoir
   (rotational residual, coupling 0.1):

   - wcrnn_rc: ``lyapunov_spectrum(reservoir, X, washout=0)`` with its default
     adaptive re-orthonormalisation, and with ``reorthonormalize_every=1``;
   - a plain NumPy loop: per step the explicit Jacobian
     ``R + eps * diag(1 - tanh(a)**2) W``, one product with the frame and one
     ``numpy.linalg.qr`` (the textbook QR method, as one would write it).

   Also the largest exponent alone (k = 1), against the same NumPy loop with one
   vector.

Run ``python benchmarks/bench_dynamics.py``. It prints ratios of best times (theirs /
ours) and writes ``benchmarks/results/bench_dynamics.json``.
"""

import copy

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
    try_setup,
    write_results,
)

from wcrnn_rc import WCRNNReservoir
from wcrnn_rc.analysis import lyapunov_spectrum, max_lyapunov_exponent, memory_capacity

NAME = "bench_dynamics"
N_UNITS = 100
MC_DELAYS = 200
MC_STEPS = 2000
LYAP_STEPS = 2000
LEAK = 0.3
SEED = 0
TARGETS = {"memory_capacity": 10.0, "lyapunov": 5.0}
BUDGET_S = 90.0


def memory_contenders():
    rng = np.random.default_rng(SEED)
    u = rng.uniform(-0.8, 0.8, size=(MC_STEPS, 1))
    # A leaky ESN, so that reservoirpy's Reservoir computes the same states.
    ours = WCRNNReservoir(
        n_units=N_UNITS, residual="identity", residual_scale=1 - LEAK, coupling=LEAK,
        recurrent_gain=0.9, random_state=SEED,
    ).fit(u)  # fmt: skip

    def run_ours():
        # reservoirpy's method (a held-out 20 %), so both compute the same quantity.
        return memory_capacity(
            ours, max_delay=MC_DELAYS, series=u, method="held_out", test_size=0.2,
            return_curve=True,
        )  # fmt: skip

    def setup_reservoirpy():
        from reservoirpy.nodes import Reservoir, Ridge
        from reservoirpy.observables import memory_capacity as rpy_memory_capacity

        reservoir = Reservoir(
            N_UNITS, lr=LEAK, W=ours.recurrent_weights_, Win=ours.input_weights_,
            bias=ours.bias_, activation="tanh",
        )  # fmt: skip
        model = reservoir >> Ridge(ridge=1e-9)

        def run():
            return rpy_memory_capacity(
                copy.deepcopy(model), k_max=MC_DELAYS, as_list=True, series=u, test_size=0.2
            )

        return run

    rpy, reason = try_setup(setup_reservoirpy)
    contenders = [Contender("wcrnn_rc", run_ours, repeats=15)]
    if rpy is not None:
        contenders.append(Contender("reservoirpy", rpy, repeats=10))
    return contenders, reason, run_ours, rpy


def numpy_qr_loop(reservoir, X, k):
    """The textbook QR method in NumPy: explicit Jacobian, one QR per step."""
    W, U, b = reservoir.recurrent_weights_, reservoir.input_weights_, reservoir.bias_
    R, eps = reservoir.residual_.to_matrix(), reservoir.coupling
    rng = np.random.default_rng(SEED)
    Q = np.linalg.qr(rng.standard_normal((W.shape[0], k)))[0]
    h = np.zeros(W.shape[0])
    log_growth = np.zeros(k)
    for x in X:
        a = W @ h + U @ x + b
        f = np.tanh(a)
        J = R + eps * (1 - f * f)[:, None] * W
        h = R @ h + eps * f
        Q, r = np.linalg.qr(J @ Q)
        log_growth += np.log(np.abs(np.diag(r)))
    return np.sort(log_growth / len(X))[::-1]


def main():
    info = machine_info()
    print(machine_line(info))

    # ---- memory capacity
    contenders, rpy_reason, run_ours, run_rpy = memory_contenders()
    mc_timings = time_interleaved(contenders, budget_s=BUDGET_S)
    ours_mc = float(run_ours()[0])
    rpy_mc = float(np.sum(run_rpy())) if run_rpy is not None else None
    mc_ratio = ratio(best(mc_timings, "reservoirpy"), best(mc_timings, "wcrnn_rc"))
    print(
        f"\nMemory capacity (N={N_UNITS}, {MC_DELAYS} delays, {MC_STEPS}-step drive): "
        f"MC wcrnn_rc {ours_mc:.2f}, reservoirpy "
        f"{'-' if rpy_mc is None else f'{rpy_mc:.2f}'}"
    )
    mc_rows = [
        [name, fmt_ms(best(mc_timings, name)), t.get("repeats"),
         fmt_x(ratio(best(mc_timings, name), best(mc_timings, "wcrnn_rc")))]
        if t["status"] == "ok" else [name, t["reason"], None, None]
        for name, t in mc_timings.items()
    ]  # fmt: skip
    if rpy_reason:
        mc_rows.append(["reservoirpy", rpy_reason, None, None])
    headers = ["contender", "best [ms]", "calls", "time / wcrnn_rc"]
    print(format_table(headers, mc_rows))

    # ---- Lyapunov spectra
    rng = np.random.default_rng(SEED)
    X = rng.uniform(-1, 1, size=(LYAP_STEPS, 1))
    reservoir = WCRNNReservoir(n_units=N_UNITS, random_state=SEED).fit(X)
    lyap = [
        Contender("wcrnn_rc (adaptive QR)", lambda: lyapunov_spectrum(reservoir, X, washout=0,
                                                                     random_state=SEED)),
        Contender("wcrnn_rc (QR every step)", lambda: lyapunov_spectrum(
            reservoir, X, washout=0, reorthonormalize_every=1, random_state=SEED)),
        Contender("NumPy QR loop", lambda: numpy_qr_loop(reservoir, X, N_UNITS), repeats=3),
        Contender("wcrnn_rc max exponent (k=1)", lambda: max_lyapunov_exponent(
            reservoir, X, washout=0, random_state=SEED)),
        Contender("NumPy QR loop, k=1", lambda: numpy_qr_loop(reservoir, X, 1), repeats=3),
    ]  # fmt: skip
    lyap_timings = time_interleaved(lyap, budget_s=BUDGET_S)
    numeric = lyapunov_spectrum(reservoir, X, washout=0, random_state=SEED)
    reference = numpy_qr_loop(reservoir, X, N_UNITS)
    agreement = float(np.abs(numeric - reference).max())
    base = best(lyap_timings, "NumPy QR loop")
    base1 = best(lyap_timings, "NumPy QR loop, k=1")
    lyap_rows = []
    for name, t in lyap_timings.items():
        reference_time = base1 if "k=1" in name else base
        lyap_rows.append(
            [name, fmt_ms(best(lyap_timings, name)), t.get("repeats"),
             fmt_x(ratio(reference_time, best(lyap_timings, name)))]
        )  # fmt: skip
    print(
        f"\nFull Lyapunov spectrum (N={N_UNITS}, {LYAP_STEPS} steps); largest "
        f"|wcrnn_rc - NumPy| = {agreement:.1e} (different initial frames: O(1/T))"
    )
    print(format_table(["contender", "best [ms]", "calls", "NumPy loop / this"], lyap_rows))

    lyap_ratio = ratio(base, best(lyap_timings, "wcrnn_rc (adaptive QR)"))
    summary = [
        summary_item("memory capacity: speed-up vs reservoirpy", mc_ratio, unit="x",
                     target=TARGETS["memory_capacity"]),
        summary_item("full Lyapunov spectrum: speed-up vs NumPy QR loop", lyap_ratio,
                     unit="x", target=TARGETS["lyapunov"]),
        summary_item("full spectrum, QR every step: speed-up vs NumPy", ratio(
            base, best(lyap_timings, "wcrnn_rc (QR every step)")), unit="x"),
        summary_item("largest exponent (k=1): speed-up vs NumPy", ratio(
            base1, best(lyap_timings, "wcrnn_rc max exponent (k=1)")), unit="x"),
    ]  # fmt: skip
    print("\n" + format_summary(summary))
    path = write_results(
        NAME,
        {
            "parameters": {
                "n_units": N_UNITS,
                "mc_delays": MC_DELAYS,
                "mc_steps": MC_STEPS,
                "lyapunov_steps": LYAP_STEPS,
                "leak": LEAK,
                "seed": SEED,
            },  # fmt: skip
            "memory_capacity": {
                "timings": mc_timings,
                "mc_wcrnn_rc": ours_mc,
                "mc_reservoirpy": rpy_mc,
            },  # fmt: skip
            "lyapunov": {"timings": lyap_timings, "max_abs_difference": agreement},
            "summary": summary,
            "table": {"headers": headers, "rows": mc_rows + lyap_rows},
        },
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
