#!/usr/bin/env bash
# Builds and runs the unit tests of a few modules in isolation, with ASan + UBSan, without
# the rest of the tree (handy while other modules are mid-edit).
#   scripts/dev-test.sh NAME src/mapping [src/plan ...] [-- gtest args]
# Always includes src/model, src/util, src/phone and src/config/secret-free headers.
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1; shift
dirs=(src/model src/util src/phone)
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case " ${dirs[*]} " in *" $1 "*) ;; *) dirs+=("$1") ;; esac
  shift
done
[ "${1:-}" = "--" ] && shift
out=build/dev-$name
mkdir -p "$out/obj"
srcs=()
for d in "${dirs[@]}"; do
  while IFS= read -r f; do srcs+=("$f"); done < <(find "$d" -maxdepth 2 -name '*.cc' ! -name '*_fuzz.cc' | sort)
done
objs=()
flags=($(pkg-config --cflags cpp-httplib simdjson) -std=c++20 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined -fno-omit-frame-pointer
       -Isrc -DTELSYNC_SOURCE_DIR="\"$PWD\"")
pids=()
for f in "${srcs[@]}"; do
  o="$out/obj/$(echo "$f" | tr '/' '_').o"
  objs+=("$o")
  if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ -n "$(find src -name '*.h' -newer "$o" | head -1)" ]; then
    g++ "${flags[@]}" -c "$f" -o "$o" &
    pids+=($!)
    if [ "${#pids[@]}" -ge 2 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  fi
done
for p in "${pids[@]}"; do wait "$p"; done
g++ "${flags[@]}" "${objs[@]}" -o "$out/tests" -lgtest -lgmock -lgtest_main -lphonenumber \
  -lyaml-cpp -lsqlite3 -lpthread -lcurl -lldap -llber -lsimdjson -lcpp-httplib -lxlsxwriter -lssl -lcrypto
"$out/tests" "$@"
