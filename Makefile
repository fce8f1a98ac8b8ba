# newswatch: `make run` to see it work, `make test` to prove it. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REAL_DEV := ../shared/eval/real_dev.jsonl

.DEFAULT_GOAL := help
.PHONY: help install infra test-infra run test test-unit lint typecheck format bench model schemas up down status clean screenshots

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# setup.py and the C kernel: an edit rebuilds the kernel with the next make target.
$(STAMP): pyproject.toml setup.py $(wildcard services/classifier/_*.c services/classifier/_*.h)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "newswatch needs Python 3.11+ (found $$($(PYTHON) --version)); set PYTHON=" >&2; exit 1; }
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv with newswatch and its dev tools installed
	@echo "installed: $(BIN)/newswatch"

infra: ## Install Kafka (Maven jars) and Redis (Debian package) if missing: what `make run` needs
	deploy/local/kafka.sh install
	deploy/local/redis.sh install

test-infra: infra ## Also Chromium and Prometheus (Debian packages): what the browser and scrape tests need
	deploy/local/chromium.sh install
	deploy/local/prometheus.sh install

run: install infra ## Start Kafka, Redis, the three services and a demo feed; show alerts
	deploy/local/run.sh

test: install test-infra ## Run the whole suite: unit, integration and end-to-end (real Kafka and Redis)
	$(BIN)/python -m pytest

test-unit: install ## Run only the tests that need no servers
	$(BIN)/python -m pytest -m "not kafka and not redis and not e2e"

lint: install ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install ## mypy over every service and shared/ (also run by make test)
	$(BIN)/python -m tests.typecheck

format: install ## Format the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install ## Print the benchmark table
	$(BIN)/python -m benchmarks

screenshots: install test-infra ## Write PNGs of the console's main pages to docs/screenshots/ (seeded stack)
	$(BIN)/python -m tests.browser.screenshots

model: install ## Retrain the classifier's model from tests/data/classifier/train, then score every split
	$(BIN)/newswatch train $(if $(wildcard $(REAL_DEV)),--calibrate $(REAL_DEV))
	$(BIN)/newswatch eval --worst 0

schemas: install ## Regenerate the published JSON Schema files and the API's OpenAPI document
	$(BIN)/newswatch schemas export

up: infra ## Start Kafka and Redis only (for running services by hand)
	deploy/local/kafka.sh start
	deploy/local/redis.sh start

down: ## Stop Kafka and Redis started by `make up`
	-deploy/local/redis.sh stop
	-deploy/local/kafka.sh stop

status: ## Is Kafka running? Is Redis?
	@deploy/local/kafka.sh status || true
	@deploy/local/redis.sh status || true

clean: down ## Remove local data, logs and the virtualenv
	rm -rf .run $(VENV)
