#!/usr/bin/env bash
# bench/scim.sh ROWS_FILE TMP_DIR, with R (release build dir) set (bench/run.sh).
# SCIM request throughput: the same request mix against `telsync serve` and against the
# npm scimmy + scimmy-routers reference server (bench/scim-peer, in memory, express),
# both on this machine in this run, with wrk (2 threads, 16 connections, keep-alive):
#   create  POST /Users (a new userName each request)
#   filter  GET /Users?filter=userName eq "<one of the seeded users>"
#   patch   PATCH /Users/<seeded id> (Replace name.familyName, Entra's shape)
#   list    GET /Users?startIndex=1&count=50
# Appends one JSON row per operation (DESIGN §7): ops_per_s and baseline_ops_per_s (2xx
# answers per second), p99 latency of both, ratio = baseline throughput / ours (wall time
# per request ratio).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh  # wait_port
rows=$1
tmp=$2
R=${R:-build/release}
SECS=${SCIM_BENCH_SECONDS:-5}
SEED=${SCIM_BENCH_SEED_USERS:-200}
d="$tmp/scim"
mkdir -p "$d"

(cd bench/scim-peer && npm ci --no-audit --no-fund --silent >/dev/null 2>&1)

cat >"$d/telsync.yaml" <<YAML
store: $d/telsync.db
tenants:
  - name: bench
    profiles:
      - name: entra
        source: {type: scim}
        policy: {max_deletes: -1, max_delete_percent: -1}
YAML
token=$("$R/telsync" -c "$d/telsync.yaml" scim token create bench 2>/dev/null)

# seed BASE: creates $SEED users, writes their ids and names as Lua tables.
seed() {
  local base=$1 out=$2
  : >"$out.ids"
  for i in $(seq "$SEED"); do
    curl -s -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/scim+json' \
      -d "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"seed$i@bench.example\",\"active\":true,\"name\":{\"givenName\":\"Seed\",\"familyName\":\"N$i\"},\"emails\":[{\"type\":\"work\",\"value\":\"seed$i@bench.example\"}],\"phoneNumbers\":[{\"type\":\"work\",\"value\":\"+46 8 5$(printf %07d "$i")\"}]}" \
      "$base/Users" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' >>"$out.ids"
  done
  { echo "ids = {"; sed 's/.*/"&",/' "$out.ids"; echo "}"; echo "seeded = $SEED"; } >"$out.lua"
}

lua_common() {  # lua_common PREFIX TOKEN SEEDLUA
  cat <<LUA
dofile("$3")
local prefix = "$1"
wrk.headers["Authorization"] = "Bearer $2"
wrk.headers["Content-Type"] = "application/scim+json"
local counter = 0
local tid = 0
function setup(thread) tid = tid + 1; thread:set("tid", tid) end
-- Each thread its own random sequence: unseeded threads would repeat names (409s).
function init(args) math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16)) end
LUA
}

write_scripts() {  # write_scripts PREFIX SEEDLUA DIR
  local prefix=$1 seedlua=$2 out=$3
  { lua_common "$prefix" "$token" "$seedlua"; cat <<'LUA'
function request()
  counter = counter + 1
  local name = "w" .. tostring(tid) .. "-" .. tostring(counter) .. "-" .. tostring(math.random(1e9)) .. "@bench.example"
  return wrk.format("POST", prefix .. "/Users", nil,
    '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"' .. name ..
    '","active":true,"name":{"givenName":"Bench","familyName":"User"},"emails":[{"type":"work","value":"' .. name .. '"}]}')
end
LUA
  } >"$out/create.lua"
  { lua_common "$prefix" "$token" "$seedlua"; cat <<'LUA'
function request()
  local i = math.random(seeded)
  return wrk.format("GET", prefix .. "/Users?filter=userName%20eq%20%22seed" .. i .. "%40bench.example%22")
end
LUA
  } >"$out/filter.lua"
  { lua_common "$prefix" "$token" "$seedlua"; cat <<'LUA'
function request()
  counter = counter + 1
  local id = ids[math.random(#ids)]
  return wrk.format("PATCH", prefix .. "/Users/" .. id, nil,
    '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"name.familyName","value":"P' .. counter .. '"}]}')
end
LUA
  } >"$out/patch.lua"
  { lua_common "$prefix" "$token" "$seedlua"; cat <<'LUA'
function request()
  return wrk.format("GET", prefix .. "/Users?startIndex=1&count=50")
end
LUA
  } >"$out/list.lua"
}

# run_wrk SCRIPT URL: "ops_per_s p99_ms errors". ops_per_s counts only 2xx answers (an
# error answered fast must not count as work done); p99 is wrk's latency distribution
# (--latency) over every request.
run_wrk() {
  local out
  out=$(wrk -t2 -c16 -d"${SECS}s" --latency -s "$1" "$2" 2>&1)
  local rps p99 total non2xx
  rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  p99=$(echo "$out" | awk '$1=="99%"{v=$2; if (v ~ /us$/) {sub("us","",v); v=v/1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v=v*1000}; print v}')
  total=$(echo "$out" | awk '/requests in/{print $1}')
  non2xx=$(echo "$out" | awk '/Non-2xx/{print $NF}')
  non2xx=${non2xx:-0}
  [ "$non2xx" != 0 ] && echo "  $(basename "$1"): $non2xx of ${total:-?} answers not 2xx" >&2
  if [ -n "$total" ] && [ "$total" -gt 0 ]; then
    rps=$(awk -v r="${rps:-0}" -v t="$total" -v e="$non2xx" 'BEGIN{printf "%.1f", r * (t - e) / t}')
  fi
  echo "${rps:-0} ${p99:-0} $non2xx"
}

# telsync
"$R/telsync" -c "$d/telsync.yaml" serve --listen 127.0.0.1:0 --rate-limit 0 >"$d/telsync.out" 2>"$d/telsync.err" &
tpid=$!
tport=$(wait_port "$d/telsync.out" 'http://127.0.0.1:[0-9]*')
tbase="http://127.0.0.1:$tport/scim/v2/bench"
seed "$tbase" "$d/tseed"
mkdir -p "$d/t" "$d/p"
write_scripts "/scim/v2/bench" "$d/tseed.lua" "$d/t"

# scimmy
node bench/scim-peer/server.js 0 "$token" >"$d/peer.out" 2>"$d/peer.err" &
ppid=$!
pport=$(wait_port "$d/peer.out" 'PORT [0-9]*')
pbase="http://127.0.0.1:$pport/scim/v2"
seed "$pbase" "$d/pseed"
write_scripts "/scim/v2" "$d/pseed.lua" "$d/p"
trap 'kill $tpid $ppid 2>/dev/null || true' EXIT

for op in create filter patch list; do
  echo "bench scim $op" >&2
  read -r ours ours_p99 ours_err < <(run_wrk "$d/t/$op.lua" "http://127.0.0.1:$tport")
  read -r base base_p99 base_err < <(run_wrk "$d/p/$op.lua" "http://127.0.0.1:$pport")
  rss=$(awk '/VmHWM/{print int($2/1024)}' "/proc/$tpid/status")
  /usr/bin/python3 - "$op" "$ours" "$ours_p99" "$base" "$base_p99" "$rss" "$SECS" "$SEED" "$ours_err" "$base_err" >>"$rows" <<'PY'
import json, sys
op, ours, p99, base, bp99, rss, secs, seed, err, berr = sys.argv[1:]
ours, base, secs = float(ours), float(base), float(secs)
print(json.dumps({
    # size: the users seeded before the mix (the same in every run, so a new run's row
    # replaces the old one); the requests done are in the note.
    "bench": f"scim_{op}", "size": int(seed), "wall_s": round(1 / ours, 6) if ours else None,
    "peak_rss_mb": int(rss), "baseline": "npm scimmy 1.3.5 + scimmy-routers (express, in memory)",
    "baseline_wall_s": round(1 / base, 6) if base else None,
    "ratio": round(base / ours, 4) if ours else None,
    "ops_per_s": round(ours, 1), "baseline_ops_per_s": round(base, 1),
    "p99_ms": float(p99), "baseline_p99_ms": float(bp99),
    "note": f"{int(ours * secs)} 2xx answers in {secs:g} s ({err} not 2xx; scimmy {berr}); "
            "wrk 2 threads, 16 connections; filter and list run after create, on each "
            "server's own users (the faster server has more)"}))
PY
done
kill -TERM "$tpid" "$ppid" 2>/dev/null || true
wait "$tpid" 2>/dev/null || true
trap - EXIT
