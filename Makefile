# `make run` and `make test` set everything up themselves; see README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint pytest bench bench-quick clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/ledger serve

test: lint pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/mypy

pytest: $(INSTALLED)
	$(BIN)/pytest

bench: $(INSTALLED)
	$(BIN)/python ops/bench/run.py

bench-quick: $(INSTALLED)
	$(BIN)/python ops/bench/run.py --quick --out var/bench/RESULTS-quick.md

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
