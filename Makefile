# Everything runs inside .venv, created on first use from the machine's python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install checkov test unit functional integration lint typecheck bench demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python setup.py requirements-dev.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e . -r requirements-dev.txt
	touch $(STAMP)

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

test: $(STAMP) $(CHECKOV)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

functional: $(STAMP)
	$(BIN)/python -m pytest -q tests/functional

integration: $(STAMP)
	$(BIN)/python -m pytest -q tests/integration

lint: $(STAMP)
	$(BIN)/ruff check chalice tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy chalice

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

demo: $(STAMP)
	mkdir -p demo
	test -d demo/hello || (cd demo && ../$(BIN)/chalice new-project hello)
	cd demo/hello && ../../$(BIN)/chalice local

clean:
	rm -rf $(VENV) build dist *.egg-info
