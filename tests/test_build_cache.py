"""Notebook execution goes through jupyter-cache: a rebuild never runs a notebook again."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.site

NOTEBOOK_HEADER = textwrap.dedent(
    """\
    ---
    jupytext:
      text_representation:
        extension: .md
        format_name: myst
    kernelspec:
      display_name: Python 3
      language: python
      name: python3
    ---
    """
)


def executed(log: str) -> list[str]:
    return re.findall(r"Executed notebook in [0-9.]+ seconds", log)


def cache_records(cache: Path) -> dict[str, int]:
    return {rec.uri: rec.pk for rec in get_cache(str(cache)).list_cache_records()}


def test_clean_build_executed_every_notebook_into_the_cache(site):
    # Text notebooks carry a kernelspec in their front matter; plain pages (the gallery,
    # the execution report) under notebooks/ do not.
    sources = sorted((ROOT / "notebooks").glob("*.md"))
    notebooks = [p.name for p in sources if "\nkernelspec:" in p.read_text().split("\n---", 1)[0]]
    assert notebooks
    assert len(executed(site.log)) == len(notebooks)
    assert len(cache_records(site.cache)) == len(notebooks)


def test_unchanged_rebuild_executes_no_notebook(site):
    before = cache_records(site.cache)
    proc = site.run()
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert executed(log) == []
    assert cache_records(site.cache) == before


def test_rebuild_from_fresh_environment_reads_outputs_from_cache(site):
    # -E discards Sphinx's saved environment, so every notebook is read again;
    # the cache, not a new kernel, must supply their outputs.
    before = cache_records(site.cache)
    proc = site.run("-E")
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert executed(log) == []
    assert len(re.findall(r"Using cached notebook: ID=\d+", log)) == len(before)
    assert cache_records(site.cache) == before


def write_tiny_site(root: Path, notebook_body: str) -> None:
    (root / "conf.py").write_text(
        "extensions = ['myst_nb', 'portfolio.notebooks']\n"
        "nb_execution_mode = 'cache'\n"
        "nb_execution_raise_on_error = False\n"  # as in the site's conf.py
        "suppress_warnings = ['mystnb.exec']\n"
        "nb_execution_timeout = 60\n"
    )
    (root / "index.md").write_text("# Tiny\n\n```{toctree}\nclaim\n```\n")
    (root / "claim.md").write_text(NOTEBOOK_HEADER + "\n# A claim\n\n" + notebook_body)


def build_tiny(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            "-W",
            "-n",
            "--keep-going",
            str(root),
            str(root / "_build"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_failing_claim_fails_the_build_naming_notebook_and_claim(tmp_path):
    write_tiny_site(
        tmp_path,
        "```{code-cell} ipython3\nratio = 0.5\n"
        "assert ratio >= 0.9, f\"claim 'speed-up at least 0.9' failed: ratio={ratio}\"\n```\n",
    )
    proc = build_tiny(tmp_path)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 1
    # The file and the line of the assert, the cell, the claim: one line, no traceback.
    line = (
        (tmp_path / "claim.md")
        .read_text()
        .splitlines()
        .index("assert ratio >= 0.9, f\"claim 'speed-up at least 0.9' failed: ratio={ratio}\"")
    )
    expected = (
        f"claim.md:{line + 1}: ERROR: notebook failed: cell 1: AssertionError: "
        "claim 'speed-up at least 0.9' failed: ratio=0.5 [portfolio.notebook]"
    )
    assert expected in log.splitlines(), log[-3000:]
    assert log.rstrip().splitlines()[-1].endswith("1 notebook failed (above); nothing was built.")
    for crash in ("Traceback", "Versions", "sphinx-doc/sphinx/issues", "AssertionError   "):
        assert crash not in log, crash
    assert not (tmp_path / "_build" / "claim.html").exists(), "nothing half-built is published"


def test_passing_claim_builds(tmp_path):
    write_tiny_site(
        tmp_path, "```{code-cell} ipython3\nratio = 1.5\nassert ratio >= 0.9\nprint(ratio)\n```\n"
    )
    proc = build_tiny(tmp_path)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert "1.5" in (tmp_path / "_build" / "claim.html").read_text()
