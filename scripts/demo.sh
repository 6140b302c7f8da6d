#!/usr/bin/env bash
# make demo: the main job on the embedded default (SQLite) and the example directory.
# Three exports of the same Entra ID directory, a week apart, show every kind of change.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${TELSYNC_BIN:-build/release/telsync}
W=demo-work
rm -rf "$W" && mkdir -p "$W"
cp examples/telsync.yaml "$W/"
T="$BIN -c $W/telsync.yaml -q"
day=86400
now=$(date +%s)

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() {
  printf '$ telsync %s\n' "$*"
  TELSYNC_NOW=$now $T "$@"
  code=$?
  printf '(exit %d)\n' "$code"
  return 0
}

step "1. Check the configuration"
run check-config

step "2. The AD report of the first export: what a sync would change (nothing is applied)"
cp examples/directory-1.json "$W/directory.json"
run test-connection
run preview

step "3. Sync it: 300 users; bad phone numbers and duplicate e-mails are reported, not fatal (exit 4)"
run sync

step "4. Keep one user out of the sync: put them in the \"Non AD sync\" group"
excluded=$(TELSYNC_NOW=$now $T users list --limit 3 --format json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[2]["username"])')
run users exclude "$excluded"

step "5. A week later: the second export has updates, leavers (pending delete, 7 days' grace) and joiners"
now=$((now + 7 * day))
cp examples/directory-2.json "$W/directory.json"
run sync

step "6. Another week: Support is gone from the directory (20 users), one leaver is back"
now=$((now + 8 * day))
cp examples/directory-3.json "$W/directory.json"
run sync
held=$(TELSYNC_NOW=$now $T runs list --limit 1 | awk 'NR==2 {print $1}')

step "7. The run was held by the deletion threshold. The admin reviews it and approves it"
run runs show "$held" --action pending_delete
run sync --approve "$held"

step "8. History, and the directory now"
run runs list
run users list --limit 15
run runs show "$held" --format xlsx -o "$W/run-$held.xlsx"
run runs show "$held" --format html -o "$W/run-$held.html"

step "9. The service: REST API, jobs run by its workers, /metrics (stopped after a moment)"
token=$($BIN -c "$W/telsync.yaml" admin token create contoso --label demo)
$BIN -c "$W/telsync.yaml" serve --listen 127.0.0.1:0 --workers 1 >"$W/serve.out" 2>"$W/serve.log" &
serve_pid=$!
for _ in $(seq 1 100); do
  grep -q "^listening on" "$W/serve.out" 2>/dev/null && break
  sleep 0.1
done
base=$(awk '/^listening on/ {print $3}' "$W/serve.out")
if [ -n "$base" ]; then
  api() { curl -s -H "Authorization: Bearer $token" "$@"; }
  printf '$ curl %s/api/v1/tenants/contoso/profiles\n' "$base"
  api "$base/api/v1/tenants/contoso/profiles" | /usr/bin/python3 -c 'import json,sys; [print(" ", p["name"], p["source"]["type"], p["origin"]) for p in json.load(sys.stdin)["profiles"]]'
  printf '$ curl -X POST -d {} %s/api/v1/tenants/contoso/profiles/phones/sync\n' "$base"
  job=$(api -X POST -H "Content-Type: application/json" -d "{}" "$base/api/v1/tenants/contoso/profiles/phones/sync" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["job"])')
  for _ in $(seq 1 100); do
    state=$(api "$base/api/v1/tenants/contoso/jobs/$job" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], d["run_id"], d["exit_code"])')
    case "$state" in done*|failed*) break ;; esac
    sleep 0.2
  done
  printf '  job %s: %s (status, run, exit code)\n' "$job" "$state"
  printf '$ curl %s/metrics | grep telsync_runs_total\n' "$base"
  curl -s "$base/metrics" | grep '^telsync_runs_total' | head -5
  printf '\nThe service was at %s: the REST API under /api/v1 (OpenAPI at %s/api/v1/openapi.json),\n' "$base" "$base"
  printf 'SCIM at /scim/v2/<tenant>, /metrics, /healthz and /readyz. Its log: %s/serve.log\n' "$W"
else
  printf 'the service did not start; its log:\n' && cat "$W/serve.log"
fi
kill -TERM "$serve_pid" 2>/dev/null
wait "$serve_pid" 2>/dev/null
printf '\nReports of any run: telsync -c %s runs show ID --format json|csv|html|xlsx -o FILE\n' "$W/telsync.yaml"
printf 'Reports of the held run: %s/run-%s.xlsx and %s/run-%s.html\n' "$W" "$held" "$W" "$held"
printf '\nThe web admin page: run  %s -c %s/telsync.yaml serve\n' "$BIN" "$W"
printf 'then open http://127.0.0.1:8443/ and sign in with this token: %s\n' "$token"
