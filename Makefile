# Inventaire: every target sets up what it needs (virtualenv, Python and npm packages, assets).
# Python packages come from requirements/lock.txt (exact versions, hash-checked), npm ones from
# package-lock.json (npm ci): a fresh clone installs what CI tested.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements/lock.txt
DSFR_VERSION := 1.14.4
DSFR_DIR := web/static/dsfr
NPM_STAMP := node_modules/.inventaire-installed
BUILD_DIR := web/static/build
BPMN_ASSETS := node_modules/bpmn-js/dist/assets
STUDIO_SOURCES := $(wildcard web/assets/*.js web/assets/*.css web/assets/studio/*.js web/assets/studio/*.json)
ESBUILD_FLAGS := --bundle --minify --format=iife --target=es2020 --log-level=warning \
	--loader:.woff=file --loader:.woff2=file --loader:.ttf=file --loader:.eot=file --loader:.svg=file \
	--asset-names=fonts/[name]-[hash]

.PHONY: run test bench bench-large lint lock lock-upgrade lock-check assets clean

run: $(STAMP) assets
	$(BIN)/inventaire run

test: $(STAMP) assets
	$(BIN)/pytest

# PostgreSQL figures too, in a database of their own (created if absent, emptied first).
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/bench

bench: $(STAMP) assets
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench $(if $(LARGE),--large)

# (L) a million dossiers (bench/large.py): the pages at 10,000 then 1,000,000 dossiers and their
# ratio; builds several GB and takes long (bench/README.md). Also `make bench LARGE=1`.
bench-large: $(STAMP) assets
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench --large

lint: lock-check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The lock first (pip, the build backend and every dependency, each file checked against its
# hash), then the project itself without resolving anything. The lock carries the hashes of all
# of PyPI's files of each version: where pip's configuration adds local indexes, pip takes a
# file whose hash is in the lock and passes over a local rebuild that differs.
$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# After a change to pyproject's dependencies: `make lock` keeps every pin it can and adds what is
# new; `make lock UPGRADE="lxml sqlalchemy"` upgrades those; `make lock-upgrade` upgrades all.
UPGRADE ?=
lock: $(STAMP)
	$(BIN)/python -m tools.lock compile $(foreach name,$(UPGRADE),--upgrade-package $(name))

lock-upgrade: $(STAMP)
	$(BIN)/python -m tools.lock compile --upgrade

# Offline: fails with "the lock is stale: run make lock" when pyproject changed since.
lock-check: $(STAMP)
	$(BIN)/python -m tools.lock check

# The State design system and the studio's diagram editor (bpmn-js, bundled by esbuild), from
# npm, served by Flask from web/static (never a CDN).
assets: $(DSFR_DIR)/dsfr.min.css $(DSFR_DIR)/dsfr.module.min.js $(DSFR_DIR)/logo.main.min.css \
	$(BUILD_DIR)/studio.js

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(DSFR_DIR)/dsfr.min.css: $(NPM_STAMP)
	rm -rf $(DSFR_DIR)
	mkdir -p $(DSFR_DIR)/utility/icons
	cd node_modules/@gouvfr/dsfr/dist && cp -r dsfr.min.css fonts icons favicon $(CURDIR)/$(DSFR_DIR)/
	cp node_modules/@gouvfr/dsfr/dist/utility/icons/icons.min.css $(DSFR_DIR)/utility/icons/
	touch $@

# The DSFR's scripts (the header's menu on phones, the modals); every page works without them.
$(DSFR_DIR)/dsfr.module.min.js: $(DSFR_DIR)/dsfr.min.css
	cp node_modules/@gouvfr/dsfr/dist/dsfr.module.min.js node_modules/@gouvfr/dsfr/dist/dsfr.nomodule.min.js $(DSFR_DIR)/

# The bloc-marque as the DSFR publishes it (its .fr-logo rule, images inline): the generated
# PDFs take it from here with the Marianne fonts (engine/pdf/rendering.py).
$(DSFR_DIR)/logo.main.min.css: $(DSFR_DIR)/dsfr.min.css
	cp node_modules/@gouvfr/dsfr/dist/component/logo/logo.main.min.css $(DSFR_DIR)/

# studio.js (editor and read-only viewer), viewer.js (viewer only), studio.css (bpmn-js's styles,
# its font, ours); bpmn-js's own stylesheets and font are copied beside them as well.
# decisions.js (decision-table editor, dmn-js) and decisions.css (dmn-js's styles and font, ours).
$(BUILD_DIR)/studio.js: $(NPM_STAMP) $(STUDIO_SOURCES)
	rm -rf $(BUILD_DIR)
	mkdir -p $(BUILD_DIR)
	cp -r $(BPMN_ASSETS)/diagram-js.css $(BPMN_ASSETS)/bpmn-js.css $(BPMN_ASSETS)/bpmn-font $(BUILD_DIR)/
	npx --no-install esbuild web/assets/studio.js web/assets/viewer.js web/assets/studio.css \
		web/assets/decisions.js web/assets/decisions.css $(ESBUILD_FLAGS) --outdir=$(BUILD_DIR)

clean:
	rm -rf $(VENV) node_modules $(DSFR_DIR) $(BUILD_DIR) instance
