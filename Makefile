# Quick start: `make demo` and `make test`. Everything installs into .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# every first-party distribution: the core, each plugins/* folder, the collection, the backends
DISTS := . $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/pyproject.toml)) \
         cm_scripts_mlops cm_backend_onnx cm_backend_tensorrt
PYPROJECTS := $(wildcard pyproject.toml plugins/*/pyproject.toml cm_scripts_mlops/pyproject.toml \
              cm_backend_onnx/pyproject.toml cm_backend_tensorrt/pyproject.toml)
export CM_HOME ?= $(CURDIR)/.cm-home

.PHONY: install demo test test-all lint bench clean system-tools

install: $(STAMP) system-tools

# Headless Chromium renders the HTML reports in tests; installed from Debian when missing.
system-tools:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "note: chromium not installed; the report-rendering tests will be skipped"; }

$(STAMP): $(PYPROJECTS) requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	$(BIN)/python -m pip install -q $(foreach d,$(DISTS),$(if $(wildcard $(d)/pyproject.toml),-e $(d)))
	$(BIN)/python -m pip install -q -e '.[platform,gui]'
	touch $(STAMP)

demo: install
	$(BIN)/python -m cmcore.demo

lint: install
	$(BIN)/ruff check cmcore tests plugins cm_scripts_mlops cm_backend_onnx cm_backend_tensorrt benchmarks
	$(BIN)/mypy cmcore

test: install lint
	$(BIN)/python -m pytest -q -n 2

test-all: install lint
	$(BIN)/python -m pytest -q -m "slow or not slow"

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .cm-home
