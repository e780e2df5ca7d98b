"""Data problems: where they are, what they are, and the error that stops the build.

Every problem names the data file (relative to the source directory), the line
where known, the entry key and the field, and carries a ``type.subtype`` tag
like a Sphinx warning, so one message says exactly what to fix and where.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml


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
