"""Every internal link, anchor and asset in the built HTML resolves.

A crawler over the output folder, independent of Sphinx's own reference checks:
it catches broken template links, missing static files and stale anchors.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.site

LINK_ATTRS = {
    "a": "href",
    "link": "href",
    "img": "src",
    "script": "src",
    "source": "src",
    "iframe": "src",
}
SKIP_SCHEMES = {"http", "https", "mailto", "tel", "data"}


def html_files(root: Path) -> list[Path]:
    # _static holds the theme's Jinja macro file (webpack-macros.html), not a page.
    return sorted(p for p in root.rglob("*.html") if not {"_sources", "_static"} & set(p.parts))


def anchors_of(path: Path, cache: dict[Path, set[str]]) -> set[str]:
    if path not in cache:
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        cache[path] = {el["id"] for el in page.find_all(id=True)} | {
            el["name"] for el in page.find_all("a", attrs={"name": True})
        }
    return cache[path]


def broken_links(root: Path) -> list[str]:
    problems: list[str] = []
    anchor_cache: dict[Path, set[str]] = {}
    for page_path in html_files(root):
        page = BeautifulSoup(page_path.read_text(encoding="utf-8"), "html.parser")
        for tag, attr in LINK_ATTRS.items():
            for el in page.find_all(tag):
                url = el.get(attr)
                if not url:
                    continue
                parts = urlsplit(url)
                if parts.scheme in SKIP_SCHEMES or url.startswith("//"):
                    continue
                if parts.scheme:
                    problems.append(f"{page_path.relative_to(root)}: unexpected scheme in {url!r}")
                    continue
                target = page_path if not parts.path else (page_path.parent / unquote(parts.path))
                target = target.resolve()
                if target.is_dir():
                    target = target / "index.html"
                if not target.exists():
                    problems.append(f"{page_path.relative_to(root)}: {url!r} -> missing file")
                    continue
                fragment = unquote(parts.fragment)
                if (
                    fragment
                    and target.suffix == ".html"
                    and fragment not in anchors_of(target, anchor_cache)
                ):
                    problems.append(f"{page_path.relative_to(root)}: {url!r} -> missing anchor")
    return problems


def test_crawler_finds_a_planted_broken_link(tmp_path):
    (tmp_path / "a.html").write_text(
        '<a href="b.html#there">ok</a><a href="b.html#nowhere">x</a><img src="missing.png">'
    )
    (tmp_path / "b.html").write_text('<h1 id="there">B</h1>')
    problems = broken_links(tmp_path)
    assert problems == [
        "a.html: 'b.html#nowhere' -> missing anchor",
        "a.html: 'missing.png' -> missing file",
    ]


def test_every_internal_link_anchor_and_asset_resolves(site):
    pages = html_files(site.html)
    assert len(pages) >= 6
    problems = broken_links(site.html)
    assert not problems, "broken internal links:\n" + "\n".join(problems[:50])
