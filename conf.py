"""Sphinx configuration for the research portfolio of Tharun Medini."""

import os
from datetime import date

# -- Project -----------------------------------------------------------------

project = "Tharun Medini"
author = "Tharun Medini"
copyright = f"{date.today().year}, Tharun Medini"
language = "en"

# The public address of the built site (Read the Docs sets the variable).
site_url = os.environ.get(
    "READTHEDOCS_CANONICAL_URL", "https://tharun-medini.readthedocs.io/en/latest/"
)

# -- General -----------------------------------------------------------------

extensions = [
    "myst_nb",
    "sphinx_design",
    "sphinx_copybutton",
    "sphinxext.opengraph",
    "sphinx_sitemap",
    "sphinxcontrib.bibtex",
    "portfolio",
    "portfolio.mathml",
    "portfolio.benchmarks",
    "portfolio.execution",
    "portfolio.launch",
    "portfolio.claims",
    "portfolio.gallery",
]

exclude_patterns = [
    "_build",
    ".venv*",
    ".notes",
    ".pytest_cache",
    "**/.ipynb_checkpoints",
    "README.md",
    "ARCHITECTURE.md",
    "benchmarks",
    "portfolio",
    "rushml",
    "tests",
    "tools",
    "*.egg-info",
]
templates_path = ["_templates"]

# The build is the gate: every reference must resolve, every warning fails.
nitpicky = True

# -- MyST ------------------------------------------------------------------------

myst_enable_extensions = ["colon_fence", "deflist", "dollarmath", "amsmath", "attrs_inline"]
myst_heading_anchors = 3
# Formulas become MathML at build time (portfolio.mathml): no MathJax from a CDN.
html_math_renderer = "mathml"

# -- Notebook execution -------------------------------------------------------------

# Executed through jupyter-cache: an unchanged notebook is never run twice.
nb_execution_mode = "cache"
nb_execution_cache_path = os.environ.get("PORTFOLIO_NB_CACHE", "_build/.jupyter_cache")
# Per-cell limit. The whole-notebook budget (60 s) is a separate, stricter check.
nb_execution_timeout = 120
# A failed cell does not raise (that prints Sphinx's crash report): portfolio.notebooks
# stops the build before any page is written, with one line per failed notebook naming its
# file, line, cell and error (a failed claim's assert message). MyST-NB's own "execution
# failed" warnings repeat that, with a traceback file, so they are silenced.
nb_execution_raise_on_error = False
nb_execution_show_tb = False
suppress_warnings = ["mystnb.exec"]
nb_merge_streams = True

# -- HTML output ---------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = "Tharun Medini"
html_baseurl = site_url
html_static_path = ["_static"]
html_css_files = ["portfolio.css"]
# Serve page sources under their own names, not as ".ipynb.txt" (jupyter-book #639).
html_sourcelink_suffix = ""
html_last_updated_fmt = None
html_show_sphinx = False
html_theme_options = {
    "navbar_align": "left",
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "icon_links": [
        {
            "name": "GitHub",
            "url": "https://github.com/Tharun24",
            "icon": "fa-brands fa-github",
        },
    ],
    "show_prev_next": False,
    # A personal site: the footer credits no generator and the search box names the site.
    "footer_start": ["copyright"],
    "footer_end": [],
    "search_bar_text": "Search this site…",
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"**": []}

# -- Social previews and sitemap -------------------------------------------------------

ogp_site_url = site_url
ogp_site_name = "Tharun Medini"
ogp_description_length = 200
ogp_enable_meta_description = True
# Social cards carry the site's own mark (_static/social-mark.png, a "TM" monogram drawn
# for this site), not the Sphinx logo the extension puts there by default. Paper pages get
# their own card with the whole title, authors and venue (portfolio/cards.py).
ogp_social_cards = {
    "image": "_static/social-mark.png",
    "image_mini": "_static/social-mark.png",
    "line_color": "#005288",
}
sitemap_url_scheme = "{link}"
sitemap_excludes = ["search.html", "genindex.html"]

# -- Portfolio data ---------------------------------------------------------------

# One file per kind of data; the extension validates them before any page is read.
portfolio_bibfile = "publications/publications.bib"
portfolio_talks_file = "talks/talks.yaml"
portfolio_news_file = "news/news.yaml"
portfolio_profile_file = "data/profile.yaml"
portfolio_owner_names = ["Tharun Medini", "Tharun Kumar Reddy Medini"]
portfolio_feed_path = "news/atom.xml"
portfolio_card_mark = "_static/social-mark.png"
# {cite} in pages and notebooks resolves against the same BibTeX file.
bibtex_bibfiles = [portfolio_bibfile]
bibtex_default_style = "portfolio"  # plain, titles as written (portfolio/bibstyle.py)
bibtex_reference_style = "author_year"

# -- Notebooks: launch, budgets, report -----------------------------------------------

# Binder, Colab and source links are built from the repository set here, once.
portfolio_repository_url = "https://github.com/Tharun24/medini-portfolio"
portfolio_repository_branch = "main"
portfolio_binder_url = "https://mybinder.org"
# Committed .ipynb copies (no outputs) that Colab opens; `python -m portfolio.launch` writes them.
portfolio_colab_dir = "notebooks/ipynb"
exclude_patterns += [portfolio_colab_dir]
# The build fails when a notebook runs longer or holds more memory (a free Binder session).
portfolio_budget_seconds = 60
portfolio_budget_memory_mb = 1536
portfolio_claims_file = "publications/claims.yaml"
portfolio_reproducibility_page = "reproducibility"
# Fetching a Binder launch URL starts a Binder build; Colab pages need a login.
linkcheck_ignore = [
    *globals().get("linkcheck_ignore", []),
    r"https://mybinder\.org/v2/",
    r"https://colab\.research\.google\.com/",
]

# -- Copy button ------------------------------------------------------------------

copybutton_exclude = ".linenos, .gp, .go"
