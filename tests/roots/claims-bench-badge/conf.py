# The base tiny site with the claims extension: badges on the list and the home page.
project = "Tiny"
author = "Ada Owner"
extensions = ["myst_nb", "sphinx_design", "sphinxcontrib.bibtex", "portfolio", "portfolio.claims"]
exclude_patterns = ["_build"]
html_theme = "basic"
html_baseurl = "https://tiny.example.org/"
nitpicky = True
nb_execution_mode = "off"
bibtex_bibfiles = ["publications/publications.bib"]
portfolio_owner_names = ["Ada Owner"]
portfolio_news_page = "news/index"
portfolio_repository_url = "https://github.com/example/tiny-site"
portfolio_repository_branch = "main"
