"""Importing the core stays light: no optional or plotting dependency comes with it.

(pandas is not checked: scikit-learn itself imports it when it is installed.)"""

import subprocess
import sys


def test_core_import_pulls_no_optional_dependency():
    code = (
        "import sys, wcrnn_rc; "
        "print(sorted(m for m in ('torch', 'matplotlib', 'distributed') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
