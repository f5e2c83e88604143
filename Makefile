# The two commands a newcomer runs: `make demo` and `make test`. Both set up the virtualenv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint typecheck unit integration bench bench-quick image-test clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: venv
	$(BIN)/python -m ontraport_sandbox.demo

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

typecheck: venv
	$(BIN)/mypy

unit: venv
	$(BIN)/pytest unit_tests -q

integration: venv
	$(BIN)/pytest integration_tests -q

test: lint typecheck
	$(BIN)/pytest -q

bench: venv
	$(BIN)/python -m bench

bench-quick: venv
	$(BIN)/python -m bench --quick

image-test: venv
	$(BIN)/python -m bench.image_test

clean:
	rm -rf $(VENV) build *.egg-info
