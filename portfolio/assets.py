"""Fewer stylesheets in each page's ``<head>``: the ones its content uses, most in one file.

Every stylesheet in ``<head>`` blocks the first paint. On a phone over a slow link
Lighthouse counted nine on every page; the largest (MyST-NB's 43 kB, Pygments' 13 kB)
styled nothing on most of them, and each small one cost a request of its own. Sphinx and
its extensions register their stylesheets for every page; this hook, at
``html-page-context``, changes a page's list in two ways:

- it drops a large stylesheet whose markup the page's body does not contain:

  ==================  =====================================================
  stylesheet          kept when the body contains
  ==================  =====================================================
  ``mystnb.*.css``    an executed cell (``class="cell``) or a glued output
  ``pygments.css``    highlighted code (``class="highlight``)
  ==================  =====================================================

- it links the small ones nearly every page uses (sphinx-copybutton's and
  sphinx-design's as those packages ship them, then the extension's
  ``portfolio-data.css`` and ``portfolio-benchmarks.css`` and the site's
  ``portfolio.css``: about 12 kB gzipped) as one file, ``_static/portfolio-bundle.css``,
  in their place and in that order. The bundle is written before the first page that
  links it, so Sphinx versions its address by checksum as it does every stylesheet, and
  again after the build (an edit to ``portfolio.css`` alone rewrites no page).

Any other stylesheet (the theme's own) is kept. The body is the page's rendered content;
the theme's header, sidebars and footer use only the theme's stylesheet. The search page
is left alone: its results are drawn by script.
"""

from __future__ import annotations

import re

from sphinx.application import Sphinx

#: (pattern of the stylesheet's file name, markers: kept if any is in the body)
NEEDS = (
    (re.compile(r"(^|/)mystnb\.[0-9a-f]*\.?css$"), ('class="cell', "cell_output", "mystnb")),
    (re.compile(r"(^|/)pygments\.css$"), ('class="highlight',)),
)
#: The small stylesheets nearly every page uses, joined in this order into BUNDLE:
#: sphinx-copybutton's and sphinx-design's (as those packages ship them), then the
#: portfolio's own.
BUNDLED = (
    "copybutton.css",
    "sphinx-design.min.css",
    "portfolio-data.css",
    "portfolio-benchmarks.css",
    "portfolio.css",
)
BUNDLE = "portfolio-bundle.css"
#: Pages whose content is drawn in the browser, so the body says nothing of what it uses.
SCRIPTED_PAGES = {"search"}


def needed(filename: str, body: str) -> bool:
    """Return whether a page whose body is ``body`` needs the stylesheet ``filename``."""
    name = filename.split("?", 1)[0]
    for pattern, markers in NEEDS:
        if pattern.search(name):
            return any(marker in body for marker in markers)
    return True


def prune_stylesheets(app: Sphinx, pagename: str, templatename: str, context: dict, doctree):
    """Keep in the page's ``css_files`` only the stylesheets its body uses."""
    if pagename in SCRIPTED_PAGES or "css_files" not in context:
        return
    body = context.get("body", "")
    files = context["css_files"]
    bundled = [css for css in files if _name(css) in BUNDLED]
    if bundled:
        # Added through Sphinx for this page only (builder's list is the page's list).
        write_bundle(app)
        app.add_css_file(BUNDLE, priority=max(getattr(c, "priority", 500) for c in bundled))
    context["css_files"] = [
        css
        for css in files
        if _name(css) not in BUNDLED and needed(getattr(css, "filename", str(css)), body)
    ]


def _sources(app: Sphinx) -> dict[str, str]:
    """Return the text of each bundled stylesheet, from where the build copies or writes it.

    A file in a later ``html_static_path`` folder wins, as it does when Sphinx copies
    them; the benchmark directives' stylesheet is written by the build, from its text.
    """
    from .benchmarks import STYLESHEET

    found = {"portfolio-benchmarks.css": STYLESHEET}
    for folder in app.config.html_static_path:
        for name in BUNDLED:
            path = app.confdir / folder / name
            if path.is_file():
                found[name] = path.read_text("utf-8")
    return found


def bundle_text(app: Sphinx) -> str:
    """Return the bundle: each stylesheet the site has, in BUNDLED order, headed by its name."""
    sources = _sources(app)
    return "\n".join(f"/* {name} */\n{sources[name]}" for name in BUNDLED if name in sources)


def _name(css) -> str:
    return str(getattr(css, "filename", css)).split("?", 1)[0].rsplit("/", 1)[-1]


def write_bundle(app: Sphinx) -> None:
    """Write BUNDLE into the output's ``_static/``, once per build, before the first page.

    Written before any page links it, so Sphinx versions its address (``?v=`` and the
    file's checksum) as it does every other stylesheet: a changed bundle gets a new URL.
    """
    if getattr(app, "_portfolio_bundle_written", False):
        return
    static = app.outdir / "_static"
    static.mkdir(parents=True, exist_ok=True)
    (static / BUNDLE).write_text(bundle_text(app), encoding="utf-8")
    app._portfolio_bundle_written = True


def rewrite_bundle(app: Sphinx, exc) -> None:
    """After an HTML build, write BUNDLE again, with the site's current stylesheets.

    An edit to ``portfolio.css`` alone rewrites no page, so no page wrote the bundle.
    """
    if exc is None and app.builder.format == "html" and hasattr(app.builder, "_css_files"):
        app._portfolio_bundle_written = False
        write_bundle(app)


def setup(app: Sphinx) -> dict:
    """Prune stylesheets after every other hook has added its own (priority 900)."""
    app.connect("html-page-context", prune_stylesheets, priority=900)
    app.connect("build-finished", rewrite_bundle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
