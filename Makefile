# Adda Dashboard. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-stamp
DEMO_ENTRIES ?= 2000
PYTEST_ARGS ?= -n auto
BENCH_ARGS ?=

.DEFAULT_GOAL := help

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'

.PHONY: install
install: $(STAMP) ## Create .venv and install the app with its dev tools

.PHONY: run
run: $(STAMP) ## Migrate, seed demo data on an empty database, and serve on 127.0.0.1:5000
	$(BIN)/adda-dashboard migrate
	$(BIN)/adda-dashboard seed-demo --if-empty --entries $(DEMO_ENTRIES)
	$(BIN)/adda-dashboard serve

.PHONY: test
test: $(STAMP) ## Run the whole test suite on SQLite and PostgreSQL
	$(BIN)/python -m pytest $(PYTEST_ARGS)

.PHONY: lint
lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

.PHONY: format
format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

.PHONY: migrate
migrate: $(STAMP) ## Bring the database schema up to date
	$(BIN)/adda-dashboard migrate

.PHONY: worker
worker: $(STAMP) ## Run the background job worker alone (downloads, video housekeeping)
	$(BIN)/adda-dashboard worker

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

.PHONY: bench
bench: $(STAMP) $(BENCH_STAMP) ## Ours vs the seed baseline under load, one report (< 10 min; BENCH_ARGS=--quick)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

.PHONY: bench-ui
bench-ui: $(STAMP) ## Server time of the dashboard's entries list at 50,000 entries (p95 < 200 ms)
	$(BIN)/python bench/ui_pages.py $(BENCH_UI_ARGS)

.PHONY: bench-upload
bench-upload: $(STAMP) ## Peak server memory during a 1 GB upload and 10 concurrent 200 MB uploads
	$(BIN)/python bench/upload_memory.py

.PHONY: clean
clean: ## Remove the virtualenv and local data (var/, logs/)
	rm -rf $(VENV) var logs .pytest_cache .ruff_cache
