#!/usr/bin/env bash
# bench/graph.sh ROWS_FILE TMP_DIR, with R (release build dir) and SIZES set (bench/run.sh).
# Reading N users from Entra ID over Microsoft Graph: telsync's Graph source reading every
# page from the Graph emulator (tests/emulators/graph) next to a raw libcurl page walk of
# the same URLs (bench/graph_walk.cc) (the same $select, $expand=memberOf, $top=999, following @odata.nextLink), both
# measured in this run against the same warm emulator. Appends one JSON row per size
# (DESIGN §7) with telsync's peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=$1
tmp=$2
R=${R:-build/release}
SIZES=${SIZES:-"100000 1000000"}
TENANT=72f988bf-86f1-41af-91ab-2d7cd011db47
CLIENT=11111111-2222-3333-4444-555555555555
export GRAPH_SECRET=bench-secret-value

source bench/lib.sh  # measure, wait_port

for n in $SIZES; do
  echo "bench graph $n" >&2
  d="$tmp/graph$n"
  mkdir -p "$d"
  "$R/gen" --users "$n" --seed 7 --format json -o "$d/directory.json"
  /usr/bin/python3 tests/emulators/graph/graph_emulator.py --users "$d/directory.json" \
    --config "{\"tenant\":\"$TENANT\",\"client_id\":\"$CLIENT\",\"secret\":\"$GRAPH_SECRET\"}" \
    >"$d/emulator.out" 2>"$d/emulator.err" &
  emu=$!
  port=$(wait_port "$d/emulator.out" '^PORT [0-9]*' 300)
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
YAML
  # Warm-up (not measured): the emulator renders and caches every page of this query once.
  "$R/telsync" -q -c "$d/telsync.yaml" dump-source --mapped --limit 1 >"$d/warm.out"
  first=$(curl -s "$url/_emulator/log" | /usr/bin/python3 -c '
import json, sys
print(next(e["path"] for e in json.load(sys.stdin) if e["path"].startswith("/v1.0/users?")))')
  token=$(curl -s -d "client_id=$CLIENT&client_secret=$GRAPH_SECRET&grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default" \
    "$url/$TENANT/oauth2/v2.0/token" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  # Baseline 1, the issue's: a shell page walk, curl fetching each page and grep finding
  # the next link. It pays a process per page, as any script would.
  cat >"$d/walk.sh" <<WALK
next='$url$first'
pages=0
while [ -n "\$next" ]; do
  curl -s -f -H 'Authorization: Bearer $token' -o '$d/page.json' "\$next"
  pages=\$((pages + 1))
  next=\$(LC_ALL=C grep -o '"@odata.nextLink":"[^"]*"' '$d/page.json' | cut -d'"' -f4 || true)
done
echo "\$pages pages"
WALK
  read -r bwall _ < <(measure "$d/curl" bash "$d/walk.sh")
  # Baseline 2, the floor: libcurl on one keep-alive handle, the next link found with a
  # plain search, no JSON parsed (bench/graph_walk.cc). What is left is telsync's parsing.
  read -r fwall _ < <(measure "$d/floor" "$R/graph_walk" "$url$first" "$token")
  read -r wall rss < <(measure "$d/telsync" "$R/telsync" -q -c "$d/telsync.yaml" dump-source --mapped --limit 1)
  objects=$(tail -n 1 "$d/telsync.stdout" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["objects"])')
  pages=$(cat "$d/curl.stdout")
  kill "$emu" 2>/dev/null || true
  wait "$emu" 2>/dev/null || true
  /usr/bin/python3 - "$n" "$wall" "$rss" "$bwall" "$objects" "$pages" "$fwall" >>"$rows" <<'PY'
import json, sys
n, wall, rss, bwall, objects, pages, fwall = sys.argv[1:]
n, wall, rss, bwall, fwall = int(n), float(wall), int(rss), float(bwall), max(float(fwall), 0.01)
print(json.dumps({"bench": "graph_read", "size": n, "wall_s": wall, "peak_rss_mb": rss,
                  "baseline": "shell page walk with curl of the same Graph URLs ($select, $top=999)",
                  "baseline_wall_s": bwall, "ratio": wall / bwall,
                  "ops_per_s": n / wall, "baseline_ops_per_s": n / bwall,
                  "note": f"telsync Graph source (sign-in, delta links, pages parsed with simdjson) "
                          f"from the Graph emulator: {objects} users; baseline: {pages}"}))
print(json.dumps({"bench": "graph_read_floor", "size": n, "wall_s": wall, "peak_rss_mb": rss,
                  "baseline": "libcurl page walk, one keep-alive handle, no JSON parsed",
                  "baseline_wall_s": fwall, "ratio": wall / fwall,
                  "ops_per_s": n / wall, "baseline_ops_per_s": n / fwall,
                  "note": "the same telsync read next to the least work that fetches the pages: "
                          "the difference is parsing and building the users"}))
PY
  rm -f "$d/directory.json" "$d/page.json"
done
