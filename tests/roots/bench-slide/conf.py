# A tiny site: one page rendering a committed SLIDE benchmark results file (a --quick run).
project = "bench-slide"
extensions = ["myst_parser", "portfolio.benchmarks"]
exclude_patterns = ["_build"]
nitpicky = True
