"""
Memory curves by residual family
================================

The linear memory capacity (Jaeger, 2001) asks how much of its past input a network's
state still holds. Drive the network with i.i.d. input :math:`u_t`, train one linear
readout per delay :math:`k` to output :math:`u_{t-k}`, and let :math:`\\mathrm{MC}_k` be
the share of the variance of :math:`u_{t-k}` it explains (the library's default debiases
the in-sample R^2, so that thinly spread memory is not lost to overfitting). The memory
capacity is :math:`\\mathrm{MC} = \\sum_k \\mathrm{MC}_k`, and for any network of
:math:`N` units :math:`\\mathrm{MC} \\le N`.

In a WCRNN the residual map decides where that capacity goes. This example draws the
memory curve :math:`\\mathrm{MC}_k` of each residual family at the same size, scale and
coupling with :func:`~wcrnn_rc.plotting.plot_memory_curve` (which calls
:func:`~wcrnn_rc.analysis.memory_capacity`, all delays from one factorisation).
"""

# %%
# Six residuals, one plot
# -----------------------
# All networks have 50 units, coupling 0.05 and (where it applies) a residual scale of
# 0.95, a memory timescale of ``-1 / log(0.95)``, about 20 steps. Each line is the
# mean of three random networks per family, the band spans their minimum to maximum,
# and the dotted line marks :math:`k = N`.

import matplotlib.pyplot as plt
import numpy as np

from wcrnn_rc import WCRNNReservoir
from wcrnn_rc.plotting import plot_memory_curve

n_units = 50
families = ["rotational", "orthogonal", "identity", "heterogeneous", "tanh", "none"]
models = {
    name: WCRNNReservoir(
        n_units=n_units,
        residual=name,
        residual_scale=0.95,
        coupling=1.0 if name == "none" else 0.05,  # "none" with coupling 1: a plain ESN
        random_state=0,
    )
    for name in families
}
fig, ax = plt.subplots(figsize=(9, 4.5))
outside = dict(loc="upper left", bbox_to_anchor=(1.02, 1), title="residual (memory capacity)")
plot_memory_curve(models, n_seeds=3, max_delay=80, legend=outside, ax=ax)
ax.set_title(f"Memory curves of six residual families, N = {n_units} units")
fig.tight_layout()

# %%
# What the curves say
# -------------------
# - **Rotational**: with the default angles spread evenly over (0, pi), the 25 rotation
#   blocks act like a sliding Fourier basis: the state holds the last :math:`N` inputs
#   almost exactly, so :math:`\mathrm{MC}_k` stays near 1 up to :math:`k = N` and then
#   drops at once. It reaches nearly :math:`\mathrm{MC} = N`.
# - **Orthogonal**: the same moduli (0.95) with Haar-random phases, which cluster and
#   leave gaps; recall starts to fail before :math:`k = N` and fades out beyond it.
# - **Identity**: every unit has the same residual eigenvalue, and only the weakly
#   coupled branch tells the units apart. Linearised, the network's eigenvalues are
#   :math:`0.95 + \varepsilon\, \mathrm{eig}(W)`, crowded in a disc of radius about
#   :math:`\varepsilon = 0.05` around 0.95; modes with nearly equal eigenvalues carry
#   nearly the same trace of the input, so the readouts can separate only a couple of
#   delays: ``MC`` of about 2.
# - **Heterogeneous** timescales (``tau`` from 1 to 100 steps) give each unit its own
#   decay rate, but decaying exponentials with nearby rates are nearly collinear, so
#   the readouts cannot separate individual delays either. Their strength is
#   elsewhere: features on many timescales at once (see
#   :ref:`sphx_glr_auto_examples_residuals_plot_heterogeneous_timescales.py`).
# - **tanh**, the non-linear residual, linearises to the identity at small states and
#   behaves like it.
# - **none** (a plain ESN with coupling 1) has a random recurrent matrix with
#   eigenvalues spread over a disc, so its units hold different traces, but they fade
#   within about 10 steps.
#
# The totals against the bound:

for name, res in models.items():
    mc = res.fit(np.zeros((1, 1))).memory_capacity_
    print(f"{name:>13}: MC = {mc:5.1f} of at most {n_units}")
