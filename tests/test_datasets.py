"""Dataset generators and loaders: shapes, determinism, task semantics, offline fetchers."""

import gzip
import hashlib
import json
import shutil
import socket
import time
import warnings

import numpy as np
import pytest
import sklearn.datasets._openml as openml_module
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch, check_random_state

from wcrnn_rc import WCRNNReservoir
from wcrnn_rc.datasets import (
    fetch_sequential_cifar10,
    fetch_sequential_mnist,
    load_sequential_digits,
    make_adding_problem,
    make_copy_task,
    make_delay_task,
    make_frequency_task,
    make_mackey_glass,
    make_narma,
)

# float32 results computed by different but equivalent routes agree to a few ulp.
F32_RTOL = 4 * np.finfo(np.float32).eps

# Small but valid arguments for every generator (fast enough to call many times).
GENERATORS = {
    "adding": (make_adding_problem, dict(n_samples=7, seq_len=9)),
    "copy": (make_copy_task, dict(n_samples=6, seq_len=4, n_symbols=3, delay=5)),
    "delay": (make_delay_task, dict(n_steps=50, delay=[0, 2, 7])),
    "narma": (make_narma, dict(n_steps=80, order=5, washout=20)),
    "mackey_glass": (make_mackey_glass, dict(n_steps=40, washout=10)),
    "frequency": (make_frequency_task, dict(n_samples=10, seq_len=30)),
}

EXPECTED_SHAPES = {
    "adding": ((7, 9, 2), (7,)),
    "copy": ((6, 10, 4), (6, 4)),
    "delay": ((50, 1), (50, 3)),
    "narma": ((80, 1), (80,)),
    "mackey_glass": ((40, 1), (40,)),
    "frequency": ((10, 30, 1), (10,)),
}


# --------------------------------------------------------------------------------------
# Shapes, dtypes, determinism, Bunch
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GENERATORS)
def test_shapes_dtypes_and_bunch(name):
    make, kwargs = GENERATORS[name]
    X, y = make(**kwargs, random_state=0)
    assert (X.shape, y.shape) == EXPECTED_SHAPES[name]
    assert X.dtype == np.float64
    integer_target = name in ("copy", "frequency")
    assert y.dtype == (np.int64 if integer_target else np.float64)
    bunch = make(**kwargs, random_state=0, return_X_y=False)
    assert isinstance(bunch, Bunch)
    assert_array_equal(bunch.data, X)
    assert_array_equal(bunch.target, y)
    assert isinstance(bunch.DESCR, str) and bunch.DESCR


@pytest.mark.parametrize("name", GENERATORS)
def test_same_seed_same_data_other_seed_other_data(name):
    make, kwargs = GENERATORS[name]
    X0, y0 = make(**kwargs, random_state=0)
    X0b, y0b = make(**kwargs, random_state=np.random.RandomState(0))
    X1, y1 = make(**kwargs, random_state=1)
    assert_array_equal(X0, X0b)
    assert_array_equal(y0, y0b)
    assert not np.array_equal(X0, X1)


@pytest.mark.parametrize("name", GENERATORS)
def test_negative_or_zero_size_is_rejected(name):
    make, kwargs = GENERATORS[name]
    size = "n_samples" if "n_samples" in kwargs else "n_steps"
    with pytest.raises(ValueError, match=f"'{size}' parameter"):
        make(**{**kwargs, size: -1})
    with pytest.raises(ValueError, match=f"'{size}' parameter"):
        make(**{**kwargs, size: 0})
    with pytest.raises(ValueError, match="'random_state' parameter"):
        make(**kwargs, random_state="seed")


# --------------------------------------------------------------------------------------
# Adding problem, copy task, delay task
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seq_len", [2, 7, 50])
def test_adding_problem_has_one_marker_per_half_and_the_marked_sum(seq_len):
    data = make_adding_problem(300, seq_len, random_state=3, return_X_y=False)
    X, y = data.data, data.target
    values, markers = X[:, :, 0], X[:, :, 1]
    assert ((values >= 0) & (values < 1)).all()
    assert set(np.unique(markers)) <= {0.0, 1.0}
    half = seq_len // 2
    assert_array_equal(markers[:, :half].sum(axis=1), 1)
    assert_array_equal(markers[:, half:].sum(axis=1), 1)
    assert_allclose(y, (values * markers).sum(axis=1), rtol=1e-15)
    first, second = data.markers.T
    assert (first < half).all() and (second >= half).all()
    assert_array_equal(markers[np.arange(300), first], 1)
    if seq_len == 50:  # both halves are used all over, not only at fixed steps
        assert len(np.unique(first)) > 15 and len(np.unique(second)) > 15


def test_adding_problem_rejects_a_sequence_too_short_for_two_halves():
    with pytest.raises(ValueError, match="'seq_len' parameter"):
        make_adding_problem(10, 1)


def test_copy_task_is_one_hot_and_the_target_is_readable_from_the_input():
    seq_len, n_symbols, delay = 6, 5, 11
    X, y = make_copy_task(
        200, seq_len, n_symbols=n_symbols, delay=delay, random_state=0, return_X_y=True
    )
    assert X.shape == (200, seq_len + delay + 1, n_symbols + 1)
    symbols = X[:, :seq_len]
    assert_array_equal(symbols.sum(axis=2), 1)  # exactly one channel per symbol step
    assert_array_equal(symbols[:, :, n_symbols], 0)  # the cue channel stays off
    assert_array_equal(symbols.argmax(axis=2), y)
    assert_array_equal(X[:, seq_len : seq_len + delay], 0)  # blanks
    cue = np.zeros(n_symbols + 1)
    cue[n_symbols] = 1
    assert_array_equal(X[:, -1], np.broadcast_to(cue, (200, n_symbols + 1)))
    assert set(np.unique(y)) == set(range(n_symbols))


def test_copy_task_without_delay_and_errors():
    X, y = make_copy_task(3, 4, n_symbols=2, delay=0, random_state=0)
    assert X.shape == (3, 5, 3)
    with pytest.raises(ValueError, match="'n_symbols' parameter"):
        make_copy_task(3, 4, n_symbols=1)
    with pytest.raises(ValueError, match="'delay' parameter"):
        make_copy_task(3, 4, delay=-1)


@pytest.mark.parametrize("delay", [0, 1, 4, 25])
def test_delay_task_target_is_the_shifted_input(delay):
    data = make_delay_task(200, delay, random_state=1, return_X_y=False)
    x, y = data.data[:, 0], data.target
    assert y.shape == (200,)
    assert ((x >= -0.5) & (x <= 0.5)).all()
    assert_array_equal(y[delay:], x[: 200 - delay])
    # The first `delay` targets come from the samples drawn before the series.
    assert_array_equal(y[:delay], data.history[len(data.history) - delay :])


def test_delay_task_with_several_delays_gives_one_column_each():
    delays = [3, 0, 10]
    X, Y = make_delay_task(100, delays, random_state=2)
    assert Y.shape == (100, 3)
    full = np.concatenate([make_delay_task(100, delays, random_state=2, return_X_y=False)
                           .history, X[:, 0]])  # fmt: skip
    for j, d in enumerate(delays):
        assert_array_equal(Y[:, j], full[10 - d : 110 - d])
    # A one-element list still gives a column; the scalar gives a vector.
    assert make_delay_task(20, [4], random_state=0)[1].shape == (20, 1)
    assert_array_equal(
        make_delay_task(20, [4], random_state=0)[1][:, 0], make_delay_task(20, 4, random_state=0)[1]
    )


@pytest.mark.parametrize(
    ("delay", "error", "match"),
    [
        (-1, ValueError, "'delay' parameter"),
        ([2, -3], ValueError, "0 or more"),
        ([], ValueError, "non-empty"),
        ([[1, 2]], ValueError, "1-D"),
        ([1.5], TypeError, "integers"),
    ],
)
def test_delay_task_bad_delays(delay, error, match):
    with pytest.raises(error, match=match):
        make_delay_task(10, delay)


# --------------------------------------------------------------------------------------
# NARMA
# --------------------------------------------------------------------------------------


def _narma_reference(u, order):
    """y[t + 1] from the NARMA equation with explicit indices (y = 0 before ``order``)."""
    y = np.zeros(len(u) + 1)
    for t in range(order - 1, len(u)):
        y[t + 1] = (
            0.3 * y[t]
            + 0.05 * y[t] * np.sum(y[t - order + 1 : t + 1])
            + 1.5 * u[t - order + 1] * u[t]
            + 0.1
        )
    return y[1:]  # y[t] is the target after input u[t]


@pytest.mark.parametrize("order", [1, 2, 5, 10])
def test_narma_matches_the_equation(order):
    X, y = make_narma(300, order, washout=0, random_state=order)
    u = X[:, 0]
    assert ((u >= 0) & (u <= 0.5)).all()
    assert_allclose(y, _narma_reference(u, order), rtol=1e-12, atol=1e-14)


def test_narma_washout_drops_the_leading_steps():
    X_full, y_full = make_narma(150, 10, washout=0, random_state=4)
    X, y = make_narma(100, 10, washout=50, random_state=4)
    assert_array_equal(X, X_full[50:])
    assert_allclose(y, y_full[50:], rtol=1e-14)
    # NARMA-10 stays in its usual range after the washout.
    X, y = make_narma(2000, 10, random_state=0)
    assert 0.1 < y.min() and y.max() < 1.5


def test_narma_raises_when_it_diverges():
    with pytest.raises(ValueError, match="NARMA-20 diverged"):
        make_narma(2000, 20, random_state=0)


# --------------------------------------------------------------------------------------
# Mackey-Glass
# --------------------------------------------------------------------------------------


def _euler_mackey_glass(history, tau, t_end, h, beta=0.2, gamma=0.1, n=10):
    """Forward Euler at step h; the history is linear between its grid points."""
    m, k = round(tau / h), round(t_end / h)
    t_history = np.linspace(-tau, 0, len(history))
    x = np.interp(np.linspace(-tau, 0, m + 1), t_history, history).tolist() + [0.0] * k
    for i in range(m, m + k):
        delayed = x[i - m]
        x[i + 1] = x[i] + h * (beta * delayed / (1 + delayed**n) - gamma * x[i])
    return np.asarray(x[m:])  # times 0, h, ..., t_end


def test_mackey_glass_matches_an_independent_integration():
    data = make_mackey_glass(60, washout=0, random_state=0, return_X_y=False)
    assert_allclose(data.times, np.arange(60.0))
    assert data.history.shape == (171,)  # tau / dt + 1 grid points
    rk4 = data.data[:, 0]
    coarse = _euler_mackey_glass(data.history, 17, 59, 0.005)[::200]
    fine = _euler_mackey_glass(data.history, 17, 59, 0.0025)[::400]
    # Euler's error is first order: it halves with h (measured 2.6e-4 and 1.2e-4 over
    # these 59 time units), so RK4 at dt = 0.1 is far more accurate than either ...
    ratio = np.abs(coarse - rk4).max() / np.abs(fine - rk4).max()
    assert 1.6 < ratio < 2.5, ratio
    # ... and agrees with their Richardson extrapolation 2 fine - coarse, which cancels
    # the first-order term (measured 2.8e-5; RK4 at dt = 0.01 differs by 4e-5).
    assert np.abs(2 * fine - coarse - rk4).max() < 1e-4


def test_mackey_glass_stays_on_the_tau17_attractor():
    X, y = make_mackey_glass(3000, random_state=1)
    assert_array_equal(y[:-1], X[1:, 0])
    assert 0.2 < X.min() < 0.6 and 1.2 < X.max() < 1.4  # measured 0.42 and 1.32
    # Chaotic, not settled on a fixed point or a small cycle: the late half still swings.
    assert np.ptp(X[1500:]) > 0.8


def test_mackey_glass_sampling_and_horizon():
    dense = make_mackey_glass(100, sample_every=0.5, washout=0, random_state=2)[0][:, 0]
    sparse, y = make_mackey_glass(50, sample_every=1.0, washout=0, horizon=3, random_state=2)
    assert_allclose(sparse[:, 0], dense[::2], rtol=1e-14)
    assert_allclose(y[:-3], sparse[3:, 0], rtol=1e-14)
    # tau = 30: the longer delay gives a different, still bounded series.
    X, _ = make_mackey_glass(500, tau=30, random_state=0)
    assert np.isfinite(X).all() and 0 < X.min() and X.max() < 1.6


@pytest.mark.slow
def test_mackey_glass_documented_exponent_is_what_benettins_method_measures():
    """Two copies of the integration, the second's delay window (tau / dt + 1 grid
    values) 1e-9 away and pulled back to 1e-9 every 10 time units: their mean log
    growth rate is the leading exponent. Four histories of 2e4 time units measured
    0.0050-0.0056 (mean 0.0052); the documented 0.0051 is from 5e5 time units."""
    from wcrnn_rc.datasets import _mackey_glass_rk4

    dt, delay, every, gap = 0.1, 170, 100, 1e-9

    def advance(window):  # the last tau / dt + 1 values after `every` more steps
        grid = _mackey_glass_rk4(window, every, delay, dt, 0.2, 0.1, 10)
        return np.concatenate([window, grid[1:]])[-(delay + 1) :]

    rates = []
    for seed in range(4):
        bunch = make_mackey_glass(
            delay + 1, sample_every=dt, washout=10_000, random_state=seed, return_X_y=False
        )
        a = bunch.data[:, 0]
        direction = np.random.default_rng(seed).normal(size=delay + 1)
        b = a + gap * direction / np.linalg.norm(direction)
        growth, n_intervals = 0.0, 2000
        for interval in range(n_intervals + 2):
            a, b = advance(a), advance(b)
            distance = np.linalg.norm(b - a)
            if interval >= 2:  # the first 20 time units align the difference
                growth += np.log(distance / gap)
            b = a + (b - a) * (gap / distance)
        rates.append(growth / (n_intervals * every * dt))
    assert bunch.lyapunov_exponent == 0.0051
    assert np.mean(rates) == pytest.approx(bunch.lyapunov_exponent, rel=0.1)
    assert make_mackey_glass(5, tau=30, return_X_y=False).lyapunov_exponent is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(tau=17, dt=0.3), "tau=17 must be a positive whole multiple of dt=0.3"),
        (dict(tau=0.05), "tau=0.05 must be a positive whole multiple"),
        (dict(sample_every=0.25), "sample_every=0.25 must be a positive whole multiple"),
        (dict(tau=-1), "'tau' parameter"),
        (dict(dt=0), "'dt' parameter"),
        (dict(horizon=0), "'horizon' parameter"),
    ],
)
def test_mackey_glass_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_mackey_glass(10, **kwargs)


# --------------------------------------------------------------------------------------
# Frequency task
# --------------------------------------------------------------------------------------


def _peak_frequencies(X, n_fft=8192):
    """Angular frequency of the largest peak of each row's Hann-windowed spectrum."""
    spectrum = np.abs(np.fft.rfft(X * np.hanning(X.shape[1]), n=n_fft, axis=1))
    return 2 * np.pi * spectrum.argmax(axis=1) / n_fft


def test_frequency_task_spectral_peaks_sit_at_the_class_frequencies():
    seq_len = 256
    data = make_frequency_task(200, seq_len, noise=0.0, random_state=0, return_X_y=False)
    X, y, freqs = data.data[:, :, 0], data.target, data.frequencies
    assert freqs.shape == (4, 2)
    assert ((freqs > 0) & (freqs < np.pi)).all()
    assert len(np.unique(freqs)) == 8  # no frequency shared by two classes
    bin_width = 2 * np.pi / seq_len
    peaks = _peak_frequencies(X)
    assert (np.abs(peaks[:, None] - freqs[y]).min(axis=1) < bin_width).all()
    # Both of a class's frequencies carry power; no other class's frequency does.
    window = np.hanning(seq_len)
    t = np.arange(seq_len)
    for c in range(4):
        rows = X[y == c] * window
        power = {f: np.abs(rows @ np.exp(-1j * f * t)) for f in freqs.ravel()}
        own = np.min([power[f] for f in freqs[c]], axis=0)
        other = np.max([power[f] for f in np.delete(freqs, c, axis=0).ravel()], axis=0)
        assert (own > 5 * other).all()


def test_frequency_task_with_given_frequencies():
    freqs = [0.3, 1.1, 2.5]
    data = make_frequency_task(
        90, 200, n_classes=3, frequencies=freqs, noise=0.0, random_state=1, return_X_y=False
    )
    assert data.frequencies.shape == (3, 1)
    assert_array_equal(np.bincount(data.target), [30, 30, 30])  # balanced
    peaks = _peak_frequencies(data.data[:, :, 0])
    assert_allclose(peaks, np.asarray(freqs)[data.target], atol=2 * np.pi / 200)
    assert (data.amplitudes >= 0.5).all() and (data.amplitudes <= 1.5).all()


def test_frequency_task_noise_level():
    clean = make_frequency_task(50, 100, noise=0.0, random_state=5)[0]
    noisy = make_frequency_task(50, 100, noise=0.5, random_state=5)[0]
    assert_allclose(np.std(noisy - clean), 0.5, rtol=0.05)


def test_frequency_task_needs_memory_and_a_reservoir_solves_it():
    # The values of a sequence without their order (sorted) carry almost no class
    # information; a reservoir's states do. Measured: 0.27 (chance 0.25; 0.27-0.30 over
    # seeds 0-2) and 1.0.
    X, y = make_frequency_task(800, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    orderless = RidgeClassifier().fit(np.sort(X_train[:, :, 0]), y_train)
    assert orderless.score(np.sort(X_test[:, :, 0]), y_test) < 0.4
    pipe = Pipeline(
        [
            ("res", WCRNNReservoir(n_units=50, sequence_features="both", random_state=0)),
            ("scale", StandardScaler()),
            ("clf", RidgeClassifier()),
        ]
    )
    assert pipe.fit(X_train, y_train).score(X_test, y_test) >= 0.95


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(frequencies=[0.5, 1.0]), "2 rows .* but n_classes=4"),
        (dict(n_classes=2, frequencies=[0.5, 4.0]), r"in \(0, pi\]"),
        (dict(n_classes=2, frequencies=[0.0, 1.0]), r"in \(0, pi\]"),
        (dict(n_classes=2, frequencies=np.zeros((2, 0))), "k >= 1"),
        (dict(n_classes=1), "'n_classes' parameter"),
        (dict(noise=-0.1), "'noise' parameter"),
    ],
)
def test_frequency_task_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_frequency_task(10, 20, **kwargs)


# --------------------------------------------------------------------------------------
# Sequential digits
# --------------------------------------------------------------------------------------


def test_sequential_digits_pixels_rows_and_scaling():
    digits = load_digits()
    data = load_sequential_digits()
    assert data.data.shape == (1797, 64, 1) and data.data.dtype == np.float64
    assert data.permutation is None
    assert_array_equal(data.target, digits.target)
    assert_array_equal(data.target_names, np.arange(10))
    assert data.data.min() == 0 and data.data.max() == 1
    assert_allclose(data.data[:, :, 0], digits.data / 16)
    assert_allclose(data.images, digits.images / 16)
    rows = load_sequential_digits(by="row").data
    assert rows.shape == (1797, 8, 8)
    assert_array_equal(rows, data.images)  # row r of the image is step r
    X, y = load_sequential_digits(return_X_y=True)
    assert_array_equal(X, data.data)
    assert_array_equal(y, data.target)


def test_sequential_digits_permutation_is_fixed_by_random_state():
    a = load_sequential_digits(permute=True, random_state=3)
    b = load_sequential_digits(permute=True, random_state=3)
    c = load_sequential_digits(permute=True, random_state=4)
    assert_array_equal(a.permutation, check_random_state(3).permutation(64))
    assert_array_equal(a.permutation, b.permutation)
    assert_array_equal(a.data, b.data)
    assert not np.array_equal(a.permutation, c.permutation)
    # Step s of every sequence is raster pixel permutation[s] of the unpermuted image.
    flat = a.images.reshape(-1, 64)
    assert_array_equal(a.data[:, :, 0], flat[:, a.permutation])
    # Rows are cut after permuting: the same permuted sequence, 8 values per step.
    rows = load_sequential_digits(permute=True, by="row", random_state=3)
    assert_array_equal(rows.data.reshape(-1, 64), a.data[:, :, 0])
    assert_array_equal(rows.permutation, a.permutation)


def test_sequential_digits_bad_arguments():
    with pytest.raises(ValueError, match="'by' parameter"):
        load_sequential_digits(by="column")
    with pytest.raises(ValueError, match="'permute' parameter"):
        load_sequential_digits(permute="yes")


def test_reservoir_classifies_permuted_sequential_digits():
    """End to end: reservoir + ridge readout on permuted pixel sequences, far above 0.1."""
    X, y = load_sequential_digits(permute=True, return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    pipe = Pipeline(
        [
            ("res", WCRNNReservoir(n_units=100, sequence_features="both", random_state=0)),
            ("clf", RidgeClassifier()),
        ]
    )
    accuracy = pipe.fit(X_train, y_train).score(X_test, y_test)
    assert accuracy >= 0.85, accuracy  # measured 0.918 (0.911-0.920 over 3 seeds)


# --------------------------------------------------------------------------------------
# Fetchers, from an OpenML cache written here (no network)
# --------------------------------------------------------------------------------------


def _gzip_json(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(obj, f)


def _write_openml_cache(data_home, name, data_id, feature_names, values, labels):
    """Write the files ``fetch_openml(name, version=1)`` reads from ``data_home``.

    The layout is the one of sklearn/datasets/_openml.py: each API url
    ``https://www.openml.org/<path>`` is cached gzipped at
    ``<data_home>/openml/openml.org/<path>.gz``. The ARFF file's md5 (of the
    uncompressed text) must match the data description.
    """
    root = data_home / "openml" / "openml.org"
    file_id = data_id + 1000
    arff_path = f"data/v1/download/{file_id}/{name}.arff"
    classes = [str(k) for k in range(10)]
    lines = [f"@RELATION {name}", ""]
    lines += [f"@ATTRIBUTE {feature} NUMERIC" for feature in feature_names]
    lines += ["@ATTRIBUTE class {" + ",".join(classes) + "}", "", "@DATA"]
    lines += [
        ",".join(str(int(v)) for v in row) + f",{label}"
        for row, label in zip(values, labels, strict=True)
    ]
    arff = ("\n".join(lines) + "\n").encode("utf-8")
    (root / arff_path).parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(root / (arff_path + ".gz"), "wb") as f:
        f.write(arff)

    search = f"api/v1/json/data/list/data_name/{name.lower()}/limit/2/data_version/1"
    _gzip_json(
        root / (search + ".gz"),
        {"data": {"dataset": [{"did": data_id, "name": name, "version": 1, "status": "active"}]}},
    )
    description = {
        "id": str(data_id),
        "name": name,
        "version": "1",
        "description": f"A tiny stand-in for {name}.",
        "format": "ARFF",
        "file_id": str(file_id),
        "default_target_attribute": "class",
        "status": "active",
        "url": f"https://api.openml.org/{arff_path}",
        "md5_checksum": hashlib.md5(arff).hexdigest(),
    }
    _gzip_json(root / f"api/v1/json/data/{data_id}.gz", {"data_set_description": description})

    def feature(index, feature_name, data_type, is_target):
        entry = {
            "index": str(index),
            "name": feature_name,
            "data_type": data_type,
            "is_target": is_target,
            "is_ignore": "false",
            "is_row_identifier": "false",
            "number_of_missing_values": "0",
        }
        if data_type == "nominal":
            entry["nominal_value"] = classes
        return entry

    features = [feature(i, f, "numeric", "false") for i, f in enumerate(feature_names)]
    features.append(feature(len(feature_names), "class", "nominal", "true"))
    _gzip_json(
        root / f"api/v1/json/data/features/{data_id}.gz",
        {"data_features": {"feature": features}},
    )
    qualities = [
        {"name": "NumberOfInstances", "value": f"{len(values)}.0"},
        {"name": "NumberOfFeatures", "value": f"{len(feature_names) + 1}.0"},
    ]
    _gzip_json(
        root / f"api/v1/json/data/qualities/{data_id}.gz",
        {"data_qualities": {"quality": qualities}},
    )


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt of fetch_openml to download fails the test loudly."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"fetch_openml tried the network: {args!r}")

    monkeypatch.setattr(openml_module, "urlopen", refuse)


MNIST_LABELS = [7, 2, 1, 0, 4]


def _mnist_pixels():
    values = (7 * np.arange(5)[:, None] + 3 * np.arange(784)[None, :]) % 256
    values[0, 3 * 28 + 10] = 255  # image 0: a bright pixel at row 3, column 10
    values[1, :] = 0
    values[1, 27 * 28] = 200  # image 1: one pixel, at row 27, column 0
    return values


@pytest.fixture
def mnist_home(tmp_path, no_network):
    _write_openml_cache(
        tmp_path,
        "mnist_784",
        554,
        [f"pixel{j + 1}" for j in range(784)],
        _mnist_pixels(),
        MNIST_LABELS,
    )
    return tmp_path


def test_fetch_sequential_mnist_reads_the_cache_by_pixel_and_row(mnist_home):
    values = _mnist_pixels()
    data = fetch_sequential_mnist(data_home=mnist_home)
    X = data.data
    assert X.shape == (5, 784, 1) and X.dtype == np.float32
    assert data.target.dtype == np.int64
    assert_array_equal(data.target, MNIST_LABELS)
    assert data.permutation is None
    assert X.min() >= 0 and X.max() == 1
    assert_array_equal(np.rint(X[:, :, 0] * 255), values)  # scaled by 1/255
    assert_allclose(X[:, :, 0], values / 255, rtol=1e-7)
    assert data.images.shape == (5, 28, 28)
    assert data.images[0, 3, 10] == 1 and data.images[1, 27, 0] == np.float32(200 / 255)
    assert np.count_nonzero(data.images[1]) == 1
    assert "A tiny stand-in for mnist_784" in data.DESCR
    rows = fetch_sequential_mnist(by="row", data_home=mnist_home).data
    assert rows.shape == (5, 28, 28) and rows.dtype == np.float32
    assert_array_equal(rows, data.images)
    assert rows[0, 3, 10] == 1  # step 3 is row 3
    X2, y2 = fetch_sequential_mnist(data_home=mnist_home, return_X_y=True)
    assert_array_equal(X2, X)
    assert_array_equal(y2, data.target)


def test_fetch_sequential_mnist_permutation(mnist_home):
    a = fetch_sequential_mnist(permute=True, random_state=0, data_home=mnist_home)
    b = fetch_sequential_mnist(permute=True, random_state=0, data_home=mnist_home)
    c = fetch_sequential_mnist(permute=True, random_state=1, data_home=mnist_home)
    assert_array_equal(a.permutation, check_random_state(0).permutation(784))
    assert_array_equal(a.permutation, b.permutation)
    assert_array_equal(a.data, b.data)
    assert not np.array_equal(a.permutation, c.permutation)
    flat = a.images.reshape(5, 784)
    assert_array_equal(a.data[:, :, 0], flat[:, a.permutation])
    # The bright pixel of image 0 moved to the step that now holds raster pixel 94.
    step = int(np.flatnonzero(a.permutation == 3 * 28 + 10)[0])
    assert a.data[0, step, 0] == 1
    rows = fetch_sequential_mnist(permute=True, by="row", data_home=mnist_home).data
    assert_array_equal(rows.reshape(5, 784), a.data[:, :, 0])


CIFAR_LABELS = [3, 8, 0, 6]


def _cifar_columns():
    """Channel-major columns (1024 red, 1024 green, 1024 blue) with known values."""
    image, channel, pixel = np.meshgrid(np.arange(4), np.arange(3), np.arange(1024), indexing="ij")
    values = (61 * image + 89 * channel + 7 * pixel) % 256  # (4, 3, 1024)
    values[1] = 0  # image 1: three marked pixels, one per channel
    values[1, 0, 2 * 32 + 5] = 255  # red at row 2, column 5
    values[1, 1, 31 * 32 + 0] = 128  # green at row 31, column 0
    values[1, 2, 0 * 32 + 31] = 64  # blue at row 0, column 31
    return values


@pytest.fixture
def cifar_home(tmp_path, no_network):
    _write_openml_cache(
        tmp_path,
        "CIFAR_10",
        40927,
        [f"a{j}" for j in range(3072)],
        _cifar_columns().reshape(4, 3072),
        CIFAR_LABELS,
    )
    return tmp_path


def test_fetch_sequential_cifar10_reorders_channels_to_pixel_steps(cifar_home):
    values = _cifar_columns()
    data = fetch_sequential_cifar10(data_home=cifar_home)
    X = data.data
    assert X.shape == (4, 1024, 3) and X.dtype == np.float32
    assert data.target.dtype == np.int64
    assert_array_equal(data.target, CIFAR_LABELS)
    assert list(data.target_names[[0, 3]]) == ["airplane", "cat"]
    # Step p, channel c is column c * 1024 + p of the OpenML row.
    assert_array_equal(np.rint(X * 255), values.transpose(0, 2, 1))
    assert_array_equal(X[1, 2 * 32 + 5], [1, 0, 0])
    # float32 division vs float64 128/255 rounded to float32: equal only to 1 ulp
    assert_allclose(X[1, 31 * 32], [0, 128 / 255, 0], rtol=F32_RTOL)
    assert_allclose(X[1, 31], [0, 0, 64 / 255], rtol=F32_RTOL)
    assert np.count_nonzero(X[1]) == 3
    assert data.images.shape == (4, 32, 32, 3)
    assert_array_equal(data.images[1, 2, 5], [1, 0, 0])
    assert data.images[1, 31, 0, 1] > 0 and data.images[1, 0, 31, 2] > 0
    X2, y2 = fetch_sequential_cifar10(data_home=cifar_home, return_X_y=True)
    assert_array_equal(X2, X)
    assert_array_equal(y2, data.target)


def test_fetch_sequential_cifar10_grayscale_and_permutation(cifar_home):
    values = _cifar_columns() / 255  # (image, channel, pixel), float64
    gray = fetch_sequential_cifar10(grayscale=True, data_home=cifar_home)
    assert gray.data.shape == (4, 1024, 1) and gray.data.dtype == np.float32
    luminance = 0.299 * values[:, 0] + 0.587 * values[:, 1] + 0.114 * values[:, 2]
    assert_allclose(gray.data[:, :, 0], luminance, rtol=1e-6, atol=1e-7)
    assert_allclose(gray.data[1, 2 * 32 + 5, 0], 0.299, rtol=1e-6)  # pure red
    assert gray.images.shape == (4, 32, 32, 3)  # images stay RGB
    rgb = fetch_sequential_cifar10(data_home=cifar_home).data
    perm = fetch_sequential_cifar10(permute=True, random_state=2, data_home=cifar_home)
    assert_array_equal(perm.permutation, check_random_state(2).permutation(1024))
    assert_array_equal(perm.data, rgb[:, perm.permutation])  # channels move together
    perm_gray = fetch_sequential_cifar10(
        permute=True, grayscale=True, random_state=2, data_home=cifar_home
    ).data
    # float32 X @ luma rounds by position (SIMD body vs tail): equal only to an ulp or two
    assert_allclose(perm_gray, gray.data[:, perm.permutation], rtol=F32_RTOL)


def test_fetch_sequential_cifar10_by_rows(cifar_home):
    # Rows are cut after permuting and converting; each row's pixels are side by side.
    rgb = fetch_sequential_cifar10(data_home=cifar_home).data
    rows = fetch_sequential_cifar10(by="row", data_home=cifar_home)
    assert rows.data.shape == (4, 32, 96) and rows.data.dtype == np.float32
    assert_array_equal(rows.data[1, 2, 5 * 3 : 5 * 3 + 3], [1, 0, 0])  # red at (2, 5)
    assert_array_equal(rows.data, rgb.reshape(4, 32, 96))
    assert "one row per step" in rows.DESCR
    gray_rows = fetch_sequential_cifar10(
        by="row", grayscale=True, permute=True, random_state=2, data_home=cifar_home
    ).data
    gray_perm = fetch_sequential_cifar10(
        grayscale=True, permute=True, random_state=2, data_home=cifar_home
    ).data
    assert gray_rows.shape == (4, 32, 32)
    assert_allclose(gray_rows, gray_perm.reshape(4, 32, 32), rtol=F32_RTOL)  # as above


def test_fetch_rejects_a_cache_of_the_wrong_shape(tmp_path, no_network):
    _write_openml_cache(
        tmp_path, "mnist_784", 554, [f"pixel{j + 1}" for j in range(10)], np.ones((2, 10)), [1, 2]
    )
    with pytest.raises(ValueError, match=r"expected \(n_samples, 784\)"):
        fetch_sequential_mnist(data_home=tmp_path)


def test_fetch_bad_arguments(tmp_path, no_network):
    with pytest.raises(ValueError, match="'by' parameter"):
        fetch_sequential_mnist(by="column", data_home=tmp_path)
    with pytest.raises(ValueError, match="'grayscale' parameter"):
        fetch_sequential_cifar10(grayscale="yes", data_home=tmp_path)
    with pytest.raises(ValueError, match="'by' parameter"):
        fetch_sequential_cifar10(by="column", data_home=tmp_path)


# --------------------------------------------------------------------------------------
# Fetchers: timeout, errors that say what to do, the arrays parsed once
# --------------------------------------------------------------------------------------


def test_fetch_times_out_on_a_server_that_never_answers(tmp_path, monkeypatch):
    # A loopback server that accepts connections (the kernel's backlog) and never answers.
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    port = server.getsockname()[1]
    monkeypatch.setattr(
        openml_module,
        "_SEARCH_NAME",
        f"http://127.0.0.1:{port}/api/v1/json/data/list/data_name/{{}}/limit/2",
    )
    start = time.monotonic()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # fetch_openml's "Retrying..." warnings
            with pytest.raises(ConnectionError) as error:
                fetch_sequential_mnist(
                    data_home=tmp_path, timeout=0.3, n_retries=1, delay=0.01, verbose=0
                )
    finally:
        server.close()
    # fetch_openml tries twice (a second time after cleaning its cache), 1 retry each.
    assert time.monotonic() - start < 5
    message = str(error.value)
    assert message.startswith("Cannot download the OpenML dataset 'mnist_784' (")
    assert "n_retries=1, timeout=0.3 s" in message and "raise timeout=" in message
    assert f"Offline, copy the folder {tmp_path / 'openml'}" in message
    assert socket.getdefaulttimeout() is None  # restored


def test_fetch_timeout_is_validated(tmp_path, no_network):
    with pytest.raises(ValueError, match="'timeout' parameter"):
        fetch_sequential_mnist(data_home=tmp_path, timeout=0)


def test_fetch_parses_once_and_keeps_the_arrays(mnist_home, monkeypatch, capsys):
    parses = []
    parse = openml_module.load_arff_from_gzip_file

    def counted(*args, **kwargs):
        parses.append(args)
        return parse(*args, **kwargs)

    monkeypatch.setattr(openml_module, "load_arff_from_gzip_file", counted)
    first = fetch_sequential_mnist(data_home=mnist_home)
    assert len(parses) == 1
    assert "mnist_784: download (first call) and parse the ARFF, once" in capsys.readouterr().err
    kept = mnist_home / "wcrnn_rc" / "mnist_784-v1.npz"
    with np.load(kept) as stored:
        assert stored["values"].dtype == np.uint8 and stored["values"].shape == (5, 784)
        assert_array_equal(stored["values"], _mnist_pixels())
    shutil.rmtree(mnist_home / "openml")  # later calls need only the parsed arrays
    second = fetch_sequential_mnist(data_home=mnist_home, by="row")
    assert len(parses) == 1 and capsys.readouterr().err == ""
    assert_array_equal(second.images, first.images)  # the same float32 arithmetic
    assert_array_equal(second.target, first.target)
    assert second.DESCR.endswith(first.DESCR.split("\n\n", 1)[1])


def test_a_damaged_parsed_file_is_parsed_again(mnist_home):
    expected = fetch_sequential_mnist(data_home=mnist_home, verbose=0).data
    kept = mnist_home / "wcrnn_rc" / "mnist_784-v1.npz"
    kept.write_bytes(b"not an npz file")
    with pytest.warns(RuntimeWarning, match="cannot be read"):
        again = fetch_sequential_mnist(data_home=mnist_home, verbose=0).data
    assert_array_equal(again, expected)
    with np.load(kept) as stored:  # written afresh
        assert stored["values"].shape == (5, 784)


def test_a_folder_that_refuses_the_parsed_arrays_only_warns(mnist_home):
    (mnist_home / "wcrnn_rc").write_text("a file where the folder would go")
    with pytest.warns(RuntimeWarning, match="Cannot keep the parsed arrays"):
        data = fetch_sequential_mnist(data_home=mnist_home, verbose=0)
    assert_array_equal(data.target, MNIST_LABELS)


def test_fetch_errors_say_what_to_do(tmp_path, no_network):
    not_a_folder = tmp_path / "home"
    not_a_folder.write_text("a file")
    with pytest.raises(FileExistsError, match="is a file. Pass a folder as data_home"):
        fetch_sequential_cifar10(data_home=not_a_folder)
    _write_openml_cache(
        tmp_path, "mnist_784", 554, [f"pixel{j + 1}" for j in range(784)], _mnist_pixels(), [1] * 5
    )
    path = tmp_path / "openml" / "openml.org" / "api" / "v1" / "json" / "data" / "554.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        description = json.load(f)
    del description["data_set_description"]["url"]
    _gzip_json(path, description)
    with pytest.raises(ValueError, match="lacks the field 'url'.*Delete that folder"):
        fetch_sequential_mnist(data_home=tmp_path, verbose=0)
