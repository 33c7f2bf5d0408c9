"""Packaging: one version, the license and the citation, install lines that work."""

import importlib.metadata
import re
from pathlib import Path

import pytest

import wcrnn_rc

ROOT = Path(__file__).resolve().parents[1]
PAPER = "Fading memory as inductive bias in residual recurrent networks"


def _pyproject():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_version_has_one_source():
    project = _pyproject()["project"]
    assert "version" not in project and "version" in project["dynamic"]
    dynamic = _pyproject()["tool"]["setuptools"]["dynamic"]
    assert dynamic["version"] == {"attr": "wcrnn_rc.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+([ab]|rc)?\d*(\.dev\d+)?", wcrnn_rc.__version__)
    try:
        installed = importlib.metadata.version("wcrnn-rc")
    except importlib.metadata.PackageNotFoundError:  # run from a bare source tree
        return
    assert installed == wcrnn_rc.__version__
    citation = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(r"^version: (\S+)$", citation, re.M).group(1) == wcrnn_rc.__version__


def test_license_file_matches_pyproject():
    project = _pyproject()["project"]
    assert project["license"] == "BSD-3-Clause" and project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("BSD 3-Clause License")
    assert re.search(r"Copyright \(c\) \d{4}, wcrnn_rc developers", text)
    assert "Neither the name of the copyright holder" in text  # the third clause
    requires = _pyproject()["build-system"]["requires"]
    assert any(re.fullmatch(r"setuptools>=(7[7-9]|[89]\d)(\.\d+)*", r) for r in requires)


def test_paper_is_cited_everywhere_a_user_looks():
    for text in (
        (ROOT / "README.md").read_text(encoding="utf-8"),
        (ROOT / "docs" / "index.rst").read_text(encoding="utf-8"),
        wcrnn_rc.__doc__,
    ):
        flat = " ".join(line.lstrip("> ") for line in text.split("\n"))  # quotes too
        flat = " ".join(flat.split())
        assert PAPER in flat and "Dubinin" in flat and "Effenberger" in flat
        assert "Neural Networks* 173, 106179 (2024)" in flat and "arXiv:2307.14823" in flat


def test_citation_cff_prefers_the_article():
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert text.startswith("cff-version: 1.2.0\n")
    preferred = text.split("\npreferred-citation:\n", 1)[1]
    for line in (
        "type: article",
        f"title: {PAPER}",
        "journal: Neural Networks",
        "volume: 173",
        "start: 106179",
        "year: 2024",
        "family-names: Dubinin",
        "family-names: Effenberger",
        'value: "arXiv:2307.14823"',
    ):
        assert re.search(rf"^ +(- )?{re.escape(line)}$", preferred, re.M), line


def test_no_install_line_names_an_unreleased_package():
    # There is no release on PyPI: every install line works from a checkout.
    paths = [ROOT / "README.md", *ROOT.glob("docs/**/*.md"), *ROOT.glob("docs/**/*.rst")]
    paths += [*ROOT.glob("examples/**/*.py"), *(ROOT / "wcrnn_rc").rglob("*.py")]
    paths = [p for p in paths if "_build" not in p.parts and "generated" not in p.parts]
    # wcrnn_rc/cli.py's messages are checked in tests/test_cli.py.
    paths = [p for p in paths if p != ROOT / "wcrnn_rc" / "cli.py"]
    assert len(paths) > 30
    offending = re.compile(r"pip install (-U )?[\"']?wcrnn[-_]rc\b")
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not offending.search(line), f"{path.relative_to(ROOT)}:{number}: {line}"
