# The two commands of the README. Both need only Python 3.11 on the machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test fuzz bench side-by-side lint clean

$(INSTALLED): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

## make run: embedded PostgreSQL + Redis (unless DATABASE_URL / REDIS_URL are set), migrate,
## demo data, then web server + Celery worker + beat until Ctrl-C. PORT defaults to 8000.
run: $(INSTALLED)
	$(BIN)/python -m sartiq.run

## make test: the whole suite against an embedded real PostgreSQL (and Redis where needed).
test: $(INSTALLED)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make fuzz: schemathesis against the running system (reference's OpenAPI and ours) on a seeded
## demo tree, in a throwaway data directory. Budget: FUZZ_SECONDS, FUZZ_MAX_EXAMPLES (docs/testing.md).
fuzz: $(INSTALLED)
	$(BIN)/python fuzz/run.py $(FUZZ_ARGS)

clean:
	rm -rf $(VENV) .data .pytest_cache fuzz-report

## make bench: seed a 200-look shooting in a throwaway database, time the main reads, a web worker's
## memory, creating 500 looks and 200 generations through a real worker (docs/performance.md).
## BENCH_ARGS="--looks 2000 --runs 5", "--shootings 10000", "--quick" (reads and creation only),
## "--only worker"; WORKER_CONCURRENCY=2 by default.
bench: $(INSTALLED)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## make side-by-side: ../shared/bench/side_by_side.sh (this project against the original stack's
## peer, docs/performance.md) with the two settings a throwaway production system needs: a fresh
## key for tenants' secrets, and plain HTTP (wrk speaks no TLS). SBS_ARGS="5 60": rounds, seconds.
side-by-side: $(INSTALLED)
	HTTPS_ONLY=0 INTEGRATION_SECRETS_KEY=$$($(BIN)/python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())") \
		../shared/bench/side_by_side.sh $(SBS_ARGS)

## make lint: ruff, and import-linter's layers contract (.importlinter; also a test in make test).
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
