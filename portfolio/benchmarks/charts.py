"""The benchmark charts: matplotlib figures drawn at build time, served as SVG images.

Each chart is drawn in two layouts (:data:`WIDE`, panels side by side, and
:data:`NARROW`, panels stacked with the legend below) and two colour modes (light, and
dark: light ink on a transparent face, so the page's dark background shows through).
The four SVG files go to ``_images/charts/``; the page's ``<figure>`` holds one ``<img>``
per drawing, lazily loaded, and the stylesheet shows the one that fits: the narrow
layout when the figure is under 40 rem wide (a container query, whatever the window's
width), the colour mode the theme shows (the theme switcher's choice, or the system's).
A hidden image is never fetched, so a reader downloads one drawing per chart.

The narrow layout is sized so that its text renders at least 11 CSS pixels tall in the
content column of a 375-pixel phone. As images, the charts add nothing to the page's
HTML or DOM, which keeps the first paint of a paper page as quick as the home page's.

Colours are set in one place, :data:`PALETTES`: :func:`themed` swaps every colour
matplotlib wrote (white faces, black and grey ink, the light grid, the ``tab10``
series) for that mode's, and refuses a colour it does not know.

Charts are deterministic: the same data and salt give the same bytes (no dates, ids
prefixed with the salt).
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from dataclasses import dataclass
from pathlib import Path

from docutils import nodes

#: Marker shapes, one per method, in order.
MARKERS = "osD^vP*Xh<>"


@dataclass(frozen=True)
class Layout:
    """How one drawing of a chart is laid out."""

    name: str
    #: Figure width in inches; panel height in inches.
    width: float
    panel_height: float
    #: Text sizes in points (one point is one SVG user unit).
    font: float
    legend_font: float
    stacked: bool


#: Panels side by side, legend on the right: a desktop content column.
WIDE = Layout("wide", width=0.0, panel_height=3.1, font=9, legend_font=8, stacked=False)
#: Panels stacked, legend below: 4.5 in is 324 user units, drawn about 1:1 in the
#: roughly 327-pixel content column of a 375-pixel phone, so 11.5-point text stays
#: above 11 pixels.
NARROW = Layout("narrow", width=4.5, panel_height=2.9, font=11.5, legend_font=11.5, stacked=True)
LAYOUTS = (WIDE, NARROW)

#: matplotlib's colours in the figures below, by role.
_ROLES = {"#ffffff": "bg", "#000000": "ink", "#444444": "ink", "#dddddd": "grid"}
_TAB10 = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
_ROLES.update({hex_: f"c{i}" for i, hex_ in enumerate(_TAB10)})


#: Each colour mode's colour for each role. Dark mode's series are lighter, for contrast
#: on the theme's near-black background; its face is transparent (the page shows).
def _palette(bg: str, ink: str, grid: str, series: tuple[str, ...]) -> dict[str, str]:
    return {"bg": bg, "ink": ink, "grid": grid, **{f"c{i}": c for i, c in enumerate(series)}}


# The ten series colours of each mode (tab10's order; the dark ones lighter, for contrast).
_LIGHT = "#1f77b4 #d95f02 #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #9a9b1c #17becf"
_DARK = "#6cb4f0 #ffa54f #6bd66b #ff7b7b #c3a6ec #d0a594 #f5a6dc #b5b5b5 #dcdc50 #5ad8e6"
PALETTES = {
    "light": _palette("#ffffff", "#222832", "#dddddd", tuple(_LIGHT.split())),
    "dark": _palette("none", "#ced6dd", "#3a4048", tuple(_DARK.split())),
}
MODES = tuple(PALETTES)


def rc_params(salt: str, layout: Layout) -> dict:
    """Return matplotlib settings for ``layout``: fonts, ids salted, no dates."""
    return {
        "svg.hashsalt": salt,
        "svg.fonttype": "none",
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans"],
        "font.size": layout.font,
        "axes.titlesize": layout.font + 1,
        "legend.fontsize": layout.legend_font,
    }


def themed(svg: str, mode: str) -> str:
    """Return matplotlib's SVG in colour mode ``mode``; drop its metadata.

    Every colour becomes the mode's colour for its role (:data:`PALETTES`); text, which
    matplotlib leaves black by omitting its fill, gets the mode's ink. A colour without
    a role is an error: it would not follow the reader's colour mode.
    """
    palette = PALETTES[mode]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)

    def swap(match: re.Match) -> str:
        colour = match.group(0).lower()
        if colour not in _ROLES:
            raise ValueError(f"chart colour {colour} has no role in portfolio.benchmarks.charts")
        return palette[_ROLES[colour]]

    svg = re.sub(r"#[0-9a-fA-F]{6}\b", swap, svg)
    return svg.replace('<text style="', f'<text style="fill: {palette["ink"]}; ')


def _prefix_ids(svg: str, prefix: str) -> str:
    """Prefix every element id (and each reference to it): two charts on one page share none.

    matplotlib numbers its groups ``figure_1``, ``axes_1``, ... in every SVG it writes.
    """
    ids = set(re.findall(r'\bid="([^"]+)"', svg))

    def swap(match: re.Match) -> str:
        name = match.group(2)
        return f"{match.group(1)}{prefix}-{name}" if name in ids else match.group(0)

    svg = re.sub(r'(\bid=")([^"]+)', swap, svg)
    return re.sub(r"((?:url\(|href=\")#)([^\")]+)", swap, svg)


def svg_text(fig, salt: str, layout: Layout) -> str:
    """Return ``fig`` as SVG text, its ids prefixed with ``salt`` (deterministic)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", facecolor="white", metadata={"Date": None})
    svg = buf.getvalue()
    return _prefix_ids(svg[svg.index("<svg") :], f"bench-{salt}-{layout.name}")


def style_axes(ax) -> None:
    """Give ``ax`` the charts' white face, black ink and light grid (themed later)."""
    ax.set_facecolor("white")
    ax.tick_params(colors="black")
    for side in ax.spines.values():
        side.set_color("#444444")


def add_legend(fig, layout: Layout, **kwargs) -> None:
    """Put the figure's legend beside the panels, or below them in the narrow layout."""
    if layout.stacked:
        fig.legend(loc="outside lower center", ncols=2, frameon=False, **kwargs)
    else:
        fig.legend(loc="outside right center", frameon=False, **kwargs)


def plain(value: float, _pos=None) -> str:
    """Format an axis value in plain numbers (``1,000``, ``0.5``), not powers of ten."""
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def new_figure(n_panels: int, layout: Layout, wide_width: float):
    """Return a figure and its ``n_panels`` axes, side by side or stacked by ``layout``."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    if layout.stacked:
        size = (layout.width, layout.panel_height * n_panels + 0.9)
    else:
        size = (wide_width, layout.panel_height)
    fig = Figure(figsize=size, facecolor="white", layout="constrained")
    FigureCanvasSVG(fig)
    rows, cols = (n_panels, 1) if layout.stacked else (1, n_panels)
    return fig, [fig.add_subplot(rows, cols, i + 1) for i in range(n_panels)]


class chart_figure(nodes.General, nodes.Element):  # noqa: N801 (docutils node naming)
    """A chart: its drawings (SVG text per layout and mode), alt text, caption and id."""


def chart(docname: str, rel: str, tag: str, draw, alt: str, caption: str) -> chart_figure:
    """Return the chart ``tag`` of results file ``rel`` on page ``docname``.

    ``draw(salt, layout)`` returns its SVG; the salt, which prefixes the SVG's ids, is the
    same in every build and differs between charts, files and pages.
    """
    salt = hashlib.sha1(f"{docname}:{rel}:{tag}".encode()).hexdigest()[:12]
    return figure_node(lambda layout: draw(salt, layout), alt, caption, f"bench-{tag}-{salt}")


def figure_node(draw, alt: str, caption: str, ident: str) -> chart_figure:
    """Return the chart node: ``draw(layout)`` returns the chart's SVG in that layout."""
    drawings = {}
    for layout in LAYOUTS:
        svg = draw(layout)
        for mode in MODES:
            drawings[f"{layout.name}-{mode}"] = themed(svg, mode)
    return chart_figure("", drawings=drawings, alt=alt, caption=caption, ident=ident)


def _size(svg: str) -> tuple[str, str]:
    """Return the drawing's width and height in CSS pixels (matplotlib writes points)."""
    width, height = (
        float(re.search(rf'\b{name}="([\d.]+)pt"', svg).group(1)) for name in ("width", "height")
    )
    return f"{width * 4 / 3:.0f}", f"{height * 4 / 3:.0f}"


def visit_chart_html(self, node: chart_figure) -> None:
    """Write the drawings to ``_images/charts/`` and the ``<figure>`` that shows one."""
    from sphinx.util.osutil import relative_uri

    folder = Path(self.builder.outdir) / CHART_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    page = self.builder.get_target_uri(self.builder.current_docname)
    alt = html.escape(node["alt"], quote=True)
    boxes = []
    for layout in LAYOUTS:
        images = []
        for mode in MODES:
            svg = node["drawings"][f"{layout.name}-{mode}"]
            name = f"{node['ident']}-{layout.name}-{mode}.svg"
            path = folder / name
            if not path.is_file() or path.read_text(encoding="utf-8") != svg:
                path.write_text(svg, encoding="utf-8")
            src = relative_uri(page, f"{CHART_FOLDER}/{name}")
            width, height = _size(svg)
            images.append(
                f'<img class="portfolio-chart-{mode} only-{mode}" src="{src}" alt="{alt}" '
                f'width="{width}" height="{height}" loading="lazy" decoding="async">'
            )
        boxes.append(
            f'<div class="portfolio-bench-svg portfolio-bench-{layout.name}">'
            + "".join(images)
            + "</div>\n"
        )
    self.body.append(
        f'<figure class="portfolio-bench-figure" id="{node["ident"]}">\n{"".join(boxes)}'
        f"<figcaption>{html.escape(node['caption'])}</figcaption>\n</figure>\n"
    )
    raise nodes.SkipNode


def skip_chart(self, node: chart_figure) -> None:
    """Other builders (text, LaTeX, ...) leave the chart out."""
    raise nodes.SkipNode


#: Where the drawings go, under the output folder.
CHART_FOLDER = "_images/charts"


def setup(app) -> None:
    """Register the chart node with its HTML writer (and a skip for other builders)."""
    app.add_node(
        chart_figure,
        html=(visit_chart_html, None),
        latex=(skip_chart, None),
        text=(skip_chart, None),
        man=(skip_chart, None),
        texinfo=(skip_chart, None),
    )


#: The charts' stylesheet: the layout switch. The narrow drawing shows when the figure
#: itself is under 40 rem wide (a container query), whatever the window's width. The
#: colour mode is the theme's own switch: pydata-sphinx-theme shows an ``only-dark``
#: image in dark mode only (and leaves it undimmed), an ``only-light`` one in light mode.
CSS = """\
.portfolio-bench-figure { container-type: inline-size; }
.portfolio-bench-svg { overflow-x: auto; border-radius: 4px; }
.portfolio-bench-svg img { display: block; max-width: 100%; height: auto; }
html[data-theme="light"] .portfolio-bench-svg { background: #ffffff; }
.portfolio-bench-narrow { display: none; }
@container (max-width: 40rem) {
  .portfolio-bench-wide { display: none; }
  .portfolio-bench-narrow { display: block; }
}
.portfolio-bench-figure figcaption { font-size: 0.9em; margin-top: 0.3rem; }
"""
