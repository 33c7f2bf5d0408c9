"""
An edge-of-chaos sweep
======================

The largest Lyapunov exponent separates two regimes of a driven network: negative,
perturbations fade and the state is a function of the recent input (fading memory);
positive, perturbations grow and the state depends on its own past in ways the
input does not control (chaos). The boundary, where the exponent crosses 0, is the
*edge of chaos*.

:func:`~wcrnn_rc.sweeps.parameter_sweep` evaluates the memory capacity and the
largest exponent over a parameter grid, on several random networks per point (the
same seeds at every point), and :func:`~wcrnn_rc.plotting.plot_sweep` draws a metric
as a heatmap at the parameters' true values, with the boundary between the cells
where the mean exponent is negative and those where it is not.
"""

# %%
# The sweep
# ---------
# Residual scale :math:`\lambda` against coupling :math:`\varepsilon`, for a rotational
# residual with 50 units and a strong random branch (``recurrent_gain=2``). Two seeds
# per point; with ``n_jobs`` the runs spread over processes (or a dask cluster, see the
# user guide), with identical numbers for any ``n_jobs``.

import matplotlib.pyplot as plt

from wcrnn_rc import WCRNNReservoir
from wcrnn_rc.plotting import plot_sweep
from wcrnn_rc.sweeps import parameter_sweep

grid = {
    "residual_scale": [0.8, 0.9, 0.95, 0.99, 1.0],
    "coupling": [0.01, 0.03, 0.1, 0.3, 1.0],
}
results = parameter_sweep(
    WCRNNReservoir(n_units=50, recurrent_gain=2.0),
    grid,
    metrics=("memory_capacity", "max_lyapunov"),
    n_seeds=2,
    random_state=0,
)

fig, axes = plt.subplots(1, 2, figsize=(11, 4.8))
plot_sweep(results, "mean_max_lyapunov", "coupling", "residual_scale", ax=axes[0])
plot_sweep(results, "mean_memory_capacity", "coupling", "residual_scale", ax=axes[1])
axes[0].set_title(r"$\mathbf{a}$   largest Lyapunov exponent (mean of 2 networks)", loc="left")
axes[1].set_title(r"$\mathbf{b}$   memory capacity, at most N = 50 (mean of 2)", loc="left")
fig.tight_layout()

# %%
# Reading the maps
# ----------------
# The cells sit at the true parameter values: the couplings are spaced by a factor of
# about 3 and get a log axis; the residual scales crowd towards 1, and so do their
# rows. In (a), blue cells are ordered (exponent below 0), red ones chaotic, white
# ones at the edge.
#
# With weak coupling the exponent is close to the residual's :math:`\log\lambda`:
# negative below :math:`\lambda = 1` and about 0 at :math:`\lambda = 1`. Raising the
# coupling lets the random branch (gain 2) take over, and the exponent crosses 0 (black
# line); at ``coupling=1`` the network is chaotic for every residual scale.
#
# The memory capacity is largest on the ordered side, at weak coupling with
# :math:`\lambda` from 0.9 to 0.99, and collapses past the edge, where the state stops
# being a function of the recent input. It is small at :math:`\lambda = 1` too: nothing
# fades there, so the state holds every past input equally, and no particular delay can
# be read back. Near the edge the estimated exponent is within its sampling error of 0
# (a few 1e-4 from 2000 steps: note the signs at :math:`\lambda = 0.99` below), so the
# line is only as sharp as that.
#
# The numbers behind the maps are in the returned dict, in the style of
# ``GridSearchCV.cv_results_`` (``pandas.DataFrame(results)`` makes a table):

for params, mc, lyap in zip(
    results["params"],
    results["mean_memory_capacity"],
    results["mean_max_lyapunov"],
    strict=True,
):
    if params["residual_scale"] == 0.99:
        print(f"{params}  MC = {mc:5.1f}  lambda_max = {lyap:+.4f}")
