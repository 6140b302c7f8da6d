#!/usr/bin/env bash
# bench/workers.sh ROWS_FILE TMP_DIR (env R = release build dir): issue 8's benches.
#
#  1. 1,000 tenants x 1,000 users (generated, one directory file per tenant), a job queued
#     for each (`telsync jobs add --all`), run by 1, 2 and 4 `telsync serve --worker`
#     processes on one PostgreSQL store; next to the same work on SQLite by one process.
#     Wall time from the workers' start to the last job done; peak RSS of the largest
#     worker. Rows workers_pg_1|2|4, baseline: the SQLite process, measured in this run.
#  2. The first full sync of 1,000,000 users into PostgreSQL next to psql's \copy of the
#     same rows into a table with the same three unique indexes (target: within 3x).
#
# The PostgreSQL cluster is the tests' throwaway one (tests/fixtures/postgres), fsync off
# for both sides alike.
set -euo pipefail
rows=$1
tmp=$2
R=${R:-build/release}
here=$(cd "$(dirname "$0")/.." && pwd)
tenants=${WORKERS_BENCH_TENANTS:-1000}
per=${WORKERS_BENCH_USERS:-1000}
big=${WORKERS_BENCH_BIG:-1000000}
d="$tmp/workers"
rm -rf "$d"; mkdir -p "$d/dirs"
T="$R/telsync"

url=$("$here/tests/fixtures/postgres/pg-cluster.sh" start "$d/pg")
trap '"$here/tests/fixtures/postgres/pg-cluster.sh" stop "$d/pg" >/dev/null 2>&1 || true' EXIT
base_url=${url%/*}

echo "bench workers: generating $tenants directories of $per users" >&2
for i in $(seq 0 $((tenants - 1))); do
  "$R/gen" --users "$per" --seed "$((1000 + i))" --format json -o "$d/dirs/t$i.json"
done
config() {  # config FILE STORE
  {
    echo "store: $2"
    echo "tenants:"
    for i in $(seq 0 $((tenants - 1))); do
      printf '  - name: t%d\n    profiles:\n      - name: main\n' "$i"
      printf '        source: {type: file, path: %s/dirs/t%d.json}\n' "$d" "$i"
      printf '        policy: {max_deletes: -1, max_delete_percent: -1}\n'
    done
  } >"$1"
}

# run_workers CONFIG N: queues every tenant's job, starts N worker processes, waits for the
# last job; prints "wall_s peak_rss_mb".
run_workers() {
  local cfg=$1 n=$2 pids=() start end
  "$T" -q -c "$cfg" jobs add --all >/dev/null
  start=$(date +%s.%N)
  for w in $(seq 1 "$n"); do
    "$T" -c "$cfg" serve --worker --workers 1 --tenant-cap 1 >"$d/w$w.out" 2>"$d/w$w.err" &
    pids+=($!)
  done
  while :; do
    left=$("$T" -c "$cfg" jobs list --limit 0 -f json |
      /usr/bin/python3 -c 'import json,sys; print(sum(j["status"] in ("queued","running") for j in json.load(sys.stdin)))')
    [ "$left" = 0 ] && break
    sleep 0.5
  done
  end=$(date +%s.%N)
  rss=0  # peak RSS (kB) of the largest worker, read before it exits
  for p in "${pids[@]}"; do
    r=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    [ "${r:-0}" -gt "$rss" ] && rss=$r
    kill -TERM "$p"
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
  failed=$("$T" -c "$cfg" jobs list --limit 0 -f json |
    /usr/bin/python3 -c 'import json,sys; print(sum(j["status"] != "done" or j["exit_code"] not in (0, 4) for j in json.load(sys.stdin)))')
  [ "$failed" = 0 ] || { echo "bench workers: $failed job(s) failed ($cfg)" >&2; exit 1; }
  echo "$(/usr/bin/python3 -c "print(round($end - $start, 2))") $((rss / 1024))"
}

echo "bench workers: SQLite, one process" >&2
mkdir -p "$d/sqlite"
config "$d/sqlite/telsync.yaml" "$d/sqlite/telsync.db"
read -r swall srss < <(run_workers "$d/sqlite/telsync.yaml" 1)
for n in 1 2 4; do
  echo "bench workers: PostgreSQL, $n worker process(es)" >&2
  psql -qAt "$url" -c "CREATE DATABASE bench_w$n" >/dev/null
  mkdir -p "$d/pg$n"
  config "$d/pg$n/telsync.yaml" "$base_url/bench_w$n"
  read -r wall rss < <(run_workers "$d/pg$n/telsync.yaml" "$n")
  /usr/bin/python3 - "$rows" "$n" "$wall" "$rss" "$swall" "$srss" "$tenants" "$per" <<'PY'
import json, sys
rows, n, wall, rss, swall, srss, tenants, per = sys.argv[1:]
users = int(tenants) * int(per)
row = {"bench": f"workers_pg_{n}", "size": users, "wall_s": float(wall), "peak_rss_mb": int(rss),
       "baseline": f"SQLite, one worker process ({tenants} tenants x {per} users)",
       "baseline_wall_s": float(swall), "baseline_peak_rss_mb": int(srss),
       "ratio": round(float(wall) / float(swall), 2),
       "ops_per_s": round(users / float(wall)), "baseline_ops_per_s": round(users / float(swall)),
       "note": f"{tenants} jobs claimed by {n} `serve --worker` process(es) on PostgreSQL 15, 2 cores"}
open(rows, "a").write(json.dumps(row) + "\n")
print(json.dumps(row))
PY
done

echo "bench workers: first sync of $big users into PostgreSQL, and \\copy" >&2
mkdir -p "$d/big"
"$R/gen" --users "$big" --seed 7 --format json -o "$d/big/directory.json"
"$R/gen" --users "$big" --seed 7 --format csv -o "$d/big/directory.csv"
psql -qAt "$url" -c "CREATE DATABASE bench_big" >/dev/null
psql -qAt "$url" -c "CREATE DATABASE bench_copy" >/dev/null
cat >"$d/big/telsync.yaml" <<YAML
store: $base_url/bench_big
tenants:
  - name: bench
    profiles:
      - name: main
        source: {type: file, path: directory.json}
        policy: {max_deletes: -1, max_delete_percent: -1}
YAML
cat >"$d/big/copy.sql" <<SQL
CREATE TABLE users(objectGUID TEXT, sAMAccountName TEXT, givenName TEXT, sn TEXT,
  displayName TEXT, mail TEXT, userPrincipalName TEXT, telephoneNumber TEXT, mobile TEXT,
  ipPhone TEXT, department TEXT, title TEXT, l TEXT, c TEXT, accountEnabled TEXT, memberOf TEXT);
CREATE UNIQUE INDEX u1 ON users(objectGUID);
CREATE UNIQUE INDEX u2 ON users(sAMAccountName);
CREATE UNIQUE INDEX u3 ON users(userPrincipalName);
\\copy users FROM '$d/big/directory.csv' WITH (FORMAT csv, HEADER true)
SQL
/usr/bin/time -f "%e %M" -o "$d/big/copy.time" psql -qAt -v ON_ERROR_STOP=1 "$base_url/bench_copy" \
  -f "$d/big/copy.sql" >/dev/null
read -r bwall brss < <(tail -n 1 "$d/big/copy.time")
"$T" -q -c "$d/big/telsync.yaml" migrate >/dev/null
/usr/bin/time -f "%e %M" -o "$d/big/sync.time" "$T" -q -c "$d/big/telsync.yaml" sync \
  >"$d/big/sync.out" 2>"$d/big/sync.err" || [ $? -eq 4 ]
read -r wall rss < <(tail -n 1 "$d/big/sync.time")
/usr/bin/python3 - "$rows" "$big" "$wall" "$rss" "$bwall" "$brss" <<'PY'
import json, sys
rows, n, wall, rss, bwall, brss = sys.argv[1:]
n = int(n)
row = {"bench": "sync_first_pg", "size": n, "wall_s": float(wall), "peak_rss_mb": int(rss) // 1024,
       "baseline": "psql \\copy of the same rows (3 unique indexes)", "baseline_wall_s": float(bwall),
       "baseline_peak_rss_mb": int(brss) // 1024, "ratio": round(float(wall) / float(bwall), 2),
       "ops_per_s": round(n / float(wall)), "baseline_ops_per_s": round(n / float(bwall)),
       "note": "file source -> map -> validate -> plan -> PostgreSQL (target: within 3x of COPY)"}
open(rows, "a").write(json.dumps(row) + "\n")
print(json.dumps(row))
PY
