"""
A rotational residual on a frequency task
=========================================

A rotational residual is block-diagonal with 2x2 blocks :math:`\\lambda \\begin{pmatrix}
\\cos a & -\\sin a \\\\ \\sin a & \\cos a \\end{pmatrix}`: each pair of units rotates by
the angle :math:`a` per step while its amplitude fades as :math:`\\lambda^t`. Driven by
a sinusoid, such a pair is a damped resonator: it responds strongly to input near its
own angular frequency :math:`a` (in radians per step) and weakly elsewhere, with a
bandwidth of about :math:`1 - \\lambda`. A rotational reservoir is a bank of resonators,
and the angles decide which frequencies it hears.

:class:`~wcrnn_rc.residuals.RotationalResidual` offers three choices of angles:
``"spread"`` evenly over (0, pi), ``"random"``, and ``"data"``: the quantiles of the
training input's power spectrum (:func:`~wcrnn_rc.residuals.dominant_angles`),
chosen in ``fit``.
"""

# %%
# The task: four nearby frequencies
# ---------------------------------
# :func:`~wcrnn_rc.datasets.make_frequency_task` draws noisy sinusoids with random
# phases and amplitudes; each class has its own frequency. Here the four classes sit
# in a narrow band, 0.30 to 0.45 radians per step, 0.05 apart.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from wcrnn_rc import WCRNNReservoir
from wcrnn_rc.datasets import make_frequency_task
from wcrnn_rc.plotting import PALETTE, plot_residual_eigenvalues
from wcrnn_rc.residuals import RotationalResidual

frequencies = [[0.30], [0.35], [0.40], [0.45]]
X, y = make_frequency_task(
    n_samples=800, seq_len=100, n_classes=4, frequencies=frequencies, random_state=0
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, random_state=0, stratify=y
)

# %%
# Features: the power of each unit
# --------------------------------
# With random phases the class means are zero, so a linear readout of the (nearly
# linear, weakly coupled) states cannot tell the classes apart. What separates them
# is *how strongly* each resonator rings, so the readout gets each unit's mean
# squared state after a short washout: the output of a spectrum analyser.


def unit_power(reservoir, X, washout=20):
    """Mean squared state of every unit, per sequence: shape (n_sequences, n_units)."""
    states = reservoir.run(X)[:, washout:]
    return (states**2).mean(axis=1)


# %%
# Five residuals, eight units each
# --------------------------------
# Eight units make four rotation blocks: as many as classes, so where the angles go
# matters. All residuals have modulus 0.95 and the coupling is 0.05.

lam, n_units, seeds = 0.95, 8, range(5)
residuals = {
    "identity": "identity",
    "orthogonal": "orthogonal",
    "rotational\n(spread)": RotationalResidual(lam, angles="spread"),
    "rotational\n(random)": RotationalResidual(lam, angles="random"),
    "rotational\n(data)": RotationalResidual(lam, angles="data"),
}
scores = {}
for name, residual in residuals.items():
    scores[name] = []
    for seed in seeds:
        res = WCRNNReservoir(
            n_units=n_units, residual=residual, residual_scale=lam, coupling=0.05, random_state=seed
        ).fit(X_train)
        readout = make_pipeline(StandardScaler(), RidgeClassifier(alpha=1e-3))
        readout.fit(unit_power(res, X_train), y_train)
        scores[name].append(readout.score(unit_power(res, X_test), y_test))

fig, ax = plt.subplots(figsize=(7, 3.8))
names = list(scores)
positions = np.arange(len(names))
means, sds = [np.mean(scores[n]) for n in names], [np.std(scores[n], ddof=1) for n in names]
ax.bar(positions, means, yerr=sds, color=PALETTE[5], capsize=4, label="mean ± sd")
for position, name in zip(positions, names, strict=True):
    ax.plot(np.full(len(seeds), position), scores[name], ".", color="black", label="_")
ax.plot([], [], ".", color="black", label="one network (5 each)")
ax.axhline(0.25, color="0.4", linestyle="--", label="chance (4 classes)")
ax.set_xticks(positions, names)
ax.set_ylabel("test accuracy (200 sequences)")
ax.set_ylim(0, 1.05)
ax.set_title(f"{n_units} units, modulus {lam}, coupling 0.05")
ax.legend(loc="upper left", fontsize="small")
fig.tight_layout()

for name in names:
    print(f"{name.replace(chr(10), ' '):>21}: {np.mean(scores[name]):.3f}")

# %%
# Where the angles went
# ---------------------
# The data-chosen angles land on the four class frequencies, one block each. The
# spread angles are ``pi / 5`` apart and none falls inside the band: the nearest,
# 0.63, hears the band only through its flank. The identity
# residual has a single real eigenvalue, no resonance at all; the Haar-random phases
# of the orthogonal residual fall where they may.

fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
for ax, letter, angles in zip(axes, "ab", ["spread", "data"], strict=True):
    res = WCRNNReservoir(
        n_units=n_units, residual=RotationalResidual(lam, angles=angles), random_state=0
    ).fit(X_train)
    plot_residual_eigenvalues(res, ax=ax)
    for f in np.ravel(frequencies):
        ax.plot([0, np.cos(f)], [0, np.sin(f)], color=PALETTE[1], linewidth=1)
    ax.plot([], [], color=PALETTE[1], label="class frequencies (angle = rad/step)")
    ax.get_legend().remove()  # one legend for both, below
    chosen = ", ".join(f"{a:.2f}" for a in res.residual_.angles_)
    ax.set_title(f'$\\mathbf{{{letter}}}$   angles="{angles}": {chosen}', loc="left")
fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=3, fontsize="small")
fig.tight_layout(rect=(0, 0.06, 1, 1))
