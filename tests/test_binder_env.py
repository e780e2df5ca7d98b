"""Binder, tried the way Binder builds it and a reader meets it: in a browser.

repo2docker starts from its base environment for Python 3.11 (JupyterLab 4.4.9, Notebook
7.4.7 and the rest of the Jupyter stack; ``tests/binder/repo2docker-py3.11.txt`` records
those versions from repo2docker's lock file), reads the ``binder/`` folder (the Python
version of ``runtime.txt``, then ``requirements.txt``, which includes the root one and its
``-e .``) and, because that folder exists, runs no ``pip install .`` of its own.

These tests do the same in a new virtual environment, in a copy of the working tree (the
files git tracks or would track), with pip reaching PyPI as Binder's would. Then, with the
network closed (every proxy variable points at a dead local port):

- every text notebook executes with nbclient inside that environment;
- the repository is installed once, editable, so an edit to ``rushml/`` takes effect;
- ``jupyter lab`` serves the copy on loopback, and Debian's Chromium, driven by Playwright,
  opens each launch link's path: a notebook panel with code cells must appear, with no
  console error from the jupytext extension, and its first code cell must run in the
  kernel. The README, opened the same way in JupyterLab, stays a text file.

Without Chromium the browser test skips, saying how to enable it; with ``CI`` set it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from browser_support import CHROMIUM_ARGS, HOW_TO_ENABLE, find_chromium

from portfolio.launch import binder_url, text_notebooks

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "tests" / "binder" / "repo2docker-py3.11.txt"
SCREENSHOTS = ROOT / "_build" / "screenshots"

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


@dataclass
class BinderEnv:
    repo: Path
    venv: Path
    home: Path
    offline: dict[str, str]

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


def pip(python: Path, *args: str, cwd: Path) -> None:
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1800,
        env=clean_env(),
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]


@pytest.fixture(scope="module")
def binder(tmp_path_factory) -> BinderEnv:
    """The environment repo2docker builds, in a venv: base stack, then the binder/ files."""
    tmp = tmp_path_factory.mktemp("binder")
    repo = working_tree_copy(tmp / "repo")
    assert (repo / "binder" / "runtime.txt").read_text().startswith("python-3.11")
    # Binder uses the Python of runtime.txt; this venv uses the Python running the tests.
    venv = tmp / "binder-env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    pip(python, "-r", str(BASE), cwd=repo)  # repo2docker's base environment
    pip(python, "-r", "binder/requirements.txt", cwd=repo)  # what repo2docker runs, from $HOME
    home = tmp / "home"
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
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PIP_NO_INDEX="1",
    )
    return BinderEnv(repo, venv, home, offline)


def installed(binder: BinderEnv, *names: str) -> dict[str, str]:
    code = (
        "import json, sys\nfrom importlib.metadata import version\n"
        "print(json.dumps({n: version(n) for n in sys.argv[1:]}))"
    )
    out = subprocess.run(
        [str(binder.python), "-c", code, *names], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_binder_keeps_its_base_jupyterlab_and_gets_a_jupytext_that_loads_in_it(binder):
    base = dict(
        line.split("==")
        for line in BASE.read_text().splitlines()
        if "==" in line and line[0] != "#"
    )
    versions = installed(binder, "jupyterlab", "notebook", "jupytext")
    assert versions["jupyterlab"] == base["jupyterlab"] == "4.4.9"
    assert versions["notebook"] == base["notebook"]
    labext = binder.venv / "share" / "jupyter" / "labextensions" / "jupyterlab-jupytext"
    assert (labext / "package.json").is_file(), "jupytext's JupyterLab extension is not installed"


def test_binder_installs_the_repository_once_and_editable(binder):
    code = (
        "import json, rushml\nfrom importlib.metadata import distribution\n"
        "d = distribution('medini-portfolio')\n"
        "print(json.dumps({'file': rushml.__file__, 'url': json.loads(d.read_text("
        "'direct_url.json'))}))"
    )
    out = subprocess.run(
        [str(binder.python), "-c", code],
        cwd=binder.home,
        env=binder.offline,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(out.stdout)
    # Imported from the working copy itself, so an edit in a Binder session takes effect.
    assert Path(found["file"]).resolve() == (binder.repo / "rushml" / "__init__.py").resolve()
    assert found["url"]["dir_info"] == {"editable": True}
    listing = subprocess.run(
        [str(binder.python), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert [p["name"] for p in json.loads(listing)].count("medini-portfolio") == 1


def test_fresh_binder_environment_runs_every_notebook(binder):
    run = subprocess.run(
        [str(binder.python), "-c", RUN_NOTEBOOKS],
        cwd=binder.repo,
        env=binder.offline,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    results = json.loads(
        next(line for line in run.stdout.splitlines() if line.startswith("RESULTS "))[8:]
    )
    expected = sorted(p.name for p in text_notebooks(binder.repo))
    assert sorted(results) == expected
    for name, result in results.items():
        assert Path(result["prefix"]).resolve() == binder.venv.resolve(), (
            f"{name} ran in {result['prefix']}, not the new env"
        )
    print(json.dumps(results, indent=1))


# -- In a browser --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(binder):
    """``jupyter lab`` serving the copy on loopback, as a Binder session serves it."""
    port = free_port()
    log = binder.home / "jupyter-lab.log"
    cmd = [
        str(binder.venv / "bin" / "jupyter"),
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        "--ServerApp.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        f"--ServerApp.root_dir={binder.repo}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    with log.open("w") as out:
        server = subprocess.Popen(cmd, cwd=binder.repo, env=binder.offline, stdout=out, stderr=out)
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(120):
                try:
                    with urllib.request.urlopen(f"{url}/api/status", timeout=2):
                        break
                except OSError:
                    if server.poll() is not None:
                        pytest.fail(f"jupyter lab exited: {log.read_text()[-3000:]}")
                    time.sleep(0.5)
            else:
                pytest.fail(f"jupyter lab did not start: {log.read_text()[-3000:]}")
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


@pytest.fixture(scope="module")
def browser():
    path = find_chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"the Binder browser test must run in CI: {HOW_TO_ENABLE}")
        pytest.skip(HOW_TO_ENABLE)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        if os.environ.get("CI"):
            pytest.fail(f"the Binder browser test must run in CI: {error}")
        pytest.skip(f"Playwright is not installed: {error}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=list(CHROMIUM_ARGS))
        yield chromium
        chromium.close()


def wait_for_idle_kernel(lab: str, source: str, timeout: float = 120.0) -> None:
    """Wait until the server has a session for ``source`` whose kernel is idle."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{lab}/api/sessions", timeout=5) as response:
            sessions = json.load(response)
        states = [s["kernel"]["execution_state"] for s in sessions if s.get("path") == source]
        if "idle" in states:
            time.sleep(1.0)  # the page's own connection to the kernel settles
            return
        time.sleep(0.5)
    pytest.fail(f"no idle kernel for {source} after {timeout:.0f} s: sessions {sessions}")


def launch_path(source: str) -> str:
    """The server path a launch button of the site sends Binder to, for one notebook."""
    url = binder_url("https://mybinder.org", "https://github.com/o/r", "main", source)
    urlpath = parse_qs(urlsplit(url).query)["urlpath"][0]
    assert unquote(urlsplit(urlpath).path) == f"notebooks/{source}"
    return urlpath


@pytest.mark.browser
@pytest.mark.parametrize(
    "source", [f"notebooks/{p.name}" for p in text_notebooks(ROOT)], ids=lambda s: Path(s).stem
)
def test_launch_link_opens_a_notebook_whose_first_cell_runs(binder, lab, browser, source):
    page = browser.new_page()
    messages: list[tuple[str, str]] = []
    page.on("console", lambda message: messages.append((message.type, message.text)))
    page.on("pageerror", lambda error: messages.append(("pageerror", str(error))))
    try:
        page.goto(f"{lab}/{launch_path(source)}")
        cells = page.locator(".jp-Notebook .jp-CodeCell")
        cells.first.wait_for(timeout=60_000)
        assert page.locator(".jp-FileEditor").count() == 0, "opened as text, not as a notebook"
        # The notebook's cells, not one text block (cells out of view are attached, hidden).
        cells.nth(1).wait_for(state="attached", timeout=60_000)
        # Run the first code cell once the notebook's kernel is up (a keypress sent while the
        # kernel is still connecting runs nothing): its prompt becomes [1].
        wait_for_idle_kernel(lab, source)
        cells.first.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        prompt = cells.first.locator(".jp-InputPrompt")
        page.wait_for_function(
            "el => el.textContent.includes('[1]')", arg=prompt.element_handle(), timeout=120_000
        )
        assert cells.first.locator(".jp-OutputArea-output[data-mime-type*='error']").count() == 0
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # what the reader saw, for a reviewer
        page.screenshot(path=str(SCREENSHOTS / f"binder-{Path(source).stem}.png"))
        page.close()
    # Any error, and any warning about an extension that did not load (jupytext's did not,
    # in JupyterLab 4.4.9, with jupytext 1.19.6: "Failed to create module ... RUNTIME-012").
    broken = [
        f"{kind}: {text}"
        for kind, text in messages
        if kind in ("error", "pageerror")
        or (
            kind == "warning"
            and any(sign in text for sign in ("jupytext", "Failed to create module", "RUNTIME-0"))
        )
    ]
    assert not broken, broken


@pytest.mark.browser
def test_other_markdown_files_still_open_as_text_in_jupyterlab(binder, lab, browser):
    page = browser.new_page()
    try:
        page.goto(f"{lab}/lab/tree/README.md")
        page.locator(".jp-FileEditor").first.wait_for(timeout=60_000)
        assert page.locator(".jp-Notebook").count() == 0
    finally:
        page.close()
