# Everything starts from a fresh clone with only Python 3.10+ and make:
# each target creates .venv and installs what it needs first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEV    := $(VENV)/.installed-dev
TORCH  := $(VENV)/.installed-torch

.PHONY: help setup graphviz chromium test test-thorough lint demo bench notebooks clean

help:
	@echo "make demo           train a small network and draw it (the main job)"
	@echo "make test           lint, type-check and run the whole suite, notebooks included"
	@echo "make test-thorough  the property tests with thousands of examples"
	@echo "make bench          glassgrad against micrograd, side by side"
	@echo "make notebooks      re-execute the notebooks and save their outputs"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

# PyTorch is the independent oracle of the test suite; CI installs the CPU wheel
# that these machines carry (a plain `torch` would pull several GB of CUDA).
$(TORCH): | $(BIN)/python
	$(BIN)/python -m pip install --quiet torch==2.13.0
	touch $@

# Graphviz's `dot` is a system package, not a Python one.
graphviz:
	@if command -v dot >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Graphviz (dot) with apt-get ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	else \
		echo "Graphviz's 'dot' is missing: install it (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; conda: conda install graphviz)."; \
	fi

# The backward player's tests drive Debian's Chromium headless through Playwright
# (pointed at the system browser: Playwright's own browser download is not used).
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Chromium with apt-get (for the browser tests) ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "Chromium is missing (the browser tests need it): install it (Debian/Ubuntu: sudo apt-get install chromium; macOS: brew install --cask chromium), or set GLASSGRAD_CHROMIUM to a Chrome or Chromium program."; \
	fi

setup: $(DEV) graphviz
ifeq ($(CI),true)
setup: $(TORCH)
endif

lint: setup
	$(BIN)/ruff check autograd nn tests
	$(BIN)/ruff format --check autograd nn tests
	$(BIN)/mypy

test: lint chromium
	$(BIN)/python -m pytest

test-thorough: setup
	HYPOTHESIS_PROFILE=thorough $(BIN)/python -m pytest -m "not notebook" tests

demo: setup
	$(BIN)/glassgrad demo

bench: setup
	$(BIN)/python -m pip install --quiet micrograd==0.1.0
	$(BIN)/python -m tests.benchmarks

# Without per-cell timing records, re-running changes a notebook only where its outputs do.
notebooks: setup
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.record_timing=False notebooks/*.ipynb

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis glassgrad-demo
