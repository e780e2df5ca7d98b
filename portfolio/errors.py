"""Data problems: where they are, what they are, and the error that stops the build.

Every problem names the data file (relative to the source directory), the line
where known, the entry key and the field, and carries a ``type.subtype`` tag
like a Sphinx warning, so one message says exactly what to fix and where.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one data file.

    Parameters
    ----------
    file : str
        Path of the data file, relative to the Sphinx source directory.
    key : str or None
        The entry key (BibTeX key or YAML id); None when the file itself is at fault.
    field : str or None
        The field at fault; None when the whole entry is.
    message : str
        What is wrong, in one sentence.
    subtype : str
        The ``portfolio.<subtype>`` tag, e.g. ``"schema"`` or ``"link"``.
    line : int or None
        1-based line in ``file`` where the entry starts (or the error is), if known.
    noun : str
        What the key names in messages: ``entry`` (a data file's entry) or, in the claims
        file, ``claim`` or ``benchmark claim``.
    """

    file: str
    key: str | None
    field: str | None
    message: str
    subtype: str = "schema"
    line: int | None = None
    noun: str = "entry"

    @property
    def where(self) -> str:
        """``file`` or ``file:line``."""
        return self.file if self.line is None else f"{self.file}:{self.line}"

    @property
    def what(self) -> str:
        """The message without its location: entry, field and problem."""
        parts = []
        if self.key is not None:
            parts.append(f"{self.noun} '{self.key}'")
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        return f"{', '.join(parts)}: {self.message}" if parts else self.message

    def __str__(self) -> str:
        return f"{self.where}: {self.what} [portfolio.{self.subtype}]"


class PortfolioStop(SystemExit):
    """Stop the build on the owner's mistake, after its problems were logged.

    Sphinx 9 prints a crash report (versions, traceback, "please open an issue") for every
    exception that reaches ``sphinx-build``, :class:`~sphinx.errors.SphinxError` included
    (sphinx-doc/sphinx#14543). A mistake in a data file is not a crash: the extension logs
    each problem as a Sphinx error and then one summary line, and raises this
    :class:`SystemExit` (exit status 1), which Sphinx lets through, so the owner reads
    their problems and nothing else. In-process callers catch it by its class.
    """

    category = "Portfolio error"

    def __init__(self, message: str):
        super().__init__(1)
        self.message = message

    def __str__(self) -> str:
        return self.message

    @property
    def summary(self) -> str:
        """The one line printed last (the problems themselves were logged before)."""
        return f"{self.category}: {self.message}"


class PortfolioDataError(PortfolioStop):
    """The site's data files are invalid; raised before any page is written."""

    category = "Portfolio data error"

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{count} in the data files; nothing was built:\n{lines}")

    @property
    def summary(self) -> str:
        """The one line printed after the problems."""
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        return f"{self.category}: {count} in the data files above; nothing was built."


class PortfolioNotebookError(PortfolioStop):
    """A demo notebook failed to run (a claim's assert, or any other error)."""

    category = "Notebook error"


class PortfolioConfigError(PortfolioStop):
    """A ``portfolio_*`` configuration value is invalid."""

    category = "Portfolio configuration error"


def log_problem(logger, problem: Problem) -> None:
    """Log one problem as a Sphinx error tagged ``portfolio.<subtype>``, at its location."""
    # A location with a ':' is printed as given ("file:line"), not looked up as a docname.
    if problem.line is not None:
        logger.error(
            problem.what, location=problem.where, type="portfolio", subtype=problem.subtype
        )
    else:
        logger.error(f"{problem.file}: {problem.what}", type="portfolio", subtype=problem.subtype)


def stop_build(logger, error: PortfolioStop) -> None:
    """Log ``error``'s summary line and stop the build with it (exit status 1)."""
    logger.error(error.summary)
    raise error


# -- YAML that refuses duplicate keys ------------------------------------------


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int, first_line: int):
        self.key, self.line, self.first_line = key, line, first_line
        super().__init__(key)


class _StrictLoader(yaml.SafeLoader):
    """A safe loader whose mappings reject a key given twice (PyYAML keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                hash(key)
            except TypeError:
                continue
            if key in seen:
                raise _DuplicateKey(str(key), line, seen[key])
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _timestamp_as_text(loader: _StrictLoader, node: yaml.Node) -> str:
    # Dates stay text: the schema validates them (a bad day such as 2019-10-41 gets our
    # message naming the entry and field, not a ValueError from PyYAML).
    return loader.construct_scalar(node)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _StrictLoader.construct_mapping
)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def load_yaml(path: Path, rel: str) -> tuple[object, list[Problem]]:
    """Read a YAML file strictly: syntax errors and repeated keys become problems.

    Parameters
    ----------
    path : pathlib.Path
        The file to read.
    rel : str
        Its name relative to the source directory, used in messages.

    Returns
    -------
    data : object
        The parsed document (None when it could not be parsed).
    problems : list of Problem
        Empty when the file parsed.
    """
    if not path.is_file():
        return None, [Problem(rel, None, None, "data file not found", "file")]
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.load(text, Loader=_StrictLoader), []
    except _DuplicateKey as err:
        msg = f"duplicate key (first defined on line {err.first_line})"
        return None, [Problem(rel, err.key, None, msg, "duplicate", err.line)]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(err, "problem", None) or str(err)
        return None, [Problem(rel, None, None, f"YAML syntax error: {problem}", "syntax", line)]


# -- JSON that refuses duplicate keys ------------------------------------------


def _refuse_duplicates(pairs: list[tuple[str, object]]) -> dict:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key, 0, 0)
        seen[key] = value
    return seen


def load_json(path: Path, rel: str) -> tuple[object, list[Problem]]:
    """Read a JSON file strictly: syntax errors and repeated keys become problems.

    The JSON counterpart of :func:`load_yaml` (Python's :mod:`json` keeps the last of a
    repeated key); used for the committed benchmark results.
    """
    if not path.is_file():
        return None, [Problem(rel, None, None, "data file not found", "file")]
    try:
        return json.loads(
            path.read_text(encoding="utf-8"), object_pairs_hook=_refuse_duplicates
        ), []
    except _DuplicateKey as err:
        return None, [Problem(rel, err.key, None, "duplicate key", "duplicate", None, "key")]
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        line = getattr(err, "lineno", None)
        message = f"JSON syntax error: {getattr(err, 'msg', err)}"
        return None, [Problem(rel, None, None, message, "syntax", line)]


def key_lines(text: str, depth: int = 2) -> dict[tuple[str, ...], int]:
    """1-based lines of the mapping keys in a YAML text, by key path, down to ``depth`` levels.

    ``{("press", "engadget-2020-03-03"): 31, ...}``; empty if the text does not parse.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[tuple[str, ...], int] = {}

    def walk(node, path: tuple[str, ...]) -> None:
        if not isinstance(node, yaml.MappingNode) or len(path) >= depth:
            return
        for key_node, value_node in node.value:
            key_path = (*path, str(key_node.value))
            lines.setdefault(key_path, key_node.start_mark.line + 1)
            walk(value_node, key_path)

    walk(root, ())
    return lines


# -- pydantic's errors as problems ------------------------------------------


class _FieldError(ValueError):
    """A cross-field rule broken; names the field to blame."""

    def __init__(self, field: str, message: str):
        self.field, self.message = field, message
        super().__init__(message)


def _describe(err: dict, model: type[BaseModel]) -> tuple[str | None, str]:
    loc = [str(part) for part in err["loc"]]
    field = ".".join(loc) if loc else None
    kind, value = err["type"], err.get("input")
    ctx = err.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, _FieldError):
        return cause.field, cause.message
    if kind == "missing":
        return field, "required field is missing"
    if kind == "extra_forbidden":
        allowed = _allowed_fields(model, loc[:-1])
        close = difflib.get_close_matches(loc[-1], allowed, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return field, f"unknown field{hint}"
    if kind == "value_error":
        return field, str(cause) if cause is not None else err["msg"]
    if kind == "literal_error":
        return field, f"must be {ctx.get('expected')}, got {value!r}"
    if kind == "string_pattern_mismatch":
        return field, f"{value!r} is not a valid name (letters, digits, '-', '_', '.', ':')"
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return field, f"must be a whole number, got {value!r}"
    if kind in {"bool_parsing", "bool_type"}:
        return field, f"must be true or false, got {value!r}"
    if kind in {"greater_than_equal", "less_than_equal"}:
        return field, f"{err['msg'].lower()}, got {value!r}"
    if kind == "too_short":
        return field, "must not be empty"
    return field, f"{err['msg']}, got {value!r}"


def _allowed_fields(model: type[BaseModel], path: list[str]) -> list[str]:
    current: Any = model
    for part in path:
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            break
        annotation = fields[part].annotation
        current = next(
            (
                a
                for a in getattr(annotation, "__args__", (annotation,))
                if hasattr(a, "model_fields")
            ),
            annotation,
        )
    return list(getattr(current, "model_fields", {}))


def validate_entry(
    model: type[BaseModel], data: Any, *, file: str, key: str | None, line: int | None
) -> tuple[Any, list[Problem]]:
    """Validate one entry against ``model``.

    Returns
    -------
    obj : model instance or None
        The validated entry, or None if it has problems.
    problems : list of Problem
        One per field at fault, each naming ``file``, ``key`` and the field.
    """
    if not isinstance(data, dict):
        return None, [
            Problem(file, key, None, f"must be a mapping of fields, got {data!r}", "schema", line)
        ]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field, message = _describe(err, model)
            subtype = "schema"
            if "is not a date" in message:
                subtype = "date"
            elif message.startswith("link ") or "a link must" in message:
                subtype = "link"
            elif message.startswith("unknown field"):
                subtype = "unknown_field"
            elif message.startswith("required field"):
                subtype = "missing_field"
            problems.append(Problem(file, key, field, message, subtype, line))
        return None, problems
