# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-slow lint format bench clean browser

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (install Python 3.12, e.g. 'pyenv install 3.12')"; exit 2; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

run: $(STAMP)  ## set up and run the default scenario into out/default
	$(BIN)/ci-sim run default --out out/default

test: $(STAMP) browser  ## set up and run the test suite (without the slow fuzz and long runs)
	$(BIN)/python -m pytest -q -m "not slow"

test-slow: $(STAMP)  ## only the slow tests: 1,000-example fuzzers, 10,000-step runs, step size
	$(BIN)/python -m pytest -q -m slow

browser:  ## best effort: Debian's chromium for the real-browser test (skipped without it)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (apt-get) for the real-browser test"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	      >/dev/null 2>&1 || echo "note: chromium could not be installed"; \
	  fi; \
	  command -v chromium >/dev/null 2>&1 || echo "note: no chromium: the real-browser test is skipped"; \
	}

lint: $(STAMP)
	$(BIN)/ruff check ci_sim tests benchmarks
	$(BIN)/ruff format --check ci_sim tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format ci_sim tests benchmarks
	$(BIN)/ruff check --fix ci_sim tests benchmarks

bench: $(STAMP)  ## the performance table of issue 12, as ratios (see benchmarks/README.md)
	$(BIN)/python benchmarks/bench_perf.py $(BENCH_ARGS)

clean:
	rm -rf out .pytest_cache .ruff_cache .hypothesis
