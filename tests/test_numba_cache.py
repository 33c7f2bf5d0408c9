"""numba's cache of the kernels lives outside the package, and is optional.

Each test runs a copy of the installed package in a fresh interpreter, with its own
environment: which directory numba may write to is decided at import.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import wcrnn_rc

PACKAGE = Path(wcrnn_rc.__file__).resolve().parent

# Defines the kernels (at import), compiles the smallest one, and reports where its
# cache went.
PROBE = (
    "import math, numba.core.caching as c\n"
    "from wcrnn_rc import _kernels as k\n"
    "assert abs(k._tanh(0.5) - math.tanh(0.5)) < 1e-15\n"
    "stats = k._tanh.stats\n"
    "print(sum(stats.cache_hits.values()), isinstance(k._tanh._cache, c.NullCache))\n"
    "print(k.__file__)\n"
)


def _copy_package(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(PACKAGE, root / "wcrnn_rc", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _environment(tmp_path, root, cache_home, numba_cache_dir=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "XDG_"))}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env.update(PYTHONPATH=str(root), HOME=str(home), XDG_CACHE_HOME=str(cache_home))
    env["LOCALAPPDATA"] = str(cache_home)  # the user cache directory on Windows
    if numba_cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(numba_cache_dir)
    return env


def _probe(env, tmp_path):
    out = subprocess.run(
        [sys.executable, "-W", "always", "-c", PROBE],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    first, module = out.stdout.split("\n")[:2]
    hits, uncached = first.split()
    return int(hits), uncached == "True", module, out.stderr


def _numba_files(path):
    return sorted(p for p in Path(path).rglob("*") if p.suffix in (".nbi", ".nbc"))


@pytest.mark.slow  # two fresh interpreters
def test_kernels_cache_in_the_user_cache_directory_not_the_package(tmp_path):
    root = _copy_package(tmp_path)
    env = _environment(tmp_path, root, tmp_path / "cache")
    hits, uncached, module, stderr = _probe(env, tmp_path)
    assert module.startswith(str(root)) and not uncached and hits == 0
    assert "RuntimeWarning" not in stderr
    cached = _numba_files(tmp_path / "cache")
    assert cached and all("wcrnn_rc" in p.relative_to(tmp_path).parts[1] for p in cached)
    assert not _numba_files(root)  # pip uninstall would leave these behind
    # A second process loads the kernel instead of compiling it again.
    hits, uncached, _, _ = _probe(env, tmp_path)
    assert hits == 1 and not uncached


def test_numba_cache_dir_is_honoured_first(tmp_path):
    root = _copy_package(tmp_path)
    env = _environment(tmp_path, root, tmp_path / "cache", numba_cache_dir=tmp_path / "nb")
    _probe(env, tmp_path)
    assert _numba_files(tmp_path / "nb")
    assert not _numba_files(tmp_path / "cache") and not _numba_files(root)


@pytest.mark.parametrize("numba_cache_dir", [None, "unwritable"])
def test_read_only_install_compiles_without_cache_after_one_warning(tmp_path, numba_cache_dir):
    root = _copy_package(tmp_path)
    # Nothing is writable, even for root (for whom chmod does not block writes): the
    # cache directories lie under a regular file, and every __pycache__ is a file.
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    for directory in [root / "wcrnn_rc", *(root / "wcrnn_rc").rglob("*/")]:
        if directory.is_dir():
            (directory / "__pycache__").write_text("")
    for path in sorted(root.rglob("*"), reverse=True):
        path.chmod(path.stat().st_mode & ~0o222)
    env = _environment(
        tmp_path,
        root,
        blocker / "cache",
        numba_cache_dir=None if numba_cache_dir is None else blocker / "numba",
    )
    env["HOME"] = str(blocker)
    try:
        hits, uncached, module, stderr = _probe(env, tmp_path)
    finally:
        for path in root.rglob("*"):
            path.chmod(path.stat().st_mode | 0o200)  # let tmp_path be cleaned up
    assert module.startswith(str(root)) and uncached and hits == 0
    assert stderr.count("RuntimeWarning") == 1, stderr
    assert "Set NUMBA_CACHE_DIR to a writable directory" in stderr
    assert not _numba_files(root)


def _site_without_wcrnn_rc(tmp_path):
    """A directory of links to this interpreter's packages, wcrnn_rc's installs left out.

    A test venv sees the dependencies offline through it, while an installed wcrnn_rc of
    this interpreter cannot shadow the one the test installs.
    """
    import site

    farm = tmp_path / "deps"
    farm.mkdir()
    for directory in site.getsitepackages():
        for entry in Path(directory).iterdir():
            name = entry.name.lower()
            if name.startswith(("wcrnn_rc", "wcrnn-rc", "__editable__")) or name.endswith(".pth"):
                continue
            if not (farm / entry.name).exists():
                (farm / entry.name).symlink_to(entry)
    return farm


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="uses a venv's bin/ layout and symlinks")
def test_editable_install_after_a_regular_one_imports(tmp_path):
    # pip install ., run a kernel, then pip install -e . (which uninstalls the first):
    # numba files left in site-packages/wcrnn_rc used to shadow the editable install.
    pytest.importorskip("setuptools", minversion="77")
    source = Path(__file__).resolve().parents[1]  # the checkout these tests are in
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(source / "wcrnn_rc", checkout / "wcrnn_rc", ignore=ignore)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(source / name, checkout / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    (Path(purelib) / "deps.pth").write_text(f"{_site_without_wcrnn_rc(tmp_path)}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "PYTHON"))}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    # No build isolation and no dependencies: offline, with this interpreter's setuptools.
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    pip += ["--no-build-isolation", "--no-deps"]

    def run(*args):
        out = subprocess.run(
            list(args), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout

    run(*pip, str(checkout))
    installed = run(python, "-c", PROBE).split("\n")[1]
    assert installed.startswith(purelib)  # the regular install, not the checkout
    run(*pip, "--editable", str(checkout))
    assert not (Path(purelib) / "wcrnn_rc").exists()  # uninstalled without a trace
    code = "import wcrnn_rc; print(wcrnn_rc.__version__, wcrnn_rc.__file__)"
    version, module = run(python, "-c", code).split()
    assert version == wcrnn_rc.__version__
    assert module == str(checkout / "wcrnn_rc" / "__init__.py")
    # The kernels of the editable install load, from its own cache entry.
    assert run(python, "-c", PROBE).split("\n")[1].startswith(str(checkout))
