# hazmap — the two commands are `make run` and `make test`; everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SPATIALITE_URL ?= spatialite:///var/test.sqlite3
POSTGIS_URL ?= postgis://postgres:postgres@127.0.0.1:5432/hazmap
PYTEST_ARGS ?=

.PHONY: run test install test-spatialite test-postgis postgis lint bench messages constraints clean

## run: install what is missing, load the demo park and serve it at http://127.0.0.1:8000
run: install
	$(BIN)/hazmap demo

## test: install what is missing, lint, then the suite on SpatiaLite and on PostGIS
test: install lint postgis
	$(MAKE) --no-print-directory test-spatialite test-postgis

install: $(STAMP) messages

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
	DATABASE_URL=$(POSTGIS_URL) $(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## bench: speed and memory figures, each as a ratio against a baseline measured in the same run
bench: install postgis
	DATABASE_URL=$(POSTGIS_URL) $(BIN)/python -m tests.bench

## constraints: re-pin the whole dependency tree after changing pyproject.toml
constraints:
	rm -rf /tmp/hazmap-pin && $(PYTHON) -m venv /tmp/hazmap-pin
	/tmp/hazmap-pin/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	/tmp/hazmap-pin/bin/python -m pip freeze --exclude-editable | grep -v '^hazmap' > constraints.txt

clean:
	rm -rf $(VENV) var build *.egg-info
