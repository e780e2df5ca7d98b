"""The strict build of the whole site: pages, home page facts, metadata."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT

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


def _meta(page: BeautifulSoup) -> dict[str, str]:
    return {
        (m.get("property") or m.get("name")): m.get("content")
        for m in page.find_all("meta")
        if m.get("property") or m.get("name")
    }


def test_each_paper_page_has_a_social_card_with_its_exact_title(site):
    from PIL import Image

    papers = sorted((site.html / "publications").glob("*.html"))
    papers = [p for p in papers if p.name != "index.html"]
    assert papers, "no paper pages built"
    for path in papers:
        key = path.stem
        meta = _meta(soup(site, f"publications/{path.name}"))
        image = meta.get("og:image", "")
        match = re.fullmatch(rf"https://\S+/(_images/cards/{key}-[0-9a-f]{{8}}\.png)", image)
        assert match, f"{path.name}: og:image is {image!r}, not its own card"
        card = site.html / match.group(1)
        assert card.is_file(), f"{path.name}: card {card} not written"
        assert Image.open(card).size == (1200, 630)
        assert meta["og:image:alt"].startswith(meta["citation_title"] + ": ")
        assert meta.get("twitter:card") == "summary_large_image"


def test_generic_social_cards_carry_the_site_mark_not_the_sphinx_logo(site):
    from PIL import Image

    # The home page's card comes from sphinxext-opengraph. Its corner logo is the site's
    # mark (its blue, _static/social-mark.png), not the Sphinx logo the extension draws
    # by default (a grey-blue, 132/146/175).
    image = _meta(soup(site, "index.html"))["og:image"]
    card = site.html / image.split("/en/latest/", 1)[-1]
    assert card.is_file(), card
    picture = Image.open(card).convert("RGB")
    corner = picture.crop((picture.width - 220, picture.height - 160, *picture.size))
    colours = [colour for _, colour in corner.getcolors(220 * 160)]

    def near(colour, target, tolerance=24):
        return all(abs(a - b) <= tolerance for a, b in zip(colour, target, strict=True))

    assert any(near(c, (0, 82, 136)) for c in colours), "the site's mark is not on the card"
    assert not any(near(c, (132, 146, 175), 6) for c in colours), "the Sphinx logo is on it"


def test_the_site_reads_as_a_personal_site_not_documentation(site):
    import calendar

    import yaml

    home = soup(site, "index.html")
    search = home.select_one("input[name=q], .search-button__default-text, form.bd-search input")
    assert search is not None, "no search field"
    assert "Search this site" in str(home.select_one(".search-button-field, form.bd-search"))
    assert "Search the docs" not in str(home)
    for page in ("index.html", "publications/chen2020slide.html"):
        footer = soup(site, page).select_one("footer").get_text(" ", strip=True)
        assert "Sphinx" not in footer and "PyData" not in footer, f"{page} footer: {footer}"
    # No "On this page" column on the home page.
    assert home.select_one(".bd-sidebar-secondary") is None
    assert "On this page" not in home.get_text(" ")
    # The biography says the date it speaks for, from the profile file.
    profile = yaml.safe_load((ROOT / "data" / "profile.yaml").read_text())
    year, month = str(profile["as_of"]).split("-")[:2]
    when = f"{calendar.month_name[int(month)]} {year}"
    as_of = home.select_one(".portfolio-as-of")
    assert as_of is not None and as_of.get_text(" ", strip=True).startswith(f"As of {when}:")


def _stylesheets(page: BeautifulSoup) -> list[str]:
    return [
        link["href"].split("?", 1)[0].rsplit("/", 1)[-1]
        for link in page.find_all("link", rel="stylesheet")
    ]


def test_each_page_links_only_the_stylesheets_it_uses(site):
    pages = [p.relative_to(site.html).as_posix() for p in site.html.rglob("*.html")]
    assert len(pages) > 10
    for page in pages:
        if page in ("search.html",) or page.startswith(("_", "jupyter_execute")):
            continue
        html = soup(site, page)
        sheets = _stylesheets(html)
        body = str(html.select_one("article") or html.body)
        # The theme's two, then the page's own: MyST-NB's only with executed cells,
        # Pygments' only with highlighted code, and the one bundle of the small ones.
        assert sheets[:2] == ["theme.css", "pydata-sphinx-theme.css"], (page, sheets)
        assert any(s.startswith("mystnb") for s in sheets) == ('class="cell' in body), page
        assert ("pygments.css" in sheets) == ('class="highlight' in body), page
        assert sheets[-1] == "portfolio-bundle.css", (page, sheets)
        assert not {"copybutton.css", "sphinx-design.min.css", "portfolio.css"} & set(sheets)
        assert len(sheets) <= 5, (page, sheets)


def test_the_stylesheet_bundle_holds_each_small_stylesheet_whole(site):
    bundle = (site.html / "_static" / "portfolio-bundle.css").read_text(encoding="utf-8")
    site_css = (ROOT / "_static" / "portfolio.css").read_text(encoding="utf-8")
    assert site_css in bundle
    for name in ("copybutton.css", "sphinx-design.min.css", "portfolio-data.css"):
        copied = (site.html / "_static" / name).read_text(encoding="utf-8")
        assert copied in bundle, f"{name} is not in the bundle as the build copies it"
    # In cascade order: the packages' rules first, the site's own last.
    assert bundle.index("/* sphinx-design.min.css */") < bundle.index("/* portfolio.css */")
