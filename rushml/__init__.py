"""Laptop-scale re-implementations of the algorithms in Tharun Medini's papers.

The package knows nothing of Sphinx: notebooks import it, and the site's
extension (:mod:`portfolio`) never does.
"""

__version__ = "0.1.0"
