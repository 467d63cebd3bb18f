# The two commands of the README. Each sets itself up: a virtual environment in .venv with the
# project and its test tools, re-installed whenever pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test fuzz lint clean

run: $(STAMP)
	$(BIN)/pipeline run

test: $(STAMP)
	sh scripts/ensure-browser.sh
	$(BIN)/pytest

# The fuzz tests with the long hypothesis profile: 1,000 examples each (HYPOTHESIS_MAX_EXAMPLES=…).
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=long $(BIN)/pytest tests/test_fuzz.py --hypothesis-show-statistics

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf data/interim/*/ data/processed/*.csv data/processed/*.parquet reports/*/ reports/index.html
