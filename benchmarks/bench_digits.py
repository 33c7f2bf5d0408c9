"""Benchmark: sequence classification of sklearn's digits, pixel by pixel.

Task: the 1797 8x8 images of ``sklearn.datasets.load_digits`` are read as sequences
of 64 steps with one feature (pixels scaled to [0, 1]); a reservoir of ``N_UNITS``
units runs over each sequence and a ridge classifier reads the last state.

Contenders, all on the same leaky ESN (leak ``LEAK``, dense W, tanh, float64):

- wcrnn_rc: ``WCRNNClassifier(WCRNNReservoir(...), RidgeClassifier()).fit(X3d, y)`` with
  ``X3d`` of shape
  (1797, 64, 1), and the bare state harvest ``reservoir.transform(X3d)``;
- reservoirpy: ``Reservoir(...).run(list_of_sequences)`` (reservoirpy 0.4 runs a list
  of series in one call, each from the same initial state), last state of each,
  then the same ``RidgeClassifier``;
- the hardware: the 64 GEMMs ``H @ W.T`` with ``H`` of shape (1797, N) that the
  harvest must do anyway, in NumPy.

echoes has no API for sets of sequences, and PyRCN's sequence-to-value classifier
trains its readout on every time step and votes, a different model, so neither is
timed here.

Run ``python benchmarks/bench_digits.py``. It prints the ratios of best times, the
test accuracy of each model on a held-out split (a sanity check that the models are
the same), and writes ``benchmarks/results/bench_digits.json``.
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
from sklearn.datasets import load_digits
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import train_test_split

from wcrnn_rc import WCRNNClassifier, WCRNNReservoir

NAME = "bench_digits"
N_UNITS = 200
LEAK = 0.3
TEST_SIZE = 0.25
SEED = 0
# Targets from the issue.
TARGET_VS_RESERVOIRPY = 5.0  # our fit at least this many times faster
TARGET_VS_GEMM = 2.0  # our harvest at most this many times the bare GEMMs
REPEATS = {"ours": 15, "gemm": 15, "reservoirpy": 3}
BUDGET_S = 60.0  # no new timing round after this long (the machine can be very slow)


def load_sequences():
    """Digits as (n_images, 64, 1) sequences in [0, 1], and their labels."""
    digits = load_digits()
    X = digits.data / digits.data.max()
    return X.reshape(len(X), -1, 1), digits.target


def our_reservoir():
    """The leaky ESN as a WCRNN: residual (1 - LEAK) * I, coupling LEAK."""
    return WCRNNReservoir(
        n_units=N_UNITS,
        residual="identity",
        residual_scale=1.0 - LEAK,
        coupling=LEAK,
        random_state=SEED,
    )


def gemm_floor(W, n_sequences, n_steps):
    """The harvest's matrix products alone: ``n_steps`` calls of ``H @ W.T``."""
    H = np.random.default_rng(SEED).standard_normal((n_sequences, W.shape[0]))
    WT = np.ascontiguousarray(W.T)

    def run():
        for _ in range(n_steps):
            H @ WT

    return run


def setup_reservoirpy(W, U, b):
    """A reservoirpy Reservoir with the given weights; returns its last-state harvest."""
    from reservoirpy.nodes import Reservoir

    def harvest(X):
        reservoir = Reservoir(N_UNITS, lr=LEAK, W=W, Win=U, bias=b)  # zero initial state
        return np.array([states[-1] for states in reservoir.run(list(X))])

    return harvest


def accuracies(harvest_peer, X, y):
    """Test accuracy of our classifier and of the peer's states + RidgeClassifier."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=TEST_SIZE, random_state=SEED, stratify=y
    )
    # The readout is given: the comparison is with the peer's states + RidgeClassifier.
    ours = WCRNNClassifier(our_reservoir(), RidgeClassifier())
    scores = {"ours": ours.fit(X_train, y_train).score(X_test, y_test)}
    if harvest_peer is not None:
        readout = RidgeClassifier().fit(harvest_peer(X_train), y_train)
        scores["reservoirpy"] = readout.score(harvest_peer(X_test), y_test)
    return {name: float(score) for name, score in scores.items()}


def main():
    """Time fit and harvest against reservoirpy and the GEMMs; print and save."""
    X, y = load_sequences()
    n_sequences, n_steps, _ = X.shape
    info = machine_info()
    print(
        f"Digits: {n_sequences} sequences x {n_steps} steps x 1 feature, N={N_UNITS}, "
        f"leaky ESN (leak {LEAK}), last state -> RidgeClassifier."
    )
    print(machine_line(info))
    print("Best of interleaved repeats; JIT warm-up excluded.")
    classifier = WCRNNClassifier(our_reservoir(), RidgeClassifier())
    reservoir = our_reservoir().fit(X)
    W, U, b = reservoir.recurrent_weights_, reservoir.input_weights_, reservoir.bias_
    harvest_peer, peer_reason = try_setup(lambda: setup_reservoirpy(W, U, b))

    contenders = [
        Contender("wcrnn_rc fit", lambda: classifier.fit(X, y), REPEATS["ours"]),
        Contender("wcrnn_rc harvest", lambda: reservoir.transform(X), REPEATS["ours"]),
        Contender("GEMMs H @ W.T", gemm_floor(W, n_sequences, n_steps), REPEATS["gemm"]),
    ]
    if harvest_peer is not None:
        contenders += [
            Contender(
                "reservoirpy fit",
                lambda: RidgeClassifier().fit(harvest_peer(X), y),
                REPEATS["reservoirpy"],
            ),
            Contender("reservoirpy harvest", lambda: harvest_peer(X), REPEATS["reservoirpy"]),
        ]
    timings = time_interleaved(contenders, budget_s=BUDGET_S)
    if peer_reason is not None:
        for what in ("fit", "harvest"):
            timings[f"reservoirpy {what}"] = failed(peer_reason)

    state_error = None
    if harvest_peer is not None and timings["reservoirpy harvest"]["status"] == "ok":
        state_error = float(np.max(np.abs(harvest_peer(X) - reservoir.transform(X))))
    scores = accuracies(harvest_peer if state_error is not None else None, X, y)

    fit_speedup = ratio(best(timings, "reservoirpy fit"), best(timings, "wcrnn_rc fit"))
    harvest_speedup = ratio(best(timings, "reservoirpy harvest"), best(timings, "wcrnn_rc harvest"))
    vs_gemm = ratio(best(timings, "wcrnn_rc harvest"), best(timings, "GEMMs H @ W.T"))
    summary = [
        summary_item(
            "wcrnn_rc speed-up vs reservoirpy (fit)",
            fit_speedup,
            unit="x",
            target=TARGET_VS_RESERVOIRPY,
        ),
        summary_item("wcrnn_rc speed-up vs reservoirpy (harvest)", harvest_speedup, unit="x"),
        summary_item(
            "wcrnn_rc harvest / bare GEMMs",
            vs_gemm,
            unit="x",
            target=TARGET_VS_GEMM,
            at_least=False,
        ),
    ]

    ours_fit, ours_harvest = best(timings, "wcrnn_rc fit"), best(timings, "wcrnn_rc harvest")
    headers = [
        "contender",
        "best [ms]",
        "median [ms]",
        "repeats",
        "best / ours (same task)",
        "test accuracy",
    ]
    rows = []
    for name, entry in timings.items():
        if entry["status"] != "ok":
            rows.append([name, entry["reason"], None, None, None, None])
            continue
        reference = ours_fit if name.endswith("fit") else ours_harvest
        library = name.split()[0]
        accuracy = scores.get("ours" if library == "wcrnn_rc" else library)
        rows.append(
            [
                name,
                fmt_ms(entry["best_s"]),
                fmt_ms(entry["median_s"]),
                entry["repeats"],
                fmt_x(ratio(entry["best_s"], reference)),
                None if accuracy is None or "harvest" in name else f"{accuracy:.4f}",
            ]
        )

    breakdown = profile_breakdown(lambda: reservoir.transform(X))
    activation = activation_cost(reservoir, X, repeats=REPEATS["ours"], budget_s=BUDGET_S / 3)

    print("\n" + format_table(headers, rows))
    if state_error is not None:
        print(f"\nlast states, wcrnn_rc vs reservoirpy: max |dh| = {state_error:.1e}")
    print("\n" + format_summary(summary))
    print("\nWhere wcrnn_rc's harvest time goes:")
    print("\n".join(format_breakdown(breakdown)))
    print(format_activation_cost(activation))
    print(f"  the {n_steps} GEMMs alone: {fmt_ms(best(timings, 'GEMMs H @ W.T'))} ms")

    path = write_results(
        NAME,
        {
            "parameters": {
                "n_sequences": n_sequences,
                "n_steps": n_steps,
                "n_units": N_UNITS,
                "leak": LEAK,
                "test_size": TEST_SIZE,
                "seed": SEED,
                "repeats": REPEATS,
            },
            "timings": timings,
            "ratios": {
                "fit_speedup_vs_reservoirpy": fit_speedup,
                "harvest_speedup_vs_reservoirpy": harvest_speedup,
                "harvest_over_gemm": vs_gemm,
            },
            "sanity": {"test_accuracy": scores, "state_error_vs_reservoirpy": state_error},
            "summary": summary,
            "table": {"headers": headers, "rows": rows},
            "breakdown": breakdown,
            "activation_cost": activation,
        },
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
