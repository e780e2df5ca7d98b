# A tiny site for the notebook extensions: one notebook, its claim, gallery, report, table.
extensions = [
    "myst_nb",
    "sphinx_design",
    "portfolio.execution",
    "portfolio.launch",
    "portfolio.claims",
    "portfolio.gallery",
]
exclude_patterns = ["_build", "*.yaml", "notebooks/ipynb"]
nb_execution_mode = "cache"
nb_execution_raise_on_error = False
suppress_warnings = ["mystnb.exec"]
nb_execution_timeout = 60
html_theme = "basic"
nitpicky = True
portfolio_repository_url = "https://github.com/example/tiny-site"
portfolio_repository_branch = "main"
portfolio_claims_file = "claims.yaml"
