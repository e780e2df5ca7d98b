"""The data schema: what a publication, talk, news item and profile may contain.

Every model forbids unknown fields (a typo such as ``pfd`` is an error, not a
silently ignored field) and validates each value: links must be ``https://`` or
relative, dates must be real dates. :func:`portfolio.errors.validate_entry` turns
pydantic's errors into :class:`~portfolio.errors.Problem` messages that name the file,
the entry key and the field; a cross-field rule raises ``_FieldError`` to blame one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    model_validator,
)

from .errors import _FieldError

# -- Value types ------------------------------------------


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to the year, the month or the day.

    Press dates come from article URLs, which often give only year and month;
    the model keeps exactly the precision the source has.
    """

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def sort_key(self) -> tuple[int, int, int]:
        """Key for newest-first ordering: an unknown month or day sorts as the period's end."""
        return (self.year, self.month or 13, self.day or 32)

    def first_day(self) -> dt.date:
        """Return the first calendar day the date can mean (for feeds, which need a full date)."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    def iso(self) -> str:
        """ISO 8601 at the known precision: ``2020``, ``2020-03`` or ``2020-03-03``."""
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text

    def display(self, *, year: bool = True) -> str:
        """Human form, e.g. ``3 March 2020``, ``March 2020``, ``7 December`` (no year)."""
        parts = []
        if self.day is not None:
            parts.append(str(self.day))
        if self.month is not None:
            parts.append(dt.date(2000, self.month, 1).strftime("%B"))
        if year or not parts:
            parts.append(str(self.year))
        return " ".join(parts)


_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _parse_partial_date(value: Any) -> PartialDate:
    if isinstance(value, PartialDate):
        return value
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return PartialDate(value.year, value.month, value.day)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = str(value).strip() if isinstance(value, str) else None
    match = _PARTIAL_DATE.match(text) if text else None
    if match is None:
        raise ValueError(f"{value!r} is not a date (write YYYY-MM-DD, YYYY-MM or YYYY)")
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        dt.date(year, month or 1, day or 1)
    except ValueError as err:
        raise ValueError(f"{value!r} is not a date ({err})") from None
    return PartialDate(year, month, day)


Date = Annotated[PartialDate, PlainValidator(_parse_partial_date)]

_UNSAFE_CHARS = re.compile(r"[\s\x00-\x1f\x7f<>\"]")


def _check_link(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"a link must be text, got {value!r}")
    link = value.strip()
    if not link:
        raise ValueError("a link must not be empty")
    parts = urlsplit(link)
    if parts.scheme:
        if parts.scheme != "https" or not parts.netloc:
            raise ValueError(
                f"link {link!r} must be https:// or relative (scheme {parts.scheme!r})"
            )
    elif link.startswith("//") or ":" in link.split("/", 1)[0]:
        raise ValueError(f"link {link!r} must be https:// or relative")
    if _UNSAFE_CHARS.search(link):
        raise ValueError(f"link {link!r} contains whitespace, quotes or control characters")
    return link


Link = Annotated[str, PlainValidator(_check_link)]


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


Text = Annotated[str, AfterValidator(_non_empty)]
Key = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
NotebookName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_./-]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- Publications (one BibTeX entry each) ---------------------------------------------------

#: Where and how a work was published: BibTeX fields that hold prose.
_IMPRINT = ("publisher", "address", "organization", "series", "howpublished", "note")

#: BibTeX fields that may appear in the copyable BibTeX; everything else is site-only.
BIBTEX_FIELDS = (
    "title",
    "author",
    "editor",
    "year",
    "month",
    "booktitle",
    "journal",
    "volume",
    "number",
    "pages",
    *_IMPRINT,
    "doi",
    "url",
    "eprint",
    "archiveprefix",
    "primaryclass",
)

#: Site-only fields, cut from the copyable BibTeX.
SITE_FIELDS = (
    "venue",
    "venue_url",
    "pdf",
    "arxiv",
    "code",
    "video",
    "poster",
    "slides",
    "demo",
    "nodemo",
    "selected",
    "status",
)

#: Link fields in the order their buttons appear, with their button labels.
PUBLICATION_LINKS = {
    "pdf": "PDF",
    "arxiv": "arXiv",
    "url": "Proceedings",  # "Journal" for an @article, "Web page" for a @misc
    "code": "Code",
    "video": "Video",
    "poster": "Poster",
    "slides": "Slides",
}

#: Fields holding prose (LaTeX in the .bib is decoded to text for them).
PUBLICATION_TEXT_FIELDS = (
    "title",
    "booktitle",
    "journal",
    "venue",
    *_IMPRINT,
    "status",
    "nodemo",
)


class Publication(_Strict):
    """One paper, from one BibTeX entry.

    Required: ``title``, ``author``, ``year``, ``venue`` (the short badge text,
    e.g. ``NeurIPS 2019``) and ``booktitle`` (``@inproceedings``) or ``journal``
    (``@article``); either ``demo`` (a notebook name under the notebooks folder)
    or ``nodemo`` (why there is none). Links are https or relative.
    """

    key: Key
    entry_type: Literal["inproceedings", "article", "misc"]
    title: Text
    author: list[Text] = Field(min_length=1)
    editor: list[Text] | None = None
    year: int = Field(ge=1900, le=2100)
    venue: Text
    month: str | None = None
    booktitle: Text | None = None
    journal: Text | None = None
    volume: str | None = None
    number: str | None = None
    pages: str | None = None
    publisher: str | None = None
    address: str | None = None
    organization: str | None = None
    series: str | None = None
    howpublished: str | None = None
    note: str | None = None
    doi: str | None = None
    url: Link | None = None
    eprint: str | None = None
    archiveprefix: str | None = None
    primaryclass: str | None = None
    venue_url: Link | None = None
    pdf: Link | None = None
    arxiv: Link | None = None
    code: Link | None = None
    video: Link | None = None
    poster: Link | None = None
    slides: Link | None = None
    demo: NotebookName | None = None
    nodemo: Text | None = None
    selected: bool = False
    status: Text | None = None

    @model_validator(mode="after")
    def _venue_and_demo(self) -> Publication:
        if self.entry_type == "inproceedings" and not self.booktitle:
            raise _FieldError("booktitle", "required field is missing (an @inproceedings needs it)")
        if self.entry_type == "article" and not self.journal:
            raise _FieldError("journal", "required field is missing (an @article needs it)")
        if self.demo and self.nodemo:
            raise _FieldError("nodemo", "give either demo or nodemo, not both")
        if not self.demo and not self.nodemo:
            raise _FieldError(
                "demo",
                "required field is missing: name the demo notebook, "
                "or say why there is none in nodemo",
            )
        return self

    @property
    def venue_text(self) -> str:
        """The full venue: booktitle, journal or howpublished."""
        return self.booktitle or self.journal or self.howpublished or self.venue

    def links(self, *, publisher: bool = True) -> list[tuple[str, str]]:
        """Return ``(label, url)`` for each link the entry has, in button order.

        Parameters
        ----------
        publisher : bool, default=True
            Include the publisher's page (the standard ``url`` field).
        """
        url_label = {"article": "Journal", "misc": "Web page"}.get(self.entry_type, "Proceedings")
        return [
            (url_label if name == "url" else label, getattr(self, name))
            for name, label in PUBLICATION_LINKS.items()
            if getattr(self, name) and (publisher or name != "url")
        ]


# -- Talks ------------------------------------------


class Links(_Strict):
    """Links of a talk or a news item."""

    video: Link | None = None
    slides: Link | None = None
    pdf: Link | None = None
    code: Link | None = None

    def items(self) -> list[tuple[str, str]]:
        """``(label, url)`` for each link given."""
        labels = {"video": "Video", "slides": "Slides", "pdf": "PDF", "code": "Code"}
        return [
            (label, getattr(self, name)) for name, label in labels.items() if getattr(self, name)
        ]


class Talk(_Strict):
    """One talk. ``title`` may be omitted when the event is the headline."""

    date: Date
    year_inferred: bool = False
    title: Text | None = None
    event: Text
    event_url: Link | None = None
    place: Text | None = None
    kind: Literal["invited", "spotlight", "meetup"]
    links: Links = Links()
    paper: Key | None = None


# -- News ------------------------------------------


class Update(_Strict):
    """A dated update. ``{paper}`` in ``text`` is replaced by the paper's title.

    ``date`` is as precise as the source knows it (a year, a month or a day).
    ``event_start`` is the first day of the event the update reports (a conference), from
    the event's own site, for a ``date`` without a day: the Atom feed, which needs a day,
    dates the entry then instead of inventing the first of the month.
    """

    date: Date
    text: Text
    paper: Key | None = None
    links: Links = Links()
    event_start: Date | None = None

    @model_validator(mode="after")
    def _placeholder_needs_paper(self) -> Update:
        if "{paper}" in self.text and not self.paper:
            raise _FieldError("paper", "text uses {paper} but no paper key is given")
        return self

    @model_validator(mode="after")
    def _event_start_is_a_day_in_the_period(self) -> Update:
        start = self.event_start
        if start is None:
            return self
        if start.day is None:
            raise _FieldError("event_start", f"{start.iso()} must be a day (YYYY-MM-DD)")
        if self.date.day is not None:
            raise _FieldError("event_start", "date already gives the day; leave event_start out")
        same = start.year == self.date.year and (
            self.date.month is None or start.month == self.date.month
        )
        if not same:
            raise _FieldError(
                "event_start", f"{start.iso()} is not within the update's date {self.date.iso()}"
            )
        return self

    def feed_day(self) -> tuple[dt.date, bool]:
        """Return the day the feed gives this update, and whether that day is known.

        The day itself when ``date`` has one, else ``event_start``; failing both, the
        first day of the period, marked unknown (the feed says so in the entry).
        """
        if self.date.day is not None:
            return self.date.first_day(), True
        if self.event_start is not None:
            return self.event_start.first_day(), True
        return self.date.first_day(), False


class Press(_Strict):
    """Press coverage. ``date`` only where the source (the article's URL) gives one."""

    outlet: Text
    title: Text
    url: Link
    date: Date | None = None
    paper: Key | None = None


class NewsFile(_Strict):
    """The news file: ``updates`` and ``press``, each a mapping of id to item."""

    updates: dict[str, Any] = {}
    press: dict[str, Any] = {}


# -- Profile (the CV) ---------------------------------------------------------------------------


class NamedLink(_Strict):
    """A name with an optional link."""

    name: Text
    url: Link | None = None


class Education(_Strict):
    """A degree."""

    degree: Text
    institution: NamedLink
    start: Date
    end: Date | None = None


class Position(_Strict):
    """A job or research position; no ``end`` means ongoing."""

    role: Text
    organisation: Text
    unit: Text | None = None
    place: Text | None = None
    start: Date
    end: Date | None = None


class _Dated(_Strict):
    """An entry dated only where the source gives a date."""

    start: Date | None = None
    end: Date | None = None


class Award(_Dated):
    """A scholarship or award; dates only where the source gives them."""

    name: Text
    by: Text | None = None


class Service(_Dated):
    """Reviewing and mentoring."""

    role: Text
    detail: Text


class Profile(_Strict):
    """The owner's profile: what the CV adds to publications, talks and news."""

    name: Text
    position: Text
    #: The date the biography speaks for ("fourth-year PhD student" is true then), shown
    #: beside it on the home page.
    as_of: Date
    advisor: NamedLink
    lab: NamedLink
    resume: Link
    research: Text
    education: list[Education] = Field(min_length=1)
    experience: list[Position] = []
    awards: list[Award] = []
    service: list[Service] = []
