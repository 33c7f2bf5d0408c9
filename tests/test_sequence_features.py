"""The per-sequence features beyond last/mean: names, widths, set_output, bad input."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from wcrnn_rc import WCRNNClassifier, WCRNNReservoir


@pytest.fixture
def ragged():
    rng = np.random.default_rng(0)
    return [rng.normal(size=(n, 2)) for n in [9, 15, 6, 12]]


@pytest.mark.parametrize(
    "features, bidirectional, width",
    [
        ("max", False, 7),
        (["max", "ppv"], False, 14),
        (["ppv", "last"], False, 3 * 7 + 7),
        ("segments", False, 3 * 7),
        ("model_space", False, (4 + 1) * 4),
        (["last", "segments"], True, 2 * (7 + 3 * 7)),
        ("last", True, 14),
    ],
)
def test_width_and_names_follow_the_features(ragged, features, bidirectional, width):
    pytest.importorskip("pandas")
    res = WCRNNReservoir(
        n_units=7,
        ppv_quantiles=3 if features == ["ppv", "last"] else None,
        sequence_features=features,
        n_segments=3,
        model_space_components=4,
        bidirectional=bidirectional,
        random_state=0,
    ).fit(ragged)
    plain = res.transform(ragged)
    assert plain.shape == (4, width)
    names = res.get_feature_names_out()
    assert len(names) == width and len(set(names)) == width
    frame = res.set_output(transform="pandas").transform(ragged)
    assert list(frame.columns) == list(names)
    np.testing.assert_allclose(frame.to_numpy(), plain, rtol=1e-12)
    if bidirectional:
        assert names[width // 2].startswith("wcrnnreservoir_rev_")


def test_feature_blocks_are_concatenated_in_the_order_given(ragged):
    res = WCRNNReservoir(n_units=5, sequence_features=["ppv", "max"], random_state=0).fit(ragged)
    both = res.transform(ragged)
    np.testing.assert_allclose(
        both[:, :5], res.set_params(sequence_features="ppv").transform(ragged)
    )
    np.testing.assert_allclose(
        both[:, 5:], res.set_params(sequence_features="max").transform(ragged)
    )
    assert np.all((both[:, :5] >= 0) & (both[:, :5] <= 1))


def test_ppv_quantiles_are_quantiles_of_the_training_states(ragged):
    """Each threshold lies inside its unit's training states, at a level in [0.05, 0.95];
    each proportion counts the steps above its threshold."""
    res = WCRNNReservoir(n_units=6, sequence_features="ppv", ppv_quantiles=4, random_state=0)
    features = res.fit(ragged).transform(ragged)
    thresholds = res.ppv_thresholds_
    assert thresholds.shape == (4, 6) and not thresholds.flags.writeable
    states = np.concatenate(res.run(ragged))
    above = (states[:, None, :] > thresholds[None]).mean(axis=0)  # (4, 6)
    n = len(states)
    assert np.all((above >= 0.05 - 1 / n) & (above <= 0.95 + 1 / n))
    assert len(np.unique(np.round(thresholds, 12))) == thresholds.size  # drawn, not fixed
    want = [
        np.concatenate([(s[:, None, :] > thresholds[None]).mean(axis=0).ravel()])
        for s in res.run(ragged)
    ]
    np.testing.assert_allclose(features, np.array(want), rtol=1e-12)
    # ppv_quantiles draws from a stream of its own: the weights do not change
    plain = WCRNNReservoir(n_units=6, random_state=0).fit(ragged)
    np.testing.assert_array_equal(res.recurrent_weights_, plain.recurrent_weights_)
    np.testing.assert_array_equal(res.bias_, plain.bias_)
    assert plain.ppv_thresholds_ is None


def test_state_quantiles_match_numpy_on_the_sampled_rows():
    from wcrnn_rc._network import sample_rows, state_quantiles
    from wcrnn_rc._validation import Sequences

    rng = np.random.default_rng(1)
    X = rng.normal(size=(500, 2))
    res = WCRNNReservoir(n_units=5, random_state=0).fit(X)
    states = res.run(X)
    levels = rng.uniform(0, 1, size=(3, 5))
    seqs = Sequences("series", [X], X.dtype)
    for max_elements, stride in [(10**6, 1), (5 * 100, 5)]:
        got = state_quantiles(res.network_, seqs, levels, max_elements)
        kept = states[sample_rows(0, len(X), stride)]
        assert abs(len(kept) - len(X) / stride) <= 5
        want = [[np.quantile(kept[:, i], levels[j, i]) for i in range(5)] for j in range(3)]
        np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize(("n_sequences", "stride"), [(25, 5), (40, 4), (29, 13), (64, 2)])
def test_sampled_rows_cover_every_sequence_and_step(n_sequences, stride):
    """Packed rows are time-major (row t * B + s for step t of sequence s): every
    stride-th row would keep only the sequences s = 0 mod gcd(B, stride). The hashed
    sample keeps about 1 / stride of every sequence's steps, and of every stretch of
    steps."""
    from wcrnn_rc._network import sample_rows

    n_steps = 400
    rows = np.arange(n_steps * n_sequences)
    kept = sample_rows(0, len(rows), stride)
    expected = n_steps / stride
    per_sequence = np.bincount(rows[kept] % n_sequences, minlength=n_sequences)
    assert per_sequence.min() >= 0.7 * expected and per_sequence.max() <= 1.3 * expected
    per_stretch = np.bincount(rows[kept] // n_sequences // 100, minlength=4)  # 100 steps each
    np.testing.assert_allclose(per_stretch, 100 * n_sequences / stride, rtol=0.1)
    # windows see the same rows as one run: the mask depends only on the row index
    split = np.concatenate([sample_rows(0, 1000, stride), sample_rows(1000, len(rows), stride)])
    np.testing.assert_array_equal(split, kept)
    assert sample_rows(0, 50, 1).all()


def test_bidirectional_reverse_block_is_the_reversed_sequences_forward_block(ragged):
    res = WCRNNReservoir(n_units=6, sequence_features="mean", bidirectional=True, random_state=0)
    out = res.fit(ragged).transform(ragged)
    forward = res.set_params(bidirectional=False)
    np.testing.assert_allclose(out[:, 6:], forward.transform([s[::-1] for s in ragged]), rtol=1e-12)
    # the forward run differs from the reversed one on these inputs
    assert not np.allclose(out[:, :6], out[:, 6:])


def test_last_segment_is_the_last_state(ragged):
    res = WCRNNReservoir(n_units=5, sequence_features=["segments", "last"], n_segments=3)
    out = res.set_params(random_state=0).fit(ragged).transform(ragged)
    np.testing.assert_array_equal(out[:, 10:15], out[:, 15:])


def test_segments_on_sequences_shorter_than_n_segments_raise(ragged):
    res = WCRNNReservoir(n_units=5, sequence_features="segments", n_segments=8).fit(ragged)
    with pytest.raises(ValueError, match=r"n_segments=8 needs at least 8 steps.*\[2\]"):
        res.transform(ragged)


def test_model_space_after_a_fit_without_it_asks_for_fit(ragged):
    res = WCRNNReservoir(n_units=5, random_state=0).fit(ragged)
    res.set_params(sequence_features="model_space")
    with pytest.raises(NotFittedError, match="without 'model_space'"):
        res.transform(ragged)
    res.fit(ragged)
    assert res.transform(ragged).shape == (4, 6 * 5)  # components capped at n_units


def test_model_space_components_is_fixed_by_fit(ragged):
    res = WCRNNReservoir(n_units=8, sequence_features="model_space", model_space_components=3)
    res.fit(ragged).set_params(model_space_components=4)
    with pytest.raises(NotFittedError, match="model_space_components"):
        res.transform(ragged)


def test_classifier_with_harvested_features_separates_shapes():
    """Rising vs falling ramps of random lengths: every new feature carries the class."""
    rng = np.random.default_rng(0)
    slopes = rng.choice([-1.0, 1.0], size=80)
    X = [
        s * np.linspace(-1, 1, n)[:, None] + 0.2 * rng.normal(size=(n, 1))
        for s, n in zip(slopes, rng.integers(20, 40, size=80), strict=True)
    ]
    for features in ["max", "segments", "model_space"]:
        clf = WCRNNClassifier(
            WCRNNReservoir(n_units=30, sequence_features=features, random_state=0)
        )
        assert clf.fit(X[:50], slopes[:50]).score(X[50:], slopes[50:]) >= 0.9, features


# ---------------------------------------------------------------- classifier defaults


def test_default_classifier_reads_pooled_features_with_loo_ridge():
    from sklearn.linear_model import RidgeClassifierCV

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 12, 2))
    y = np.repeat(["a", "b", "c"], 10)
    clf = WCRNNClassifier().fit(X, y)
    assert isinstance(clf.readout_, RidgeClassifierCV)
    assert clf.reservoir_.n_units == 300
    assert clf.reservoir_.fan_in == 4 and clf.reservoir_.input_scaling == 0.5
    assert clf.reservoir_.sequence_features == ["last", "mean", "max", "ppv"]
    assert clf.reservoir_.ppv_thresholds_.shape == (5, 300)
    assert clf.readout_.coef_.shape == (3, 300 * (3 + 5))
    assert clf.decision_function(X).shape == (30, 3)
    # the reservoir's own default is unchanged (memory and forecasting read every step)
    assert WCRNNReservoir().n_units == 100 and WCRNNReservoir().sequence_features == "last"


def test_unseen_labels_at_score_time_count_as_errors_like_sklearn():
    """score with labels unseen in fit: no error, those samples are wrong, exactly as a
    scikit-learn classifier on the same features scores them."""
    from sklearn.linear_model import RidgeClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 10, 1)) + np.repeat([0.0, 1.5], 20)[:, None, None]
    y = np.repeat(["low", "high"], 20)
    reservoir = WCRNNReservoir(n_units=20, sequence_features="mean", random_state=0)
    clf = WCRNNClassifier(reservoir, RidgeClassifier()).fit(X, y)
    y_test = y.copy()
    y_test[:5] = "unseen"
    features = clf.reservoir_.transform(X)
    reference = RidgeClassifier().fit(features, y)
    assert clf.score(X, y_test) == pytest.approx(reference.score(features, y_test))
    assert clf.score(X, y_test) <= 35 / 40
    assert "unseen" not in clf.classes_


def test_harvested_features_start_from_initial_state(ragged):
    # Each sequence's run starts from its row of initial_state: its last state and
    # max equal those of the stored-state run from the same state (in input order,
    # though the harvest packs the sequences by length).
    res = WCRNNReservoir(n_units=7, sequence_features=["last", "max"], random_state=0)
    res.fit(ragged)
    h0 = np.random.default_rng(1).normal(size=(len(ragged), 7))
    out = res.transform(ragged, initial_state=h0)
    for i, seq in enumerate(ragged):
        states = res.network_.run_series(seq, initial_state=h0[i])
        np.testing.assert_allclose(out[i, :7], states[-1], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(out[i, 7:], states.max(axis=0), rtol=1e-12, atol=1e-14)
    assert not np.allclose(out, res.transform(ragged))  # the start matters here


def test_ppv_quantiles_run_over_an_evenly_spaced_subset_of_long_training_sets():
    """100 sequences of 200 steps: 32 sequences give more than 4096 steps, so the
    quantiles' run covers every 4th sequence (25 of them), and the others do not move
    the thresholds."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 200, 2))
    res = WCRNNReservoir(n_units=20, sequence_features="ppv", ppv_quantiles=3, random_state=0)
    thresholds = res.fit(X).ppv_thresholds_.copy()
    outside = X.copy()
    outside[1::4] *= 3.0  # sequences 1, 5, 9, ...: not in the sample
    np.testing.assert_array_equal(res.fit(outside).ppv_thresholds_, thresholds)
    inside = X.copy()
    inside[::4] *= 3.0  # sequences 0, 4, 8, ...: the sample
    assert np.abs(res.fit(inside).ppv_thresholds_ - thresholds).max() > 1e-3
    # Short sequences: the run covers as many as give about 4096 steps.
    short = rng.normal(size=(100, 20, 2))
    base = res.fit(short).ppv_thresholds_.copy()
    changed = short.copy()
    changed[2::4] *= 3.0  # in the sample (32 would be every 4th from 0): 4096 / 20
    # steps need about 205 sequences, so all 100 run
    assert np.abs(res.fit(changed).ppv_thresholds_ - base).max() > 1e-3
