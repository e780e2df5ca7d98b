"""Budgets, provenance and the execution report of the demo notebooks.

- Every notebook page gets, before its first cell, a *budget box*: what running it costs
  (seconds and peak memory, measured by this build on this CPU) and its scale knobs beside
  the paper's full-scale values, read from the knobs cell tagged ``parameters``.
- Every notebook page ends with a *provenance footer*: seed, package versions, CPU model,
  commit and the date it ran.
- The build fails (a Sphinx error naming the notebook, the budget and the measured value)
  when a notebook runs longer than ``portfolio_budget_seconds`` or holds more than
  ``portfolio_budget_memory_mb`` at its peak.
- ``{execution-report}`` renders one row per notebook: run time and share of the budget,
  peak memory, how it ran (executed or from the cache) and when.
"""

from __future__ import annotations

from datetime import UTC, datetime

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from .notebooks import NotebookRecord, records
from .placeholders import NotebookPlaceholder, add_placeholder_directive
from .render import link, megabytes, table

logger = logging.getLogger(__name__)


def run_date(record: NotebookRecord) -> str:
    """When the notebook's outputs were computed, in UTC."""
    if record.executed_at is None:
        return "unknown"
    return datetime.fromtimestamp(record.executed_at, UTC).strftime("%Y-%m-%d %H:%M UTC")


def seconds(record: NotebookRecord) -> str:
    """Return the run time for people."""
    return "unknown" if record.runtime is None else f"{record.runtime:.1f} s"


def over_budget(record: NotebookRecord, config) -> list[str]:
    """Each budget the notebook exceeds, as a sentence (empty when within budget)."""
    problems = []
    if record.runtime is not None and record.runtime > config.portfolio_budget_seconds:
        problems.append(
            f"it ran {record.runtime:.1f} s, budget {config.portfolio_budget_seconds:g} s"
        )
    limit = config.portfolio_budget_memory_mb * 2**20
    if record.peak_bytes is not None and record.peak_bytes > limit:
        problems.append(
            f"its peak memory was {record.peak_bytes / 2**20:,.0f} MB, "
            f"budget {config.portfolio_budget_memory_mb:g} MB"
        )
    return problems


def check_budgets(app: Sphinx, env) -> None:
    """Log an error for every notebook over its time or memory budget (on every build).

    Cached notebooks are checked too: their record keeps the measurements of the run
    that produced their outputs.
    """
    app.portfolio_over_budget = []
    for record in sorted(records(env).values(), key=lambda r: r.docname):
        problems = over_budget(record, app.config)
        if problems:
            app.portfolio_over_budget.append(record.source)
            logger.error(
                f"notebook {record.source} is over its budget: {'; '.join(problems)}",
                type="portfolio",
                subtype="budget",
                location=record.docname,
            )


def fail_over_budget(app: Sphinx, exception: Exception | None) -> None:
    """Fail the build when a notebook is over budget, with or without ``-W``."""
    if exception is None and getattr(app, "portfolio_over_budget", None):
        app.statuscode = 1


def budget_box(app: Sphinx, record: NotebookRecord) -> nodes.container:
    """Build the box saying what running the notebook costs, with its knobs beside the paper's."""
    config = app.config
    box = nodes.container(classes=["portfolio-budget"])
    box += nodes.rubric("", "What running this costs")
    where = record.cpu or "this build's CPU"
    if record.cores:
        where += f", {record.cores} cores"
    para = nodes.paragraph()
    para += nodes.Text("Measured by this site's build: ")
    para += nodes.strong("", seconds(record))
    para += nodes.Text(" and ")
    para += nodes.strong("", megabytes(record.peak_bytes))
    para += nodes.Text(
        f" peak memory on {where} (budget: {config.portfolio_budget_seconds:g} s and "
        f"{config.portfolio_budget_memory_mb / 1024:g} GB, what a free Binder session offers; "
        "the build fails beyond it)."
    )
    box += para
    if record.knobs:
        intro = nodes.paragraph()
        intro += nodes.Text(
            "The scale knobs, shrunk from the paper's; edit them in the first cell below:"
        )
        box += intro
        rows = [
            [
                nodes.literal(k["name"], k["name"]),
                nodes.literal(k["value"], k["value"]),
                k["comment"] or "–",
            ]
            for k in record.knobs
        ]
        box += table(
            ["knob", "here", "paper's scale / meaning"],
            rows,
            classes=["portfolio-knobs"],
            stacked=True,
            widths=[2, 2, 6],
        )
    return box


def provenance_footer(record: NotebookRecord) -> nodes.container:
    """Seed, package versions, CPU, commit and run date of the outputs on the page."""
    footer = nodes.container(classes=["portfolio-provenance"])
    footer += nodes.rubric("", "Provenance")
    items = nodes.field_list()
    packages = (
        ", ".join(f"{name} {version}" for name, version in record.versions.items()) or "unknown"
    )
    cpu = (record.cpu or "unknown") + (f" ({record.cores} cores)" if record.cores else "")
    for name, value in (
        ("Seed", "none" if record.seed is None else str(record.seed)),
        ("Packages", packages),
        ("CPU", cpu),
        ("Commit", record.commit or "unknown"),
        (
            "Ran",
            f"{run_date(record)}, {seconds(record)} from kernel start to finish"
            + (" (outputs from the build's cache)" if record.from_cache else ""),
        ),
    ):
        field = nodes.field()
        field += nodes.field_name(name, name)
        body = nodes.field_body()
        body += nodes.paragraph(value, value)
        field += body
        items += field
    footer += items
    return footer


def decorate_notebook(app: Sphinx, doctree: nodes.document, record: NotebookRecord) -> None:
    """Put the budget box before the first cell and the provenance footer at the end."""
    first_cell = next((n for n in doctree.findall(nodes.container) if "cell" in n["classes"]), None)
    box = budget_box(app, record)
    if first_cell is not None:
        first_cell.parent.insert(first_cell.parent.index(first_cell), box)
    else:
        doctree.append(box)
    last_section = next(iter(doctree.findall(nodes.section)), doctree)
    last_section.append(provenance_footer(record))


class execution_report(nodes.General, nodes.Element):  # noqa: N801 (docutils node naming)
    """Placeholder for the execution report, filled in when the page is written."""


class ExecutionReportDirective(NotebookPlaceholder):
    """``{execution-report}``: every notebook's run time, memory and status."""

    placeholder = execution_report


def render_report(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Replace the placeholder with the table of this build's records."""
    config = app.config
    for placeholder in list(doctree.findall(execution_report)):
        rows = []
        for record in sorted(records(app.env).values(), key=lambda r: r.docname):
            share = (
                "–"
                if record.runtime is None
                else f"{record.runtime / config.portfolio_budget_seconds:.0%}"
            )
            problems = over_budget(record, config)
            status = nodes.inline(
                "",
                "over budget" if problems else ("ok" if record.succeeded else "failed"),
                classes=[
                    "portfolio-status",
                    "portfolio-fail" if problems or not record.succeeded else "portfolio-pass",
                ],
            )
            rows.append(
                [
                    link(app, docname, record.docname, record.title or record.docname),
                    status,
                    seconds(record),
                    share,
                    megabytes(record.peak_bytes),
                    "from the cache" if record.from_cache else "executed",
                    run_date(record),
                ]
            )
        intro = nodes.paragraph()
        intro += nodes.Text(
            f"Budget per notebook: {config.portfolio_budget_seconds:g} s of wall time "
            "(kernel start to "
            f"finish) and {config.portfolio_budget_memory_mb / 1024:g} GB of peak memory; "
            f"{len(rows)} notebooks in this build."
        )
        headers = [
            "notebook",
            "status",
            "run time",
            f"of the {config.portfolio_budget_seconds:g} s budget",
            "peak memory",
            "execution",
            "ran (UTC)",
        ]
        placeholder.replace_self(
            [intro, table(headers, rows, classes=["portfolio-report"], stacked=True)]
        )


def setup(app: Sphinx) -> dict:
    """Register budgets, provenance and the execution report."""
    app.setup_extension("portfolio.notebooks")
    add_placeholder_directive(app, "execution-report", ExecutionReportDirective, render_report)
    app.connect("env-check-consistency", check_budgets)
    app.connect("build-finished", fail_over_budget)
    app.connect("portfolio-notebook-read", decorate_notebook)
    return {"version": "0.1.0", "parallel_read_safe": True, "parallel_write_safe": True}
