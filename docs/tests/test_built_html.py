"""Checks of the built documentation site, as a reader gets it.

These read the HTML that ``sphinx-build`` wrote, so they run after the docs build (in
CI's docs step, ``.ci/run``), not in the unit suite: the build takes about a minute
and executes the gallery. Run them with::

    sphinx-build -n -W --keep-going -b html docs docs/_build/html
    WCRNN_DOCS_HTML=docs/_build/html python -m pytest docs/tests

They fail, rather than skip, when ``WCRNN_DOCS_HTML`` does not name a built site.
"""

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

# Pages a reader reaches; _modules holds the [source] listings of the code.
_SKIP_DIRS = {"_static", "_sources", "_images", "_downloads", "_modules"}

# Development references that have no place on a user's page.
DEVELOPMENT_TEXT = [
    (re.compile(r"\bissues? #?\d+\b", re.I), "an issue number"),
    (re.compile(r"\bDESIGN\.md\b"), "DESIGN.md"),
    (re.compile(r"\buncommitted\b", re.I), "uncommitted"),
    (re.compile(r"\bMISSED\b"), "a MISSED target"),
    (re.compile(r"where this was written", re.I), "where this was written"),
]


@pytest.fixture(scope="module")
def site():
    path = os.environ.get("WCRNN_DOCS_HTML")
    assert path, "set WCRNN_DOCS_HTML to the built site (see this module's docstring)"
    root = Path(path)
    assert (root / "index.html").is_file(), f"no index.html in {root}"
    return root


def _pages(root):
    return sorted(
        p for p in root.rglob("*.html") if not _SKIP_DIRS & set(p.relative_to(root).parts)
    )


class _Page(HTMLParser):
    """The text of a page's article, and its tags' attributes."""

    def __init__(self):
        super().__init__()
        self.tags, self.text, self._skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def _parse(path):
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _text(parts):
    return re.sub(r"\s+", " ", "".join(parts))


def test_front_page_shows_a_figure_an_example_and_the_citation(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    page = _parse(site / "index.html")
    images = [a.get("src", "") for tag, a in page.tags if tag == "img"]
    assert any("demo_sweep_memory" in src for src in images), images
    for src in images:
        assert (site / unquote(src)).is_file(), src
    # A Python example with its output, highlighted as a console session.
    example = re.search(r'<div class="highlight-pycon[^"]*">(.*?)</div>', html, re.S)
    assert example, "no Python example on the front page"
    code = re.sub(r"<[^>]+>", "", example.group(1))
    assert "WCRNNReservoir" in code and "&gt;&gt;&gt;" in code
    text = _text(page.text)
    for needle in ("Dubinin", "Effenberger", "Fading memory as inductive bias", "2307.14823"):
        assert needle in text, needle
    assert "pip install ." in text  # the install from the checkout: there is no release
    assert "pip install wcrnn-rc" not in text


def test_citing_page_has_bibtex(site):
    text = _text(_parse(site / "citing.html").text)
    assert "@article{" in text and "106179" in text and "Neural Networks" in text


def test_no_page_has_development_references(site):
    found = []
    for path in _pages(site):
        text = _text(_parse(path).text)
        for pattern, what in DEVELOPMENT_TEXT:
            for match in pattern.finditer(text):
                found.append(f"{path.relative_to(site)}: {what}: {match.group(0)!r}")
    assert not found, "\n".join(found)


def test_site_loads_nothing_from_the_network(site):
    # Scripts, styles and images all come from the site itself (offline use; MathJax
    # included), while links to other sites are fine.
    remote = []
    for path in _pages(site):
        for tag, attrs in _parse(path).tags:
            url = attrs.get("src") if tag in ("script", "img") else None
            if tag == "link" and attrs.get("rel") in ("stylesheet", "preload"):
                url = attrs.get("href")
            if url and urlsplit(url).scheme in ("http", "https"):
                remote.append(f"{path.relative_to(site)}: {url}")
    assert not remote, "\n".join(remote)


def test_math_is_served_from_the_site(site):
    pages_with_math = [p for p in _pages(site) if 'class="math' in p.read_text("utf-8")]
    assert len(pages_with_math) >= 5, pages_with_math
    for path in pages_with_math:
        scripts = [a.get("src", "") for t, a in _parse(path).tags if t == "script"]
        mathjax = [s for s in scripts if "mathjax" in s.lower()]
        assert mathjax, f"{path.relative_to(site)}: math but no MathJax"
        for src in mathjax:
            assert (path.parent / unquote(src.split("?")[0])).is_file(), src


def test_internal_links_resolve(site):
    broken = []
    for path in _pages(site):
        for tag, attrs in _parse(path).tags:
            href = attrs.get("href") if tag == "a" else None
            if not href or urlsplit(href).scheme or href.startswith(("#", "mailto:")):
                continue
            target = path.parent / unquote(urlsplit(href).path)
            if not target.exists():
                broken.append(f"{path.relative_to(site)}: {href}")
    assert not broken, "\n".join(broken[:50])


def test_gallery_images_have_a_2x_version(site):
    pages = sorted((site / "auto_examples").rglob("plot_*.html"))
    assert len(pages) >= 8, pages
    for path in pages:
        images = [
            a for t, a in _parse(path).tags if t == "img" and "sphx-glr" in a.get("class", "")
        ]
        assert images, path.name
        for attrs in images:
            assert "2.00x" in attrs.get("srcset", ""), (path.name, attrs.get("src"))


def test_api_pages_link_to_the_user_guide_and_source(site):
    for name in ("WCRNNReservoir", "WCRNNRegressor", "WCRNNClassifier"):
        html = (site / "generated" / f"wcrnn_rc.{name}.html").read_text(encoding="utf-8")
        assert "Read more in the" in html and "User Guide" in html, name
        assert "viewcode-link" in html, name  # [source]
        # Inherited methods users call are shown (score from scikit-learn's mixins).
        method = "fit_transform" if name == "WCRNNReservoir" else "score"
        assert f'id="wcrnn_rc.{name}.{method}"' in html, name
