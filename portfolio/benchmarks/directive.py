"""The ``benchmark-results`` directive: a committed results file, laid out by its kind.

::

    ```{benchmark-results} /benchmarks/results/peers.json
    :compare: mach / omikuji
    ```

The file is read and checked first (:func:`~portfolio.benchmarks.schema.load_results`,
by the kind its ``benchmark`` field names); then the layout of that kind renders it:
``peers`` (:mod:`~portfolio.benchmarks.peers`), ``slide`` and ``slide-curves``
(:mod:`~portfolio.benchmarks.slide`). A missing or incomplete file, or an option that
names what the file lacks, stops the build naming the file and the field; the page is
rebuilt when the file changes.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from ..errors import stop_build
from . import peers, slide
from .schema import BenchmarkResultsError, load_results

logger = logging.getLogger(__name__)

#: The layout of each kind of results file.
LAYOUTS = {
    "peers": peers.render,
    "slide": slide.render_slide,
    "slide-curves": slide.render_curves,
}
#: Options only the ``peers`` layout understands.
PEERS_OPTIONS = ("compare", "where")


def stop_on_bad_results(directive: SphinxDirective, error: BenchmarkResultsError) -> None:
    """Log each problem of ``error`` at the directive's line, then stop the build."""
    for line in str(error).splitlines():
        logger.error(line, location=directive.get_location(), type="portfolio", subtype="results")
    stop_build(logger, error)


class BenchmarkResultsDirective(SphinxDirective):
    """Render a committed benchmark results JSON: provenance, tables, charts.

    The argument is the file, relative to the page or, with a leading ``/``,
    to the source directory. Options:

    ``:no-charts:``
        Leave the charts out.
    ``:compare: method / reference``
        (``peers`` results) Add a table of ratios (method / reference) per problem,
        judged against the benchmark claims of the claims file that compare the two
        methods in this file (:mod:`portfolio.benchmarks.targets`).
    ``:where: field=value``
        (``peers`` results) Show only the problems whose ``field`` is ``value``
        (e.g. ``law=topical``), so that the charts draw one point per K.
    """

    required_arguments = 1
    option_spec = {
        "no-charts": lambda arg: True,
        "compare": peers.parse_compare,
        "where": peers.parse_where,
    }

    def run(self) -> list[nodes.Node]:
        """Validate the file, then return its kind's layout."""
        rel, path = self.env.relfn2path(self.arguments[0], self.env.docname)
        self.env.note_dependency(path)
        try:
            data = load_results(Path(path), rel)
            kind = data["benchmark"]
            misplaced = [f":{name}:" for name in PEERS_OPTIONS if name in self.options]
            if misplaced and kind != "peers":
                raise BenchmarkResultsError(
                    f"{rel}: {', '.join(misplaced)} applies to 'peers' results, and this "
                    f"file's kind is {kind!r}"
                )
            return LAYOUTS[kind](self, rel, data)
        except BenchmarkResultsError as error:
            stop_on_bad_results(self, error)
