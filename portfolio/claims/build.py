"""The claims during one build: read once, checked against the notebooks, judged once.

At ``builder-inited`` the claims file is read (:func:`portfolio.claims.loading.load_file`);
a bad file stops the build before any page is read. At ``env-check-consistency`` every
claim must name a known paper, a notebook that ran and a value it glued. Each claim's
verdict is computed once, the first time a page asks for it, and looked up by the table,
the paper pages and the badges alike.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from ..data import loaded
from ..errors import PortfolioStop, Problem, stop_build
from ..notebooks import records
from ..placeholders import depends_on_notebooks
from .evaluate import Verdict, evaluate_benchmark, notebook_status, timing_problem, verdicts
from .loading import SUBTYPE, BenchmarkValue, ClaimsError, load_file, section_lines
from .schema import COMPARISON, BenchmarkClaim, Claim

logger = logging.getLogger(__name__)


class ClaimsFileError(PortfolioStop):
    """The claims file does not validate: the build stops before reading any page."""

    category = "Claims file error"


def claims_of(app: Sphinx) -> list[Claim]:
    """Return the validated claims of this build (read at ``builder-inited``)."""
    return getattr(app, "portfolio_claims", [])


def benchmark_claims_of(app: Sphinx) -> list[tuple[BenchmarkClaim, BenchmarkValue]]:
    """Return the validated benchmark claims of this build, each with its read value."""
    return getattr(app, "portfolio_benchmark_claims", [])


def paper_titles(app: Sphinx) -> dict[str, str]:
    """Every paper of this build's BibTeX file, by key, with its title."""
    return loaded(app.env).titles()


def verdicts_of(app: Sphinx) -> dict[str, Verdict]:
    """Every notebook claim's verdict in this build, by claim id (computed on first use).

    Asked for only once every page was read (by ``doctree-resolved``), when every
    notebook's record is final.
    """
    if getattr(app, "_portfolio_verdicts", None) is None:
        folder = app.config.portfolio_notebooks_dir
        app._portfolio_verdicts = verdicts(claims_of(app), records(app.env), folder)
    return app._portfolio_verdicts


def paper_status(app: Sphinx, key: str) -> str:
    """``claims hold``, ``drifted`` or ``no demo`` for one paper, from its notebook claims."""
    found = verdicts_of(app)
    mine = [found[c.id][0] for c in claims_of(app) if c.paper == key]
    return notebook_status(mine) if mine else "no demo"


def benchmark_statuses(app: Sphinx, key: str) -> list[str]:
    """Return the status of each of one paper's benchmark claims, in the file's order."""
    return [evaluate_benchmark(c, v)[0] for c, v in benchmark_claims_of(app) if c.paper == key]


def load(app: Sphinx) -> None:
    """Read the claims file once per build; a bad file is a build error naming the problem."""
    label = app.config.portfolio_claims_file
    path = Path(app.srcdir, label)
    app.portfolio_claims, app.portfolio_benchmark_claims = [], []
    app._portfolio_verdicts = None
    if not path.is_file():
        return
    try:
        app.portfolio_claims, app.portfolio_benchmark_claims = load_file(
            path, Path(app.srcdir), label
        )
    except ClaimsError as error:
        for problem in error.problems:
            # "ERROR: claims.yaml:12: claim 'x', field 'y': ..." (the place leads the message)
            message = f"{problem.where}: {problem.what}"
            logger.error(message, type="portfolio", subtype=problem.subtype)
        count = f"{len(error.problems)} problem{'s' if len(error.problems) != 1 else ''}"
        stop_build(logger, ClaimsFileError(f"{count} in {label} (above); nothing was built."))


def _warn(problem: Problem) -> None:
    logger.warning(problem.what, type="portfolio", subtype=problem.subtype, location=problem.where)


def check(app: Sphinx, env) -> None:
    """Every claim names a known paper, a notebook that ran, and a value it glued."""
    file = str(Path(app.srcdir, app.config.portfolio_claims_file))
    notebooks = records(env)
    folder = app.config.portfolio_notebooks_dir
    known_papers = set(paper_titles(app))
    claims = claims_of(app)
    lines = dict(zip([c.id for c in claims], section_lines(Path(file), "claims"), strict=False))
    for claim in claims:
        line = lines.get(claim.id, 1)

        def problem(field: str, message: str, key: str = claim.id, line: int = line) -> Problem:
            return Problem(file, key, field, message, SUBTYPE, line, "claim")

        if known_papers and claim.paper not in known_papers:
            _warn(problem("paper", f"no paper {claim.paper!r} in the BibTeX file"))
        record = notebooks.get(f"{folder}/{claim.notebook}")
        if record is None:
            _warn(problem("notebook", f"no executed notebook {folder}/{claim.notebook}"))
            continue
        match = COMPARISON.match(claim.holds_if or "")
        missing = False
        for key in filter(None, [claim.glue, match["key"] if match else None]):
            if key not in record.glue:
                missing = True
                _warn(problem("glue", f"notebook {record.source} glued no value {key!r}"))
        if claim.timing is not None and not missing and record.succeeded:
            refused = timing_problem(claim, record.glue)
            if refused is not None:
                _warn(problem("timing", f"refused: {refused}"))


def check_benchmark_papers(app: Sphinx, env) -> None:
    """Every benchmark claim names a paper of the BibTeX file."""
    known_papers = set(paper_titles(app))
    file = str(Path(app.srcdir, app.config.portfolio_claims_file))
    lines = section_lines(Path(file), "benchmark_claims")
    for index, (claim, _) in enumerate(benchmark_claims_of(app)):
        if known_papers and claim.paper not in known_papers:
            line = lines[index] if index < len(lines) else 1
            message = f"no paper {claim.paper!r} in the BibTeX file"
            _warn(Problem(file, claim.id, "paper", message, SUBTYPE, line, "benchmark claim"))


def note_dependency(app: Sphinx, doctree: nodes.document) -> None:
    """Paper pages and the publications list show claim rows and badges: keep them current."""
    for element in doctree.findall(nodes.Element):
        classes = element.get("classes", [])
        if "portfolio-paper-header" in classes or "portfolio-publication" in classes:
            depends_on_notebooks(app.env, app.env.docname)
            app.env.note_dependency(str(Path(app.srcdir, app.config.portfolio_claims_file)))
            return
