# hazmap — the two commands are `make run` and `make test`; everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SPATIALITE_URL ?= spatialite:///var/test.sqlite3
POSTGIS_URL ?= postgis://postgres:postgres@127.0.0.1:5432/hazmap
PYTEST_ARGS ?=

.PHONY: run test install frontend test-tools test-spatialite test-postgis postgis lint bench messages constraints clean

## run: install what is missing, load the demo park and serve it at http://127.0.0.1:8000
run: install frontend
	$(BIN)/hazmap demo

## test: install what is missing, lint, then the suite on SpatiaLite and on PostGIS
test: install frontend lint postgis test-tools
	$(MAKE) --no-print-directory test-spatialite test-postgis

# The real clients and peers the tests talk to: GDAL's ogrinfo, QGIS (python3-qgis), the ogctests suite (it needs pytest 8,
# so it lives in its own virtualenv), node-opcua and modbus-serial (npm).
OGCTESTS := .venv-ogctests/.installed
PEERS := tests/acquisition/peers/node_modules/.package-lock.json
test-tools: $(OGCTESTS) $(PEERS)
	bash scripts/install-debian.sh gdal
	bash scripts/install-debian.sh chromium
	bash scripts/install-debian.sh qgis

$(OGCTESTS):
	test -x .venv-ogctests/bin/python || $(PYTHON) -m venv .venv-ogctests
	.venv-ogctests/bin/python -m pip install -q --disable-pip-version-check ogctests==0.1.15
	touch $@

$(PEERS): tests/acquisition/peers/package-lock.json
	npm ci --prefix tests/acquisition/peers --no-audit --no-fund --loglevel=error

install: $(STAMP) messages

# The map front end (frontend/: TypeScript, Vite, MapLibre GL JS), built into frontend/dist, which
# Django serves (web/). Rebuilt when a source or the lock file changed; npm ci only when the lock did.
FRONTEND_BUILT := frontend/dist/.built
FRONTEND_MODULES := frontend/node_modules/.package-lock.json
FRONTEND_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html frontend/package.json \
	frontend/tsconfig.json frontend/vite.config.ts
frontend: $(FRONTEND_BUILT)

$(FRONTEND_MODULES): frontend/package-lock.json
	npm ci --prefix frontend --no-audit --no-fund --loglevel=error

$(FRONTEND_BUILT): $(FRONTEND_MODULES) $(FRONTEND_SOURCES)
	npm run --prefix frontend build --silent
	touch $@

$(STAMP): pyproject.toml constraints.txt scripts/install-debian.sh
	bash scripts/install-debian.sh spatialite
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

## messages: compile the translations (locale/*/LC_MESSAGES/django.po → .mo)
messages: $(STAMP)
	$(BIN)/hazmap compilemessages

postgis:
	bash scripts/postgis.sh

test-spatialite: $(STAMP)
	DATABASE_URL=$(SPATIALITE_URL) $(BIN)/pytest $(PYTEST_ARGS)

test-postgis: $(STAMP)
	DATABASE_URL=$(POSTGIS_URL) HAZMAP_TEST_DATABASE_ONLY=1 $(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## bench: speed and memory figures, each as a ratio against a baseline measured in the same run
TIPG := .venv-tipg/.installed
bench: install postgis test-tools $(TIPG)
	bash scripts/install-debian.sh wrk
	DATABASE_URL=$(POSTGIS_URL) HAZMAP_BENCH_TIPG=.venv-tipg/bin/python $(BIN)/python -m tests.bench

# tipg, the tile and feature server the benchmarks compare with, in its own virtualenv
$(TIPG):
	test -x .venv-tipg/bin/python || $(PYTHON) -m venv .venv-tipg
	.venv-tipg/bin/python -m pip install -q --disable-pip-version-check tipg==1.6.1 uvicorn==0.54.0
	touch $@

## constraints: re-pin the whole dependency tree after changing pyproject.toml
constraints:
	rm -rf /tmp/hazmap-pin && $(PYTHON) -m venv /tmp/hazmap-pin
	/tmp/hazmap-pin/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	/tmp/hazmap-pin/bin/python -m pip freeze --exclude-editable | grep -v '^hazmap' > constraints.txt

clean:
	rm -rf $(VENV) .venv-ogctests .venv-tipg var build *.egg-info tests/acquisition/peers/node_modules \
		frontend/node_modules frontend/dist
