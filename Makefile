# One entry point for every task. Each target installs what it needs on first use (scripts/bootstrap.sh).
SHELL := /bin/bash
.DEFAULT_GOAL := help

CACHE ?= $(or $(LAKEHOUSE_CACHE_DIR),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/lakehouse)
export LAKEHOUSE_CACHE_DIR := $(CACHE)
export TF_CLI_CONFIG_FILE := $(CACHE)/terraform/terraformrc
export TFLINT_PLUGIN_DIR := $(CACHE)/tflint/plugins
export PATH := $(CURDIR)/.venv/bin:$(CACHE)/bin:$(PATH)
export PYTHONPATH := $(CURDIR)/emr_jobs
export PYTHONUNBUFFERED := 1
BOOT := bash scripts/bootstrap.sh
PY := .venv/bin/python
PYTEST := .venv/bin/pytest

.PHONY: help setup demo test unit lint tf-check tf-docs integration bench dags constraints clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: ## install everything (idempotent; cached outside the repo)
	$(BOOT) all

demo: ## run the whole daily pipeline locally on generated data (.lake/)
	$(BOOT) python
	$(BOOT) jars
	$(PY) -m lakehouse.demo $(DEMO_ARGS)

test: ## everything that needs no emulator apply: unit, terraform static checks, DAG tests
	$(BOOT) all
	$(MAKE) --no-print-directory tf-check
	$(PYTEST) -m "not integration" --ignore=tests/dags $(PYTEST_ARGS)
	bash scripts/test_dags.sh

lint: ## ruff, terraform fmt, tflint, checkov, actionlint
	$(BOOT) python
	$(BOOT) terraform
	$(BOOT) tools
	.venv/bin/ruff check emr_jobs tests lambda airflow scripts
	.venv/bin/ruff format --check emr_jobs tests lambda airflow scripts
	terraform fmt -check -recursive terraform
	bash scripts/tf_lint.sh
	actionlint

tf-check: ## terraform fmt, validate (mirror), tflint, checkov, terraform test, docs current
	$(BOOT) terraform
	$(BOOT) tools
	bash scripts/tf_check.sh

tf-docs: ## regenerate the module READMEs with terraform-docs
	$(BOOT) tools
	bash scripts/tf_docs.sh

integration: ## apply the platform to the AWS emulator and run the real jobs against it
	$(BOOT) all
	$(PYTEST) -m integration tests/integration $(PYTEST_ARGS)

bench: ## benchmarks: prints figures, writes reports/bench.json
	$(BOOT) python
	$(BOOT) jars
	$(PY) -m lakehouse.bench $(BENCH_ARGS)

constraints: ## re-pin constraints.txt to every Python package .venv holds (after a pin in pyproject.toml changed)
	{ sed -n '/^#/p' constraints.txt; .venv/bin/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean: ## remove the local lake and build outputs (caches stay)
	rm -rf .lake build reports spark-warehouse
