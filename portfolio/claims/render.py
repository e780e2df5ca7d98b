"""The claims on the page: the reproducibility table, each paper's rows, the list's badges.

- ``{claims-table}`` inserts a placeholder (option ``:paper: KEY`` for one paper's rows,
  with ``:benchmarks:`` for that paper's benchmark rows instead), filled when the page
  is written.
- A paper header and a publication card carry their paper's key (``portfolio_paper``, set
  by :mod:`portfolio.publications`): the header gets the paper's rows below it, the card a
  status badge linking to them.

Every status shown is looked up in the build's verdicts (:mod:`portfolio.claims.build`),
so a table row and a badge can never disagree.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx

from ..notebooks import records
from ..placeholders import NotebookPlaceholder
from ..render import link, table
from .build import (
    benchmark_claims_of,
    benchmark_statuses,
    claims_of,
    paper_status,
    paper_titles,
    verdicts_of,
)
from .evaluate import evaluate_benchmark, format_value, paper_value_text
from .loading import BenchmarkValue
from .schema import BASIS_TEXT, BenchmarkClaim, Claim


class claims_table(nodes.General, nodes.Element):  # noqa: N801 (docutils node naming)
    """Placeholder for a claims table (attribute ``paper``: one paper's rows, or all)."""


class ClaimsTableDirective(NotebookPlaceholder):
    """``{claims-table}``: the reproducibility table, optionally for one paper (``:paper: KEY``)."""

    option_spec = {"paper": directives.unchanged, "benchmarks": directives.flag}
    placeholder = claims_table

    def attributes(self) -> dict:
        """Check the options; the table also depends on the claims and the results files."""
        self.env.note_dependency(str(Path(self.env.srcdir, self.config.portfolio_claims_file)))
        for claim, _ in benchmark_claims_of(self.env.app):
            self.env.note_dependency(str(Path(self.env.srcdir, claim.results)))
        if "benchmarks" in self.options and not self.options.get("paper"):
            raise self.error(":benchmarks: needs :paper: (whose benchmark rows)")
        return {"paper": self.options.get("paper", ""), "benchmarks": "benchmarks" in self.options}


#: Badge colour of every status (sphinx-design's names), the same in tables and badges.
STATUS_COLORS = {
    "pass": "success",
    "claims hold": "success",
    "notebook claims hold": "success",
    "target met": "success",
    "target missed": "warning",
    "vacuous": "warning",
    "drifted": "danger",
    "notebook claims drifted": "danger",
    "missing": "danger",
    "refused": "danger",
}


def status_badge(status: str, text: str | None = None) -> nodes.inline:
    """Return a sphinx-design badge for a status."""
    color = STATUS_COLORS.get(status, "secondary")
    text = text or status
    return nodes.inline(
        text,
        text,
        classes=[
            "sd-sphinx-override",
            "sd-badge",
            f"sd-bg-{color}",
            f"sd-bg-text-{color}",
            "portfolio-claim-status",
        ],
    )


def paper_link(app: Sphinx, docname: str, key: str, *, full: bool = False) -> nodes.Node:
    """Return a link to a paper's page, else to its entry on the publications list."""
    title = paper_titles(app).get(key, key)
    short = title if full or len(title) <= 60 else title[:57].rsplit(" ", 1)[0] + " …"
    folder = app.config.portfolio_papers_dir
    if f"{folder}/{key}" in app.env.found_docs:
        return link(app, docname, f"{folder}/{key}", short)
    if f"{folder}/index" in app.env.found_docs:
        return link(app, docname, f"{folder}/index", short, anchor=nodes.make_id(key))
    return nodes.Text(short)


def claim_words(claim: Claim | BenchmarkClaim, anchor: str) -> nodes.paragraph:
    """Return the claim cell: the claim, our setting, the gap to the paper, the guard."""
    words = nodes.paragraph(ids=[anchor])
    words += nodes.Text(claim.claim)
    for label, text in (
        ("Here", claim.setting),
        ("Against the paper", claim.gap),
        ("The threshold guards against", getattr(getattr(claim, "timing", None), "guards", "")),
    ):
        if text:
            words += nodes.Text(" ")
            text = text.strip()
            end = "" if text.endswith((".", "?", "!", ")")) else "."
            words += nodes.emphasis("", f"{label}: {text}{end}")
    return words


def paper_value_cell(claim: Claim | BenchmarkClaim) -> nodes.paragraph:
    """Return the paper's value with its unit, then where the paper states it."""
    cell = nodes.paragraph()
    cell += nodes.Text(paper_value_text(claim))
    cell += nodes.Text(" ")
    cell += nodes.inline("", f"({claim.source})", classes=["portfolio-claim-source"])
    return cell


def claims_rows_table(
    app: Sphinx, docname: str, claims: list[Claim], *, show_paper: bool = True
) -> nodes.table:
    """Return the table of the given claims, as seen from page ``docname``.

    ``show_paper=False`` drops the paper column (on a paper's own page).
    """
    notebooks = records(app.env)
    folder = app.config.portfolio_notebooks_dir
    found = verdicts_of(app)
    rows = []
    seen_papers: set[str] = set()
    for claim in claims:
        record = notebooks.get(f"{folder}/{claim.notebook}")
        status, measured, criterion = found[claim.id]
        paper = nodes.inline()
        if claim.paper not in seen_papers:
            paper["ids"].append(f"claims-{nodes.make_id(claim.paper)}")
            seen_papers.add(claim.paper)
        paper += paper_link(app, docname, claim.paper)
        words = claim_words(claim, f"claim-{claim.id}")
        paper_value = paper_value_cell(claim)
        measured_cell = nodes.paragraph()
        measured_cell += (
            link(app, docname, record.docname, measured)
            if record is not None
            else nodes.Text(measured)
        )
        if claim.glue is not None:
            measured_cell += nodes.Text(" ")
            measured_cell += nodes.inline(
                "", f"({BASIS_TEXT[claim.basis]})", classes=["portfolio-claim-basis"]
            )
        rows.append([paper, words, paper_value, measured_cell, criterion, status_badge(status)])
    headers = ["paper", "claim", "paper's value", "this build", "holds if", "status"]
    widths = [3, 5, 4, 2, 2, 1]
    if not show_paper:
        rows, headers, widths = [r[1:] for r in rows], headers[1:], widths[1:]
    return table(
        headers,
        rows,
        classes=["portfolio-claims"],
        widths=widths,
        stacked=True,
    )


def benchmark_rows_table(
    app: Sphinx, rows: list[tuple[BenchmarkClaim, BenchmarkValue]]
) -> nodes.container:
    """Return the benchmark claims of one paper: a note on where they come from, and a table.

    The measured value comes from the committed results JSON named in the row, with the
    date and commit of that run; the build does not re-run these benchmarks.
    """
    block = nodes.container(classes=["portfolio-bench-claims-block"])
    note = nodes.paragraph(classes=["portfolio-bench-claims-note"])
    note += nodes.strong("", "Benchmark results")
    note += nodes.Text(
        ": measured by a committed benchmark run, not by this build; each value is read from "
        "the results file named in its row, run on the date and at the commit shown. A missed "
        "target is reported, not hidden."
    )
    block += note
    table_rows = []
    for claim, value in rows:
        status, measured, target = evaluate_benchmark(claim, value)
        words = claim_words(claim, f"bench-claim-{claim.id}")
        paper_value = paper_value_cell(claim)
        cell = nodes.paragraph()
        cell += nodes.Text(measured)
        if claim.control is not None and value.control is not None:
            cell += nodes.Text("; ")
            cell += nodes.strong("", f"control, {claim.control.label}: ")
            cell += nodes.Text(format_value(value.control, claim))
        cell += nodes.Text(" ")
        cell += nodes.inline(
            "",
            f"({claim.results}, {value.date[:10]}, commit {value.git_commit[:12]})",
            classes=["portfolio-claim-source"],
        )
        table_rows.append([words, paper_value, cell, target, status_badge(status)])
    block += table(
        ["benchmark claim", "paper's value", "measured (committed results)", "target", "result"],
        table_rows,
        classes=["portfolio-bench-claims"],
        widths=[5, 4, 3, 2, 1],
        stacked=True,
    )
    return block


def grouped_tables(app: Sphinx, docname: str, claims: list[Claim]) -> list[nodes.Node]:
    """Return one heading (anchor ``claims-<key>``, with status) and the tables of each paper.

    A paper's notebook claims come first; its benchmark claims follow in their own table.
    """
    out: list[nodes.Node] = []
    bench = benchmark_claims_of(app)
    papers = list(dict.fromkeys([c.paper for c in claims] + [c.paper for c, _ in bench]))
    for key in papers:
        heading = nodes.rubric(
            classes=["portfolio-claims-paper"], ids=[f"claims-{nodes.make_id(key)}"]
        )
        heading += paper_link(app, docname, key, full=True)
        for badge in paper_badges(app, key) or [status_badge("no demo")]:
            heading += nodes.Text(" ")
            heading += badge
        out.append(heading)
        mine = [c for c in claims if c.paper == key]
        if mine:
            out.append(claims_rows_table(app, docname, mine, show_paper=False))
        rows = [(c, v) for c, v in bench if c.paper == key]
        if rows:
            out.append(benchmark_rows_table(app, rows))
    return out


def paper_badges(app: Sphinx, key: str) -> list[nodes.inline]:
    """Return the badges of one paper: its notebook claims, then its benchmark targets.

    For example "notebook claims hold" and "benchmark targets 3 of 7 met", in the
    colours of the tables' status column (all met: success; any missed: warning). A
    target met vacuously (its control meets it too) does not count as met.
    """
    badges = []
    status = paper_status(app, key)
    if status != "no demo":
        status = "notebook claims hold" if status == "claims hold" else "notebook claims drifted"
        badges.append(status_badge(status))
    rows = benchmark_statuses(app, key)
    if rows:
        met = rows.count("target met")
        badges.append(
            status_badge(
                "target met" if met == len(rows) else "target missed",
                f"benchmark targets {met} of {len(rows)} met",
            )
        )
    return badges


def render(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Fill claims tables, add each paper page's rows and the list's status badges."""
    claims = claims_of(app)
    for placeholder in list(doctree.findall(claims_table)):
        key = placeholder["paper"]
        if key and placeholder.get("benchmarks"):
            rows = [(c, v) for c, v in benchmark_claims_of(app) if c.paper == key]
            placeholder.replace_self(
                benchmark_rows_table(app, rows)
                if rows
                else nodes.paragraph("", "No benchmark results are recorded for this paper.")
            )
        elif key:
            chosen = [c for c in claims if c.paper == key]
            placeholder.replace_self(
                claims_rows_table(app, docname, chosen, show_paper=False)
                if chosen
                else nodes.paragraph("", "No claims are re-measured for this paper.")
            )
        else:
            placeholder.replace_self(grouped_tables(app, docname, claims))
    repro = app.config.portfolio_reproducibility_page
    for element in list(doctree.findall(nodes.Element)):
        classes = element.get("classes", [])
        if "portfolio-paper-header" in classes:
            _paper_rows(app, docname, element, claims, repro)
        elif "portfolio-publication" in classes:
            _badge(app, docname, element, repro)


def _paper_rows(
    app: Sphinx, docname: str, header: nodes.Element, claims: list[Claim], repro: str
) -> None:
    key = header.get("portfolio_paper")
    mine = [c for c in claims if c.paper == key]
    if not mine:
        return
    block = nodes.container(classes=["portfolio-paper-claims"])
    block += nodes.rubric("", "Claims re-measured by the demo")
    block += claims_rows_table(app, docname, mine, show_paper=False)
    if repro in app.env.found_docs:
        more = nodes.paragraph()
        more += link(app, docname, repro, "Every paper's claims: the reproducibility table")
        block += more
    parent = header.parent
    index = parent.index(header) + 1
    while index < len(parent) and "portfolio-launch" in parent[index].get("classes", []):
        index += 1
    parent.insert(index, block)


def _badge(app: Sphinx, docname: str, card: nodes.Element, repro: str) -> None:
    key = card.get("portfolio_paper")
    if key is None:
        return
    badges = paper_badges(app, key)
    para = nodes.paragraph(classes=["portfolio-claims-badge"])
    para += nodes.Text("Reproducibility: ")
    if badges and repro in app.env.found_docs:
        ref = link(app, docname, repro, "", anchor=f"claims-{nodes.make_id(key)}")
        ref.children = []
        for index, badge in enumerate(badges):
            if index:
                ref += nodes.inline("", " · ", classes=["portfolio-claims-sep"])
            ref += badge
        ref["reftitle"] = "Reproducibility: " + " · ".join(b.astext() for b in badges)
        para += ref
    else:
        for index, badge in enumerate(badges or [status_badge("no demo")]):
            if index:
                para += nodes.inline("", " · ", classes=["portfolio-claims-sep"])
            para += badge
    body = next((c for c in card.children if "sd-card-body" in c.get("classes", [])), card)
    body += para
