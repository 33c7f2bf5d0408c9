"""
BPTT on the adding problem (PyTorch backend)
============================================

The adding problem (Hochreiter & Schmidhuber, 1997) is a classic test of long memory
in trained recurrent networks: each sequence carries random numbers on one channel
and two markers on another, and the target is the sum of the two marked numbers
(:func:`~wcrnn_rc.datasets.make_adding_problem`). The network must catch the first
number when its marker passes and hold it until the end. Always answering 1 gives a
mean squared error of 1/6.

A reservoir with a linear readout cannot do this: it needs the *product* of marker
and number, held for many steps. :class:`~wcrnn_rc.torch.WCRNNTorchRegressor` trains
the same WCRNN end to end by backpropagation through time, starting from the network
a :class:`~wcrnn_rc.WCRNNReservoir` with the same ``random_state`` would draw. The
residual ``R`` (here rotations with modulus 1, a critical residual) keeps gradients
from vanishing over time, which is the point of the weakly coupled residual
initialisation.

This example needs the torch extra (``pip install ".[torch]"`` in the checkout).
"""

# %%
# Train for ten epochs
# --------------------
# 2000 training sequences of 20 steps, 32 units, Adam with learning rate 0.01; 10 %
# of the training set is held out for validation (and early stopping, which ten
# epochs do not reach here). A few seconds on a CPU.

import matplotlib.pyplot as plt
import numpy as np
import torch

from wcrnn_rc import WCRNNRegressor, WCRNNReservoir
from wcrnn_rc.datasets import make_adding_problem
from wcrnn_rc.plotting import PALETTE
from wcrnn_rc.torch import WCRNNTorchRegressor

# 32 units and batches of 32: each product is tiny, and on a CPU one thread runs
# them faster than several (which spend more time handing work over than working).
torch.set_num_threads(1)

X, y = make_adding_problem(n_samples=2400, seq_len=20, random_state=0)
X_train, y_train, X_test, y_test = X[:2000], y[:2000], X[2000:], y[2000:]

network = dict(n_units=32, residual="rotational", residual_scale=1.0, coupling=0.3)
model = WCRNNTorchRegressor(
    WCRNNReservoir(**network),
    max_epochs=10,
    lr=1e-2,
    batch_size=32,
    n_iter_no_change=10,
    random_state=0,
).fit(X_train, y_train)
bptt_mse = np.mean((model.predict(X_test) - y_test) ** 2)

# %%
# Baselines: the mean, and the same network as a reservoir
# --------------------------------------------------------
# The reservoir baseline is the *initial* network of the BPTT model (same parameters,
# same ``random_state``), fixed, with a ridge readout on its last and mean states.

reservoir = WCRNNRegressor(WCRNNReservoir(**network, sequence_features="both", random_state=0))
reservoir_mse = np.mean((reservoir.fit(X_train, y_train).predict(X_test) - y_test) ** 2)
mean_mse = np.mean((y_train.mean() - y_test) ** 2)
print(f"predict the mean:     test MSE {mean_mse:.4f}")
print(f"reservoir + ridge:    test MSE {reservoir_mse:.4f}")
print(f"BPTT, {model.n_epochs_} epochs:     test MSE {bptt_mse:.4f}")

# %%
# Learning curves and predictions
# -------------------------------
# ``history_`` records the training and validation loss of every epoch.

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
epochs = np.arange(1, model.n_epochs_ + 1)
axes[0].plot(epochs, model.history_["train_loss"], "o-", color=PALETTE[0],
             label="BPTT: training loss")  # fmt: skip
axes[0].plot(epochs, model.history_["valid_loss"], "s-", color=PALETTE[1],
             label="BPTT: validation loss")  # fmt: skip
axes[0].axhline(mean_mse, color="0.4", linestyle="--", label="predict the mean (test)")
axes[0].axhline(reservoir_mse, color=PALETTE[2], linestyle=":", linewidth=2,
                label="reservoir + ridge (test)")  # fmt: skip
axes[0].set_xlabel("epoch")
axes[0].set_ylabel("mean squared error (log scale)")
axes[0].set_yscale("log")
axes[0].legend(fontsize="small")
axes[0].set_title("$\\mathbf{a}$   learning curves", loc="left")

axes[1].plot(y_test, model.predict(X_test), ".", color=PALETTE[0], markersize=3,
             label=f"BPTT, {len(y_test)} test sequences")  # fmt: skip
axes[1].plot([0, 2], [0, 2], color="0.4", linewidth=1, label="prediction = target")
axes[1].set_aspect("equal")
axes[1].set_xlabel("target: sum of the two marked numbers")
axes[1].set_ylabel("prediction")
axes[1].legend(fontsize="small")
axes[1].set_title("$\\mathbf{b}$   test predictions", loc="left")
fig.tight_layout()

# %%
# Ten epochs bring the error well below both baselines. The fitted module is a
# plain ``torch.nn.Module`` (``model.module_``); ``model.module_.rnn.to_reservoir()``
# turns the trained recurrent layer back into a fitted
# :class:`~wcrnn_rc.WCRNNReservoir`, whose memory capacity and Lyapunov spectrum the
# analysis tools then measure. Longer sequences need more epochs and sequences; see
# the torch page of the user guide for the measured results at 50 to 200 steps.
