"""The peer benchmark (benchmarks/bench_peers.py) end to end on tiny generated problems."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from portfolio import benchmarks as directive

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "bench_peers.py"

spec = importlib.util.spec_from_file_location("bench_peers", SCRIPT)
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    """One ``--quick`` run of the real command line, written to a temporary folder."""
    out = tmp_path_factory.mktemp("peers") / "peers.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text()), out


@pytest.fixture(scope="module")
def tiny_problem(tmp_path_factory):
    """A 300-label problem written once in the workers' formats."""
    folder = tmp_path_factory.mktemp("tiny")
    X_tr, Y_tr, X_te, Y_te = bench.generated_problem(300, 500, 600, 100, seed=0)
    bench.save_problem(folder, X_tr, Y_tr, X_te, 300)
    return folder, Y_te


MACH_TINY = {
    "method": "mach-R2-B16",
    "family": "mach",
    "params": {"n_repetitions": 2, "n_buckets": 16},
}


@pytest.mark.slow
def test_quick_run_writes_json_and_markdown_with_every_method(quick_report):
    report, out = quick_report
    (problem,) = report["problems"]
    names = [row["method"] for row in problem["methods"]]
    assert names == [
        "mach-R4-B256",
        "mach-R8-B512",
        "mach-R4-B256-pruned",
        "mach-R8-B32-pruned",
        "omikuji",
        "napkinxc-plt",
        "pecos-xrlinear",
    ]
    table = out.with_suffix(".md").read_text()
    for name in names:
        assert f"| {name} |" in table


@pytest.mark.slow
def test_every_installed_peer_trains_and_predicts_above_chance(quick_report):
    report, _ = quick_report
    (problem,) = report["problems"]
    for row in problem["methods"]:
        if bench.unavailable_reason(row["family"]) is not None:
            continue
        assert row["status"] == "ok", (row["method"], row["reason"])
        # 1,000 power-law classes: always predicting the most frequent class scores about
        # 0.15 (its share of the test rows); every method here reaches 0.7 on this seed.
        assert row["p_at_1"] > 0.5, row
        assert row["p_at_1"] >= row["p_at_3"] >= row["p_at_5"] > 0
        assert row["train_s"] > 0 and row["predict_ms_per_1k"] > 0
        assert row["model_bytes"] > 0
        assert row["peak_rss_bytes"] > 10 * 2**20  # a Python process with numpy is > 10 MiB
        assert row["threads_observed"] >= 1


def test_omikuji_and_napkinxc_are_installed_for_the_benchmark():
    # The pinned peers (benchmarks/requirements-peers.txt) must be importable where
    # the tests run; otherwise the end-to-end test above would check nothing of them.
    assert bench.unavailable_reason("omikuji") is None
    assert bench.unavailable_reason("napkinxc") is None


@pytest.mark.slow
def test_quick_json_has_every_field_the_page_requires(quick_report):
    report, out = quick_report
    assert directive.validate_results(report, out.name) == []
    for row in report["problems"][0]["methods"]:
        assert set(bench.METHOD_FIELDS) <= set(row)
    prov = report["provenance"]
    assert prov["git_commit"] and prov["cpu"] and prov["versions"]["numpy"]
    assert all({"internal_api", "version", "architecture"} <= set(b) for b in prov["blas"])


def test_benchmark_and_directive_agree_on_the_schema():
    assert tuple(bench.METHOD_FIELDS) == tuple(directive.METHOD_FIELDS)
    assert set(directive.PROVENANCE_FIELDS) <= set(bench.PROVENANCE_FIELDS)


def test_a_peer_that_is_not_installed_is_reported_skipped_with_the_reason(
    tiny_problem, monkeypatch
):
    folder, Y_te = tiny_problem
    monkeypatch.setattr(bench, "PECOS_VENV", folder / "no-such-venv")
    pecos = {"method": "pecos-xrlinear", "family": "pecos", "params": {}}
    row = bench.run_method(pecos, folder, Y_te, 1, 60, 8 * 2**30)
    assert row["status"] == "skipped"
    assert "numpy < 2" in row["reason"] and "--pecos-venv" in row["reason"]
    assert row["p_at_1"] is None and row["train_s"] is None

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        bench.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "omikuji" else real_find_spec(name, *a),
    )
    omikuji = {"method": "omikuji", "family": "omikuji", "params": {}}
    row = bench.run_method(omikuji, folder, Y_te, 1, 60, 8 * 2**30)
    assert row["status"] == "skipped" and "omikuji is not installed" in row["reason"]


def test_a_method_past_the_time_cap_is_killed_and_reported(tiny_problem):
    folder, Y_te = tiny_problem
    # 10 ms: a worker cannot even import numpy in that time, so it is always killed.
    row = bench.run_method(MACH_TINY, folder, Y_te, 1, 0.01, 8 * 2**30)
    assert row["status"] == "timeout"
    assert row["reason"] == "killed after the 0.01 s time cap"
    assert row["p_at_1"] is None


@pytest.mark.slow
def test_a_method_over_the_memory_cap_is_reported_and_the_next_one_still_runs(tiny_problem):
    folder, Y_te = tiny_problem
    # 150 MiB of address space is far below what numba's compiler needs to load.
    capped = bench.run_method(MACH_TINY, folder, Y_te, 1, 120, 150 * 2**20)
    assert capped["status"] in {"out_of_memory", "crashed", "error"}
    assert "0.146484 GiB address-space cap" in capped["reason"]
    after = bench.run_method(MACH_TINY, folder, Y_te, 1, 120, 8 * 2**30)
    assert after["status"] == "ok" and after["p_at_1"] > 0


def test_pruned_mach_settings_train_compact_models(tiny_problem):
    folder, Y_te = tiny_problem
    methods = bench.default_methods([], [(2, 16)], prune_threshold=0.05)
    (spec,) = [m for m in methods if m["family"] == "mach"]
    assert spec["method"] == "mach-R2-B16-pruned"
    assert spec["params"]["prune_threshold"] == 0.05
    assert spec["params"]["weight_dtype"] == "float16"
    dense = bench.run_method(MACH_TINY, folder, Y_te, 1, 120, 8 * 2**30)
    pruned = bench.run_method(spec, folder, Y_te, 1, 120, 8 * 2**30)
    assert dense["status"] == pruned["status"] == "ok", (dense["reason"], pruned["reason"])
    # the saved model shrinks (dense: 500 features x 2 x 16 float32 weights); on this
    # tiny problem every feature occurs often, so rows keep many weights: 0.6x on this
    # seed (the sparse Amazon-670K shape keeps a few percent, see results/peers.md)
    assert pruned["model_bytes"] < 0.8 * dense["model_bytes"]
    assert pruned["p_at_1"] >= dense["p_at_1"] - 0.05


def test_sizes_parse_like_the_issue_writes_them():
    assert bench.parse_size("1e4") == 10_000
    assert bench.parse_size("1e5") == 100_000
    assert bench.parse_size("670k") == 670_091
    assert bench.parse_size("2k") == 2_000


def test_quick_run_by_default_never_overwrites_the_committed_results():
    args = bench.build_parser().parse_args(["--quick"])
    assert args.output is None  # main() then picks results/peers-quick.json


@pytest.mark.slow
def test_xc_files_are_read_and_scored_against_all_their_labels(tmp_path):
    from rushml.xc_io import write_xc

    X_tr, Y_tr, X_te, Y_te = bench.generated_problem(200, 400, 500, 80, seed=1)
    # make every test row multi-label: its own label plus label 0
    Y_te = Y_te.tolil()
    Y_te[:, 0] = 1
    write_xc(tmp_path / "train.txt", X_tr, Y_tr)
    write_xc(tmp_path / "test.txt", X_te, Y_te.tocsr())
    out = tmp_path / "xc.json"
    bench.main(
        [
            "--xc-train",
            str(tmp_path / "train.txt"),
            "--xc-test",
            str(tmp_path / "test.txt"),
            "--methods",
            "mach-R2-B16",
            "--mach",
            "2x16",
            "--output",
            str(out),
        ]
    )
    report = json.loads(out.read_text())
    (problem,) = report["problems"]
    assert problem["name"] == "train.txt" and problem["n_test"] == 80
    (row,) = problem["methods"]
    assert row["status"] == "ok", row["reason"]
    assert directive.validate_results(report, "xc.json") == []


def test_repeats_keep_the_fastest_finished_run_and_record_every_time():
    runs = [
        {"status": "ok", "train_s": 3.0, "predict_ms_per_1k": 10.0, "p_at_1": 0.5},
        {"status": "timeout", "train_s": None, "predict_ms_per_1k": None, "p_at_1": None},
        {"status": "ok", "train_s": 2.0, "predict_ms_per_1k": 12.0, "p_at_1": 0.5},
    ]
    best = bench.best_run(runs)
    assert best["train_s"] == 2.0 and best["predict_ms_per_1k"] == 12.0
    assert best["train_s_runs"] == [3.0, None, 2.0]
    failed = bench.best_run(runs[1:2])
    assert failed["status"] == "timeout" and failed["train_s_runs"] == [None]
