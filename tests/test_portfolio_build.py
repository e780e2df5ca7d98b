"""The portfolio extension on tiny sites: rendering from data; every bad input stops the build.

Each case is a folder under ``tests/roots/``: ``base`` is a complete tiny site (two papers, a
demo page, talks, news, a profile); every other folder holds only the files that differ from
``base``, and the test overlays it on a copy of ``base``. Builds run in-process (about half a
second each); one test runs the real command line to show what the owner sees.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pybtex.database import parse_string
from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace

from portfolio.errors import PortfolioConfigError, PortfolioDataError

ROOTS = Path(__file__).parent / "roots"
BIB = "publications/publications.bib"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Built:
    src: Path
    html: Path
    warnings: str

    def soup(self, page: str) -> BeautifulSoup:
        return BeautifulSoup((self.html / page).read_text(encoding="utf-8"), "html.parser")


def make_site(tmp_path: Path, case: str | None = None) -> Path:
    """Copy the base tiny site, then overlay the case's files."""
    src = tmp_path / "src"
    shutil.copytree(ROOTS / "base", src)
    if case is not None:
        shutil.copytree(ROOTS / case, src, dirs_exist_ok=True)
    return src


def build(src: Path, *, fresh: bool = True, **overrides) -> Built:
    """Build ``src`` to HTML in-process; data errors raise before anything is written."""
    out = src.parent / "html"
    warnings = StringIO()
    # A fresh docutils registry per build, as sphinx.testing does: several apps share one process.
    with docutils_namespace():
        app = Sphinx(
            str(src),
            str(src),
            str(out),
            str(src.parent / "doctrees"),
            "html",
            confoverrides=overrides,
            status=StringIO(),
            warning=warnings,
            freshenv=fresh,
        )
        app.build()
    return Built(src, out, ANSI.sub("", warnings.getvalue()))


def data_error(tmp_path: Path, case: str) -> tuple[list[str], str, Path]:
    """Build a bad case; return its problems, the logged errors, and the output folder."""
    src = make_site(tmp_path, case)
    with pytest.raises(PortfolioDataError) as exc:
        build(src)
    return [str(p) for p in exc.value.problems], str(exc.value), src.parent / "html"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Built:
    built = build(make_site(tmp_path_factory.mktemp("base")))
    assert built.warnings == "", built.warnings
    return built


# -- Bad input: each case fails the build with one message naming file, entry and field --------

BAD_BIB = {
    "bib-malformed": f"{BIB}:3: entry 'owner2020fast', field 'title': malformed BibTeX: "
    "'}' expected (is a comma missing after field 'title'?) [portfolio.syntax]",
    "bib-missing-title": f"{BIB}:1: entry 'owner2020fast', field 'title': required field is "
    "missing "
    "[portfolio.missing_field]",
    "bib-missing-author": f"{BIB}:1: entry 'owner2020fast', field 'author': required field is "
    "missing "
    "[portfolio.missing_field]",
    "bib-missing-year": f"{BIB}:1: entry 'owner2020fast', field 'year': required field is missing "
    "[portfolio.missing_field]",
    "bib-missing-venue": f"{BIB}:1: entry 'owner2020fast', field 'venue': required field is "
    "missing "
    "[portfolio.missing_field]",
    "bib-duplicate-key": f"{BIB}:23: entry 'owner2020fast', field 'key': duplicate key "
    "(first defined on line 1) [portfolio.duplicate]",
    "bib-demo-missing": f"{BIB}:1: entry 'owner2020fast', field 'demo': demo notebook 'nosuch' "
    "does not exist "
    "(looked for notebooks/nosuch.md, notebooks/nosuch.ipynb) [portfolio.demo]",
    "bib-no-demo-reason": f"{BIB}:13: entry 'other2019slow', field 'demo': required field is "
    "missing: "
    "name the demo notebook, or say why there is none in nodemo [portfolio.missing_field]",
    "bib-javascript-link": f"{BIB}:1: entry 'owner2020fast', field 'pdf': link "
    "'javascript:alert(1)' "
    "must be https:// or relative (scheme 'javascript') [portfolio.link]",
    "bib-unknown-field": f"{BIB}:1: entry 'owner2020fast', field 'pfd': unknown field (did you "
    "mean 'pdf'?) "
    "[portfolio.unknown_field]",
    "bib-bad-year": f"{BIB}:1: entry 'owner2020fast', field 'year': must be a whole number, "
    "got 'twenty' "
    "[portfolio.schema]",
}


TALKS, NEWS = "talks/talks.yaml", "news/news.yaml"
BAD_YAML = {
    "talks-bad-date": f"{TALKS}:1: entry 'older-talk', field 'date': '2019-10-41' is not a date "
    "(day is out of range for month) [portfolio.date]",
    "talks-bad-kind": f"{TALKS}:1: entry 'older-talk', field 'kind': must be 'invited', "
    "'spotlight' or 'meetup', "
    "got 'keynote' [portfolio.schema]",
    "talks-duplicate-id": f"{TALKS}:19: entry 'older-talk': duplicate key (first defined on "
    "line 1) [portfolio.duplicate]",
    "talks-unknown-paper": f"{TALKS}:9: entry 'newer-talk', field 'paper': no publication with "
    "key 'owner2020fats' "
    "in publications/publications.bib [portfolio.paper_key]",
    "news-data-link": f"{NEWS}:11: entry 'undated', field 'url': link "
    "'data:text/html,<script>alert(1)</script>' "
    "must be https:// or relative (scheme 'data') [portfolio.link]",
    "news-unknown-field": f"{NEWS}:11: entry 'undated', field 'outlit': unknown field (did you "
    "mean 'outlet'?) "
    "[portfolio.unknown_field]",
    "profile-bad-date": "data/profile.yaml: field 'experience.0.start': '2018-5' is not a date "
    "(write YYYY-MM-DD, YYYY-MM or YYYY) [portfolio.date]",
}


@pytest.mark.parametrize("case", sorted(BAD_YAML))
def test_bad_talks_or_news_stop_the_build_with_one_message_naming_file_entry_and_field(
    tmp_path, case
):
    problems, message, out = data_error(tmp_path, case)
    assert problems == [BAD_YAML[case]]
    assert not (out / "index.html").exists()


@pytest.mark.parametrize("case", sorted(BAD_BIB))
def test_bad_bibtex_stops_the_build_with_one_message_naming_file_entry_and_field(tmp_path, case):
    problems, message, out = data_error(tmp_path, case)
    assert problems == [BAD_BIB[case]]
    assert BAD_BIB[case] in message
    assert not (out / "index.html").exists(), (
        "a data error must stop the build before any page is written"
    )


def test_command_line_build_prints_the_data_error_and_fails(tmp_path):
    src = make_site(tmp_path, "bib-unknown-field")
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-W",
        "-n",
        "--keep-going",
        str(src),
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    expected = (
        f"{BIB}:1: ERROR: entry 'owner2020fast', field 'pfd': unknown field (did you mean 'pdf'?) "
        "[portfolio.unknown_field]"
    )
    assert expected in proc.stderr.splitlines()
    assert proc.returncode == 1
    # The owner reads their mistake and one summary line, not Sphinx's crash report.
    summary = "ERROR: Portfolio data error: 1 problem in the data files above; nothing was built."
    assert proc.stderr.rstrip().splitlines()[-1] == summary
    for crash in ("Traceback", "Versions", "sphinx-doc/sphinx/issues", "sphinx-err-"):
        assert crash not in proc.stdout + proc.stderr, crash
    assert not (out / "index.html").exists()


def test_bad_config_value_on_the_command_line_prints_one_line_and_no_traceback(tmp_path):
    src = make_site(tmp_path)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", str(src), str(out)]
    proc = subprocess.run(
        [*cmd, "-D", "portfolio_site_url=http://tiny.example.org/"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "Portfolio configuration error: portfolio_site_url = 'http://" in proc.stderr
    assert "Traceback" not in proc.stderr and "sphinx-doc/sphinx/issues" not in proc.stderr


def test_badges_count_benchmark_targets_met_on_the_list_and_the_home_page(tmp_path):
    # On the command line: myst-nb and the other tiny sites' myst-parser share no process.
    src, out = make_site(tmp_path, "claims-bench-badge"), tmp_path / "html"
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "-n", "-q", str(src), str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    built = Built(src, out, proc.stderr)
    for page, href in (
        ("publications/index.html", "../reproducibility.html#claims-owner2020fast"),
        ("index.html", "reproducibility.html#claims-owner2020fast"),
    ):
        [link] = built.soup(page).select(f".portfolio-claims-badge a[href='{href}']")
        [badge] = link.select(".portfolio-claim-status")
        assert badge.get_text(strip=True) == "benchmark targets 1 of 2 met", page
        assert "sd-bg-warning" in badge["class"]  # the colour of a missed target in the table
    repro = built.soup("reproducibility.html")
    statuses = [
        b.get_text(strip=True)
        for b in repro.select(".portfolio-bench-claims tbody tr td .portfolio-claim-status")
    ]
    assert statuses == ["target met", "target missed"]


def test_paper_role_with_unknown_key_fails_the_strict_build(tmp_path):
    built = build(make_site(tmp_path, "role-unknown-key"))
    assert (
        "WARNING: paper: no publication with key 'nosuch2019' in publications/publications.bib "
        in built.warnings
    )
    assert "owner2020fast.md:6: " in built.warnings
    assert built.warnings.rstrip().endswith("[portfolio.paper_key]")


def test_paper_header_with_unknown_key_fails_the_strict_build(tmp_path):
    built = build(make_site(tmp_path, "header-unknown-key"))
    assert (
        "owner2020fast.md:3: WARNING: paper-header: no publication with key 'nosuch2019'"
        in built.warnings
    )
    assert "[portfolio.paper_key]" in built.warnings


def test_config_value_of_wrong_kind_is_refused_naming_option_and_value(tmp_path):
    expected = (
        r"portfolio_site_url = 'http://tiny.example.org/': expected an https:// address "
        "ending in '/'"
    )
    with pytest.raises(PortfolioConfigError, match=expected):
        build(make_site(tmp_path), portfolio_site_url="http://tiny.example.org/")


# -- Publications render from the .bib ---------------------------------------------------------


def test_publication_list_groups_by_year_newest_first(base):
    page = base.soup("publications/index.html")
    years = [h.get_text(strip=True).rstrip("#¶") for h in page.select("section > h2")]
    assert years == ["2020", "2019"]
    sections = page.select("section section")
    assert [c["id"] for c in sections[0].select(".portfolio-publication")] == ["owner2020fast"]
    assert [c["id"] for c in sections[1].select(".portfolio-publication")] == ["other2019slow"]


def test_owner_name_is_highlighted_in_every_author_list(base):
    page = base.soup("publications/index.html")
    for card in page.select(".portfolio-publication"):
        owners = card.select(".portfolio-authors strong.portfolio-owner")
        assert [o.get_text() for o in owners] == ["Ada Owner"]
    authors = page.select_one("#other2019slow .portfolio-authors").get_text()
    assert authors == "Jane Doe, Ada Owner"


def test_entry_shows_venue_badge_buttons_and_demo_button(base):
    card = base.soup("publications/index.html").select_one("#owner2020fast")
    assert card.select_one(".sd-badge").get_text() == "CFT 2020"
    buttons = {a.get_text(strip=True): a["href"] for a in card.select("a.sd-btn")}
    assert buttons == {
        "Run the demo": "../notebooks/demo.html",
        "PDF": "https://example.org/fast.pdf",
        "Code": "https://example.org/fast",
    }
    # LaTeX case-protection braces are markup, not text.
    assert card.select_one(".portfolio-title a").get_text() == "Fast Things"
    assert card.select_one(".portfolio-title a")["href"] == "owner2020fast.html"


def test_paper_without_demo_has_no_demo_button_and_keeps_relative_links(base):
    card = base.soup("publications/index.html").select_one("#other2019slow")
    buttons = {a.get_text(strip=True): a["href"] for a in card.select("a.sd-btn")}
    assert buttons == {"PDF": "papers/slow.pdf"}


def test_copyable_bibtex_reparses_and_drops_site_only_fields(base):
    page = base.soup("publications/index.html")
    for key in ["owner2020fast", "other2019slow"]:
        text = page.select_one(f"#{key} .portfolio-bibtex pre").get_text()
        bib = parse_string(text, "bibtex")
        ((entry_key, entry),) = bib.entries.items()
        assert entry_key == key
        assert set(entry.fields) <= {"title", "booktitle", "journal", "year"}
        assert not {"pdf", "code", "demo", "nodemo", "selected", "venue"} & {
            f.lower() for f in entry.fields
        }
    fast = parse_string(
        page.select_one("#owner2020fast .portfolio-bibtex pre").get_text(), "bibtex"
    )
    entry = fast.entries["owner2020fast"]
    assert entry.type == "inproceedings"
    assert entry.fields["title"] == "Fast {Things}"
    assert [str(p) for p in entry.persons["author"]] == ["Owner, Ada", "Doe, Jane"]


def test_home_page_lists_only_selected_papers_with_demo_and_bibtex(base):
    page = base.soup("index.html")
    cards = page.select(".portfolio-selected .portfolio-publication")
    assert len(cards) == 1
    labels = [a.get_text(strip=True) for a in cards[0].select("a.sd-btn")]
    assert labels[0] == "Run the demo"
    assert cards[0].select_one(".portfolio-bibtex pre") is not None
    assert cards[0].select_one(".portfolio-title a")["href"] == "publications/owner2020fast.html"


def test_paper_page_header_card_and_prominent_demo_button(base):
    page = base.soup("publications/owner2020fast.html")
    header = page.select_one(".portfolio-paper-header")
    assert header.select_one(".portfolio-paper-title") is None  # the heading is the title
    demo = header.select_one("a.sd-btn-primary")
    assert demo.get_text(strip=True) == "Run the demo"
    assert "portfolio-btn-large" in demo["class"]
    assert demo["href"] == "../notebooks/demo.html"


def test_paper_page_heading_and_title_are_the_exact_paper_title(base):
    # Scholar matches the title in large type against citation_title: all three agree.
    page = base.soup("publications/owner2020fast.html")
    [heading] = page.select("h1")
    assert heading.get_text(strip=True).rstrip("#¶") == "Fast Things"
    assert page.title.get_text().startswith("Fast Things")
    assert page.select_one('meta[name="citation_title"]')["content"] == "Fast Things"
    # The heading the page's author wrote stays, as a kicker, outside the title.
    kicker = page.select_one(".portfolio-paper-kicker")
    assert kicker is not None and kicker.get_text(strip=True) != "Fast Things"


def test_paper_page_carries_google_scholar_meta_tags(base):
    page = base.soup("publications/owner2020fast.html")
    tags = [
        (m["name"], m["content"])
        for m in page.find_all("meta", attrs={"name": True})
        if m["name"].startswith("citation_")
    ]
    assert tags == [
        ("citation_title", "Fast Things"),
        ("citation_author", "Ada Owner"),
        ("citation_author", "Jane Doe"),
        ("citation_publication_date", "2020"),
        ("citation_conference_title", "Conference on Fast Things (CFT) 2020"),
        ("citation_pdf_url", "https://example.org/fast.pdf"),
    ]


def test_paper_page_carries_scholarly_article_json_ld(base):
    scripts = base.soup("publications/owner2020fast.html").find_all(
        "script", type="application/ld+json"
    )
    assert len(scripts) == 1
    doc = json.loads(scripts[0].string)
    assert doc["@context"] == "https://schema.org"
    assert doc["@type"] == "ScholarlyArticle"
    assert doc["headline"] == "Fast Things"
    assert [a["name"] for a in doc["author"]] == ["Ada Owner", "Jane Doe"]
    assert doc["datePublished"] == "2020"
    assert doc["url"] == "https://tiny.example.org/publications/owner2020fast.html"
    assert doc["codeRepository"] == "https://example.org/fast"


def test_only_paper_pages_get_scholar_metadata(base):
    for page in ["index.html", "publications/index.html", "notebooks/demo.html"]:
        soup = base.soup(page)
        assert soup.find("meta", attrs={"name": "citation_title"}) is None, page
        kinds = [
            json.loads(script.string)["@type"]
            for script in soup.find_all("script", type="application/ld+json")
        ]
        # No ScholarlyArticle off the paper pages; the home page describes its owner.
        assert kinds == (["ProfilePage"] if page == "index.html" else []), page


def test_paper_role_and_footcite_resolve_against_the_bib(base):
    page = base.soup("publications/owner2020fast.html")
    link = page.select_one("a.portfolio-paper-link")
    assert link.get_text() == "Slow Things"
    # other2019slow has no page of its own: the link goes to its entry on the list.
    assert link["href"] == "index.html#other2019slow"
    footnotes = page.select_one(".footnote-list").get_text(" ", strip=True)
    assert "Slow Things" in footnotes


def test_cite_role_in_a_notebook_resolves_against_the_same_bib(base):
    page = base.soup("notebooks/demo.html")
    citation = page.select_one(".citation")
    assert "Fast Things" in citation.get_text()
    cites = [a for a in page.select("p a.reference.internal") if a["href"].startswith("#")]
    assert cites and all(page.find(id=a["href"][1:]) is not None for a in cites)


def test_demo_notebook_links_back_to_its_paper(base):
    banner = base.soup("notebooks/demo.html").select_one(".portfolio-paper-banner")
    assert banner is not None
    link = banner.find("a")
    assert link["href"] == "../publications/owner2020fast.html"
    assert link.get_text() == "Fast Things"


def test_title_with_script_tag_renders_as_text_everywhere(tmp_path):
    built = build(make_site(tmp_path, "xss-title"))
    assert built.warnings == ""
    for page in [
        "publications/index.html",
        "index.html",
        "publications/owner2020fast.html",
        "notebooks/demo.html",
    ]:
        html = (built.html / page).read_text(encoding="utf-8")
        soup = BeautifulSoup(html, "html.parser")
        assert "Fast <script>alert(1)</script> Things" in soup.get_text(), page
        assert not [
            s
            for s in soup.find_all("script")
            if "alert(1)" in (s.string or "") and s.get("type") != "application/ld+json"
        ], page
        assert "<script>alert(1)" not in html, page
    paper = built.soup("publications/owner2020fast.html")
    assert (
        paper.find("meta", attrs={"name": "citation_title"})["content"]
        == "Fast <script>alert(1)</script> Things"
    )
    ld = paper.find("script", type="application/ld+json").string
    assert "</" not in ld
    assert json.loads(ld)["headline"] == "Fast <script>alert(1)</script> Things"


# -- Talks -------------------------------------------------------------------------------------


def test_talks_timeline_is_newest_first_with_kind_badges(base):
    cards = base.soup("talks/index.html").select(".portfolio-timeline .portfolio-talk")
    assert [c["id"] for c in cards] == ["talk-newer-talk", "talk-older-talk"]
    assert [c.select_one(".portfolio-kind").get_text() for c in cards] == ["Spotlight", "Meetup"]


def test_talk_without_year_in_source_says_the_year_is_inferred(base):
    page = base.soup("talks/index.html")
    assert (
        page.select_one("#talk-older-talk .portfolio-date").get_text()
        == "14 October 2019 (year inferred)"
    )
    assert page.select_one("#talk-newer-talk .portfolio-date").get_text() == "January 2020"


def test_talk_links_are_buttons_and_the_paper_button_leads_to_the_paper_page(base):
    card = base.soup("talks/index.html").select_one("#talk-newer-talk")
    buttons = {a.get_text(strip=True): a["href"] for a in card.select("a.sd-btn")}
    assert buttons == {
        "Video": "https://example.org/video",
        "Paper": "../publications/owner2020fast.html",
    }
    assert card.select_one(".portfolio-talk-where a")["href"] == "https://workshop.example.org/"


# -- News and the feed -------------------------------------------------------------------------


def test_updates_are_newest_first_with_the_paper_title_linked_and_its_buttons(base):
    items = base.soup("news/index.html").select(".portfolio-updates > li")
    assert [li["id"] for li in items] == ["update-fast-presented", "update-award"]
    first = items[0]
    assert first.select_one(".portfolio-date").get_text() == "March 2020"
    link = first.select_one("a.portfolio-paper-link")
    assert (link.get_text(), link["href"]) == ("Fast Things", "../publications/owner2020fast.html")
    assert "We presented Fast Things at CFT 2020." in first.get_text(" ", strip=True).replace(
        " .", "."
    )
    assert [a.get_text() for a in first.select("a.sd-btn")] == ["PDF", "Code"]


def test_press_is_newest_first_undated_last_and_keeps_exact_quotes(base):
    items = base.soup("news/index.html").select(".portfolio-press-list > li")
    assert [li["id"] for li in items] == ["press-quoted", "press-undated"]
    assert items[0].find("em").get_text() == "Researchers report 'fast things' -- again"
    assert items[0].select_one(".portfolio-date").get_text() == "3 March 2020"
    assert items[1].select_one(".portfolio-date") is None, "a press item without a date shows none"
    assert items[1].select_one("a.sd-btn")["href"] == "https://undated.example.org/story"


def test_home_page_shows_the_latest_few(base):
    page = base.soup("index.html")
    assert [li["id"] for li in page.select(".portfolio-updates > li")] == ["update-fast-presented"]
    assert [li["id"] for li in page.select(".portfolio-press-list > li")] == ["press-quoted"]


def test_atom_feed_is_accepted_by_a_feed_parser(base):
    import feedparser

    feed = feedparser.parse((base.html / "news" / "atom.xml").read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Tiny: updates"
    assert [e.title for e in feed.entries] == [
        "We presented Fast Things at CFT 2020.",
        "Received an award.",
    ]
    assert [e.link for e in feed.entries] == [
        "https://tiny.example.org/news/index.html#update-fast-presented",
        "https://tiny.example.org/news/index.html#update-award",
    ]
    # The root's update is dated to the month only and names no event day: the feed gives
    # the month's first day and says the day is not known.
    assert feed.entries[0].updated == "2020-03-01T00:00:00+00:00"
    assert "Dated March 2020; the day is not known." in feed.entries[0].content[0].value
    assert len({e.id for e in feed.entries}) == 2


def test_every_page_points_feed_readers_at_the_feed(base):
    for page, href in [("index.html", "news/atom.xml"), ("talks/index.html", "../news/atom.xml")]:
        link = base.soup(page).find("link", type="application/atom+xml")
        assert link is not None and link["href"] == href, page
    assert base.soup("news/index.html").select_one("a.portfolio-feed-link")["href"] == "atom.xml"


# -- CV ----------------------------------------------------------------------------------------


def test_cv_sections_render_from_the_profile(base):
    page = base.soup("cv.html")
    texts = {
        name: [li.get_text(" ", strip=True) for li in page.select(f".portfolio-cv-{name} > li")]
        for name in ["education", "experience", "awards", "service"]
    }
    assert texts == {
        "education": ["PhD , University August 2016 – present", "BSc , College 2011 – 2015"],
        "experience": ["Intern , Company, Town May 2018 – August 2019"],
        "awards": ["A Prize 2019", "Undated Award , A Department"],
        "service": ["Reviewer , CFT 2019"],
    }
    links = {
        a.get_text(): a["href"]
        for a in page.select(".portfolio-cv-profile a, .portfolio-cv-education a")
    }
    assert links == {
        "Lab": "https://lab.example.org/",
        "University": "https://university.example.org/",
    }
    resume = page.select_one("a.sd-btn-primary")
    assert (resume.get_text(), resume["href"]) == ("Résumé (PDF)", "https://example.org/cv.pdf")


def test_cv_lists_every_paper_and_talk_from_their_own_files(base):
    page = base.soup("cv.html")
    assert len(page.select(".portfolio-publication")) == 2
    assert page.select_one(".portfolio-publication .portfolio-bibtex") is None, (
        "the CV list is compact"
    )
    assert len(page.select(".portfolio-talk")) == 2
    # Papers without a page of their own still link to the publications list, not to the CV.
    assert base.soup("publications/owner2020fast.html").select_one("a.portfolio-paper-link")[
        "href"
    ] == ("index.html#other2019slow")


def test_unknown_cv_section_fails_the_strict_build(tmp_path):
    built = build(make_site(tmp_path, "cv-unknown-section"))
    expected = (
        "cv.md:3: WARNING: cv-section: unknown section 'hobbies'; expected one of profile, as-of, "
        "education, experience, awards, service [portfolio.cv]"
    )
    assert expected in built.warnings


# -- One entry is all a new paper or talk needs ------------------------------------------------


def test_one_new_bib_entry_and_one_new_talk_entry_appear_everywhere(tmp_path):
    src = make_site(tmp_path)
    with (src / BIB).open("a", encoding="utf-8") as bib:
        bib.write(
            "\n@misc{owner2021new,\n  title = {Brand New},\n  author = {Owner, Ada},\n"
            "  year = {2021},\n  venue = {arXiv 2021},\n  nodemo = {Theory only.},\n"
            "  selected = {true},\n}\n"
        )
    with (src / TALKS).open("a", encoding="utf-8") as talks:
        talks.write("\nnew-talk:\n  date: 2021-05-01\n  event: New Event\n  kind: invited\n")
    built = build(src)
    assert built.warnings == ""
    pubs = built.soup("publications/index.html")
    assert pubs.select("section > h2")[0].get_text().rstrip("#¶") == "2021"
    assert pubs.select_one("#owner2021new .portfolio-title a").get_text() == "Brand New"
    home = built.soup("index.html").select(".portfolio-selected .portfolio-title a")
    assert [a.get_text() for a in home] == ["Brand New", "Fast Things"]
    assert built.soup("talks/index.html").select(".portfolio-talk")[0]["id"] == "talk-new-talk"
    cv = built.soup("cv.html")
    assert cv.select_one(".portfolio-talk")["id"] == "talk-new-talk"
    assert len(cv.select(".portfolio-publication")) == 3


def test_editing_the_bib_rebuilds_the_pages_that_show_the_entry(tmp_path):
    src = make_site(tmp_path)
    build(src)
    bib = src / BIB
    bib.write_text(bib.read_text(encoding="utf-8").replace("Fast {Things}", "Faster Things"))
    built = build(src, fresh=False)
    assert built.warnings == ""
    card = built.soup("publications/index.html").select_one("#owner2020fast .portfolio-title a")
    assert card.get_text() == "Faster Things"
    paper = built.soup("publications/owner2020fast.html")
    assert paper.find("meta", attrs={"name": "citation_title"})["content"] == "Faster Things"
    banner = built.soup("notebooks/demo.html").select_one(".portfolio-paper-banner a")
    assert banner.get_text() == "Faster Things"
