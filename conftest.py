"""Collection of the package's doctests (``--doctest-modules`` over ``wcrnn_rc/``).

The PyTorch backend's modules import torch at the top: without the torch extra their
doctests are left out (the header says so), as the torch tests skip themselves.
"""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("torch") is None:
    collect_ignore.append("wcrnn_rc/torch")


def pytest_report_header(config):
    if collect_ignore:
        return "torch is not installed: wcrnn_rc/torch's doctests and the torch tests skip"
    return None
