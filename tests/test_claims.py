"""The claims file: schema, bad input, evaluation, and agreement with the notebooks' asserts."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml

from portfolio.claims import Claim, ClaimsError, evaluate, load_claims, paper_value_text, threshold
from portfolio.notebooks import NotebookRecord

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = ROOT / "publications" / "claims.yaml"

GOOD = {
    "id": "demo-ratio",
    "paper": "demo2020paper",
    "notebook": "demo",
    "claim": "The ratio is at least two.",
    "paper_value": 3,
    "unit": "×",
    "source": "Table 1",
    "asserts": "ratio at least two",
    "glue": "demo_ratio",
    "holds_if": ">= 2",
    "format": ".2f",
}


def write(tmp_path: Path, *entries: dict) -> Path:
    path = tmp_path / "claims.yaml"
    path.write_text(yaml.safe_dump({"claims": list(entries)}, allow_unicode=True))
    return path


def record(**glue) -> NotebookRecord:
    return NotebookRecord(
        docname="notebooks/demo", source="notebooks/demo.md", succeeded=True, glue=glue
    )


# -- The repository's own file ---------------------------------------------------------------


def asserted_claims(source: str) -> list[str]:
    """Claim names in assert messages, joining implicitly concatenated string pieces."""
    joined = re.sub(r"\"\s*\n\s*f?\"", "", source)
    return re.findall(r"claim '([^']+)'", joined)


def test_repository_claims_file_validates():
    claims = load_claims(CLAIMS)
    assert len({c.id for c in claims}) == len(claims) > 0


def test_every_claim_a_notebook_asserts_has_a_row_and_no_row_is_orphaned():
    claims = load_claims(CLAIMS)
    rows = {(c.notebook, c.asserts) for c in claims}
    asserted = {
        (path.stem, name)
        for path in sorted((ROOT / "notebooks").glob("*.md"))
        for name in asserted_claims(path.read_text("utf8"))
    }
    assert asserted, "no notebook asserts a claim"
    missing = sorted(asserted - rows)
    assert not missing, f"asserted claims without a row in {CLAIMS.name}: {missing}"
    orphans = sorted(rows - asserted)
    assert not orphans, f"rows of {CLAIMS.name} that no notebook asserts: {orphans}"


def test_every_row_reads_its_measured_value_from_a_glue_call_in_its_notebook():
    for claim in load_claims(CLAIMS):
        source = (ROOT / "notebooks" / f"{claim.notebook}.md").read_text("utf8")
        keys = [claim.glue] if claim.glue else []
        match = re.search(r"glue:(\w+)", claim.holds_if or "")
        keys += [match.group(1)] if match else []
        for key in keys:
            # A key is glued literally, or built from a prefix in a loop (f"cmsdd_{kind}_...").
            literal = f'"{key}"' in source
            pieces = re.findall(r'glue\(f"([^"]+)"', source)
            templated = any(
                re.fullmatch(re.sub(r"\\\{[^}]*\\\}", r"\\w+", re.escape(p)), key) for p in pieces
            )
            assert literal or templated, (
                f"claim {claim.id!r}: {claim.notebook}.md never glues {key!r}"
            )


def test_asserted_claims_parser_joins_split_string_pieces():
    source = (
        'assert x, (\n    f"claim \'a long claim in "\n    f"two pieces\' failed")\n'
        "assert y, \"claim 'short' failed\"\n"
    )
    assert asserted_claims(source) == ["a long claim in two pieces", "short"]


# -- Schema and bad input --------------------------------------------------------------------


def test_good_entry_loads_with_its_fields(tmp_path):
    (claim,) = load_claims(write(tmp_path, GOOD))
    assert claim.glue == "demo_ratio" and claim.holds_if == ">= 2" and claim.paper_value == 3


def test_typed_measured_value_is_rejected_naming_file_entry_and_field(tmp_path):
    path = write(tmp_path, {**GOOD, "measured": 2.5})
    with pytest.raises(
        ClaimsError, match=r"claims\.yaml:2: claim 'demo-ratio'.*field 'measured' types a measured"
    ):
        load_claims(path)


@pytest.mark.parametrize("name", ["measured_value", "result", "value"])
def test_every_spelling_of_a_typed_measurement_is_rejected(tmp_path, name):
    with pytest.raises(ClaimsError, match=f"field '{name}' types a measured value by hand"):
        load_claims(write(tmp_path, {**GOOD, name: 1.0}))


def test_unknown_field_is_rejected_by_name(tmp_path):
    with pytest.raises(ClaimsError, match=r"claim 'demo-ratio', field 'paper_vale': Extra inputs"):
        load_claims(write(tmp_path, {**GOOD, "paper_vale": 3}))


def test_missing_field_is_named(tmp_path):
    entry = {k: v for k, v in GOOD.items() if k != "source"}
    with pytest.raises(ClaimsError, match=r"claim 'demo-ratio', field 'source': Field required"):
        load_claims(write(tmp_path, entry))


def test_comparison_that_does_not_parse_is_rejected(tmp_path):
    with pytest.raises(ClaimsError, match=r"field 'holds_if': '=> 2' is not a comparison"):
        load_claims(write(tmp_path, {**GOOD, "holds_if": "=> 2"}))


def test_comparison_without_glue_is_rejected(tmp_path):
    with pytest.raises(ClaimsError, match="'holds_if' compares the glued value: set 'glue' too"):
        load_claims(write(tmp_path, {**GOOD, "glue": None}))


def test_glue_without_comparison_is_rejected(tmp_path):
    with pytest.raises(ClaimsError, match="a glued value needs 'holds_if'"):
        load_claims(write(tmp_path, {**GOOD, "holds_if": None}))


def test_bad_number_format_is_rejected(tmp_path):
    with pytest.raises(ClaimsError, match=r"field 'format': '\.2q' is not a number format"):
        load_claims(write(tmp_path, {**GOOD, "format": ".2q"}))


def test_duplicate_ids_are_rejected(tmp_path):
    with pytest.raises(ClaimsError, match="claim 'demo-ratio', field 'id': used twice"):
        load_claims(write(tmp_path, GOOD, GOOD))


def test_second_entry_is_located_by_its_line(tmp_path):
    path = write(tmp_path, GOOD, {**GOOD, "id": "second", "holds_if": "about 2"})
    lines = path.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "id: second" in text)
    start = max(i for i in range(1, line + 1) if lines[i - 1].lstrip().startswith("- "))
    with pytest.raises(ClaimsError, match=rf"claims\.yaml:{start}: claim 'second'"):
        load_claims(path)


def test_invalid_yaml_is_reported_with_the_file(tmp_path):
    path = tmp_path / "claims.yaml"
    path.write_text("claims:\n  - id: [unclosed\n")
    with pytest.raises(ClaimsError, match=r"claims\.yaml: not valid YAML"):
        load_claims(path)


def test_file_without_a_claims_list_is_rejected(tmp_path):
    path = tmp_path / "claims.yaml"
    path.write_text(textwrap.dedent("claim:\n  - id: x\n"))
    with pytest.raises(ClaimsError, match="expected a mapping with a list under 'claims'"):
        load_claims(path)


# -- Evaluation --------------------------------------------------------------------------------


def test_measured_value_meeting_the_comparison_passes_and_is_formatted_from_glue():
    claim = Claim.model_validate(GOOD)
    assert evaluate(claim, record(demo_ratio=2.5)) == ("pass", "2.50 ×", "≥ 2.00")


def test_measured_value_missing_the_comparison_is_drifted():
    claim = Claim.model_validate(GOOD)
    assert evaluate(claim, record(demo_ratio=1.5))[0] == "drifted"


def test_nan_never_passes():
    claim = Claim.model_validate(GOOD)
    assert evaluate(claim, record(demo_ratio=float("nan")))[0] == "drifted"


def test_value_the_notebook_did_not_glue_is_missing():
    claim = Claim.model_validate(GOOD)
    assert evaluate(claim, record(other=3.0))[:2] == ("missing", "not glued")


def test_notebook_that_did_not_run_is_missing():
    assert evaluate(Claim.model_validate(GOOD), None)[:2] == ("missing", "not run")


def test_assert_only_claim_passes_when_the_notebook_ran():
    claim = Claim.model_validate({**GOOD, "glue": None, "holds_if": None})
    assert evaluate(claim, record()) == ("pass", "assert held", "the notebook's assert")


def test_comparison_against_a_glued_value_with_factor_and_offset():
    claim = Claim.model_validate({**GOOD, "holds_if": "> glue:base * 0.5 + 0.1"})
    assert threshold(claim, {"base": 4.0}) == (">", pytest.approx(2.1))
    assert evaluate(claim, record(demo_ratio=2.2, base=4.0))[0] == "pass"
    assert evaluate(claim, record(demo_ratio=2.0, base=4.0))[0] == "drifted"


def test_comparison_against_a_missing_glued_value_is_missing():
    claim = Claim.model_validate({**GOOD, "holds_if": "<= glue:bound"})
    assert evaluate(claim, record(demo_ratio=0.1))[0] == "missing"


def test_percent_format_drops_the_unit():
    claim = Claim.model_validate({**GOOD, "format": ".1%", "holds_if": "<= 0.05"})
    assert evaluate(claim, record(demo_ratio=0.012))[1] == "1.2%"


@pytest.mark.parametrize(
    ("value", "text"), [(480, "480 ×"), (1.0, "1 ×"), ("7–10", "7–10 ×"), (None, "no number")]
)
def test_paper_value_text(value, text):
    assert paper_value_text(Claim.model_validate({**GOOD, "paper_value": value})) == text
