"""Sphinx configuration of the wcrnn_rc documentation.

Build with ``sphinx-build -n -W --keep-going -b html docs docs/_build/html``: every
cross-reference must resolve, warnings are errors, and the gallery
(``examples/**/plot_*.py``) is executed in the build. Nothing here reaches the network:
the intersphinx inventories are files in ``docs/_intersphinx/`` (see
``make_inventories.py`` there), and MathJax is served from the built site
(``sphinx-mathjax-offline``), so formulas render offline.
"""

import argparse
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # the gallery draws off-screen

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE / "sphinxext"), str(HERE / "_intersphinx")]

# The repository's public address: none has been published yet. When one is, set it
# here (and in pyproject.toml's [project.urls]); the navbar then links to it.
REPOSITORY_URL = None

project = "wcrnn_rc"
author = "the wcrnn_rc developers"
try:
    release = version("wcrnn-rc")
except PackageNotFoundError:  # a source checkout that was not installed
    release = "unknown"
copyright = f"the wcrnn_rc developers. Version {release}"  # the footer shows the version
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 copied into the site: no CDN
    "sphinx.ext.viewcode",  # the [source] links
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "wcrnn_docs",  # docs/sphinxext: "Read more in the User Guide", See Also, gallery order
]
nitpicky = True  # every cross-reference must resolve (sphinx-build -n)

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    # sphinx-gallery writes these next to the generated examples; they are not pages.
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.json",
    "auto_examples/*.md5",
    "auto_examples/*/*.ipynb",
    "auto_examples/*/*.py",
    "auto_examples/*/*.zip",
    "auto_examples/*/*.json",
    "auto_examples/*/*.md5",
]

# -- autodoc / autosummary / numpydoc ------------------------------------------------
autosummary_generate = True
toc_object_entries_show_parents = "hide"  # "fit()", not "WCRNNClassifier.fit()"
autodoc_default_options = {"member-order": "groupwise"}
autodoc_typehints = "none"  # the numpydoc Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# numpydoc's validation stays off in the build; tests/test_docs.py checks what matters
# (every public name is documented and has an Examples section).
numpydoc_validation_checks = set()

# -- intersphinx ---------------------------------------------------------------------
# Links go to each project's public site; the inventories are read from the repository
# (docs/_intersphinx/*.inv, written by make_inventories.py), never fetched, so the build
# stays offline.
from make_inventories import INVENTORIES  # noqa: E402

intersphinx_mapping = {
    key: (url, str(HERE / "_intersphinx" / f"{key}.inv"))
    for key, (_, _, url, _) in INVENTORIES.items()
}

# -- math --------------------------------------------------------------------------------
# One style everywhere: TeX, typeset by MathJax from _static/mathjax (sphinx-mathjax-
# offline copies it there). SVG output draws glyphs as paths, so no web fonts have to
# load, which a page opened from disk (file://) could be refused.
mathjax_path = "mathjax/tex-svg.js"

# -- MyST (the Markdown pages) ---------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "substitution"]
myst_heading_anchors = 3

# -- sphinx-gallery --------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Sections from introductory to advanced (folders of examples/, each with a
    # README.rst); within a section, wcrnn_docs.GALLERY_ORDER.
    "subsection_order": [
        "../examples/basics",
        "../examples/dynamics",
        "../examples/residuals",
        "../examples/forecasting",
        "../examples/training",
    ],
    "within_subsection_order": "wcrnn_docs.GalleryOrder",
    "filename_pattern": "/plot_",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "plot_gallery": "True",
    "download_all_examples": False,
    "doc_module": ("wcrnn_rc",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"wcrnn_rc": None},
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "min_reported_time": 1,
    # No execution-times pages: they load jQuery and DataTables from a CDN.
    "write_computation_times": False,
    "image_srcset": ["2x"],  # a 2x image for high-density screens
    "show_signature": False,
    "remove_config_comments": True,
}


# -- measured figures, from the results JSON ------------------------------------------
# Figures quoted on several pages are read from benchmarks/results/*.json, the records
# the benchmark and findings scripts write, rather than retyped: |name| in the .rst
# pages, {{ name }} in the Markdown ones.
def _measured(results=HERE.parent / "benchmarks" / "results"):
    import json

    def load(name):
        return json.loads((results / f"{name}.json").read_text(encoding="utf-8"))

    def mean(cell):  # "0.957 ± 0.004" -> "0.957"
        return cell.split("±")[0].strip()

    def cell(record, rows, match, column):
        headers = record[rows.replace("rows", "headers")]
        row = next(r for r in record[rows] if all(r[headers.index(k)] == v for k, v in match))
        return mean(row[headers.index(column)])

    digits, series = load("bench_digits"), load("bench_single_series")
    base, edge = load("findings_baselines"), load("findings_edge_of_chaos")
    psd = "psdigits acc"
    return {
        "digits_speedup": f"{digits['ratios']['fit_speedup_vs_reservoirpy']:.1f}x",
        "series_speedup": f"{series['speedups']['reservoirpy']:.1f}x",
        "series_speedup_echoes": f"{series['speedups']['echoes']:.1f}x",
        "series_speedup_pyrcn": f"{series['speedups']['PyRCN']:.0f}x",
        "acc_rotational": cell(base, "rows", [("model", "WCRNN rotational")], psd),
        "acc_leaky": cell(base, "rows", [("model", "leaky ESN")], psd),
        "acc_esn": cell(base, "rows", [("model", "ESN")], psd),
        "mc_leaky": cell(base, "rows", [("model", "leaky ESN")], "MC"),
        "mc_orthogonal": cell(
            edge,
            "rows",
            [("sweep", "scale, coupling 0.01"), ("scale", "0.98")],
            "MC orthogonal",
        ),
    }


MEASURED = _measured()
rst_prolog = "\n".join(f".. |{key}| replace:: {value}" for key, value in MEASURED.items())
myst_substitutions = MEASURED

# -- HTML ------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = "wcrnn_rc"  # the version is in the footer and on the changelog
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 8,  # Citing and Changelog under "More"
    "icon_links": (
        [{"name": "Repository", "url": REPOSITORY_URL, "icon": "fa-brands fa-git-alt"}]
        if REPOSITORY_URL
        else []
    ),
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "navbar_align": "left",
    "secondary_sidebar_items": ["page-toc"],
}
# Pages without sub-pages get no (empty) left sidebar.
html_sidebars = {
    page: []
    for page in (
        "index",
        "getting_started",
        "api",
        "cli",
        "benchmarks",
        "comparison",
        "changelog",
        "citing",
    )
}
html_show_sourcelink = False
html_static_path = ["_static"]
html_css_files = ["wcrnn.css"]


# -- the command line's help, written at build time ------------------------------------
# cli.md includes these files, so the page always shows what ``wcrnn-rc --help`` and
# ``wcrnn-rc COMMAND --help`` print for the installed version.
def _write_cli_help(directory):
    from wcrnn_rc.cli import build_parser

    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "88"  # argparse wraps to the terminal width
    try:
        parser = build_parser()
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "wcrnn-rc.txt").write_text(parser.format_help(), encoding="utf-8")
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, command in action.choices.items():
                    text = command.format_help()
                    (directory / f"{name}.txt").write_text(text, encoding="utf-8")
    finally:
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns


_write_cli_help(Path(__file__).parent / "generated" / "cli")


def setup(app):
    # sphinx-mathjax-offline sets its own mathjax_path (tex-chtml.js) in its setup,
    # which runs before this one.
    app.config.mathjax_path = mathjax_path
