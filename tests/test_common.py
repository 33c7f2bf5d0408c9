"""scikit-learn's own estimator checks on every estimator of the library."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from wcrnn_rc import WCRNNClassifier, WCRNNRegressor, WCRNNReservoir

# The checks feed 2-D X, which these estimators read as ONE time series whose rows
# are consecutive time steps. A state then depends on every earlier row. The checks
# run on the default network (seeded, as the checks need determinism) and on a small
# "memoryless" setting; both fail only the two checks that assume rows independent.
_MEMORYLESS = dict(
    n_units=30, residual="none", coupling=1.0, recurrent_gain=0.1, input_scaling=0.3, random_state=0
)

_SEQUENCE_REASONS = {
    "check_methods_subset_invariance": (
        "2-D X is one time series: the state at a row depends on every earlier row, "
        "so predicting on a subset of rows gives different results by design."
    ),
    "check_methods_sample_order_invariance": (
        "2-D X is one time series: reordering rows reorders time and changes every "
        "state after the first moved row."
    ),
}


def _expected_failed_checks(estimator):
    return _SEQUENCE_REASONS


@parametrize_with_checks(
    [
        WCRNNReservoir(random_state=0),
        WCRNNRegressor(WCRNNReservoir(random_state=0)),
        WCRNNClassifier(WCRNNReservoir(random_state=0)),
        WCRNNReservoir(**_MEMORYLESS),
        WCRNNRegressor(WCRNNReservoir(**_MEMORYLESS)),
        WCRNNClassifier(WCRNNReservoir(**_MEMORYLESS)),
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
