"""Load and validate the site's data files once per build, before any page is read.

At ``builder-inited`` the BibTeX file, the talks, the news and the profile are
parsed (pybtex, PyYAML) and validated (pydantic, :mod:`portfolio.schema`), then
checked against each other and against the source tree: every ``demo`` names
an existing notebook, every ``paper`` key names an existing entry. Any problem
stops the build with :class:`~portfolio.errors.PortfolioDataError`, before a
single page is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pybtex.database import BibliographyData, Entry, parse_string
from pybtex.exceptions import PybtexError
from pybtex.richtext import Text as LatexText
from sphinx.application import Sphinx
from sphinx.util import logging

from .errors import (
    PortfolioDataError,
    Problem,
    key_lines,
    load_yaml,
    log_problem,
    stop_build,
    validate_entry,
)
from .schema import (
    BIBTEX_FIELDS,
    PUBLICATION_TEXT_FIELDS,
    NewsFile,
    Press,
    Profile,
    Publication,
    Talk,
    Update,
)

logger = logging.getLogger(__name__)

NOTEBOOK_SUFFIXES = (".md", ".ipynb")


@dataclass
class PortfolioData:
    """Everything the directives render, validated."""

    publications: dict[str, Publication] = field(default_factory=dict)
    bibtex: dict[str, str] = field(default_factory=dict)
    talks: dict[str, Talk] = field(default_factory=dict)
    updates: dict[str, Update] = field(default_factory=dict)
    press: dict[str, Press] = field(default_factory=dict)
    profile: Profile | None = None
    bib_keys: set[str] | None = None
    files: dict[str, Path] = field(default_factory=dict)

    def titles(self) -> dict[str, str]:
        """Every paper's key with its title (plain text)."""
        return {key: pub.title for key, pub in self.publications.items()}

    def demos(self, notebooks_dir: str) -> dict[str, str]:
        """Every paper with a demo: its key with the notebook's docname."""
        return {k: f"{notebooks_dir}/{p.demo}" for k, p in self.publications.items() if p.demo}

    def paper_of_notebook(self, notebook_docname: str, notebooks_dir: str) -> str | None:
        """Return the key of the paper whose demo is ``notebook_docname``, if any."""
        for key, pub in self.publications.items():
            if pub.demo and f"{notebooks_dir}/{pub.demo}" == notebook_docname:
                return key
        return None


# -- BibTeX ------------------------------------------


def latex_to_text(value: str) -> str:
    """Decode BibTeX/LaTeX markup (case-protecting braces, accents) to plain text."""
    return LatexText.from_latex(value).render_as("text").strip()


def person_name(person) -> str:
    """Format a pybtex person as ``First Middle von Last, Jr.``, LaTeX decoded."""
    parts = person.first_names + person.middle_names + person.prelast_names + person.last_names
    name = " ".join(latex_to_text(p) for p in parts)
    if person.lineage_names:
        name += ", " + " ".join(latex_to_text(p) for p in person.lineage_names)
    return name


def _entry_line(text: str, key: str, occurrence: int = 0) -> int | None:
    pattern = re.compile(rf"@\s*\w+\s*[{{(]\s*{re.escape(key)}\s*,", re.IGNORECASE)
    matches = list(pattern.finditer(text))
    if len(matches) <= occurrence:
        return None
    return text.count("\n", 0, matches[occurrence].start()) + 1


def _last_entry_before(text: str, line: int) -> str | None:
    head = "\n".join(text.splitlines()[:line])
    keys = re.findall(r"@\s*\w+\s*[{(]\s*([^,\s{}()]+)\s*,", head)
    return keys[-1] if keys else None


def copyable_bibtex(key: str, entry: Entry) -> str:
    """Return the entry as BibTeX a reference manager imports: standard fields only."""
    fields = [
        (name, value) for name, value in entry.fields.items() if name.lower() in BIBTEX_FIELDS
    ]
    persons = {
        role: people for role, people in entry.persons.items() if role.lower() in BIBTEX_FIELDS
    }
    clean = Entry(entry.type, fields=fields, persons=persons)
    return BibliographyData({key: clean}).to_string("bibtex").strip()


def load_bibliography(
    path: Path, rel: str
) -> tuple[dict[str, Publication], dict[str, str], list[Problem], set[str] | None]:
    """Parse and validate the BibTeX file.

    Returns
    -------
    publications : dict of str to Publication
        Valid entries by key, in file order.
    bibtex : dict of str to str
        Copyable BibTeX (standard fields only) by key.
    problems : list of Problem
        Syntax errors, duplicate keys, and schema violations.
    keys : set of str or None
        Every key in the file, valid or not; None if the file could not be parsed.
    """
    if not path.is_file():
        return {}, {}, [Problem(rel, None, None, "data file not found", "file")], None
    text = path.read_text(encoding="utf-8")
    try:
        bib = parse_string(text, "bibtex")
    except PybtexError as err:
        return {}, {}, [_bib_syntax_problem(err, text, rel)], None

    publications, bibtex, problems = {}, {}, []
    for key, entry in bib.entries.items():
        line = _entry_line(text, key)
        data: dict[str, object] = {"key": key, "entry_type": entry.type.lower()}
        for name, value in entry.fields.items():
            name = name.lower()
            data[name] = latex_to_text(value) if name in PUBLICATION_TEXT_FIELDS else value.strip()
        for role, people in entry.persons.items():
            data[role.lower()] = [person_name(p) for p in people]
        pub, found = validate_entry(Publication, data, file=rel, key=key, line=line)
        problems.extend(found)
        if pub is not None:
            publications[key] = pub
            bibtex[key] = copyable_bibtex(key, entry)
    return publications, bibtex, problems, set(bib.entries)


def _bib_syntax_problem(err: PybtexError, text: str, rel: str) -> Problem:
    message = str(err)
    duplicate = re.match(r"repeated bibliograph\w* entry: (.+)$", message)
    if duplicate:
        key = duplicate.group(1).strip()
        first, second = _entry_line(text, key, 0), _entry_line(text, key, 1)
        return Problem(
            rel, key, "key", f"duplicate key (first defined on line {first})", "duplicate", second
        )
    duplicate_field = re.match(r"entry with key (.+) has a duplicate (\S+) field", message)
    if duplicate_field:
        key, name = duplicate_field.groups()
        return Problem(rel, key, name, "field given twice", "duplicate", _entry_line(text, key))
    parser = getattr(err, "parser", None)
    line = getattr(err, "lineno", None)
    key = (
        getattr(parser, "current_entry_key", None)
        or (line and _last_entry_before(text, line))
        or None
    )
    name = getattr(parser, "current_field_name", None)
    message = re.sub(r"^syntax error in line \d+: ", "", message)
    if message == "'}' expected" and name:
        message += f" (is a comma missing after field '{name}'?)"
    return Problem(rel, key, name, f"malformed BibTeX: {message}", "syntax", line)


# -- YAML files ------------------------------------------


def _load_keyed(
    model, mapping: object, text: str, rel: str, section: str | None
) -> tuple[dict, list[Problem]]:
    where = f"'{section}'" if section else "the file"
    if mapping is None:
        return {}, []
    if not isinstance(mapping, dict):
        return {}, [Problem(rel, None, section, f"{where} must map ids to entries", "schema")]
    items, problems = {}, []
    lines = key_lines(text)
    for key, value in mapping.items():
        line = lines.get((section, str(key)) if section else (str(key),))
        obj, found = validate_entry(model, value, file=rel, key=str(key), line=line)
        problems.extend(found)
        if obj is not None:
            items[str(key)] = obj
    return items, problems


def load_talks(path: Path, rel: str) -> tuple[dict[str, Talk], list[Problem]]:
    """Load the talks file: a mapping of talk id to :class:`~portfolio.schema.Talk`."""
    raw, problems = load_yaml(path, rel)
    if problems:
        return {}, problems
    return _load_keyed(Talk, raw, path.read_text(encoding="utf-8"), rel, None)


def load_news(path: Path, rel: str) -> tuple[dict[str, Update], dict[str, Press], list[Problem]]:
    """Load the news file: ``updates`` and ``press`` mappings."""
    raw, problems = load_yaml(path, rel)
    if problems:
        return {}, {}, problems
    top, problems = validate_entry(
        NewsFile, raw if raw is not None else {}, file=rel, key=None, line=None
    )
    if top is None:
        return {}, {}, problems
    text = path.read_text(encoding="utf-8")
    updates, found_u = _load_keyed(Update, top.updates, text, rel, "updates")
    press, found_p = _load_keyed(Press, top.press, text, rel, "press")
    return updates, press, found_u + found_p


def load_profile(path: Path, rel: str) -> tuple[Profile | None, list[Problem]]:
    """Load the profile file (education, experience, awards, service)."""
    raw, problems = load_yaml(path, rel)
    if problems:
        return None, problems
    return validate_entry(Profile, raw, file=rel, key=None, line=None)


# -- The whole data set ------------------------------------------


def load_all(srcdir: Path, config) -> tuple[PortfolioData, list[Problem]]:
    """Load every data file named in the configuration and cross-check them."""
    data = PortfolioData()
    problems: list[Problem] = []
    names = {
        "bib": config.portfolio_bibfile,
        "talks": config.portfolio_talks_file,
        "news": config.portfolio_news_file,
        "profile": config.portfolio_profile_file,
    }
    for name, rel in names.items():
        if rel:
            data.files[name] = srcdir / rel
    if "bib" in data.files:
        pubs, bibtex, found, data.bib_keys = load_bibliography(data.files["bib"], names["bib"])
        data.publications, data.bibtex = pubs, bibtex
        problems += found
    if "talks" in data.files:
        data.talks, found = load_talks(data.files["talks"], names["talks"])
        problems += found
    if "news" in data.files:
        data.updates, data.press, found = load_news(data.files["news"], names["news"])
        problems += found
    if "profile" in data.files:
        data.profile, found = load_profile(data.files["profile"], names["profile"])
        problems += found
    problems += cross_check(data, srcdir, config, names)
    return data, problems


def cross_check(data: PortfolioData, srcdir: Path, config, names: dict[str, str]) -> list[Problem]:
    """Check references between files: demo notebooks exist, paper keys resolve."""
    problems = []
    bib_rel = names["bib"]
    bib_text = (
        data.files["bib"].read_text(encoding="utf-8")
        if data.files.get("bib", Path()).is_file()
        else ""
    )
    nb_dir = config.portfolio_notebooks_dir
    for key, pub in data.publications.items():
        if pub.demo and not any(
            (srcdir / nb_dir / f"{pub.demo}{s}").is_file() for s in NOTEBOOK_SUFFIXES
        ):
            looked = ", ".join(f"{nb_dir}/{pub.demo}{s}" for s in NOTEBOOK_SUFFIXES)
            problems.append(
                Problem(
                    bib_rel,
                    key,
                    "demo",
                    f"demo notebook '{pub.demo}' does not exist (looked for {looked})",
                    "demo",
                    _entry_line(bib_text, key),
                )
            )
    if data.bib_keys is not None:
        known = data.bib_keys
        refs = [("talks", None, key, item) for key, item in data.talks.items()]
        refs += [("news", "updates", key, item) for key, item in data.updates.items()]
        refs += [("news", "press", key, item) for key, item in data.press.items()]
        for source, section, key, item in refs:
            if item.paper and item.paper not in known:
                lines = key_lines(data.files[source].read_text(encoding="utf-8"))
                problems.append(
                    Problem(
                        names[source],
                        key,
                        "paper",
                        f"no publication with key '{item.paper}' in {bib_rel}",
                        "paper_key",
                        lines.get((section, key) if section else (key,)),
                    )
                )
    return problems


def builder_inited(app: Sphinx) -> None:
    """Load and validate all data; stop the build on the first bad file, listing every problem."""
    data, problems = load_all(Path(app.srcdir), app.config)
    if problems:
        for problem in problems:
            log_problem(logger, problem)
        stop_build(logger, PortfolioDataError(problems))
    app.env.portfolio_data = data  # re-read every build, so a changed file is always seen
    logger.info(
        "[portfolio] %d publications, %d talks, %d updates, %d press items",
        len(data.publications),
        len(data.talks),
        len(data.updates),
        len(data.press),
    )


def get_data(env) -> PortfolioData:
    """Return the data loaded for this build."""
    return env.portfolio_data


def loaded(env) -> PortfolioData:
    """Return the data loaded for this build, or none where :mod:`portfolio.data` is not set up.

    For the extensions that only decorate papers (claims rows, launch buttons, gallery
    cards): a site without the data family has no papers to decorate.
    """
    return getattr(env, "portfolio_data", None) or PortfolioData()


def setup(app: Sphinx) -> dict:
    """Register the data loader."""
    # Before sphinxcontrib-bibtex (priority 500), which would crash on a malformed file.
    app.connect("builder-inited", builder_inited, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
