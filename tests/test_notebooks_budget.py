"""Failure cases of the notebook extensions, on the tiny site ``tests/roots/notebooks-demo``.

Its one notebook sleeps 1.2 s, glues a ratio and asserts it; the site has a gallery, an
execution report and a claims table. It is built once (the notebook runs into a
jupyter-cache folder); the other builds reuse that cache, so they execute nothing and take
a few seconds each.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "roots" / "notebooks-demo"

pytestmark = pytest.mark.slow


def soup(page: Path) -> BeautifulSoup:
    """The page, without the column names a phone shows inside stacked table cells."""
    parsed = BeautifulSoup(page.read_text("utf8"), "html.parser")
    for label in parsed.select(".portfolio-cell-label"):
        label.decompose()
    return parsed


def table_rows(page: Path) -> list:
    return soup(page).select("table.portfolio-claims tbody tr")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny site built once (its notebook executed into a cache the other builds reuse)."""
    root = tmp_path_factory.mktemp("tiny") / "site"
    shutil.copytree(TINY, root)
    proc = build_tiny(root)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    return root


def build_tiny(root: Path, *extra: str, strict: bool = True) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        *(["-W", "-n", "--keep-going"] if strict else []),
        *extra,
        str(root),
        str(root / "_build" / "html"),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_tiny_site_table_reads_the_glued_value(tiny):
    row = table_rows(tiny / "_build" / "html" / "reproducibility.html")[0]
    cells = [td.get_text(" ", strip=True) for td in row.find_all("td")]
    assert (
        cells[1].startswith("3 ×")
        and cells[2] == "2.50 × (measured)"
        and cells[3] == "≥ 2.00"
        and cells[4] == "pass"
    )


def test_notebook_over_its_time_budget_fails_the_build_naming_it(tiny):
    proc = build_tiny(tiny, "-D", "portfolio_budget_seconds=1", strict=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert re.search(
        r"notebook notebooks/demo\.md is over its budget: it ran \d+\.\d s, budget 1 s", log
    ), log[-2000:]


def test_notebook_over_its_memory_budget_fails_the_build_naming_it(tiny):
    proc = build_tiny(tiny, "-D", "portfolio_budget_memory_mb=10")
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert re.search(
        r"notebooks/demo\.md is over its budget: its peak memory was [\d,]+ MB, budget 10 MB", log
    )


def test_claim_row_with_a_typed_measured_value_fails_the_build(tiny):
    proc = build_tiny(tiny, "-D", "portfolio_claims_file=claims-typed.yaml", strict=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert (
        "claims-typed.yaml:2: claim 'demo-ratio', field '(entry)': "
        "field 'measured' types a measured value" in log
    )


def test_claim_naming_a_value_the_notebook_never_glued_fails_the_strict_build(tiny):
    bad = (tiny / "claims.yaml").read_text().replace("glue: demo_ratio", "glue: demo_typo")
    (tiny / "claims-typo.yaml").write_text(bad)
    proc = build_tiny(tiny, "-D", "portfolio_claims_file=claims-typo.yaml")
    assert proc.returncode != 0
    assert (
        "claim 'demo-ratio', field 'glue': notebook notebooks/demo.md glued no value 'demo_typo'"
        in proc.stderr
    )


def test_tiny_site_discovers_its_notebook_for_gallery_report_and_buttons(tiny):
    html = tiny / "_build" / "html"
    gallery = soup(html / "notebooks" / "index.html")
    titles = [
        a.get_text(strip=True) for a in gallery.select(".portfolio-gallery-card .sd-card-title a")
    ]
    assert titles == ["A demo that sleeps"]
    report = soup(html / "notebooks" / "report.html")
    (row,) = report.select("table.portfolio-report tbody tr")
    assert (
        row.find("a")["href"] == "demo.html" and row.find_all("td")[1].get_text(strip=True) == "ok"
    )
    page = soup(html / "notebooks" / "demo.html")
    links = {a.get_text(strip=True): a["href"] for a in page.select(".portfolio-launch a")}
    assert links["Launch in Binder"].startswith(
        "https://mybinder.org/v2/gh/example/tiny-site/main?"
    )
    assert (
        links["Download .ipynb"] == "demo.ipynb" and (html / "notebooks" / "demo.ipynb").is_file()
    )
    knobs = [td.get_text(strip=True) for td in page.select(".portfolio-knobs tbody td")]
    assert knobs == ["pause", "1.2", "seconds asleep (paper: no sleeping at all)", "seed", "7", "–"]
    footer = page.select_one(".portfolio-provenance").get_text(" ", strip=True)
    assert "Seed : 7" in footer.replace("Seed: ", "Seed : ")
