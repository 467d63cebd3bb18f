# The two commands of the README, and a few more; `make help` lists them.
# Each sets itself up: a virtual environment in .venv with the project and its test tools,
# re-installed whenever pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_STAMP := $(VENV)/.lab-installed

.DEFAULT_GOAL := run
.PHONY: help run test fuzz lint lab clean

## help: list the targets with what each does
help:
	@awk '/^## / { i = index($$0, ": "); printf "  make %-6s %s\n", substr($$0, 4, i - 4), substr($$0, i + 2) }' $(MAKEFILE_LIST)

## run: the main job: data/raw -> data/interim -> data/processed -> reports/index.html
run: $(STAMP)
	$(BIN)/pipeline run

## test: every test (unit, data, CLI, notebook, HTML, browser) and the notebooks under nbval
test: $(STAMP)
	sh scripts/ensure-browser.sh
	$(BIN)/pytest

## fuzz: the hypothesis fuzz tests with 1,000 examples each (HYPOTHESIS_MAX_EXAMPLES=… to change)
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=long $(BIN)/pytest tests/test_fuzz.py --hypothesis-show-statistics

## lint: ruff check and format check of src, tests and benchmarks
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

## lab: JupyterLab on the notebooks (installs the [lab] extra once; works as root too)
lab: $(LAB_STAMP)
	JUPYTER_CONFIG_PATH=$(CURDIR)/jupyter $(BIN)/jupyter lab --notebook-dir=$(CURDIR)/notebooks

## clean: delete the machine outputs (data/interim, data/processed, reports); raw data stays
clean:
	rm -rf data/interim/*/ data/processed/*.csv data/processed/*.parquet reports/*/ reports/index.html

# Set-up says what it does before pip, which stays quiet, and how long it took after.
$(STAMP): pyproject.toml
	@echo "setting up $(VENV) with the project and its tools (about a minute, once)…"
	@start=$$(date +%s); \
	  { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); } && \
	  $(BIN)/python -m pip install --quiet --quiet --disable-pip-version-check -e '.[dev]' && \
	  touch $(STAMP) && \
	  echo "… ready in $$(( $$(date +%s) - start )) s"

$(LAB_STAMP): $(STAMP)
	@echo "installing JupyterLab into $(VENV) (about half a minute, once)…"
	@start=$$(date +%s); \
	  $(BIN)/python -m pip install --quiet --quiet --disable-pip-version-check -e '.[lab]' && \
	  touch $(LAB_STAMP) && \
	  echo "… ready in $$(( $$(date +%s) - start )) s"
