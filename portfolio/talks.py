"""Talks: a timeline, newest first, from the talks data file.

Directive
---------
``talk-list``
    Every talk as a card on a timeline: date, kind, title, event and place, link
    buttons and, when the talk names a ``paper``, a button to that paper.
    ``:limit: N`` shows the newest N only.
"""

from __future__ import annotations

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from . import render
from .data import get_data
from .schema import Talk

KIND_LABELS = {
    "invited": ("Invited talk", "primary"),
    "spotlight": ("Spotlight", "success"),
    "meetup": ("Meetup", "info"),
}


def talk_date(talk: Talk) -> str:
    """Format the talk's date; a year the source does not give is marked as inferred."""
    if talk.year_inferred:
        return f"{talk.date.display(year=False)} {talk.date.year} (year inferred)"
    return talk.date.display()


def paper_button(key: str) -> nodes.Node:
    """Make a button to a paper's page (or its entry on the publications list)."""
    classes = [*render.BUTTON, "sd-btn-outline-secondary"]
    return render.paper_ref("", "", render.text("Paper"), key=key, classes=classes)


def talk_card(talk_id: str, talk: Talk) -> nodes.Node:
    """One talk as a sphinx-design card."""
    label, color = KIND_LABELS[talk.kind]
    meta = nodes.paragraph(classes=["portfolio-talk-meta"])
    meta += nodes.inline(talk_date(talk), talk_date(talk), classes=["portfolio-date"])
    meta += render.text(" ")
    meta += render.badge(label, color, extra=("portfolio-kind",))
    headline = nodes.paragraph(classes=["portfolio-title"])
    headline += nodes.strong(talk.title or talk.event, talk.title or talk.event)
    children: list[nodes.Node] = [meta, headline]
    where_parts = [] if talk.title is None else [talk.event]
    if talk.place:
        where_parts.append(talk.place)
    if where_parts:
        where = nodes.paragraph(classes=["portfolio-talk-where"])
        event_text = ", ".join(where_parts)
        if talk.event_url and talk.title is not None:
            where += nodes.reference("", "", render.text(talk.event), refuri=talk.event_url)
            where += render.text(event_text[len(talk.event) :])
        else:
            where += render.text(event_text)
        children.append(where)
    buttons: list[nodes.Node] = [render.link_button(lab, url) for lab, url in talk.links.items()]
    if talk.paper:
        buttons.append(paper_button(talk.paper))
    if buttons:
        children.append(render.button_row(buttons))
    return render.card(
        *children, classes=("portfolio-talk",), ids=(nodes.make_id(f"talk-{talk_id}"),)
    )


def sorted_talks(talks: dict[str, Talk]) -> list[tuple[str, Talk]]:
    """Talks newest first (file order among equal dates)."""
    return sorted(talks.items(), key=lambda item: item[1].date.sort_key, reverse=True)


class TalkListDirective(SphinxDirective):
    """The talks timeline."""

    has_content = False
    option_spec = {"limit": directives.positive_int}

    def run(self) -> list[nodes.Node]:
        """Render the directive."""
        data = get_data(self.env)
        if "talks" in data.files:
            self.env.note_dependency(str(data.files["talks"]))
        talks = sorted_talks(data.talks)[: self.options.get("limit")]
        timeline = nodes.container(classes=["portfolio-timeline"])
        timeline.extend(talk_card(talk_id, talk) for talk_id, talk in talks)
        return [timeline]


def setup(app: Sphinx) -> dict:
    """Register the talks directive."""
    app.add_directive("talk-list", TalkListDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
