# Shell helpers to run a throwaway PostgreSQL cluster for tests (sourced by test.sh).

pg_bin_dir() {
    if [ -n "${KILN_PG_BIN:-}" ]; then echo "$KILN_PG_BIN"; return; fi
    local newest
    newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$newest" ]; then echo "$newest"; return; fi
    dirname "$(command -v initdb)"
}

# Runs a command as the unprivileged user PostgreSQL needs when we are root.
pg_as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        local user=postgres
        id "$user" >/dev/null 2>&1 || user=nobody
        runuser -u "$user" -- "$@"
    else
        "$@"
    fi
}

pg_start_throwaway() {
    local bin
    bin=$(pg_bin_dir)
    KILN_TEST_PG_DIR=$(mktemp -d /tmp/kiln-tests-pg.XXXXXX)
    export KILN_TEST_PG_DIR
    if [ "$(id -u)" -eq 0 ]; then
        local user=postgres
        id "$user" >/dev/null 2>&1 || user=nobody
        chown "$user" "$KILN_TEST_PG_DIR"
    fi
    pg_as_owner "$bin/initdb" -D "$KILN_TEST_PG_DIR/data" -U kiln --auth=trust --no-locale -E UTF8 >/dev/null
    pg_as_owner "$bin/pg_ctl" -D "$KILN_TEST_PG_DIR/data" -l "$KILN_TEST_PG_DIR/postgres.log" -w \
        -o "-k $KILN_TEST_PG_DIR -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=500" \
        start >/dev/null
}

pg_stop_throwaway() {
    local bin
    bin=$(pg_bin_dir)
    pg_as_owner "$bin/pg_ctl" -D "$KILN_TEST_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$KILN_TEST_PG_DIR"
}
