"""The reproducibility table: each paper's claims, the paper's value and this build's value.

The claims live in ``portfolio_claims_file`` (``publications/claims.yaml``), one entry per
claim, validated with pydantic when the build starts. An entry names the paper (BibTeX
key), the notebook, the claim in the paper's words reduced to a number, the paper's value
and where the paper states it, the notebook's ``assert`` that checks it, the glue key of
the value the notebook measures, and the comparison that decides pass or fail. The
measured value is never typed in the file: it is read from the notebook's glued outputs.

Some claims cannot be re-measured while the site builds (peer libraries, minutes of
training at full scale): those live under ``benchmark_claims`` in the same file, and
name a committed benchmark results JSON and the JSON path of the measured value
(optionally divided by the value at a second path). They are shown apart, marked as
benchmark results with the file's date and commit, with pass or fail computed from
the JSON against the entry's target; a missing file, path or provenance stops the
build, naming the claims file, the entry and the field. A missed target does not:
it is a committed measurement, reported as it is.

The package, in the order a claim travels: :mod:`~portfolio.claims.schema` (the entries),
:mod:`~portfolio.claims.jsonpath` (places in a results file),
:mod:`~portfolio.claims.loading` (the file read, every problem named),
:mod:`~portfolio.claims.evaluate` (verdicts, without Sphinx),
:mod:`~portfolio.claims.build` (one build's claims, checked and judged once) and
:mod:`~portfolio.claims.render` (tables, rows and badges).

- ``{claims-table}`` renders every claim (option ``:paper: KEY`` for one paper's rows,
  with ``:benchmarks:`` for that paper's benchmark rows instead).
- Each paper page whose header names a paper with claims shows that paper's rows.
- Each entry of the publications list gets a status badge: *claims hold*, *drifted*
  (a measured value misses its comparison, or is missing), *no demo*, linking to its rows.
"""

from __future__ import annotations

from sphinx.application import Sphinx

from ..placeholders import add_placeholder_directive
from .build import (
    ClaimsFileError,
    benchmark_claims_of,
    check,
    check_benchmark_papers,
    claims_of,
    load,
    note_dependency,
    paper_status,
    paper_titles,
)
from .evaluate import (
    OPS,
    SYMBOLS,
    Status,
    evaluate,
    evaluate_benchmark,
    format_value,
    margin_bound,
    paper_value_text,
    threshold,
    timing_problem,
    verdicts,
)
from .jsonpath import json_path
from .loading import (
    BenchmarkValue,
    ClaimsError,
    load_benchmark_claims,
    load_claims,
    load_file,
    read_value,
)
from .render import ClaimsTableDirective, render, status_badge
from .schema import (
    BASIS_TEXT,
    MIN_MARGIN,
    MIN_REPEATS,
    TYPED_MEASUREMENT,
    BenchmarkClaim,
    BenchmarkControl,
    Claim,
    Timing,
)

__all__ = [
    "BASIS_TEXT",
    "MIN_MARGIN",
    "MIN_REPEATS",
    "OPS",
    "SYMBOLS",
    "TYPED_MEASUREMENT",
    "BenchmarkClaim",
    "BenchmarkControl",
    "BenchmarkValue",
    "Claim",
    "ClaimsError",
    "ClaimsFileError",
    "ClaimsTableDirective",
    "Status",
    "Timing",
    "benchmark_claims_of",
    "claims_of",
    "evaluate",
    "evaluate_benchmark",
    "format_value",
    "json_path",
    "load_benchmark_claims",
    "load_claims",
    "load_file",
    "margin_bound",
    "paper_status",
    "paper_titles",
    "paper_value_text",
    "read_value",
    "status_badge",
    "threshold",
    "timing_problem",
    "verdicts",
]


def setup(app: Sphinx) -> dict:
    """Register the claims file, the table and the per-paper rows and badges."""
    app.setup_extension("portfolio.notebooks")
    app.setup_extension("portfolio.launch")
    add_placeholder_directive(app, "claims-table", ClaimsTableDirective, render, priority=600)
    app.connect("builder-inited", load)
    app.connect("env-check-consistency", check)
    app.connect("env-check-consistency", check_benchmark_papers)
    app.connect("doctree-read", note_dependency)
    return {"version": "0.1.0", "parallel_read_safe": True, "parallel_write_safe": True}
