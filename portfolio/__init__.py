"""Sphinx extension for the research portfolio: data, cards, metadata, notebooks, claims.

One module per directive family, each with its own ``setup`` (ARCHITECTURE.md draws how
they connect). ``portfolio`` itself registers the data family:

- :mod:`portfolio.config`: every ``portfolio_*`` configuration value, declared once;
- :mod:`portfolio.data`: loads and validates the data files at ``builder-inited``
  (:mod:`portfolio.schema` the fields, :mod:`portfolio.errors` the problems);
- :mod:`portfolio.publications`: publication lists, paper headers, ``{paper}``;
- :mod:`portfolio.scholar`: Google Scholar meta tags and JSON-LD on paper pages;
- :mod:`portfolio.cards`: each paper page's social card;
- :mod:`portfolio.assets`: each page links only the stylesheets it uses;
- :mod:`portfolio.trim`: the theme's stylesheet trimmed to the rules the site uses;
- :mod:`portfolio.talks`: the talks timeline;
- :mod:`portfolio.news`: updates, press and the Atom feed;
- :mod:`portfolio.cv`: the CV sections.

The notebook family is listed in ``conf.py`` on its own:

- :mod:`portfolio.notebooks`: what the build learns about each executed notebook;
- :mod:`portfolio.execution`: budgets, provenance footers, the execution report;
- :mod:`portfolio.launch`: Binder, Colab and download buttons, the Colab copies;
- :mod:`portfolio.gallery`: the notebook gallery;
- :mod:`portfolio.claims`: the reproducibility table, paper rows and badges;
- :mod:`portfolio.benchmarks`: committed benchmark results as tables and charts;
- :mod:`portfolio.mathml`: equations as MathML.
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
