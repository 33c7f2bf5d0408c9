"""README's example runs as written, and its test command is the one CI runs."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_readme_python_example_runs():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert blocks, "README has no python example"
    namespace = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert namespace["search"].best_score_ > 0.85  # chance is 0.1; measured 0.923


def test_ci_runs_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    command = next(line for line in readme.splitlines() if "pytest" in line)
    assert command.strip() in (ROOT / ".ci" / "run").read_text()


def test_readme_dynamics_example_runs():
    import numpy as np

    readme = (ROOT / "README.md").read_text()
    block = re.findall(r"```python\n(.*?)```", readme, flags=re.S)[1]
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert 0.8 * 100 <= namespace["mc"] <= 100
    # coupling 0.01 * ||W|| (about 2) keeps every exponent near log(0.99)
    assert np.all(np.abs(namespace["exponents"] - np.log(0.99)) < 0.03)
    assert namespace["results"]["mean_memory_capacity"].shape == (4,)
