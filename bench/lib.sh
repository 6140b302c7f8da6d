#!/usr/bin/env bash
# bench/lib.sh: helpers shared by the bench scripts (source it; it defines functions only).
#   measure OUT [--] cmd...   runs cmd with /usr/bin/time; stdout, stderr and the time go to
#                             OUT.stdout, OUT.stderr, OUT.time (and its exit code, when not 0,
#                             to OUT.code); prints "wall_s rss_mb"
#   wait_port FILE PATTERN [SECONDS]
#                             the port a server printed: the number ending the first match of
#                             grep -o PATTERN in FILE, waited for up to SECONDS (default 10)
#   json_row ROWS_FILE KEY=VALUE...
#                             appends one result row (DESIGN §7) to ROWS_FILE and prints it:
#                             bench, size, wall_s, peak_rss_mb, baseline, baseline_wall_s and
#                             note; ratio (wall over baseline) and ops_per_s are derived; a
#                             value that parses as a number is written as one, an empty
#                             one as null (ops_per_s= for a row where a rate means nothing)

measure() {
  local out=$1
  shift
  [ "${1:-}" = -- ] && shift
  rm -f "$out.code"
  /usr/bin/time -f "%e %M" -o "$out.time" "$@" >"$out.stdout" 2>"$out.stderr" || echo $? >"$out.code"
  local wall rss
  read -r wall rss < <(tail -n 1 "$out.time")
  echo "$wall $((rss / 1024))"
}

wait_port() {
  local file=$1 pattern=$2 seconds=${3:-10} p i
  for ((i = 0; i < seconds * 10; i++)); do
    p=$(grep -o "$pattern" "$file" 2>/dev/null | grep -o '[0-9]*$' | head -1 || true)
    [ -n "$p" ] && { echo "$p"; return 0; }
    sleep 0.1
  done
  echo "no port in $file after ${seconds}s" >&2
  return 1
}

json_row() {
  local rows=$1
  shift
  /usr/bin/python3 - "$@" <<'PY' | tee -a "$rows"
import json, sys
row = {}
for arg in sys.argv[1:]:
    key, _, value = arg.partition("=")
    if value == "":
        row[key] = None  # written as null (e.g. ops_per_s= where a rate means nothing)
        continue
    try:
        row[key] = int(value) if value.lstrip("-").isdigit() else float(value)
    except ValueError:
        row[key] = value
if "size" in row and "wall_s" in row and "baseline_wall_s" in row:
    wall, base = float(row["wall_s"]), float(row["baseline_wall_s"])
    row.setdefault("ratio", round(wall / max(base, 0.001), 3))
    row.setdefault("ops_per_s", round(row["size"] / max(wall, 0.001)))
    row.setdefault("baseline_ops_per_s", round(row["size"] / max(base, 0.001)))
order = ["bench", "size", "wall_s", "peak_rss_mb", "baseline", "baseline_wall_s", "ratio",
         "ops_per_s", "baseline_ops_per_s", "note"]
out = {k: row[k] for k in order if k in row}
out.update({k: v for k, v in row.items() if k not in out})
print(json.dumps(out))
PY
}
