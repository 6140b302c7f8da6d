#!/usr/bin/env bash
# make bench [BENCH=plan|phone|sync|graph|delta|ldap|...|web]: runs the benches, writes bench/results/latest.json and the
# README table. Each row: the work, its size, wall time, peak RSS, and the baseline (the
# same work done by the simplest real thing) measured in the same run (DESIGN §7).
set -euo pipefail
cd "$(dirname "$0")/.."
R=${RELEASE_DIR:-build/release}
only=${1:-}
SIZES=${BENCH_SIZES:-"100000 1000000"}
tmp=$(mktemp -d /tmp/telsync-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
rows="$tmp/rows.jsonl"
: >"$rows"

source bench/lib.sh  # measure, wait_port, json_row

if [ -z "$only" ] || [ "$only" = plan ]; then
  for n in $SIZES; do
    echo "bench plan $n" >&2
    "$R/plan_bench" "$n" >>"$rows"
  done
fi

if [ -z "$only" ] || [ "$only" = phone ]; then
  for n in $SIZES; do
    echo "bench phone $n" >&2
    "$R/phone_bench" "$n" >>"$rows"
  done
fi

if [ -z "$only" ] || [ "$only" = sync ]; then
  for n in $SIZES; do
    echo "bench sync $n" >&2
    d="$tmp/sync$n"; mkdir -p "$d"
    "$R/gen" --users "$n" --seed 7 --format json -o "$d/directory.json"
    "$R/gen" --users "$n" --seed 7 --format csv -o "$d/directory.csv"
    cat >"$d/telsync.yaml" <<YAML
store: telsync.db
tenants:
  - name: bench
    profiles:
      - name: main
        source: {type: file, path: directory.json}
        policy: {max_deletes: -1, max_delete_percent: -1}
YAML
    # Baseline: the sqlite3 shell loading the same rows into a table with three unique
    # indexes, WAL, as one transaction (.import).
    cat >"$d/import.sql" <<SQL
PRAGMA journal_mode=WAL;
CREATE TABLE users(objectGUID TEXT, sAMAccountName TEXT, givenName TEXT, sn TEXT,
  displayName TEXT, mail TEXT, userPrincipalName TEXT, telephoneNumber TEXT, mobile TEXT,
  ipPhone TEXT, department TEXT, title TEXT, l TEXT, c TEXT, accountEnabled TEXT, memberOf TEXT);
CREATE UNIQUE INDEX u1 ON users(objectGUID);
CREATE UNIQUE INDEX u2 ON users(sAMAccountName);
CREATE UNIQUE INDEX u3 ON users(userPrincipalName);
.mode csv
.import --skip 1 $d/directory.csv users
SQL
    read -r bwall brss < <(measure "$d/base" -- sqlite3 "$d/base.db" ".read $d/import.sql")
    read -r wall rss < <(measure "$d/first" -- "$R/telsync" -q -c "$d/telsync.yaml" sync)
    written=$(grep -o 'Applied: [0-9]* user rows' "$d/first.stdout" | grep -o '[0-9]*' || echo "?")
    read -r wall2 rss2 < <(measure "$d/noop" -- "$R/telsync" -q -c "$d/telsync.yaml" sync)
    written2=$(grep -o 'Applied: [0-9]* user rows' "$d/noop.stdout" | grep -o '[0-9]*' || echo "?")
    # The outbox's cost: the same first sync into a fresh store whose tenant has a target that
    # published once (its cursor is open, so every change writes its event). The target is a
    # webhook to a closed port: its first publish (no users) succeeds without a request, and
    # the delivery after the sync fails at once and waits for its back-off.
    mkdir -p "$d/outbox"
    cp "$d/directory.json" "$d/outbox/"
    cat >"$d/outbox/telsync.yaml" <<YAML
store: telsync.db
tenants:
  - name: bench
    profiles:
      - name: main
        source: {type: file, path: directory.json}
        policy: {max_deletes: -1, max_delete_percent: -1}
    targets:
      - {name: hook, type: webhook, url: "http://127.0.0.1:1/hook", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
YAML
    "$R/telsync" -q -c "$d/outbox/telsync.yaml" targets publish >"$d/outbox/open.out" 2>&1
    read -r wall3 rss3 < <(measure "$d/outbox/first" -- "$R/telsync" -q -c "$d/outbox/telsync.yaml" sync)
    events=$(sqlite3 "$d/outbox/telsync.db" "SELECT count(*) FROM outbox")
    /usr/bin/python3 - "$n" "$wall" "$rss" "$bwall" "$written" "$wall2" "$rss2" "$written2" \
      "$wall3" "$rss3" "$events" >>"$rows" <<'PY'
import json, sys
n, wall, rss, bwall, written, wall2, rss2, written2, wall3, rss3, events = sys.argv[1:]
n, wall, rss, bwall, wall2, rss2 = int(n), float(wall), int(rss), float(bwall), float(wall2), int(rss2)
wall3, rss3 = float(wall3), int(rss3)
base = "sqlite3 shell .import of the same rows (3 unique indexes, WAL)"
print(json.dumps({"bench": "sync_first", "size": n, "wall_s": wall, "peak_rss_mb": rss,
                  "baseline": base, "baseline_wall_s": bwall, "ratio": wall / bwall,
                  "ops_per_s": n / wall, "baseline_ops_per_s": n / bwall,
                  "note": f"file source (Graph JSON) -> map -> validate (libphonenumber) -> plan -> SQLite; {written} rows written"}))
print(json.dumps({"bench": "sync_noop", "size": n, "wall_s": wall2, "peak_rss_mb": rss2,
                  "baseline": base, "baseline_wall_s": bwall, "ratio": wall2 / bwall,
                  "ops_per_s": n / wall2, "baseline_ops_per_s": n / bwall,
                  "note": f"resync with no change: {written2} rows written"}))
print(json.dumps({"bench": "sync_first_outbox", "size": n, "wall_s": wall3, "peak_rss_mb": rss3,
                  "baseline": "the same first sync without targets (sync_first, same run)",
                  "baseline_wall_s": wall, "ratio": wall3 / wall,
                  "ops_per_s": n / wall3, "baseline_ops_per_s": n / wall,
                  "note": f"first sync into a tenant whose target has a cursor: {events} outbox "
                          f"events written in the sync's transactions (target: ratio <= 1.10)"}))
PY
  done
fi

# Source and server benches live in their own scripts: bench/NAME.sh ROWS_FILE TMP_DIR,
# run with R (the release build dir) and SIZES set; each appends JSON rows to ROWS_FILE.
for suite in graph delta ldap scim workers webhook kamailio; do
  if { [ -z "$only" ] || [ "$only" = "$suite" ]; } && [ -f "bench/$suite.sh" ]; then
    echo "bench $suite" >&2
    mkdir -p "$tmp/$suite"
    R=$R SIZES=$SIZES bash "bench/$suite.sh" "$rows" "$tmp/$suite"
  fi
done

# The admin page's first page of a large preview in the browser (issue 19): suite "web".
if [ -z "$only" ] || [ "$only" = web ]; then
  echo "bench web" >&2
  mkdir -p "$tmp/web"
  R=$R bash bench/web-first-page/run.sh "$rows" "$tmp/web"
fi

mkdir -p bench/results
/usr/bin/python3 - "$rows" <<'PY'
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
path = "bench/results/latest.json"
try:
    old = json.load(open(path))
except Exception:
    old = []
keys = {(r["bench"], r["size"]) for r in rows}
merged = [r for r in old if (r["bench"], r["size"]) not in keys] + rows
merged.sort(key=lambda r: (r["bench"], r["size"]))
json.dump(merged, open(path, "w"), indent=2)
open(path, "a").write("\n")
table = ["| bench | size | wall s | peak RSS MB | ops/s | baseline | baseline s | baseline ops/s | ratio |",
         "|---|---:|---:|---:|---:|---|---:|---:|---:|"]
def ops(v):
    return "" if v is None else f"{v:,.0f}"
for r in merged:
    table.append(f"| {r['bench']} | {r['size']:,} | {r['wall_s']:.2f} | {r['peak_rss_mb']:.0f} | "
                 f"{ops(r.get('ops_per_s'))} | {r['baseline']} | {r['baseline_wall_s']:.2f} | "
                 f"{ops(r.get('baseline_ops_per_s'))} | {r['ratio']:.2f} |")
text = "\n".join(table)
print(text)
readme = open("README.md").read()
new = re.sub(r"(<!-- bench:start -->\n).*?(<!-- bench:end -->)", lambda m: m.group(1) + text + "\n" + m.group(2), readme, flags=re.S)
open("README.md", "w").write(new)
PY
