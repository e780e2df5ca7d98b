"""Shared fixtures: one strict build of the whole site per test session."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPHINX_BUILD = [sys.executable, "-m", "sphinx"]
STRICT = ["-W", "-n", "--keep-going"]


@dataclass
class SiteBuild:
    """Where a site build went and what it printed."""

    html: Path
    doctrees: Path
    cache: Path
    log: str

    def run(self, *extra: str) -> subprocess.CompletedProcess:
        """Build again into the same folders (same cache), returning the process."""
        return build_site(self.html, self.doctrees, self.cache, *extra)


def build_site(html: Path, doctrees: Path, cache: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run the strict build of the repository's site into the given folders."""
    cmd = [
        *SPHINX_BUILD,
        "-b",
        "html",
        *STRICT,
        "-d",
        str(doctrees),
        "-D",
        f"nb_execution_cache_path={cache}",
        *extra,
        str(ROOT),
        str(html),
    ]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="session", autouse=True)
def plain_sphinx_output():
    """Keep colour codes out of the build logs the tests read.

    Sphinx colours its output whenever ``CI`` is true, even into a pipe; the tests
    match log lines as plain text.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NO_COLOR", "1")
        yield


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> SiteBuild:
    """Build the whole site once, from a clean state: no environment, no notebook cache."""
    base = tmp_path_factory.mktemp("site")
    html, doctrees, cache = base / "html", base / "doctrees", base / "jupyter_cache"
    proc = build_site(html, doctrees, cache)
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        pytest.fail(f"strict site build failed (exit {proc.returncode}):\n{log[-6000:]}")
    # Keep a copy where a reviewer (and the browser tests) can find it.
    keep = ROOT / "_build" / "test-html"
    shutil.rmtree(keep, ignore_errors=True)
    shutil.copytree(html, keep)
    return SiteBuild(html=html, doctrees=doctrees, cache=cache, log=log)
