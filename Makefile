# The commands the README shows. Each target is one line of work.
PYTHON    ?= python3
VENV      ?= .venv
BIN        = $(VENV)/bin
SPHINXOPTS ?= -W -n --keep-going
BUILDDIR   = _build

.PHONY: help html test a11y live linkcheck bench clean

help:
	@echo "make html       set up $(VENV) if missing, build the site into $(BUILDDIR)/html (strict)"
	@echo "make test       set up what the tests need, run them"
	@echo "make a11y       only the browser tests (axe, phone, keyboard, page weight)"
	@echo "make live       live preview on http://127.0.0.1:8000"
	@echo "make linkcheck  check external links (needs the internet)"
	@echo "make bench      run the benchmarks (quick settings), JSON to benchmarks/results/"
	@echo "make clean      remove $(BUILDDIR)"

$(BIN)/sphinx-build: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# PurgeCSS (npm) trims the theme's stylesheet after a build (portfolio/trim.py); without
# npm the build still works and leaves that stylesheet whole.
TOOLS = tools/node_modules/.package-lock.json
$(TOOLS): tools/package-lock.json
	if command -v npm >/dev/null; then npm ci --prefix tools --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the theme's stylesheet will be left whole (apt-get install nodejs npm)"; fi

$(VENV)/.test-deps: $(BIN)/sphinx-build $(TOOLS) requirements-test.txt tests/browser/package-lock.json
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	if command -v npm >/dev/null; then npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; fi
	touch $@

html: $(BIN)/sphinx-build $(TOOLS)
	$(BIN)/sphinx-build -b html $(SPHINXOPTS) . $(BUILDDIR)/html

test: $(VENV)/.test-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

a11y: $(VENV)/.test-deps
	$(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

live: $(VENV)/.test-deps
	$(BIN)/sphinx-autobuild -b html $(SPHINXOPTS) --ignore "$(BUILDDIR)/*" --ignore "$(VENV)/*" . $(BUILDDIR)/html

linkcheck: $(BIN)/sphinx-build
	$(BIN)/sphinx-build -b linkcheck . $(BUILDDIR)/linkcheck

bench: $(VENV)/.test-deps
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script --quick || exit 1; done

clean:
	rm -rf $(BUILDDIR)
