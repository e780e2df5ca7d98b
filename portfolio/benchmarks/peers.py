"""The layout of ``bench_peers.py`` results: MACH against the label trees, K by K.

A table per problem (a row per method: status, training time, prediction time per 1,000
queries, P@1/P@3/P@5, model bytes, peak memory, threads), optionally a table of one
method's ratios to a reference with targets, and two charts (memory and time against the
number of labels K, logarithmic axes, a line per method).
"""

from __future__ import annotations

import math

from docutils import nodes

from ..claims.evaluate import OPS, SYMBOLS
from .charts import (
    MARKERS,
    WIDE,
    Layout,
    add_legend,
    chart,
    new_figure,
    plain,
    rc_params,
    style_axes,
    svg_text,
)
from .schema import BenchmarkResultsError, is_number
from .tables import mib, num, provenance_paragraph, table
from .targets import claims_for, ratio_targets

NOTE = "These are committed benchmark results: the peer libraries do not run while the site builds."

COLUMNS = (
    ("method", lambda r: r["method"]),
    ("status", lambda r: r["status"] if r["status"] == "ok" else f"{r['status']}: {r['reason']}"),
    ("train (s)", lambda r: num(r["train_s"], 2)),
    ("predict (ms / 1,000 queries)", lambda r: num(r["predict_ms_per_1k"], 1)),
    ("P@1", lambda r: num(r["p_at_1"], 3)),
    ("P@3", lambda r: num(r["p_at_3"], 3)),
    ("P@5", lambda r: num(r["p_at_5"], 3)),
    ("model on disk (MiB)", lambda r: mib(r["model_bytes"])),
    ("peak RSS (MiB)", lambda r: mib(r["peak_rss_bytes"])),
    ("threads (observed)", lambda r: f"{r['threads']} ({r['threads_observed'] or '–'})"),
)


def results_table(problem: dict) -> nodes.table:
    """Build a docutils table (with a caption) of one problem's method rows."""
    title = f"{problem['name']}: {problem['description']}"
    rows = [[cell(method) for _, cell in COLUMNS] for method in problem["methods"]]
    return table(title, [name for name, _ in COLUMNS], rows)


def _series(problems: list[dict], field: str) -> dict[str, list[tuple[int, float]]]:
    """Per method, the (K, value) points of the problems where it finished."""
    out: dict[str, list[tuple[int, float]]] = {}
    for prob in sorted(problems, key=lambda p: p["n_classes"]):
        for row in prob["methods"]:
            points = out.setdefault(row["method"], [])
            value = row.get(field)
            if row["status"] == "ok" and is_number(value) and value > 0:
                points.append((prob["n_classes"], float(value)))
    return out


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
    with matplotlib.rc_context(rc_params(salt, layout)):
        fig, axes = new_figure(len(panels), layout, 3.6 * len(panels))
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
            ax.yaxis.set_major_formatter(FuncFormatter(plain))
            # Label the 2s, 3s and 5s between powers of ten when the data span little.
            narrow = all_vals and max(all_vals) / min(all_vals) < 30
            ax.yaxis.set_minor_formatter(
                FuncFormatter(
                    lambda v, _, narrow=narrow: (
                        plain(v)
                        if narrow and round(v / 10 ** math.floor(math.log10(v)), 6) in (2, 3, 5)
                        else ""
                    )
                )
            )
            ax.tick_params(axis="x", labelrotation=30 if len(ks) > 2 else 0)
            ax.set_xlabel("number of labels K")
            ax.set_ylabel(label)
            ax.grid(True, which="major", color="#dddddd", linewidth=0.6)
            style_axes(ax)
        add_legend(fig, layout)
        return svg_text(fig, salt, layout)


def charts(problems: list[dict], rel: str, docname: str) -> list[nodes.Node]:
    """Draw the memory-versus-K and time-versus-K figures of a results file."""
    names = sorted({r["method"] for p in problems for r in p["methods"]})
    ks = sorted({p["n_classes"] for p in problems})
    sizes = ", ".join(f"{k:,}" for k in ks)
    out = []
    specs = (
        (
            "memory",
            (
                ("model_bytes", "model on disk (MiB)", 2**-20),
                ("peak_rss_bytes", "peak resident memory (MiB)", 2**-20),
            ),
            "Memory against the number of labels K, both axes logarithmic: model size on disk "
            "(first panel) and peak resident memory of the process that trained and predicted "
            "(second), "
            "one line per method. A method without a point at some K did not finish there; the "
            "tables say why.",
        ),
        (
            "time",
            (
                ("train_s", "training time (s)", 1.0),
                ("predict_ms_per_1k", "prediction (ms per 1,000 queries)", 1.0),
            ),
            "Time against the number of labels K, both axes logarithmic: training time (first "
            "panel) and prediction time per 1,000 queries (second), one line per method.",
        ),
    )
    for kind, panels, caption in specs:
        alt = (
            f"Log-log line charts of {' and '.join(label for _, label, _ in panels)} against the "
            f"number of labels K ({sizes}) for the methods {', '.join(names)}."
        )
        out.append(
            chart(
                docname,
                rel,
                kind,
                lambda salt, layout, panels=panels: chart_svg(problems, panels, salt, layout),
                alt,
                caption,
            )
        )
    return out


# -- a method against a reference, with targets ---------------------------------------------

RATIO_FIELDS = (
    ("train_s", "training time"),
    ("predict_ms_per_1k", "prediction time"),
    ("model_bytes", "model size"),
    ("peak_rss_bytes", "peak memory"),
    ("p_at_1", "P@1"),
    ("p_at_5", "P@5"),
)


def parse_compare(text: str) -> tuple[str, str]:
    """Split ``"A / B"`` into ``("A", "B")``: method A measured against reference B."""
    parts = [p.strip() for p in text.split("/")]
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"expected 'method / reference', got {text!r}")
    return parts[0], parts[1]


def parse_where(text: str) -> tuple[str, str]:
    """``"law=topical"`` -> ``("law", "topical")``."""
    field, sep, value = (text or "").partition("=")
    if not sep or not field.strip() or not value.strip():
        raise ValueError(f"expected 'field=value', got {text!r}")
    return field.strip(), value.strip()


def comparison_table(problems, method: str, reference: str, targets) -> nodes.table:
    """Build a table of ``method / reference`` ratios per problem, and which targets hold."""
    labels = dict(RATIO_FIELDS)
    head = ["problem", *(f"{label} ratio" for _, label in RATIO_FIELDS)]
    if targets:
        head.append("targets")
    title = f"{method} relative to {reference}: each ratio is {method} / {reference}"
    if targets:
        title += "; targets: " + ", ".join(
            f"{labels[f]} {SYMBOLS[op]} {v:.3g}" for f, op, v in targets
        )
    body = []
    for prob in problems:
        rows = {r["method"]: r for r in prob["methods"]}
        a, b = rows.get(method), rows.get(reference)
        cells = [prob["name"]]
        if not a or not b or a["status"] != "ok" or b["status"] != "ok":
            missing = [
                f"{name}: {row['status'] if row else 'not run'}"
                for name, row in ((method, a), (reference, b))
                if not row or row["status"] != "ok"
            ]
            cells += ["–"] * len(RATIO_FIELDS)
            if targets:
                cells.append("not measured (" + "; ".join(missing) + ")")
            body.append(cells)
            continue
        ratios = {f: a[f] / b[f] if b[f] else math.inf for f, _ in RATIO_FIELDS}
        cells += [f"{ratios[f]:.2f}×" for f, _ in RATIO_FIELDS]
        if targets:
            verdicts = [
                f"{labels[f]} {SYMBOLS[op]} {v:.3g}: "
                + ("holds" if OPS[op](ratios[f], v) else "fails")
                for f, op, v in targets
            ]
            cells.append("; ".join(verdicts))
        body.append(cells)
    return table(title, head, body, ("portfolio-bench-compare",))


def render(directive, rel: str, data: dict) -> list[nodes.Node]:
    """Lay out a ``peers`` file: provenance, a table per problem, ratios, charts.

    ``directive`` is the ``benchmark-results`` directive; its options are documented
    there. Raises :class:`~portfolio.benchmarks.schema.BenchmarkResultsError` when an
    option names what the file does not have.
    """
    options = directive.options
    if "where" in options:
        field, value = options["where"]
        kept = [p for p in data["problems"] if str(p.get(field)) == value]
        if not kept:
            raise BenchmarkResultsError(
                f"{rel}: :where: {field}={value} matches none of its "
                f"{len(data['problems'])} problems"
            )
        data = {**data, "problems": kept}
    container = nodes.container(classes=["portfolio-bench"])
    container += provenance_paragraph(data["provenance"], NOTE)
    for problem in data["problems"]:
        container += results_table(problem)
    if "compare" in options:
        method, reference = options["compare"]
        known = {r["method"] for p in data["problems"] for r in p["methods"]}
        for name in (method, reference):
            if name not in known:
                raise BenchmarkResultsError(
                    f"{rel}: :compare: names method {name!r}, which the file does not "
                    f"have (it has {', '.join(sorted(known))})"
                )
        targets = ratio_targets(claims_for(directive.env, rel), method, reference, rel)
        unknown = [f for f, _, _ in targets if f not in dict(RATIO_FIELDS)]
        if unknown:
            raise BenchmarkResultsError(
                f"{rel}: the claims set a target on {unknown[0]!r}, which the comparison of "
                f"{method} / {reference} does not show (it shows "
                f"{', '.join(f for f, _ in RATIO_FIELDS)})"
            )
        container += comparison_table(data["problems"], method, reference, targets)
    if "no-charts" not in options:
        container.extend(charts(data["problems"], rel, directive.env.docname))
    return [container]
