#!/usr/bin/env bash
# Regenerates the demo directories in examples/ with the bench generator (deterministic).
# The outputs are committed; run this only to change them: GEN=build/release/gen.
set -euo pipefail
cd "$(dirname "$0")"
GEN=${GEN:-../build/release/gen}
"$GEN" --users 300 --seed 2026 --version 1 -o directory-1.json
"$GEN" --users 300 --seed 2026 --version 2 -o directory-2.json
"$GEN" --users 300 --seed 2026 --version 2 --drop-department Support -o /tmp/telsync-d3.json
# Version 3: the Support department is gone (a mass removal that must be held), and one
# user who left in version 2 is back (a restore).
/usr/bin/python3 - <<'PY'
import json
v1 = json.load(open("directory-1.json"))["value"]
v2 = json.load(open("directory-2.json"))["value"]
d3 = json.load(open("/tmp/telsync-d3.json"))
ids2 = {u["id"] for u in v2}
leavers = [u for u in v1 if u["id"] not in ids2]
d3["value"].append(leavers[0])
with open("directory-3.json", "w", encoding="utf-8") as f:
    f.write('{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users","value":[')
    f.write(",".join("\n" + json.dumps(u, ensure_ascii=False, separators=(",", ":")) for u in d3["value"]))
    f.write("\n]}\n")
PY
rm -f /tmp/telsync-d3.json
