"""The theme's stylesheet trimmed by PurgeCSS after a build (portfolio.trim).

Tiny sites on pydata-sphinx-theme, built in-process. The real PurgeCSS runs where it is
installed (``npm ci --prefix tools``); without it these tests skip locally and fail in CI.
The browser suite checks the trimmed stylesheet styles every page of the real site as the
full one does.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from test_portfolio_build import build, make_site

from portfolio.errors import PortfolioConfigError
from portfolio.trim import THEME_STYLESHEET, dynamic_attributes

ROOT = Path(__file__).resolve().parents[1]
PURGECSS = ROOT / "tools" / "node_modules" / ".bin" / "purgecss"
THEME = {"html_theme": "pydata_sphinx_theme"}


def theme_source() -> Path:
    """The theme's own copy of its stylesheet, as the package ships it (untrimmed)."""
    import pydata_sphinx_theme

    return (
        Path(pydata_sphinx_theme.__file__).parent
        / "theme"
        / "pydata_sphinx_theme"
        / "static"
        / THEME_STYLESHEET
    )


@pytest.fixture
def purgecss() -> Path:
    if not PURGECSS.is_file():
        reason = "PurgeCSS is not installed: `npm ci --prefix tools`"
        if os.environ.get("CI"):
            pytest.fail(f"the trimming tests must run in CI: {reason}")
        pytest.skip(reason)
    return PURGECSS


def _site(tmp_path: Path, purgecss: Path | str) -> Path:
    src = make_site(tmp_path)
    (src / "conf.py").write_text(
        (src / "conf.py").read_text() + f"\nportfolio_purgecss = {str(purgecss)!r}\n"
    )
    return src


def _stylesheet(src: Path) -> str:
    return (src.parent / "html" / "_static" / THEME_STYLESHEET).read_text("utf-8")


def test_the_theme_stylesheet_keeps_only_rules_the_pages_and_scripts_can_use(tmp_path, purgecss):
    src = _site(tmp_path, purgecss)
    build(src, portfolio_trim_css="always", **THEME)
    full = theme_source().read_text("utf-8")
    css = _stylesheet(src)
    assert len(css) < len(full) / 2, f"trimmed to {len(css):,} of {len(full):,} characters"
    # No page and no script names Bootstrap's carousel: its rules go.
    assert ".carousel-caption" in full and ".carousel-caption" not in css
    # Rules for the page's own markup stay, and so do the colour modes' variables.
    assert ".bd-header" in css
    assert "html[data-theme=dark]" in css and "--pst-color-background" in css
    # ``collapsing`` is in no page, only in bootstrap.js, which adds it while a menu folds.
    pages = "".join(p.read_text("utf-8") for p in (src.parent / "html").rglob("*.html"))
    assert "collapsing" not in pages and ".collapsing" in css


def test_a_rebuild_trims_from_the_themes_file_so_a_new_class_keeps_its_rules(tmp_path, purgecss):
    src = _site(tmp_path, purgecss)
    build(src, portfolio_trim_css="always", **THEME)
    assert ".carousel-caption" not in _stylesheet(src)
    page = src / "index.md"
    page.write_text(page.read_text() + '\n\n<p class="carousel-caption">A caption.</p>\n')
    build(src, fresh=False, portfolio_trim_css="always", **THEME)
    assert ".carousel-caption" in _stylesheet(src)


def test_always_without_purgecss_stops_the_build_saying_how_to_install_it(tmp_path):
    src = _site(tmp_path, "nowhere/purgecss")
    with pytest.raises(PortfolioConfigError, match=r"npm ci --prefix tools"):
        build(src, portfolio_trim_css="always", **THEME)


def test_auto_without_purgecss_leaves_the_stylesheet_whole(tmp_path):
    src = _site(tmp_path, "nowhere/purgecss")
    build(src, portfolio_trim_css="auto", **THEME)
    assert _stylesheet(src) == theme_source().read_text("utf-8")


def test_never_leaves_the_stylesheet_whole(tmp_path, purgecss):
    src = _site(tmp_path, purgecss)
    build(src, portfolio_trim_css="never", **THEME)
    assert _stylesheet(src) == theme_source().read_text("utf-8")


def test_a_failing_purgecss_stops_the_build_and_leaves_the_whole_stylesheet(tmp_path):
    broken = tmp_path / "purgecss"
    broken.write_text("#!/bin/sh\necho 'cannot parse' >&2\nexit 3\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    src = _site(tmp_path, "purgecss")
    os.replace(broken, src / "purgecss")
    with pytest.raises(PortfolioConfigError, match=r"exited 3: cannot parse"):
        build(src, portfolio_trim_css="always", **THEME)
    assert _stylesheet(src) == theme_source().read_text("utf-8")


def test_an_unknown_mode_is_refused_naming_the_option(tmp_path):
    with pytest.raises(PortfolioConfigError, match=r"portfolio_trim_css = 'sometimes'"):
        build(make_site(tmp_path), portfolio_trim_css="sometimes")


def test_attributes_the_scripts_set_are_found_in_both_spellings():
    scripts = (
        "document.documentElement.dataset.theme = mode; el.dataset.activeVersionName = v;"
        " b.setAttribute('aria-expanded', 'true'); c.setAttribute(\"role\", x);"
        " d.getAttribute('id')"
    )
    assert dynamic_attributes(scripts) == [
        "aria-expanded",
        "data-active-version-name",
        "data-theme",
        "role",
    ]
