#!/usr/bin/env bash
# bench/kamailio.sh ROWS_FILE TMP_DIR, with R (release build dir) set (bench/run.sh).
# Publishing to Kamailio (issue 17): the first publish of KAMAILIO_USERS (100,000) synced
# users to a Kamailio SQLite database made from the schema Kamailio ships (a full
# reconcile: one subscriber with ha1/ha1b and the extension and DID aliases per user, each
# recorded as owned), next to the baseline: the sqlite3 shell's .import of the very same
# subscriber and dbaliases rows into a fresh database of the same schema, in one
# transaction. Target: within 2x. Appends one JSON row (DESIGN §7).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=$1
tmp=$2
R=${R:-build/release}
n=${KAMAILIO_USERS:-100000}
schema=/usr/share/kamailio/db_sqlite
d="$tmp/kamailio"
rm -rf "$d"
mkdir -p "$d"

source bench/lib.sh  # measure

make_db() { cat "$schema"/{standard,auth_db,alias_db}-create.sql | sqlite3 "$1"; }

"$R/gen" --users "$n" --seed 7 --format json -o "$d/directory.json"
make_db "$d/kamailio.db"
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
# The target is added after the sync: its first publish (measured alone) writes every user.
cat >>"$d/telsync.yaml" <<YAML
    targets:
      - {name: sip, type: kamailio, db: "sqlite://$d/kamailio.db", domain: sip.bench.example}
YAML
read -r wall rss < <(measure "$d/publish" "$R/telsync" -q -c "$d/telsync.yaml" targets publish)
if [ -f "$d/publish.code" ]; then
  echo "bench kamailio: publish failed: $(cat "$d/publish.stderr")" >&2
  exit 1
fi
subscribers=$(sqlite3 "$d/kamailio.db" "SELECT count(*) FROM subscriber")
aliases=$(sqlite3 "$d/kamailio.db" "SELECT count(*) FROM dbaliases")

# The baseline: the same rows, exported, then imported into a fresh database.
sqlite3 -csv "$d/kamailio.db" "SELECT username, domain, password, ha1, ha1b FROM subscriber" \
  >"$d/subscriber.csv"
sqlite3 -csv "$d/kamailio.db" \
  "SELECT alias_username, alias_domain, username, domain FROM dbaliases" >"$d/dbaliases.csv"
make_db "$d/base.db"
cat >"$d/import.sql" <<SQL
PRAGMA journal_mode=WAL;
CREATE TEMP TABLE s(username, domain, password, ha1, ha1b);
CREATE TEMP TABLE a(alias_username, alias_domain, username, domain);
.mode csv
.import $d/subscriber.csv s
.import $d/dbaliases.csv a
BEGIN;
INSERT INTO subscriber (username, domain, password, ha1, ha1b) SELECT * FROM s;
INSERT INTO dbaliases (alias_username, alias_domain, username, domain) SELECT * FROM a;
COMMIT;
SQL
read -r bwall brss < <(measure "$d/base" sqlite3 "$d/base.db" ".read $d/import.sql")
base_subscribers=$(sqlite3 "$d/base.db" "SELECT count(*) FROM subscriber")

/usr/bin/python3 - "$n" "$wall" "$rss" "$bwall" "$subscribers" "$aliases" "$base_subscribers" \
  >>"$rows" <<'PY'
import json, sys
n, wall, rss, bwall, subs, aliases, base_subs = sys.argv[1:]
n, wall, rss, bwall = int(n), float(wall), int(rss), float(bwall)
print(json.dumps({"bench": "kamailio_publish", "size": n, "wall_s": wall, "peak_rss_mb": rss,
                  "baseline": "sqlite3 shell .import of the same subscriber + dbaliases rows",
                  "baseline_wall_s": bwall, "ratio": wall / bwall,
                  "ops_per_s": n / wall, "baseline_ops_per_s": n / bwall,
                  "note": f"first publish (full reconcile) to Kamailio's SQLite schema: {subs} "
                          f"subscribers (ha1/ha1b), {aliases} aliases, ownership recorded; "
                          f"baseline imported {base_subs} subscribers"}))
PY
