# mixmerge — two commands do all the set-up:  make reproduce   |   make test
PY      ?= python3
VENV    ?= .venv
RECIPE  ?= micro
SEEDS   ?=
# seed 0 runs recipes/$(RECIPE).yaml, seed N recipes/$(RECIPE)-seedN.yaml (identical but for `seed` and `name`)
seed_recipe = $(if $(filter 0,$(1)),$(RECIPE),$(RECIPE)-seed$(1))
BIN     := $(VENV)/bin
SHARED  ?= $(abspath ../shared)
export NLTK_DATA ?= $(SHARED)/external/nltk_data
export MIXMERGE_EXTERNAL ?= $(SHARED)/external
export OMP_WAIT_POLICY ?= PASSIVE
# What can be pinned of the CPU numerics (README, "Figures across machines"): the thread count and the kernels' ISA
# (MKL's conditional numerical reproducibility, oneDNN and ATen at AVX2, which every x86-64 CPU of the last decade has).
export OMP_NUM_THREADS ?= 2
ifeq ($(shell uname -m),x86_64)
export MKL_CBWR ?= AVX2
export ONEDNN_MAX_CPU_ISA ?= AVX2
export ATEN_CPU_CAPABILITY ?= avx2
endif

.PHONY: setup reproduce test lint status clean-runs check-reference

setup: $(VENV)/.installed

# torch is pinned to the 2.13.0 CPU build first, so nothing later pulls a multi-GB CUDA wheel on a laptop.
$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# make reproduce SEEDS="0 1": every seed's study, then one report pooled over them (runs/$(RECIPE)-pooled/report.md)
reproduce: setup
ifeq ($(strip $(SEEDS)),)
	$(BIN)/mixmerge reproduce --recipe $(RECIPE)
else
	@set -e; for s in $(SEEDS); do \
	  r=$$(if [ "$$s" = 0 ]; then echo $(RECIPE); else echo $(RECIPE)-seed$$s; fi); \
	  echo "== seed $$s: recipe $$r"; $(BIN)/mixmerge reproduce --recipe $$r; done
	$(BIN)/python -m harness.pipeline.report_pool --out runs/$(RECIPE)-pooled \
	  $(foreach s,$(SEEDS),runs/$(call seed_recipe,$(s)))
endif

# each seed's fresh leaderboard against the committed reference (results/$(RECIPE)-seedN.csv), inside its 95% CIs
check-reference: setup
	@set -e; for s in $(or $(SEEDS),0); do \
	  r=$$(if [ "$$s" = 0 ]; then echo $(RECIPE); else echo $(RECIPE)-seed$$s; fi); \
	  $(BIN)/python -m leaderboard.reference_check runs/$$r/leaderboard/leaderboard.csv results/$(RECIPE)-seed$$s.csv; done

status: setup
	$(BIN)/mixmerge status --recipe $(RECIPE)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check harness domains leaderboard tests benchmarks noxfile.py

clean-runs:
	rm -rf runs/$(RECIPE)
