"""The ``portfolio_*`` configuration values: declared once, with defaults, checked on load."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from .errors import PortfolioConfigError, stop_build

logger = logging.getLogger(__name__)


def _relative_path(value: Any) -> str | None:
    if not isinstance(value, str) or value.startswith("/") or "\\" in value:
        return "a path relative to the source directory, with '/' separators"
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
    """One configuration value: its default, what it must be, and what it does."""

    name: str
    default: Any
    check: Callable[[Any], str | None]
    help: str


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
    Option("portfolio_notebooks_dir", "notebooks", _relative_path, "folder of the demo notebooks"),
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
)


def check_config(app: Sphinx, config: Config) -> None:
    """Refuse a ``portfolio_*`` value of the wrong kind, naming the option and the value."""
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
