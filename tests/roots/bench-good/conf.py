# A tiny site: one page rendering a committed benchmark results file.
project = "bench-good"
extensions = ["myst_nb", "sphinx_design", "portfolio.claims", "portfolio.benchmarks"]
# The targets live in the claims file, as on the real site.
portfolio_claims_file = "claims.yaml"
portfolio_repository_url = "https://github.com/example/tiny-site"
portfolio_repository_branch = "main"
exclude_patterns = ["_build", "*.yaml"]
nitpicky = True
