"""Social cards for paper pages: a PNG with the paper's exact title, its authors and venue.

A link to a paper page shared on a social site or a chat shows this card (``og:image``,
``twitter:card``). sphinxext-opengraph draws a generic card for every other page; its
layout cuts a long title at 75 characters and lets it run into the description, so a
paper page gets its own, drawn here with matplotlib at build time:

- the paper's title, exactly as in the BibTeX file, wrapped to the card and never cut
  (the type shrinks for a long title);
- the authors and the venue line;
- the site's name and address, and the site's mark (``portfolio_card_mark``).

The card is written to ``_images/cards/<key>-<hash>.png``; the hash is of the card's text
and mark, so a changed title gets a new address and no social site keeps the old picture.
The page's metadata gets ``og:image`` (absolute, on the site's address) and
``og:image:alt`` before sphinxext-opengraph writes its tags (this hook runs first).
"""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

from .config import site_url
from .data import get_data
from .schema import Publication

logger = logging.getLogger(__name__)

#: Card size in pixels: the 1.91:1 of Open Graph's large image.
WIDTH, HEIGHT, DPI = 1200, 630, 100
FOLDER = "_images/cards"
ACCENT = "#005288"
INK = "#1f2328"
MUTED = "#59636e"
#: Title sizes tried, largest first, in points: the first at which the wrapped title fits
#: in MAX_TITLE_LINES lines is used.
TITLE_SIZES = (40, 36, 32, 28, 24, 20)
MAX_TITLE_LINES = 4
#: The text column: from the left margin to short of the mark, as fractions of the width.
LEFT, RIGHT = 0.06, 0.84


def card_text(pub: Publication, site_name: str, address: str) -> dict:
    """Return what a card says: each field as drawn (the title whole, wrapped)."""
    return {
        "site": site_name,
        "title": pub.title,
        "authors": list(pub.author),
        "venue": " · ".join(
            part for part in (pub.venue, pub.booktitle or pub.journal or "") if part
        ),
        "address": address,
    }


def draw_card(text: dict, mark: Path | None, path: Path) -> None:
    """Draw one card to ``path`` (PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.image import imread
    from matplotlib.patches import Rectangle

    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    fig.add_artist(Rectangle((0, 0), 0.012, 1, transform=fig.transFigure, color=ACCENT))
    left = LEFT
    fig.text(left, 0.88, text["site"], fontsize=18, color=MUTED, va="center")
    title = _fit_title(fig, text["title"])
    # Authors under the title, wherever the title's last line ends.
    bottom = title.get_window_extent().y0 / HEIGHT
    y = bottom - 0.07
    for line in textwrap.wrap(", ".join(text["authors"]), 88):
        fig.text(left, y, line, fontsize=17, color=INK, va="top")
        y -= 0.05
    fig.text(left, max(y - 0.02, 0.16), text["venue"], fontsize=16, color=MUTED, va="top")
    fig.text(left, 0.07, text["address"], fontsize=16, color=ACCENT, va="center")
    if mark is not None:
        ax = fig.add_axes((0.86, 0.74, 0.11, 0.11 * WIDTH / HEIGHT), frameon=False)
        ax.imshow(imread(mark))
        ax.set_axis_off()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})


def _fit_title(fig, title: str):
    """Draw the whole title, wrapped, at the largest size whose lines fit the column."""
    renderer = fig.canvas.get_renderer()
    room = (RIGHT - LEFT) * WIDTH
    text = fig.text(LEFT, 0.78, "", color=INK, weight="bold", va="top", linespacing=1.15)
    for size in TITLE_SIZES:
        text.set_fontsize(size)
        for per_line in range(70, 10, -2):
            text.set_text(
                textwrap.fill(title, per_line, break_on_hyphens=False, break_long_words=False)
            )
            if text.get_window_extent(renderer).width <= room:
                break
        if text.get_text().count("\n") < MAX_TITLE_LINES:
            return text
    return text


def add_card(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """On a paper page, draw its card and point the page's ``og:image`` at it."""
    key = getattr(app.env, "portfolio_paper_docs", {}).get(pagename)
    if key is None or doctree is None or app.builder.format != "html":
        return
    pub = get_data(app.env).publications.get(key)
    if pub is None:
        return
    base = site_url(app.config)
    mark = (
        Path(app.srcdir) / app.config.portfolio_card_mark
        if app.config.portfolio_card_mark
        else None
    )
    text = card_text(
        pub,
        app.config.html_title or app.config.project,
        base.split("://", 1)[-1].rstrip("/"),
    )
    digest = hashlib.sha1(repr(text).encode())
    if mark is not None:
        digest.update(mark.read_bytes())
    rel = f"{FOLDER}/{key}-{digest.hexdigest()[:8]}.png"
    target = Path(app.outdir) / rel
    if not target.exists():
        draw_card(text, mark, target)
    meta = context.get("meta")
    if meta is None:
        meta = context["meta"] = {}
    meta["og:image"] = base + rel if base else rel
    meta["og:image:alt"] = f"{pub.title}: {', '.join(pub.author)}; {pub.venue}"
    context["metatags"] = context.get("metatags", "") + (
        '\n<meta name="twitter:card" content="summary_large_image" />'
    )


def setup(app: Sphinx) -> dict:
    """Register the card hook ahead of sphinxext-opengraph's (priority 500)."""
    app.connect("html-page-context", add_card, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
