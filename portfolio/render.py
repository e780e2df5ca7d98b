"""Docutils building blocks: sphinx-design cards, badges, buttons and dropdowns.

Every piece of text from a data file goes into a ``nodes.Text`` (escaped by the
writer), never into raw HTML; links are validated before they get here. Containers
of data text carry ``support_smartquotes=False``: titles keep their exact quotes
and dashes instead of being "educated" by the SmartQuotes transform.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
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
