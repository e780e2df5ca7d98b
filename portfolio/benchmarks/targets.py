"""The targets a results file is judged against: read from the claims file, never typed here.

Every target is written once, as a benchmark claim in ``portfolio_claims_file``
(:mod:`portfolio.claims`), which the reproducibility table and the badges read. The
benchmark layouts read the same claims: the peers' comparison table judges each ratio
against the claims that compare its two methods, and the SLIDE chart draws its target
lines where the claims put them. A site without a claims file gets tables and charts
without targets.
"""

from __future__ import annotations

import re

from ..claims.schema import BENCH_COMPARISON, BenchmarkClaim
from .schema import BenchmarkResultsError

#: A place in a peers file: ``problems[id=P].methods[method=M].field``.
_METHOD_FIELD = re.compile(
    r"^problems\[(?P<key>\w+)=(?P<problem>[^\]]+)\]\.methods\[method=(?P<method>[^\]]+)\]"
    r"\.(?P<field>\w+)$"
)
_FLIP = {">=": "<=", "<=": ">=", ">": "<", "<": ">", "==": "=="}


def claims_for(env, rel: str) -> list[BenchmarkClaim]:
    """Return the benchmark claims whose results file is ``rel`` (relative to the source folder)."""
    loaded = getattr(env.app, "portfolio_benchmark_claims", [])
    return [claim for claim, _ in loaded if claim.results == rel]


def bound(claim: BenchmarkClaim) -> tuple[str, float]:
    """Return a claim's target as ``(operator, number)``, in the results file's own unit."""
    match = BENCH_COMPARISON.match(claim.holds_if)
    return match["op"], float(match["number"]) / claim.scale


def ratio_targets(
    claims: list[BenchmarkClaim], method: str, reference: str, rel: str
) -> list[tuple[str, str, float]]:
    """Return the targets of ``method / reference`` ratios, ``[(field, op, value), ...]``.

    A claim stated the other way round (``reference / method >= 3``) is turned around
    (``method / reference <= 1/3``). Claims on several problems must agree per field;
    the order is the claims file's.
    """
    found: dict[str, tuple[str, float]] = {}
    for claim in claims:
        a = _METHOD_FIELD.match(claim.value_at)
        b = _METHOD_FIELD.match(claim.relative_to or "")
        if not a or not b or a["field"] != b["field"] or a["problem"] != b["problem"]:
            continue
        op, value = bound(claim)
        if (a["method"], b["method"]) == (method, reference):
            target = (op, value)
        elif (a["method"], b["method"]) == (reference, method) and value:
            target = (_FLIP[op], 1.0 / value)
        else:
            continue
        field = a["field"]
        if field in found and abs(found[field][1] - target[1]) > 1e-12 * abs(target[1]):
            raise BenchmarkResultsError(
                f"{rel}: the claims give {field} two targets for {method} / {reference}: "
                f"{found[field][0]} {found[field][1]:.3g} and {target[0]} {target[1]:.3g} "
                f"(claim {claim.id!r})"
            )
        found.setdefault(field, target)
    return [(field, op, value) for field, (op, value) in found.items()]


def value_target(claims: list[BenchmarkClaim], value_at: str) -> tuple[str, float] | None:
    """Return the target of the claim whose value is at ``value_at`` (a regular expression)."""
    for claim in claims:
        if claim.relative_to is None and re.fullmatch(value_at, claim.value_at):
            return bound(claim)
    return None
