# Confnotes — the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
# `make run`, `workers` and `bench` serve plain HTTP on this machine with a secret key of
# this checkout (made once, never committed); a deployment sets its own SECRET_KEY.
SECRET_KEY_FILE := .secret-key
LOCAL_ENV = SECRET_KEY="$${SECRET_KEY:-$$(cat $(SECRET_KEY_FILE))}" HTTPS="$${HTTPS:-false}"
# Live notes: CRDT updates are small binary frames, so per-message deflate costs CPU
# per client per frame for little gain (the y-websocket Node server leaves it off too);
# frames over 2 MiB are refused by uvicorn (the app itself closes at 1 MiB with 4413).
WS_OPTIONS ?= --ws-per-message-deflate false --ws-max-size 2097152
# config/server.py is uvicorn (same options) with a graceful shutdown on SIGTERM: it
# closes live notes with 1001 and stores what it received before it exits.
UVICORN = $(BIN)/python -m config.server config.asgi:application --host $(HOST) --port $(PORT) \
	--ws notes.server_protocol:LiveWebSocketProtocol $(WS_OPTIONS) --lifespan off --no-access-log

.PHONY: run test test-faults fmt lint bench bench-peer assets serve workers serve-cluster clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstall only when the dependencies change, so a second `make run` starts fast.
.stamp-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q .
	@touch $@

.stamp-test: pyproject.toml .stamp-run
	$(BIN)/pip install -q ".[test]"
	@touch $@

run: .stamp-run $(SECRET_KEY_FILE)
	$(LOCAL_ENV) $(BIN)/python manage.py migrate --noinput
	$(LOCAL_ENV) $(BIN)/python manage.py seed_demo
	@echo "Confnotes on http://$(HOST):$(PORT)/"
	$(LOCAL_ENV) $(UVICORN)

# Several worker processes sharing PostgreSQL and Redis (DATABASE_URL and REDIS_URL must be set).
workers: .stamp-run $(SECRET_KEY_FILE)
	@test -n "$$REDIS_URL" || (echo "workers need REDIS_URL (and DATABASE_URL)"; exit 2)
	$(LOCAL_ENV) $(BIN)/python manage.py migrate --noinput
	$(LOCAL_ENV) $(BIN)/python manage.py seed_demo
	$(LOCAL_ENV) $(UVICORN) --workers $(WORKERS)

# nginx on 127.0.0.1:$(CLUSTER_PORT) in front of WORKERS uvicorn processes, on PostgreSQL
# and Redis (DATABASE_URL / REDIS_URL, or the machine's own; PRIVATE=1 starts private
# ones). deploy/cluster.py is the same thing as a Python API, for benchmarks and tests.
CLUSTER_PORT ?= 8080
serve-cluster: .stamp-run $(SECRET_KEY_FILE)
	@command -v nginx >/dev/null 2>&1 || { echo "serve-cluster needs nginx: apt-get install -y nginx (it is run from its own configuration, not as a service)"; exit 2; }
	$(LOCAL_ENV) $(BIN)/python deploy/cluster.py serve --workers $(WORKERS) --port $(CLUSTER_PORT) $(if $(PRIVATE),--private)

# Fault tests (tests/faults): 20 editors through nginx into one note over two workers,
# while a worker is killed or stopped, Redis restarts, PostgreSQL stops... Not part of
# `make test` (they take minutes); `.ci/run` runs them after it.
test-faults: .stamp-test $(SECRET_KEY_FILE)
	@command -v nginx >/dev/null 2>&1 || { echo "test-faults needs nginx: apt-get install -y nginx"; exit 2; }
	$(BIN)/pytest -m faults tests/faults

$(SECRET_KEY_FILE):
	@umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

test: .stamp-test $(SECRET_KEY_FILE)
	$(LOCAL_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

fmt: .stamp-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lint: .stamp-test
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

bench: .stamp-test $(SECRET_KEY_FILE)
	$(LOCAL_ENV) $(BIN)/python bench/run_all.py

.stamp-bench: pyproject.toml .stamp-test
	$(BIN)/pip install -q ".[bench]"
	@touch $@

# Confnotes (1 worker on SQLite; 1 worker on PostgreSQL; 2 workers + nginx on PostgreSQL +
# Redis) against the Node reference server, same generator, alternating; table + plot in
# bench/peer-results/.
# LOADS=20,50,200,keynote,tracks  DURATION=15 (s of typing)  ROUNDS=1  SERVERS=ref,one,one-pg,cluster
bench-peer: .stamp-bench $(SECRET_KEY_FILE)
	@command -v npm >/dev/null 2>&1 || { echo "bench-peer needs node and npm (the reference server)"; exit 2; }
	@command -v nginx >/dev/null 2>&1 || { echo "bench-peer needs nginx: apt-get install -y nginx"; exit 2; }
	$(LOCAL_ENV) $(BIN)/python bench/peer.py

# Rebuild the committed browser bundle (static/build/editor.js, static/build/sw.js)
# from package.json / package-lock.json. Needs Node >= 18; `make run` does not.
assets:
	npm ci
	npm run build

clean:
	rm -rf $(VENV) .stamp-run .stamp-test .stamp-bench
