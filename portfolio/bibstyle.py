"""A pybtex citation style that prints titles as the authors wrote them.

pybtex's ``plain`` style turns every title into sentence case ("A deep dive of
count-min sketch for ..."), which misstates the papers' exact titles. This style is
``plain`` with that one step removed; ``conf.py`` selects it with
``bibtex_default_style = "portfolio"``.
"""

from __future__ import annotations

from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.template import field, sentence

STYLE_NAME = "portfolio"


class ExactTitleStyle(PlainStyle):
    """The ``plain`` style, with each title kept in its original capitalisation."""

    def format_title(self, e, which_field, as_sentence=True):
        """Return the title field unchanged, as a sentence unless told otherwise."""
        title = field(which_field)
        return sentence[title] if as_sentence else title


def setup(app) -> None:
    """Make the style available to sphinxcontrib-bibtex under :data:`STYLE_NAME`."""
    register_plugin("pybtex.style.formatting", STYLE_NAME, ExactTitleStyle, force=True)
