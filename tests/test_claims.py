"""The claims file: schema, bad input, evaluation, and agreement with the notebooks' asserts."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from portfolio.claims import (
    Claim,
    ClaimsError,
    evaluate,
    evaluate_benchmark,
    json_path,
    load_benchmark_claims,
    load_claims,
    paper_value_text,
    threshold,
    timing_problem,
)
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
    "gap": "the paper's 3 at full scale; here at least 2",
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
    with pytest.raises(ClaimsError, match=r"claims\.yaml:\d+: YAML syntax error"):
        load_claims(path)


def test_a_key_given_twice_is_refused_with_both_lines(tmp_path):
    # PyYAML would keep the second 'holds_if' silently; the claims file is read strictly.
    path = write(tmp_path, GOOD)
    lines = path.read_text().splitlines()
    first = next(i for i, text in enumerate(lines, 1) if text.strip().startswith("holds_if:"))
    lines.insert(first, lines[first - 1].replace(">= 2", ">= 0"))
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        ClaimsError,
        match=rf"claims\.yaml:{first + 1}: key 'holds_if': duplicate key \(first defined on line "
        rf"{first}\)",
    ):
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


# -- Timing claims: repeats and a margin that noise cannot cross -------------------------------

TIMING = {
    **GOOD,
    "id": "demo-speed",
    "claim": "A runs faster than B (B's CPU time over A's).",
    "basis": "timing",
    "timing": {"repeats": "demo_ratio_repeats", "guards": "A being no faster than B"},
    "format": ".1f",
}


def timed(*repeats: float, value: float | None = None) -> NotebookRecord:
    """A record whose glued value is the median of ``repeats`` (or ``value``)."""
    import statistics

    value = statistics.median(repeats) if value is None else value
    return record(demo_ratio=value, demo_ratio_repeats=list(repeats))


def test_timing_claim_clear_of_its_margin_passes_and_says_how_it_was_measured():
    claim = Claim.model_validate(TIMING)
    assert timing_problem(claim, timed(4.8, 5.0, 5.2, 5.1, 4.9).glue) is None
    status, measured, criterion = evaluate(claim, timed(4.8, 5.0, 5.2, 5.1, 4.9))
    assert (status, measured) == ("pass", "5.0 ×")
    assert criterion == "≥ 2.0 (median of 5 repeats; the checker refuses a median below 4.0)"


def test_timing_claim_between_its_threshold_and_the_noise_margin_is_refused():
    # Holds against its threshold (2), but a loaded machine could push it under.
    claim = Claim.model_validate(TIMING)
    glue = timed(2.9, 3.0, 3.1, 3.0, 2.95).glue
    assert evaluate(claim, timed(2.9, 3.0, 3.1, 3.0, 2.95))[0] == "refused"
    assert "within the noise margin of its threshold >= 2" in timing_problem(claim, glue)


def test_timing_claim_with_too_few_repeats_is_refused():
    claim = Claim.model_validate(TIMING)
    assert evaluate(claim, timed(9.0, 9.5))[0] == "refused"
    assert "at least 5 repeated measurements" in timing_problem(claim, timed(9.0, 9.5).glue)
    assert "found 0" in timing_problem(claim, record(demo_ratio=9.0).glue)


def test_timing_claim_whose_value_is_not_the_median_of_its_repeats_is_refused():
    claim = Claim.model_validate(TIMING)
    rec = timed(5.0, 5.0, 1.0, 1.0, 1.0, value=5.0)  # the best run, not the median
    assert evaluate(claim, rec)[0] == "refused"
    assert "is not the median" in timing_problem(claim, rec.glue)


def test_timing_claim_a_larger_margin_refuses_more():
    claim = Claim.model_validate({**TIMING, "timing": {**TIMING["timing"], "margin": 3}})
    assert evaluate(claim, timed(5.0, 5.0, 5.0, 5.0, 5.0))[0] == "refused"  # needs 6


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"timing": None}, "timing", "needs 'timing'"),
        ({"basis": "measured"}, "timing", "only such a claim may have one"),
        ({"holds_if": ">= glue:other"}, "timing", "compares a ratio with a positive number"),
        ({"holds_if": ">= 0"}, "timing", "compares a ratio with a positive number"),
        ({"timing": {"repeats": "r", "guards": "x", "margin": 1.5}}, "timing.margin", "2"),
        ({"timing": {"repeats": "r"}}, "timing.guards", "Field required"),
        ({"gap": ""}, "gap", "needs 'gap'"),
        ({"basis": "guessed"}, "basis", "'measured', 'counted', 'computed' or 'timing'"),
    ],
)
def test_bad_timing_or_gap_is_refused_naming_the_field(tmp_path, change, field, message):
    entry = {**TIMING, **change}
    entry = {k: v for k, v in entry.items() if v is not None}
    with pytest.raises(ClaimsError) as error:
        load_claims(write(tmp_path, entry))
    assert f"claim 'demo-speed', field '{field}'" in str(error.value)
    assert message in str(error.value)


def test_claim_without_a_paper_value_needs_no_gap(tmp_path):
    entry = {k: v for k, v in GOOD.items() if k != "gap"}
    assert load_claims(write(tmp_path, {**entry, "paper_value": None}))[0].gap == ""


def test_repository_timing_claims_have_repeats_margin_and_a_guard():
    timing = [c for c in load_claims(CLAIMS) if c.basis == "timing"]
    assert {c.id for c in timing} >= {"slide-step-speedup", "mach-training-speed"}
    for claim in timing:
        source = (ROOT / "notebooks" / f"{claim.notebook}.md").read_text()
        assert f'glue("{claim.timing.repeats}"' in source, claim.id
        assert claim.timing.guards and claim.timing.margin >= 2


def test_repository_claims_with_a_paper_value_state_their_gap():
    for claim in load_claims(CLAIMS) + [c for c, _ in load_benchmark_claims(CLAIMS, ROOT)]:
        assert claim.paper_value is None or len(claim.gap) > 20, claim.id


def test_percent_format_drops_the_unit():
    claim = Claim.model_validate({**GOOD, "format": ".1%", "holds_if": "<= 0.05"})
    assert evaluate(claim, record(demo_ratio=0.012))[1] == "1.2%"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (480, "480 ×"),
        (1.0, "1 ×"),
        ("7–10", "7–10 ×"),
        ("> 10", "> 10 ×"),
        (None, "no number"),
        # A value in words carries its own units; "× less memory" would misread it.
        ("O(log K); 6.4 billion parameters", "O(log K); 6.4 billion parameters"),
    ],
)
def test_paper_value_text(value, text):
    assert paper_value_text(Claim.model_validate({**GOOD, "paper_value": value})) == text


# -- Benchmark claims: values read from committed results JSON ---------------------------------

RESULTS = {
    "provenance": {"date": "2026-11-24T12:00:00+00:00", "git_commit": "0123456789abcdef0123"},
    "summary": {"speedup": 5.0, "ok": True},
    "problems": [
        {"name": "K=10", "n_classes": 10, "methods": [{"method": "a", "train_s": 2.0}]},
        {
            "name": "K=1,000",
            "n_classes": 1000,
            "methods": [{"method": "a", "train_s": 3.0}, {"method": "b", "train_s": 6.0}],
        },
    ],
}
BENCH = {
    "id": "demo-bench",
    "paper": "demo2020paper",
    "results": "results.json",
    "claim": "A trains no slower than B.",
    "paper_value": "7–10",
    "unit": "× B",
    "source": "Table 2",
    "value_at": "problems[n_classes=1000].methods[method=a].train_s",
    "relative_to": "problems[n_classes=1000].methods[method=b].train_s",
    "holds_if": "<= 1",
    "format": ".2f",
    "gap": "the paper's 7–10 against another baseline; here no slower",
}


def write_bench(tmp_path: Path, *entries: dict, results=RESULTS, claims=(GOOD,)) -> Path:
    if results is not None:
        (tmp_path / "results.json").write_text(json.dumps(results))
    path = tmp_path / "claims.yaml"
    doc = {"claims": list(claims), "benchmark_claims": list(entries)}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    return path


def test_repository_benchmark_claims_read_every_value_from_the_committed_results():
    rows = load_benchmark_claims(CLAIMS, ROOT)
    assert rows, "no benchmark claims"
    for claim, value in rows:
        data = json.loads((ROOT / claim.results).read_text())
        measured = json_path(data, claim.value_at)
        if claim.relative_to:
            measured /= json_path(data, claim.relative_to)
        assert value.value == pytest.approx(measured * claim.scale)
        assert value.git_commit == data["provenance"]["git_commit"]
    # every benchmark results file the papers discuss has rows
    assert {c.results for c, _ in rows} >= {
        "benchmarks/results/peers.json",
        "benchmarks/results/slide.json",
        "benchmarks/results/slide-curves.json",
    }


def test_benchmark_claim_value_is_the_ratio_of_two_json_paths(tmp_path):
    ((claim, value),) = load_benchmark_claims(write_bench(tmp_path, BENCH), tmp_path)
    assert value.value == 0.5 and value.date.startswith("2026-11-24")
    assert evaluate_benchmark(claim, value) == ("target met", "0.50 × B", "≤ 1")


def test_benchmark_claim_missing_its_target_is_reported_not_raised(tmp_path):
    entry = {**BENCH, "relative_to": None, "value_at": "summary.speedup", "holds_if": ">= 10"}
    ((claim, value),) = load_benchmark_claims(write_bench(tmp_path, entry), tmp_path)
    assert evaluate_benchmark(claim, value)[0] == "target missed"


def test_benchmark_claims_leave_the_notebook_claims_alone(tmp_path):
    path = write_bench(tmp_path, BENCH)
    assert [c.id for c in load_claims(path)] == ["demo-ratio"]
    assert load_benchmark_claims(write(tmp_path, GOOD), tmp_path) == []


def test_json_path_selects_list_elements_by_index_and_by_field():
    assert json_path(RESULTS, "problems[0].methods[method=a].train_s") == 2.0
    assert json_path(RESULTS, "problems[name=K=1,000].methods[1].method") == "b"
    with pytest.raises(KeyError, match="no element of problems with n_classes = '7'"):
        json_path(RESULTS, "problems[n_classes=7].name")
    with pytest.raises(KeyError, match="no key 'speed' under summary"):
        json_path(RESULTS, "summary.speed")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"value_at": "summary.speed"}, "value_at", "no key 'speed' under summary"),
        ({"value_at": "summary.ok"}, "value_at", "holds True, not a finite number"),
        (
            {"relative_to": "problems[n_classes=5].methods[0].train_s"},
            "relative_to",
            "no element of problems with n_classes = '5'",
        ),
        ({"results": "other.json"}, "results", "no results file other.json"),
        ({"holds_if": "about 1"}, "holds_if", "not a target like"),
        ({"value_at": "summary..speedup"}, "value_at", "not a JSON path"),
        ({"measured": 0.5}, "(entry)", "field 'measured' types a measured value by hand"),
        ({"notebook": "demo"}, "notebook", "Extra inputs"),
    ],
)
def test_bad_benchmark_claim_names_file_line_entry_and_field(tmp_path, change, field, message):
    path = write_bench(tmp_path, {**BENCH, **change})
    line = next(
        i
        for i, text in enumerate(path.read_text().splitlines(), 1)
        if text.strip() == "- id: demo-bench"
    )
    with pytest.raises(ClaimsError) as error:
        load_benchmark_claims(path, tmp_path)
    assert f"claims.yaml:{line}: benchmark claim 'demo-bench', field '{field}'" in str(error.value)
    assert message in str(error.value)


def test_results_with_a_key_given_twice_are_refused(tmp_path):
    # json.loads keeps the last of a repeated key; a committed result must mean one thing.
    path = write_bench(tmp_path, BENCH)
    text = (tmp_path / "results.json").read_text()
    (tmp_path / "results.json").write_text(text.replace('{"date":', '{"date": "x", "date":', 1))
    with pytest.raises(
        ClaimsError, match=r"field 'results': results\.json: key 'date': duplicate key"
    ):
        load_benchmark_claims(path, tmp_path)


def test_results_that_are_not_json_name_the_line(tmp_path):
    path = write_bench(tmp_path, BENCH)
    (tmp_path / "results.json").write_text('{\n  "provenance": {,\n')
    with pytest.raises(ClaimsError, match=r"field 'results': results\.json:2: JSON syntax error"):
        load_benchmark_claims(path, tmp_path)


@pytest.mark.parametrize("missing", ["date", "git_commit"])
def test_results_without_provenance_are_refused(tmp_path, missing):
    results = copy.deepcopy(RESULTS)
    del results["provenance"][missing]
    path = write_bench(tmp_path, BENCH, results=results)
    with pytest.raises(
        ClaimsError,
        match=rf"field 'results': results\.json: provenance lacks "
        rf"'{missing}'",
    ):
        load_benchmark_claims(path, tmp_path)


def test_benchmark_claim_whose_control_meets_the_target_too_is_vacuous(tmp_path):
    results = copy.deepcopy(RESULTS)
    results["summary"]["control"] = 0.4
    control = {"label": "predict the mode", "value_at": "summary.control"}
    path = write_bench(tmp_path, {**BENCH, "control": control}, results=results)
    [(claim, value)] = load_benchmark_claims(path, tmp_path)
    assert value.value == 0.5 and value.control == 0.4
    assert evaluate_benchmark(claim, value)[0] == "vacuous"  # 0.4 <= 1 as well
    results["summary"]["control"] = 3.0
    path = write_bench(tmp_path, {**BENCH, "control": control}, results=results)
    [(claim, value)] = load_benchmark_claims(path, tmp_path)
    assert evaluate_benchmark(claim, value)[0] == "target met"


def test_benchmark_claim_control_path_that_is_gone_names_the_field(tmp_path):
    control = {"label": "mode", "value_at": "summary.nope"}
    path = write_bench(tmp_path, {**BENCH, "control": control})
    with pytest.raises(ClaimsError, match="field 'control.value_at': results.json has no"):
        load_benchmark_claims(path, tmp_path)


def test_benchmark_claim_id_may_not_repeat_a_notebook_claim_id(tmp_path):
    path = write_bench(tmp_path, {**BENCH, "id": "demo-ratio"})
    with pytest.raises(ClaimsError, match="benchmark claim 'demo-ratio', field 'id': used twice"):
        load_benchmark_claims(path, tmp_path)


# -- Benchmark rows on a tiny site ---------------------------------------------------------------

TINY_CONF = """
extensions = ["myst_nb", "sphinx_design", "portfolio.claims"]
exclude_patterns = ["_build"]
html_theme = "basic"
nitpicky = True
portfolio_repository_url = "https://github.com/example/tiny-site"
portfolio_repository_branch = "main"
portfolio_claims_file = "claims.yaml"
"""
TINY_PAGES = {
    "index.md": "# Tiny\n\n```{toctree}\nrepro\npaper\n```\n",
    "repro.md": "# Reproducibility\n\n```{claims-table}\n```\n",
    "paper.md": "# Paper\n\n```{claims-table}\n:paper: demo2020paper\n:benchmarks:\n```\n",
}


def tiny_bench_site(tmp_path: Path, *entries: dict, results=RESULTS) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(TINY_CONF)
    for name, text in TINY_PAGES.items():
        (src / name).write_text(text)
    write_bench(src, *entries, results=results, claims=())
    return src


def build_tiny(src: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "-n", "--keep-going", "-q"]
    return subprocess.run(
        [*cmd, str(src), str(src / "_build")], capture_output=True, text=True, timeout=300
    )


def test_benchmark_rows_render_apart_marked_with_their_file_date_and_commit(tmp_path):
    missed = {**BENCH, "id": "demo-missed", "value_at": "summary.speedup", "relative_to": None}
    src = tiny_bench_site(tmp_path, BENCH, {**missed, "holds_if": ">= 10", "format": ".1f"})
    proc = build_tiny(src)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for page in ("repro.html", "paper.html"):
        soup = BeautifulSoup((src / "_build" / page).read_text(), "html.parser")
        # Each stacked cell leads with its column's name (shown on phones only).
        for tr in soup.select("table.portfolio-bench-claims tbody tr"):
            labels = [p.get_text() for p in tr.select(".portfolio-cell-label")]
            assert labels == [
                th.get_text(strip=True) for th in tr.find_parent("table").select("th")
            ]
        for label in soup.select(".portfolio-cell-label"):
            label.decompose()
        assert not soup.select("table.portfolio-claims")  # not among the notebook rows
        assert "Benchmark results" in soup.select_one(".portfolio-bench-claims-note").get_text()
        rows = soup.select("table.portfolio-bench-claims tbody tr")
        cells = [[td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in rows]
        assert [tr.find(id=re.compile("^bench-claim-"))["id"] for tr in rows] == [
            "bench-claim-demo-bench",
            "bench-claim-demo-missed",
        ]
        assert cells[0][2] == "0.50 × B (results.json, 2026-11-24, commit 0123456789ab)"
        assert cells[0][3:] == ["≤ 1", "target met"]
        assert cells[1][2].startswith("5.0 × B") and cells[1][3:] == ["≥ 10", "target missed"]
    # One target of two missed: the paper's badge says so, in the table's warning colour.
    repro = BeautifulSoup((src / "_build" / "repro.html").read_text(), "html.parser")
    [badge] = repro.select("#claims-demo2020paper .portfolio-claim-status")
    assert badge.get_text(strip=True) == "benchmark targets 1 of 2 met"
    assert "sd-bg-warning" in badge["class"]


def test_a_benchmark_row_whose_json_path_is_gone_fails_the_build_naming_entry_and_field(tmp_path):
    results = copy.deepcopy(RESULTS)
    del results["problems"][1]["methods"][1]  # method b is no longer in the file
    proc = build_tiny(tiny_bench_site(tmp_path, BENCH, results=results))
    assert proc.returncode != 0
    log = proc.stdout + proc.stderr
    assert "benchmark claim 'demo-bench', field 'relative_to': results.json has no" in log
    assert "no element of problems[n_classes=1000].methods with method = 'b'" in log
