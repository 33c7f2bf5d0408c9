"""Importing the core stays light: no optional or plotting dependency comes with it.

(pandas is not checked: scikit-learn itself imports it when it is installed.)"""

import subprocess
import sys

import pytest


def test_core_import_pulls_no_optional_dependency():
    code = (
        "import sys, wcrnn_rc; "
        "print(sorted(m for m in ('torch', 'matplotlib', 'distributed', 'dask', 'tqdm') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_torch_backend_without_torch_names_the_extra():
    # A finder that refuses torch, as if it were not installed. (sys.modules["torch"] =
    # None would do too, but SciPy's array-API helpers then trip over the None.)
    code = (
        "import sys, importlib.abc\n"
        "class NoTorch(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "import wcrnn_rc\n"
        "try:\n"
        "    import wcrnn_rc.torch\n"
        "except ImportError as exc:\n"
        "    print('ImportError:', exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("ImportError:")
    assert 'pip install ".[torch]"' in out.stdout


def test_torch_backend_imports_with_torch():
    pytest.importorskip("torch")  # the torch extra
    code = "import wcrnn_rc.torch as wt; print(sorted(wt.__all__))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "WCRNNTorchRegressor" in out.stdout and "weakly_coupled_init_" in out.stdout
