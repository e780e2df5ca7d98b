"""What every benchmark layout shares: numbers as text, a provenance sentence, a table.

A results table is a docutils table with a caption, one header row and a row per
measurement; each layout (:mod:`~portfolio.benchmarks.peers`,
:mod:`~portfolio.benchmarks.slide`) builds its rows and hands them to :func:`table`.
"""

from __future__ import annotations

from docutils import nodes

from .. import render


def mib(value) -> str:
    """Format bytes as MiB with one decimal, or a dash for a value not measured."""
    return "–" if value is None else f"{value / 2**20:,.1f}"


def num(value, digits: int) -> str:
    """Format a number with ``digits`` decimals and thousands separators, or a dash."""
    return "–" if value is None else f"{value:,.{digits}f}"


def mean(values) -> float:
    """Return the arithmetic mean of a non-empty sequence."""
    return sum(values) / len(values)


def provenance_paragraph(prov: dict, note: str) -> nodes.paragraph:
    """One sentence: when, where, which code and which libraries measured the results.

    The command is a literal, so ``--flags`` are not typeset as dashes; ``note``
    closes the paragraph (why the numbers are committed rather than measured).
    """
    versions = ", ".join(f"{k} {v}" for k, v in prov["versions"].items() if v)
    blas = "; ".join(
        f"{b['internal_api']} {b['version']} ({b['architecture']})" for b in prov["blas"]
    )
    dirty = prov.get("git_dirty") or []
    edits = f" plus uncommitted edits to {', '.join(dirty)}" if dirty else ""
    para = nodes.paragraph(classes=["portfolio-bench-provenance"])
    para += nodes.Text(
        f"Measured {prov['date']} on {prov['cpu']} ({prov['n_cpus']} CPUs) at commit "
        f"{str(prov['git_commit'])[:12]}{edits}, with {versions}; BLAS: {blas or 'none loaded'}. "
        "Command: "
    )
    para += nodes.literal(prov["command"], prov["command"])
    para += nodes.Text(f". {note}")
    return para


def table(
    title: str, head: list[str], rows: list[list[str]], classes: tuple[str, ...] = ()
) -> nodes.table:
    """Build a results table: a caption, a header row and ``rows``, in equal-width columns."""
    return render.table(
        head, rows, classes=list(classes), title=title, base="portfolio-bench-table"
    )
