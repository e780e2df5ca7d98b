"""Launch links, Colab copies, Binder files and the probe, without building the site."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest
from sphinx.errors import ConfigError

from portfolio.launch import (
    SETUP_TAG,
    binder_url,
    colab_notebook,
    colab_url,
    download_notebook,
    github_repo,
    sync_colab_copies,
    text_notebooks,
)
from portfolio.notebooks import PROBE_MARKER, glue_value, parse_knobs, probe_source, read_probe

ROOT = Path(__file__).resolve().parents[1]
REPO = "https://github.com/Tharun24/medini-portfolio"


def test_binder_url_opens_the_text_notebook_as_a_notebook():
    url = binder_url("https://mybinder.org", REPO, "main", "notebooks/mach.md")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "mybinder.org",
        "/v2/gh/Tharun24/medini-portfolio/main",
    )
    assert parse_qs(parts.query) == {
        "urlpath": ["notebooks/notebooks/mach.md?factory=Jupytext%20Notebook"]
    }
    # The server path Binder redirects to: the notebook page, the factory in its own query.
    target = urlsplit(parse_qs(parts.query)["urlpath"][0])
    assert target.path == "notebooks/notebooks/mach.md"
    assert parse_qs(target.query) == {"factory": ["Jupytext Notebook"]}


def test_binder_url_quotes_a_branch_with_a_slash_and_a_path_with_a_space():
    url = binder_url("https://mybinder.org", REPO, "feature/x", "notebooks/a b.md")
    assert "/feature%2Fx?" in url
    urlpath = parse_qs(urlsplit(url).query)["urlpath"][0]
    assert urlsplit(urlpath).path == "notebooks/notebooks/a%20b.md"


def test_colab_url_points_at_the_committed_ipynb():
    assert colab_url(REPO, "main", "notebooks/ipynb/mach.ipynb") == (
        "https://colab.research.google.com/github/Tharun24/medini-portfolio/blob/main/notebooks/ipynb/mach.ipynb"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://gitlab.com/a/b",
        "https://github.com/only-owner",
        "http://github.com/a/b",
        "https://github.com/a/b/c",
    ],
)
def test_repository_url_must_be_a_github_repository(url):
    with pytest.raises(
        ConfigError, match="portfolio_repository_url must be https://github.com/<owner>/<name>"
    ):
        github_repo(url)


def test_github_repo_accepts_a_git_suffix_and_trailing_slash():
    assert github_repo("https://github.com/Tharun24/medini-portfolio.git/") == (
        "Tharun24",
        "medini-portfolio",
    )


# -- Colab copies ---------------------------------------------------------------------------


def test_every_text_notebook_has_a_committed_colab_copy_in_sync():
    stale = sync_colab_copies(ROOT, check=True)
    assert not stale, (
        f"stale or missing Colab copies {stale}: run `.venv/bin/python -m portfolio.launch`"
    )


def test_colab_copy_starts_with_a_setup_cell_then_the_notebook_cells(tmp_path):
    source = ROOT / "notebooks" / "count-min-sketch.md"
    copy = colab_notebook(source, REPO, "main")
    import jupytext

    original = jupytext.read(source)
    assert SETUP_TAG in copy.cells[0].metadata["tags"]
    assert "git+https://github.com/Tharun24/medini-portfolio@main" in copy.cells[0].source
    assert [c.source for c in copy.cells[1:]] == [c.source for c in original.cells]
    assert all(not c.get("outputs") for c in copy.cells if c.cell_type == "code")
    nbformat.validate(copy)


def test_sync_writes_missing_copies_and_removes_orphans(tmp_path):
    (tmp_path / "notebooks" / "ipynb").mkdir(parents=True)
    (tmp_path / "conf.py").write_text("portfolio_colab_dir = 'notebooks/ipynb'\n")
    (tmp_path / "notebooks" / "demo.md").write_text(
        (ROOT / "tests/roots/notebooks-demo/notebooks/demo.md").read_text()
    )
    (tmp_path / "notebooks" / "plain.md").write_text("# Not a notebook\n")
    (tmp_path / "notebooks" / "ipynb" / "gone.ipynb").write_text("{}")
    assert sync_colab_copies(tmp_path, check=True) == [
        "notebooks/ipynb/demo.ipynb",
        "notebooks/ipynb/gone.ipynb",
    ]
    assert sync_colab_copies(tmp_path) == [
        "notebooks/ipynb/demo.ipynb",
        "notebooks/ipynb/gone.ipynb",
    ]
    assert sorted(p.name for p in (tmp_path / "notebooks" / "ipynb").iterdir()) == ["demo.ipynb"]
    assert sync_colab_copies(tmp_path, check=True) == []


def test_colab_copies_are_excluded_from_the_site():
    conf = (ROOT / "conf.py").read_text()
    assert "exclude_patterns += [portfolio_colab_dir]" in conf


# -- Binder ----------------------------------------------------------------------------------


def requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[=<>!~\[; ]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def notebook_imports(path: Path) -> set[str]:
    import ast

    import jupytext

    found = set()
    for cell in jupytext.read(path).cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(
            line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_binder_reads_one_folder_that_installs_the_repository_once():
    # repo2docker reads binder/ and ignores root environment files when it exists; with it,
    # it does not run its own `pip install .`, so the `-e .` line is the only install.
    binder = ROOT / "binder"
    assert not (ROOT / ".binder").exists()
    for stray in ("runtime.txt", "postBuild", "environment.yml", "apt.txt", "setup.py"):
        assert not (ROOT / stray).exists(), f"{stray} at the root: Binder would not read it"
    assert re.fullmatch(r"python-3\.\d+\n?", (binder / "runtime.txt").read_text())
    lines = [
        line.split("#", 1)[0].strip()
        for line in (binder / "requirements.txt").read_text().splitlines()
    ]
    assert [line for line in lines if line] == ["-r ../requirements.txt"]
    root = [
        line.split("#", 1)[0].strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
    ]
    assert root.count("-e .") == 1


def test_binder_python_satisfies_the_package_requirement():
    import tomllib

    version = (ROOT / "binder" / "runtime.txt").read_text().strip().removeprefix("python-")
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    minimum = re.fullmatch(r">=\s*(\d+)\.(\d+)", requires)
    assert minimum, requires
    assert tuple(map(int, version.split("."))) >= (int(minimum[1]), int(minimum[2]))


def test_every_third_party_module_a_notebook_imports_is_in_the_binder_requirements():
    from importlib.metadata import packages_distributions

    provided = packages_distributions()
    requirements = requirement_names(ROOT / "requirements.txt")
    own = {"rushml", "portfolio"}  # installed by the `-e .` line
    missing = {}
    for notebook in text_notebooks(ROOT):
        for module in sorted(notebook_imports(notebook) - own - set(sys.stdlib_module_names)):
            dists = {d.lower().replace("_", "-") for d in provided.get(module, [module])}
            if not dists & requirements:
                missing.setdefault(notebook.name, []).append(module)
    assert "-e ." in (ROOT / "requirements.txt").read_text()
    assert not missing, f"notebook imports not installed by requirements.txt: {missing}"


# -- The probe and the records -----------------------------------------------------------------


def test_probe_reports_memory_versions_and_seed_in_a_plain_python():
    code = "seed = 11\n" + probe_source(["numpy", "not-a-package"])
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith(PROBE_MARKER))
    data = json.loads(line[len(PROBE_MARKER) :])
    assert data["seed"] == 11
    assert (
        data["peak_bytes"] >= data["kernel_peak_bytes"] > 10 * 2**20
    )  # a Python with NumPy holds >10 MB
    assert set(data["versions"]) == {"python", "numpy"}
    assert data["cpu"] and data["commit"]


def test_probe_output_is_read_back_from_a_notebook():
    cell = nbformat.v4.new_code_cell("", metadata={"tags": ["remove-cell", "portfolio-probe"]})
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text='PORTFOLIO_PROBE {"peak_bytes": 5}\n')
    ]
    assert read_probe(nbformat.v4.new_notebook(cells=[cell])) == {"peak_bytes": 5}
    assert read_probe(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])) is None


def test_download_keeps_outputs_and_drops_the_probe_and_jupytext_metadata(tmp_path):
    keep = nbformat.v4.new_code_cell("1 + 1")
    keep.outputs = [
        nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1)
    ]
    probe = nbformat.v4.new_code_cell(
        "probe", metadata={"tags": ["remove-cell", "portfolio-probe"]}
    )
    notebook = nbformat.v4.new_notebook(
        cells=[keep, probe],
        metadata={
            "jupytext": {"x": 1},
            "kernelspec": {"name": "python3", "display_name": "Python 3"},
        },
    )
    path = tmp_path / "nb.ipynb"
    nbformat.write(notebook, path)
    out = download_notebook(path)
    assert [c.source for c in out.cells] == ["1 + 1"] and out.cells[0].outputs[0]["data"][
        "text/plain"
    ] == "2"
    assert "jupytext" not in out.metadata and out.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.25", 0.25),
        ("np.float64(0.5)", 0.5),
        ("np.int64(12)", 12),
        ("True", True),
        ("'abc'", "abc"),
        ("x y", "x y"),
    ],
)
def test_glue_values_parse_from_their_text_form(text, value):
    assert glue_value(text) == value


def test_knobs_keep_the_value_source_and_the_comment_beside_it():
    code = (
        "n = 10_000   # K (paper: 49.46M)\nwidths = [64,\n          128]  # two widths\n"
        "seed = 0\nx, y = 1, 2\n"
    )
    assert parse_knobs(code) == [
        {"name": "n", "value": "10_000", "comment": "K (paper: 49.46M)"},
        {"name": "widths", "value": "[64,\n          128]", "comment": "two widths"},
        {"name": "seed", "value": "0", "comment": ""},
    ]


@pytest.mark.slow
def test_colab_setup_cell_runs_in_a_kernel_and_installs_nothing_when_all_is_there():
    import ast

    import nbclient

    copy = colab_notebook(ROOT / "notebooks" / "count-min-sketch.md", REPO, "main")
    setup = nbformat.v4.new_notebook(cells=[copy.cells[0]], metadata=copy.metadata)
    setup.cells.append(nbformat.v4.new_code_cell("print(sorted(wanted), missing)"))
    nbclient.NotebookClient(setup, timeout=60, kernel_name="python3").execute()
    assert setup.cells[0].outputs == []  # no pip run, no output
    printed = setup.cells[1].outputs[0]["text"]
    # What the notebook and the rushml modules it uses import; nothing is missing here.
    names = set(ast.literal_eval(printed[: printed.index("]") + 1]))
    assert names == {"matplotlib", "numpy", "rushml"}, names
    assert printed.rstrip().endswith("] []")


@pytest.mark.slow
def test_colab_setup_cell_stands_in_for_glue_where_myst_nb_is_missing():
    import nbclient

    copy = colab_notebook(ROOT / "notebooks" / "count-min-sketch.md", REPO, "main")
    cells = [
        nbformat.v4.new_code_cell('import sys\nsys.modules["myst_nb"] = None  # as on Colab'),
        copy.cells[0],
        nbformat.v4.new_code_cell(
            'from myst_nb import glue\nglue("x", 1.5, display=False)\nprint("glued")'
        ),
    ]
    run = nbformat.v4.new_notebook(cells=cells, metadata=copy.metadata)
    nbclient.NotebookClient(run, timeout=60, kernel_name="python3").execute()
    assert run.cells[1].outputs == []  # nothing to install: myst-nb is not wanted
    assert run.cells[2].outputs[0]["text"] == "glued\n"


def test_install_plan_pins_what_the_notebook_and_rushml_import(tmp_path):
    from portfolio.launch import install_plan

    (tmp_path / "rushml").mkdir()
    (tmp_path / "rushml" / "core.py").write_text(
        "import numpy\nfrom scipy import sparse\nimport os\n"
    )
    (tmp_path / "requirements.txt").write_text(
        "numpy==2.4.6\nscipy==1.17.1\nmyst-nb==1.4.0\n-e .\n"
    )
    # A module the notebook does not use brings nothing, however heavy its imports.
    (tmp_path / "rushml" / "games.py").write_text("import gymnasium\n")
    (tmp_path / "rushml" / "__init__.py").write_text("")
    (tmp_path / "rushml" / "outer.py").write_text("from . import core\n")
    cell = nbformat.v4.new_code_cell(
        "import json\nfrom rushml.outer import x\nfrom myst_nb import glue\n%time 1"
    )
    plan = install_plan(
        nbformat.v4.new_notebook(cells=[cell]), REPO, "dev", tmp_path / "requirements.txt"
    )
    assert plan == {
        "numpy": "numpy==2.4.6",
        "rushml": f"git+{REPO}@dev",
        "scipy": "scipy==1.17.1",
    }
