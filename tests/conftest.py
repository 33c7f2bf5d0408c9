import os
from pathlib import Path

import pytest

_SEEDS = os.environ.get("WCRNN_TESTS_GLOBAL_RANDOM_SEED", "42")
SEEDS = list(range(100)) if _SEEDS == "all" else [int(s) for s in _SEEDS.split(",")]


@pytest.fixture(params=SEEDS)
def global_random_seed(request):
    """A seed for seed-sweepable tests; set WCRNN_TESTS_GLOBAL_RANDOM_SEED=all for 0..99."""
    return request.param


def pytest_sessionstart(session):
    # CI runs these tests against an installed wheel (WCRNN_TESTS_INSTALLED=1, from
    # outside the checkout): the package must not come from the source tree.
    if os.environ.get("WCRNN_TESTS_INSTALLED") == "1":
        import wcrnn_rc

        package = Path(wcrnn_rc.__file__).resolve()
        if Path(__file__).resolve().parents[1] in package.parents:
            pytest.exit(f"WCRNN_TESTS_INSTALLED=1 but wcrnn_rc comes from {package}", 3)
