"""Every benchmark script starts, and the shared harness records what the site requires.

The scripts are not tests and most run for minutes, so nothing else runs some of them:
a script whose import broke (a renamed private function, say) would go unnoticed until
someone re-measured. Here each one prints its help, and the quick runs of the SLIDE and
MACH benchmarks write results whose provenance the site accepts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from portfolio.benchmarks import PROVENANCE_FIELDS, load_results

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
SCRIPTS = sorted(p.name for p in BENCHMARKS.glob("*.py") if "__main__" in p.read_text())

sys.path.insert(0, str(BENCHMARKS))
import harness  # noqa: E402


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_the_scripts_are_found():
    assert {"bench_peers.py", "bench_mach.py", "bench_slide.py", "harness.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", [s for s in SCRIPTS if s != "harness.py"])
def test_every_benchmark_script_starts(script):
    proc = run(str(BENCHMARKS / script), "--help", timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "usage:" in proc.stdout


def test_the_harness_provenance_has_every_field_the_site_renders():
    prov = harness.provenance("benchmarks/x.py", ["--quick"], packages=("joblib",), extra=1)
    assert set(PROVENANCE_FIELDS) <= set(prov)
    assert {"numpy", "scipy", "numba", "joblib"} <= set(prov["versions"])
    assert prov["command"] == "python benchmarks/x.py --quick" and prov["extra"] == 1
    assert prov["n_cpus"] == os.cpu_count() and prov["git_commit"]
    import numpy  # noqa: F401 (loads the BLAS threadpoolctl reports)

    blas = harness.provenance("benchmarks/x.py", [])["blas"]
    assert blas and all(b["internal_api"] and b["architecture"] for b in blas)


def test_peak_rss_sees_memory_allocated_inside_the_block():
    import numpy as np

    with harness.PeakRSS(interval=0.01) as mem:
        block = np.ones(64 * 2**20 // 8)  # 64 MiB, touched
        before = mem.peak
        del block
    assert mem.peak >= before and mem.peak > 64 * 2**20
    assert mem.threads >= 1


def test_run_capped_reports_a_timeout_and_the_worker_tree_memory():
    env = harness.worker_env(1)
    code = "import numpy as np, time; a = np.ones(40 * 2**20 // 8); time.sleep(0.5)"
    done = harness.run_capped(
        [sys.executable, "-c", code], env=env, cwd=ROOT, time_cap=60, mem_cap=4 * 2**30
    )
    assert done.returncode == 0 and not done.timed_out
    assert done.peak_rss_bytes > 40 * 2**20
    slow = harness.run_capped(
        [sys.executable, "-c", "import time; time.sleep(30)"],
        env=env,
        cwd=ROOT,
        time_cap=0.5,
        mem_cap=4 * 2**30,
    )
    assert slow.timed_out


def test_slide_quick_run_writes_results_the_site_accepts(tmp_path):
    out = tmp_path / "slide.json"
    proc = run(str(BENCHMARKS / "bench_slide.py"), "--quick", "--out", str(out), timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    data = load_results(out, "slide.json")  # checked as its kind, 'slide'
    assert data["benchmark"] == "slide"
    assert data["provenance"]["command"] == f"python benchmarks/bench_slide.py --quick --out {out}"


def test_mach_quick_run_records_the_shared_provenance(tmp_path):
    out = tmp_path / "mach.json"
    proc = run(str(BENCHMARKS / "bench_mach.py"), "--quick", "--out", str(out), timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    data = json.loads(out.read_text())
    assert set(PROVENANCE_FIELDS) <= set(data["provenance"])
    assert "load_average_at_start" in data["provenance"]
    assert data["base_learners"]["results"]["numba_per_sample_sgd"]["bucket_accuracy"] > 0
