"""The example directory of `make demo`: a golden preview, and the demo's story."""
import json
import os
import shutil
from pathlib import Path

from conftest import REPO

GOLDEN = REPO / "tests" / "golden" / "examples-preview.json"


def setup_examples(ws, version=1):
    shutil.copy(REPO / "examples" / "telsync.yaml", ws.path / "telsync.yaml")
    shutil.copy(REPO / "examples" / f"directory-{version}.json", ws.path / "directory.json")


def test_golden_preview_of_examples(ws):
    """The AD report of examples/directory-1.json, item by item (UPDATE_GOLDEN=1 rewrites)."""
    setup_examples(ws)
    r = ws.run("preview", "--format", "json")
    assert r.code == 4, r  # the example has bad phone numbers and a duplicate e-mail
    doc = r.json()
    doc.pop("run", None)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert doc["summary"] == golden["summary"]
    assert doc["departments"] == golden["departments"]
    assert doc["items"] == golden["items"]
    assert doc == golden


def test_examples_story_updates_pending_restore_and_held(ws):
    setup_examples(ws, 1)
    assert ws.run("sync").code == 4
    setup_examples(ws, 2)
    ws.now += 7 * 86400
    r = ws.run("sync", "--format", "json")
    s = r.json()["summary"]
    assert s["update"] > 0 and s["pending_delete"] > 0 and s["create"] > 0, s
    setup_examples(ws, 3)
    ws.now += 8 * 86400
    r = ws.run("sync", "--format", "json")
    assert r.code == 3, r
    doc = r.json()
    s = doc["summary"]
    assert s["restore"] == 1 and s["pending_delete"] >= 15, s
    assert "max_deletes 10" in doc["hold_reason"]
    r = ws.run("sync", "--approve", str(doc["run"]), "--format", "json")
    assert r.code == 4, r  # applied; the bad numbers are still reported
    assert r.json()["summary"]["pending_delete"] == s["pending_delete"]
