"""The ``benchmark-results`` directive: committed benchmark JSON as a table, charts, provenance.

Some comparisons cannot run while the site builds: the peer libraries of
``benchmarks/bench_peers.py`` (omikuji, napkinXC, PECOS) are not site
dependencies and take minutes. Their results are committed as JSON, and this
directive renders such a file on a page::

    ```{benchmark-results} /benchmarks/results/peers.json
    ```

It writes, in order: a provenance paragraph (date, CPU, commit, package
versions, BLAS kernel, command), one table per problem (a row per method:
status, training time, prediction time per 1,000 queries, P@1/P@3/P@5, model
bytes, peak memory, threads) and two charts drawn with matplotlib at build time
(:mod:`portfolio.charts`: SVG images with alternative text, one drawing per layout and
colour mode): memory against the number of labels K and time against K, both on
logarithmic axes, a line per method.

A results file is checked before anything is rendered. A missing file, a
missing field in a problem or a method row, or missing provenance stops the
build with a :class:`BenchmarkResultsError` that names the file and each
missing field. The page is rebuilt when the JSON changes.

A sibling directive, ``slide-benchmark-results``, renders the results of
``benchmarks/bench_slide.py`` (one network, several trainers, and the ways of
predicting with each trained network)::

    ```{slide-benchmark-results} /benchmarks/results/slide.json
    ```

It writes the same provenance paragraph, a training table (a row per trainer:
seconds and CPU seconds per epoch, speed-up over the fastest dense trainer,
active outputs, P@1, peak memory), a prediction table (a row per trainer and
way of predicting: examples per second, P@1, its ratio to exact scoring,
classes scored) and one chart of time, memory and prediction. Its schema is
checked the same way, with the same error.

A third, ``slide-curves-results``, renders ``benchmarks/bench_slide_curves.py`` (the same
network trained for several epochs on two label laws)::

    ```{slide-curves-results} /benchmarks/results/slide-curves.json
    ```

It writes the provenance, per label law a table (a row per trainer: milliseconds per
batch, active outputs, P@1 and P@5, seconds to 95 % of the dense network's best P@1,
peak memory) and the profile of one SLIDE step, then one chart of P@1 against training
time, a panel per law.

The extension knows nothing of the benchmark code: the fields it requires are
declared here and a test checks that the benchmark writes them all.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from .charts import CSS as CHART_CSS
from .charts import (
    SLIDE_PREDICTION_WAYS,
    SLIDE_WAY_NAMES,
    chart_svg,
    figure_node,
    slide_chart_svg,
    slide_curves_svg,
)
from .charts import is_number as _is_number
from .charts import mean as _mean
from .charts import setup as setup_charts
from .errors import PortfolioStop, stop_build

logger = logging.getLogger(__name__)

__version__ = "0.1.0"

# -- the schema --------------------------------------------------------------------------

PROVENANCE_FIELDS = ("date", "cpu", "n_cpus", "versions", "git_commit", "blas", "command")
VERSION_FIELDS = ("numpy", "scipy", "numba")
BLAS_FIELDS = ("internal_api", "version", "architecture")
PROBLEM_FIELDS = ("name", "description", "n_classes", "n_train", "n_test", "methods")
METHOD_FIELDS = (
    "method",
    "family",
    "params",
    "status",
    "reason",
    "train_s",
    "predict_ms_per_1k",
    "p_at_1",
    "p_at_3",
    "p_at_5",
    "model_bytes",
    "peak_rss_bytes",
    "threads",
    "threads_observed",
)
# Numbers every finished ("ok") method must have; other statuses may leave them null.
MEASURED_FIELDS = (
    "train_s",
    "predict_ms_per_1k",
    "p_at_1",
    "p_at_3",
    "p_at_5",
    "model_bytes",
    "peak_rss_bytes",
)
STATUSES = ("ok", "skipped", "timeout", "out_of_memory", "crashed", "error")


class BenchmarkResultsError(PortfolioStop):
    """A committed benchmark results file is missing, unreadable or incomplete."""

    category = "Benchmark results error"

    @property
    def summary(self) -> str:
        """The line after the problems: the build stops before any page is written."""
        return f"{self.category}: the results file above is not usable; nothing was built."


def stop_on_bad_results(directive: SphinxDirective, error: BenchmarkResultsError) -> None:
    """Log each problem of ``error`` at the directive's line, then stop the build."""
    for line in str(error).splitlines():
        logger.error(line, location=directive.get_location(), type="portfolio", subtype="results")
    stop_build(logger, error)


def results_of(directive: SphinxDirective, validate) -> tuple[str, dict]:
    """Read and validate the directive's results file: ``(name, data)``; bad files stop it.

    The page is rebuilt when the file changes.
    """
    rel, path = directive.env.relfn2path(directive.arguments[0], directive.env.docname)
    directive.env.note_dependency(path)
    try:
        return rel, load_results(Path(path), rel, validate)
    except BenchmarkResultsError as error:
        stop_on_bad_results(directive, error)


def _missing(mapping, fields, where: str) -> list[str]:
    return [f"{where}: missing field '{f}'" for f in fields if f not in mapping]


def validate_provenance(data: dict, rel: str) -> list[str]:
    """Return the problems of a results document's ``provenance`` (empty when complete)."""
    out: list[str] = []
    prov = data.get("provenance")
    if not isinstance(prov, dict):
        return [f"{rel}: missing field 'provenance' (date, CPU, versions, commit, BLAS)"]
    out += _missing(prov, PROVENANCE_FIELDS, f"{rel}: provenance")
    for field in PROVENANCE_FIELDS:
        if field in prov and prov[field] in (None, "", [], {}):
            out.append(f"{rel}: provenance: field '{field}' is empty")
    versions = prov.get("versions")
    if isinstance(versions, dict):
        out += _missing(versions, VERSION_FIELDS, f"{rel}: provenance.versions")
    blas = prov.get("blas")
    if isinstance(blas, list):
        for i, entry in enumerate(blas):
            if isinstance(entry, dict):
                out += _missing(entry, BLAS_FIELDS, f"{rel}: provenance.blas[{i}]")
    return out


def validate_results(data, rel: str) -> list[str]:
    """Return every problem of a results document (empty when it is complete).

    Parameters
    ----------
    data : object
        The parsed JSON document.
    rel : str
        The file's name, used in the messages.

    Returns
    -------
    list of str
        One message per problem, each naming the file, the place and the field.
    """
    if not isinstance(data, dict):
        return [f"{rel}: expected a JSON object at the top level"]
    out = validate_provenance(data, rel)
    problems = data.get("problems")
    if not isinstance(problems, list) or not problems:
        out.append(f"{rel}: missing field 'problems' (a non-empty list)")
        return out
    for i, prob in enumerate(problems):
        if not isinstance(prob, dict):
            out.append(f"{rel}: problems[{i}] is not an object")
            continue
        where = f"{rel}: problem {prob.get('name', i)!r}"
        out += _missing(prob, PROBLEM_FIELDS, where)
        methods = prob.get("methods")
        if not isinstance(methods, list):
            continue
        for j, row in enumerate(methods):
            if not isinstance(row, dict):
                out.append(f"{where}: methods[{j}] is not an object")
                continue
            at = f"{where}, method {row.get('method', j)!r}"
            out += _missing(row, METHOD_FIELDS, at)
            status = row.get("status")
            if "status" in row and status not in STATUSES:
                out.append(f"{at}: field 'status' is {status!r}, not one of {', '.join(STATUSES)}")
            if status == "ok":
                for field in MEASURED_FIELDS:
                    value = row.get(field)
                    if field in row and not _is_number(value):
                        out.append(f"{at}: field '{field}' must be a number, got {value!r}")
            elif status in STATUSES and not row.get("reason"):
                out.append(f"{at}: field 'reason' must say why the status is {status!r}")
    return out


def load_results(path: Path, rel: str, validate=None) -> dict:
    """Read and validate a results file; raise :class:`BenchmarkResultsError` on any problem.

    ``validate`` is the schema check (:func:`validate_results` unless given).
    """
    if not path.is_file():
        raise BenchmarkResultsError(f"{rel}: benchmark results file not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise BenchmarkResultsError(f"{rel}: not valid JSON: {err}") from None
    problems = (validate or validate_results)(data, rel)
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise BenchmarkResultsError(f"{count} in {rel}:\n" + "\n".join(problems))
    return data


# -- text and tables -----------------------------------------------------------------------


def _mib(value) -> str:
    return "–" if value is None else f"{value / 2**20:,.1f}"


def _num(value, digits: int) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


PEERS_NOTE = (
    "These are committed benchmark results: the peer libraries do not run while the site builds."
)


def provenance_paragraph(prov: dict, note: str = PEERS_NOTE) -> nodes.paragraph:
    """One sentence: when, where, which code and which libraries measured the results.

    The command is a literal, so ``--flags`` are not typeset as dashes; ``note``
    closes the paragraph (why the numbers are committed rather than measured).
    """
    versions = ", ".join(f"{k} {v}" for k, v in prov["versions"].items() if v)
    blas = "; ".join(
        f"{b['internal_api']} {b['version']} ({b['architecture']})" for b in prov["blas"]
    )
    dirty = prov.get("git_dirty") or []
    edits = f" plus uncommitted edits to {', '.join(dirty)}" if dirty else ""
    para = nodes.paragraph(classes=["portfolio-bench-provenance"])
    para += nodes.Text(
        f"Measured {prov['date']} on {prov['cpu']} ({prov['n_cpus']} CPUs) at commit "
        f"{str(prov['git_commit'])[:12]}{edits}, with {versions}; BLAS: {blas or 'none loaded'}. "
        "Command: "
    )
    para += nodes.literal(prov["command"], prov["command"])
    para += nodes.Text(f". {note}")
    return para


COLUMNS = (
    ("method", lambda r: r["method"]),
    ("status", lambda r: r["status"] if r["status"] == "ok" else f"{r['status']}: {r['reason']}"),
    ("train (s)", lambda r: _num(r["train_s"], 2)),
    ("predict (ms / 1,000 queries)", lambda r: _num(r["predict_ms_per_1k"], 1)),
    ("P@1", lambda r: _num(r["p_at_1"], 3)),
    ("P@3", lambda r: _num(r["p_at_3"], 3)),
    ("P@5", lambda r: _num(r["p_at_5"], 3)),
    ("model on disk (MiB)", lambda r: _mib(r["model_bytes"])),
    ("peak RSS (MiB)", lambda r: _mib(r["peak_rss_bytes"])),
    ("threads (observed)", lambda r: f"{r['threads']} ({r['threads_observed'] or '–'})"),
)


def results_table(problem: dict) -> nodes.table:
    """Build a docutils table (with a caption) of one problem's method rows."""
    table = nodes.table(classes=["portfolio-bench-table"])
    title = f"{problem['name']}: {problem['description']}"
    table += nodes.title(title, title)
    group = nodes.tgroup(cols=len(COLUMNS))
    table += group
    for _ in COLUMNS:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    head += _row([name for name, _ in COLUMNS])
    body = nodes.tbody()
    group += body
    for method in problem["methods"]:
        body += _row([cell(method) for _, cell in COLUMNS])
    return table


def _row(cells: list[str]) -> nodes.row:
    row = nodes.row()
    for value in cells:
        entry = nodes.entry()
        entry += nodes.paragraph(str(value), str(value))
        row += entry
    return row


def charts(problems: list[dict], rel: str, docname: str) -> list[nodes.Node]:
    """Draw the memory-versus-K and time-versus-K figures of a results file."""
    names = sorted({r["method"] for p in problems for r in p["methods"]})
    ks = sorted({p["n_classes"] for p in problems})
    sizes = ", ".join(f"{k:,}" for k in ks)
    out = []
    specs = (
        (
            "memory",
            (
                ("model_bytes", "model on disk (MiB)", 2**-20),
                ("peak_rss_bytes", "peak resident memory (MiB)", 2**-20),
            ),
            "Memory against the number of labels K, both axes logarithmic: model size on disk "
            "(first panel) and peak resident memory of the process that trained and predicted "
            "(second), "
            "one line per method. A method without a point at some K did not finish there; the "
            "tables say why.",
        ),
        (
            "time",
            (
                ("train_s", "training time (s)", 1.0),
                ("predict_ms_per_1k", "prediction (ms per 1,000 queries)", 1.0),
            ),
            "Time against the number of labels K, both axes logarithmic: training time (first "
            "panel) and prediction time per 1,000 queries (second), one line per method.",
        ),
    )
    for kind, panels, caption in specs:
        salt = hashlib.sha1(f"{docname}:{rel}:{kind}".encode()).hexdigest()[:12]
        alt = (
            f"Log-log line charts of {' and '.join(label for _, label, _ in panels)} against the "
            f"number of labels K ({sizes}) for the methods {', '.join(names)}."
        )
        out.append(
            figure_node(
                lambda layout, panels=panels, salt=salt: chart_svg(problems, panels, salt, layout),
                alt,
                caption,
                f"bench-{kind}-{salt}",
            )
        )
    return out


# -- a method against a reference, with targets ---------------------------------------------

RATIO_FIELDS = (
    ("train_s", "training time"),
    ("predict_ms_per_1k", "prediction time"),
    ("model_bytes", "model size"),
    ("peak_rss_bytes", "peak memory"),
    ("p_at_1", "P@1"),
    ("p_at_5", "P@5"),
)
_OPS = {"<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}
_SHOW = {"<=": "≤", ">=": "≥"}


def parse_compare(text: str) -> tuple[str, str]:
    """Split ``"A / B"`` into ``("A", "B")``: method A measured against reference B."""
    parts = [p.strip() for p in text.split("/")]
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"expected 'method / reference', got {text!r}")
    return parts[0], parts[1]


def parse_where(text: str) -> tuple[str, str]:
    """``"law=topical"`` -> ``("law", "topical")``."""
    field, sep, value = (text or "").partition("=")
    if not sep or not field.strip() or not value.strip():
        raise ValueError(f"expected 'field=value', got {text!r}")
    return field.strip(), value.strip()


def parse_targets(text: str) -> list[tuple[str, str, float]]:
    """Split ``"train_s <= 1, p_at_1 >= 0.9"`` into ``[("train_s", "<=", 1.0), ...]``."""
    fields = dict(RATIO_FIELDS)
    out = []
    for item in filter(None, (t.strip() for t in text.split(","))):
        match = re.fullmatch(r"(\w+)\s*(<=|>=)\s*([0-9.]+)", item)
        if not match or match.group(1) not in fields:
            raise ValueError(
                f"expected 'field <= number' or 'field >= number' with field one of "
                f"{', '.join(fields)}, got {item!r}"
            )
        out.append((match.group(1), match.group(2), float(match.group(3))))
    return out


def comparison_table(problems, method: str, reference: str, targets) -> nodes.table:
    """Build a table of ``method / reference`` ratios per problem, and which targets hold."""
    labels = dict(RATIO_FIELDS)
    head = ["problem", *(f"{label} ratio" for _, label in RATIO_FIELDS)]
    if targets:
        head.append("targets")
    table = nodes.table(classes=["portfolio-bench-table", "portfolio-bench-compare"])
    title = f"{method} relative to {reference}: each ratio is {method} / {reference}"
    if targets:
        title += "; targets: " + ", ".join(f"{labels[f]} {_SHOW[op]} {v:g}" for f, op, v in targets)
    table += nodes.title(title, title)
    group = nodes.tgroup(cols=len(head))
    table += group
    for _ in head:
        group += nodes.colspec(colwidth=1)
    thead = nodes.thead()
    group += thead
    thead += _row(head)
    body = nodes.tbody()
    group += body
    for prob in problems:
        rows = {r["method"]: r for r in prob["methods"]}
        a, b = rows.get(method), rows.get(reference)
        cells = [prob["name"]]
        if not a or not b or a["status"] != "ok" or b["status"] != "ok":
            missing = [
                f"{name}: {row['status'] if row else 'not run'}"
                for name, row in ((method, a), (reference, b))
                if not row or row["status"] != "ok"
            ]
            cells += ["–"] * len(RATIO_FIELDS)
            if targets:
                cells.append("not measured (" + "; ".join(missing) + ")")
            body += _row(cells)
            continue
        ratios = {f: a[f] / b[f] if b[f] else math.inf for f, _ in RATIO_FIELDS}
        cells += [f"{ratios[f]:.2f}×" for f, _ in RATIO_FIELDS]
        if targets:
            verdicts = [
                f"{labels[f]} {_SHOW[op]} {v:g}: {'holds' if _OPS[op](ratios[f], v) else 'fails'}"
                for f, op, v in targets
            ]
            cells.append("; ".join(verdicts))
        body += _row(cells)
    return table


# -- the directive -------------------------------------------------------------------------


class BenchmarkResultsDirective(SphinxDirective):
    """Render a committed benchmark results JSON: provenance, tables, charts.

    The argument is the file, relative to the page or, with a leading ``/``,
    to the source directory. Options:

    ``:no-charts:``
        Leave the charts out.
    ``:compare: method / reference``
        Add a table of ratios (method / reference) per problem.
    ``:targets: field <= x, field >= y``
        With ``:compare:``, say per problem whether each ratio target holds;
        fields: ``train_s``, ``predict_ms_per_1k``, ``model_bytes``,
        ``peak_rss_bytes``, ``p_at_1``, ``p_at_5``.
    ``:where: field=value``
        Show only the problems whose ``field`` is ``value`` (e.g. ``law=topical``),
        so that the charts draw one point per K.
    """

    required_arguments = 1
    option_spec = {
        "no-charts": lambda arg: True,
        "compare": parse_compare,
        "targets": parse_targets,
        "where": parse_where,
    }

    def run(self) -> list[nodes.Node]:
        """Validate the file, then return provenance, tables and charts in one container."""
        rel, data = results_of(self, validate_results)
        try:
            return self._run(rel, data)
        except BenchmarkResultsError as error:
            stop_on_bad_results(self, error)

    def _run(self, rel: str, data: dict) -> list[nodes.Node]:
        if "where" in self.options:
            field, value = self.options["where"]
            kept = [p for p in data["problems"] if str(p.get(field)) == value]
            if not kept:
                raise BenchmarkResultsError(
                    f"{rel}: :where: {field}={value} matches none of its "
                    f"{len(data['problems'])} problems"
                )
            data = {**data, "problems": kept}
        container = nodes.container(classes=["portfolio-bench"])
        container += provenance_paragraph(data["provenance"])
        for problem in data["problems"]:
            container += results_table(problem)
        if "compare" in self.options:
            method, reference = self.options["compare"]
            known = {r["method"] for p in data["problems"] for r in p["methods"]}
            for name in (method, reference):
                if name not in known:
                    raise BenchmarkResultsError(
                        f"{rel}: :compare: names method {name!r}, which the file does not "
                        f"have (it has {', '.join(sorted(known))})"
                    )
            targets = self.options.get("targets", [])
            container += comparison_table(data["problems"], method, reference, targets)
        elif "targets" in self.options:
            raise self.error(":targets: needs :compare: (which method against which)")
        if "no-charts" not in self.options:
            container.extend(charts(data["problems"], rel, self.env.docname))
        return [container]


# -- SLIDE: one network, several trainers, several ways of predicting ------------------------

SLIDE_CONFIG_FIELDS = (
    "n_features",
    "n_classes",
    "hidden_size",
    "n_train",
    "n_test",
    "n_epochs",
    "batch_size",
)
SLIDE_TRAINER_FIELDS = ("epoch_seconds", "epoch_cpu_seconds", "p_at_1", "peak_rss_bytes")
SLIDE_PREDICTION_FIELDS = ("n_queries", "index", *SLIDE_PREDICTION_WAYS)
SLIDE_WAY_FIELDS = ("examples_per_s", "p_at_1", "seconds")
SLIDE_SUMMARY_FIELDS = ("seconds_per_epoch", "fastest_dense", "p_at_1")
SLIDE_NOTE = (
    "These are committed benchmark results: training the full-size network with every "
    "trainer takes minutes, so it does not run while the site builds."
)


def _validate_slide_header(data: dict, rel: str) -> list[str]:
    """Return the problems of a SLIDE document's provenance and ``config`` (the network)."""
    out = validate_provenance(data, rel)
    config = data.get("config")
    if not isinstance(config, dict):
        out.append(f"{rel}: missing field 'config' (the network and data sizes)")
    else:
        out += _missing(config, SLIDE_CONFIG_FIELDS, f"{rel}: config")
    return out


def validate_slide_results(data, rel: str) -> list[str]:
    """Return every problem of a SLIDE results document (empty when it is complete).

    Parameters
    ----------
    data : object
        The parsed JSON document (as ``benchmarks/bench_slide.py`` writes it).
    rel : str
        The file's name, used in the messages.

    Returns
    -------
    list of str
        One message per problem, each naming the file, the place and the field.
    """
    if not isinstance(data, dict):
        return [f"{rel}: expected a JSON object at the top level"]
    out = _validate_slide_header(data, rel)
    results = data.get("results")
    if not isinstance(results, dict) or not results:
        out.append(f"{rel}: missing field 'results' (an object with a member per trainer)")
        results = {}
    for name in ("slide",):
        if results and name not in results:
            out.append(f"{rel}: results: missing field '{name}' (the SLIDE trainer)")
    if results and not {"dense", "torch"} & set(results):
        out.append(f"{rel}: results: missing field 'dense' or 'torch' (a dense trainer)")
    for name, res in results.items():
        at = f"{rel}: results.{name}"
        if not isinstance(res, dict):
            out.append(f"{at} is not an object")
            continue
        out += _missing(res, SLIDE_TRAINER_FIELDS, at)
        for field in ("epoch_seconds", "epoch_cpu_seconds", "p_at_1"):
            value = res.get(field)
            if field in res and (
                not isinstance(value, list) or not value or not all(map(_is_number, value))
            ):
                out.append(f"{at}: field '{field}' must be a non-empty list of numbers")
        if "peak_rss_bytes" in res and not _is_number(res["peak_rss_bytes"]):
            out.append(f"{at}: field 'peak_rss_bytes' must be a number")
        pred = res.get("prediction")
        if name == "slide" and pred is None:
            out.append(f"{at}: missing field 'prediction'")
        if not isinstance(pred, dict):
            continue
        out += _missing(pred, SLIDE_PREDICTION_FIELDS, f"{at}.prediction")
        for way in SLIDE_PREDICTION_WAYS:
            if isinstance(pred.get(way), dict):
                out += _missing(pred[way], SLIDE_WAY_FIELDS, f"{at}.prediction.{way}")
                for field in SLIDE_WAY_FIELDS:
                    if field in pred[way] and not _is_number(pred[way][field]):
                        out.append(f"{at}.prediction.{way}: field '{field}' must be a number")
    summary = data.get("summary")
    if not isinstance(summary, dict):
        out.append(f"{rel}: missing field 'summary'")
    else:
        out += _missing(summary, SLIDE_SUMMARY_FIELDS, f"{rel}: summary")
    return out


def slide_config_paragraph(config: dict) -> nodes.paragraph:
    """One sentence: the network and the data the trainers shared."""
    text = (
        f"Network: {config['n_features']:,} sparse input features, {config['hidden_size']:,} "
        f"ReLU units, {config['n_classes']:,} softmax outputs; {config['n_train']:,} generated "
        f"training rows, {config['n_test']:,} test rows (also the prediction queries), "
        f"{config['n_epochs']} epochs of batches of {config['batch_size']}."
    )
    return nodes.paragraph(text, text, classes=["portfolio-bench-config"])


def _table(title: str, head: list[str], rows: list[list[str]]) -> nodes.table:
    table = nodes.table(classes=["portfolio-bench-table", "portfolio-bench-slide"])
    table += nodes.title(title, title)
    group = nodes.tgroup(cols=len(head))
    table += group
    for _ in head:
        group += nodes.colspec(colwidth=1)
    thead = nodes.thead()
    group += thead
    thead += _row(head)
    body = nodes.tbody()
    group += body
    for cells in rows:
        body += _row(cells)
    return table


def slide_training_table(data: dict) -> nodes.table:
    """Build the training table: per trainer, time per epoch, speed-up, P@1, peak memory."""
    results, summary = data["results"], data["summary"]
    fastest = summary["fastest_dense"]
    dense_s = _mean(results[fastest]["epoch_seconds"]) if fastest in results else None
    rows = []
    for name, res in results.items():
        per_epoch = _mean(res["epoch_seconds"])
        active = res.get("mean_active")
        # The machine may be shared: the 1-minute load average before and after the trainer.
        load = [res.get("load_average_before"), res.get("load_average_after")]
        rows.append(
            [
                name,
                _num(per_epoch, 2),
                _num(_mean(res["epoch_cpu_seconds"]), 2),
                f"{dense_s / per_epoch:.2f}×" if dense_s else "–",
                "–" if active is None else f"{active:,.0f}",
                _num(res["p_at_1"][-1], 3),
                _mib(res["peak_rss_bytes"]),
                " → ".join(f"{x[0]:.1f}" for x in load) if all(load) else "–",
            ]
        )
    head = [
        "trainer",
        "s per epoch",
        "CPU s per epoch",
        f"speed-up over {fastest}",
        "mean active outputs",
        "P@1 (last epoch)",
        "peak RSS (MiB)",
        "load average",
    ]
    cpus = data["provenance"]["n_cpus"]
    title = (
        "Training: seconds per epoch, accuracy and peak memory per trainer (load average: the "
        f"machine's 1-minute load before and after the trainer ran, on {cpus} CPUs; above "
        f"{cpus}, other work competed for them)"
    )
    return _table(title, head, rows)


def slide_prediction_table(data: dict) -> nodes.table:
    """Build the prediction table: per trainer and way, throughput, P@1, ratio to exact."""
    rows = []
    for name, res in data["results"].items():
        pred = res.get("prediction")
        if not isinstance(pred, dict):
            continue
        exact = pred["exact"]["p_at_1"]
        for way in SLIDE_PREDICTION_WAYS:
            got = pred[way]
            cand = got.get("mean_candidates")
            rows.append(
                [
                    name,
                    SLIDE_WAY_NAMES[way],
                    f"{got['examples_per_s']:,.0f}",
                    _num(got["p_at_1"], 3),
                    f"{got['p_at_1'] / exact:.3f}" if exact else "–",
                    f"{data['config']['n_classes']:,}" if way == "exact" else _num(cand, 0),
                ]
            )
    head = ["network of", "prediction", "examples / s", "P@1", "× exact P@1", "classes scored"]
    return _table(
        "Prediction of the top class: examples per second and P@1 of each way", head, rows
    )


class SlideBenchmarkDirective(SphinxDirective):
    """Render the committed results of ``benchmarks/bench_slide.py``.

    The argument is the file, as for ``benchmark-results``. Option
    ``:no-charts:`` leaves the chart out.
    """

    required_arguments = 1
    option_spec = {"no-charts": lambda arg: True}

    def run(self) -> list[nodes.Node]:
        """Validate the file, then return provenance, the two tables and the chart."""
        rel, data = results_of(self, validate_slide_results)
        container = nodes.container(classes=["portfolio-bench"])
        container += provenance_paragraph(data["provenance"], SLIDE_NOTE)
        container += slide_config_paragraph(data["config"])
        container += slide_training_table(data)
        container += slide_prediction_table(data)
        if "no-charts" not in self.options:
            salt = hashlib.sha1(f"{self.env.docname}:{rel}:slide".encode()).hexdigest()[:12]
            names = ", ".join(data["results"])
            alt = (
                "Three charts. First: seconds per training epoch of each trainer "
                f"({names}) on a logarithmic axis. Second: peak resident memory of each "
                "trainer's process, with the 4 GiB target. Third: prediction throughput "
                "(examples per second, logarithmic) against P@1 relative to exact scoring, "
                "one marker per trainer and way of predicting, with the 2,000 per second and "
                "0.98 targets."
            )
            caption = (
                "Training time per epoch (first panel, logarithmic axis), peak memory (second) "
                "and prediction (third: throughput against P@1 relative to exact scoring of the "
                "same network; dashed and dotted lines mark the targets), from the committed "
                "results."
            )
            container += figure_node(
                lambda layout: slide_chart_svg(data, salt, layout),
                alt,
                caption,
                f"bench-slide-{salt}",
            )
        return [container]


# -- SLIDE trained for several epochs, on two label laws (bench_slide_curves.py) --------------

CURVES_TRAINER_FIELDS = ("train_time", "p_at_1", "p_at_5")
CURVES_PROFILE_PHASES = {
    "hidden": "hidden layer (sparse input × W1)",
    "active_set": "active sets (hash the hidden vectors, read the buckets, add the batch's labels)",
    "forward_backward": "output layer forward and backward over the active sets",
    "adam_output": "Adam on the touched output rows",
    "adam_input": "Adam on the touched input rows",
}
CURVES_NOTE = (
    "These are committed benchmark results: training the full-size network for several "
    "epochs with every trainer takes over an hour, so it does not run while the site builds."
)


def validate_curves_results(data, rel: str) -> list[str]:
    """Return every problem of a ``bench_slide_curves.py`` document (empty when complete)."""
    if not isinstance(data, dict):
        return [f"{rel}: expected a JSON object at the top level"]
    out = _validate_slide_header(data, rel)
    laws = data.get("laws")
    if not isinstance(laws, dict) or not laws:
        return [*out, f"{rel}: missing field 'laws' (an object with a member per label law)"]
    for law, entry in laws.items():
        at = f"{rel}: laws.{law}"
        results = entry.get("results") if isinstance(entry, dict) else None
        if not isinstance(results, dict) or not results:
            out.append(f"{at}: missing field 'results' (an object with a member per trainer)")
            continue
        for name in ("slide", "dense"):
            if name not in results:
                out.append(f"{at}.results: missing field '{name}'")
        for name, res in results.items():
            where = f"{at}.results.{name}"
            if not isinstance(res, dict):
                out.append(f"{where} is not an object")
                continue
            out += _missing(res, CURVES_TRAINER_FIELDS, where)
            lengths = set()
            for field in CURVES_TRAINER_FIELDS:
                value = res.get(field)
                if field in res and (
                    not isinstance(value, list) or not value or not all(map(_is_number, value))
                ):
                    out.append(f"{where}: field '{field}' must be a non-empty list of numbers")
                elif isinstance(value, list):
                    lengths.add(len(value))
            if len(lengths) > 1:
                out.append(f"{where}: fields {', '.join(CURVES_TRAINER_FIELDS)} differ in length")
            if name != "mode":
                out += _missing(res, ("ms_per_batch", "mean_active", "peak_rss_bytes"), where)
        if isinstance(results.get("slide"), dict) and "profile" not in results["slide"]:
            out.append(f"{at}.results.slide: missing field 'profile'")
        if not isinstance(entry.get("summary"), dict):
            out.append(f"{at}: missing field 'summary'")
    return out


def _first_reaching(res: dict, target: float):
    for t, p in zip(res["train_time"], res["p_at_1"], strict=True):
        if p >= target:
            return t
    return None


def curves_table(law: str, entry: dict, n_classes: int) -> nodes.table:
    """Build the table of one law: per trainer cost per batch, active outputs, P@1, P@5, time."""
    results = entry["results"]
    dense_best = max(results["dense"]["p_at_1"])
    rows = []
    for name, res in results.items():
        t = _first_reaching(res, 0.95 * dense_best) if name != "mode" else None
        active = res.get("mean_active")
        rows.append(
            [
                name,
                _num(res.get("ms_per_batch"), 0),
                "–" if active is None else f"{active:,.0f} ({active / n_classes:.2%})",
                _num(res["p_at_1"][0], 3) if name != "mode" else "–",
                _num(max(res["p_at_1"]), 3),
                _num(res["p_at_5"][-1], 3),
                "–" if t is None else _num(t, 0),
                _num(res["train_time"][-1], 0) if name != "mode" else "–",
                _mib(res.get("peak_rss_bytes")),
            ]
        )
    head = [
        "trainer",
        "ms per batch",
        "active outputs per example",
        "P@1, first evaluation",
        "best P@1",
        "P@5, last",
        "s to 0.95 × dense's best P@1",
        "training s in all",
        "peak RSS (MiB)",
    ]
    title = (
        f"{law} labels: cost per batch of 128 (training seconds over batches, table refills "
        "included), accuracy on the test rows and time to reach 95 % of the dense network's "
        "best P@1"
    )
    return _table(title, head, rows)


def profile_table(entry: dict) -> nodes.table:
    """Build the table of SLIDE's step, phase by phase (median wall ms per profiled batch)."""
    prof = entry["results"]["slide"]["profile"]
    rows = [
        [label, _num(1000 * prof[key], 1)]
        for key, label in CURVES_PROFILE_PHASES.items()
        if key in prof
    ]
    rows.append(["one step in all", _num(1000 * prof["step_total"], 1)])
    if "refill_every_row_seconds" in prof:
        rows.append(
            [
                "refilling the tables, every neuron rehashed",
                _num(1000 * prof["refill_every_row_seconds"], 0),
            ]
        )
    if "distinct_output_rows_per_batch" in prof:
        rows.append(
            [
                "distinct output rows a batch touches",
                f"{prof['distinct_output_rows_per_batch']:,.0f}",
            ]
        )
    return _table(
        "Where a SLIDE step goes (median milliseconds per batch of 128)", ["phase", "ms"], rows
    )


class SlideCurvesDirective(SphinxDirective):
    """Render the committed results of ``benchmarks/bench_slide_curves.py``.

    Per label law: a table of the trainers and SLIDE's per-phase profile; then one
    chart of P@1 against training time, a panel per law. ``:no-charts:`` leaves it out.
    """

    required_arguments = 1
    option_spec = {"no-charts": lambda arg: True}

    def run(self) -> list[nodes.Node]:
        """Validate the file, then return provenance, the tables and the chart."""
        rel, data = results_of(self, validate_curves_results)
        container = nodes.container(classes=["portfolio-bench"])
        container += provenance_paragraph(data["provenance"], CURVES_NOTE)
        container += slide_config_paragraph(data["config"])
        n_classes = data["config"]["n_classes"]
        for law, entry in data["laws"].items():
            container += curves_table(law, entry, n_classes)
            container += profile_table(entry)
        if "no-charts" not in self.options:
            salt = hashlib.sha1(f"{self.env.docname}:{rel}:curves".encode()).hexdigest()[:12]
            laws = ", ".join(data["laws"])
            alt = (
                f"One panel per label law ({laws}): test precision at 1 against training "
                "seconds on a logarithmic axis, one line per trainer (dense, SLIDE, random "
                "sampling of as many outputs, the batch's labels only), with a dashed line for "
                "always predicting the most frequent labels."
            )
            caption = (
                "Test P@1 against training time (evaluation excluded), one point per "
                "evaluation, from the committed results; the dashed line is the most frequent "
                "training labels predicted for every row."
            )
            container += figure_node(
                lambda layout: slide_curves_svg(data, salt, layout),
                alt,
                caption,
                f"bench-curves-{salt}",
            )
        return [container]


CSS = "portfolio-benchmarks.css"


#: The directives' stylesheet (written to ``_static/`` after an HTML build).
STYLESHEET = (
    CHART_CSS
    + ".portfolio-bench-provenance { font-size: 0.9em; color: var(--pst-color-text-muted); }\n"
)


def _write_css(app: Sphinx, exc) -> None:
    if exc is None and app.builder.format == "html":
        target = Path(app.outdir) / "_static" / CSS
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(STYLESHEET, encoding="utf-8")


def setup(app: Sphinx) -> dict:
    """Register the ``benchmark-results`` directives and their small stylesheet."""
    app.add_directive("benchmark-results", BenchmarkResultsDirective)
    app.add_directive("slide-benchmark-results", SlideBenchmarkDirective)
    app.add_directive("slide-curves-results", SlideCurvesDirective)
    setup_charts(app)
    app.add_css_file(CSS)
    app.connect("build-finished", _write_css)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
