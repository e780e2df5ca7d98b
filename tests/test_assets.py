"""Which stylesheets a page needs, from its body (portfolio.assets)."""

from __future__ import annotations

import pytest

from portfolio.assets import needed

MYSTNB = "mystnb.11b39860a7a0cbfd473a3ad8a317855267ff0bd372690045ca344a6b62be495e.css"


@pytest.mark.parametrize(
    ("filename", "body", "expected"),
    [
        (MYSTNB, '<div class="cell docutils container">', True),
        (MYSTNB, "<p>A paper page.</p>", False),
        ("pygments.css?v=8f2a1f02", '<div class="highlight-bibtex notranslate">', True),
        ("pygments.css", "<p>No code here.</p>", False),
        # Anything else is kept whatever the body says.
        ("styles/theme.css", "", True),
        ("some-extension.css", "", True),
    ],
)
def test_a_stylesheet_is_kept_only_where_its_markup_is(filename, body, expected):
    assert needed(filename, body) is expected
