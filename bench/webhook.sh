#!/usr/bin/env bash
# bench/webhook.sh ROWS_FILE TMP_DIR, with R (release build dir) set (bench/run.sh).
# Signed webhook delivery: telsync's webhook target sending the first publish of
# WEBHOOK_USERS (10,000) users (one signed JSON POST per user, a full reconcile's
# user.snapshot events) to the stdlib receiver of the tests (tests/fixtures/webhook), next to
# the baseline: curl POSTing the same bodies with the same headers over one keep-alive
# connection (one curl process, a config file of requests). Both against the same receiver
# in this run; the receiver verifies every signature. Appends one JSON row (DESIGN §7).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=$1
tmp=$2
R=${R:-build/release}
n=${WEBHOOK_USERS:-10000}
d="$tmp/webhook"
rm -rf "$d"
mkdir -p "$d"
export HOOK_SECRET="whsec_$(head -c 32 /dev/urandom | base64)"

source bench/lib.sh  # measure

"$R/gen" --users "$n" --seed 7 --format json -o "$d/directory.json"
/usr/bin/python3 tests/fixtures/webhook/receiver.py --port-file "$d/port" \
  --secret "$HOOK_SECRET" --log "$d/requests.jsonl" >"$d/receiver.out" 2>&1 &
receiver=$!
trap 'kill $receiver 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$d/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$d/port")/hook"

cat >"$d/telsync.yaml" <<YAML
store: $d/telsync.db
tenants:
  - name: bench
    profiles:
      - name: main
        source: {type: file, path: $d/directory.json}
        policy: {max_deletes: -1, max_delete_percent: -1}
YAML
"$R/telsync" -q -c "$d/telsync.yaml" sync >"$d/sync.out" 2>&1 || [ $? -eq 4 ]
# The target is added after the sync: its first publish sends every user (measured alone).
cat >>"$d/telsync.yaml" <<YAML
    targets:
      - {name: hook, type: webhook, url: "$url", secret: "\${env:HOOK_SECRET}", retry: {batch: 1000}}
YAML
read -r wall rss < <(measure "$d/telsync" "$R/telsync" -q -c "$d/telsync.yaml" targets publish)
sent=$(grep -c '"status": 204' "$d/requests.jsonl" || true)

# The baseline: the same bodies and headers, one curl, one keep-alive connection.
/usr/bin/python3 - "$d/requests.jsonl" "$url" "$d/curl.conf" <<'PY'
import json, sys
log, url, out = sys.argv[1:]
with open(out, "w") as f:
    for i, line in enumerate(open(log)):
        r = json.loads(line)
        if i:
            f.write("next\n")
        f.write(f'url = "{url}"\nsilent\noutput = "/dev/null"\n')
        for k in ("id", "timestamp", "signature"):
            f.write(f'header = "webhook-{k}: {r[k]}"\n')
        f.write('header = "Content-Type: application/json"\nheader = "Expect:"\n')
        f.write("data-binary = " + json.dumps(r["body"]) + "\n")
PY
read -r bwall _ < <(measure "$d/curl" curl -K "$d/curl.conf")
total=$(wc -l <"$d/requests.jsonl")
kill "$receiver" 2>/dev/null || true
wait "$receiver" 2>/dev/null || true
/usr/bin/python3 - "$n" "$wall" "$rss" "$bwall" "$sent" "$total" >>"$rows" <<'PY'
import json, sys
n, wall, rss, bwall, sent, total = sys.argv[1:]
n, wall, rss, bwall = int(n), max(float(wall), 0.01), int(rss), max(float(bwall), 0.01)
events = int(sent)  # users the sync created (the generator's invalid ones are skipped)
print(json.dumps({"bench": "webhook_publish", "size": n, "wall_s": wall, "peak_rss_mb": rss,
                  "baseline": "curl POSTing the same bodies and headers, one keep-alive connection",
                  "baseline_wall_s": bwall, "ratio": wall / bwall,
                  "ops_per_s": events / wall, "baseline_ops_per_s": events / bwall,
                  "note": f"first publish of a webhook target for {n} generated users: {sent} signed user.snapshot "
                          f"events delivered (receiver: Python stdlib, verifies every "
                          f"signature); {total} requests in all with the baseline's"}))
PY
rm -f "$d/directory.json" "$d/curl.conf"
