"""Sphinx extension for the research portfolio: data, cards, metadata."""

__version__ = "0.1.0"


def setup(app):
    """Register the extension with Sphinx."""
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
