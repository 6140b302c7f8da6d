#!/usr/bin/env bash
# Installs the Debian packages telsync needs to build, test, demo and bench.
# Idempotent: checks each package with dpkg -s and only when one is missing runs
# apt-get update once and installs the missing ones. Fast when all are present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git curl
  libphonenumber-dev libicu-dev libprotobuf-dev libboost-dev libre2-dev
  libsqlite3-dev sqlite3 libpq-dev postgresql
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libcurl4-openssl-dev libldap-dev libsimdjson-dev libcpp-httplib-dev libssl-dev
  libxlsxwriter-dev libsodium-dev
  libgtest-dev libgmock-dev
  python3 python3-pytest python3-openpyxl python3-aiosmtpd time
  slapd ldap-utils samba-ad-dc samba-ad-provision wrk
  chromium
  kamailio kamailio-sqlite-modules kamailio-postgres-modules sip-tester
)
# Extra packages a target asks for (the fuzz targets: clang and libFuzzer's runtime).
read -r -a extra <<<"${TELSYNC_DEPS_EXTRA:-}"
packages+=("${extra[@]}")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg -s "$p" >/dev/null 2>&1; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-deps: apt-get failed" >&2
  exit 1
fi
rm -f "$log"
