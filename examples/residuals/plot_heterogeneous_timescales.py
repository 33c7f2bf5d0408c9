"""
Heterogeneous timescales
========================

A diagonal residual :math:`R = \\mathrm{diag}(e^{-1/\\tau_i})` gives unit :math:`i` its
own memory timescale :math:`\\tau_i` (in steps): left alone, its state decays as
:math:`e^{-t/\\tau_i}`. :class:`~wcrnn_rc.residuals.HeterogeneousResidual` spreads the
:math:`\\tau_i` log-uniformly over a range, so one network holds the input on many
timescales at once, as cortical circuits are thought to. Its Lyapunov exponents are
:math:`-1/\\tau_i`.

The alternative is one timescale for every unit (the identity residual, a leaky ESN),
which must be tuned to the task. This example compares the two on targets that need
both fast and slow memory.
"""

# %%
# One pulse, many decays
# ----------------------
# Feed a single input pulse and follow the difference it makes to each unit's state
# (against the same network without the pulse): every unit forgets at its own rate,
# and starts along its uncoupled decay :math:`e^{-t/\tau_i}` (dashed). The small, slow
# tails of the fast units, far above their dashed lines, are the weak coupling at
# work: the random branch leaks a little of the slow units' memory into them.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score

from wcrnn_rc import WCRNNRegressor, WCRNNReservoir
from wcrnn_rc.plotting import PALETTE
from wcrnn_rc.residuals import HeterogeneousResidual

n_units = 30
hetero = WCRNNReservoir(
    n_units=n_units,
    residual=HeterogeneousResidual(timescales=(1, 100)),
    coupling=0.01,
    random_state=0,
)
pulse = np.zeros((300, 1))
pulse[0] = 1.0
hetero.fit(pulse)
response = np.abs(hetero.run(pulse) - hetero.run(np.zeros_like(pulse)))

fig, ax = plt.subplots(figsize=(8.5, 4.2))
taus = hetero.residual_.timescales_
steps = np.arange(len(pulse))
for color, i in zip(PALETTE, [0, 10, 20, 29], strict=False):
    ax.semilogy(
        steps,
        response[:, i] / response[0, i],
        color=color,
        label=f"unit {i}: $\\tau_i$ = {taus[i]:.0f} step{'s' * (round(taus[i]) != 1)}",
    )
    ax.semilogy(steps, np.exp(-steps / taus[i]), "--", color=color, linewidth=1)
ax.plot([], [], "k--", linewidth=1, label="uncoupled: $e^{-t/\\tau_i}$")
ax.set_ylim(1e-4, 2)
ax.set_xlabel("time after the pulse $t$ (steps)")
ax.set_ylabel("state change $|\\Delta h_i(t)|\\,/\\,|\\Delta h_i(0)|$")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small")
fig.tight_layout()

# %%
# Targets on six timescales
# -------------------------
# The input is i.i.d. uniform; the targets are its moving averages over the last 1
# (the input itself), 3, 10, 30, 100 and 300 steps, all read from the same states by
# one ridge readout (a 2-D ``y`` gives one output per column). The first 5000 steps
# train, the rest test.

rng = np.random.default_rng(0)
windows = [1, 3, 10, 30, 100, 300]
u = rng.uniform(-1, 1, size=8600)
targets = np.column_stack([np.convolve(u, np.ones(w) / w)[: len(u)] for w in windows])
X, Y = u[600:, None], targets[600:]
train, test = slice(0, 5000), slice(5000, None)


def identity_network(lam):
    return WCRNNReservoir(
        n_units=n_units, residual="identity", residual_scale=lam, coupling=0.01, random_state=0
    )


networks = {
    "identity, lambda = 0.7 (tau = 3)": identity_network(0.7),
    "identity, lambda = 0.9 (tau = 9.5)": identity_network(0.9),
    "identity, lambda = 0.99 (tau = 100)": identity_network(0.99),
    "heterogeneous, tau from 1 to 100": hetero,
}
fig, ax = plt.subplots(figsize=(8.5, 4.2))
markers = ["s", "^", "D", "o"]
for (label, reservoir), color, marker in zip(networks.items(), PALETTE, markers, strict=False):
    model = WCRNNRegressor(reservoir, Ridge(alpha=1e-6), washout=300).fit(X[train], Y[train])
    scores = r2_score(Y[test], model.predict(X)[test], multioutput="raw_values")
    color = "black" if reservoir is hetero else color
    legend = label.replace("lambda", "$\\lambda$").replace("tau", "$\\tau$")
    ax.plot(windows, scores, "-", color=color, marker=marker, label=legend)
    print(f"{label:>34}: " + "  ".join(f"{s:.2f}" for s in scores))
ax.set_xscale("log")
ax.set_xticks(windows, [str(w) for w in windows])
ax.minorticks_off()
ax.set_xlabel("moving-average window $w$ (steps)")
ax.set_ylabel("test $R^2$ (last 3000 steps)")
ax.set_ylim(0, 1.02)
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small", title="N = 30 units")
fig.tight_layout()

# %%
# Each identity network does well near its own timescale and fails away from it: at
# :math:`\lambda = 0.7` the long averages are lost, at 0.99 the short ones are blurred.
# The heterogeneous network, with the same number of units and no tuning, scores
# well on all six. (With stronger coupling the random branch mixes the units and
# the advantage shrinks; try ``coupling=0.05``.)
