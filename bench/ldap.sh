#!/usr/bin/env bash
# bench/ldap.sh ROWS_FILE TMP_DIR (env R = release build dir): 100,000 users read from a
# real slapd (loaded offline with slapadd -q) through telsync (dump-source of the mapped
# attributes) next to a paged ldapsearch (RFC 2696, page 1000) of the same entries and
# attributes, both measured in this run with /usr/bin/time. Appends one JSON row.
set -euo pipefail
rows=$1
tmp=$2
R=${R:-build/release}
n=${LDAP_BENCH_USERS:-100000}
here=$(cd "$(dirname "$0")/.." && pwd)
d="$tmp/ldap"
rm -rf "$d"; mkdir -p "$d"
echo "bench ldap $n" >&2
url=$(/usr/bin/python3 "$here/tests/fixtures/ldap/slapd.py" start "$d/slapd" "$n")
trap '/usr/bin/python3 "$here/tests/fixtures/ldap/slapd.py" stop "$d/slapd" || true' EXIT
svc="cn=svc,dc=example,dc=com"
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
          user_search_dn: "ou=people,dc=example,dc=com"
YAML
# What telsync asks for with the default ldap mapping, plus the id and state attributes.
attrs="samaccountname uid givenname sn displayname cn mail telephonenumber mobile ipphone
department title l co c entryUUID entryCSN userAccountControl"
measure() {  # measure NAME cmd...: prints "wall rss_mb"
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$d/$name.time" "$@" >"$d/$name.out" 2>"$d/$name.err"
  read -r wall rss < <(tail -n 1 "$d/$name.time")
  echo "$wall $((rss / 1024))"
}
# Warm the server's cache once so that neither side pays for the first touch.
ldapsearch -x -LLL -H "$url" -D "$svc" -w svc-pass -b "ou=people,dc=example,dc=com" \
  -E pr=1000/noprompt "(objectClass=person)" $attrs >/dev/null
# shellcheck disable=SC2086
read -r bwall brss < <(measure base ldapsearch -x -LLL -H "$url" -D "$svc" -w svc-pass \
  -b "ou=people,dc=example,dc=com" -E pr=1000/noprompt "(&(objectClass=person))" $attrs)
read -r wall rss < <(measure telsync "$R/telsync" -q -c "$d/telsync.yaml" dump-source --mapped)
got=$(tail -n 1 "$d/telsync.out")
case "$got" in *'"complete":true'*) ;; *) echo "telsync read incomplete: $got" >&2; exit 1 ;; esac
/usr/bin/python3 - "$rows" "$n" "$wall" "$rss" "$bwall" "$brss" <<'PY'
import json, sys
rows, n, wall, rss, bwall, brss = sys.argv[1:]
row = {"bench": "ldap_read", "size": int(n), "wall_s": float(wall), "peak_rss_mb": int(rss),
       "baseline": "ldapsearch paged (pr=1000), same entries and attributes",
       "baseline_wall_s": float(bwall), "baseline_peak_rss_mb": int(brss),
       "ratio": round(float(wall) / max(float(bwall), 0.001), 2)}
with open(rows, "a") as f:
    f.write(json.dumps(row) + "\n")
print(json.dumps(row))
PY
