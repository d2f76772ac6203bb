# The user's commands. `make deploy` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
PLAYBOOK  := $(BIN)/ansible-playbook
EMULATOR  := local/bin/emulator
DATAPLANE := local/bin/dataplane
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

# First CPython >= 3.12 on PATH or under pyenv; ansible-core 2.21 needs 3.12.
PYTHON ?= $(shell tools/find-python)

.PHONY: help venv emulator emulator-stop deploy urls chaos heal test lint unit molecule e2e destroy bench availability clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.lock requirements.txt
	@test -n "$(PYTHON)" || { echo "error: Python >= 3.12 not found. Install python3.12 (or newer) or set PYTHON=/path/to/python3.12" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c requirements.lock
	tools/link-collection
	touch $@

venv: $(STAMP) ## Create the project venv with the pinned packages

# Local mode's cloud: the emulator (control plane) and the data plane that runs what it holds. Lifecycle hooks
# hold every new instance until its bootstrap completes them, as on AWS: the data plane's instances do.
emulator: $(STAMP) ## Start the local cloud: AWS emulator on 127.0.0.1:4566 and the data plane (idempotent)
	EMULATOR_LIFECYCLE_HOLD=1 $(EMULATOR) start
	$(DATAPLANE) start

emulator-stop: ## Stop the data plane (instances, HAProxy) and the emulator
	$(DATAPLANE) stop
	$(EMULATOR) stop

deploy: emulator ## Install everything, start the local cloud, run site.yml (local inventory), print the URLs
	$(PLAYBOOK) site.yml $(ARGS)
	$(DATAPLANE) urls

urls: ## The global entry and each region's front, with what answers there
	$(DATAPLANE) urls

chaos: ## Kill one region's instances and keep them down: make chaos REGION=eu
	@test -n "$(REGION)" || { echo "error: REGION is required, one of the inventory's regions: make chaos REGION=eu" >&2; exit 2; }
	$(DATAPLANE) chaos $(REGION)

heal: ## Bring the instances of REGION (default: every region) back
	$(DATAPLANE) heal $(REGION)

destroy: emulator ## Remove everything site.yml made, then stop the data plane and the emulator
	$(PLAYBOOK) destroy.yml -e confirm=yes $(ARGS)
	$(DATAPLANE) stop
	$(EMULATOR) stop

lint: $(STAMP) ## ansible-lint (production profile), yamllint, ruff, secret scan (tools/scan-secrets)
	tools/lint

unit: $(STAMP) ## pytest: app, emulator, modules, playbook input checks
	tools/run-pytest

molecule: $(STAMP) ## One molecule scenario per role, each against an emulator of its own
	tools/run-molecule

test: lint unit molecule ## Every test (what CI runs)

bench: $(STAMP) ## Playbook and app benchmarks on loopback -> build/bench/results.json, docs/benchmarks.md
	$(BIN)/python tools/bench $(ARGS)

availability: $(STAMP) ## Downtime budget per failure mode from the inventory's settings (ARGS="--inventory inventories/aws -e k=v")
	$(BIN)/python tools/availability $(ARGS)

clean: emulator-stop ## Remove the venv and build outputs
	rm -rf $(VENV) build
