# Conveyor: `make demo` to try it, `make test` to check it.
# Re-runs are fast: installs are redone only when pyproject.toml changes (stamp files),
# so `make test` works offline after the first run.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help demo test lint typecheck imports unit clean

help:
	@echo "make demo   create $(VENV), install, initialise ./conveyor.db, load demo orders (once) and serve on http://$(HOST):$(PORT)"
	@echo "make test   install the dev tools, then ruff, mypy, import-linter and pytest"
	@echo "            (.ci/run does the same with the PostgreSQL variants enabled)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Conveyor needs Python 3.11 or newer; try: make PYTHON=python3.11 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.stamp-tools: | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip "setuptools>=77" wheel
	@touch $@

$(VENV)/.stamp-runtime: pyproject.toml | $(VENV)/.stamp-tools
	$(BIN)/python -m pip install --quiet --no-build-isolation -e .
	@touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(VENV)/.stamp-tools
	$(BIN)/python -m pip install --quiet --no-build-isolation -e ".[dev]"
	@touch $@ $(VENV)/.stamp-runtime

# The demo's customer emails are written as .eml files (docs/notifications.md); set CONVEYOR_SMTP_DEV_DIR=
# (empty) and CONVEYOR_SMTP_HOST to send them through a real SMTP server instead.
demo: export CONVEYOR_SMTP_DEV_DIR ?= $(CURDIR)/demo-mail
demo: $(VENV)/.stamp-runtime
	$(BIN)/conveyor init
	$(BIN)/conveyor demo --orders 200 --if-empty
	$(BIN)/conveyor serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check $(wildcard src tests benchmarks)

typecheck: $(VENV)/.stamp-dev
	$(BIN)/mypy

imports: $(VENV)/.stamp-dev
	$(BIN)/lint-imports

# Runs every check even when an earlier one fails, then names the ones that failed.
test: $(VENV)/.stamp-dev
	@failed=""; \
	echo "== ruff"; $(BIN)/ruff check $(wildcard src tests benchmarks) || failed="$$failed ruff"; \
	echo "== mypy"; $(BIN)/mypy || failed="$$failed mypy"; \
	echo "== import-linter"; $(BIN)/lint-imports || failed="$$failed import-linter"; \
	echo "== pytest"; $(BIN)/pytest || failed="$$failed pytest"; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed" >&2; exit 1; fi; \
	echo "make test: all checks passed"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache

# The conformance page (docs/conformance.md) and the engine-vs-SpiffWorkflow benchmark;
# both read the workspace's ../shared folder next to the repository.
.PHONY: conformance-table bench-engine

conformance-table: $(VENV)/.stamp-dev
	$(BIN)/python scripts/conformance_table.py

$(VENV)/.stamp-bench: pyproject.toml | $(VENV)/.stamp-tools
	$(BIN)/python -m pip install --quiet --no-build-isolation -e ".[bench]"
	@touch $@

bench-engine: $(VENV)/.stamp-bench
	$(BIN)/python benchmarks/engine_vs_spiff.py
