"""The CV: the profile's sections, beside publications and talks rendered from their own data.

Directive
---------
``cv-section``
    One of ``profile``, ``as-of`` (the date the biography speaks for), ``education``,
    ``experience``, ``awards``, ``service``, rendered from the profile file. Publications
    and talks come from ``publication-list`` (``:compact:``) and ``talk-list``: no fact is
    typed twice.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from . import render
from .data import get_data
from .schema import NamedLink, PartialDate, Profile

logger = logging.getLogger(__name__)

SECTIONS = ("profile", "as-of", "education", "experience", "awards", "service")


def date_range(start: PartialDate | None, end: PartialDate | None, *, ongoing: bool) -> str:
    """``2011 – 2015``, ``August 2016 – present``, ``2019``; '' when there is no date."""
    if start is None:
        return ""
    if end is None:
        return f"{start.display()} – present" if ongoing else start.display()
    if end == start:
        return start.display()
    return f"{start.display()} – {end.display()}"


def named_link(item: NamedLink) -> nodes.Node:
    """Render a name, linked when it has an address."""
    if item.url:
        return nodes.reference("", "", render.text(item.name), refuri=item.url)
    return render.text(item.name)


def _entries(profile, name: str):
    """Each entry of one CV section as ``(parts, when)``: the title in bold, then details."""
    if name == "education":
        for edu in profile.education:
            yield (
                (_bold(edu.degree), named_link(edu.institution)),
                date_range(edu.start, edu.end, ongoing=True),
            )
    elif name == "experience":
        for job in profile.experience:
            org = f"{job.unit} ({job.organisation})" if job.unit else job.organisation
            yield (_bold(job.role), org, job.place), date_range(job.start, job.end, ongoing=True)
    elif name in ("awards", "service"):
        for entry in profile.awards if name == "awards" else profile.service:
            title, detail = (
                (entry.name, entry.by) if name == "awards" else (entry.role, entry.detail)
            )
            yield (_bold(title), detail), date_range(entry.start, entry.end, ongoing=False)


def _line(*parts: nodes.Node | str | None, when: str = "") -> nodes.list_item:
    para = nodes.paragraph()
    first = True
    for part in parts:
        if part is None or part == "":
            continue
        if not first:
            para += render.text(", ")
        para += render.text(part) if isinstance(part, str) else part
        first = False
    if when:
        para += render.text(" ")
        para += nodes.inline(when, when, classes=["portfolio-date"])
    return nodes.list_item("", para)


def _bold(value: str) -> nodes.strong:
    return nodes.strong(value, value)


def render_section(name: str, profile: Profile) -> list[nodes.Node]:
    """Render one CV section as docutils nodes."""
    if name == "profile":
        para = nodes.paragraph(classes=["portfolio-cv-profile"])
        para += nodes.strong(profile.name, profile.name)
        para += render.text(f". {profile.position}. Advisor: ")
        para += named_link(profile.advisor)
        para += render.text("; lab: ")
        para += named_link(profile.lab)
        para += render.text(f". Research: {profile.research}.")
        resume = render.button_row(
            [render.link_button("Résumé (PDF)", profile.resume, primary=True)]
        )
        return [render.exact(para), resume]
    if name == "as-of":
        when = profile.as_of.display()
        para = nodes.paragraph(classes=["portfolio-as-of"])
        para += render.text(f"As of {when}: the biography and the lists on this site describe ")
        para += render.text(f"{profile.name}'s work up to then.")
        return [render.exact(para)]
    items = [_line(*parts, when=when) for parts, when in _entries(profile, name)]
    lst = render.exact(nodes.bullet_list(classes=["portfolio-cv", f"portfolio-cv-{name}"]))
    lst.extend(items)
    return [lst]


class CvSectionDirective(SphinxDirective):
    """One section of the CV, from the profile file."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        """Render the directive."""
        name = self.arguments[0].strip()
        data = get_data(self.env)
        problem = None
        if name not in SECTIONS:
            problem = f"cv-section: unknown section {name!r}; expected one of {', '.join(SECTIONS)}"
        elif data.profile is None:
            problem = "cv-section: no profile file (set portfolio_profile_file)"
        if problem:
            logger.warning(problem, location=self.get_location(), type="portfolio", subtype="cv")
            return []
        self.env.note_dependency(str(data.files["profile"]))
        return render_section(name, data.profile)


def setup(app: Sphinx) -> dict:
    """Register the CV directive."""
    app.add_directive("cv-section", CvSectionDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
