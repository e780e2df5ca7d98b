"""What the build learns about each executed notebook, shared by the notebook extensions.

MyST-NB executes every notebook (through jupyter-cache) while Sphinx reads it. This
module adds one hidden cell at the end of each notebook's source before it is parsed: a
*probe* that prints the kernel's peak memory, the versions of the packages it used, the CPU
model, the commit and the seed. After the notebook is read, the executed copy that
MyST-NB writes to its output folder is scanned for the probe's line, the glued values
(``myst_nb.glue``) and the knobs cell (tagged ``parameters``). The result, one
:class:`NotebookRecord` per notebook, lives in the Sphinx environment, so a cached
rebuild keeps it without running anything.

The probe is part of the executed source, so jupyter-cache keys its cache on it: changing
:data:`PROBE_CODE` re-executes every notebook once.

Consumers: :mod:`portfolio.execution` (budget box, provenance footer, execution report),
:mod:`portfolio.launch` (launch and download buttons, ``.ipynb`` downloads),
:mod:`portfolio.gallery` (notebook gallery) and :mod:`portfolio.claims`
(reproducibility table).
"""

from __future__ import annotations

import ast
import io
import json
import re
import time
import tokenize
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from .errors import PortfolioNotebookError, stop_build

__all__ = ["NotebookRecord", "PROBE_TAG", "records", "strip_probe"]

logger = logging.getLogger(__name__)

#: Tag of the injected probe cell (``remove-cell`` keeps it off the page).
PROBE_TAG = "portfolio-probe"
#: The probe prints one line starting with this marker, followed by JSON.
PROBE_MARKER = "PORTFOLIO_PROBE "

# The probe runs in the notebook's kernel. It reads peak resident memory of the kernel
# and of its child processes (joblib or Dask workers): finished children through
# RUSAGE_CHILDREN (the largest one), live ones through /proc/<pid>/status VmHWM. Their
# sum is an upper bound on what the notebook held at once. Names start with an
# underscore and are deleted, so the reader's namespace is left as it was.
PROBE_CODE = r"""
def _portfolio_probe(packages):
    import importlib.metadata, json, os, platform, resource, subprocess, sys
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    kernel = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    finished = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale
    live = 0
    if os.path.isdir("/proc"):
        parent = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        parent[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    pass
        todo, mine = [os.getpid()], []
        while todo:
            pid = todo.pop()
            kids = [p for p, pp in parent.items() if pp == pid]
            mine += kids
            todo += kids
        for pid in mine:
            try:
                with open(f"/proc/{pid}/status") as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            live += int(line.split()[1]) * 1024
            except OSError:
                pass
    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(l.split(":", 1)[1].strip() for l in info if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=12"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    user = globals()
    seed = next((user[n] for n in ("seed", "random_state", "SEED") if n in user), None)
    print("PORTFOLIO_PROBE " + json.dumps({
        "peak_bytes": kernel + finished + live, "kernel_peak_bytes": kernel,
        "children_peak_bytes": finished + live, "versions": versions, "cpu": cpu,
        "cores": os.cpu_count(), "commit": commit or "unknown",
        "seed": seed if isinstance(seed, (int, float, str, type(None))) else repr(seed),
    }))
_portfolio_probe(PACKAGES)
del _portfolio_probe
"""


@dataclass
class NotebookRecord:
    """What one build learned about one executed notebook."""

    docname: str
    source: str  # path relative to the source directory, e.g. "notebooks/mach.md"
    title: str = ""
    description: str = ""
    succeeded: bool = False
    method: str = ""
    runtime: float | None = None  # seconds, kernel start to finish (jupyter-cache)
    executed_at: float | None = None  # POSIX time of the execution (cached: of the cached run)
    from_cache: bool = False  # outputs taken from jupyter-cache rather than executed in this build
    peak_bytes: int | None = None
    versions: dict[str, str] = field(default_factory=dict)
    cpu: str = ""
    cores: int | None = None
    commit: str = ""
    seed: Any = None
    glue: dict[str, Any] = field(default_factory=dict)  # key -> float, int, bool or str
    knobs: list[dict[str, str]] = field(default_factory=list)  # name, value, comment
    thumbnail: dict[str, str] | None = None  # uri, alt of the notebook's first figure
    failure: str = ""  # why it failed: the cell and its error line, e.g. a claim's assert
    failure_line: int | None = None  # line of the failing statement in the source file

    def as_dict(self) -> dict[str, Any]:
        """Return the record as plain data."""
        return asdict(self)


# -- Configuration -----------------------------------------------------------------------
# The ``portfolio_*`` notebook settings are declared with every other one, in
# :mod:`portfolio.config`.


def start_clock(app: Sphinx, config) -> None:
    """Note when the build started (the execution report's total)."""
    app.portfolio_build_started = time.time()


# -- The probe ---------------------------------------------------------------------------


def probe_source(packages: list[str]) -> str:
    """Return the probe cell's code, with the list of packages to report."""
    return PROBE_CODE.replace("PACKAGES", repr(list(packages))).strip("\n")


def is_notebook_source(path: Path, text: str) -> str | None:
    """``"myst"`` for a MyST text notebook, ``"ipynb"`` for a notebook file, else None."""
    if path.suffix == ".ipynb":
        return "ipynb"
    if path.suffix == ".md":
        from myst_nb.core.read import is_myst_markdown_notebook

        if is_myst_markdown_notebook(text):
            return "myst"
    return None


def inject_probe(app: Sphinx, docname: str, source: list[str]) -> None:
    """Append the hidden probe cell to a notebook's source before MyST-NB reads it."""
    path = Path(app.env.doc2path(docname))
    kind = is_notebook_source(path, source[0])
    code = probe_source(app.config.portfolio_provenance_packages)
    if kind == "myst":
        source[0] = (
            source[0].rstrip("\n")
            + f"\n\n````{{code-cell}} ipython3\n:tags: [remove-cell, {PROBE_TAG}]\n\n{code}\n````\n"
        )
    elif kind == "ipynb":
        notebook = nbformat.reads(source[0], as_version=4)
        notebook.cells.append(
            nbformat.v4.new_code_cell(code, metadata={"tags": ["remove-cell", PROBE_TAG]})
        )
        source[0] = nbformat.writes(notebook)


def is_probe(cell) -> bool:
    """Whether a notebook cell is the injected probe."""
    return PROBE_TAG in cell.get("metadata", {}).get("tags", [])


def strip_probe(notebook) -> Any:
    """Return the notebook without the probe cell (for downloads)."""
    notebook.cells = [cell for cell in notebook.cells if not is_probe(cell)]
    return notebook


# -- Reading the executed notebook ---------------------------------------------------------

_NUMPY_SCALAR = re.compile(r"^np\.\w+\((.*)\)$")


def glue_value(text: str) -> Any:
    """Return a glued value's ``text/plain`` form as a number, bool, string or list of numbers."""
    text = text.strip()
    match = _NUMPY_SCALAR.match(text)
    if match:
        text = match.group(1)
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    if isinstance(value, list | tuple) and all(
        isinstance(item, int | float) and not isinstance(item, bool) for item in value
    ):
        return [float(item) for item in value]  # repeated measurements of a timing claim
    return value if isinstance(value, int | float | bool | str) else text


def read_glue(path: Path) -> dict[str, Any]:
    """Every value glued by an executed notebook, by key, from MyST-NB's ``.glue.json``."""
    if not path.is_file():
        return {}
    found: dict[str, Any] = {}
    for key, output in json.loads(path.read_text("utf8")).items():
        data = output.get("data", {})
        if "text/plain" in data:
            found[key] = glue_value(data["text/plain"])
    return found


def read_probe(notebook) -> dict[str, Any] | None:
    """Return the probe's measurements, or None when the probe did not print."""
    for cell in notebook.cells:
        if not is_probe(cell):
            continue
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            for line in text.splitlines():
                if line.startswith(PROBE_MARKER):
                    return json.loads(line[len(PROBE_MARKER) :])
    return None


def read_knobs(notebook) -> list[dict[str, str]]:
    """Return the knobs cell (tagged ``parameters``): each assignment, its value and its comment."""
    for cell in notebook.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return parse_knobs(cell.source)
    return []


def parse_knobs(code: str) -> list[dict[str, str]]:
    """Return the assignments of a knobs cell with the comment on their line (the paper's value)."""
    comments: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
    knobs = []
    for stmt in ast.parse(code).body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
        ):
            lines = range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)
            comment = " ".join(comments[n] for n in lines if n in comments)
            knobs.append(
                {
                    "name": stmt.targets[0].id,
                    "value": ast.get_source_segment(code, stmt.value) or "",
                    "comment": comment,
                }
            )
    return knobs


def first_figure(doctree: nodes.document) -> dict[str, str] | None:
    """Return the first image on a page, as its URI and alt text."""
    for image in doctree.findall(nodes.image):
        if image.get("uri"):
            return {"uri": image["uri"], "alt": image.get("alt", "")}
    return None


def page_title_and_description(doctree: nodes.document) -> tuple[str, str]:
    """Return the page's first heading and the first paragraph after it."""
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return "", ""
    title = section[0].astext() if section.children and isinstance(section[0], nodes.title) else ""
    # The first paragraph of the notebook's own text (not a banner another extension added).
    paragraph = next(
        (
            c
            for c in section.children
            if isinstance(c, nodes.paragraph)
            and not any(cls.startswith("portfolio-") for cls in c["classes"])
        ),
        None,
    )
    return title, paragraph.astext().replace("\n", " ") if paragraph is not None else ""


def with_outputs(env, executed: Path):
    """Return the executed notebook with its outputs, also written to :func:`outputs_path`.

    MyST-NB's copy in its output folder lacks the outputs when they came from
    jupyter-cache (it writes the notebook it parsed, not the merged one), so the outputs
    are merged from the cache here.
    """
    notebook = nbformat.read(executed, as_version=4)
    cache_path = env.mystnb_config.execution_cache_path
    if env.mystnb_config.execution_mode == "cache" and cache_path:
        from jupyter_cache import get_cache

        try:
            _, notebook = get_cache(str(cache_path)).merge_match_into_notebook(notebook)
        except KeyError:
            pass
    nbformat.write(notebook, outputs_path(executed))
    return notebook


def outputs_path(executed: Path) -> Path:
    """Where the executed notebook with outputs is kept (beside MyST-NB's copy)."""
    return executed.with_name(executed.stem + ".outputs.ipynb")


def collect(app: Sphinx, doctree: nodes.document) -> None:
    """After a notebook is read, record what its execution measured."""
    from myst_nb.sphinx_ import NbMetadataCollector

    env = app.env
    docname = env.docname
    exec_data = NbMetadataCollector.get_exec_data(env, docname)
    if not exec_data:
        return
    executed = Path(env.mystnb_config.output_folder, *f"{docname}.ipynb".split("/"))
    source = Path(env.doc2path(docname)).relative_to(app.srcdir).as_posix()
    record = NotebookRecord(docname=docname, source=source)
    record.title, record.description = page_title_and_description(doctree)
    record.succeeded = bool(exec_data.get("succeeded"))
    if not record.succeeded:
        record.failure, record.failure_line = explain_failure(
            exec_data, Path(env.doc2path(docname)).read_text("utf8")
        )
    record.method = str(exec_data.get("method", ""))
    record.runtime = exec_data.get("runtime")
    record.executed_at = exec_data.get("mtime")
    started = getattr(app, "portfolio_build_started", None)
    record.from_cache = bool(started and record.executed_at and record.executed_at < started)
    record.thumbnail = first_figure(doctree)
    if executed.is_file():
        notebook = with_outputs(env, executed)
        record.glue = read_glue(executed.with_name(executed.stem + ".glue.json"))
        record.knobs = read_knobs(notebook)
        probe = read_probe(notebook)
        if probe is None and record.succeeded:
            logger.warning(
                f"notebook {docname!r}: the build's probe cell printed nothing, so its memory "
                "and provenance are unknown",
                type="portfolio",
                subtype="probe",
                location=docname,
            )
        elif probe is not None:
            record.peak_bytes = probe.get("peak_bytes")
            record.versions = probe.get("versions", {})
            record.cpu = probe.get("cpu", "")
            record.cores = probe.get("cores")
            record.commit = probe.get("commit", "")
            record.seed = probe.get("seed")
    records(env)[docname] = record
    app.emit("portfolio-notebook-read", doctree, record)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CELL_LINE = re.compile(r"Cell In\[(\d+)\], line (\d+)")
_ERROR_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit)): (.*)$")


def explain_failure(exec_data: dict, source: str) -> tuple[str, int | None]:
    """Say in one line why a notebook failed, and where in its source file.

    MyST-NB keeps the failed run's traceback: the cell's code between two rules of
    dashes, then IPython's coloured traceback. Returned: ``"cell 14: AssertionError:
    claim '...' failed: ..."`` and the source line of the failing statement (None
    when the cell's code is not found in the file, as for a timeout).
    """
    text = _ANSI.sub("", str(exec_data.get("traceback") or ""))
    error = str(exec_data.get("error") or "the run failed")
    errors = [m for line in text.splitlines() if (m := _ERROR_LINE.match(line.strip()))]
    cells = _CELL_LINE.findall(text)
    what = f"{errors[-1][1]}: {errors[-1][2]}" if errors else error
    if errors and errors[-1][1] == "CellTimeoutError":
        what = f"{error}: a cell ran past nb_execution_timeout"
    line = None
    code = text.split("------------------\n", 2)  # [before, the cell's code, the rest]
    if len(code) == 3 and cells:
        cell_code = code[1].rstrip("\n")
        at = source.find(cell_code) if cell_code else -1
        if at >= 0:
            line = source.count("\n", 0, at) + int(cells[-1][1])
    prefix = f"cell {cells[-1][0]}: " if cells else ""
    return prefix + what, line


def report_failures(app: Sphinx, env) -> None:
    """Stop the build, before any page is written, if a notebook failed to run.

    Each failed notebook gets one line: the file and line, the cell and the error
    (a failed claim's assert message names the claim). The traceback stays in MyST-NB's
    report; a failed claim should read as a failed claim, not as a crash.
    """
    failed = [r for r in records(env).values() if not r.succeeded]
    if not failed:
        return
    for record in sorted(failed, key=lambda r: r.source):
        where = (
            record.source
            if record.failure_line is None
            else (f"{record.source}:{record.failure_line}")
        )
        logger.error(
            f"notebook failed: {record.failure}",
            location=where,
            type="portfolio",
            subtype="notebook",
        )
    count = f"{len(failed)} notebook{'s' if len(failed) != 1 else ''}"
    stop_build(logger, PortfolioNotebookError(f"{count} failed (above); nothing was built."))


def records(env) -> dict[str, NotebookRecord]:
    """Return the notebook records of this environment, by docname."""
    if not hasattr(env, "portfolio_notebooks"):
        env.portfolio_notebooks = {}
    return env.portfolio_notebooks


def purge(app: Sphinx, env, docname: str) -> None:
    records(env).pop(docname, None)


def merge(app: Sphinx, env, docnames, other) -> None:
    mine = records(env)
    for docname, record in records(other).items():
        if docname in docnames:
            mine[docname] = record


def setup(app: Sphinx) -> dict:
    """Register the settings, the probe and the record collector."""
    app.setup_extension("portfolio.config")
    app.add_event("portfolio-notebook-read")  # (app, doctree, record) after a notebook is read
    app.connect("config-inited", start_clock)
    app.connect("source-read", inject_probe)
    # After Sphinx's image collector (priority 500), so image URIs are the ones it registered.
    app.connect("doctree-read", collect, priority=600)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-updated", report_failures)
    return {"version": "0.1.0", "parallel_read_safe": True, "parallel_write_safe": True}
