#!/usr/bin/env bash
# The main job: installs what is missing, builds Kiln, starts a development hub (managed
# PostgreSQL, topdir, admin user, certificates) in .kiln-dev, shows the stock koji client
# talking to it, and keeps the hub running until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo build --release --locked --bins 2>&1 | tail -n 3

dir=${KILN_DEV_DIR:-$PWD/.kiln-dev}
listen=${KILN_LISTEN:-127.0.0.1:8080}
target/release/kiln-hub dev --dir "$dir" --listen "$listen" &
hub_pid=$!
trap 'kill $hub_pid 2>/dev/null; wait $hub_pid 2>/dev/null' EXIT INT TERM

koji=(.venv/bin/koji -c "$dir/koji.conf")
for _ in $(seq 1 120); do
    "${koji[@]}" version >/dev/null 2>&1 && break
    kill -0 $hub_pid 2>/dev/null || { echo "demo: the hub did not start" >&2; exit 1; }
    sleep 0.5
done
password=$(cat "$dir/admin-password")
echo "== koji hello (password)"
"${koji[@]}" --user admin --password "$password" hello
echo "== koji hello (client certificate)"
"${koji[@]}" -p kiln-cert hello
echo
echo "The hub keeps running at http://$listen/kojihub; press Ctrl-C to stop."
wait $hub_pid
