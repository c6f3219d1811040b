# Everything runs inside .venv, created on first use from the machine's python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.demo-installed
# pytest-xdist workers: one per core by default (CI has 2); WORKERS=0 runs serially.
WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider -n $(WORKERS) --dist worksteal

.PHONY: install checkov upstream browser test unit functional integration lint typecheck bench demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python setup.py requirements-dev.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e . -r requirements-dev.txt
	touch $(STAMP)

# The demo needs chalice and nothing else: no test or lint tools.
$(DEMO_STAMP): $(BIN)/python setup.py
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(DEMO_STAMP)

install: $(STAMP)

# checkov (which parses the Terraform output in the tests) pins boto3, botocore,
# networkx and packaging below what this project tests against, so it lives in
# a venv of its own.
CHECKOV := $(VENV)/checkov/bin/checkov
CHECKOV_VERSION := 3.3.30

$(CHECKOV): | $(BIN)/python
	$(PYTHON) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)

checkov: $(CHECKOV)

# AWS Chalice itself (the same package name as this project, so never in our
# venv), run as a black box by tests/integration/test_upstream_roundtrip.py and
# tests/functional/test_{sam,terraform}_vs_upstream.py (tests/upstream_chalice.py finds it).
# No fallback: when pip cannot fetch it, `make test` fails here.
UPSTREAM := $(VENV)/upstream/bin/chalice
UPSTREAM_VERSION := 1.34.0

$(UPSTREAM): | $(BIN)/python
	$(PYTHON) -m venv $(VENV)/upstream
	$(VENV)/upstream/bin/python -m pip install --quiet chalice==$(UPSTREAM_VERSION)

upstream: $(UPSTREAM)

# The browser test of `chalice local --docs` (tests/functional/test_local_docs_page.py)
# drives Debian's chromium.  Installed here when missing and possible (root with
# apt-get, as on CI); where it is not, that one test is skipped and says why.
browser:
	@if command -v chromium >/dev/null 2>&1 || [ -n "$$CHROMIUM" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo 'Installing chromium for the browser test (apt-get)...'; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends chromium >/dev/null) \
		|| echo 'Warning: apt-get could not install chromium; the browser test will be skipped.'; \
	else \
		echo 'Warning: chromium is missing (apt-get install chromium needs root); the browser test will be skipped.'; \
	fi

# Tests run in random order (pytest-randomly; the seed is printed at the end)
# across $(WORKERS) workers, each test under pytest-timeout's limit (pyproject.toml).
test: $(STAMP) $(CHECKOV) $(UPSTREAM) browser
	$(PYTEST) tests

unit: $(STAMP)
	$(PYTEST) tests/unit

functional: $(STAMP) $(UPSTREAM) browser
	$(PYTEST) tests/functional

integration: $(STAMP) $(UPSTREAM)
	$(PYTEST) tests/integration

lint: $(STAMP)
	$(BIN)/ruff check chalice tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy chalice

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

demo: $(DEMO_STAMP)
	mkdir -p demo
	test -d demo/hello || (cd demo && ../$(BIN)/chalice new-project hello)
	cd demo/hello && ../../$(BIN)/chalice local

clean:
	rm -rf $(VENV) build dist *.egg-info
