import os

import pytest

_SEEDS = os.environ.get("WCRNN_TESTS_GLOBAL_RANDOM_SEED", "42")
SEEDS = list(range(100)) if _SEEDS == "all" else [int(s) for s in _SEEDS.split(",")]


@pytest.fixture(params=SEEDS)
def global_random_seed(request):
    """A seed for seed-sweepable tests; set WCRNN_TESTS_GLOBAL_RANDOM_SEED=all for 0..99."""
    return request.param
