#!/usr/bin/env bash
# bench/web-first-page/run.sh ROWS_FILE TMP_DIR, with R (release build dir) set (bench/run.sh,
# suite "web"). The admin page's first page of a WEB_USERS (100,000) user preview (issue 19:
# target < 1 s once the preview is done): a real `telsync serve` whose tenant has that preview
# done (a first preview of the generated directory: every user a create), and the browser
# (first-page.mjs) opening the run's address, timed by the browser's clock from navigation to
# the first 50 items shown. The baseline, in the same run against the same server: curl
# fetching the same first-page API request (GET .../runs/{id}/items?limit=50). Median of
# WEB_TRIES (5) each. Appends one JSON row (DESIGN §7).
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=$1
tmp=$2
R=${R:-build/release}
n=${WEB_USERS:-100000}
tries=${WEB_TRIES:-5}
d="$tmp/web-first-page"
rm -rf "$d"
mkdir -p "$d"

if [ ! -d tests/web/node_modules/playwright-core ]; then
  (cd tests/web && npm ci --no-audit --no-fund --silent)
fi

"$R/gen" --users "$n" --seed 7 --format json -o "$d/directory.json"
cat >"$d/telsync.yaml" <<YAML
store: $d/telsync.db
tenants:
  - name: bench
    profiles:
      - name: main
        source: {type: file, path: $d/directory.json}
        policy: {max_deletes: -1, max_delete_percent: -1}
YAML
# The preview, done before the server starts: its run is what the page opens.
"$R/telsync" -q -c "$d/telsync.yaml" preview -f json >"$d/preview.json" 2>"$d/preview.err" || [ $? -eq 4 ]
run=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"])' "$d/preview.json")
items=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$d/preview.json")
token=$("$R/telsync" -q -c "$d/telsync.yaml" admin token create bench --label bench 2>"$d/token.err")

"$R/telsync" -c "$d/telsync.yaml" serve --listen 127.0.0.1:0 >"$d/serve.out" 2>"$d/serve.err" &
serve=$!
trap 'kill $serve 2>/dev/null || true; wait $serve 2>/dev/null || true' EXIT
for _ in $(seq 200); do grep -q '^listening on ' "$d/serve.out" 2>/dev/null && break; sleep 0.1; done
base=$(awk '/^listening on /{print $NF; exit}' "$d/serve.out")
[ -n "$base" ] || { echo "web-first-page: telsync serve did not start: $(cat "$d/serve.err")" >&2; exit 1; }

# The baseline: the same first page, fetched by curl (a new connection each time).
url="$base/api/v1/tenants/bench/runs/$run/items?limit=50"
: >"$d/curl.times"
for _ in $(seq "$tries"); do
  curl -sf -o "$d/first-page.json" -w '%{time_total}\n' -H "Authorization: Bearer $token" "$url" >>"$d/curl.times"
done

BASE=$base TOKEN=$token TENANT=bench RUN=$run SIZE=$items TRIES=$tries \
  node bench/web-first-page/first-page.mjs >"$d/browser.json"
rss=$(awk '/VmHWM/{print int($2/1024)}' "/proc/$serve/status")

/usr/bin/python3 - "$n" "$items" "$d/browser.json" "$d/curl.times" "$d/first-page.json" "$rss" >>"$rows" <<'PY'
import json, statistics, sys
n, items, browser, curl, page, rss = sys.argv[1:]
b = json.load(open(browser))
times = [float(t) for t in open(curl) if t.strip()]
base = statistics.median(times)
wall = b["median_ms"] / 1000
shown = json.load(open(page))["page"]
print(json.dumps({"bench": "web_first_page", "size": int(n), "wall_s": wall, "peak_rss_mb": int(rss),
                  "baseline": "curl of the same first-page API request (GET .../runs/{id}/items?limit=50)",
                  "baseline_wall_s": base, "ratio": wall / base,
                  "ops_per_s": None, "baseline_ops_per_s": None,
                  "note": f"browser clock, navigation to the first 50 of {shown['matched']} items "
                          f"shown (median of {len(b['tries_ms'])}: {', '.join(f'{t:.0f}' for t in b['tries_ms'])} ms; "
                          f"items response {b['items_response_bytes']:,} bytes); target < 1 s; "
                          f"peak RSS is telsync serve's"}))
PY
