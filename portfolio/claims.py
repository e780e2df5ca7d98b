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

- ``{claims-table}`` renders every claim (option ``:paper: KEY`` for one paper's rows,
  with ``:benchmarks:`` for that paper's benchmark rows instead).
- Each paper page whose header names a paper with claims shows that paper's rows.
- Each entry of the publications list gets a status badge: *claims hold*, *drifted*
  (a measured value misses its comparison, or is missing), *no demo*, linking to its rows.
"""

from __future__ import annotations

import json
import math
import operator
import re
import statistics
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from docutils import nodes
from docutils.parsers.rst import directives
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from .errors import PortfolioStop, stop_build
from .notebooks import NotebookRecord, depends_on_notebooks, link, records, table

logger = logging.getLogger(__name__)

#: Field names that would hold a hand-typed measured value; the schema refuses them.
TYPED_MEASUREMENT = ("measured", "measured_value", "measurement", "result", "value")

_COMPARISON = re.compile(
    r"^(?P<op>>=|<=|>|<|==)\s*(?:(?P<number>[-+]?[0-9.]+(?:e[-+]?\d+)?)"
    r"|glue:(?P<key>[A-Za-z_][\w.-]*)(?:\s*\*\s*(?P<factor>[-+]?[0-9.]+(?:e[-+]?\d+)?))?"
    r"(?:\s*\+\s*(?P<offset>[-+]?[0-9.]+(?:e[-+]?\d+)?))?)$"
)
_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq}
_SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}


def _needs_gap(value: str, info: ValidationInfo) -> str:
    if info.data.get("paper_value") is not None and not value:
        raise ValueError(
            "a claim with a paper value needs 'gap': how our criterion differs from the "
            "paper's value, in words"
        )
    return value


def _number_format(value: str) -> str:
    try:
        format(1.5, value)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a number format ({error})") from None
    return value


#: How a claim's value comes about (shown in its row).
#:   measured  measured by the notebook's run and deterministic for its seed (an accuracy)
#:   counted   counted in the run: work done, parameters, neurons computed (deterministic)
#:   computed  a formula evaluated (at the paper's size, say), not a measurement
#:   timing    a ratio of repeated CPU-time measurements: noisy, so it needs repeats and margin
Basis = Literal["measured", "counted", "computed", "timing"]
BASIS_TEXT = {
    "measured": "measured",
    "counted": "counted",
    "computed": "computed from a formula",
    "timing": "timed",
}
#: A timing claim needs at least this many repeats, and its median at least ``margin`` times
#: its threshold: a value between the threshold and that margin is within the noise of a
#: shared machine and the checker refuses it.
MIN_REPEATS = 5
MIN_MARGIN = 2.0


class Timing(BaseModel):
    """What makes a timing claim trustworthy: repeats, a margin, and what it guards against."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    repeats: str = Field(
        pattern=r"^[A-Za-z_][\w.-]*$",
        description="glue key of the list of repeated measurements (the value is their median)",
    )
    guards: str = Field(min_length=1, description="what the threshold guards against")
    margin: float = Field(
        MIN_MARGIN, ge=MIN_MARGIN, description="the median must clear the threshold this many times"
    )


class Claim(BaseModel):
    """One claim of one paper, re-measured by one notebook."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", description="slug, unique in the file")
    paper: str = Field(min_length=1, description="BibTeX key of the paper")
    notebook: str = Field(
        pattern=r"^[A-Za-z0-9_-]+$", description="notebook name under the notebooks folder"
    )
    claim: str = Field(
        min_length=1, description="the claim in the paper's words, reduced to a number"
    )
    paper_value: float | str | None = Field(
        description="the paper's value (None: the paper gives no number)"
    )
    unit: str = ""
    source: str = Field(min_length=1, description="where the paper states the value")
    setting: str = Field(
        "", description="how the notebook's laptop setting differs from the paper's"
    )
    asserts: str = Field(
        min_length=1, description="text of the notebook's assert message, claim '...'"
    )
    glue: str | None = Field(
        description="glue key of the measured value (None: the assert alone decides)"
    )
    holds_if: str | None = Field(
        None, description="comparison deciding pass: '>= 20', '<= glue:key', ..."
    )
    format: str = Field(".3g", description="format spec of the measured value")
    basis: Basis = Field(
        "measured",
        description="how the value is obtained: measured, counted, computed or timing",
    )
    gap: str = Field(
        "",
        validate_default=True,
        description="how our criterion differs from the paper's value, in words",
    )
    timing: Timing | None = Field(
        None,
        validate_default=True,
        description="for basis 'timing': the glued repeats and what the threshold guards",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_typed_measurement(cls, data: Any) -> Any:
        if isinstance(data, dict):
            typed = [name for name in TYPED_MEASUREMENT if name in data]
            if typed:
                raise ValueError(
                    f"field {typed[0]!r} types a measured value by hand; "
                    "measured values are read from the "
                    "notebook: name its glue key in 'glue'"
                )
        return data

    @field_validator("gap", mode="after")
    @classmethod
    def _gap(cls, value: str, info: ValidationInfo) -> str:
        return _needs_gap(value, info)

    @field_validator("timing", mode="after")
    @classmethod
    def _timing(cls, value: Timing | None, info: ValidationInfo) -> Timing | None:
        if (info.data.get("basis") == "timing") != (value is not None):
            raise ValueError(
                "a claim with basis 'timing' needs 'timing' (its glued repeats and what its "
                "threshold guards against), and only such a claim may have one"
            )
        if value is not None:
            match = _COMPARISON.match(info.data.get("holds_if") or "")
            if match is None or match["number"] is None or float(match["number"]) <= 0:
                raise ValueError(
                    "a timing claim's 'holds_if' compares a ratio with a positive number "
                    "('>= 1.5'), so its margin is known before the build"
                )
        return value

    @field_validator("holds_if")
    @classmethod
    def _comparison(cls, value: str | None) -> str | None:
        if value is not None and not _COMPARISON.match(value):
            raise ValueError(
                f"{value!r} is not a comparison like '>= 20', '< 0.5', "
                "'<= glue:key * 2' or '> glue:key + 0.1'"
            )
        return value

    @field_validator("format")
    @classmethod
    def _format(cls, value: str) -> str:
        return _number_format(value)

    @model_validator(mode="after")
    def _comparison_needs_glue(self) -> Claim:
        if self.holds_if is not None and self.glue is None:
            raise ValueError("'holds_if' compares the glued value: set 'glue' too")
        if self.glue is not None and self.holds_if is None:
            raise ValueError(
                "a glued value needs 'holds_if', the comparison that decides pass or fail"
            )
        return self


class ClaimsFile(BaseModel):
    """The whole file: a list of claims under ``claims``."""

    model_config = ConfigDict(extra="forbid")
    claims: list[Claim]


def entry_lines(path: Path) -> list[int]:
    """Line number of each entry under ``claims`` (for messages)."""
    try:
        root = yaml.compose(path.read_text("utf8"))
    except yaml.YAMLError:
        return []
    for key, value in getattr(root, "value", []) if isinstance(root, yaml.MappingNode) else []:
        if key.value == "claims" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


class ClaimsError(ValueError):
    """A claims file that cannot be used; the message names file, entry and field."""


def load_claims(path: Path, label: str | None = None) -> list[Claim]:
    """Read and validate a claims file; raise :class:`ClaimsError` naming file, entry and field."""
    label = label or str(path)
    try:
        raw = yaml.safe_load(path.read_text("utf8"))
    except yaml.YAMLError as error:
        raise ClaimsError(f"{label}: not valid YAML: {error}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("claims"), list):
        raise ClaimsError(f"{label}: expected a mapping with a list under 'claims'")
    problems = []
    claims = []
    lines = entry_lines(path)
    for index, entry in enumerate(raw["claims"]):
        name = entry.get("id", f"#{index + 1}") if isinstance(entry, dict) else f"#{index + 1}"
        at = f"{label}:{lines[index]}" if index < len(lines) else label
        try:
            claims.append(Claim.model_validate(entry))
        except ValidationError as error:
            for item in error.errors():
                where = ".".join(str(part) for part in item["loc"]) or "(entry)"
                message = item["msg"].removeprefix("Value error, ")
                problems.append(f"{at}: claim {name!r}, field {where!r}: {message}")
    seen: set[str] = set()
    for claim in claims:
        if claim.id in seen:
            problems.append(f"{label}: claim {claim.id!r}, field 'id': used twice")
        seen.add(claim.id)
    if problems:
        raise ClaimsError("\n".join(problems))
    return claims


# -- Benchmark claims: measured values read from committed results JSON -------------------

_BENCH_COMPARISON = re.compile(r"^(?P<op>>=|<=|>|<|==)\s*(?P<number>[-+]?[0-9.]+(?:e[-+]?\d+)?)$")
#: One step of a JSON path: a key, then any number of ``[index]`` or ``[field=value]``.
_PATH_STEP = re.compile(r"(?P<key>[A-Za-z_][\w-]*)(?P<selectors>(?:\[[^\]]+\])*)")
_SELECTOR = re.compile(r"\[([^\]]+)\]")
#: Provenance a results file must carry for its rows to say when and from what they came.
BENCH_PROVENANCE = ("date", "git_commit")


def _path_steps(path: str) -> list[tuple[str, list[str]]]:
    """Split ``a.b[0].c[name=x]`` into ``[("a", []), ("b", ["0"]), ("c", ["name=x"])]``."""
    steps = []
    rest = path
    while rest:
        match = _PATH_STEP.match(rest)
        if match is None:
            raise ValueError(f"{path!r} is not a JSON path like 'summary.speedup' or 'a[k=v].b'")
        steps.append((match["key"], _SELECTOR.findall(match["selectors"])))
        rest = rest[match.end() :]
        if rest.startswith("."):
            rest = rest[1:]
            if not rest:
                raise ValueError(f"{path!r} ends with '.'")
        elif rest:
            raise ValueError(f"{path!r} is not a JSON path like 'summary.speedup' or 'a[k=v].b'")
    return steps


def json_path(data: Any, path: str) -> Any:
    """Return the value at ``path`` in a parsed JSON document.

    Steps are separated by dots; a list is entered with ``[3]`` (an index) or
    ``[field=value]`` (the one element whose ``field``, as text, is ``value``).
    Raises :class:`KeyError` with the place where the path stops.
    """
    node, done = data, ""
    for key, selectors in _path_steps(path):
        if not isinstance(node, dict) or key not in node:
            raise KeyError(f"no key {key!r} under {done or 'the top level'}")
        node, done = node[key], f"{done}.{key}" if done else key
        for sel in selectors:
            if not isinstance(node, list):
                raise KeyError(f"{done} is not a list, so [{sel}] selects nothing")
            if "=" in sel:
                field, value = (part.strip() for part in sel.split("=", 1))
                found = [x for x in node if isinstance(x, dict) and str(x.get(field)) == value]
                if len(found) != 1:
                    what = "no element" if not found else f"{len(found)} elements"
                    raise KeyError(f"{what} of {done} with {field} = {value!r}")
                node = found[0]
            else:
                try:
                    node = node[int(sel)]
                except (ValueError, IndexError):
                    raise KeyError(f"{done} has no element [{sel}]") from None
            done += f"[{sel}]"
    return node


def _valid_path(value: str) -> str:
    _path_steps(value)  # raises ValueError naming what does not parse
    return value


#: A JSON path into a results file, checked when the claims file loads.
JsonPath = Annotated[str, AfterValidator(_valid_path)]


class BenchmarkControl(BaseModel):
    """A control measured in the same run: if it meets the target too, the claim says nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    label: str = Field(min_length=1, description="what the control is, for the row")
    value_at: JsonPath = Field(min_length=1, description="JSON path of the control's value")
    relative_to: JsonPath | None = Field(None, description="JSON path the control is divided by")


class BenchmarkClaim(BaseModel):
    """One claim of one paper, measured by a committed benchmark run (not by the build)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", description="slug, unique in the file")
    paper: str = Field(min_length=1, description="BibTeX key of the paper")
    results: str = Field(
        pattern=r"^[\w./-]+\.json$", description="committed results JSON, relative to the site"
    )
    claim: str = Field(min_length=1, description="the claim reduced to a number (our wording)")
    paper_value: float | str | None = Field(
        description="the paper's value (None: the paper gives no number)"
    )
    unit: str = ""
    source: str = Field(min_length=1, description="where the paper states the value")
    setting: str = Field("", description="how the benchmark's setting differs from the paper's")
    value_at: JsonPath = Field(min_length=1, description="JSON path of the measured value")
    relative_to: JsonPath | None = Field(
        None, description="JSON path of a reference: the measured value is value / reference"
    )
    scale: float = Field(1.0, gt=0, description="unit factor, e.g. 2**-30 for bytes to GiB")
    holds_if: str = Field(description="the target: '>= 0.9', '<= 4096', ...")
    format: str = Field(".3g", description="format spec of the measured value")
    gap: str = Field(
        "", validate_default=True, description="how the target differs from the paper's value"
    )
    control: BenchmarkControl | None = Field(
        None, description="a control shown beside the value; the claim is vacuous if it passes"
    )

    @model_validator(mode="before")
    @classmethod
    def _no_typed_measurement(cls, data: Any) -> Any:
        if isinstance(data, dict):
            typed = [name for name in TYPED_MEASUREMENT if name in data]
            if typed:
                raise ValueError(
                    f"field {typed[0]!r} types a measured value by hand; benchmark values are "
                    "read from the results JSON: name their place in 'value_at'"
                )
        return data

    @field_validator("gap", mode="after")
    @classmethod
    def _gap(cls, value: str, info: ValidationInfo) -> str:
        return _needs_gap(value, info)

    @field_validator("holds_if")
    @classmethod
    def _target(cls, value: str) -> str:
        if not _BENCH_COMPARISON.match(value):
            raise ValueError(f"{value!r} is not a target like '>= 0.9' or '<= 4096'")
        return value

    @field_validator("format")
    @classmethod
    def _format(cls, value: str) -> str:
        return _number_format(value)


class BenchmarkValue(BaseModel):
    """What a benchmark claim reads from its results file."""

    model_config = ConfigDict(frozen=True)

    value: float
    date: str
    git_commit: str
    control: float | None = None


def _read_value(claim: BenchmarkClaim, root: Path, cache: dict) -> BenchmarkValue:
    """Read a benchmark claim's measured value; raise ``(field, message)`` as ValueError."""
    path = root / claim.results
    if claim.results not in cache:
        try:
            cache[claim.results] = json.loads(path.read_text("utf8"))
        except FileNotFoundError:
            cache[claim.results] = FileNotFoundError()
        except (OSError, json.JSONDecodeError) as error:
            cache[claim.results] = ValueError(f"{claim.results} is not valid JSON: {error}")
    data = cache[claim.results]
    if isinstance(data, FileNotFoundError):
        raise ValueError("results", f"no results file {claim.results}")
    if isinstance(data, ValueError):
        raise ValueError("results", str(data))
    prov = data.get("provenance") if isinstance(data, dict) else None
    missing = [f for f in BENCH_PROVENANCE if not (isinstance(prov, dict) and prov.get(f))]
    if missing:
        raise ValueError(
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
            raise ValueError(
                prefix + field, f"{results} has no {where!r}: {error.args[0]}"
            ) from None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValueError(
                prefix + field, f"{results} at {where!r} holds {value!r}, not a finite number"
            )
        numbers.append(float(value))
    if len(numbers) == 2 and numbers[1] == 0:
        raise ValueError(prefix + "relative_to", f"{results} at {relative_to!r} is zero")
    return numbers[0] / numbers[1] if len(numbers) == 2 else numbers[0]


def entry_lines_of(path: Path, section: str) -> list[int]:
    """Line number of each entry under ``section`` (for messages)."""
    try:
        root = yaml.compose(path.read_text("utf8"))
    except yaml.YAMLError:
        return []
    for key, value in getattr(root, "value", []) if isinstance(root, yaml.MappingNode) else []:
        if key.value == section and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


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
        One line per problem, naming the file and line, the entry and the field.
    """
    label = label or str(path)
    try:
        raw = yaml.safe_load(path.read_text("utf8"))
    except yaml.YAMLError as error:
        raise ClaimsError(f"{label}: not valid YAML: {error}") from None
    entries = raw.get("benchmark_claims", []) if isinstance(raw, dict) else []
    if not isinstance(entries, list):
        raise ClaimsError(f"{label}: expected a list under 'benchmark_claims'")
    lines = entry_lines_of(path, "benchmark_claims")
    problems, out, cache = [], [], {}
    seen = {c.get("id") for c in raw.get("claims") or [] if isinstance(c, dict)}
    for index, entry in enumerate(entries):
        name = entry.get("id", f"#{index + 1}") if isinstance(entry, dict) else f"#{index + 1}"
        at = f"{label}:{lines[index]}" if index < len(lines) else label
        try:
            claim = BenchmarkClaim.model_validate(entry)
        except ValidationError as error:
            for item in error.errors():
                where = ".".join(str(part) for part in item["loc"]) or "(entry)"
                message = item["msg"].removeprefix("Value error, ")
                problems.append(f"{at}: benchmark claim {name!r}, field {where!r}: {message}")
            continue
        if claim.id in seen:
            problems.append(f"{at}: benchmark claim {claim.id!r}, field 'id': used twice")
        seen.add(claim.id)
        try:
            out.append((claim, _read_value(claim, root, cache)))
        except ValueError as error:
            field, message = error.args
            problems.append(f"{at}: benchmark claim {claim.id!r}, field {field!r}: {message}")
    if problems:
        raise ClaimsError("\n".join(problems))
    return out


BenchStatus = Literal["target met", "target missed", "vacuous"]


def evaluate_benchmark(
    claim: BenchmarkClaim, value: BenchmarkValue
) -> tuple[BenchStatus, str, str]:
    """Status, measured value (as text) and target (as text) of one benchmark claim.

    ``vacuous``: the value meets the target, but so does its control (a prediction index
    that matches exact scoring where always predicting the same classes does too).
    """
    match = _BENCH_COMPARISON.match(claim.holds_if)
    op, bound = match["op"], float(match["number"])
    text = format_value(value.value, claim)
    ok = _OPS[op](value.value, bound)
    status: BenchStatus = "target met" if ok else "target missed"
    if ok and value.control is not None and _OPS[op](value.control, bound):
        status = "vacuous"
    return status, text, f"{_SYMBOLS[op]} {bound:g}"


def format_value(number: float, claim: Claim | BenchmarkClaim) -> str:
    """Return a measured value in the claim's format, with its unit."""
    return format(number, claim.format) + (
        f" {claim.unit}" if claim.unit and "%" not in claim.format else ""
    )


# -- Evaluating a claim against a build ---------------------------------------------------


def threshold(claim: Claim, glue: dict[str, Any]) -> tuple[str, float] | None:
    """Return the comparison's operator and number (None when a glue key is missing)."""
    match = _COMPARISON.match(claim.holds_if or "")
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
    if not _OPS[op](median, needed):
        return (
            f"median {format(median, claim.format)} of {len(repeats)} repeats is within the "
            f"noise margin of its threshold {claim.holds_if}: a timing claim's median must "
            f"clear it {claim.timing.margin:g} times ({_SYMBOLS[op]} "
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
    text = format(number, claim.format) + (
        f" {claim.unit}" if claim.unit and "%" not in claim.format else ""
    )
    if limit is None:
        return "missing", text, claim.holds_if or ""
    op, bound = limit
    criterion = f"{_SYMBOLS[op]} {format(bound, claim.format)}"
    ok = not math.isnan(number) and _OPS[op](number, bound)
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


# -- Loading and checking at build time ----------------------------------------------------


def claims_of(app: Sphinx) -> list[Claim]:
    """Return the validated claims of this build (read at ``builder-inited``)."""
    return getattr(app, "portfolio_claims", [])


def benchmark_claims_of(app: Sphinx) -> list[tuple[BenchmarkClaim, BenchmarkValue]]:
    """Return the validated benchmark claims of this build, each with its read value."""
    return getattr(app, "portfolio_benchmark_claims", [])


def load(app: Sphinx) -> None:
    """Read the claims file once per build; a bad file is a build error naming the problem."""
    path = Path(app.srcdir, app.config.portfolio_claims_file)
    app.portfolio_claims = []
    app.portfolio_benchmark_claims = []
    if not path.is_file():
        return
    label = app.config.portfolio_claims_file
    for target, loader in (
        ("portfolio_claims", lambda: load_claims(path, label)),
        (
            "portfolio_benchmark_claims",
            lambda: load_benchmark_claims(path, Path(app.srcdir), label),
        ),
    ):
        try:
            setattr(app, target, loader())
        except ClaimsError as error:
            lines = str(error).splitlines()
            for line in lines:
                logger.error(line, type="portfolio", subtype="claims")
            count = f"{len(lines)} problem{'s' if len(lines) != 1 else ''}"
            stop_build(logger, ClaimsFileError(f"{count} in {label} (above); nothing was built."))


class ClaimsFileError(PortfolioStop):
    """The claims file does not validate: the build stops before reading any page."""

    category = "Claims file error"


def check(app: Sphinx, env) -> None:
    """Every claim names a known paper, a notebook that ran, and a value it glued."""
    path = str(Path(app.srcdir, app.config.portfolio_claims_file))
    notebooks = records(env)
    folder = app.config.portfolio_notebooks_dir
    known_papers = set(paper_keys(app))
    lines = dict(zip([c.id for c in claims_of(app)], entry_lines(Path(path)), strict=False))
    for claim in claims_of(app):
        where = f"claim {claim.id!r}"
        path = f"{app.srcdir / app.config.portfolio_claims_file}:{lines.get(claim.id, 1)}"
        if known_papers and claim.paper not in known_papers:
            logger.warning(
                f"{where}, field 'paper': no paper {claim.paper!r} in the BibTeX file",
                type="portfolio",
                subtype="claims",
                location=path,
            )
        record = notebooks.get(f"{folder}/{claim.notebook}")
        if record is None:
            logger.warning(
                f"{where}, field 'notebook': no executed notebook {folder}/{claim.notebook}",
                type="portfolio",
                subtype="claims",
                location=path,
            )
            continue
        match = _COMPARISON.match(claim.holds_if or "")
        missing = False
        for key in filter(None, [claim.glue, match["key"] if match else None]):
            if key not in record.glue:
                missing = True
                logger.warning(
                    f"{where}, field 'glue': notebook {record.source} glued no value {key!r}",
                    type="portfolio",
                    subtype="claims",
                    location=path,
                )
        if claim.timing is not None and not missing and record.succeeded:
            problem = timing_problem(claim, record.glue)
            if problem is not None:
                logger.warning(
                    f"{where}, field 'timing': refused: {problem}",
                    type="portfolio",
                    subtype="claims",
                    location=path,
                )


def check_benchmark_papers(app: Sphinx, env) -> None:
    """Every benchmark claim names a paper of the BibTeX file."""
    known_papers = set(paper_keys(app))
    label = app.config.portfolio_claims_file
    lines = entry_lines_of(Path(app.srcdir, label), "benchmark_claims")
    for index, (claim, _) in enumerate(benchmark_claims_of(app)):
        if known_papers and claim.paper not in known_papers:
            line = lines[index] if index < len(lines) else 1
            logger.warning(
                f"benchmark claim {claim.id!r}, field 'paper': no paper {claim.paper!r} in the "
                "BibTeX file",
                type="portfolio",
                subtype="claims",
                location=f"{app.srcdir / label}:{line}",
            )


def paper_keys(app: Sphinx) -> dict[str, str]:
    """Every BibTeX key with its title."""
    if hasattr(app, "_portfolio_papers"):
        return app._portfolio_papers
    papers: dict[str, str] = {}
    bibfile = app.config.portfolio_bibfile
    if Path(app.srcdir, bibfile).is_file():
        from pybtex.database import parse_file

        for key, entry in parse_file(str(Path(app.srcdir, bibfile))).entries.items():
            papers[key] = entry.fields.get("title", key).replace("{", "").replace("}", "")
    app._portfolio_papers = papers
    return papers


# -- Rendering -----------------------------------------------------------------------------


class claims_table(nodes.General, nodes.Element):  # noqa: N801 (docutils node naming)
    """Placeholder for a claims table (attribute ``paper``: one paper's rows, or all)."""


class ClaimsTableDirective(SphinxDirective):
    """``{claims-table}``: the reproducibility table, optionally for one paper (``:paper: KEY``)."""

    option_spec = {"paper": directives.unchanged, "benchmarks": directives.flag}

    def run(self) -> list[nodes.Node]:
        """Return the placeholder, filled in when the page is written."""
        depends_on_notebooks(self.env, self.env.docname)
        self.env.note_dependency(str(Path(self.env.srcdir, self.config.portfolio_claims_file)))
        for claim, _ in benchmark_claims_of(self.env.app):
            self.env.note_dependency(str(Path(self.env.srcdir, claim.results)))
        if "benchmarks" in self.options and not self.options.get("paper"):
            raise self.error(":benchmarks: needs :paper: (whose benchmark rows)")
        return [
            claims_table(
                paper=self.options.get("paper", ""), benchmarks="benchmarks" in self.options
            )
        ]


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
    title = paper_keys(app).get(key, key)
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


def claims_rows_table(
    app: Sphinx, docname: str, claims: list[Claim], *, show_paper: bool = True
) -> nodes.table:
    """Return the table of the given claims, as seen from page ``docname``.

    ``show_paper=False`` drops the paper column (on a paper's own page).
    """
    notebooks = records(app.env)
    folder = app.config.portfolio_notebooks_dir
    rows = []
    seen_papers: set[str] = set()
    for claim in claims:
        record = notebooks.get(f"{folder}/{claim.notebook}")
        status, measured, criterion = evaluate(claim, record)
        paper = nodes.inline()
        if claim.paper not in seen_papers:
            paper["ids"].append(f"claims-{nodes.make_id(claim.paper)}")
            seen_papers.add(claim.paper)
        paper += paper_link(app, docname, claim.paper)
        words = claim_words(claim, f"claim-{claim.id}")
        paper_value = nodes.paragraph()
        paper_value += nodes.Text(paper_value_text(claim))
        paper_value += nodes.Text(" ")
        paper_value += nodes.inline("", f"({claim.source})", classes=["portfolio-claim-source"])
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
        paper_value = nodes.paragraph()
        paper_value += nodes.Text(paper_value_text(claim))
        paper_value += nodes.Text(" ")
        paper_value += nodes.inline("", f"({claim.source})", classes=["portfolio-claim-source"])
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


def paper_status(app: Sphinx, key: str) -> str:
    """``claims hold``, ``drifted`` or ``no demo`` for one paper, from its notebook claims."""
    claims = [c for c in claims_of(app) if c.paper == key]
    if not claims:
        return "no demo"
    folder = app.config.portfolio_notebooks_dir
    notebooks = records(app.env)
    statuses = {evaluate(c, notebooks.get(f"{folder}/{c.notebook}"))[0] for c in claims}
    return "claims hold" if statuses == {"pass"} else "drifted"


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
    rows = [evaluate_benchmark(c, v)[0] for c, v in benchmark_claims_of(app) if c.paper == key]
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


def _key_of(app: Sphinx, element: nodes.Element) -> str | None:
    if element.get("portfolio_paper"):  # a publication card names its paper
        return element["portfolio_paper"]
    return next((key for key in paper_keys(app) if nodes.make_id(key) in element["ids"]), None)


def _paper_rows(
    app: Sphinx, docname: str, header: nodes.Element, claims: list[Claim], repro: str
) -> None:
    key = _key_of(app, header)
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
    key = _key_of(app, card)
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


def note_dependency(app: Sphinx, doctree: nodes.document) -> None:
    """Paper pages and the publications list show claim rows and badges: keep them current."""
    for element in doctree.findall(nodes.Element):
        classes = element.get("classes", [])
        if "portfolio-paper-header" in classes or "portfolio-publication" in classes:
            depends_on_notebooks(app.env, app.env.docname)
            app.env.note_dependency(str(Path(app.srcdir, app.config.portfolio_claims_file)))
            return


def setup(app: Sphinx) -> dict:
    """Register the claims file, the table and the per-paper rows and badges."""
    app.setup_extension("portfolio.notebooks")
    app.setup_extension("portfolio.launch")
    app.add_node(claims_table)
    app.add_directive("claims-table", ClaimsTableDirective)
    app.connect("builder-inited", load)
    app.connect("env-check-consistency", check)
    app.connect("env-check-consistency", check_benchmark_papers)
    app.connect("doctree-read", note_dependency)
    app.connect("doctree-resolved", render, priority=600)
    return {"version": "0.1.0", "parallel_read_safe": True, "parallel_write_safe": True}
