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
    assert names == ["mach", "omikuji", "napkinxc-plt", "pecos-xrlinear"]
    assert problem["methods"][0]["params"] == bench.MACH_RECOMMENDED
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


@pytest.mark.parametrize(
    ("where", "field"),
    [(("problems", 0, "methods", 0), "p_at_5"), (("provenance",), "blas"), ((), "problems")],
)
def test_the_script_refuses_before_writing_what_the_site_would_refuse(quick_report, where, field):
    # One contract, read by both: a report the site's check rejects never gets written.
    report, _ = quick_report
    bad = json.loads(json.dumps(report))
    node = bad
    for key in where:
        node = node[key]
    del node[field]
    assert any(f"missing field '{field}'" in p for p in directive.validate_results(bad, "r.json"))
    with pytest.raises(SystemExit, match=f"'{field}' is a required property"):
        bench.harness.check_results(bad)
    bench.harness.check_results(report)  # the report as written passes


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
    spec = bench.parse_mach_setting("2x16:prune_threshold=0.05,weight_dtype=float16")
    assert spec["method"] == "mach-R2-B16-p0.05-float16"
    assert spec["params"]["prune_threshold"] == 0.05
    assert spec["params"]["weight_dtype"] == "float16"
    assert spec["params"]["loss"] == bench.MACH_RECOMMENDED["loss"]
    dense = bench.parse_mach_setting("2x16:prune_threshold=none,weight_dtype=float32")
    assert dense["params"]["prune_threshold"] is None
    dense = bench.run_method(dense, folder, Y_te, 1, 120, 8 * 2**30)
    pruned = bench.run_method(spec, folder, Y_te, 1, 120, 8 * 2**30)
    assert dense["status"] == pruned["status"] == "ok", (dense["reason"], pruned["reason"])
    # the saved model shrinks (dense: 500 features x 2 x 16 float32 weights)
    assert pruned["model_bytes"] < 0.8 * dense["model_bytes"]
    assert pruned["p_at_1"] >= dense["p_at_1"] - 0.05


def test_mach_settings_and_method_names_are_checked():
    with pytest.raises(SystemExit, match="expected RxB"):
        bench.parse_mach_setting("8by512")
    with pytest.raises(SystemExit, match="unknown parameter 'epochs'"):
        bench.parse_mach_setting("8x512:epochs=3")
    args = bench.build_parser().parse_args(["--quick", "--methods", "mach", "omikuji"])
    methods = bench.default_methods(args.mach)
    assert methods[0] == {"method": "mach", "family": "mach", "params": bench.MACH_RECOMMENDED}
    with pytest.raises(SystemExit, match=r"--methods: unknown \['mach-R9-B9'\]"):
        bench.run(bench.build_parser().parse_args(["--quick", "--methods", "mach-R9-B9"]), [])


def test_generated_problems_scale_rows_with_k_and_carry_every_label():
    assert bench.scaled_rows(670_091) == 100_000
    assert bench.scaled_rows(100_000) == 38_631 and bench.scaled_rows(10_000) == 12_216
    assert bench.scaled_rows(1_000) == 10_000
    args = bench.build_parser().parse_args(["--sizes", "1e4", "670k"])
    problems = bench.problems_from_args(args)
    assert [(p["law"], p["n_classes"], p["n_train"]) for p in problems] == [
        ("independent", 10_000, 12_216),
        ("topical", 10_000, 12_216),
        ("independent", 670_091, 100_000),
        ("topical", 670_091, 100_000),
    ]
    for law in ("independent", "topical"):
        X_tr, Y_tr, X_te, Y_te = bench.generated_problem(500, 300, 400, 50, seed=0, law=law)
        assert X_tr.shape == (400, 300) and Y_te.shape == (50, 500)
        assert Y_tr.nnz / Y_tr.shape[0] > 2  # multi-label rows


def test_sizes_parse_like_the_issue_writes_them():
    assert bench.parse_size("1e4") == 10_000
    assert bench.parse_size("1e5") == 100_000
    assert bench.parse_size("670k") == 670_091
    assert bench.parse_size("2k") == 2_000


def test_quick_run_by_default_never_overwrites_the_committed_results():
    args = bench.build_parser().parse_args(["--quick"])
    assert args.output is None  # main() then picks results/peers-quick.json


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["one file", "two files"])
def test_xc_files_are_read_and_scored_against_all_their_labels(tmp_path, layout):
    from rushml.xc_io import write_xc

    X_tr, Y_tr, X_te, Y_te = bench.generated_problem(200, 400, 500, 80, seed=1)
    if layout == "one file":
        write_xc(tmp_path / "train.txt", X_tr, Y_tr)
        write_xc(tmp_path / "test.txt", X_te, Y_te)
        train, test = [str(tmp_path / "train.txt")], [str(tmp_path / "test.txt")]
    else:  # the repository's newer layout: features 'n d', labels 'n L' with label:value
        train, test = [], []
        for part, X, Y in (("trn", X_tr, Y_tr), ("tst", X_te, Y_te)):
            files = {"X": X, "Y": Y}
            for kind, M in files.items():
                M = M.tocsr()
                lines = [f"{M.shape[0]} {M.shape[1]}"] + [
                    " ".join(f"{j}:{v:g}" for j, v in zip(M.indices[s:e], M.data[s:e], strict=True))
                    for s, e in zip(M.indptr[:-1], M.indptr[1:], strict=True)
                ]
                path = tmp_path / f"{part}_X_{kind}.txt"
                path.write_text("\n".join(lines) + "\n")
                (train if part == "trn" else test).append(str(path))
    out = tmp_path / "xc.json"
    bench.main(
        ["--xc-train", *train, "--xc-test", *test, "--methods", "mach-R2-B16"]
        + ["--mach", "2x16", "--output", str(out)]
    )
    report = json.loads(out.read_text())
    (problem,) = report["problems"]
    assert problem["n_test"] == 80 and problem["n_classes"] == 200
    assert problem["name"] == ("train.txt" if layout == "one file" else "trn_X_X.txt + trn_X_Y.txt")
    (row,) = problem["methods"]
    assert row["status"] == "ok", row["reason"]
    assert set(bench.METHOD_FIELDS) <= set(row)
    assert all(row[f] is not None for f in ("train_s", "p_at_1", "p_at_5", "model_bytes"))
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
