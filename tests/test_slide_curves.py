"""benchmarks/bench_slide_curves.py: a --quick run writes every field the site reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from portfolio.benchmarks import validate_curves_results
from portfolio.claims import json_path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "bench_slide_curves.py"


def _quick_run(tmp_path_factory, *extra):
    out = tmp_path_factory.mktemp("curves") / "curves.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--output", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text()), out


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    return _quick_run(tmp_path_factory)


@pytest.fixture(scope="module")
def quick_batch(tmp_path_factory):
    return _quick_run(tmp_path_factory, "--active-set", "batch")


def _claims_on(name):
    claims = yaml.safe_load((ROOT / "publications" / "claims.yaml").read_text())
    return [c for c in claims["benchmark_claims"] if c["results"].endswith("/" + name)]


def _assert_claims_read_numbers(claims, data):
    for claim in claims:
        for key in ("value_at", "relative_to"):
            if claim.get(key):
                value = json_path(data, claim[key])
                assert isinstance(value, int | float), (claim["id"], key, value)
        if claim.get("control"):
            assert isinstance(json_path(data, claim["control"]["value_at"]), int | float)


def test_quick_run_is_valid_for_the_directive_with_every_law_and_trainer(quick):
    data, _ = quick
    assert validate_curves_results(data, "curves.json") == []
    assert list(data["laws"]) == ["single", "topical"]
    for entry in data["laws"].values():
        results = entry["results"]
        assert list(results) == ["mode", "in_batch", "slide", "random", "dense"]
        # Random sampling computes as many outputs as SLIDE (the batch's labels in both).
        assert results["random"]["mean_active"] == pytest.approx(
            results["slide"]["mean_active"], rel=0.05
        )
        assert results["dense"]["mean_active"] == data["config"]["n_classes"]
        # Evaluations every eval_every examples and at every epoch's end, clock rising.
        times = results["slide"]["train_time"]
        assert len(times) == 2 * data["config"]["n_epochs"]
        assert times == sorted(times)


def test_every_benchmark_claim_on_the_curves_file_reads_a_number_from_a_quick_run(quick):
    data, _ = quick
    on_curves = _claims_on("slide-curves.json")
    assert len(on_curves) == 14
    _assert_claims_read_numbers(on_curves, data)


def test_batch_active_sets_give_every_example_the_same_count_and_random_as_many(quick_batch):
    data, _ = quick_batch
    assert validate_curves_results(data, "curves.json") == []
    assert data["config"]["active_set"] == "batch"
    cap = data["config"]["max_active"]
    for entry in data["laws"].values():
        results = entry["results"]
        # One set per batch, filled to the cap (more only where a batch's labels exceed it).
        assert results["slide"]["mean_active"] >= cap
        assert results["random"]["mean_active"] == pytest.approx(
            results["slide"]["mean_active"], rel=0.05
        )
        assert results["slide"]["profile"]["distinct_output_rows_per_batch"] >= cap
    on_batch = _claims_on("slide-curves-batch.json")
    assert len(on_batch) == 7
    _assert_claims_read_numbers(on_batch, data)


def test_resummarise_recomputes_the_summary_from_the_results(quick, tmp_path):
    data, out = quick
    copy = tmp_path / "copy.json"
    stale = json.loads(out.read_text())
    for entry in stale["laws"].values():
        entry["summary"] = {}
    copy.write_text(json.dumps(stale))
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--resummarise", "--output", str(copy)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    again = json.loads(copy.read_text())
    for law, entry in data["laws"].items():
        assert again["laws"][law]["summary"] == entry["summary"]
