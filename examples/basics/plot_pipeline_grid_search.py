"""
A reservoir pipeline and a grid search
======================================

:class:`~wcrnn_rc.WCRNNReservoir` is a scikit-learn transformer: it maps a time
series to the states of a fixed random network, and any readout can sit on top.
Because it follows scikit-learn's conventions, a :class:`~sklearn.pipeline.Pipeline`
and :class:`~sklearn.model_selection.GridSearchCV` work as with any other transformer,
including its parameters (``res__coupling``) in the grid.

The task: recall the input of 10 steps ago from a stream of i.i.d. inputs
(:func:`~wcrnn_rc.datasets.make_delay_task`). A network with no memory scores zero
here, so the score measures how much of its past the state still holds.
"""

# %%
# One series: rows are time steps
# -------------------------------
# A 2-D ``X`` of shape ``(n_steps, n_features)`` is one time series, and ``transform``
# returns one state per step. For a single long series the folds of the search must
# keep time order, hence :class:`~sklearn.model_selection.TimeSeriesSplit`.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline

from wcrnn_rc import WCRNNReservoir
from wcrnn_rc.datasets import make_delay_task
from wcrnn_rc.plotting import PALETTE

X, y = make_delay_task(n_steps=3000, delay=10, random_state=0)
pipe = Pipeline([("res", WCRNNReservoir(n_units=50, random_state=0)), ("ridge", Ridge(alpha=1e-6))])
grid = {
    "res__residual_scale": [0.8, 0.9, 0.99],
    "res__coupling": [0.01, 0.03, 0.1, 0.3, 1.0],
}
search = GridSearchCV(pipe, grid, cv=TimeSeriesSplit(n_splits=3)).fit(X, y)
print("best parameters:", search.best_params_)
print(f"best cross-validated R^2: {search.best_score_:.3f}")

# %%
# The score over the grid
# -----------------------
# ``cv_results_`` holds one row per grid point. Two effects show:
#
# - **Coupling.** Weak coupling keeps the residual's linear memory (the state is
#   mostly :math:`\rho(h_{t-1})`); at ``coupling=1`` the random non-linear branch
#   overwrites it and the recall of an input 10 steps back fails.
# - **Residual scale.** Longer memory is not always better. The residual scale
#   :math:`\lambda` sets the memory timescale :math:`-1/\log\lambda`: about 4.5 steps at
#   0.8, 9.5 at 0.9 and 100 at 0.99. But 50 units hold at most 50 past inputs in total
#   (the memory capacity is at most ``n_units``), and at 0.99 that capacity is spread
#   over some hundred steps, so the recall of one particular delay is worse.

results = search.cv_results_
fig, ax = plt.subplots(figsize=(7.6, 4.2))
for scale, color, marker in zip(grid["res__residual_scale"], PALETTE, "os^", strict=False):
    rows = np.flatnonzero(results["param_res__residual_scale"] == scale)
    ax.errorbar(
        grid["res__coupling"],
        results["mean_test_score"][rows],
        yerr=results["std_test_score"][rows],
        color=color,
        marker=marker,
        capsize=3,
        label=f"$\\lambda$ = {scale}",
    )
ax.axhline(0.0, color="0.6", linewidth=0.8, zorder=0)
ax.set_xscale("log")
ax.set_xticks(grid["res__coupling"], [f"{c:g}" for c in grid["res__coupling"]])
ax.minorticks_off()
ax.set_ylim(-0.3, 1.05)
ax.set_xlabel("coupling $\\varepsilon$")
ax.set_ylabel("cross-validated $R^2$ of recalling $x_{t-10}$")
ax.legend(title="residual scale\n(mean ± sd, 3 folds)", fontsize="small",
          loc="upper left", bbox_to_anchor=(1.02, 1))  # fmt: skip
fig.tight_layout()

# %%
# Predictions of the best pipeline
# --------------------------------
# The search refits the best pipeline on the whole series.

fig, ax = plt.subplots(figsize=(7, 3.2))
steps = slice(2900, 2960)
t = np.arange(3000)[steps]
ax.plot(t, y[steps], "o", color="black", markersize=4, label="target $x_{t-10}$")
ax.plot(t, search.predict(X)[steps], "-", color=PALETTE[1], label="prediction")
ax.set_xlabel("time step $t$")
ax.set_ylabel("input value")
ax.legend(loc="lower right", bbox_to_anchor=(1, 1), ncol=2, fontsize="small", frameon=False)
fig.tight_layout()
