#!/usr/bin/env bash
# Screenshots of every page of the web admin page at 1280 and 390 px into docs/screenshots/,
# taken by the browser test's flow (tests/web/flow.mjs) on the demo directory. Run by hand
# after a change to the page: TELSYNC_BIN=build/asan/telsync bash scripts/web-screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${TELSYNC_BIN:=$PWD/build/asan/telsync}"
mkdir -p docs/screenshots
rm -f docs/screenshots/*.png
SCREENSHOTS=$PWD/docs/screenshots TELSYNC_BIN=$TELSYNC_BIN \
  bash tests/run-integration.sh -k test_the_admin_flow_in_chromium -x
ls docs/screenshots
