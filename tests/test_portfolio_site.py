"""The real site's data-driven pages, on the strict build of the whole site.

Facts (titles, author order, venues, links) are checked against the facts file the
site is built from (``../shared/facts/publications.md``), copied here as expectations.
"""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup

from portfolio.data import load_bibliography, load_news, load_talks

pytestmark = pytest.mark.site

ROOT = Path(__file__).resolve().parents[1]
PUBLICATIONS, _, _, _ = load_bibliography(
    ROOT / "publications/publications.bib", "publications/publications.bib"
)

# Title -> authors in order, exactly as published.
FACT_PAPERS = {
    "SLIDE : In Defense of Smart Algorithms over Hardware Acceleration for Large-Scale Deep "
    "Learning Systems": [
        "Beidi Chen",
        "Tharun Medini",
        "James Farwell",
        "Sameh Gobriel",
        "Charlie Tai",
        "Anshumali Shrivastava",
    ],
    "Extreme Classification in Log Memory using Count-Min Sketch: A Case Study of Amazon "
    "Search with 50M Products": [
        "Tharun Medini",
        "Qixuan Huang",
        "Yiqiu Wang",
        "Vijai Mohan",
        "Anshumali Shrivastava",
    ],
    "Be a Copycat: Uncharted Rewards by Mimicking Expert Action Sequences": [
        "Tharun Medini",
        "Anshumali Shrivastava",
    ],
    "A Deep Dive of Count-Min Sketch for Extreme Multi-Label Classification": [
        "Tharun Medini",
        "Anshumali Shrivastava",
    ],
    "Cross-Modal Mapping for Generalized Zero-Shot Learning by Soft-Labeling": [
        "Shabnam Daghaghi",
        "Tharun Medini",
        "Anshumali Shrivastava",
    ],
}
FACT_PRESS = {
    ("Engadget", "An algorithm could make CPUs a cheap way to train AI", "3 March 2020"),
    (
        "Ars Technica",
        "Deep Learning breakthrough made by Rice University scientists",
        "December 2019",
    ),
    (
        "InsideHPC",
        "SLIDE algorithm for training deep neural nets faster on CPUs than GPUs",
        "March 2020",
    ),
    ("IEEE Spectrum", "Hash Your Way To a Better Neural Network", None),
    ("TechXplore", "Deep learning rethink overcomes major obstacle in AI industry", "March 2020"),
    (
        "TechXplore",
        "Researchers report breakthrough in 'distributed deep learning'",
        "December 2019",
    ),
}
PAPER_PAGES = sorted(p.stem for p in (ROOT / "publications").glob("*.md") if p.stem != "index")


def soup(site, page: str) -> BeautifulSoup:
    return BeautifulSoup((site.html / page).read_text(encoding="utf-8"), "html.parser")


def test_publications_page_lists_every_paper_with_exact_title_and_author_order(site):
    page = soup(site, "publications/index.html")
    cards = page.select(".portfolio-publication")
    found = {
        c.select_one(".portfolio-title a").get_text(): c.select_one(".portfolio-authors")
        .get_text()
        .split(", ")
        for c in cards
    }
    assert found == FACT_PAPERS
    for card in cards:
        assert [s.get_text() for s in card.select(".portfolio-owner")] == ["Tharun Medini"]


def test_citations_keep_the_exact_title(site):
    # pybtex's plain style would print "A deep dive of count-min sketch for ...".
    page = soup(site, "publications/medini2019extreme.html")
    cited = [li.get_text(" ", strip=True) for li in page.select(".footnote-list .footnote")]
    assert cited, "no footnote citation found on the MACH page"
    assert any(
        "A Deep Dive of Count-Min Sketch for Extreme Multi-Label Classification" in c for c in cited
    ), cited


def test_home_page_title_names_the_owner_once(site):
    title = soup(site, "index.html").title.get_text()
    assert title.count("Tharun Medini") == 1, title
    assert soup(site, "cv.html").title.get_text().endswith("Tharun Medini")


def test_every_paper_has_a_demo_notebook_or_a_stated_reason(site):
    for key, pub in PUBLICATIONS.items():
        assert bool(pub.demo) != bool(pub.nodemo), key
        card = soup(site, "publications/index.html").select_one(f"#{key}")
        demo = [a for a in card.select("a.sd-btn") if a.get_text(strip=True) == "Run the demo"]
        if pub.demo:
            assert demo and demo[0]["href"] == f"../notebooks/{pub.demo}.html"
        else:
            assert not demo


@pytest.mark.parametrize("key", PAPER_PAGES)
def test_paper_page_has_correct_scholar_tags_and_json_ld(site, key):
    pub = PUBLICATIONS[key]
    page = soup(site, f"publications/{key}.html")
    tags = [
        (m["name"], m["content"])
        for m in page.find_all("meta", attrs={"name": True})
        if m["name"].startswith("citation_")
    ]
    expected = [("citation_title", pub.title)] + [("citation_author", a) for a in pub.author]
    expected += [
        ("citation_publication_date", str(pub.year)),
        ("citation_conference_title", pub.booktitle),
    ]
    expected += [("citation_pdf_url", pub.pdf)]
    assert tags == expected
    (script,) = page.find_all("script", type="application/ld+json")
    doc = json.loads(script.string)
    assert doc["@type"] == "ScholarlyArticle"
    assert doc["headline"] == pub.title
    assert [a["name"] for a in doc["author"]] == pub.author
    assert doc["datePublished"] == str(pub.year)
    assert doc["url"].endswith(f"publications/{key}.html") and doc["url"].startswith("https://")


@pytest.mark.parametrize("key", [k for k in PAPER_PAGES if PUBLICATIONS[k].demo])
def test_paper_and_demo_notebook_link_to_each_other(site, key):
    demo = PUBLICATIONS[key].demo
    header = soup(site, f"publications/{key}.html").select_one(".portfolio-paper-header")
    assert header.select_one("a.sd-btn-primary")["href"] == f"../notebooks/{demo}.html"
    banner = soup(site, f"notebooks/{demo}.html").select_one(".portfolio-paper-banner a")
    assert banner["href"] == f"../publications/{key}.html"


def test_home_page_shows_selected_papers_updates_and_press_from_data(site):
    page = soup(site, "index.html")
    selected = [
        c.select_one(".portfolio-title a").get_text()
        for c in page.select(".portfolio-selected .portfolio-publication")
    ]
    assert selected == [p.title for p in PUBLICATIONS.values() if p.selected]
    assert len(page.select(".portfolio-updates > li")) == 3
    assert len(page.select(".portfolio-press-list > li")) == 2
    assert page.find("a", href="cv.html") is not None


def test_talks_page_lists_every_talk_newest_first(site):
    talks, problems = load_talks(ROOT / "talks/talks.yaml", "talks/talks.yaml")
    assert problems == []
    cards = soup(site, "talks/index.html").select(".portfolio-talk")
    assert len(cards) == len(talks) == 5
    dates = [talks[c["id"].removeprefix("talk-")].date.sort_key for c in cards]
    assert dates == sorted(dates, reverse=True)
    inferred = [
        c.select_one(".portfolio-date").get_text() for c in cards if "inferred" in c.get_text()
    ]
    assert inferred == [
        "7 December 2019 (year inferred)",
        "19 November 2019 (year inferred)",
        "14 October 2019 (year inferred)",
    ]


def test_news_page_lists_the_press_exactly(site):
    items = soup(site, "news.html").select(".portfolio-press-list > li")
    found = set()
    for li in items:
        date = li.select_one(".portfolio-date")
        found.add(
            (
                li.find("strong").get_text(),
                li.find("em").get_text(),
                date.get_text() if date else None,
            )
        )
    assert found == FACT_PRESS
    text = (site.html / "news.html").read_text(encoding="utf-8")
    assert "Endgadget" not in text


def test_every_link_from_data_is_https_or_relative(site):
    _, press, problems = load_news(ROOT / "news/news.yaml", "news/news.yaml")
    assert problems == []
    for page in ["publications/index.html", "talks/index.html", "news.html", "cv.html"]:
        for a in soup(site, page).select(
            ".portfolio-publication a, .portfolio-talk a, .portfolio-press a, .portfolio-cv a"
        ):
            href = a["href"]
            assert href.startswith("https://") or "://" not in href, (page, href)


def test_site_atom_feed_parses(site):
    feed = feedparser.parse((site.html / "news" / "atom.xml").read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    _, _, problems = load_news(ROOT / "news/news.yaml", "news/news.yaml")
    assert problems == []
    assert len(feed.entries) == 4
    assert all(
        e.link.startswith("https://") and "news.html#update-" in e.link for e in feed.entries
    )
    updates, _, _ = load_news(ROOT / "news/news.yaml", "news/news.yaml")
    for entry in feed.entries:
        update = updates[entry.id.rsplit("#update-", 1)[1]]
        day, known = update.feed_day()
        # Dated as precisely as the data knows: never before the event it reports began.
        assert entry.updated.startswith(day.isoformat())
        if update.event_start is not None:
            assert entry.updated.startswith(update.event_start.iso())
        assert ("the day is not known" in entry.content[0].value) == (not known)
        # An update about a paper links the paper's page, which exists.
        related = [link.href for link in entry.links if link.rel == "related"]
        if update.paper:
            assert len(related) == 1 and related[0].endswith(f"/publications/{update.paper}.html")
            assert (site.html / "publications" / f"{update.paper}.html").is_file()
            assert related[0] in entry.content[0].value
        else:
            assert related == []


def test_every_publication_has_a_page_headed_by_its_exact_title(site):
    # Google Scholar matches the title in large type, and the <title>, to citation_title.
    for key, pub in PUBLICATIONS.items():
        page = soup(site, f"publications/{key}.html")
        [heading] = page.select("h1")
        assert heading.get_text(strip=True).rstrip("#¶") == pub.title, key
        assert page.title.get_text().startswith(pub.title), key
        assert page.select_one('meta[name="citation_title"]')["content"] == pub.title, key
        link = soup(site, "publications/index.html").select_one(f"#{key} .portfolio-title a")
        assert link["href"] == f"{key}.html", key  # the list links the page, not its own anchor
        if pub.nodemo:
            note = page.select_one(".portfolio-paper-header .portfolio-nodemo")
            assert note is not None and pub.nodemo in note.get_text(" ", strip=True), key


def test_home_page_describes_its_owner_as_a_profile_page(site):
    blocks = [
        json.loads(script.string)
        for script in soup(site, "index.html").select('script[type="application/ld+json"]')
    ]
    [profile] = [b for b in blocks if b.get("@type") == "ProfilePage"]
    person = profile["mainEntity"]
    assert person["@type"] == "Person" and person["name"] == "Tharun Medini"
    assert {"@type": "Organization", "name": "Rice University"} in person["affiliation"]
    assert "sameAs" not in person  # the profile data names no other page of the owner's
    assert profile["url"].startswith("https://")
