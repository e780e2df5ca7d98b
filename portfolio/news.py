"""News: dated updates, press coverage, and an Atom feed of the updates.

Directives
----------
``news-updates``
    The updates, newest first (``:limit: N`` for the newest N). ``{paper}`` in an
    update's text becomes the paper's linked title; the paper's buttons follow.
``press-list``
    Press coverage, newest first; undated items (no date in the article's URL) last.

The feed (``portfolio_feed_path``, default ``news/atom.xml``) is written with
feedgen after an HTML build, and every page links it from ``<head>``.
"""

from __future__ import annotations

import datetime as dt
import html
import posixpath
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from feedgen.feed import FeedGenerator
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole

from . import render
from .config import site_url
from .data import PortfolioData, get_data
from .schema import Press, Update

logger = logging.getLogger(__name__)

PAPER_PLACEHOLDER = "{paper}"


def update_text(update: Update, data: PortfolioData) -> str:
    """Return the update as plain text (the paper's title in place of ``{paper}``)."""
    if update.paper and PAPER_PLACEHOLDER in update.text:
        return update.text.replace(PAPER_PLACEHOLDER, data.publications[update.paper].title)
    return update.text


def sorted_updates(data: PortfolioData) -> list[tuple[str, Update]]:
    """Sort updates newest first by their feed date (the first day of their period).

    Items with equal dates keep their file order.
    """
    return sorted(data.updates.items(), key=lambda item: item[1].date.first_day(), reverse=True)


def sorted_press(data: PortfolioData) -> list[tuple[str, Press]]:
    """Press newest first; items without a date last, in file order."""
    dated = [(k, p) for k, p in data.press.items() if p.date is not None]
    undated = [(k, p) for k, p in data.press.items() if p.date is None]
    return sorted(dated, key=lambda item: item[1].date.first_day(), reverse=True) + undated


def update_item(update_id: str, update: Update, data: PortfolioData) -> nodes.list_item:
    """One update: date, text with the paper's linked title, the paper's buttons."""
    para = nodes.paragraph()
    para += nodes.inline(update.date.display(), update.date.display(), classes=["portfolio-date"])
    para += render.text(" — ")
    pub = data.publications.get(update.paper) if update.paper else None
    before, placeholder, after = update.text.partition(PAPER_PLACEHOLDER)
    para += render.text(before)
    if placeholder and pub is not None:
        para += render.paper_ref("", "", nodes.emphasis(pub.title, pub.title), key=pub.key)
        para += render.text(after)
    links = pub.links(publisher=False) if pub else []
    links += update.links.items()
    item = nodes.list_item(ids=[nodes.make_id(f"update-{update_id}")], classes=["portfolio-update"])
    item += para
    if links:
        item += render.button_row([render.link_button(label, url) for label, url in links])
    return item


def press_item(press_id: str, press: Press) -> nodes.list_item:
    """One article: title, outlet, date where known, and a button to it."""
    para = nodes.paragraph()
    para += nodes.emphasis(press.title, press.title)
    para += render.text(", ")
    para += nodes.strong(press.outlet, press.outlet)
    if press.date is not None:
        para += render.text(", ")
        para += nodes.inline(press.date.display(), press.date.display(), classes=["portfolio-date"])
    para += render.text(" ")
    para += render.link_button("Article", press.url)
    if press.paper:
        para += render.text(" ")
        classes = [*render.BUTTON, "sd-btn-outline-secondary"]
        para += render.paper_ref("", "", render.text("Paper"), key=press.paper, classes=classes)
    return nodes.list_item(
        "", para, ids=[nodes.make_id(f"press-{press_id}")], classes=["portfolio-press"]
    )


class _NewsDirective(SphinxDirective):
    has_content = False
    option_spec = {"limit": directives.positive_int}

    def data(self) -> PortfolioData:
        """Return the data, noting the files the page depends on."""
        data = get_data(self.env)
        for name in ("news", "bib"):
            if name in data.files:
                self.env.note_dependency(str(data.files[name]))
        return data


class NewsUpdatesDirective(_NewsDirective):
    """The updates, newest first."""

    def run(self) -> list[nodes.Node]:
        """Render the directive."""
        data = self.data()
        items = sorted_updates(data)[: self.options.get("limit")]
        lst = render.exact(nodes.bullet_list(classes=["portfolio-updates"]))
        lst.extend(update_item(uid, update, data) for uid, update in items)
        return [lst]


class PressListDirective(_NewsDirective):
    """Press coverage, newest first."""

    def run(self) -> list[nodes.Node]:
        """Render the directive."""
        data = self.data()
        items = sorted_press(data)[: self.options.get("limit")]
        lst = render.exact(nodes.bullet_list(classes=["portfolio-press-list"]))
        lst.extend(press_item(pid, press) for pid, press in items)
        return [lst]


class FeedLinkRole(SphinxRole):
    """``{atom-feed}`text```: a link to the Atom feed, relative to the current page."""

    def run(self):
        """Render the role."""
        href = posixpath.relpath(
            self.config.portfolio_feed_path, posixpath.dirname(self.env.docname) or "."
        )
        label = self.text or "Atom feed"
        return [
            nodes.reference(self.rawtext, label, refuri=href, classes=["portfolio-feed-link"])
        ], []


# -- Atom feed ------------------------------------------


def build_feed(
    data: PortfolioData,
    *,
    base: str,
    feed_path: str,
    news_page: str,
    title: str,
    author: str,
    paper_pages: dict[str, str] | None = None,
) -> bytes:
    """Build the Atom feed of the updates, newest first.

    An entry is dated as precisely as its update knows (:meth:`Update.feed_day`); an
    entry whose day is not known says so in its text. An update about a paper links the
    paper's page (``paper_pages``: key to absolute address), in its text and as a
    ``related`` link.
    """
    paper_pages = paper_pages or {}
    fg = FeedGenerator()
    fg.id(base + feed_path)
    fg.title(title)
    fg.author({"name": author})
    fg.link(href=base + news_page, rel="alternate")
    fg.link(href=base + feed_path, rel="self")
    stamps = []
    related: dict[str, tuple[str, str]] = {}
    for update_id, update in sorted_updates(data):
        day, known = update.feed_day()
        stamp = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        stamps.append(stamp)
        entry = fg.add_entry(order="append")
        entry.id(f"{base}{news_page}#update-{update_id}")
        entry.title(update_text(update, data))
        entry.link(href=f"{base}{news_page}#update-{update_id}", rel="alternate")
        entry.updated(stamp)
        entry.published(stamp)
        content = html.escape(update.text)
        page = paper_pages.get(update.paper or "")
        if update.paper:
            pub = data.publications[update.paper]
            name = html.escape(pub.title)
            linked = f'<a href="{html.escape(page, quote=True)}">{name}</a>' if page else name
            content = (
                content.replace(html.escape(PAPER_PLACEHOLDER), linked)
                if PAPER_PLACEHOLDER in update.text
                else f"{content} ({linked})"
            )
            if page:
                related[f"{base}{news_page}#update-{update_id}"] = (page, pub.title)
        if not known:
            content += f" <em>(Dated {update.date.display()}; the day is not known.)</em>"
        entry.content(content, type="html")
    fg.updated(max(stamps) if stamps else dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    return _add_related_links(fg.atom_str(pretty=True), related)


ATOM = "{http://www.w3.org/2005/Atom}"


def _add_related_links(feed: bytes, related: dict[str, tuple[str, str]]) -> bytes:
    """Give each entry about a paper a ``rel="related"`` link to the paper's page.

    feedgen 1.0.0 drops the ``rel`` and ``title`` of entry links (its writer reads them
    from the new XML element instead of the link's data), so a second link would read as
    a second ``alternate``; the links are added to its output instead.
    """
    from lxml import etree

    root = etree.fromstring(feed)
    for entry in root.iter(f"{ATOM}entry"):
        target = related.get(entry.findtext(f"{ATOM}id"))
        if target is not None:
            link = etree.SubElement(entry, f"{ATOM}link")
            link.attrib.update({"href": target[0], "rel": "related", "title": target[1]})
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def write_feed(app: Sphinx, exception: Exception | None) -> None:
    """After a successful HTML build, write the Atom feed of the updates."""
    if (
        exception is not None
        or app.builder.format != "html"
        or not hasattr(app.env, "portfolio_data")
    ):
        return
    data = get_data(app.env)
    if "news" not in data.files:
        return
    base = site_url(app.config)
    if not base:
        logger.warning(
            "no site address for the Atom feed: set html_baseurl or portfolio_site_url",
            type="portfolio",
            subtype="feed",
        )
        return
    news_page = app.builder.get_target_uri(app.config.portfolio_news_page)
    title = app.config.portfolio_feed_title or f"{app.config.project}: updates"
    author = data.profile.name if data.profile else app.config.author
    paper_pages = {
        key: base + app.builder.get_target_uri(docname)
        for docname, key in getattr(app.env, "portfolio_paper_docs", {}).items()
    }
    feed = build_feed(
        data,
        paper_pages=paper_pages,
        base=base,
        feed_path=app.config.portfolio_feed_path,
        news_page=news_page,
        title=title,
        author=author,
    )
    target = Path(app.outdir) / app.config.portfolio_feed_path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(feed)


def add_feed_link(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Point feed readers at the Atom feed from every page's ``<head>``."""
    if "news" not in getattr(getattr(app.env, "portfolio_data", None), "files", {}):
        return
    href = context["pathto"](app.config.portfolio_feed_path, 1)
    title = app.config.portfolio_feed_title or f"{app.config.project}: updates"
    link = (
        f'<link rel="alternate" type="application/atom+xml" '
        f'title="{html.escape(title, quote=True)}" href="{html.escape(href, quote=True)}" />'
    )
    context["metatags"] = context.get("metatags", "") + "\n" + link + "\n"


def setup(app: Sphinx) -> dict:
    """Register the news directives and the feed."""
    app.add_directive("news-updates", NewsUpdatesDirective)
    app.add_directive("press-list", PressListDirective)
    app.add_role("atom-feed", FeedLinkRole())
    app.connect("build-finished", write_feed)
    app.connect("html-page-context", add_feed_link)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
