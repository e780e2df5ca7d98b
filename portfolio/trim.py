"""The theme's stylesheet trimmed to the rules the built site can use, by PurgeCSS.

pydata-sphinx-theme ships all of Bootstrap in one render-blocking stylesheet: 378 kB,
65 kB gzipped, of which Lighthouse finds 90 % unused on any page of this site. On a phone
over a slow link it is most of the time before the first paint, and it kept the notebook
pages' Lighthouse score below 95. After an HTML build this hook runs PurgeCSS (npm,
pinned in ``tools/package.json``) on the theme's own copy of that stylesheet, with every
built page and every script in ``_static/`` as its content, and writes the result over
the copy in the output. PurgeCSS keeps a rule when every class, id and element its
selector names appears somewhere in that content; the scripts are included because they
add classes the HTML does not carry (Bootstrap's ``show``, the theme's search dialog).
Attributes are different: the theme's script sets ``data-theme`` through
``element.dataset.theme``, so the text ``data-theme`` appears nowhere and PurgeCSS would
drop the dark colour mode. Every attribute a script sets (``dataset.<name>`` or
``setAttribute("<name>"``) is passed to PurgeCSS as a dynamic attribute, whose selectors
are kept. It keeps every ``@font-face``, ``@keyframes`` and custom property.

The browser test ``test_the_trimmed_theme_stylesheet_styles_every_page_as_the_full_one``
loads each page with the trimmed and with the full stylesheet and compares every
element's computed style, in both colour modes and on a phone.

``portfolio_trim_css`` says when to trim: ``"auto"`` (the default) when PurgeCSS is
installed (``npm ci --prefix tools``) and otherwise leave the stylesheet whole, saying
so in the log; ``"always"`` stops the build if PurgeCSS is missing or fails;
``"never"`` leaves it whole. The source is always the theme's file, never the output's
copy, so an incremental build that adds a class to one page keeps that class's rules.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

from .errors import PortfolioConfigError, stop_build

logger = logging.getLogger(__name__)

#: The theme's stylesheet, relative to the theme's and the output's ``static`` folders.
THEME_STYLESHEET = "styles/pydata-sphinx-theme.css"
#: Content PurgeCSS reads, relative to the output folder.
CONTENT = ("**/*.html", "_static/**/*.js")
_DATASET = re.compile(r"\bdataset\.([A-Za-z][A-Za-z0-9]*)")
_SET_ATTRIBUTE = re.compile(r"""setAttribute\(\s*["']([a-z][a-z0-9-]*)["']""")


def dynamic_attributes(scripts: str) -> list[str]:
    """Return the attributes ``scripts`` set: ``dataset.fooBar`` and ``setAttribute("x")``.

    >>> dynamic_attributes('el.dataset.theme = m; b.setAttribute("aria-expanded", "true")')
    ['aria-expanded', 'data-theme']
    """
    names = {
        "data-" + re.sub(r"[A-Z]", lambda m: "-" + m[0].lower(), n)
        for n in _DATASET.findall(scripts)
    }
    names.update(_SET_ATTRIBUTE.findall(scripts))
    return sorted(names)


def theme_stylesheet(app: Sphinx) -> Path | None:
    """Return the theme's own copy of THEME_STYLESHEET (the last theme folder that has it)."""
    theme = getattr(app.builder, "theme", None)
    if theme is None:
        return None
    found = None
    for folder in reversed(theme.get_theme_dirs()):
        candidate = Path(folder, "static", THEME_STYLESHEET)
        if candidate.is_file():
            found = candidate
    return found


def purgecss(app: Sphinx) -> Path | None:
    """Return the PurgeCSS executable named by ``portfolio_purgecss``, if it is installed."""
    path = Path(app.confdir, app.config.portfolio_purgecss)
    return path if path.is_file() and os.access(path, os.X_OK) else None


def trimmed(executable: Path, source: Path, outdir: Path) -> str:
    """Return ``source`` as PurgeCSS trims it against the site built in ``outdir``."""
    scripts = "\n".join(
        p.read_text("utf-8", errors="replace") for p in sorted(outdir.glob("_static/**/*.js"))
    )
    with tempfile.TemporaryDirectory() as tmp:
        options = {
            "css": [str(source)],
            "content": [str(outdir / pattern) for pattern in CONTENT],
            "output": tmp,
            "dynamicAttributes": dynamic_attributes(scripts),
        }
        config = Path(tmp, "purgecss.config.cjs")
        config.write_text(f"module.exports = {json.dumps(options, indent=2)};\n", "utf-8")
        cmd = [str(executable), "--config", str(config)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        out = Path(tmp, source.name)
        if proc.returncode != 0 or not out.is_file():
            raise RuntimeError(
                f"{' '.join(cmd)} exited {proc.returncode}: {(proc.stderr or proc.stdout)[-2000:]}"
            )
        return out.read_text("utf-8")


def trim_theme_stylesheet(app: Sphinx, exc) -> None:
    """After an HTML build, replace the output's theme stylesheet by its trimmed form."""
    if exc is not None or app.builder.format != "html":
        return
    mode = app.config.portfolio_trim_css
    target = Path(app.outdir, "_static", THEME_STYLESHEET)
    source = theme_stylesheet(app)
    if mode == "never" or source is None or not target.is_file():
        return
    executable = purgecss(app)
    if executable is None:
        message = (
            f"the theme's stylesheet is left whole: PurgeCSS is not installed at "
            f"{app.config.portfolio_purgecss} (npm ci --prefix tools)"
        )
        if mode == "always":
            stop_build(logger, PortfolioConfigError(f"portfolio_trim_css = 'always': {message}"))
        logger.info(message)
        return
    try:
        text = trimmed(executable, source, Path(app.outdir))
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as err:
        # Nothing half-trimmed is published: the output keeps the theme's whole copy.
        shutil.copyfile(source, target)
        stop_build(logger, PortfolioConfigError(f"trimming {THEME_STYLESHEET} failed: {err}"))
    target.write_text(text, encoding="utf-8")
    logger.info(
        f"trimmed {THEME_STYLESHEET}: {source.stat().st_size:,} -> {len(text.encode()):,} bytes"
    )


def setup(app: Sphinx) -> dict:
    """Trim after every HTML build (the theme's static files are copied anew each time)."""
    app.connect("build-finished", trim_theme_stylesheet)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
