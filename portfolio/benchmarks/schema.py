"""The results contract: what each kind of committed benchmark JSON must hold, as data.

A results file says its kind in its ``benchmark`` field: ``peers``
(``benchmarks/bench_peers.py``), ``slide`` (``bench_slide.py``) or ``slide-curves``
(``bench_slide_curves.py``). What each kind must hold is a JSON Schema (draft 2020-12)
in ``portfolio/benchmarks/schemas/<kind>.schema.json``, with the provenance every kind
carries in ``provenance.schema.json``. The benchmark scripts validate their report
against the same files before they write it, and the site validates the file when it
loads it, so the two packages share the contract without importing each other.

Here each schema error becomes one message naming the file, the place and the field
(``r.json: problem 'K=1,000', method 'mach': missing field 'p_at_1'``); a schema's
``x-hint`` says what a missing field is, its ``x-message`` replaces the generic wording.
The one rule JSON Schema cannot state, that a SLIDE curve's lists are equally long, is
checked in code (:func:`validate_curves_results`).
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator, validators
from referencing import Registry, Resource

from ..errors import PortfolioStop, load_json

SCHEMAS = Path(__file__).parent / "schemas"


def is_number(value) -> bool:
    """Return whether a results value is a finite number (a bool is not)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@cache
def schema(name: str) -> dict:
    """Return the parsed schema ``<name>.schema.json`` (``peers``, ``provenance``, ...)."""
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))


_PROVENANCE = schema("provenance")
_PEERS = schema("peers")
_METHOD = _PEERS["$defs"]["method"]
_SLIDE = schema("slide")

PROVENANCE_FIELDS = tuple(_PROVENANCE["required"])
VERSION_FIELDS = tuple(_PROVENANCE["properties"]["versions"]["required"])
BLAS_FIELDS = tuple(_PROVENANCE["properties"]["blas"]["items"]["required"])
PROBLEM_FIELDS = tuple(_PEERS["$defs"]["problem"]["required"])
METHOD_FIELDS = tuple(_METHOD["required"])
STATUSES = tuple(_METHOD["properties"]["status"]["enum"])
#: Numbers every finished ("ok") method must have; other statuses may leave them null.
MEASURED_FIELDS = tuple(_METHOD["allOf"][0]["then"]["properties"])
#: The ways of predicting with a trained SLIDE network, in the order they are shown.
SLIDE_PREDICTION_WAYS = tuple(_SLIDE["$defs"]["prediction"]["properties"])

# "number" means a finite number: Python's json reads NaN and Infinity, JSON Schema would
# take them for numbers.
_Validator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine(
        "number", lambda _checker, value: is_number(value)
    ),
)


@cache
def _validator(kind: str):
    registry = Registry().with_resources(
        (f"{p.name}", Resource.from_contents(json.loads(p.read_text(encoding="utf-8"))))
        for p in SCHEMAS.glob("*.schema.json")
    )
    return _Validator(schema(kind), registry=registry)


# List members named by a field of theirs in messages: ``problem 'K=1,000'``.
_NAMED = {"problems": ("problem", "name"), "methods": ("method", "method")}


def _where(data, path: list) -> str:
    """``provenance.blas[0]``, ``problem 'K=1,000', method 'mach'``, ``laws.single.results``."""
    parts, dotted, node, i = [], "", data, 0
    while i < len(path):
        key = path[i]
        nxt = path[i + 1] if i + 1 < len(path) else None
        if key in _NAMED and isinstance(nxt, int) and isinstance(node, dict):
            element = node[key][nxt]
            if isinstance(element, dict):
                if dotted:
                    parts.append(dotted)
                    dotted = ""
                noun, field = _NAMED[key]
                parts.append(f"{noun} {element.get(field, nxt)!r}")
                node, i = element, i + 2
                continue
        dotted += f"[{key}]" if isinstance(key, int) else (f".{key}" if dotted else str(key))
        node, i = node[key], i + 1
    if dotted:
        parts.append(dotted)
    return ", ".join(parts)


def _message(error, data, rel: str) -> str:
    path = list(error.absolute_path)
    here = _where(data, path)
    at = f"{rel}: {here}" if here else rel
    parent = _where(data, path[:-1]) if path else ""
    at_parent = f"{rel}: {parent}" if parent else rel
    key = path[-1] if path else None
    sub = error.schema if isinstance(error.schema, dict) else {}
    kind = error.validator
    if kind == "required":
        missing = error.message.split("'")[1]
        hint = _property_hint(error, missing)
        return f"{at}: missing field '{missing}'" + (f" ({hint})" if hint else "")
    if not path and kind == "type":
        return f"{rel}: expected a JSON object at the top level"
    if "x-hint" in sub and kind in ("type", "minItems", "minProperties"):
        return f"{at_parent}: missing field '{key}' ({sub['x-hint']})"
    if "x-message" in sub:
        text = sub["x-message"]
        if text.startswith("missing"):
            return f"{at}: {text}"
        siblings = error.instance if not path else _parent_instance(data, path)
        return f"{at_parent}: field '{key}' " + text.format(**(siblings or {}))
    if kind == "type" and isinstance(key, int) and sub.get("type") == "number":
        # a list of numbers holding something else: name the list
        prefix = _where_prefix(rel, data, path[:-2])
        return f"{prefix}field '{path[-2]}' must be a non-empty list of numbers"
    if kind == "type" and sub.get("type") == "object":
        return f"{at} is not an object"
    if kind == "type" and sub.get("type") == "number":
        return f"{at_parent}: field '{key}' must be a number, got {error.instance!r}"
    if kind == "enum":
        allowed = ", ".join(str(v) for v in sub["enum"])
        return f"{at_parent}: field '{key}' is {error.instance!r}, not one of {allowed}"
    return f"{at}: {error.message}"


def _where_prefix(rel: str, data, path: list) -> str:
    here = _where(data, path)
    return f"{rel}: {here}: " if here else f"{rel}: "


def _parent_instance(data, path: list):
    node = data
    for key in path[:-1]:
        node = node[key]
    return node if isinstance(node, dict) else None


def _property_hint(error, name: str) -> str | None:
    prop = (error.schema.get("properties") or {}).get(name, {})
    if "x-hint" in prop:
        return prop["x-hint"]
    ref = prop.get("$ref", "")
    target = None
    if ref.endswith(".schema.json"):
        target = schema(ref.removesuffix(".schema.json"))
    elif ref.startswith("#/$defs/"):
        target = _root_defs(error).get(ref.removeprefix("#/$defs/"))
    return (target or {}).get("x-hint")


def _root_defs(error) -> dict:
    # The error's schema belongs to one of the files; look the definition up in each.
    for name in ("peers", "slide", "slide-curves"):
        defs = schema(name).get("$defs", {})
        if any(d is error.schema or d == error.schema for d in _walk(schema(name))):
            return defs
    return {}


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def check(kind: str, data, rel: str) -> list[str]:
    """Return every problem of a results document of ``kind`` (empty when it is complete)."""
    errors = sorted(
        _validator(kind).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]
    )
    out = []
    for error in errors:
        message = _message(error, data, rel)
        if message not in out:
            out.append(message)
    return out


class BenchmarkResultsError(PortfolioStop):
    """A committed benchmark results file is missing, unreadable or incomplete."""

    category = "Benchmark results error"

    @property
    def summary(self) -> str:
        """The line after the problems: the build stops before any page is written."""
        return f"{self.category}: the results file above is not usable; nothing was built."


def validate_results(data, rel: str) -> list[str]:
    """Return every problem of a ``bench_peers.py`` document (empty when it is complete).

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
    return check("peers", data, rel)


def validate_slide_results(data, rel: str) -> list[str]:
    """Return every problem of a ``bench_slide.py`` document, as :func:`validate_results`."""
    return check("slide", data, rel)


def validate_curves_results(data, rel: str) -> list[str]:
    """Return every problem of a ``bench_slide_curves.py`` document, as :func:`validate_results`.

    Beyond the schema: the lists of each curve (``train_time``, ``p_at_1``, ``p_at_5``)
    are equally long.
    """
    out = check("slide-curves", data, rel)
    fields = tuple(schema("slide-curves")["$defs"]["curve"]["required"])
    laws = data.get("laws") if isinstance(data, dict) else None
    for law, entry in (laws or {}).items() if isinstance(laws, dict) else ():
        results = entry.get("results") if isinstance(entry, dict) else None
        for name, res in (results or {}).items() if isinstance(results, dict) else ():
            lengths = {
                len(res[f])
                for f in fields
                if isinstance(res, dict) and isinstance(res.get(f), list)
            }
            if len(lengths) > 1:
                out.append(
                    f"{rel}: laws.{law}.results.{name}: fields {', '.join(fields)} differ in length"
                )
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


#: Every kind of results file, with its validator.
KINDS = {
    "peers": validate_results,
    "slide": validate_slide_results,
    "slide-curves": validate_curves_results,
}
