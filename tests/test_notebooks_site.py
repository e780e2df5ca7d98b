"""Built pages: launch and download links, budgets, provenance, report, gallery, claims table.

The tests read the one strict build of the whole site (the ``site`` fixture). The failure
cases (over budget, typed values) are in ``test_notebooks_budget.py``, on a tiny site.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import nbformat
import pytest
from bs4 import BeautifulSoup

from portfolio.claims import evaluate_benchmark, load_benchmark_claims, load_claims

ROOT = Path(__file__).resolve().parents[1]
BINDER = re.compile(
    r"^https://mybinder\.org/v2/gh/[\w.-]+/[\w.-]+/[\w.%-]+\?urlpath=notebooks%2F[\w.%-]+\.md"
    r"%3Ffactory%3DJupytext%2520Notebook$"
)
COLAB = re.compile(
    r"^https://colab\.research\.google\.com/github/[\w.-]+/[\w.-]+/blob/[\w.%-]+/(?P<path>[\w./-]+\.ipynb)$"
)


def soup(path: Path) -> BeautifulSoup:
    """The page, without the column names a phone shows inside stacked table cells."""
    page = BeautifulSoup(path.read_text("utf8"), "html.parser")
    for label in page.select(".portfolio-cell-label"):
        label.decompose()
    return page


def notebook_names(site) -> list[str]:
    """The executed notebooks of the build: those MyST-NB wrote to its output folder."""
    folder = site.html.parent / "jupyter_execute" / "notebooks"
    return sorted(p.stem for p in folder.glob("*.ipynb") if not p.stem.endswith(".outputs"))


def glue_of(site, name: str) -> dict:
    path = site.html.parent / "jupyter_execute" / "notebooks" / f"{name}.glue.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def check_launch_row(page: Path, html_root: Path) -> dict[str, str]:
    """The row's four links, each checked: well-formed Binder/Colab URLs, existing local targets."""
    row = soup(page).select_one("article .portfolio-launch")
    assert row is not None, f"{page.name}: no launch row"
    links = {a.get_text(strip=True): a["href"] for a in row.find_all("a")}
    assert set(links) == {"Launch in Binder", "Open in Colab", "Download .ipynb", "View source"}, (
        links
    )
    binder = links["Launch in Binder"]
    assert BINDER.match(binder), binder
    urlpath = urlsplit(parse_qs(urlsplit(binder).query)["urlpath"][0])
    opened = unquote(urlpath.path.removeprefix("notebooks/"))
    assert (ROOT / opened).is_file(), f"Binder would open {opened}, which is not in the repository"
    assert parse_qs(urlpath.query) == {"factory": ["Jupytext Notebook"]}
    colab = COLAB.match(links["Open in Colab"])
    assert colab, links["Open in Colab"]
    assert (ROOT / unquote(colab["path"])).is_file(), f"Colab needs {colab['path']} committed"
    for label in ("Download .ipynb", "View source"):
        target = (page.parent / links[label]).resolve()
        assert target.is_file() and target.is_relative_to(html_root.resolve()), (
            f"{label}: {links[label]}"
        )
    return links


pytestmark = pytest.mark.site

# -- Launch and download ----------------------------------------------------------------------


def test_every_notebook_page_has_working_launch_and_download_links(site):
    names = notebook_names(site)
    assert "count-min-sketch" in names
    for name in names:
        links = check_launch_row(site.html / "notebooks" / f"{name}.html", site.html)
        assert links["Download .ipynb"] == f"{name}.ipynb"
        urlpath = parse_qs(urlsplit(links["Launch in Binder"]).query)["urlpath"][0]
        assert unquote(urlsplit(urlpath).path) == f"notebooks/notebooks/{name}.md"


def test_pages_with_launch_buttons_are_described_by_their_prose(site):
    # Link previews and search snippets quote the description: the first prose, not the
    # buttons' labels (sphinxext-opengraph alone takes "Launch in Binder Open in Colab ...").
    pages = [f"notebooks/{name}.html" for name in notebook_names(site)]
    pages.append("publications/medini2019extreme.html")
    for page in pages:
        html = soup(site.html / page)
        og = html.find("meta", attrs={"property": "og:description"})["content"]
        meta = html.find_all("meta", attrs={"name": "description"})
        assert len(meta) == 1, page
        assert meta[0]["content"] == og, page
        assert "Launch in Binder" not in og and "View source" not in og, (page, og)
        prose = next(
            " ".join(p.get_text().split())
            for p in html.select("article p")
            if not p.find_parent(class_=re.compile("^(portfolio-|sd-)"))
            and not any(c.startswith(("portfolio-", "sd-")) for c in p.get("class", []))
            and p.get_text(strip=True)
        )
        assert prose.startswith(og.rstrip("…")), (page, og, prose[:120])


def test_every_paper_page_with_a_demo_links_to_its_running_notebook(site):
    from pybtex.database import parse_file

    entries = parse_file(str(ROOT / "publications" / "publications.bib")).entries
    demos = {key: e.fields["demo"] for key, e in entries.items() if "demo" in e.fields}
    assert demos
    for key, demo in demos.items():
        page = site.html / "publications" / f"{key}.html"
        if not page.is_file():
            continue
        links = check_launch_row(page, site.html)
        assert links["Download .ipynb"] == f"../notebooks/{demo}.ipynb"


def test_downloads_open_with_nbformat_and_carry_outputs_but_no_build_probe(site):
    for name in notebook_names(site):
        notebook = nbformat.read(site.html / "notebooks" / f"{name}.ipynb", as_version=4)
        nbformat.validate(notebook)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert sum(bool(c.outputs) for c in code) >= 1, f"{name}.ipynb has no outputs"
        assert not any("portfolio-probe" in c.metadata.get("tags", []) for c in code)
        assert "jupytext" not in notebook.metadata


# -- Budget box, provenance, report ----------------------------------------------------------


def test_budget_box_comes_before_the_first_cell_with_time_memory_and_knobs(site):
    for name in notebook_names(site):
        article = soup(site.html / "notebooks" / f"{name}.html").select_one("article")
        box = article.select_one(".portfolio-budget")
        assert box is not None, name
        first_cell = article.select_one("div.cell")
        assert first_cell is not None and box.find_all_next("div", class_="cell")[0] is first_cell
        text = box.get_text(" ", strip=True)
        assert re.search(r"\d+\.\d s and [\d,]+ MB peak memory", text), text
        assert "60 s and 1.5 GB" in text
    cms = soup(site.html / "notebooks" / "count-min-sketch.html").select_one(".portfolio-knobs")
    knobs = {
        row.find_all("td")[0].get_text(strip=True): row.find_all("td")[2].get_text(strip=True)
        for row in cms.select("tbody tr")
    }
    assert knobs["n_items"] == "distinct ids in the stream (MACH's Amazon data: 49.46M products)"


def test_provenance_footer_names_seed_packages_cpu_commit_and_date(site):
    for name in notebook_names(site):
        footer = soup(site.html / "notebooks" / f"{name}.html").select_one(
            "article .portfolio-provenance"
        )
        assert footer is not None, name
        fields = {
            dt.get_text(strip=True).rstrip(":"): dd.get_text(" ", strip=True)
            for dt, dd in zip(footer.find_all("dt"), footer.find_all("dd"), strict=True)
        }
        assert set(fields) == {"Seed", "Packages", "CPU", "Commit", "Ran"}
        assert (
            re.search(r"numpy \d+\.\d+", fields["Packages"]) and "unknown" not in fields["Packages"]
        )
        assert fields["CPU"] != "unknown" and re.search(r"[0-9a-f]{7,}", fields["Commit"])
        assert re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", fields["Ran"])
    cms = soup(site.html / "notebooks" / "count-min-sketch.html").select_one(
        ".portfolio-provenance"
    )
    assert "Seed : 0" in cms.get_text(" ", strip=True).replace("Seed: ", "Seed : ")


def test_execution_report_has_a_row_per_notebook_within_the_budget(site):
    page = soup(site.html / "notebooks" / "report.html")
    assert "60 s budget" in page.select_one("table.portfolio-report").get_text()
    rows = page.select("table.portfolio-report tbody tr")
    linked = sorted(r.find("a")["href"].removesuffix(".html") for r in rows)
    assert linked == notebook_names(site)
    for row in rows:
        cells = [td.get_text(strip=True) for td in row.find_all("td")]
        seconds = float(cells[2].removesuffix(" s"))
        assert cells[1] == "ok" and 0 < seconds <= 60
        # The share is computed from the unrounded time: within one point of the shown one.
        assert abs(int(cells[3].removesuffix("%")) - 100 * seconds / 60) <= 1, cells


# -- Gallery --------------------------------------------------------------------------------


def test_gallery_has_a_card_per_notebook_with_thumbnail_paper_and_last_run(site):
    page = site.html / "notebooks" / "index.html"
    cards = soup(page).select(".portfolio-gallery .portfolio-gallery-card")
    titles = sorted(
        card.select_one(".sd-card-title a")["href"].removesuffix(".html") for card in cards
    )
    assert titles == notebook_names(site)
    for card in cards:
        # The description is the notebook's own first paragraph, not the paper banner.
        assert "This notebook is the demo of the paper" not in card.get_text(" ", strip=True)
        img = card.select_one("img.portfolio-thumbnail")
        if img is not None:
            assert not img["src"].startswith("/"), img["src"]
            thumb = (page.parent / img["src"]).resolve()
            assert thumb.is_file() and thumb.is_relative_to(site.html.resolve()) and img["alt"]
        assert re.search(
            r"Last run \d{4}-\d{2}-\d{2} .* · \d+\.\d s · [\d,]+ MB peak",
            card.get_text(" ", strip=True),
        )
    cms = next(
        c for c in cards if c.select_one(".sd-card-title a")["href"] == "count-min-sketch.html"
    )
    assert cms.select_one("img.portfolio-thumbnail") is not None
    from pybtex.database import parse_file

    entries = parse_file(str(ROOT / "publications" / "publications.bib")).entries
    demos = {
        e.fields["demo"]: e.fields["title"].replace("{", "").replace("}", "")
        for e in entries.values()
        if "demo" in e.fields
    }
    for card in cards:
        name = card.select_one(".sd-card-title a")["href"].removesuffix(".html")
        paper = card.select_one(".portfolio-gallery-paper")
        if name in demos:
            assert paper is not None and demos[name] in paper.get_text(" ", strip=True), name
        else:
            assert paper is None, name


def test_gallery_page_keeps_the_hidden_glob_toctree():
    text = (ROOT / "notebooks" / "index.md").read_text()
    assert re.search(r"```\{toctree\}\n:hidden:\n:glob:", text) and "\n*\n```" in text


# -- Reproducibility table ------------------------------------------------------------------


def table_rows(page: Path) -> list:
    return soup(page).select("table.portfolio-claims tbody tr")


def test_reproducibility_table_has_a_row_per_claim_with_the_glued_value(site):
    claims = load_claims(ROOT / "publications" / "claims.yaml")
    page = soup(site.html / "reproducibility.html")
    rows = page.select("table.portfolio-claims tbody tr")
    assert len(rows) == len(claims)
    by_id = {row.find(id=re.compile("^claim-"))["id"].removeprefix("claim-"): row for row in rows}
    built = set(notebook_names(site))
    for claim in claims:
        # One table per paper, under a heading that the publication badges link to.
        heading = page.find(id=f"claims-{claim.paper}")
        assert heading is not None and by_id[claim.id] in heading.find_next("table").find_all("tr")
        cells = by_id[claim.id].find_all("td")
        measured = cells[2].get_text(strip=True)
        if claim.notebook not in built:
            continue
        if claim.glue is None:
            assert measured == "assert held"
            continue
        text = glue_of(site, claim.notebook)[claim.glue]["data"]["text/plain"]
        value = float(re.sub(r"^np\.\w+\((.*)\)$", r"\1", text))
        # The cell shows exactly the glued number in the entry's format: nothing typed by hand.
        assert measured.startswith(format(value, claim.format)), (claim.id, measured, value)
        assert cells[4].get_text(strip=True) == "pass"


def test_each_paper_page_shows_its_own_claim_rows(site):
    claims = load_claims(ROOT / "publications" / "claims.yaml")
    for paper in {c.paper for c in claims}:
        page = site.html / "publications" / f"{paper}.html"
        if not page.is_file():
            continue
        ids = [tr.find(id=re.compile("^claim-"))["id"] for tr in table_rows(page)]
        assert ids == [f"claim-{c.id}" for c in claims if c.paper == paper]
        assert soup(page).select_one(".portfolio-paper-claims a[href='../reproducibility.html']")


def test_publication_list_badges_link_to_the_papers_rows(site):
    claims = load_claims(ROOT / "publications" / "claims.yaml")
    page = soup(site.html / "publications" / "index.html")
    repro = soup(site.html / "reproducibility.html")
    badges = page.select(".portfolio-claims-badge")
    assert badges
    statuses = {s.get_text(strip=True) for b in badges for s in b.select(".portfolio-claim-status")}
    assert {s for s in statuses if not s.startswith("benchmark targets")} <= {
        "notebook claims hold",
        "notebook claims drifted",
        "no demo",
    }
    bench = load_benchmark_claims(ROOT / "publications" / "claims.yaml", ROOT)
    for paper in {c.paper for c in claims} | {c.paper for c, _ in bench}:
        link = page.select_one(f"a[href='../reproducibility.html#claims-{paper}']")
        assert link is not None, paper
        shown = [s.get_text(strip=True) for s in link.select(".portfolio-claim-status")]
        expected = ["notebook claims hold"] if any(c.paper == paper for c in claims) else []
        rows = [evaluate_benchmark(c, v)[0] for c, v in bench if c.paper == paper]
        if rows:
            expected.append(f"benchmark targets {rows.count('target met')} of {len(rows)} met")
        assert shown == expected, paper
        colour = "sd-bg-success" if rows.count("target met") == len(rows) else "sd-bg-warning"
        assert not rows or colour in link.select(".portfolio-claim-status")[-1]["class"]
        assert repro.find(id=f"claims-{paper}") is not None


def test_home_page_reaches_the_reproducibility_page(site):
    assert soup(site.html / "index.html").select_one("a[href='reproducibility.html']") is not None


def test_notebook_figures_have_alt_text_are_small_and_have_a_white_face(site):
    import matplotlib.image as mpimg

    for name in notebook_names(site):
        page = site.html / "notebooks" / f"{name}.html"
        for img in soup(page).select("article img"):
            assert img.get("alt", "").strip(), f"{name}: figure without alt text"
            path = (page.parent / img["src"]).resolve()
            # Small: a PNG figure of a notebook stays under 150 KB (they are 20-60 KB today).
            assert path.stat().st_size < 150_000, (
                f"{name}: {path.name} is {path.stat().st_size} bytes"
            )
            if path.suffix == ".png":
                # A white face keeps axes and labels legible when the page is dark.
                corner = mpimg.imread(path)[1, 1, :3]
                assert corner.min() > 0.95, f"{name}: {path.name} has no white face ({corner})"
