"""benchmarks/bench_build_stability.py end to end: two cold builds per setting of a tiny site."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "tests" / "roots" / "notebooks-demo"

# A timing claim beside the demo's measured one: five repeats, glued with their median.
TIMED_CELL = """
```{code-cell} ipython3
import statistics

repeats = [4.0, 4.2, 3.9, 4.1, 4.0]
glue("demo_speed", statistics.median(repeats), display=False)
glue("demo_speed_repeats", repeats, display=False)
assert statistics.median(repeats) >= 1.5, "claim 'speed at least 1.5' failed"
```
"""
TIMED_CLAIM = {
    "id": "demo-speed",
    "paper": "demo2020paper",
    "notebook": "demo",
    "claim": "The demo is fast (median of five repeats).",
    "paper_value": None,
    "source": "the demo paper",
    "asserts": "speed at least 1.5",
    "glue": "demo_speed",
    "holds_if": ">= 1.5",
    "basis": "timing",
    "timing": {"repeats": "demo_speed_repeats", "guards": "the demo being slow"},
    "format": ".2f",
}


def test_stability_benchmark_runs_end_to_end_on_a_tiny_site(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(DEMO, site)
    (site / "notebooks" / "demo.md").write_text(
        (site / "notebooks" / "demo.md").read_text() + TIMED_CELL
    )
    claims = yaml.safe_load((site / "claims.yaml").read_text())
    claims["claims"].append(TIMED_CLAIM)
    (site / "claims.yaml").write_text(yaml.safe_dump(claims, allow_unicode=True))
    out = tmp_path / "stability.json"
    cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "bench_build_stability.py"),
        "--runs",
        "2",
        "--site",
        str(site),
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data["benchmark"] == "build-stability"
    assert {"date", "cpu", "git_commit", "command"} <= set(data["provenance"])
    settings = {s["name"]: s for s in data["settings"]}
    assert set(settings) == {"set", "unset"}
    assert settings["unset"]["openblas_coretype"] is None
    assert settings["set"]["openblas_coretype"]  # the machine's, or --coretype
    for setting in settings.values():
        assert setting["cotenant"] is True
        assert (setting["builds"], setting["builds_passed"]) == (2, 2)
        assert [r["returncode"] for r in setting["runs"]] == [0, 0]
        ratio = setting["claims"]["demo-ratio"]
        assert ratio["values"] == [2.5, 2.5]  # what the demo measures, read from its glue
        assert (ratio["min"], ratio["median"], ratio["max"]) == (2.5, 2.5, 2.5)
        assert ratio["threshold_at_worst"] == 2.0 and ratio["worst_holds"] is True
        speed = setting["claims"]["demo-speed"]
        assert speed["basis"] == "timing" and speed["refused_beyond"] == 3.0
        assert speed["min"] == 4.0 and speed["worst_clears_margin"] is True
    summary = data["summary"]
    assert summary["builds_passed"] == {"set": "2 of 2", "unset": "2 of 2"}
    assert summary["target_every_build_passes_met"] is True
    assert set(summary["timing_claims"]) == {"set:demo-speed", "unset:demo-speed"}
    assert summary["target_timing_minimum_above_threshold_met"] is True


def test_stability_benchmark_records_a_failed_build(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(DEMO, site)
    demo = site / "notebooks" / "demo.md"
    demo.write_text(demo.read_text().replace("ratio = 2.5", "ratio = 1.5"))
    out = tmp_path / "stability.json"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_build_stability.py")]
    args = ["--runs", "1", "--settings", "unset", "--no-cotenant", "--site", str(site)]
    proc = subprocess.run(
        [*cmd, *args, "--out", str(out)], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    [setting] = data["settings"]
    assert setting["builds_passed"] == 0
    assert "claim 'ratio at least two' failed: ratio=1.5" in setting["runs"][0]["log_tail"]
    assert data["summary"]["target_every_build_passes_met"] is False


def test_a_timing_claim_within_its_noise_margin_fails_the_strict_build(tmp_path):
    # Median 2.5 passes its threshold (1.5) but not twice it (3.0): the checker refuses it.
    site = tmp_path / "site"
    shutil.copytree(DEMO, site)
    cell = TIMED_CELL.replace("[4.0, 4.2, 3.9, 4.1, 4.0]", "[2.5, 2.6, 2.4, 2.5, 2.5]")
    (site / "notebooks" / "demo.md").write_text((site / "notebooks" / "demo.md").read_text() + cell)
    claims = yaml.safe_load((site / "claims.yaml").read_text())
    claims["claims"].append(TIMED_CLAIM)
    (site / "claims.yaml").write_text(yaml.safe_dump(claims, allow_unicode=True))
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "-n", "--keep-going", "-q"]
    proc = subprocess.run(
        [*cmd, str(site), str(tmp_path / "html")], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode != 0
    assert (
        "claim 'demo-speed', field 'timing': refused: median 2.50 of 5 repeats is within the "
        "noise margin of its threshold >= 1.5" in proc.stderr
    ), proc.stderr
