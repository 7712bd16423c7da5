# Inventaire: every target sets up what it needs (virtualenv, Python and npm packages, assets).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DSFR_VERSION := 1.14.4
DSFR_DIR := web/static/dsfr

.PHONY: run test bench lint assets clean

run: $(STAMP) assets
	$(BIN)/inventaire run

test: $(STAMP) assets
	$(BIN)/pytest

# PostgreSQL figures too, in a database of their own (created if absent, emptied first).
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/bench

bench: $(STAMP) assets
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The State design system, from npm, served by Flask from web/static (never a CDN).
assets: $(DSFR_DIR)/dsfr.min.css

$(DSFR_DIR)/dsfr.min.css: package.json
	npm install --no-audit --no-fund --loglevel=error
	rm -rf $(DSFR_DIR)
	mkdir -p $(DSFR_DIR)/utility/icons
	cd node_modules/@gouvfr/dsfr/dist && cp -r dsfr.min.css fonts icons favicon $(CURDIR)/$(DSFR_DIR)/
	cp node_modules/@gouvfr/dsfr/dist/utility/icons/icons.min.css $(DSFR_DIR)/utility/icons/
	touch $@

clean:
	rm -rf $(VENV) node_modules $(DSFR_DIR) instance
