"""The one registry of ``portfolio_*`` values (portfolio.config)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_portfolio_build import build, make_site

from portfolio.config import OPTIONS
from portfolio.errors import PortfolioConfigError

PACKAGE = Path(__file__).resolve().parents[1] / "portfolio"


def test_every_value_the_extension_reads_is_declared_once_in_the_registry():
    names = [option.name for option in OPTIONS]
    assert len(names) == len(set(names)), "a value is declared twice"
    read = set()
    for module in PACKAGE.glob("*.py"):
        text = module.read_text("utf-8")
        read |= set(re.findall(r"\bconfig\.(portfolio_\w+)", text))
        assert "add_config_value" not in text or module.name == "config.py", (
            f"{module.name} declares a configuration value outside portfolio/config.py"
        )
    assert read, "found no reader of any portfolio_* value"
    assert read <= set(names), f"read but not declared: {sorted(read - set(names))}"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("portfolio_budget_seconds", -1, "expected a positive number"),
        ("portfolio_binder_url", "http://mybinder.org", "expected an https:// URL"),
        ("portfolio_repository_branch", "main; rm", "expected a branch or tag name"),
        ("portfolio_claims_file", "../claims.yaml", "no '..'"),
        ("portfolio_provenance_packages", ["numpy", ""], "expected a list of names"),
    ],
)
def test_a_bad_notebook_value_is_refused_like_any_other_naming_option_and_value(
    tmp_path, name, value, expected
):
    with pytest.raises(PortfolioConfigError, match=re.escape(f"{name} = {value!r}: ")) as exc:
        build(
            make_site(tmp_path), extensions=["myst_parser", "portfolio.notebooks"], **{name: value}
        )
    assert expected in str(exc.value)


def test_a_good_value_is_read_in_its_cleaned_form(tmp_path):
    from io import StringIO

    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace

    src = make_site(tmp_path)
    with docutils_namespace():
        app = Sphinx(
            str(src),
            str(src),
            str(tmp_path / "html"),
            str(tmp_path / "doctrees"),
            "html",
            confoverrides={
                "portfolio_binder_url": "https://mybinder.org/",
                "portfolio_colab_dir": "notebooks/ipynb/",
            },
            status=StringIO(),
            warning=StringIO(),
        )
    assert app.config.portfolio_binder_url == "https://mybinder.org"
    assert app.config.portfolio_colab_dir == "notebooks/ipynb"
