"""The notebook gallery: one sphinx-design card per executed notebook.

``{notebook-gallery}`` renders, for every notebook this build executed (or read from its
cache), a card with the notebook's first figure as thumbnail, its title and first
paragraph, the paper it demonstrates (the BibTeX entry naming it as ``demo``) and when and
how fast it last ran. Notebooks are discovered, never listed: a new notebook appears on
the next build.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
from sphinx_design.shared import create_component

from .claims import paper_titles
from .execution import run_date, seconds
from .launch import demo_notebooks
from .notebooks import NotebookRecord, records
from .placeholders import NotebookPlaceholder, add_placeholder_directive
from .render import link, megabytes


class notebook_gallery(nodes.General, nodes.Element):  # noqa: N801 (docutils node naming)
    """Placeholder for the gallery, filled in when the page is written."""


class NotebookGalleryDirective(NotebookPlaceholder):
    """``{notebook-gallery}``: a card per notebook."""

    placeholder = notebook_gallery


def summary(text: str, limit: int = 160) -> str:
    """Return the first sentence of a description, cut to ``limit`` characters."""
    sentence = text.split(". ")[0].rstrip(".") + "."
    return sentence if len(sentence) <= limit else sentence[: limit - 2].rsplit(" ", 1)[0] + " …"


def card(
    app: Sphinx, docname: str, record: NotebookRecord, papers: dict[str, str]
) -> nodes.container:
    """One notebook's card."""
    children: list[nodes.Node] = []
    if record.thumbnail:
        uri = record.thumbnail["uri"]
        alt = record.thumbnail["alt"] or f"First figure of the notebook {record.title}"
        children.append(
            nodes.image(
                uri=uri,
                candidates={"*": uri},
                alt=alt,
                classes=["sd-card-img-top", "portfolio-thumbnail"],
            )
        )
    body = create_component("card-body", classes=["sd-card-body"])
    title = nodes.paragraph(classes=["sd-card-title", "sd-font-weight-bold"])
    title += link(app, docname, record.docname, record.title or record.docname)
    body += title
    body += nodes.paragraph(classes=["sd-card-text"], text=summary(record.description))
    paper_keys_for = [key for key, demo in demo_notebooks(app).items() if demo == record.docname]
    for key in paper_keys_for:
        para = nodes.paragraph(classes=["sd-card-text", "portfolio-gallery-paper"])
        para += nodes.Text("Demonstrates: ")
        para += nodes.emphasis("", papers.get(key, key))
        body += para
    children.append(body)
    footer = create_component("card-footer", classes=["sd-card-footer", "portfolio-gallery-run"])
    footer += nodes.paragraph(
        classes=["sd-card-text"],
        text=f"Last run {run_date(record)} · {seconds(record)} · "
        f"{megabytes(record.peak_bytes)} peak",
    )
    children.append(footer)
    return create_component(
        "card",
        classes=[
            "sd-card",
            "sd-sphinx-override",
            "sd-mb-3",
            "sd-shadow-sm",
            "sd-w-100",
            "portfolio-gallery-card",
        ],
        children=children,
    )


def render(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Replace the placeholder with a responsive grid of cards."""
    for placeholder in list(doctree.findall(notebook_gallery)):
        papers = paper_titles(app)
        row = create_component(
            "grid-row",
            classes=[
                "sd-row",
                "sd-row-cols-1",
                "sd-row-cols-xs-1",
                "sd-row-cols-sm-2",
                "sd-row-cols-md-2",
                "sd-row-cols-lg-3",
                "sd-g-3",
                "sd-g-xs-3",
                "sd-g-sm-3",
                "sd-g-md-3",
                "sd-g-lg-3",
            ],
        )
        for record in sorted(records(app.env).values(), key=lambda r: r.title or r.docname):
            column = create_component("grid-item", classes=["sd-col", "sd-d-flex-row"])
            column += card(app, docname, record, papers)
            row += column
        grid = create_component(
            "grid-container",
            classes=["sd-container-fluid", "sd-sphinx-override", "sd-mb-4", "portfolio-gallery"],
            children=[row],
        )
        placeholder.replace_self(grid)


def setup(app: Sphinx) -> dict:
    """Register the gallery directive."""
    app.setup_extension("portfolio.notebooks")
    app.setup_extension("sphinx_design")
    add_placeholder_directive(app, "notebook-gallery", NotebookGalleryDirective, render)
    return {"version": "0.1.0", "parallel_read_safe": True, "parallel_write_safe": True}
