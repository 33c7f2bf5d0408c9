"""Sphinx configuration of the wcrnn_rc documentation.

Build with ``sphinx-build -W --keep-going -b html docs docs/_build/html``: warnings are
errors, and the gallery (``examples/plot_*.py``) is executed in the build. Nothing here
reaches the network: no remote intersphinx inventories, no theme assets fetched.
"""

import argparse
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # the gallery draws off-screen

project = "wcrnn_rc"
author = "the wcrnn_rc developers"
copyright = "the wcrnn_rc developers"
try:
    release = version("wcrnn-rc")
except PackageNotFoundError:  # a source checkout that was not installed
    release = "unknown"
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

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
]

# -- autodoc / autosummary / numpydoc ------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"member-order": "groupwise"}
autodoc_typehints = "none"  # the numpydoc Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# numpydoc's validation stays off in the build; tests/test_docs.py checks what matters
# (every public name is documented and has an Examples section).
numpydoc_validation_checks = set()

# -- intersphinx ---------------------------------------------------------------------
# No mappings: fetching remote inventories needs the network, which CI does not have,
# and a failed fetch is a warning (an error under -W).
intersphinx_mapping = {}

# -- MyST (the Markdown pages) ---------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# -- sphinx-gallery --------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
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
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
}

# -- HTML ------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"wcrnn_rc {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 7,
    "icon_links": [],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"comparison": [], "getting_started": [], "cli": []}
html_show_sourcelink = False


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
