#!/usr/bin/env bash
# Integration and end-to-end tests: drive the real telsync binary (TELSYNC_BIN) with pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${TELSYNC_BIN:?set TELSYNC_BIN to the telsync binary}"
export TELSYNC_BIN
export TELSYNC_REPO=$PWD
# Debian's python3 has python3-pytest; another python3 may come first on PATH.
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration "$@"
