"""Every ``portfolio_*`` configuration value: declared once, with defaults, checked on load.

Each value has one :class:`Option` here: its default, a check that names what it must
be, an optional normaliser, and a line of help. Any module that reads a value calls
``app.setup_extension("portfolio.config")`` in its ``setup`` and then reads
``app.config.<name>`` directly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from .errors import PortfolioConfigError, stop_build

logger = logging.getLogger(__name__)


def _relative_path(value: Any) -> str | None:
    if (
        not isinstance(value, str)
        or not value.strip("/")
        or value.startswith("/")
        or "\\" in value
        or ".." in value.split("/")
    ):
        return "a path relative to the source directory, with '/' separators and no '..'"
    return None


def _optional_relative_path(value: Any) -> str | None:
    return None if value == "" else _relative_path(value)


def _names(value: Any) -> str | None:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        return "a list of names"
    return None


def _url_or_empty(value: Any) -> str | None:
    if value == "":
        return None
    if not isinstance(value, str) or not value.startswith("https://") or not value.endswith("/"):
        return "an https:// address ending in '/', or '' to use html_baseurl"
    return None


def _https_url(value: Any) -> str | None:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme != "https" or not parts.netloc:
        return "an https:// URL"
    return None


def _positive(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return "a positive number"
    return None


def _branch(value: Any) -> str | None:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9._/-]+", value):
        return "a branch or tag name"
    return None


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else "text"


def _file_path(value: Any) -> str | None:
    if not isinstance(value, str) or not value or "\\" in value:
        return "a file's path, absolute or relative to the source directory, with '/' separators"
    return None


def _trim_mode(value: Any) -> str | None:
    return None if value in ("auto", "always", "never") else "'auto', 'always' or 'never'"


@dataclass(frozen=True)
class Option:
    """One configuration value: its default, what it must be, and what it does.

    ``check`` returns None for a good value, else what the value must be ("a positive
    number"); ``clean``, if given, turns a good value into the one the build reads.
    """

    name: str
    default: Any
    check: Callable[[Any], str | None]
    help: str
    clean: Callable[[Any], Any] | None = None


def _strip_slashes(value: str) -> str:
    return value.strip("/")


def _no_trailing_slash(value: str) -> str:
    return value.rstrip("/")


OPTIONS = (
    Option(
        "portfolio_bibfile",
        "publications/publications.bib",
        _relative_path,
        "the BibTeX file: every paper",
    ),
    Option(
        "portfolio_talks_file",
        "talks/talks.yaml",
        _optional_relative_path,
        "talks, keyed by id ('' = none)",
    ),
    Option(
        "portfolio_news_file",
        "news/news.yaml",
        _optional_relative_path,
        "updates and press ('' = none)",
    ),
    Option(
        "portfolio_profile_file",
        "data/profile.yaml",
        _optional_relative_path,
        "CV profile ('' = none)",
    ),
    Option(
        "portfolio_notebooks_dir",
        "notebooks",
        _relative_path,
        "folder of the demo notebooks",
        _strip_slashes,
    ),
    Option(
        "portfolio_papers_dir", "publications", _relative_path, "folder of the paper pages <key>.md"
    ),
    Option(
        "portfolio_owner_names",
        ["Tharun Medini", "Tharun Kumar Reddy Medini"],
        _names,
        "the owner's name as written on papers (highlighted in author lists)",
    ),
    Option(
        "portfolio_site_url", "", _url_or_empty, "public address of the site ('' = html_baseurl)"
    ),
    Option(
        "portfolio_feed_path",
        "news/atom.xml",
        _relative_path,
        "where the Atom feed of updates is written",
    ),
    Option("portfolio_feed_title", "", _text, "title of the Atom feed ('' = '<project>: updates')"),
    Option("portfolio_news_page", "news", _relative_path, "docname of the page listing the news"),
    Option(
        "portfolio_card_mark",
        "",
        _optional_relative_path,
        "PNG drawn on each paper's social card ('' = none)",
    ),
    Option(
        "portfolio_trim_css",
        "auto",
        _trim_mode,
        "trim the theme's stylesheet with PurgeCSS: 'auto' when installed, 'always', 'never'",
    ),
    Option(
        "portfolio_purgecss",
        "tools/node_modules/.bin/purgecss",
        _file_path,
        "the PurgeCSS executable (npm ci --prefix tools)",
    ),
    # The notebooks: where they launch, what they may spend, what they claim.
    Option(
        "portfolio_repository_url",
        "https://github.com/Tharun24/medini-portfolio",
        _https_url,
        "public GitHub repository of this site (Binder, Colab and source links)",
        _no_trailing_slash,
    ),
    Option("portfolio_repository_branch", "main", _branch, "branch the launch links open"),
    Option(
        "portfolio_binder_url",
        "https://mybinder.org",
        _https_url,
        "BinderHub to launch on",
        _no_trailing_slash,
    ),
    Option(
        "portfolio_colab_dir",
        "notebooks/ipynb",
        _relative_path,
        "folder of the committed .ipynb copies that Colab opens",
        _strip_slashes,
    ),
    Option("portfolio_budget_seconds", 60, _positive, "wall-time budget of one notebook, seconds"),
    Option(
        "portfolio_budget_memory_mb", 1536, _positive, "peak-memory budget of one notebook, MiB"
    ),
    Option(
        "portfolio_claims_file",
        "publications/claims.yaml",
        _relative_path,
        "the papers' claims that the notebooks re-measure",
        _strip_slashes,
    ),
    Option(
        "portfolio_reproducibility_page",
        "reproducibility",
        _relative_path,
        "docname of the page holding the full claims table",
        _strip_slashes,
    ),
    Option(
        "portfolio_provenance_packages",
        ["numpy", "scipy", "numba", "joblib", "matplotlib"],
        _names,
        "packages whose versions the provenance footer lists",
        list,
    ),
)


def check_config(app: Sphinx, config: Config) -> None:
    """Refuse a ``portfolio_*`` value of the wrong kind, naming the option and the value.

    A good value is replaced by its cleaned form (``clean``), which every reader sees.
    """
    for option in OPTIONS:
        value = getattr(config, option.name)
        expected = option.check(value)
        if expected is not None:
            stop_build(
                logger,
                PortfolioConfigError(
                    f"{option.name} = {value!r}: expected {expected} ({option.help})"
                ),
            )
        if option.clean is not None:
            config[option.name] = option.clean(value)


def site_url(config: Config) -> str:
    """Return the site's public base address, ending in '/' ('' if unknown)."""
    url = config.portfolio_site_url or config.html_baseurl or ""
    return url if not url or url.endswith("/") else url + "/"


def setup(app: Sphinx) -> dict:
    """Declare the configuration values and their check."""
    for option in OPTIONS:
        app.add_config_value(option.name, option.default, "env", description=option.help)
    app.connect("config-inited", check_config)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
