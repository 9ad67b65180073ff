#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, builds once, starts a throwaway
# PostgreSQL cluster (unless TEST_DATABASE_URL is set), and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

cargo build --workspace --all-targets --locked 2>&1 | tail -n 3

if [ -z "${TEST_DATABASE_URL:-}" ]; then
    source scripts/pg.sh
    pg_start_throwaway
    trap pg_stop_throwaway EXIT
    export TEST_DATABASE_URL="host=$KILN_TEST_PG_DIR user=kiln dbname=postgres"
fi

export KILN_KOJI_CLI="$PWD/.venv/bin/koji"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --locked --no-fail-fast --test-threads "${KILN_TEST_THREADS:-4}" "$@"
else
    cargo test --workspace --locked --no-fail-fast "$@"
fi
