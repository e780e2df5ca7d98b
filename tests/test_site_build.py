"""The strict build of the whole site: pages, home page facts, metadata."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.site

EXPECTED_PAGES = [
    "index.html",
    "publications/index.html",
    "talks/index.html",
    "news.html",
    "notebooks/index.html",
    "notebooks/count-min-sketch.html",
    "search.html",
    "sitemap.xml",
]


def soup(site, page: str) -> BeautifulSoup:
    return BeautifulSoup((site.html / page).read_text(encoding="utf-8"), "html.parser")


def test_strict_build_succeeds_without_warnings(site):
    assert "build succeeded" in site.log
    # Sphinx writes "WARNING: "; the kernel's own "[IPKernelApp] WARNING |" lines are not ours.
    sphinx_warnings = re.findall(r"^.*\bWARNING: .*$", site.log, flags=re.MULTILINE)
    assert sphinx_warnings == []


@pytest.mark.parametrize("page", EXPECTED_PAGES)
def test_expected_page_exists(site, page):
    assert (site.html / page).is_file(), f"{page} missing from the built site"


def test_home_page_introduces_the_owner(site):
    page = soup(site, "index.html")
    assert page.find("h1").get_text(strip=True).startswith("Tharun Medini")
    text = page.get_text(" ", strip=True)
    facts = [
        "Rice University",
        "Electrical and Computer Engineering",
        "Amazon Search",
        "Indian Institute of Technology, Bombay",
    ]
    for fact in facts:
        assert fact in text, f"home page lacks {fact!r}"
    hrefs = {a.get("href") for a in page.find_all("a")}
    assert "https://tharun24.github.io/Resume.pdf" in hrefs, "resume link missing"
    assert "https://rushlab.blogs.rice.edu/" in hrefs, "lab link missing"
    assert "https://www.cs.rice.edu/~as143/" in hrefs, "advisor link missing"


def test_top_navigation_links_the_full_lists(site):
    nav = soup(site, "index.html").select_one("nav.navbar-nav, .bd-navbar-elements, header nav")
    assert nav is not None, "no top navigation found"
    targets = {a.get("href") for a in nav.find_all("a")}
    for page in [
        "publications/index.html",
        "talks/index.html",
        "news.html",
        "notebooks/index.html",
    ]:
        assert page in targets, f"top navigation lacks {page}; has {sorted(targets)}"


def test_pages_carry_social_preview_metadata(site):
    page = soup(site, "index.html")
    og = {m.get("property"): m.get("content") for m in page.find_all("meta") if m.get("property")}
    assert og.get("og:title", "").startswith("Tharun Medini")
    assert og.get("og:url", "").startswith("https://")
    assert page.find("meta", attrs={"name": "description"}) is not None


def test_sitemap_lists_every_content_page(site):
    sitemap = (site.html / "sitemap.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>(.*?)</loc>", sitemap)
    for page in ["publications/index.html", "talks/index.html", "notebooks/count-min-sketch.html"]:
        assert any(loc.endswith(page) for loc in locs), f"sitemap lacks {page}"
    assert not any(loc.endswith("search.html") for loc in locs)


def test_notebook_page_shows_executed_outputs(site):
    page = soup(site, "notebooks/count-min-sketch.html")
    outputs = page.select("div.cell_output")
    assert outputs, "notebook page has no executed outputs"
    assert page.find("img") is not None, "notebook figure missing"


def test_page_sources_keep_their_own_suffix(site):
    # html_sourcelink_suffix = "": the source of a text notebook is served as .md, not .md.txt.
    assert (site.html / "_sources" / "notebooks" / "count-min-sketch.md").is_file()


def test_formulas_are_mathml_and_no_page_loads_a_remote_script(site):
    page = soup(site, "notebooks/count-min-sketch.html")
    assert page.select("span.math math"), "inline formulas were not rendered to MathML"
    for path in site.html.rglob("*.html"):
        if "_static" in path.parts:
            continue
        remote = [
            s["src"]
            for s in BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").find_all(
                "script", src=True
            )
            if s["src"].startswith(("http:", "https:", "//"))
        ]
        assert remote == [], f"{path.relative_to(site.html)} loads remote scripts {remote}"
