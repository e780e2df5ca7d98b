"""Reading the claims file and the committed results its benchmark claims name.

The file is read with the data family's strict YAML loader (a key given twice is refused),
each entry is validated against :mod:`portfolio.claims.schema`, and every failure becomes a
:class:`~portfolio.errors.Problem` naming the file and line, the claim and the field. All of
a file's problems are collected before :class:`ClaimsError` is raised, so the owner sees
every mistake at once. A benchmark claim's value is read here too, from its results JSON
(read by the same family's strict JSON loader): a missing file, path or provenance is a
problem of that claim's field, while a missed target is not (it is a measurement).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import Problem, load_json, load_yaml
from .jsonpath import json_path
from .schema import BENCH_PROVENANCE, BenchmarkClaim, Claim

SUBTYPE = "claims"


class ClaimsError(ValueError):
    """A claims file that cannot be used; each problem names file, line, entry and field."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class BenchmarkValue(BaseModel):
    """What a benchmark claim reads from its results file."""

    model_config = ConfigDict(frozen=True)

    value: float
    date: str
    git_commit: str
    control: float | None = None


def section_lines(path: Path, section: str) -> list[int]:
    """Line number of each entry under ``section`` (for messages); empty if unreadable."""
    try:
        root = yaml.compose(path.read_text("utf8"))
    except (OSError, yaml.YAMLError):
        return []
    for key, value in getattr(root, "value", []) if isinstance(root, yaml.MappingNode) else []:
        if key.value == section and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _document(path: Path, label: str) -> dict:
    raw, problems = load_yaml(path, label)
    if problems:
        raise ClaimsError([_as_claims_problem(p) for p in problems])
    if not isinstance(raw, dict):
        message = "expected a mapping with a list under 'claims'"
        raise ClaimsError([Problem(label, None, None, message, SUBTYPE)])
    return raw


def _as_claims_problem(problem: Problem) -> Problem:
    # load_yaml reports a repeated key as an entry; in this file it is a YAML key.
    if problem.subtype == "duplicate":
        return Problem(
            problem.file, problem.key, None, problem.message, "duplicate", problem.line, "key"
        )
    return problem


def _validated(
    model: type[BaseModel], entries: list, lines: list[int], label: str, noun: str
) -> tuple[list[tuple[int, Any]], list[Problem]]:
    """Validate each entry; return ``(index, model)`` pairs and the problems."""
    out, problems = [], []
    for index, entry in enumerate(entries):
        name = entry.get("id", f"#{index + 1}") if isinstance(entry, dict) else f"#{index + 1}"
        line = lines[index] if index < len(lines) else None
        try:
            out.append((index, model.model_validate(entry)))
        except ValidationError as error:
            for item in error.errors():
                field = ".".join(str(part) for part in item["loc"]) or "(entry)"
                message = item["msg"].removeprefix("Value error, ")
                problems.append(Problem(label, str(name), field, message, SUBTYPE, line, noun))
    return out, problems


def _used_twice(label: str, noun: str, key: str, line: int | None) -> Problem:
    return Problem(label, key, "id", "used twice", SUBTYPE, line, noun)


def _notebook_claims(raw: dict, path: Path, label: str) -> tuple[list[Claim], list[Problem]]:
    if not isinstance(raw.get("claims"), list):
        message = "expected a mapping with a list under 'claims'"
        return [], [Problem(label, None, None, message, SUBTYPE)]
    lines = section_lines(path, "claims")
    validated, problems = _validated(Claim, raw["claims"], lines, label, "claim")
    seen: set[str] = set()
    for index, claim in validated:
        if claim.id in seen:
            line = lines[index] if index < len(lines) else None
            problems.append(_used_twice(label, "claim", claim.id, line))
        seen.add(claim.id)
    return [claim for _, claim in validated], problems


def load_claims(path: Path, label: str | None = None) -> list[Claim]:
    """Read and validate a claims file's notebook claims.

    Raises :class:`ClaimsError` naming file, line, claim and field of every problem.
    """
    label = label or str(path)
    claims, problems = _notebook_claims(_document(path, label), path, label)
    if problems:
        raise ClaimsError(problems)
    return claims


# -- Benchmark claims: measured values read from committed results JSON -------------------


class _FieldProblem(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def _results(claim: BenchmarkClaim, root: Path, cache: dict) -> Any:
    if claim.results not in cache:
        path = root / claim.results
        if not path.is_file():
            cache[claim.results] = _FieldProblem("results", f"no results file {claim.results}")
        else:
            data, problems = load_json(path, claim.results)
            cache[claim.results] = (
                _FieldProblem("results", f"{problems[0].where}: {problems[0].what}")
                if problems
                else data
            )
    data = cache[claim.results]
    if isinstance(data, _FieldProblem):
        raise data
    return data


def read_value(claim: BenchmarkClaim, root: Path, cache: dict | None = None) -> BenchmarkValue:
    """Read a benchmark claim's measured value (and its control's) from its results file.

    ``cache`` maps results paths to their parsed documents, so a file named by several
    claims is read once. Raises ``_FieldProblem`` naming the claim's field at fault.
    """
    data = _results(claim, root, {} if cache is None else cache)
    prov = data.get("provenance") if isinstance(data, dict) else None
    missing = [f for f in BENCH_PROVENANCE if not (isinstance(prov, dict) and prov.get(f))]
    if missing:
        raise _FieldProblem(
            "results",
            f"{claim.results}: provenance lacks {', '.join(repr(f) for f in missing)} "
            "(a benchmark row must say when and at which commit it was measured)",
        )
    value = _ratio_at(data, claim.results, claim.value_at, claim.relative_to, "")
    control = None
    if claim.control is not None:
        control = _ratio_at(
            data, claim.results, claim.control.value_at, claim.control.relative_to, "control."
        )
    return BenchmarkValue(
        value=value * claim.scale,
        control=None if control is None else control * claim.scale,
        date=str(prov["date"]),
        git_commit=str(prov["git_commit"]),
    )


def _ratio_at(data: Any, results: str, value_at: str, relative_to: str | None, prefix: str):
    """Return the number at ``value_at``, divided by the one at ``relative_to`` when given."""
    numbers = []
    for field, where in (("value_at", value_at), ("relative_to", relative_to)):
        if where is None:
            continue
        try:
            value = json_path(data, where)
        except KeyError as error:
            raise _FieldProblem(
                prefix + field, f"{results} has no {where!r}: {error.args[0]}"
            ) from None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise _FieldProblem(
                prefix + field, f"{results} at {where!r} holds {value!r}, not a finite number"
            )
        numbers.append(float(value))
    if len(numbers) == 2 and numbers[1] == 0:
        raise _FieldProblem(prefix + "relative_to", f"{results} at {relative_to!r} is zero")
    return numbers[0] / numbers[1] if len(numbers) == 2 else numbers[0]


def _benchmark_claims(
    raw: dict, path: Path, root: Path, label: str
) -> tuple[list[tuple[BenchmarkClaim, BenchmarkValue]], list[Problem]]:
    entries = raw.get("benchmark_claims", [])
    if not isinstance(entries, list):
        return [], [Problem(label, None, None, "expected a list under 'benchmark_claims'", SUBTYPE)]
    noun = "benchmark claim"
    lines = section_lines(path, "benchmark_claims")
    validated, problems = _validated(BenchmarkClaim, entries, lines, label, noun)
    out, cache = [], {}
    seen = {c.get("id") for c in raw.get("claims") or [] if isinstance(c, dict)}
    for index, claim in validated:
        line = lines[index] if index < len(lines) else None
        if claim.id in seen:
            problems.append(_used_twice(label, noun, claim.id, line))
        seen.add(claim.id)
        try:
            out.append((claim, read_value(claim, root, cache)))
        except _FieldProblem as error:
            problems.append(
                Problem(label, claim.id, error.field, error.message, SUBTYPE, line, noun)
            )
    return out, problems


def load_benchmark_claims(
    path: Path, root: Path, label: str | None = None
) -> list[tuple[BenchmarkClaim, BenchmarkValue]]:
    """Read the ``benchmark_claims`` of a claims file and their values from the results JSON.

    Parameters
    ----------
    path : Path
        The claims file.
    root : Path
        The directory ``results`` paths are relative to (the site's source directory).
    label : str, optional
        The claims file's name in messages.

    Returns
    -------
    list of (BenchmarkClaim, BenchmarkValue)
        Empty when the file has no ``benchmark_claims``.

    Raises
    ------
    ClaimsError
        One problem per mistake, naming the file and line, the entry and the field.
    """
    label = label or str(path)
    out, problems = _benchmark_claims(_document(path, label), path, root, label)
    if problems:
        raise ClaimsError(problems)
    return out


def load_file(
    path: Path, root: Path, label: str | None = None
) -> tuple[list[Claim], list[tuple[BenchmarkClaim, BenchmarkValue]]]:
    """Read both sections of a claims file at once, reporting every problem of either."""
    label = label or str(path)
    raw = _document(path, label)
    claims, problems = _notebook_claims(raw, path, label)
    bench, found = _benchmark_claims(raw, path, root, label)
    if problems + found:
        raise ClaimsError(problems + found)
    return claims, bench
