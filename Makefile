# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test test-tools publish contracts clean help

help:
	@echo "make demo   - install into .venv, load the demo city and serve it at http://127.0.0.1:8000"
	@echo "make test   - install test dependencies and run the whole test suite (SQLite, then PostgreSQL)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install when the dependency pins change; otherwise reuse what is there.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

test-tools:
	scripts/ensure-test-tools.sh

demo: install
	$(BIN)/cityline demo

test: install-test test-tools
	scripts/test.sh

publish: install
	$(BIN)/cityline publish --out site

# Regenerate the committed contracts (tests fail when these drift from the code).
contracts: install
	$(BIN)/python -m cityline.api.export_openapi > docs/openapi.json
	$(BIN)/python -m cityline.core.packs.schema > docs/city-pack.schema.json
	$(BIN)/python scripts/gen_cli_docs.py

clean:
	rm -rf $(VENV) var site node_modules
