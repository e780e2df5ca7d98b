"""Committed benchmark results on the site: ``{benchmark-results}``, one directive for all.

Some measurements cannot run while the site builds: the peer libraries of
``benchmarks/bench_peers.py`` (omikuji, napkinXC, PECOS) are not site dependencies, and
SLIDE at full width trains for minutes. Their results are committed as JSON, and one
directive renders such a file on a page, in the layout of its kind::

    ```{benchmark-results} /benchmarks/results/slide.json
    ```

Every layout opens with a provenance paragraph (date, CPU, commit, package versions,
BLAS kernel, command) and draws its charts with matplotlib at build time (SVG images
with alternative text, one drawing per layout and colour mode).

The package, in the order a file travels: :mod:`~portfolio.benchmarks.schema` (what
each kind must hold, checked before anything is rendered),
:mod:`~portfolio.benchmarks.directive` (the directive), the layouts
:mod:`~portfolio.benchmarks.peers` and :mod:`~portfolio.benchmarks.slide`, their
shared :mod:`~portfolio.benchmarks.tables` and :mod:`~portfolio.benchmarks.charts`.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx

from .charts import CSS as CHART_CSS
from .charts import setup as setup_charts
from .directive import BenchmarkResultsDirective
from .peers import chart_svg, comparison_table, parse_compare, parse_where
from .schema import (
    KINDS,
    METHOD_FIELDS,
    PROVENANCE_FIELDS,
    BenchmarkResultsError,
    load_results,
    validate_curves_results,
    validate_results,
    validate_slide_results,
)

__version__ = "0.1.0"
__all__ = [
    "KINDS",
    "METHOD_FIELDS",
    "PROVENANCE_FIELDS",
    "BenchmarkResultsDirective",
    "BenchmarkResultsError",
    "chart_svg",
    "comparison_table",
    "load_results",
    "parse_compare",
    "parse_where",
    "validate_curves_results",
    "validate_results",
    "validate_slide_results",
]

CSS = "portfolio-benchmarks.css"

#: The directive's stylesheet (written to ``_static/`` after an HTML build).
STYLESHEET = (
    CHART_CSS
    + ".portfolio-bench-provenance { font-size: 0.9em; color: var(--pst-color-text-muted); }\n"
)


def _write_css(app: Sphinx, exc) -> None:
    if exc is None and app.builder.format == "html":
        target = Path(app.outdir) / "_static" / CSS
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(STYLESHEET, encoding="utf-8")


def setup(app: Sphinx) -> dict:
    """Register the ``benchmark-results`` directive and its small stylesheet."""
    app.add_directive("benchmark-results", BenchmarkResultsDirective)
    setup_charts(app)
    app.add_css_file(CSS)
    app.connect("build-finished", _write_css)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
