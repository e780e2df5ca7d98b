"""Docutils building blocks: sphinx-design cards, badges, buttons and dropdowns; tables, links.

Every piece of text from a data file goes into a ``nodes.Text`` (escaped by the
writer), never into raw HTML; links are validated before they get here. Containers
of data text carry ``support_smartquotes=False``: titles keep their exact quotes
and dashes instead of being "educated" by the SmartQuotes transform.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx_design.shared import create_component

BUTTON = ["sd-sphinx-override", "sd-btn", "sd-text-wrap", "portfolio-btn"]


class paper_ref(nodes.Inline, nodes.TextElement):  # noqa: N801 (docutils node naming)
    """A link to a paper, resolved when the page is written.

    It points at the paper's own page when one exists, else at the paper's
    entry on the publications list (``#<key>``). Attributes: ``key``.
    """


def exact(node: nodes.Element) -> nodes.Element:
    """Mark a node holding data text: no smart quotes or dashes inside it."""
    node["support_smartquotes"] = False
    return node


def text(value: str) -> nodes.Text:
    """Wrap data text in a text node (the writer escapes it)."""
    return nodes.Text(value)


def badge(label: str, color: str = "primary", extra: tuple[str, ...] = ()) -> nodes.inline:
    """Make a sphinx-design badge."""
    classes = ["sd-sphinx-override", "sd-badge", f"sd-bg-{color}", f"sd-bg-text-{color}", *extra]
    return nodes.inline(label, label, classes=classes)


def link_button(
    label: str, url: str, *, primary: bool = False, large: bool = False
) -> nodes.reference:
    """Make a sphinx-design button linking to an (already validated) URL."""
    classes = [*BUTTON, "sd-btn-primary" if primary else "sd-btn-outline-primary"]
    if large:
        classes.append("portfolio-btn-large")
    return nodes.reference(label, "", text(label), refuri=url, classes=classes)


def doc_button(
    label: str, docname: str, fromdoc: str, *, primary: bool = False, large: bool = False
):
    """Make a sphinx-design button to another page, resolved (and checked) by Sphinx."""
    classes = [*BUTTON, "sd-btn-primary" if primary else "sd-btn-outline-primary"]
    if large:
        classes.append("portfolio-btn-large")
    ref = addnodes.pending_xref(
        label,
        refdomain="std",
        reftype="doc",
        reftarget="/" + docname,
        refdoc=fromdoc,
        refexplicit=True,
        refwarn=True,
        classes=classes,
    )
    ref += nodes.inline(label, label)
    return ref


def button_row(buttons: list[nodes.Node], extra: tuple[str, ...] = ()) -> nodes.paragraph:
    """Buttons side by side, separated by spaces."""
    para = nodes.paragraph(classes=["portfolio-buttons", *extra])
    for index, button in enumerate(buttons):
        if index:
            para += text(" ")
        para += button
    return para


def card(
    *children: nodes.Node, classes: tuple[str, ...] = (), ids: tuple[str, ...] = ()
) -> nodes.container:
    """Make a sphinx-design card with one body."""
    body = create_component("card-body", classes=["sd-card-body"], children=children)
    return create_component(
        "card",
        classes=["sd-card", "sd-sphinx-override", "sd-mb-3", "sd-shadow-sm", *classes],
        children=[body],
        ids=list(ids),
        support_smartquotes=False,
    )


def dropdown(title: str, *children: nodes.Node, classes: tuple[str, ...] = ()) -> nodes.container:
    """Make a closed sphinx-design dropdown (``<details>`` in HTML)."""
    node = create_component(
        "dropdown",
        opened=False,
        type="dropdown",
        has_title=True,
        icon=None,
        chevron=None,
        container_classes=["sd-mb-2", *classes],
        title_classes=[],
        body_classes=[],
    )
    node += nodes.rubric(title, title)
    node.extend(children)
    return node


def section(title: str, ident: str, *children: nodes.Node) -> nodes.section:
    """Make a section with a title (shows in the page's table of contents)."""
    node = nodes.section(ids=[ident], names=[nodes.fully_normalize_name(title)])
    node += nodes.title(title, title)
    node.extend(children)
    return node


# -- Tables and links (the notebook, claims and benchmark pages) ---------------------------


def table(
    headers: list[str],
    rows: list[list[nodes.Node | str]],
    *,
    classes: list[str] = (),
    widths: list[int] | None = None,
    stacked: bool = False,
    title: str | None = None,
    base: str = "portfolio-table",
) -> nodes.table:
    """Return a plain docutils table; a string cell becomes a (writer-escaped) paragraph.

    ``stacked=True`` is for tables of prose: on a narrow screen the stylesheet lays each
    row out as a card, one cell under another, each cell led by its column's header
    (a ``portfolio-cell-label`` that is hidden on wider screens), so no column is
    squeezed into a strip a word wide. ``title`` is the table's caption; ``base`` its
    first class (the benchmark tables have their own).
    """
    tab = nodes.table(classes=[base, *classes])
    if stacked:
        tab["classes"].append("portfolio-stacked")
    if title is not None:
        tab += nodes.title(title, title)
    group = nodes.tgroup(cols=len(headers))
    tab += group
    for width in widths or [1] * len(headers):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    head += _row(headers)
    body = nodes.tbody()
    group += body
    for row in rows:
        body += _row(row, headers if stacked else None)
    return tab


def _row(cells: list[nodes.Node | str], labels: list[str] | None = None) -> nodes.row:
    row = nodes.row()
    for index, cell in enumerate(cells):
        entry = nodes.entry()
        if labels is not None:
            entry += nodes.paragraph(labels[index], labels[index], classes=["portfolio-cell-label"])
        if isinstance(cell, str | int | float):
            entry += nodes.paragraph(str(cell), str(cell))
        elif isinstance(cell, nodes.paragraph | nodes.table | nodes.container | nodes.bullet_list):
            entry += cell
        else:
            para = nodes.paragraph()
            para += cell
            entry += para
        row += entry
    return row


def link(app: Sphinx, fromdoc: str, todoc: str, text: str, anchor: str = "") -> nodes.reference:
    """Return a link from one page to another page (optionally an anchor on it)."""
    uri = relative_uri(app, fromdoc, app.builder.get_target_uri(todoc))
    return nodes.reference(text, text, refuri=uri + (f"#{anchor}" if anchor else ""), internal=True)


def megabytes(value: int | None) -> str:
    """Bytes as MB for people (``-`` when unknown)."""
    return "–" if value is None else f"{value / 2**20:,.0f} MB"


def relative_uri(app: Sphinx, fromdoc: str, target: str) -> str:
    """Return a relative link from a page to ``target`` (a path from the output's root)."""
    from sphinx.util.osutil import relative_uri as _relative

    return _relative(app.builder.get_target_uri(fromdoc), target)
