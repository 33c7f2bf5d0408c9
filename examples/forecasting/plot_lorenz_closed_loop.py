"""
Lorenz-63 in closed loop: valid time and the learnt Lyapunov exponents
======================================================================

A :class:`~wcrnn_rc.WCRNNForecaster` learns the Lorenz-63 system by teacher forcing
(the network is driven by the observed state and trained to output the next one),
then generates its future in closed loop, feeding each output back as its next
input. With the ridge readout the closed loop is itself a WCRNN (recurrent weights
``W + U_y V``), so generation runs in the compiled kernels.

Two things are measured: the **valid prediction time**, how long the forecast stays
within a normalised error of 0.4 of the truth, in Lyapunov times; and the
**autonomous closed-loop Lyapunov spectrum** of the trained forecaster, against the
system's (0.9056, 0, -14.57) per unit time. This is not the reservoir's input-driven
spectrum (``WCRNNReservoir.lyapunov_exponents_``), which is negative for any reservoir
with fading memory.
"""

# %%
# Train and generate
# ------------------
# The series is standardised with the training statistics: a reservoir wants inputs
# of order 1.

import matplotlib.pyplot as plt
from sklearn.linear_model import Ridge

from wcrnn_rc import WCRNNForecaster, WCRNNReservoir
from wcrnn_rc.analysis import kaplan_yorke_dimension
from wcrnn_rc.datasets import make_lorenz
from wcrnn_rc.metrics import valid_prediction_time
from wcrnn_rc.plotting import plot_attractor, plot_forecast

dt, lam = 0.02, 0.9056
X, _ = make_lorenz(6000, dt=dt, washout=1000, random_state=0)
mean, std = X[:5000].mean(axis=0), X[:5000].std(axis=0)
Z = (X - mean) / std
train, test = Z[:5000], Z[5000:]

model = WCRNNForecaster(
    # from the search in benchmarks/search_forecasting.py (seeds 100-102)
    WCRNNReservoir(
        n_units=300,
        residual="identity",
        residual_scale=0.3,
        coupling=0.5,
        recurrent_gain=0.9,
        input_scaling=0.3,
        bias_scaling=2.0,
        random_state=0,
    ),
    Ridge(alpha=1e-10),
    washout=200,
)
model.fit(train)
forecast = model.predict(len(test))
valid = valid_prediction_time(test, forecast, scale=train.std(axis=0), dt=dt, lyapunov_exponent=lam)
print(f"valid prediction time: {valid:.2f} Lyapunov times")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [2, 1]})
plot_forecast(test, forecast, dt=dt, lyapunov_exponent=lam, scale=train.std(axis=0), ax=ax1)
ax1.set_title("x(t), standardised")
plot_attractor(train, forecast, components=(0, 2), ax=ax2)
ax2.set_title("x-z projection")
fig.tight_layout()

# %%
# The closed-loop spectrum
# ------------------------
# The leading exponents of the autonomous closed loop, per unit time (``dt``), from
# the compiled QR kernel on the Jacobians ``R + eps diag(f') (W + U_y V)``.

exponents = model.lyapunov_spectrum(3, n_steps=4000, washout=500, dt=dt)
for i, (got, true) in enumerate(zip(exponents, (0.9056, 0.0, -14.5723), strict=True), 1):
    print(f"lambda_{i}: closed loop {got:7.3f}, Lorenz-63 {true:7.3f}")
print(f"Kaplan-Yorke dimension {kaplan_yorke_dimension(exponents):.3f} (Lorenz-63: 2.062)")
