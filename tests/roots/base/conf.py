# A tiny site for the portfolio extension's tests: two papers, two talks, news, a profile.
project = "Tiny"
author = "Ada Owner"
extensions = ["myst_parser", "sphinxcontrib.bibtex", "portfolio"]
exclude_patterns = ["_build"]
html_theme = "basic"
html_baseurl = "https://tiny.example.org/"
nitpicky = True
bibtex_bibfiles = ["publications/publications.bib"]
portfolio_owner_names = ["Ada Owner"]
portfolio_news_page = "news/index"
