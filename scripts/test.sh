#!/usr/bin/env bash
# Install the project with its test extra into .venv and run the whole test suite, on SQLite and
# on the PostgreSQL server at 127.0.0.1:5432 (database `test`, user `postgres`), started here if
# it is down. Set HOCTAP_TEST_POSTGRES_URL="" to run without PostgreSQL (its tests then skip);
# otherwise a skipped PostgreSQL test fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${HOCTAP_TEST_POSTGRES_URL+set}" ]; then
    export HOCTAP_TEST_POSTGRES_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/test"
fi
if [ -n "$HOCTAP_TEST_POSTGRES_URL" ]; then
    export HOCTAP_REQUIRE_POSTGRES=1
    if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && command -v pg_ctlcluster >/dev/null; then
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
        for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
    fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports
# Two workers; the tests that run several real processes share one of them (tests/conftest.py).
.venv/bin/python -m pytest -q -n 2 --dist loadgroup "$@"
