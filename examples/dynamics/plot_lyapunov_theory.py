"""
The Lyapunov spectrum against theory
====================================

The Lyapunov exponents of a driven network measure how fast nearby states separate
(positive) or merge (negative), per time step. For a WCRNN the step Jacobian is

.. math::

   J_t = R + \\varepsilon\\, \\mathrm{diag}(f'(a_t))\\, W,

so as the coupling :math:`\\varepsilon` goes to 0 the exponents approach
:math:`\\log|\\lambda_i(R)|`, the log-moduli of the residual's eigenvalues; at
:math:`\\varepsilon = 0` they are exactly that. This is the theory the test suite
checks, and every fitted reservoir reports it as ``residual_lyapunov_exponents_``.

:func:`~wcrnn_rc.analysis.lyapunov_spectrum` computes the numeric spectrum by the QR
method in a compiled kernel; :func:`~wcrnn_rc.plotting.plot_lyapunov_spectrum` draws
it against the theory.
"""

# %%
# Heterogeneous timescales: distinct exponents
# --------------------------------------------
# The heterogeneous residual :math:`R = \mathrm{diag}(e^{-1/\tau_i})` has exponents
# :math:`-1/\tau_i`, all different, which makes the comparison sharp. With distinct
# moduli the tangent frame needs a long washout to turn towards the eigenvectors.

import matplotlib.pyplot as plt
import numpy as np

from wcrnn_rc import WCRNNReservoir
from wcrnn_rc.analysis import lyapunov_spectrum
from wcrnn_rc.plotting import PALETTE, plot_lyapunov_spectrum
from wcrnn_rc.residuals import HeterogeneousResidual

n_units = 30
fig, axes = plt.subplots(1, 3, figsize=(11, 3.8), sharey=True)
for ax, letter, coupling in zip(axes, "abc", [0.0, 0.05, 0.3], strict=True):
    res = WCRNNReservoir(
        n_units=n_units,
        residual=HeterogeneousResidual(timescales=(2, 50)),
        coupling=coupling,
        random_state=0,
    ).fit(np.zeros((1, 1)))
    plot_lyapunov_spectrum(res, n_steps=2000, washout=1000, random_state=0, ax=ax)
    ax.set_title(f"$\\mathbf{{{letter}}}$   coupling $\\varepsilon$ = {coupling}", loc="left")
for ax in axes[1:]:
    ax.set_ylabel("")
    ax.get_legend().remove()  # the same three entries as in (a)
fig.suptitle(f"heterogeneous residual, timescales 2 to 50 steps, N = {n_units}")
fig.tight_layout()

# %%
# At ``coupling=0`` the markers sit on the line (the tests require agreement to
# 1e-8). With weak coupling the spectrum moves only slightly; at 0.3 the random
# branch mixes the units and the middle of the spectrum leaves the residual's values.
#
# Orthogonal residual: a band around log(lambda)
# ----------------------------------------------
# For :math:`R = \lambda Q` with :math:`Q` orthogonal, every exponent of the weakly
# coupled network lies in :math:`[\log(\lambda - \varepsilon \lVert W\rVert_2),
# \log(\lambda + \varepsilon \lVert W\rVert_2)]` (the activation's slope is at most 1).
# The band narrows linearly with the coupling. The bound is loose: the numeric exponents
# spread much less than it allows, since ``f'`` is mostly below 1 and the tangent
# directions do not stay aligned with W's leading singular vectors.

lam = 0.9
couplings = np.array([0.005, 0.01, 0.02, 0.04, 0.08])
fig, ax = plt.subplots(figsize=(6, 4))
for coupling in couplings:
    res = WCRNNReservoir(
        n_units=n_units,
        residual="orthogonal",
        residual_scale=lam,
        coupling=coupling,
        random_state=0,
    ).fit(np.zeros((1, 1)))
    exponents = lyapunov_spectrum(res, n_steps=1000, washout=200, random_state=0)
    ax.plot(np.full(n_units, coupling), exponents, "_", color=PALETTE[0], markersize=12)
    norm_w = np.linalg.norm(res.recurrent_weights_, 2)
    ax.plot(coupling, np.log(lam + coupling * norm_w), "v", color=PALETTE[1])
    ax.plot(coupling, np.log(lam - coupling * norm_w), "^", color=PALETTE[1])
ax.axhline(np.log(lam), color="0.4", linestyle="--", label="theory: $\\log\\lambda$ (all 30)")
ax.plot([], [], "_", color=PALETTE[0], markersize=12, label="numeric exponents (30 each)")
ax.plot([], [], "v", color=PALETTE[1],
        label="bounds $\\log(\\lambda \\pm \\varepsilon\\,\\|W\\|_2)$")  # fmt: skip
ax.set_xscale("log")
ax.set_xticks(couplings, [f"{c:g}" for c in couplings])
ax.minorticks_off()
ax.set_xlabel("coupling $\\varepsilon$")
ax.set_ylabel("Lyapunov exponent $\\lambda_i$ (per step)")
ax.set_title(f"orthogonal residual, $\\lambda$ = {lam}, N = {n_units}")
ax.legend(loc="lower left", fontsize="small")
fig.tight_layout()
