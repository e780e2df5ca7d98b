"""Each claim's verdict: pass, drifted, missing or refused; target met, missed or vacuous.

Pure functions of a validated claim and what was measured (a notebook's glued values, or a
benchmark's value read from its results), with no Sphinx in sight, so the rules can be read
and tested alone. A timing claim is held to repeats and a noise margin
(:func:`timing_problem`) on top of its comparison.
"""

from __future__ import annotations

import math
import operator
import statistics
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from .loading import BenchmarkValue
from .schema import BENCH_COMPARISON, COMPARISON, MIN_REPEATS, BenchmarkClaim, Claim

if TYPE_CHECKING:
    from ..notebooks import NotebookRecord

OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq}
SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}

BenchStatus = Literal["target met", "target missed", "vacuous"]


def evaluate_benchmark(
    claim: BenchmarkClaim, value: BenchmarkValue
) -> tuple[BenchStatus, str, str]:
    """Status, measured value (as text) and target (as text) of one benchmark claim.

    ``vacuous``: the value meets the target, but so does its control (a prediction index
    that matches exact scoring where always predicting the same classes does too).
    """
    match = BENCH_COMPARISON.match(claim.holds_if)
    op, bound = match["op"], float(match["number"])
    text = format_value(value.value, claim)
    ok = OPS[op](value.value, bound)
    status: BenchStatus = "target met" if ok else "target missed"
    if ok and value.control is not None and OPS[op](value.control, bound):
        status = "vacuous"
    return status, text, f"{SYMBOLS[op]} {bound:g}"


def format_value(number: float, claim: Claim | BenchmarkClaim) -> str:
    """Return a measured value in the claim's format, with its unit."""
    return format(number, claim.format) + (
        f" {claim.unit}" if claim.unit and "%" not in claim.format else ""
    )


# -- Evaluating a claim against a build ---------------------------------------------------


def threshold(claim: Claim, glue: dict[str, Any]) -> tuple[str, float] | None:
    """Return the comparison's operator and number (None when a glue key is missing)."""
    match = COMPARISON.match(claim.holds_if or "")
    if match is None:
        return None
    if match["number"] is not None:
        return match["op"], float(match["number"])
    if match["key"] not in glue:
        return None
    value = float(glue[match["key"]]) * (float(match["factor"]) if match["factor"] else 1.0)
    value += float(match["offset"]) if match["offset"] else 0.0
    return match["op"], value


Status = Literal["pass", "drifted", "missing", "refused"]


def margin_bound(op: str, bound: float, margin: float) -> float:
    """Return the value a timing claim's median must reach: ``margin`` times clear of ``bound``."""
    return bound * margin if op in (">=", ">") else bound / margin


def timing_problem(claim: Claim, glue: dict[str, Any]) -> str | None:
    """Why the checker refuses a timing claim's measurement, or None when it may stand.

    A timing claim's value must be the median of at least :data:`MIN_REPEATS` repeated
    measurements glued under ``timing.repeats``, and that median must clear the threshold
    by ``timing.margin`` (at least twice): a value between the threshold and the margin
    sits within the noise of a shared machine, where a claim that holds today fails
    tomorrow.
    """
    assert claim.timing is not None
    repeats = glue.get(claim.timing.repeats)
    if not isinstance(repeats, list) or len(repeats) < MIN_REPEATS:
        count = len(repeats) if isinstance(repeats, list) else 0
        return (
            f"a timing claim needs at least {MIN_REPEATS} repeated measurements glued under "
            f"{claim.timing.repeats!r}; found {count}"
        )
    median = statistics.median(repeats)
    value = glue.get(claim.glue)
    if not isinstance(value, int | float) or not math.isclose(value, median, rel_tol=1e-9):
        return (
            f"the glued value {value!r} is not the median ({median:.6g}) of its "
            f"{len(repeats)} repeats under {claim.timing.repeats!r}"
        )
    op, bound = threshold(claim, glue) or (">=", math.nan)
    needed = margin_bound(op, bound, claim.timing.margin)
    if not OPS[op](median, needed):
        return (
            f"median {format(median, claim.format)} of {len(repeats)} repeats is within the "
            f"noise margin of its threshold {claim.holds_if}: a timing claim's median must "
            f"clear it {claim.timing.margin:g} times ({SYMBOLS[op]} "
            f"{format(needed, claim.format)}); make the effect larger or lower the threshold"
        )
    return None


def evaluate(claim: Claim, record: NotebookRecord | None) -> tuple[Status, str, str]:
    """Status, measured value (as text) and criterion (as text) of one claim in this build.

    ``refused`` is a timing claim whose measurement the checker does not accept (too few
    repeats, or a median within the noise margin of its threshold), whether or not it
    passes its comparison.
    """
    if record is None or not record.succeeded:
        return "missing", "not run", claim.holds_if or "the notebook's assert"
    if claim.glue is None:
        return "pass", "assert held", "the notebook's assert"
    if claim.glue not in record.glue:
        return "missing", "not glued", claim.holds_if or ""
    measured = record.glue[claim.glue]
    limit = threshold(claim, record.glue)
    try:
        number = float(measured)
    except (TypeError, ValueError):
        return "missing", str(measured), claim.holds_if or ""
    text = format_value(number, claim)
    if limit is None:
        return "missing", text, claim.holds_if or ""
    op, bound = limit
    criterion = f"{SYMBOLS[op]} {format(bound, claim.format)}"
    ok = not math.isnan(number) and OPS[op](number, bound)
    if claim.timing is not None:
        repeats = record.glue.get(claim.timing.repeats)
        count = len(repeats) if isinstance(repeats, list) else 0
        needed = margin_bound(op, bound, claim.timing.margin)
        criterion += (
            f" (median of {count} repeats; the checker refuses a median "
            f"{'below' if op in ('>=', '>') else 'above'} {format(needed, claim.format)})"
        )
        if timing_problem(claim, record.glue) is not None:
            return "refused", text, criterion
    return ("pass" if ok else "drifted"), text, criterion


def paper_value_text(claim: Claim) -> str:
    """Return the paper's value with its unit."""
    if claim.paper_value is None:
        return "no number"
    value = claim.paper_value
    text = f"{value:g}" if isinstance(value, float) else str(value)
    # The unit belongs to a quantity ("> 10 × faster", "7–10 × faster"); a value in words
    # or a formula ("O(log K); 6.4 billion parameters") stands without it.
    numeric = not isinstance(value, str) or text[:1].isdigit() or text[:1] in "<>≤≥~≈"
    return f"{text} {claim.unit}".strip() if claim.unit and numeric else text


Verdict = tuple[Status, str, str]


def verdicts(
    claims: Iterable[Claim], records: dict[str, NotebookRecord], folder: str
) -> dict[str, Verdict]:
    """Every claim's :func:`evaluate`, by claim id: computed once per build, looked up after.

    ``records`` maps notebook docnames (``<folder>/<name>``) to what their run recorded.
    """
    return {c.id: evaluate(c, records.get(f"{folder}/{c.notebook}")) for c in claims}


def notebook_status(statuses: Iterable[Status]) -> str:
    """``claims hold`` when every claim of a paper passes, else ``drifted``."""
    return "claims hold" if set(statuses) == {"pass"} else "drifted"
