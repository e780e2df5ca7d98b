"""The benchmark charts: matplotlib figures drawn at build time, inlined as themed SVG.

Each chart is drawn twice, in two layouts (:data:`WIDE`, panels side by side, and
:data:`NARROW`, panels stacked with the legend below), and both go into one
``<figure>``; the stylesheet (``_static/portfolio.css``) shows the narrow one on screens
under 40 rem. The narrow layout is sized so that its text renders at least 11 CSS pixels
tall in the content column of a 375-pixel phone.

The SVG carries no colour of its own: :func:`themed` swaps every colour matplotlib wrote
(white faces, black and grey ink, the light grid, the ``tab10`` series) for a CSS
variable (``--portfolio-chart-bg``, ``-ink``, ``-grid``, ``-c0`` ... ``-c9``), which the
stylesheet sets per colour mode. A dark page gets a dark chart, and the theme switcher
recolours it without a reload.

Charts are deterministic: the same data and salt give the same bytes (no dates, ids
prefixed with the salt so two charts on one page share none).
"""

from __future__ import annotations

import html
import io
import math
import re
from dataclasses import dataclass

from docutils import nodes

#: Marker shapes, one per method, in order.
MARKERS = "osD^vP*Xh<>"
#: The ways a trained SLIDE network predicts, and their legend labels.
SLIDE_PREDICTION_WAYS = ("exact", "lsh", "lsh_prior", "prior")
SLIDE_WAY_NAMES = {
    "exact": "exact (every class)",
    "lsh": "LSH candidates",
    "lsh_prior": "LSH + prior",
    "prior": "prior only",
}


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

#: matplotlib's colours in the figures below, and the CSS variable each becomes.
_INK = "var(--portfolio-chart-ink)"
_COLOURS = {
    "#ffffff": "var(--portfolio-chart-bg)",
    "#000000": _INK,
    "#444444": _INK,
    "#dddddd": "var(--portfolio-chart-grid)",
}
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
_COLOURS.update({hex_: f"var(--portfolio-chart-c{i})" for i, hex_ in enumerate(_TAB10)})


def _rc(salt: str, layout: Layout) -> dict:
    return {
        "svg.hashsalt": salt,
        "svg.fonttype": "none",
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans"],
        "font.size": layout.font,
        "axes.titlesize": layout.font + 1,
        "legend.fontsize": layout.legend_font,
    }


def themed(svg: str) -> str:
    """Replace every colour in matplotlib's SVG by its CSS variable; drop the metadata.

    Text, which matplotlib leaves black by omitting its fill, takes the ink colour from
    the stylesheet. A colour without a variable is an error: it would not follow the
    reader's colour mode.
    """
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)

    def swap(match: re.Match) -> str:
        colour = match.group(0).lower()
        if colour not in _COLOURS:
            raise ValueError(f"chart colour {colour} has no CSS variable in portfolio.charts")
        return _COLOURS[colour]

    return re.sub(r"#[0-9a-fA-F]{6}\b", swap, svg)


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


def _svg_text(fig, salt: str, layout: Layout) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", facecolor="white", metadata={"Date": None})
    svg = buf.getvalue()
    return themed(_prefix_ids(svg[svg.index("<svg") :], f"bench-{salt}-{layout.name}"))


def _style_axes(ax) -> None:
    ax.set_facecolor("white")
    ax.tick_params(colors="black")
    for side in ax.spines.values():
        side.set_color("#444444")


def _legend(fig, layout: Layout, **kwargs) -> None:
    if layout.stacked:
        fig.legend(loc="outside lower center", ncols=2, frameon=False, **kwargs)
    else:
        fig.legend(loc="outside right center", frameon=False, **kwargs)


def _plain(value: float, _pos=None) -> str:
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _series(problems: list[dict], field: str) -> dict[str, list[tuple[int, float]]]:
    """Per method, the (K, value) points of the problems where it finished."""
    out: dict[str, list[tuple[int, float]]] = {}
    for prob in sorted(problems, key=lambda p: p["n_classes"]):
        for row in prob["methods"]:
            points = out.setdefault(row["method"], [])
            value = row.get(field)
            if row["status"] == "ok" and _is_number(value) and value > 0:
                points.append((prob["n_classes"], float(value)))
    return out


def _figure(n_panels: int, layout: Layout, wide_width: float):
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


def chart_svg(problems: list[dict], panels, salt: str, layout: Layout = WIDE) -> str:
    """Draw log-log panels of ``field`` against K; return the SVG text.

    Parameters
    ----------
    problems : list of dict
        The validated problems.
    panels : sequence of (field, ylabel, scale)
        One panel per entry: the method field, its axis label and a factor
        applied to the values (e.g. bytes to MiB).
    salt : str
        Makes the SVG's element ids unique on the page and stable across builds.
    layout : Layout
        :data:`WIDE` (side by side) or :data:`NARROW` (stacked).
    """
    import matplotlib
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ks = sorted({p["n_classes"] for p in problems})
    methods = [row["method"] for row in problems[0]["methods"]]
    for prob in problems[1:]:
        methods += [r["method"] for r in prob["methods"] if r["method"] not in methods]
    colors = matplotlib.colormaps["tab10"].colors
    with matplotlib.rc_context(_rc(salt, layout)):
        fig, axes = _figure(len(panels), layout, 3.6 * len(panels))
        for ax, (field, label, scale) in zip(axes, panels, strict=True):
            series = _series(problems, field)
            all_vals: list[float] = []
            for m, method in enumerate(methods):
                pts = series.get(method, [])
                vals = [v * scale for _, v in pts]
                all_vals += vals
                line = ax.plot(
                    [k for k, _ in pts],
                    vals,
                    marker=MARKERS[m % len(MARKERS)],
                    color=colors[m % len(colors)],
                    linewidth=1.5,
                    markersize=5,
                )
                if ax is axes[0]:
                    line[0].set_label(method if pts else f"{method} (no result)")
            ax.set_xscale("log")
            ax.set_yscale("log")
            # Plain numbers, not powers of ten: ticks at the measured K, labelled 10,000.
            ax.xaxis.set_major_locator(FixedLocator(ks))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
            ax.xaxis.set_minor_locator(NullLocator())
            ax.yaxis.set_major_formatter(FuncFormatter(_plain))
            # Label the 2s, 3s and 5s between powers of ten when the data span little.
            narrow = all_vals and max(all_vals) / min(all_vals) < 30
            ax.yaxis.set_minor_formatter(
                FuncFormatter(
                    lambda v, _, narrow=narrow: (
                        _plain(v)
                        if narrow and round(v / 10 ** math.floor(math.log10(v)), 6) in (2, 3, 5)
                        else ""
                    )
                )
            )
            ax.tick_params(axis="x", labelrotation=30 if len(ks) > 2 else 0)
            ax.set_xlabel("number of labels K")
            ax.set_ylabel(label)
            ax.grid(True, which="major", color="#dddddd", linewidth=0.6)
            _style_axes(ax)
        _legend(fig, layout)
        return _svg_text(fig, salt, layout)


def _mean(values) -> float:
    return sum(values) / len(values)


def slide_chart_svg(data: dict, salt: str, layout: Layout = WIDE) -> str:
    """Three panels: seconds per epoch, peak memory (both per trainer), prediction trade-off."""
    import matplotlib
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, NullFormatter

    results = data["results"]
    names = list(results)
    colors = matplotlib.colormaps["tab10"].colors
    color = {name: colors[i % len(colors)] for i, name in enumerate(names)}
    with matplotlib.rc_context(_rc(salt, layout)):
        fig, (ax_t, ax_m, ax_p) = _figure(3, layout, 11.5)
        sep = "\n" if layout.stacked else " "
        ypos = list(range(len(names)))[::-1]
        per_epoch = [_mean(results[n]["epoch_seconds"]) for n in names]
        peak = [results[n]["peak_rss_bytes"] / 2**20 for n in names]
        # Time: a dot per trainer on a logarithmic axis, with a stem from the left edge.
        low = min(per_epoch) / 2
        ax_t.hlines(ypos, low, per_epoch, colors=[color[n] for n in names], linewidth=2)
        ax_t.scatter(per_epoch, ypos, color=[color[n] for n in names], zorder=3)
        ax_t.set_xscale("log")
        ax_t.set_xlim(low, max(per_epoch) * 2)
        ax_t.set_xlabel(f"seconds per epoch{sep}(logarithmic)")
        # Memory: bars on a linear axis, with the 4 GiB target.
        ax_m.barh(ypos, peak, color=[color[n] for n in names])
        ax_m.axvline(4096, color="black", linestyle="--", linewidth=1)
        ax_m.text(4096 * 0.98, ypos[0] + 0.55, "4 GiB target", ha="right", va="bottom")
        ax_m.set_ylim(-0.6, ypos[0] + 1.5)
        ax_m.set_xlim(0, max(max(peak), 4096) * 1.1)
        ax_m.set_xlabel("peak resident memory (MiB)")
        for ax in (ax_t, ax_m):
            ax.set_yticks(ypos, names)
            ax.grid(True, axis="x", color="#dddddd", linewidth=0.6)
        # Prediction: throughput against P@1 relative to exact scoring, per network and way.
        markers = dict(zip(SLIDE_PREDICTION_WAYS, "osD^", strict=True))
        for name in names:
            pred = results[name].get("prediction")
            if not isinstance(pred, dict):
                continue
            exact = pred["exact"]["p_at_1"] or 1.0
            for way in SLIDE_PREDICTION_WAYS:
                ax_p.plot(
                    [pred[way]["examples_per_s"]],
                    [pred[way]["p_at_1"] / exact],
                    marker=markers[way],
                    color=color[name],
                    linestyle="none",
                    markersize=6,
                    alpha=0.85,
                )
        ax_p.set_xscale("log")
        ax_p.axvline(2000, color="black", linestyle="--", linewidth=1)
        ax_p.axhline(0.98, color="black", linestyle=":", linewidth=1)
        ax_p.set_xlabel(f"prediction, examples per second{sep}(logarithmic)")
        ax_p.set_ylabel("P@1 / P@1 of exact scoring")
        ax_p.grid(True, color="#dddddd", linewidth=0.6)
        for ax in (ax_t, ax_p):
            ax.xaxis.set_major_formatter(FuncFormatter(_plain))
            ax.xaxis.set_minor_formatter(NullFormatter())
        for ax in (ax_t, ax_m, ax_p):
            _style_axes(ax)
        handles = [
            Line2D([], [], marker="s", color=color[n], linestyle="none", label=n) for n in names
        ] + [
            Line2D([], [], marker=markers[w], color="#444444", linestyle="none", label=label)
            for w, label in SLIDE_WAY_NAMES.items()
        ]
        _legend(fig, layout, handles=handles)
        return _svg_text(fig, salt, layout)


def figure_node(draw, alt: str, caption: str, ident: str) -> nodes.raw:
    """Return a ``<figure>`` holding the chart in every layout; each SVG is an image with alt text.

    ``draw(layout)`` returns the chart's SVG in that layout. The stylesheet shows one
    layout at a time, so a reader (and a screen reader) meets one image.
    """
    label = html.escape(alt, quote=True)
    drawings = "".join(
        f'<div class="portfolio-bench-svg portfolio-bench-{layout.name}">'
        + draw(layout).replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
        + "</div>\n"
        for layout in LAYOUTS
    )
    markup = (
        f'<figure class="portfolio-bench-figure" id="{ident}">\n{drawings}'
        f"<figcaption>{html.escape(caption)}</figcaption>\n</figure>\n"
    )
    return nodes.raw("", markup, format="html")


#: The charts' stylesheet: the colour variables per mode and the layout switch. The
#: narrow drawing shows when the figure itself is under 40 rem wide (a container query),
#: whatever the window's width.
CSS = """\
html, html[data-theme="light"] {
  --portfolio-chart-bg: #ffffff; --portfolio-chart-ink: #222832; --portfolio-chart-grid: #dddddd;
  --portfolio-chart-c0: #1f77b4; --portfolio-chart-c1: #d95f02; --portfolio-chart-c2: #2ca02c;
  --portfolio-chart-c3: #d62728; --portfolio-chart-c4: #9467bd; --portfolio-chart-c5: #8c564b;
  --portfolio-chart-c6: #e377c2; --portfolio-chart-c7: #7f7f7f; --portfolio-chart-c8: #9a9b1c;
  --portfolio-chart-c9: #17becf;
}
html[data-theme="dark"] {
  --portfolio-chart-bg: transparent; --portfolio-chart-ink: #ced6dd;
  --portfolio-chart-grid: #3a4048;
  --portfolio-chart-c0: #6cb4f0; --portfolio-chart-c1: #ffa54f; --portfolio-chart-c2: #6bd66b;
  --portfolio-chart-c3: #ff7b7b; --portfolio-chart-c4: #c3a6ec; --portfolio-chart-c5: #d0a594;
  --portfolio-chart-c6: #f5a6dc; --portfolio-chart-c7: #b5b5b5; --portfolio-chart-c8: #dcdc50;
  --portfolio-chart-c9: #5ad8e6;
}
.portfolio-bench-figure { container-type: inline-size; }
.portfolio-bench-svg {
  overflow-x: auto; border-radius: 4px; background: var(--portfolio-chart-bg);
}
.portfolio-bench-svg svg { display: block; max-width: 100%; height: auto; }
.portfolio-bench-svg text { fill: var(--portfolio-chart-ink); }
.portfolio-bench-narrow { display: none; }
@container (max-width: 40rem) {
  .portfolio-bench-wide { display: none; }
  .portfolio-bench-narrow { display: block; }
}
.portfolio-bench-figure figcaption { font-size: 0.9em; margin-top: 0.3rem; }
"""
