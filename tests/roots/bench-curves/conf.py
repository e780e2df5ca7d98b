# A tiny site: one page rendering a committed bench_slide_curves.py results file (a --quick run).
project = "bench-curves"
extensions = ["myst_parser", "portfolio.benchmarks"]
exclude_patterns = ["_build"]
nitpicky = True
