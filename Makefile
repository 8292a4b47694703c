# Adda Dashboard. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_ENTRIES ?= 2000
PYTEST_ARGS ?=

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

.PHONY: clean
clean: ## Remove the virtualenv and local data (var/, logs/)
	rm -rf $(VENV) var logs .pytest_cache .ruff_cache
