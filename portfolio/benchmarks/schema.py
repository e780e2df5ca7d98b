"""The results contract: what each kind of committed benchmark JSON must hold.

A results file says its kind in its ``benchmark`` field: ``peers``
(``benchmarks/bench_peers.py``), ``slide`` (``bench_slide.py``) or ``slide-curves``
(``bench_slide_curves.py``). Each kind has one validator here (:data:`KINDS`), which
returns every problem at once, each naming the file, the place and the field. Every kind
carries the same provenance (:data:`PROVENANCE_FIELDS`). The extension knows nothing of
the benchmark code: a test checks that each script writes what its kind requires.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..errors import PortfolioStop, load_json

PROVENANCE_FIELDS = ("date", "cpu", "n_cpus", "versions", "git_commit", "blas", "command")
VERSION_FIELDS = ("numpy", "scipy", "numba")
BLAS_FIELDS = ("internal_api", "version", "architecture")
PROBLEM_FIELDS = ("name", "description", "n_classes", "n_train", "n_test", "methods")
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
METHOD_FIELDS = (
    "method",
    "family",
    "params",
    "status",
    "reason",
    *MEASURED_FIELDS,
    "threads",
    "threads_observed",
)
STATUSES = ("ok", "skipped", "timeout", "out_of_memory", "crashed", "error")
#: The ways of predicting with a trained SLIDE network, in the order they are shown.
SLIDE_PREDICTION_WAYS = ("exact", "lsh", "lsh_prior", "prior")


def is_number(value) -> bool:
    """Return whether a results value is a finite number (a bool is not)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class BenchmarkResultsError(PortfolioStop):
    """A committed benchmark results file is missing, unreadable or incomplete."""

    category = "Benchmark results error"

    @property
    def summary(self) -> str:
        """The line after the problems: the build stops before any page is written."""
        return f"{self.category}: the results file above is not usable; nothing was built."


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
                    if field in row and not is_number(value):
                        out.append(f"{at}: field '{field}' must be a number, got {value!r}")
            elif status in STATUSES and not row.get("reason"):
                out.append(f"{at}: field 'reason' must say why the status is {status!r}")
    return out


def load_results(path: Path, rel: str, validate=None) -> dict:
    """Read and validate a results file; raise :class:`BenchmarkResultsError` on any problem.

    ``validate`` is the schema check; unless given, the one of the file's kind (its
    ``benchmark`` field: :data:`KINDS`). The file is read strictly (a key given twice is
    refused, :func:`portfolio.errors.load_json`).
    """
    if not path.is_file():
        raise BenchmarkResultsError(f"{rel}: benchmark results file not found")
    data, problems = load_json(path, rel)
    if problems:
        problem = problems[0]
        at = f" (line {problem.line})" if problem.line else ""
        what = problem.what.removeprefix("JSON syntax error: ")
        raise BenchmarkResultsError(f"{rel}: not valid JSON{at}: {what}")
    if validate is None:
        kind = data.get("benchmark") if isinstance(data, dict) else None
        if kind not in KINDS:
            raise BenchmarkResultsError(
                f"{rel}: field 'benchmark' is {kind!r}, not one of {', '.join(KINDS)} "
                "(the kind of results, which decides how they are checked and shown)"
            )
        validate = KINDS[kind]
    problems = validate(data, rel)
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise BenchmarkResultsError(f"{count} in {rel}:\n" + "\n".join(problems))
    return data


# -- bench_slide.py: one network, several trainers, several ways of predicting ---------------

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
    """Return every problem of a ``bench_slide.py`` document, as :func:`validate_results`."""
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
                not isinstance(value, list) or not value or not all(map(is_number, value))
            ):
                out.append(f"{at}: field '{field}' must be a non-empty list of numbers")
        if "peak_rss_bytes" in res and not is_number(res["peak_rss_bytes"]):
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
                    if field in pred[way] and not is_number(pred[way][field]):
                        out.append(f"{at}.prediction.{way}: field '{field}' must be a number")
    summary = data.get("summary")
    if not isinstance(summary, dict):
        out.append(f"{rel}: missing field 'summary'")
    else:
        out += _missing(summary, SLIDE_SUMMARY_FIELDS, f"{rel}: summary")
    return out


# -- bench_slide_curves.py: SLIDE for several epochs, on two label laws ------------------------

CURVES_TRAINER_FIELDS = ("train_time", "p_at_1", "p_at_5")


def validate_curves_results(data, rel: str) -> list[str]:
    """Return every problem of a ``bench_slide_curves.py`` document, as :func:`validate_results`."""
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
                    not isinstance(value, list) or not value or not all(map(is_number, value))
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


#: Every kind of results file, with its validator.
KINDS = {
    "peers": validate_results,
    "slide": validate_slide_results,
    "slide-curves": validate_curves_results,
}
