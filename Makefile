# Two commands do all set-up on a fresh machine:
#   make briefs   briefs for seeds/ from the embedded model (installs everything it needs)
#   make test     the offline test suite (replays cassettes; no network, no model)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
# Every dependency pinned (all extras, Python 3.10+): a fresh clone installs what was tested,
# whatever litellm released since. Regenerate with `make lock` after changing pyproject.toml.
LOCK   := requirements.lock

.PHONY: briefs test check lock live-test install-dev install-local benchmark faults cassettes serve serve-load clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# pip first: before 24 it does not match justext's lxml[html_clean] to lxml's normalised
# "html-clean" extra and warns on every install ("lxml ... does not provide the extra 'html_clean'").
$(VENV)/.dev: pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP) 'pip>=24.0'
	$(PIP) -c $(LOCK) -e '.[dev]'
	touch $@

$(VENV)/.local: pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP) 'pip>=24.0'
	$(PIP) -c $(LOCK) -e '.[local,dev]'
	touch $@

install-dev: $(VENV)/.dev
install-local: $(VENV)/.local

briefs: $(VENV)/.local
	$(BIN)/summarizer run seeds -o briefs --format markdown

test: $(VENV)/.dev
	$(BIN)/python -m pytest

# Lint, format and types of the package (configured in pyproject.toml).
check: $(VENV)/.dev
	$(BIN)/ruff check summarizer
	$(BIN)/ruff format --check summarizer
	$(BIN)/mypy

lock: | $(BIN)/python
	$(PIP) uv
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.10 --extra dev --extra local \
		--extra eval --extra testing --quiet -o $(LOCK)

live-test: $(VENV)/.local $(VENV)/.dev
	$(BIN)/python -m pytest -m live -o addopts="-ra --strict-markers"

benchmark: $(VENV)/.dev
	$(BIN)/python benchmarks/run_benchmark.py

faults: $(VENV)/.dev
	$(BIN)/python benchmarks/fault_scale.py

serve: $(VENV)/.dev
	$(BIN)/summarizer serve

serve-load: $(VENV)/.dev
	$(BIN)/python benchmarks/serve_load.py

cassettes: $(VENV)/.local
	$(BIN)/python scripts/record_cassettes.py

clean:
	rm -rf $(VENV) briefs .pytest_cache
