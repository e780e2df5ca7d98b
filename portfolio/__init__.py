"""Sphinx extension for the research portfolio: data, cards, metadata.

One module per directive family, each with its own ``setup``:

- :mod:`portfolio.config`: the ``portfolio_*`` configuration values;
- :mod:`portfolio.data`: loads and validates the data files at ``builder-inited``;
- :mod:`portfolio.publications`: publication lists, paper headers, ``{paper}``;
- :mod:`portfolio.scholar`: Google Scholar meta tags and JSON-LD on paper pages;
- :mod:`portfolio.cards`: each paper page's social card;
- :mod:`portfolio.assets`: each page links only the stylesheets it uses;
- :mod:`portfolio.trim`: the theme's stylesheet trimmed to the rules the site uses;
- :mod:`portfolio.talks`: the talks timeline;
- :mod:`portfolio.news`: updates, press and the Atom feed;
- :mod:`portfolio.cv`: the CV sections.
"""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

STATIC = Path(__file__).parent / "static"


def _add_static(app, config) -> None:
    if str(STATIC) not in config.html_static_path:
        config.html_static_path.append(str(STATIC))


def setup(app):
    """Register every part of the extension with Sphinx."""
    from . import (
        assets,
        bibstyle,
        cards,
        cv,
        data,
        news,
        publications,
        scholar,
        talks,
        trim,
    )

    # Through Sphinx, so that the notebook extensions, which need it too, find it loaded.
    app.setup_extension("portfolio.config")
    for module in (
        bibstyle,
        data,
        publications,
        scholar,
        cards,
        talks,
        news,
        cv,
        assets,
        trim,
    ):
        module.setup(app)
    app.setup_extension("sphinx_design")
    app.connect("config-inited", _add_static)
    app.add_css_file("portfolio-data.css")
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
