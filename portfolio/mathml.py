"""Math rendered to MathML at build time: no MathJax, no CDN, no script.

Sphinx's default math renderer loads MathJax from a CDN, which breaks two
standing requirements: pages make no third-party requests, and the site works
offline. Browsers render MathML Core natively, so the build converts each
formula once with ``latex2mathml`` and the page carries plain markup.

A formula ``latex2mathml`` cannot convert is a build warning (an error under
``-W``) located at the formula.
"""

from __future__ import annotations

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

from portfolio import __version__

logger = logging.getLogger(__name__)


def _to_mathml(self, node: nodes.Element, latex: str, display: str) -> str | None:
    try:
        return convert(latex, display=display)
    except Exception as exc:  # latex2mathml raises several exception types
        logger.warning(
            "cannot render formula %r as MathML: %s",
            latex,
            exc,
            location=node,
            type="portfolio",
            subtype="math",
        )
        return None


def visit_math(self, node: nodes.Element) -> None:
    """Write inline math as a MathML element."""
    mathml = _to_mathml(self, node, node.astext(), "inline")
    if mathml is not None:
        self.body.append(f'<span class="math notranslate">{mathml}</span>')
    raise nodes.SkipNode


def visit_displaymath(self, node: nodes.Element) -> None:
    """Write display math as a block MathML element, numbered like Sphinx's own."""
    latex = node.astext()
    mathml = _to_mathml(self, node, latex, "block")
    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node.get("number"):
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, "Link to this equation")
        self.body.append("</span>")
    if mathml is not None:
        self.body.append(mathml)
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict:
    """Register the ``mathml`` HTML math renderer."""
    app.add_html_math_renderer(
        "mathml",
        inline_renderers=(visit_math, None),
        block_renderers=(visit_displaymath, None),
    )
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
