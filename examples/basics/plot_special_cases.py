"""
Echo state networks as special cases
====================================

Two classic reservoirs are WCRNNs with particular residuals:

- the **leaky echo state network** with leak rate :math:`a`,
  :math:`h_t = (1 - a) h_{t-1} + a \\tanh(W h_{t-1} + U x_t + b)`, is the identity
  residual with ``residual_scale = 1 - a`` and ``coupling = a``;
- the **plain echo state network**, :math:`h_t = \\tanh(W h_{t-1} + U x_t + b)`, is
  ``residual="none"`` with ``coupling = 1``.

These are identities, not approximations: the states agree to rounding. This example
checks both against a NumPy loop written from the equations, using the weights the
reservoir drew (``recurrent_weights_``, ``input_weights_``, ``bias_``).
"""

# %%
# The leaky ESN
# -------------

import matplotlib.pyplot as plt
import numpy as np

from wcrnn_rc import WCRNNReservoir
from wcrnn_rc.plotting import PALETTE


def esn_by_hand(reservoir, X, leak):
    """The leaky ESN recurrence in plain NumPy, with the reservoir's weights."""
    W, U, b = reservoir.recurrent_weights_, reservoir.input_weights_, reservoir.bias_
    h = np.zeros(reservoir.n_units)
    states = []
    for x in X:
        h = (1 - leak) * h + leak * np.tanh(W @ h + U @ x + b)
        states.append(h)
    return np.array(states)


X = np.sin(0.3 * np.arange(200))[:, None]
leak = 0.3
leaky = WCRNNReservoir(
    n_units=20, residual="identity", residual_scale=1 - leak, coupling=leak, random_state=0
).fit(X)
states = leaky.transform(X)
reference = esn_by_hand(leaky, X, leak)
print(f"leaky ESN: max |difference| = {np.max(np.abs(states - reference)):.1e}")

# %%
# The plain ESN
# -------------

plain = WCRNNReservoir(n_units=20, residual="none", coupling=1.0, random_state=0).fit(X)
plain_reference = esn_by_hand(plain, X, leak=1.0)
print(f"plain ESN: max |difference| = {np.max(np.abs(plain.transform(X) - plain_reference)):.1e}")

# %%
# Three units of the leaky ESN, from the library and from the loop (dots):

fig, ax = plt.subplots(figsize=(8.5, 3.6))
for i, color in zip(range(3), PALETTE, strict=False):
    ax.plot(states[:60, i], color=color, label=f"unit {i}: library")
    ax.plot(reference[:60, i], "o", color=color, markersize=3, label=f"unit {i}: NumPy loop")
ax.set_xlabel("time step $t$")
ax.set_ylabel("state $h_i(t)$")
ax.set_title(f"leaky ESN, leak rate {leak}, input $\\sin(0.3\\,t)$")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small")
fig.tight_layout()

# %%
# The same mapping is what the benchmarks use to give reservoirpy, echoes and PyRCN
# exactly the model wcrnn_rc runs. Everything between these two cases, any residual
# with any coupling, is the WCRNN family; the user guide's page on the model has the
# details.
