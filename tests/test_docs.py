"""The documentation covers the public API, and its examples and code blocks run.

The Sphinx build itself (``sphinx-build -W``, which executes the gallery) runs in CI's
docs section; these are the cheap checks that keep the sources honest in the test
suite: every public name is in ``docs/api.rst`` with an Examples section, every
gallery script has the title sphinx-gallery needs, the CLI page covers every command,
and the Python blocks of the guide pages run as written.
"""

import ast
import importlib
import importlib.util
import inspect
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"

PUBLIC_MODULES = [
    "wcrnn_rc",
    "wcrnn_rc.reservoir",
    "wcrnn_rc.estimators",
    "wcrnn_rc.residuals",
    "wcrnn_rc.analysis",
    "wcrnn_rc.sweeps",
    "wcrnn_rc.plotting",
    "wcrnn_rc.datasets",
    "wcrnn_rc.torch",
    "wcrnn_rc.cli",
    "wcrnn_rc.forecasting",
    "wcrnn_rc.metrics",
    "wcrnn_rc.readouts",
]
# Without the torch extra, the torch backend's names and pages are not checked here.
HAVE_TORCH = importlib.util.find_spec("torch") is not None
if not HAVE_TORCH:
    PUBLIC_MODULES.remove("wcrnn_rc.torch")

# The gallery the documentation promises (docs/index.rst, the user guide's links).
REQUIRED_EXAMPLES = [
    "plot_pipeline_grid_search.py",
    "plot_memory_curves.py",
    "plot_lyapunov_theory.py",
    "plot_edge_of_chaos.py",
    "plot_rotational_frequency.py",
    "plot_heterogeneous_timescales.py",
    "plot_torch_adding.py",
]

# Pages whose ```python blocks are executed and whose ```pycon sessions are run as
# doctests (in order, one namespace per page), so that the outputs shown are real.
EXECUTED_PAGES = [
    path
    for path in sorted([DOCS / "getting_started.md", *(DOCS / "user_guide").glob("*.md")])
    if re.search(r"^```(python|pycon)\n", path.read_text(encoding="utf-8"), re.M)
]


def _public_names(module_name):
    module = importlib.import_module(module_name)
    if hasattr(module, "__all__"):
        names = list(module.__all__)
    else:  # functions and classes defined in the module itself
        names = [
            name
            for name, obj in vars(module).items()
            if not name.startswith("_")
            and (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == module_name
        ]
    return [name for name in names if not name.startswith("__")]


def _api_entries():
    """Fully qualified names listed in api.rst's autosummary tables."""
    entries, current, in_table = [], None, False
    for line in (DOCS / "api.rst").read_text(encoding="utf-8").splitlines():
        if line.startswith(".. currentmodule::"):
            current, in_table = line.split("::")[1].strip(), False
        elif line.startswith(".. autosummary::"):
            in_table = True
        elif in_table and line.startswith("   ") and not line.strip().startswith(":"):
            if HAVE_TORCH or not current.startswith("wcrnn_rc.torch"):
                entries.append(f"{current}.{line.strip()}")
        elif in_table and line.strip() and not line.startswith("   "):
            in_table = False
    return entries


def _resolve(qualified_name):
    module_name, _, name = qualified_name.rpartition(".")
    return getattr(importlib.import_module(module_name), name)


PUBLIC = [pytest.param(m, n, id=f"{m}.{n}") for m in PUBLIC_MODULES for n in _public_names(m)]


def test_public_modules_declare_all():
    for module_name in PUBLIC_MODULES:
        assert hasattr(importlib.import_module(module_name), "__all__"), module_name


def test_api_entries_exist():
    entries = _api_entries()
    assert len(entries) >= 40, entries
    for entry in entries:
        _resolve(entry)  # raises if api.rst lists a name that is gone


@pytest.mark.parametrize("module_name, name", PUBLIC)
def test_public_name_is_in_api_reference(module_name, name):
    obj = getattr(importlib.import_module(module_name), name)
    documented = {id(_resolve(entry)) for entry in _api_entries()}
    assert id(obj) in documented, (
        f"{module_name}.{name} is public (in __all__) but not listed in docs/api.rst"
    )


@pytest.mark.parametrize("module_name, name", PUBLIC)
def test_public_name_has_examples_section(module_name, name):
    doc = inspect.getdoc(getattr(importlib.import_module(module_name), name)) or ""
    match = re.search(r"^Examples\n-{8,}\n(.*?)(?=^\S[^\n]*\n-{3,}\n|\Z)", doc, re.S | re.M)
    assert match, f"{module_name}.{name} has no numpydoc Examples section"
    assert ">>>" in match.group(1), f"{module_name}.{name}: Examples has no doctest"


def test_required_gallery_examples_exist():
    present = {path.name for path in EXAMPLES.glob("*/plot_*.py")}
    assert set(REQUIRED_EXAMPLES) <= present, sorted(set(REQUIRED_EXAMPLES) - present)
    assert (EXAMPLES / "README.rst").read_text(encoding="utf-8").strip()


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("**/plot_*.py")), ids=lambda p: p.name)
def test_gallery_example_has_title_docstring(path):
    # sphinx-gallery takes the page title from the module docstring's first line,
    # underlined with "=".
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert doc, f"{path.name} has no module docstring"
    lines = doc.strip().splitlines()
    assert len(lines) >= 3, f"{path.name}: title, underline and an explanation needed"
    title, underline = lines[0].strip(), lines[1].strip()
    assert title and set(underline) == {"="} and len(underline) >= len(title), path.name
    assert any(line.strip() for line in lines[2:]), f"{path.name}: no explanation"
    assert "matplotlib.pyplot" in path.read_text(encoding="utf-8"), f"{path.name}: no figure"


def test_cli_page_covers_every_command():
    from wcrnn_rc.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if hasattr(a, "choices") and a.choices)
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    for name in commands.choices:
        assert f"## `wcrnn-rc {name}`" in page, name
        assert f"generated/cli/{name}.txt" in page, name


def test_getting_started_gives_the_two_commands():
    page = (DOCS / "getting_started.md").read_text(encoding="utf-8")
    assert "pip install . && wcrnn-rc demo" in page  # no release yet: from the checkout
    assert 'pip install ".[test]" && python -m pytest' in page


def test_results_pages_are_included():
    # Every results page is in the results index's toctree (listed, or by a glob).
    index = (DOCS / "results" / "index.md").read_text(encoding="utf-8")
    toctree = re.search(r"^```\{toctree\}\n(.*?)^```", index, re.S | re.M)
    assert toctree, "docs/results/index.md has no toctree"
    entries = {line.strip() for line in toctree.group(1).splitlines()}
    for page in (DOCS / "results").glob("*.md"):
        if page.stem != "index":
            assert page.stem in entries or "*" in entries, page.name
    assert "results/index" in (DOCS / "index.rst").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", EXECUTED_PAGES, ids=lambda p: p.name)
def test_guide_python_blocks_run(path):
    # Only ```python and ```pycon fences are run; {code-block} directives show code
    # that needs a cluster, a shell or the network.
    import doctest

    text = path.read_text(encoding="utf-8")
    blocks = re.findall(r"^```(python|pycon)\n(.*?)^```", text, flags=re.S | re.M)
    if any(
        re.search(r"^(>>> )?(import|from) (torch|wcrnn_rc\.torch)\b", b, re.M) for _, b in blocks
    ):
        pytest.importorskip("torch")  # the torch extra
    if any(re.search(r"^(>>> )?(import|from) (dask|distributed)\b", b, re.M) for _, b in blocks):
        pytest.importorskip("dask.array", reason="the page needs the distributed extra")
    namespace = {"__name__": f"docs_{path.stem}"}
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    parser = doctest.DocTestParser()
    for i, (kind, block) in enumerate(blocks):
        if kind == "python":
            exec(compile(block, str(path), "exec"), namespace)
            continue
        test = parser.get_doctest(block, namespace, f"{path.name}[{i}]", str(path), 0)
        runner = doctest.DocTestRunner(optionflags=flags)
        runner.run(test, clear_globs=False)
        namespace.update(test.globs)  # DocTest works on a copy of the namespace
        assert runner.failures == 0, f"{path.name}: session {i} printed something else"


def test_front_page_example_runs_as_shown():
    # The front page's five-line pipeline is a console session: run it as a doctest,
    # so that the output shown is the output a reader gets.
    import doctest

    text = (DOCS / "index.rst").read_text(encoding="utf-8")
    block = re.search(r"^\.\. code-block:: pycon\n\n(.*?)(?=^\S)", text, re.S | re.M)
    assert block, "docs/index.rst has no pycon example"
    source = "\n".join(line[3:] for line in block.group(1).splitlines())
    test = doctest.DocTestParser().get_doctest(source, {}, "index.rst", "index.rst", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0 and runner.tries >= 5


def test_intersphinx_inventories_match_their_script(tmp_path):
    # docs/_intersphinx/*.inv are written by make_inventories.py; a name added to the
    # script but not regenerated would leave a reference unresolved in the build.
    spec = importlib.util.spec_from_file_location(
        "make_inventories", DOCS / "_intersphinx" / "make_inventories.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    import zlib

    def content(path):  # the header and the entries (zlib's bytes may vary by version)
        header, _, body = path.read_bytes().partition(b"zlib.\n")
        return header, zlib.decompress(body)

    for key in module.INVENTORIES:
        committed = content(DOCS / "_intersphinx" / f"{key}.inv")
        assert committed == content(tmp_path / f"{key}.inv"), key
