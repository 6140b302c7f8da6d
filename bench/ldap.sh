#!/usr/bin/env bash
# bench/ldap.sh ROWS_FILE TMP_DIR (env R = release build dir): 100,000 users in a real slapd
# (loaded offline with slapadd -q). Appends two JSON rows (DESIGN §7), each beside its
# baseline measured in this run with /usr/bin/time:
#   ldap_read      telsync's read (dump-source of the mapped attributes) next to a paged
#                  ldapsearch (RFC 2696, page 1000) of the same entries and attributes;
#   ldap_delta_1k  a sync after 1,000 entries were modified (ldapmodify) since the first
#                  sync: the LDAP source reads the changes by entryCSN past the stored
#                  watermark; baseline: ldapsearch of the same user filter and attributes.
set -euo pipefail
rows=$1
tmp=$2
R=${R:-build/release}
n=${LDAP_BENCH_USERS:-100000}
changed=${LDAP_BENCH_CHANGED:-1000}
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/bench/lib.sh"
d="$tmp/ldap"
rm -rf "$d"; mkdir -p "$d"
echo "bench ldap $n" >&2
url=$(/usr/bin/python3 "$here/tests/fixtures/ldap/slapd.py" start "$d/slapd" "$n")
trap '/usr/bin/python3 "$here/tests/fixtures/ldap/slapd.py" stop "$d/slapd" || true' EXIT
svc="cn=svc,dc=example,dc=com"
base="ou=people,dc=example,dc=com"
cat >"$d/telsync.yaml" <<YAML
store: telsync.db
tenants:
  - name: bench
    profiles:
      - name: main
        source:
          type: ldap
          url: $url
          bind_dn: "$svc"
          bind_password: svc-pass
          user_search_dn: "$base"
        policy: {max_deletes: -1, max_delete_percent: -1}
YAML
# What telsync asks for with the default ldap mapping, plus the id and state attributes.
attrs="samaccountname uid givenname sn displayname cn mail telephonenumber mobile ipphone
department title l co c entryUUID entryCSN userAccountControl"
# Warm the server's cache once so that neither side pays for the first touch.
# shellcheck disable=SC2086
ldapsearch -x -LLL -H "$url" -D "$svc" -w svc-pass -b "$base" \
  -E pr=1000/noprompt "(objectClass=person)" $attrs >/dev/null
# shellcheck disable=SC2086
read -r bwall brss < <(measure "$d/base" ldapsearch -x -LLL -H "$url" -D "$svc" -w svc-pass \
  -b "$base" -E pr=1000/noprompt "(&(objectClass=person))" $attrs)
read -r wall rss < <(measure "$d/telsync" "$R/telsync" -q -c "$d/telsync.yaml" dump-source --mapped)
got=$(tail -n 1 "$d/telsync.stdout")
case "$got" in *'"complete":true'*) ;; *) echo "telsync read incomplete: $got" >&2; exit 1 ;; esac
json_row "$rows" bench=ldap_read size="$n" wall_s="$wall" peak_rss_mb="$rss" \
  baseline="ldapsearch paged (pr=1000), same entries and attributes" \
  baseline_wall_s="$bwall" baseline_peak_rss_mb="$brss" ops_per_s= baseline_ops_per_s= \
  note="telsync LDAP source (paged search, entries mapped) reading $n users from slapd" >/dev/null

# ldap_delta_1k. The first sync (not measured) stores the entryCSN watermark.
"$R/telsync" -q -c "$d/telsync.yaml" sync >"$d/first.out" 2>&1 || [ $? = 4 ] ||
  { echo "first ldap sync failed:" >&2; tail -n 20 "$d/first.out" >&2; exit 1; }
# $changed entries spread over the tree change their title, over the wire as the rootdn.
/usr/bin/python3 -c '
import sys
sys.path.insert(0, sys.argv[3] + "/tests/fixtures/ldap")
from slapd import user_dn
n, changed = int(sys.argv[1]), int(sys.argv[2])
for k, i in enumerate(range(0, n, max(1, n // changed))):
    if k == changed:
        break
    print(f"dn: {user_dn(i)}\nchangetype: modify\nreplace: title\ntitle: Delta Bench {k}\n")
' "$n" "$changed" "$here" >"$d/changes.ldif"
ldapmodify -x -H "$url" -D "cn=admin,dc=example,dc=com" -w admin-pass -f "$d/changes.ldif" >/dev/null
# The source's delta filter for OpenLDAP (src/sources/ldap/ldap_query.cc BuildUserFilter):
# entries whose entryCSN is past the stored watermark (the cursor is "ol1|URL|entryCSN").
csn=$(sqlite3 "$d/telsync.db" "SELECT cursor FROM cursors WHERE tenant = 'bench'" |
  /usr/bin/python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["source"].split("|")[-1])')
filter="(&(objectClass=person)(entryCSN>=$csn)(!(entryCSN=$csn)))"
# shellcheck disable=SC2086
read -r bwall brss < <(measure "$d/delta_base" ldapsearch -x -LLL -H "$url" -D "$svc" -w svc-pass \
  -b "$base" -E pr=1000/noprompt "$filter" $attrs)
found=$(grep -c '^dn:' "$d/delta_base.stdout" || true)
read -r wall rss < <(measure "$d/delta" "$R/telsync" -q -c "$d/telsync.yaml" sync)
if [ -f "$d/delta.code" ] && [ "$(cat "$d/delta.code")" != 4 ]; then
  echo "ldap delta sync failed:" >&2; tail -n 20 "$d/delta.stderr" >&2; exit 1
fi
msg=$(sqlite3 "$d/telsync.db" "SELECT message FROM runs ORDER BY id DESC LIMIT 1")
written=$(grep -o 'Applied: [0-9]* user rows' "$d/delta.stdout" | grep -o '[0-9]*' || echo 0)
json_row "$rows" bench=ldap_delta_1k size="$n" wall_s="$wall" peak_rss_mb="$rss" \
  baseline="ldapsearch of the source's delta filter (entryCSN past the watermark), same attributes: $found entries" \
  baseline_wall_s="$bwall" baseline_peak_rss_mb="$brss" ops_per_s= baseline_ops_per_s= \
  note="sync of an OpenLDAP tree of $n users after $changed entries changed their title ($msg; $written rows written); target: < 0.5 s" >/dev/null
