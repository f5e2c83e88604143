# The two commands a newcomer runs: `make demo` and `make test`. Both set up the virtualenv first.
#
# Set-up, as Airbyte builds a Python connector: a pinned Poetry (tools/poetry-requirements.txt) in its own
# virtualenv, .tools/, then `poetry sync --with dev` installs exactly poetry.lock into .venv/ (the
# connector itself included, editable). Each step is redone only when its inputs change.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TOOLS := .tools
POETRY := $(TOOLS)/bin/poetry
# Poetry would install into an activated virtualenv instead of the project's .venv.
RUN_POETRY := env -u VIRTUAL_ENV $(POETRY) --no-interaction
# pytest-xdist workers for `make test`; each starts its own sandbox for each test module it runs.
# worksteal: an idle worker takes queued tests from a busy one, so a few long tests (retry backoff,
# the bench smoke) do not leave the others waiting at the end.
TEST_WORKERS ?= 3

.PHONY: venv demo test lint typecheck lock-check unit integration bench bench-quick image-test clean

venv: $(STAMP)

$(POETRY): tools/poetry-requirements.txt
	rm -rf $(TOOLS)
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check -r tools/poetry-requirements.txt
	touch $(POETRY)

$(STAMP): pyproject.toml poetry.lock poetry.toml $(POETRY)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(RUN_POETRY) sync --with dev
	touch $(STAMP)

demo: venv
	$(BIN)/python -m ontraport_sandbox.demo

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

typecheck: venv
	$(BIN)/mypy

# pyproject.toml is valid and poetry.lock is what it asks for (Poetry 2's `poetry lock --check`).
lock-check: venv
	$(RUN_POETRY) check --lock

unit: venv
	$(BIN)/pytest unit_tests -q

integration: venv
	$(BIN)/pytest integration_tests -q

test: lint typecheck lock-check
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal

bench: venv
	$(BIN)/python -m bench

bench-quick: venv
	$(BIN)/python -m bench --quick

image-test: venv
	$(BIN)/python -m bench.image_test

clean:
	rm -rf $(VENV) $(TOOLS) build dist *.egg-info
