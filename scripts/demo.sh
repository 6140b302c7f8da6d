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
printf '\nReports of any run: telsync -c %s runs show ID --format json|csv\n' "$W/telsync.yaml"
