"""Pages built from every notebook's record: their directives, and when they are re-read.

The execution report, the notebook gallery and the reproducibility tables show what every
notebook did in this build, which is known only once all pages are read. Their directives
therefore return an empty placeholder node and mark the page as depending on every notebook;
a ``doctree-resolved`` handler replaces the placeholder when the page is written. Such a page
is re-read on every build, so a notebook that changed, appeared or went shows on it at once.

A directive of this kind subclasses :class:`NotebookPlaceholder`, names its node class in
``placeholder``, and is registered with :func:`add_placeholder_directive`.
"""

from __future__ import annotations

from collections.abc import Callable

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


def _dependent_docs(env) -> set[str]:
    if not hasattr(env, "portfolio_dependent_docs"):
        env.portfolio_dependent_docs = set()
    return env.portfolio_dependent_docs


def depends_on_notebooks(env, docname: str) -> None:
    """Mark a page as showing data from every notebook (re-read each build)."""
    _dependent_docs(env).add(docname)


class NotebookPlaceholder(SphinxDirective):
    """A directive whose output is filled in from every notebook's record at write time.

    Subclasses set ``placeholder`` (the node class) and may override :meth:`attributes`
    to check their options, note further dependencies and set the node's attributes.
    """

    has_content = False
    placeholder: type[nodes.Element]

    def attributes(self) -> dict:
        """Return the placeholder's attributes (none by default)."""
        return {}

    def run(self) -> list[nodes.Node]:
        """Return the placeholder, filled in when the page is written."""
        depends_on_notebooks(self.env, self.env.docname)
        return [self.placeholder(**self.attributes())]


def add_placeholder_directive(
    app: Sphinx,
    name: str,
    directive: type[NotebookPlaceholder],
    fill: Callable[[Sphinx, nodes.document, str], None],
    priority: int = 500,
) -> None:
    """Register ``{name}``, its placeholder node, and ``fill`` to replace it at write time."""
    app.setup_extension("portfolio.placeholders")
    app.add_node(directive.placeholder)
    app.add_directive(name, directive)
    app.connect("doctree-resolved", fill, priority=priority)


def outdated(app: Sphinx, env, added, changed, removed) -> list[str]:
    """Re-read every page that depends on the notebooks."""
    return sorted(d for d in _dependent_docs(env) if d in env.found_docs and d not in changed)


def purge(app: Sphinx, env, docname: str) -> None:
    """Forget a page that is about to be read again."""
    _dependent_docs(env).discard(docname)


def merge(app: Sphinx, env, docnames, other) -> None:
    """Take the pages a parallel reader marked."""
    _dependent_docs(env).update(_dependent_docs(other))


def setup(app: Sphinx) -> dict:
    """Keep the set of pages that depend on every notebook."""
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-get-outdated", outdated)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
