"""The built site as a browser shows it: accessibility, errors, phones, keyboard, weight.

Every page of the strictly built site (the session fixture ``site`` of ``conftest.py``) is
served over HTTP on loopback with gzip, as Read the Docs serves it, and opened in Debian's
Chromium driven by Playwright. On each page, in light and in dark mode, nothing may be
logged as a console error, no request may fail or leave the machine, and axe-core (the
engine pydata-sphinx-theme's own accessibility suite runs) may report no violation at
all: executed notebook outputs included, and no rule is filtered.

Screenshots of the home page, a paper page and a notebook page, in both modes, are
written to ``_build/screenshots/`` for a reviewer; a summary of every check (axe results
per page and mode, page weights) goes to ``_build/screenshots/browser-report.json``.

Without a browser these tests skip, saying how to enable them; with ``CI`` set, a
missing browser (or missing Playwright / axe-core) fails them instead.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field

import pytest
from browser_support import (
    CHROMIUM_ARGS,
    HOW_TO_ENABLE,
    NODE_DIR,
    ROOT,
    SiteServer,
    axe_source,
    find_chromium,
    site_pages,
)
from browser_support import key_pages as choose_key_pages
from test_trim import theme_source

pytestmark = pytest.mark.browser

MODES = ("light", "dark")
SCREENSHOTS = ROOT / "_build" / "screenshots"
REPORT = SCREENSHOTS / "browser-report.json"
#: First-load budget for the home page and a paper page, all requests together, in bytes
#: on the wire (gzip). "300 KB" read as 300,000 bytes, the stricter reading.
PAGE_WEIGHT_BUDGET = 300_000
DESKTOP = {"width": 1280, "height": 800}
#: A small phone (iPhone SE / mini width) in CSS pixels.
PHONE = {"width": 375, "height": 740}
#: The smallest chart text a phone reader should have to read, in CSS pixels.
MIN_CHART_TEXT_PX = 11
#: A table cell whose text wraps must be at least this wide (or as wide as its text on one
#: line): narrower, a row grows a word per line, taller than its content needs.
MIN_WRAPPING_CELL_PX = 160
#: The charts are SVG images: a function, for the scripts below, that fetches and parses
#: the file of each visible one, returning [image, SVG root] pairs.
_VISIBLE_DRAWINGS = """
async function visibleDrawings() {
    const found = [];
    for (const img of document.querySelectorAll('.portfolio-bench-svg img')) {
        if (!img.checkVisibility()) continue;
        const text = await (await fetch(img.src)).text();
        found.push([img, new DOMParser().parseFromString(text, 'image/svg+xml').documentElement]);
    }
    return found;
}
"""
#: Every visible chart's text: its rendered size in CSS pixels (font size in the SVG's user
#: units times the image's rendered width over its viewBox width), and which chart it is in.
CHART_TEXT_SIZES = (
    "async () => {"
    + _VISIBLE_DRAWINGS
    + """
    return (await visibleDrawings()).flatMap(([img, svg]) => {
        const scale = img.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        return [...svg.querySelectorAll('text')].map(t => {
            const size = /font-size:\\s*([\\d.]+)px/.exec(t.getAttribute('style') || '');
            return {
                figure: img.closest('figure').id,
                text: t.textContent.trim(),
                px: (size ? parseFloat(size[1]) : NaN) * scale,
            };
        });
    });
}"""
)
#: Every visible chart's colours: the page behind it, its box, and, from its SVG file,
#: the face (matplotlib's background patch, the first path) and the text's fill.
CHART_COLOURS = (
    "async () => {"
    + _VISIBLE_DRAWINGS
    + """
    const fill = el => (/fill:\\s*([^;]+)/.exec(el.getAttribute('style') || '') || [])[1];
    return (await visibleDrawings()).map(([img, svg]) => ({
        figure: img.closest('figure').id,
        src: img.getAttribute('src'),
        page: getComputedStyle(document.body).backgroundColor,
        box: getComputedStyle(img.parentElement).backgroundColor,
        face: fill(svg.querySelector('path')) || 'none',
        text: fill(svg.querySelector('text')) || 'black',
        filter: getComputedStyle(img).filter,
    }));
}"""
)
#: Every visible table cell in the page's content: its width, the width its content would
#: take on one line (measured on an invisible copy), and its row's height.
TABLE_CELLS = """() => [...document.querySelectorAll('main table td')]
    .filter(td => td.checkVisibility() && td.textContent.trim())
    .map(td => {
        const copy = document.createElement('div');
        copy.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap;'
            + 'width:max-content;left:0;top:0';
        copy.innerHTML = td.innerHTML;
        td.appendChild(copy);
        const oneLine = copy.getBoundingClientRect().width;
        copy.remove();
        const style = getComputedStyle(td);
        const width = td.clientWidth - parseFloat(style.paddingLeft)
            - parseFloat(style.paddingRight);
        const table = td.closest('table');
        return {
            table: (table.className || '').split(' ').slice(0, 3).join('.'),
            text: td.textContent.trim().slice(0, 40), width, oneLine,
            row: td.parentElement.getBoundingClientRect().height,
        };
    })"""
#: axe-core with all its default rules (WCAG 2.0-2.2 A and AA, best practices); none off.
AXE_RUN = "async () => await axe.run(document, {resultTypes: ['violations']})"
#: Images load lazily (_templates/page.html); fetch them all now, so that a broken image
#: shows up as a failed request and the screenshots show every figure.
LOAD_ALL_IMAGES = """async () => {
    const images = [...document.images];
    images.forEach(img => { img.loading = 'eager'; });
    await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
        img.addEventListener('load', done);
        img.addEventListener('error', done);
        setTimeout(done, 10000);
    })));
}"""


def _unavailable(reason: str):
    """Skip locally; fail in CI, where the browser tests must run."""
    if os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


# -- Session fixtures: one browser, one server ----------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        _unavailable(HOW_TO_ENABLE)
    return path


@pytest.fixture(scope="session")
def axe_js() -> str:
    try:
        return axe_source()
    except FileNotFoundError as exc:
        _unavailable(str(exc))


@pytest.fixture(scope="session")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed: `pip install -r requirements-test.txt`")
    with sync_playwright() as pw:
        # Debian's Chromium, never a browser downloaded by Playwright.
        browser = pw.chromium.launch(executable_path=chromium_path, args=list(CHROMIUM_ARGS))
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def server(site):
    with SiteServer(site.html) as srv:
        yield srv


@pytest.fixture(scope="session")
def pages(site) -> list[str]:
    found = site_pages(site.html)
    assert "index.html" in found, f"no index.html in the built site {site.html}"
    return found


@pytest.fixture(scope="session")
def key_pages(pages) -> dict[str, str]:
    """The pages a reviewer looks at: home, one paper page, one notebook page."""
    return choose_key_pages(pages)


@pytest.fixture(scope="session")
def report():
    """Findings collected across the session, written out for the reviewer at the end."""
    data: dict = {"axe": {}, "page_weight": {}, "phone": {}}
    yield data
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# -- Visiting every page once per mode -------------------------------------------------------


@dataclass
class PageVisit:
    """What one page did in one mode."""

    page: str
    mode: str
    theme: str = ""
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    offsite_requests: list[str] = field(default_factory=list)
    violations: list[dict] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)


def _watch(pg, origin: str, current: dict) -> None:
    """Route a page's console, errors and requests into ``current['visit']``."""

    def visit() -> PageVisit:
        return current["visit"]

    def on_console(msg):
        if msg.type == "error":
            loc = msg.location or {}
            visit().console_errors.append(f"{msg.text} ({loc.get('url', '')})")

    def on_request(req):
        if not req.url.startswith((origin, "data:", "blob:")):
            visit().offsite_requests.append(req.url)

    def on_response(resp):
        if resp.status >= 400:
            visit().failed_requests.append(f"HTTP {resp.status} {resp.url}")

    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: visit().console_errors.append(f"uncaught: {exc}"))
    pg.on("request", on_request)
    pg.on("requestfailed", lambda req: visit().failed_requests.append(f"{req.failure} {req.url}"))
    pg.on("response", on_response)


def _axe_summary(result: dict) -> list[dict]:
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "elements": [" ".join(map(str, n["target"])) for n in v["nodes"]][:5],
            "count": len(v["nodes"]),
        }
        for v in result["violations"]
    ]


@pytest.fixture(scope="session")
def visits(browser, server, pages, key_pages, axe_js, report) -> dict[str, dict[str, PageVisit]]:
    """Every page, opened in light and in dark mode, audited once per mode.

    The mode is the reader's system setting (``prefers-color-scheme``), which the theme
    follows by default; the theme's resolved mode is recorded and checked. One tab per
    mode visits the pages in turn; the three key pages are photographed on the way.
    """
    screenshots = {page: name for name, page in key_pages.items()}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    found: dict[str, dict[str, PageVisit]] = {}
    for mode in MODES:
        context = browser.new_context(color_scheme=mode, viewport=DESKTOP)
        # Each page as a first visit (a reader arriving from a search engine): nothing
        # remembered from the pages before.
        context.add_init_script("window.localStorage.clear()")
        pg = context.new_page()
        current: dict = {}
        _watch(pg, server.url, current)
        found[mode] = {}
        for page in pages:
            current["visit"] = visit = PageVisit(page, mode)
            pg.goto(server.url + page, wait_until="load")
            pg.evaluate(LOAD_ALL_IMAGES)
            visit.theme = pg.evaluate("document.documentElement.dataset.theme")
            visit.charts = pg.evaluate(CHART_COLOURS)
            pg.add_script_tag(content=axe_js)
            result = pg.evaluate(AXE_RUN)
            visit.violations = _axe_summary(result)
            visit.incomplete = sorted({r["id"] for r in result["incomplete"]})
            if page in screenshots:
                shot = SCREENSHOTS / f"{screenshots[page]}-{mode}.png"
                pg.screenshot(path=str(shot), full_page=True)
            found[mode][page] = visit
            report["axe"][f"{page} [{mode}]"] = visit.violations or "no violations"
        context.close()
    return found


@pytest.mark.parametrize("mode", MODES)
def test_every_page_renders_in_the_readers_colour_mode(visits, mode, subtests):
    for page, visit in visits[mode].items():
        with subtests.test(page=page, mode=visit.mode):
            assert visit.theme == visit.mode, (
                f"{page}: reader prefers {visit.mode}, theme resolved to {visit.theme!r}"
            )


@pytest.mark.parametrize("mode", MODES)
def test_no_page_logs_a_console_error(visits, mode, subtests):
    for page, visit in visits[mode].items():
        with subtests.test(page=page, mode=visit.mode):
            assert not visit.console_errors, f"{page} [{visit.mode}]: {visit.console_errors}"


@pytest.mark.parametrize("mode", MODES)
def test_no_page_has_a_failed_request(visits, mode, subtests):
    for page, visit in visits[mode].items():
        with subtests.test(page=page, mode=visit.mode):
            assert not visit.failed_requests, f"{page} [{visit.mode}]: {visit.failed_requests}"


@pytest.mark.parametrize("mode", MODES)
def test_no_page_requests_anything_from_another_host(visits, mode, subtests):
    # No trackers, web fonts or CDNs: a reader's browser talks to this site only.
    for page, visit in visits[mode].items():
        with subtests.test(page=page, mode=visit.mode):
            assert not visit.offsite_requests, f"{page} [{visit.mode}]: {visit.offsite_requests}"


@pytest.mark.parametrize("mode", MODES)
def test_axe_core_finds_no_violation_on_any_page(visits, mode, subtests):
    for page, visit in visits[mode].items():
        with subtests.test(page=page, mode=visit.mode):
            assert not visit.violations, (
                f"{page} [{visit.mode}]: axe-core violations:\n"
                + json.dumps(visit.violations, indent=1)
            )


def _rgba(css: str) -> tuple[float, float, float, float]:
    """Parse a colour: ``rgb(r, g, b)``, ``rgba(r, g, b, a)``, ``#rrggbb`` or ``none``."""
    css = css.strip()
    if css == "none":
        return 0.0, 0.0, 0.0, 0.0
    if re.fullmatch(r"#[0-9a-fA-F]{6}", css):
        return (*(float(int(css[i : i + 2], 16)) for i in (1, 3, 5)), 1.0)
    values = [float(v) for v in re.findall(r"[\d.]+", css)]
    assert len(values) in (3, 4), f"not a computed colour: {css!r}"
    r, g, b = values[:3]
    return r, g, b, values[3] if len(values) == 4 else 1.0


def _luminance(css: str) -> float:
    """WCAG relative luminance of an opaque colour."""

    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b, _ = _rgba(css)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("mode", MODES)
def test_charts_take_the_colours_of_the_readers_mode(visits, mode, subtests):
    charted = {p: v.charts for p, v in visits[mode].items() if v.charts}
    assert charted, "no chart found on any page"
    for page, charts in charted.items():
        for chart in charts:
            with subtests.test(page=page, figure=chart["figure"]):
                # What shows behind the text: the chart's face if it paints one, else the
                # page (a transparent face lets the page's colour through).
                face = chart["face"] if _rgba(chart["face"])[3] > 0 else chart["page"]
                if mode == "dark":
                    # No bright slab on a dark page, and the theme does not dim the chart.
                    assert _luminance(face) < 0.1, f"{page}: chart face {face} in dark mode"
                    assert _rgba(chart["box"])[3] == 0 or _luminance(chart["box"]) < 0.1
                    assert chart["filter"] == "none", f"{page}: {chart['src']} is filtered"
                # The drawing shown is the one made for this mode.
                assert chart["src"].endswith(f"-{mode}.svg"), chart["src"]
                contrast = _contrast(chart["text"], face)
                assert contrast >= 4.5, (
                    f"{page} [{mode}]: chart text {chart['text']} on {face}: {contrast:.1f}:1"
                )


def test_screenshots_show_each_key_page_in_both_modes(visits, key_pages):
    from matplotlib.image import imread

    for name, page in key_pages.items():
        light, dark = (SCREENSHOTS / f"{name}-{mode}.png" for mode in MODES)
        assert light.is_file() and dark.is_file(), f"missing screenshot of {page}"
        lum_light, lum_dark = (imread(path)[..., :3].mean() for path in (light, dark))
        # Dark mode must look dark: the theme's dark background is near black, the light
        # one white; a page whose mode switch failed would have equal luminance.
        assert lum_dark < 0.5 < lum_light, (
            f"{page}: mean luminance light={lum_light:.2f}, dark={lum_dark:.2f}"
        )


# -- Phones -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def phone(browser):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def phone_visits(phone, server, pages, axe_js, report) -> dict[str, dict]:
    """Every page on a 375 px phone: how wide it lays out, what sticks out, what axe finds.

    The theme folds its header into a menu and hides labels at this width, so the
    accessibility check runs here too, not only at desktop width.
    """
    found = {}
    for page in pages:
        phone.goto(server.url + page, wait_until="load")
        width = phone.evaluate(
            "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        )
        # The outermost elements that stick out past the right edge (for the message).
        wide = phone.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
                    && !(el.parentElement && el.parentElement.getBoundingClientRect().right
                         > window.innerWidth + 1))
                .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                    + (typeof el.className === 'string' && el.className.trim()
                        ? '.' + el.className.trim().split(/\\s+/).join('.') : ''))"""
        )
        charts = phone.evaluate(CHART_TEXT_SIZES)
        cells = phone.evaluate(TABLE_CELLS)
        phone.add_script_tag(content=axe_js)
        result = phone.evaluate(AXE_RUN)
        found[page] = {
            "width": width,
            "wide": wide,
            "violations": _axe_summary(result),
            "chart_text": charts,
            "cells": cells,
        }
        report["phone"][page] = {
            "scroll_width": width,
            "smallest_chart_text_px": min((c["px"] for c in charts), default=None),
            "tallest_table_row_px": max((c["row"] for c in cells), default=None),
            "axe": found[page]["violations"] or "no violations",
        }
    return found


def test_no_page_scrolls_sideways_on_a_375px_phone(phone_visits, subtests):
    for page, visit in phone_visits.items():
        with subtests.test(page=page):
            assert visit["width"] <= PHONE["width"], (
                f"{page}: page is {visit['width']}px wide on a {PHONE['width']}px phone; "
                f"elements past the edge: {visit['wide']}"
            )


def test_chart_text_is_readable_on_a_375px_phone(phone_visits, subtests):
    pages = {p: v["chart_text"] for p, v in phone_visits.items() if v["chart_text"]}
    # The paper pages with benchmark results have charts; a run that found none measured
    # nothing.
    assert any(p.startswith("publications/") for p in pages), "no chart found on any page"
    for page, texts in pages.items():
        with subtests.test(page=page):
            small = [t for t in texts if t["px"] < MIN_CHART_TEXT_PX]
            assert not small, (
                f"{page}: {len(small)} of {len(texts)} chart labels render under "
                f"{MIN_CHART_TEXT_PX}px on a {PHONE['width']}px phone, e.g. "
                + ", ".join(f"{t['text']!r} {t['px']:.1f}px in #{t['figure']}" for t in small[:4])
            )


def test_no_table_cell_is_squeezed_on_a_375px_phone(phone_visits, subtests):
    # A cell whose text wraps gets at least MIN_WRAPPING_CELL_PX of width: a wide table
    # scrolls in its own box, a table of prose stacks its cells, and no row grows a word per
    # line (before this check, the claims tables had rows 1,000 px tall).
    assert any(v["cells"] for v in phone_visits.values()), "no table cell found on any page"
    for page, visit in phone_visits.items():
        with subtests.test(page=page):
            squeezed = [
                c
                for c in visit["cells"]
                if c["width"] + 1 < min(c["oneLine"], MIN_WRAPPING_CELL_PX)
            ]
            assert not squeezed, f"{page}: cells squeezed on a phone: " + "; ".join(
                f"{c['text']!r} in {c['table']}: {c['width']:.0f}px wide, needs "
                f"{min(c['oneLine'], MIN_WRAPPING_CELL_PX):.0f}, row {c['row']:.0f}px tall"
                for c in squeezed[:4]
            )


def test_axe_core_finds_no_violation_on_a_375px_phone(phone_visits, subtests):
    for page, visit in phone_visits.items():
        with subtests.test(page=page):
            assert not visit["violations"], f"{page} [phone]: axe-core violations:\n" + json.dumps(
                visit["violations"], indent=1
            )


def test_navigation_is_reachable_on_a_phone(phone, server, browser):
    # The header's section links, as a desktop reader sees them.
    desktop = browser.new_context(viewport=DESKTOP)
    dpage = desktop.new_page()
    dpage.goto(server.url + "index.html")
    sections = dpage.eval_on_selector_all(
        ".bd-header .navbar-header-items .bd-navbar-elements a.nav-link",
        "els => els.map(a => a.getAttribute('href'))",
    )
    desktop.close()
    assert sections, "the desktop header shows no section links"

    phone.goto(server.url + "index.html", wait_until="load")
    header_links = phone.locator(".bd-header .navbar-header-items .bd-navbar-elements a.nav-link")
    assert not any(link.is_visible() for link in header_links.all()), (
        "expected the phone layout to fold the section links into the menu"
    )
    toggle = phone.get_by_role("button", name="Site navigation")
    assert toggle.is_visible(), "no visible 'Site navigation' menu button on a phone"
    toggle.tap()
    drawer = phone.locator("#pst-primary-sidebar-modal")
    drawer.wait_for(state="visible")
    from playwright.sync_api import expect

    for href in sections:
        link = drawer.locator(f'.bd-navbar-elements a.nav-link[href="{href}"]')
        # Wholly on screen once the drawer has slid in (retried until its animation ends).
        expect(link, f"section link {href} not on screen in the phone menu").to_be_in_viewport(
            ratio=1.0, timeout=5_000
        )
    drawer.locator(f'a.nav-link[href="{sections[0]}"]').tap()
    phone.wait_for_url(re.compile(re.escape(sections[0]) + "$"))


# -- Keyboard only ------------------------------------------------------------------------------


@pytest.fixture
def keyboard_page(browser, server):
    context = browser.new_context(viewport=DESKTOP, color_scheme="light")
    pg = context.new_page()
    pg.goto(server.url + "index.html", wait_until="load")
    yield pg
    context.close()


def _tab_to(pg, predicate: str, limit: int = 40) -> list[str]:
    """Press Tab until ``predicate(document.activeElement)`` holds; return what got focus.

    Fails when the element is not reached within ``limit`` presses, or when an element
    takes focus without a visible focus indicator.
    """
    seen = []
    for _ in range(limit):
        pg.keyboard.press("Tab")
        info = pg.evaluate(
            """() => { const el = document.activeElement;
                return {label: (el.getAttribute('aria-label') || el.textContent || '').trim()
                            .replace(/\\s+/g, ' ').slice(0, 40),
                        tag: el.tagName.toLowerCase(),
                        visible: el.matches(':focus-visible')}; }"""
        )
        seen.append(f"{info['tag']} {info['label']!r}")
        assert info["visible"], f"focus on {seen[-1]} has no visible focus indicator"
        if pg.evaluate(f"({predicate})(document.activeElement)"):
            return seen
    pytest.fail(f"not reached with {limit} Tab presses; focus went through: {seen}")


def test_skip_link_is_the_first_tab_stop_and_jumps_to_the_content(keyboard_page):
    pg = keyboard_page
    seen = _tab_to(pg, "el => el.closest('#pst-skip-link') !== null", limit=1)
    assert "Skip to main content" in seen[0]
    pg.keyboard.press("Enter")
    assert pg.evaluate("location.hash") == "#main-content"


def test_main_navigation_works_with_the_keyboard_alone(keyboard_page, server):
    pg = keyboard_page
    sections = pg.eval_on_selector_all(
        ".bd-header .navbar-header-items .bd-navbar-elements a.nav-link",
        "els => els.map(a => a.getAttribute('href'))",
    )
    for href in sections:
        _tab_to(pg, f"el => el.getAttribute('href') === {json.dumps(href)}")
    target = sections[-1]
    pg.keyboard.press("Enter")
    pg.wait_for_url(server.url + target)


def test_theme_switcher_works_with_the_keyboard_alone(keyboard_page):
    pg = keyboard_page
    assert pg.evaluate("document.documentElement.dataset.theme") == "light"
    _tab_to(pg, "el => el.classList.contains('theme-switch-button')")
    pg.keyboard.press("Enter")
    menu = pg.locator(".navbar-header-items .theme-switch-container .dropdown-menu")
    menu.wait_for(state="visible")
    # Arrow keys move through the menu (Bootstrap's dropdown); stop on "Dark".
    for _ in range(5):
        pg.keyboard.press("ArrowDown")
        if pg.evaluate("document.activeElement.dataset.mode") == "dark":
            break
    assert pg.evaluate("document.activeElement.dataset.mode") == "dark", "no 'Dark' menu item"
    pg.keyboard.press("Enter")
    assert pg.evaluate("document.documentElement.dataset.theme") == "dark"
    assert pg.evaluate("localStorage.getItem('mode')") == "dark", "choice is not remembered"


def test_search_works_with_the_keyboard_alone(keyboard_page, server):
    pg = keyboard_page
    _tab_to(pg, "el => el.classList.contains('search-button__button')")
    pg.keyboard.press("Enter")
    field = pg.locator("#pst-search-dialog input[name=q]")
    field.wait_for(state="visible")
    assert pg.evaluate("document.activeElement.name") == "q", "search field does not get focus"
    pg.keyboard.type("hashing")
    pg.keyboard.press("Enter")
    pg.wait_for_url(re.compile(r"search\.html\?q=hashing"))
    results = pg.locator("#search-results li a")
    results.first.wait_for(state="attached", timeout=15_000)
    assert results.count() >= 1, "no search results for 'hashing'"
    first = results.first.get_attribute("href")
    _tab_to(pg, f"el => el.getAttribute('href') === {json.dumps(first)}", limit=60)
    pg.keyboard.press("Enter")
    pg.wait_for_url(re.compile(re.escape(first.split("?")[0].split("#")[0])))


def test_ctrl_k_opens_search_from_anywhere(keyboard_page):
    pg = keyboard_page
    pg.keyboard.press("Control+k")
    pg.locator("#pst-search-dialog input[name=q]").wait_for(state="visible")
    assert pg.evaluate("document.activeElement.name") == "q"
    pg.keyboard.press("Escape")
    pg.locator("#pst-search-dialog").wait_for(state="hidden")


# -- Page weight ------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("which", ["home", "paper"])
def test_first_load_stays_within_the_page_weight_budget(
    browser, server, key_pages, report, which, viewport
):
    page = key_pages[which]
    # A fresh context: empty cache, as on a first visit.
    context = browser.new_context(viewport=DESKTOP if viewport == "desktop" else PHONE)
    pg = context.new_page()
    offsite = []
    pg.on("request", lambda r: None if r.url.startswith(server.url) else offsite.append(r.url))
    server.clear()
    pg.goto(server.url + page, wait_until="networkidle")
    context.close()
    sent = list(server.log)
    total = sum(s.total for s in sent)
    heaviest = sorted(sent, key=lambda s: -s.total)[:5]
    report["page_weight"][f"{page} [{viewport}]"] = {
        "bytes": total,
        "requests": len(sent),
        "heaviest": {s.path: s.total for s in heaviest},
    }
    assert not offsite, f"{page}: third-party requests {offsite}"
    assert all(s.gzip for s in sent if s.path.endswith((".html", ".css", ".js"))), (
        "text was served uncompressed: the measurement would not be Read the Docs' weight"
    )
    assert total <= PAGE_WEIGHT_BUDGET, (
        f"{page} [{viewport}]: first load transfers {total:,} bytes in {len(sent)} requests, "
        f"budget {PAGE_WEIGHT_BUDGET:,}; heaviest: "
        + ", ".join(f"{s.path} {s.total:,}" for s in heaviest)
    )


# -- The helpers themselves -------------------------------------------------------------------


def test_server_gzips_text_and_sends_images_as_they_are(tmp_path):
    import gzip
    import urllib.error
    import urllib.request

    (tmp_path / "page.html").write_text("<p>" + "hashing " * 500 + "</p>", encoding="utf-8")
    (tmp_path / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(300))
    with SiteServer(tmp_path) as srv:
        req = urllib.request.Request(srv.url + "page.html", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req) as resp:
            assert resp.headers["Content-Encoding"] == "gzip"
            body = resp.read()
        assert gzip.decompress(body).startswith(b"<p>hashing")
        req = urllib.request.Request(srv.url + "pic.png", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req) as resp:
            assert resp.headers.get("Content-Encoding") is None
            assert len(resp.read()) == 308
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(srv.url + "missing.html")
    sizes = {s.path: s for s in srv.log}
    # 500 repeats of one word compress at least tenfold.
    assert sizes["/page.html"].body_bytes == len(body) < 4000 / 10
    assert sizes["/pic.png"].body_bytes == 308 and not sizes["/pic.png"].gzip
    assert sizes["/missing.html"].status == 404


def test_chromium_is_found_through_the_environment_variable(tmp_path, monkeypatch):
    fake = tmp_path / "my-chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PORTFOLIO_CHROMIUM", str(fake))
    assert find_chromium() == str(fake)
    monkeypatch.setenv("PORTFOLIO_CHROMIUM", str(tmp_path / "absent"))
    assert find_chromium() is None


def test_missing_browser_message_says_how_to_enable_it():
    assert "PORTFOLIO_CHROMIUM" in HOW_TO_ENABLE and "apt-get install chromium" in HOW_TO_ENABLE


def test_key_pages_fall_back_to_the_publication_list_until_paper_pages_exist():
    pages = ["index.html", "notebooks/index.html", "notebooks/mach.html", "publications/index.html"]
    assert choose_key_pages(pages)["paper"] == "publications/index.html"
    pages.append("publications/medini2019extreme.html")
    assert choose_key_pages(pages) == {
        "home": "index.html",
        "paper": "publications/medini2019extreme.html",
        "notebook": "notebooks/mach.html",
    }
    with pytest.raises(ValueError, match="no notebook page"):
        choose_key_pages(["index.html", "notebooks/index.html"])


def test_site_pages_lists_pages_but_not_theme_assets(tmp_path):
    for rel in ("index.html", "notebooks/a.html", "_static/webpack-macros.html", "_images/x.html"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("<html></html>")
    assert site_pages(tmp_path) == ["index.html", "notebooks/a.html"]


def test_axe_core_is_pinned_to_the_installed_version():
    pinned = json.loads((NODE_DIR / "package.json").read_text())["devDependencies"]["axe-core"]
    installed = NODE_DIR / "node_modules" / "axe-core" / "package.json"
    if not installed.is_file():
        _unavailable(f"axe-core not installed: run `npm ci --prefix {NODE_DIR.relative_to(ROOT)}`")
    assert json.loads(installed.read_text())["version"] == pinned
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), f"axe-core must be pinned exactly: {pinned}"


# -- The trimmed theme stylesheet -------------------------------------------------------------

THEME_CSS_URL = re.compile(r".*/_static/styles/pydata-sphinx-theme\.css(\?.*)?$")


def _styled(browser, server, full: bool, **context_args):
    """A tab whose theme stylesheet is the site's (trimmed) one, or the theme's whole one."""
    context = browser.new_context(reduced_motion="reduce", **context_args)
    context.add_init_script("window.localStorage.clear()")
    if full:
        source = theme_source()
        context.route(
            THEME_CSS_URL,
            lambda route: route.fulfill(path=str(source), content_type="text/css"),
        )
    return context, context.new_page()


def _settle(pg, url: str, action=None) -> None:
    pg.goto(url, wait_until="load")
    pg.evaluate(LOAD_ALL_IMAGES)
    if action is not None:
        action(pg)
    # Web fonts loaded and two frames drawn: nothing left to restyle.
    pg.evaluate(
        "async () => { await document.fonts.ready; for (let i = 0; i < 2; i++)"
        " await new Promise(r => requestAnimationFrame(r)); }"
    )


def _pixel_difference(trimmed_pg, full_pg, name: str, reload) -> str | None:
    """Compare full-page screenshots; on a difference, save both and say where it is.

    A difference must show in two pairs of screenshots of two independent loads (``reload``
    loads both pages again): in full runs of the suite under load, 7 or 8 pixels at the
    edge of the round search button have differed by 2 levels of 255 between two loads of
    the same page (rasterisation), where a difference of style shows on every load.
    """
    from io import BytesIO

    from PIL import Image, ImageChops

    for attempt in range(2):
        if attempt:
            reload()
        shots = [
            pg.screenshot(full_page=True, animations="disabled") for pg in (trimmed_pg, full_pg)
        ]
        a, b = (Image.open(BytesIO(shot)).convert("RGB") for shot in shots)
        if a.size != b.size:
            box = f"the page is {a.size} px with the trimmed stylesheet, {b.size} px with the whole"
            continue
        box = ImageChops.difference(a, b).getbbox()
        if box is None:
            return None
        box = f"pixels differ inside {box} (left, top, right, bottom)"
    folder = SCREENSHOTS / "trimmed-stylesheet"
    folder.mkdir(parents=True, exist_ok=True)
    a.save(folder / f"{name}-trimmed.png")
    b.save(folder / f"{name}-full.png")
    return f"{box}; both screenshots in {folder}"


def _open_search(pg) -> None:
    pg.keyboard.press("Control+k")
    pg.locator("#pst-search-dialog input[name=q]").wait_for(state="visible")


def _open_phone_menu(pg) -> None:
    pg.get_by_role("button", name="Site navigation").tap()
    pg.locator("#pst-primary-sidebar-modal").wait_for(state="visible")


def test_the_site_serves_the_trimmed_theme_stylesheet(site):
    served = (site.html / "_static" / "styles" / "pydata-sphinx-theme.css").stat().st_size
    whole = theme_source().stat().st_size
    if served == whole and not (ROOT / "tools" / "node_modules" / ".bin" / "purgecss").is_file():
        _unavailable("PurgeCSS is not installed: `npm ci --prefix tools`")
    assert served < whole / 2, f"the theme's stylesheet is {served:,} bytes of {whole:,}"


def test_the_trimmed_theme_stylesheet_styles_every_page_as_the_full_one(
    browser, server, pages, key_pages, subtests
):
    """Each page looks the same, pixel for pixel, with the trimmed and the whole stylesheet.

    Every page on a desktop in light mode; the key pages also in dark mode and on a
    375 px phone; states the theme's scripts create: the search dialog and the phone menu.
    """
    cases = [(page, "light", DESKTOP, None) for page in pages if page != "search.html"]
    cases += [(page, "dark", DESKTOP, None) for page in key_pages.values()]
    cases += [(page, "light", PHONE, None) for page in key_pages.values()]
    cases += [(page, "dark", PHONE, None) for page in key_pages.values()]
    cases += [(key_pages["home"], "dark", DESKTOP, _open_search)]
    cases += [(key_pages["paper"], "light", PHONE, _open_phone_menu)]
    tabs = {}
    try:
        for page, mode, viewport, action in cases:
            key = (mode, viewport["width"])
            if key not in tabs:
                extra = {"is_mobile": True, "has_touch": True} if viewport is PHONE else {}
                tabs[key] = [
                    _styled(browser, server, full, color_scheme=mode, viewport=viewport, **extra)
                    for full in (False, True)
                ]
            (_, trimmed_pg), (_, full_pg) = tabs[key]
            state = action.__name__.strip("_") if action else "as loaded"
            with subtests.test(page=page, mode=mode, width=viewport["width"], state=state):
                for pg in (trimmed_pg, full_pg):
                    _settle(pg, server.url + page, action)
                name = f"{page.replace('/', '-')[:-5]}-{mode}-{viewport['width']}-{state}"
                difference = _pixel_difference(
                    trimmed_pg,
                    full_pg,
                    name.replace(" ", "-"),
                    lambda page=page, action=action, pgs=(trimmed_pg, full_pg): [
                        _settle(pg, server.url + page, action) for pg in pgs
                    ],
                )
                assert difference is None, (
                    f"{page} [{mode}, {viewport['width']} px, {state}]: the trimmed theme "
                    f"stylesheet draws it differently: {difference}"
                )
    finally:
        for pair in tabs.values():
            for context, _ in pair:
                context.close()
