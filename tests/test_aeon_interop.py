"""Collections in aeon's layout, the classifier's layout warning and the aeon loader.

The converter needs no aeon; the loader's tests need it and skip without it (CI runs
them in a separate venv with aeon, see .ci/run)."""

import warnings

import numpy as np
import pytest

from wcrnn_rc import WCRNNClassifier, WCRNNReservoir
from wcrnn_rc.datasets import from_aeon_collection, load_ucr_uea


def test_channels_first_array_becomes_time_major():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 3, 20))  # (n_cases, n_channels, n_timepoints)
    out = from_aeon_collection(X)
    assert out.shape == (4, 20, 3) and out.flags.c_contiguous
    np.testing.assert_array_equal(out[2, :, 1], X[2, 1, :])
    np.testing.assert_array_equal(from_aeon_collection(out, layout="channels_last"), out)


def test_univariate_2d_collection_is_one_channel():
    X = np.arange(12.0).reshape(3, 4)  # aeon: 3 univariate cases of 4 time points
    out = from_aeon_collection(X)
    assert out.shape == (3, 4, 1)
    np.testing.assert_array_equal(out[1, :, 0], X[1])


def test_unequal_length_list_of_cases():
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(2, n)) for n in (15, 9, 30)]
    out = from_aeon_collection(X)
    assert [x.shape for x in out] == [(15, 2), (9, 2), (30, 2)]
    np.testing.assert_array_equal(out[1], X[1].T)
    clf = WCRNNClassifier(WCRNNReservoir(n_units=10, random_state=0))
    assert clf.fit(out, [0, 1, 0]).predict(out).shape == (3,)


@pytest.mark.parametrize("kind", ["array", "list"])
def test_more_channels_than_steps_warns_naming_layout(kind):
    X = np.zeros((5, 40, 6))  # already (cases, steps, channels), read as channels first
    if kind == "list":
        X = list(X)
    with pytest.warns(UserWarning, match=r"more channels \(40\) than time points \(6\).*"
                      r"layout='channels_last'"):  # fmt: skip
        from_aeon_collection(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from_aeon_collection(X, layout="channels_last")


def test_classifier_warns_on_a_collection_left_in_aeon_layout():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 2, 50))  # aeon layout, passed as is: 2 steps of 50 features
    clf = WCRNNClassifier(WCRNNReservoir(n_units=5, random_state=0))
    with pytest.warns(UserWarning, match=r"from_aeon_collection\(X, layout='channels_first'\)"):
        clf.fit(X, [0, 1] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.fit(from_aeon_collection(X), [0, 1] * 3)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.zeros((2, 3, 4, 5)), "3-D array"),
        (np.zeros((0, 3, 4)), "empty"),
        ([], "empty list"),
        ([np.zeros((2, 5)), np.zeros(5)], "Case 1 of the list has 1 dimensions"),
        (np.array([[[1.0, np.nan]]]), "list of its unpadded cases"),
        ([np.array([[1.0, np.inf]])], "Case 0 of the list contains NaN or infinity"),
    ],
)
def test_bad_collections_raise(X, match):
    with pytest.raises(ValueError, match=match):
        from_aeon_collection(X)


def test_bad_layout_raises():
    with pytest.raises(ValueError, match="'layout' parameter"):
        from_aeon_collection(np.zeros((2, 3, 4)), layout="time_first")


def test_loader_without_aeon_says_which_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_aeon(name, *args, **kwargs):
        if name == "aeon" or name.startswith("aeon."):
            raise ImportError("No module named 'aeon'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_aeon)
    with pytest.raises(ImportError, match=r"the aeon extra: pip install aeon"):
        load_ucr_uea("GunPoint")


# ---------------------------------------------------------------- with aeon installed


@pytest.fixture
def aeon_datasets():
    return pytest.importorskip(
        "aeon.datasets", reason="aeon is not installed (the aeon extra; CI tests it)"
    )


def test_loader_returns_this_librarys_layout(aeon_datasets):
    X_train, y_train, X_test, y_test = load_ucr_uea("BasicMotions")
    raw, raw_y = aeon_datasets.load_basic_motions(split="train")
    assert X_train.shape == (40, 100, 6) and X_test.shape == (40, 100, 6)
    np.testing.assert_array_equal(X_train, raw.transpose(0, 2, 1))
    np.testing.assert_array_equal(y_train, raw_y)
    assert len(y_test) == 40


def test_loader_on_a_variable_length_dataset_trains_the_classifier(aeon_datasets):
    X_train, y_train = load_ucr_uea("JapaneseVowels", split="train")
    assert isinstance(X_train, list) and len(X_train) == 270
    assert {x.shape[1] for x in X_train} == {12} and len({len(x) for x in X_train}) > 1
    X_test, y_test = load_ucr_uea("JapaneseVowels", split="test")
    clf = WCRNNClassifier(WCRNNReservoir(n_units=50, random_state=0)).fit(X_train, y_train)
    assert clf.score(X_test, y_test) > 0.8  # chance is 1/9


def test_loader_refuses_to_download_unless_asked(aeon_datasets):
    with pytest.raises(ValueError, match="does not ship the dataset 'NotADataset'.*download=True"):
        load_ucr_uea("NotADataset")
