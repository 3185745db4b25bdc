# Two entry points for a fresh machine with Python 3.11: `make demo` and `make test`.
# `demo` installs the light runtime (no torch); `test` installs everything the tests need (train, ray,
# parquet extras and test tools). Both create .venv on first use and reinstall only when
# pyproject.toml or constraints.txt change.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
EVERYTHING := $(VENV)/.installed-everything
FAST := not slow and not ray and not torch and not browser

.PHONY: setup demo test test-fast lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME)

$(EVERYTHING): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt "torch==2.14.1" "torchvision==0.29.1"
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(EVERYTHING) $(RUNTIME)

setup: $(EVERYTHING)

demo: $(RUNTIME)
	$(BIN)/veracity check samples/
	$(BIN)/veracity scan samples/ -o out/demo/scan.jsonl

test: $(EVERYTHING) lint
	$(BIN)/python -m pytest

# The fast subset in two processes (pytest-xdist); `make test` stays serial, as CI runs it.
test-fast: $(EVERYTHING)
	$(BIN)/python -m pytest -q -n 2 -m "$(FAST)"

lint: $(EVERYTHING)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
