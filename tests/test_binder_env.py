"""Binder, tried the way Binder builds it: a fresh environment from the Binder files alone.

repo2docker reads ``runtime.txt`` (the Python version), installs ``requirements.txt`` from
the repository root (its ``-e .`` line installs this repository's packages) and runs
``postBuild``. This test does the same in a new virtual environment, in a copy of the
working tree (the files git tracks or would track), with pip reaching PyPI as Binder's
would. It then executes every text notebook with nbclient inside that environment, with
the network closed (every proxy variable points at a dead local port), and checks the
kernel really ran from the new environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from portfolio.launch import text_notebooks

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow

RUN_NOTEBOOKS = r"""
import json, pathlib, sys, time
import jupytext, nbclient, nbformat
from myst_nb.core.read import is_myst_markdown_notebook

results = {}
for path in sorted(pathlib.Path("notebooks").glob("*.md")):
    text = path.read_text("utf8")
    if not is_myst_markdown_notebook(text):
        continue
    notebook = jupytext.reads(text, fmt="myst")
    notebook.cells.insert(0, nbformat.v4.new_code_cell("import sys; print(sys.prefix)"))
    start = time.perf_counter()
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    prefix = notebook.cells[0].outputs[0]["text"].strip()
    results[path.name] = {"seconds": round(time.perf_counter() - start, 1), "prefix": prefix}
print("RESULTS " + json.dumps(results))
"""


def working_tree_copy(target: Path) -> Path:
    """The files git tracks or would track (not ignored ones: no .venv, no _build)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def clean_env(**extra: str) -> dict[str, str]:
    keep = {
        k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}
    }
    return {**keep, **extra}


def test_fresh_environment_from_the_binder_files_runs_every_notebook(tmp_path):
    repo = working_tree_copy(tmp_path / "repo")
    assert not (repo / "binder").exists(), "repo2docker would ignore the root files"
    # Binder uses the Python of runtime.txt; this test uses the Python running it (the same
    # 3.11 here; CI may differ, which only makes the check stricter on the pins).
    assert (repo / "runtime.txt").read_text().startswith("python-3.")

    venv = tmp_path / "binder-env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            "requirements.txt",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=1500,
        env=clean_env(),
    )
    assert install.returncode == 0, install.stderr[-3000:]

    home = tmp_path / "home"
    home.mkdir()
    offline = clean_env(
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        VIRTUAL_ENV=str(venv),
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"),
        HTTP_PROXY="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
        ALL_PROXY="http://127.0.0.1:9",
        http_proxy="http://127.0.0.1:9",
        https_proxy="http://127.0.0.1:9",
        all_proxy="http://127.0.0.1:9",
        NO_PROXY="",
        no_proxy="",
        PIP_NO_INDEX="1",
    )

    post = subprocess.run(
        ["bash", "postBuild"], cwd=repo, env=offline, capture_output=True, text=True, timeout=120
    )
    assert post.returncode == 0, post.stdout + post.stderr
    settings = json.loads(
        (home / ".jupyter" / "labconfig" / "default_setting_overrides.json").read_text()
    )
    viewers = settings["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers["markdown"] == viewers["myst"] == "Jupytext Notebook"

    run = subprocess.run(
        [str(python), "-c", RUN_NOTEBOOKS],
        cwd=repo,
        env=offline,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    results = json.loads(
        next(line for line in run.stdout.splitlines() if line.startswith("RESULTS "))[8:]
    )
    expected = sorted(p.name for p in text_notebooks(repo))
    assert sorted(results) == expected
    for name, result in results.items():
        assert Path(result["prefix"]).resolve() == venv.resolve(), (
            f"{name} ran in {result['prefix']}, not the new env"
        )
    print(json.dumps(results, indent=1))
