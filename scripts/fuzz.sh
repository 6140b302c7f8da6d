#!/usr/bin/env bash
# Fuzzes the parsers of outside input (SPEC R7) with libFuzzer: every src/**/*_fuzz.cc
# target, seeded from tests/fuzz/corpus/<target>/.
#   FUZZ_RUNS=N   deterministic: -seed=1 and N inputs per target (what `make test` does)
#   FUZZ_SECONDS=S  open-ended: S seconds per target, random seed (`make fuzz`)
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/fuzz
mkdir -p "$out/obj"
flags=($(pkg-config --cflags cpp-httplib simdjson libpq) -std=c++20 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -Isrc
       -Wno-unused-command-line-argument -Wno-unknown-warning-option)
mapfile -t core < <(find src -name '*.cc' ! -name '*_test.cc' ! -name '*_fuzz.cc' | sort)
# The web admin page's assets, embedded as CMake does it (a source generated from web/*).
assets="$out/web_assets.cc"
if [ ! -f "$assets" ] || [ -n "$(find web cmake/embed-web.cmake -newer "$assets" | head -1)" ]; then
  cmake -DDIR="$PWD/web" -DOUT="$PWD/$assets" -P cmake/embed-web.cmake
fi
core+=("$assets")
objs=()
pids=()
for f in "${core[@]}"; do
  o="$out/obj/$(echo "$f" | tr '/' '_').o"
  objs+=("$o")
  if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ -n "$(find src -name '*.h' -newer "$o" | head -1)" ]; then
    clang++ "${flags[@]}" -c "$f" -o "$o" &
    pids+=($!)
    if [ "${#pids[@]}" -ge "$(nproc)" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  fi
done
for p in "${pids[@]}"; do wait "$p"; done

status=0
while IFS= read -r target; do
  name=$(basename "$target" _fuzz.cc)
  bin="$out/${name}_fuzz"
  clang++ "${flags[@]}" -fsanitize=fuzzer "$target" "${objs[@]}" -o "$bin" \
    -lphonenumber -lre2 -lprotobuf -lyaml-cpp -lsqlite3 -lpthread -lcpp-httplib -lssl -lcrypto -lcurl -lldap -llber \
    -lsimdjson -lxlsxwriter -lpq -lsodium
  work=$(mktemp -d)
  cp -r "tests/fuzz/corpus/$name/." "$work/" 2>/dev/null || true
  if [ -n "${FUZZ_SECONDS:-}" ]; then
    args=(-max_total_time="$FUZZ_SECONDS")
  else
    args=(-seed=1 -runs="${FUZZ_RUNS:-50000}")
  fi
  echo "fuzz $name: ${args[*]}"
  if ! "$bin" "${args[@]}" -max_len=4096 -timeout=10 -artifact_prefix="$out/$name-" "$work" \
      >"$out/$name.log" 2>&1; then
    tail -40 "$out/$name.log"
    echo "fuzz $name: FAILED (crash input saved under $out/)"
    status=1
  else
    grep -E '^Done|DONE' "$out/$name.log" | tail -1
  fi
  rm -rf "$work"
done < <(find src -name '*_fuzz.cc' | sort)
exit $status
