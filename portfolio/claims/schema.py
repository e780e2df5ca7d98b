"""The claims file's schema: notebook claims, benchmark claims and their comparisons.

One pydantic model per kind of entry, validated when the build starts
(:mod:`portfolio.claims.loading` reads the file and reports each failure as a
:class:`~portfolio.errors.Problem`). A notebook claim (:class:`Claim`) names the glue key
of the value its notebook measures and the comparison that decides pass or fail; a
benchmark claim (:class:`BenchmarkClaim`) names a committed results JSON and the JSON path
of its value. Neither may type a measured value by hand.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .jsonpath import path_steps

#: Field names that would hold a hand-typed measured value; the schema refuses them.
TYPED_MEASUREMENT = ("measured", "measured_value", "measurement", "result", "value")

#: A notebook claim's ``holds_if``: a number, or a glued value times a factor plus an offset.
COMPARISON = re.compile(
    r"^(?P<op>>=|<=|>|<|==)\s*(?:(?P<number>[-+]?[0-9.]+(?:e[-+]?\d+)?)"
    r"|glue:(?P<key>[A-Za-z_][\w.-]*)(?:\s*\*\s*(?P<factor>[-+]?[0-9.]+(?:e[-+]?\d+)?))?"
    r"(?:\s*\+\s*(?P<offset>[-+]?[0-9.]+(?:e[-+]?\d+)?))?)$"
)


def _refuse_typed(data: Any, where_from: str) -> Any:
    """Refuse an entry that types its measured value by hand; say where values come from."""
    if isinstance(data, dict):
        typed = [name for name in TYPED_MEASUREMENT if name in data]
        if typed:
            raise ValueError(f"field {typed[0]!r} types a measured value by hand; {where_from}")
    return data


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


class _ClaimEntry(BaseModel):
    """What both kinds of claim share: a strict entry, a gap to the paper, a number format."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @field_validator("gap", mode="after", check_fields=False)
    @classmethod
    def _gap(cls, value: str, info: ValidationInfo) -> str:
        return _needs_gap(value, info)

    @field_validator("format", check_fields=False)
    @classmethod
    def _format(cls, value: str) -> str:
        return _number_format(value)


class Claim(_ClaimEntry):
    """One claim of one paper, re-measured by one notebook."""

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
        return _refuse_typed(
            data, "measured values are read from the notebook: name its glue key in 'glue'"
        )

    @field_validator("timing", mode="after")
    @classmethod
    def _timing(cls, value: Timing | None, info: ValidationInfo) -> Timing | None:
        if (info.data.get("basis") == "timing") != (value is not None):
            raise ValueError(
                "a claim with basis 'timing' needs 'timing' (its glued repeats and what its "
                "threshold guards against), and only such a claim may have one"
            )
        if value is not None:
            match = COMPARISON.match(info.data.get("holds_if") or "")
            if match is None or match["number"] is None or float(match["number"]) <= 0:
                raise ValueError(
                    "a timing claim's 'holds_if' compares a ratio with a positive number "
                    "('>= 1.5'), so its margin is known before the build"
                )
        return value

    @field_validator("holds_if")
    @classmethod
    def _comparison(cls, value: str | None) -> str | None:
        if value is not None and not COMPARISON.match(value):
            raise ValueError(
                f"{value!r} is not a comparison like '>= 20', '< 0.5', "
                "'<= glue:key * 2' or '> glue:key + 0.1'"
            )
        return value

    @model_validator(mode="after")
    def _comparison_needs_glue(self) -> Claim:
        if self.holds_if is not None and self.glue is None:
            raise ValueError("'holds_if' compares the glued value: set 'glue' too")
        if self.glue is not None and self.holds_if is None:
            raise ValueError(
                "a glued value needs 'holds_if', the comparison that decides pass or fail"
            )
        return self


# -- Benchmark claims: measured values read from committed results JSON -------------------

BENCH_COMPARISON = re.compile(r"^(?P<op>>=|<=|>|<|==)\s*(?P<number>[-+]?[0-9.]+(?:e[-+]?\d+)?)$")
#: Provenance a results file must carry for its rows to say when and from what they came.
BENCH_PROVENANCE = ("date", "git_commit")


def _valid_path(value: str) -> str:
    path_steps(value)  # raises ValueError naming what does not parse
    return value


#: A JSON path into a results file, checked when the claims file loads.
JsonPath = Annotated[str, AfterValidator(_valid_path)]


class BenchmarkControl(BaseModel):
    """A control measured in the same run: if it meets the target too, the claim says nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    label: str = Field(min_length=1, description="what the control is, for the row")
    value_at: JsonPath = Field(min_length=1, description="JSON path of the control's value")
    relative_to: JsonPath | None = Field(None, description="JSON path the control is divided by")


class BenchmarkClaim(_ClaimEntry):
    """One claim of one paper, measured by a committed benchmark run (not by the build)."""

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
        return _refuse_typed(
            data, "benchmark values are read from the results JSON: name their place in 'value_at'"
        )

    @field_validator("holds_if")
    @classmethod
    def _target(cls, value: str) -> str:
        if not BENCH_COMPARISON.match(value):
            raise ValueError(f"{value!r} is not a target like '>= 0.9' or '<= 4096'")
        return value
