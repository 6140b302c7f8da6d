#!/usr/bin/env bash
# bench/delta.sh ROWS_FILE TMP_DIR, with R (release build dir) and SIZES set (bench/run.sh).
# What a sync costs when little or nothing changed (issue 20), on a Graph tenant of N users
# served by the Graph emulator (tests/emulators/graph), one tenant per size, in this order:
#   1. a first `telsync sync` (full read, every user written): the baseline of row 4;
#   2. delta_noop: a second sync whose /users/delta answers 0 changes; baseline: curl of
#      the same delta link (the users deltaLink the first sync stored);
#   3. delta_1k: 1,000 users changed in the emulator (POST /_emulator/users, as
#      tests/integration/test_graph.py does), then a sync; baseline: curl of its delta link;
#   4. resync_noop_full: the full read falling due (the cursor's full_read_at set to 0, as
#      full_read_every_hours would), nothing changed since 3; baseline: the first sync (1).
# Each row: the sync's wall time and peak RSS (telsync only: the emulator is another process).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
rows=$1
tmp=$2
R=${R:-build/release}
SIZES=${SIZES:-"100000 1000000"}
CHANGED=${DELTA_CHANGED:-1000}
TENANT=72f988bf-86f1-41af-91ab-2d7cd011db47
CLIENT=11111111-2222-3333-4444-555555555555
export GRAPH_SECRET=bench-secret-value

emu=
stop_emulator() {
  if [ -n "$emu" ]; then
    kill "$emu" 2>/dev/null || true
    wait "$emu" 2>/dev/null || true
    emu=
  fi
}
trap stop_emulator EXIT

# The users deltaLink in the profile's stored cursor (the engine's cursor wraps the source's).
users_link() {
  sqlite3 "$1/telsync.db" "SELECT cursor FROM cursors WHERE tenant = 'bench' AND profile = 'main'" |
    /usr/bin/python3 -c 'import json, sys; print(json.loads(json.load(sys.stdin)["source"])["users"])'
}

# sync OUT: measures `telsync sync`, fails the bench when the sync failed (exit 4, partial,
# is expected: the generated directory has conflicts). Prints "wall rss".
sync() {
  local out=$1 wall rss
  read -r wall rss < <(measure "$out" "$R/telsync" -q -c "$d/telsync.yaml" sync)
  if [ -f "$out.code" ] && [ "$(cat "$out.code")" != 4 ]; then
    echo "telsync sync failed ($out, exit $(cat "$out.code")):" >&2
    tail -n 20 "$out.stderr" "$out.stdout" >&2
    exit 1
  fi
  echo "$wall $rss"
}

# The last run's message ("delta read: 0 changed, 0 removed", "full read") and rows written.
last_run() {
  local msg written
  msg=$(sqlite3 "$d/telsync.db" "SELECT message FROM runs ORDER BY id DESC LIMIT 1" 2>/dev/null || true)
  written=$(grep -o 'Applied: [0-9]* user rows' "$1.stdout" | grep -o '[0-9]*' || echo 0)
  echo "$msg; $written rows written"
}

curl_delta() {  # curl_delta OUT: fetches the stored users delta link as the sync would
  local link
  link=$(users_link "$d")
  measure "$1" curl -s -f -H "Authorization: Bearer $token" -o "$1.json" "$link"
  [ ! -f "$1.code" ] || { echo "curl of the delta link failed: $link" >&2; exit 1; }
}

for n in $SIZES; do
  echo "bench delta $n" >&2
  d="$tmp/delta$n"
  rm -rf "$d"
  mkdir -p "$d"
  "$R/gen" --users "$n" --seed 7 --format json -o "$d/directory.json"
  /usr/bin/python3 tests/emulators/graph/graph_emulator.py --users "$d/directory.json" \
    --config "{\"tenant\":\"$TENANT\",\"client_id\":\"$CLIENT\",\"secret\":\"$GRAPH_SECRET\"}" \
    >"$d/emulator.out" 2>"$d/emulator.err" &
  emu=$!
  port=$(wait_port "$d/emulator.out" '^PORT [0-9]*' 600)
  url="http://127.0.0.1:$port"
  cat >"$d/telsync.yaml" <<YAML
store: telsync.db
tenants:
  - name: bench
    profiles:
      - name: main
        source:
          type: graph
          tenant_id: $TENANT
          client_id: $CLIENT
          client_secret: \${env:GRAPH_SECRET}
          authority: $url
          graph_url: $url
        policy: {max_deletes: -1, max_delete_percent: -1}
YAML
  token=$(curl -s -d "client_id=$CLIENT&client_secret=$GRAPH_SECRET&grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default" \
    "$url/$TENANT/oauth2/v2.0/token" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

  # Warm-up (not measured): the emulator renders and caches every page of the users query
  # once (as bench/graph.sh does), so the syncs below time telsync, not Python's JSON.
  "$R/telsync" -q -c "$d/telsync.yaml" dump-source --mapped --limit 1 >"$d/warm.out"
  # 1. The first sync: reads every page, writes every user, stores the delta links.
  read -r fwall frss < <(sync "$d/first")
  first_note=$(last_run "$d/first")

  # 2. Nothing changed: the delta link answers 0 users.
  read -r bwall _ < <(curl_delta "$d/curl_noop")
  read -r wall rss < <(sync "$d/noop")
  json_row "$rows" bench=delta_noop size="$n" wall_s="$wall" peak_rss_mb="$rss" \
    baseline="curl of the same /users/delta link (the stored deltaLink, 0 changes)" \
    baseline_wall_s="$bwall" ops_per_s= baseline_ops_per_s= \
    note="second sync of a Graph tenant of $n users whose delta returns 0 changes ($(last_run "$d/noop")); target at 1,000,000: < 0.3 s, < 100 MB RSS"

  # 3. CHANGED users change (their job title) in the emulator, not measured.
  /usr/bin/python3 - "$d/directory.json" "$port" "$CHANGED" >"$d/changed.out" <<'PY'
import http.client, json, sys
path, port, changed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = [l.rstrip(",\n") for l in open(path, encoding="utf-8") if l.startswith('{"id":')]
step = max(1, len(lines) // changed)
conn = http.client.HTTPConnection("127.0.0.1", port)
done = 0
for line in lines[::step][:changed]:
    user = json.loads(line)
    user["jobTitle"] = "Delta Bench " + str(done)
    conn.request("POST", "/_emulator/users", body=json.dumps(user),
                 headers={"Content-Type": "application/json"})
    answer = conn.getresponse()
    answer.read()
    if answer.status != 200:
        sys.exit(f"POST /_emulator/users: {answer.status}")
    done += 1
print(done)
PY
  read -r bwall _ < <(curl_delta "$d/curl_1k")
  got=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["value"]))' "$d/curl_1k.json")
  read -r wall rss < <(sync "$d/delta1k")
  json_row "$rows" bench=delta_1k size="$n" wall_s="$wall" peak_rss_mb="$rss" \
    baseline="curl of the same /users/delta link ($got changed users)" \
    baseline_wall_s="$bwall" ops_per_s= baseline_ops_per_s= \
    note="sync of a Graph tenant of $n users after $(cat "$d/changed.out") users changed their job title ($(last_run "$d/delta1k")); target at 1,000,000: < 1.5 s"

  # 4. The periodic full read falls due (as full_read_every_hours would); nothing changed.
  # The changes emptied the emulator's page cache: warm it again, as for the first sync.
  "$R/telsync" -q -c "$d/telsync.yaml" dump-source --mapped --limit 1 >"$d/warm.out"
  sqlite3 "$d/telsync.db" "UPDATE cursors SET cursor = json_set(cursor, '\$.full_read_at', 0) WHERE tenant = 'bench'"
  read -r wall rss < <(sync "$d/full")
  json_row "$rows" bench=resync_noop_full size="$n" wall_s="$wall" peak_rss_mb="$rss" \
    baseline="the first sync of the same Graph tenant (same run: $first_note)" \
    baseline_wall_s="$fwall" baseline_peak_rss_mb="$frss" \
    note="a full read that changes nothing: the periodic full read of a Graph tenant of $n users falling due ($(last_run "$d/full")); target at 1,000,000: ratio <= 0.3"
  stop_emulator
  rm -f "$d/directory.json" "$d"/*.json
done
