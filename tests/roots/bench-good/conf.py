# A tiny site: one page rendering a committed benchmark results file.
project = "bench-good"
extensions = ["myst_parser", "portfolio.benchmarks"]
exclude_patterns = ["_build"]
nitpicky = True
