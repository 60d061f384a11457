# mixmerge — two commands do all the set-up:  make reproduce   |   make test
PY      ?= python3
VENV    ?= .venv
RECIPE  ?= micro
BIN     := $(VENV)/bin
SHARED  ?= $(abspath ../shared)
export NLTK_DATA ?= $(SHARED)/external/nltk_data
export MIXMERGE_EXTERNAL ?= $(SHARED)/external
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: setup reproduce test lint status clean-runs

setup: $(VENV)/.installed

# torch is pinned to the 2.13.0 CPU build first, so nothing later pulls a multi-GB CUDA wheel on a laptop.
$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

reproduce: setup
	$(BIN)/mixmerge reproduce --recipe $(RECIPE)

status: setup
	$(BIN)/mixmerge status --recipe $(RECIPE)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check harness domains leaderboard tests benchmarks noxfile.py

clean-runs:
	rm -rf runs/$(RECIPE)
