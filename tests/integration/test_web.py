"""The web admin page (issue 19) in a real browser: tests/web/flow.mjs drives Debian's
chromium with playwright-core against a real `telsync serve` on the demo directory
(examples/), and checks every page it visits with axe-core. This file sets the stage (the
demo's config with deletions that hold, an operator token, a tenant admin token), runs the
flow, and reads the XLSX the browser downloaded back with openpyxl."""
import json
import os
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import BIN, REPO

WEB = REPO / "tests" / "web"
EXAMPLES = REPO / "examples"
# A name to find the long-named user by: 256 characters of Arabic, Hebrew and CJK around it.
LONG_NAME = ("LONGNAME " + "مرحبا بالعالم שלום עולם 東京都千代田区丸の内 " * 12)[:256]


def npm_ci():
    if not (WEB / "node_modules" / "playwright-core").exists() or \
            not (WEB / "node_modules" / "axe-core").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=WEB, check=True,
                       timeout=600)


def demo_directory(ws):
    """The demo's config and first export, one user with a 256-character RTL / CJK name
    added; leavers are deleted at once and mobiles not protected, so that the third export's
    sync is held by max_deletes (23 deletions > 10)."""
    text = (EXAMPLES / "telsync.yaml").read_text(encoding="utf-8")
    text = text.replace("grace_days: 7 ", "grace_days: 0 ").replace(
        "protect_mobile: true ", "protect_mobile: false")
    assert "grace_days: 0" in text and "protect_mobile: false" in text
    ws.write("telsync.yaml", text)
    doc = json.loads((EXAMPLES / "directory-1.json").read_text(encoding="utf-8"))
    long_user = dict(doc["value"][0])
    long_user.update({
        "id": "0f0f0f0f-0000-4000-8000-000000000256", "displayName": LONG_NAME,
        "givenName": "Long", "surname": LONG_NAME[:100], "mail": "longname.user@contoso.example",
        "mailNickname": "longname.user", "userPrincipalName": "longname.user@contoso.example",
        "businessPhones": ["+33 1 49 63 29 99"]})
    doc["value"].append(long_user)
    (ws.path / "directory.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


class Serve:
    def __init__(self, ws):
        env = dict(os.environ, TELSYNC_NOW=str(ws.now))
        self.proc = subprocess.Popen(
            [BIN, "-c", str(ws.path / "telsync.yaml"), "serve", "--listen", "127.0.0.1:0"],
            cwd=ws.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("listening on http://"), (line, self.proc.stderr.read())
        self.base = line.split()[-1].strip()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode, self.proc.stderr.read()


@pytest.fixture
def served(ws):
    npm_ci()
    demo_directory(ws)
    admin = ws.run("admin", "token", "create", "contoso", "--label", "web test")
    assert admin.code == 0, admin
    operator = ws.run("admin", "operator-token", "create", "--label", "web test")
    assert operator.code == 0, operator
    server = Serve(ws)
    server.admin = admin.out.strip()
    server.operator = operator.out.strip()
    yield server
    code, err = server.stop()
    assert code == 0, err
    assert "Web-Secret-42" not in err


def test_the_page_is_served_with_its_security_headers_and_no_longer_404(served):
    with urllib.request.urlopen(served.base + "/", timeout=10) as resp:
        assert resp.status == 200
        csp = resp.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe" not in csp
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        html = resp.read().decode()
    assert '<script type="module" src="/assets/app.js"></script>' in html
    with urllib.request.urlopen(served.base + "/assets/app.js", timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("text/javascript")


def test_the_page_s_pure_modules_in_node():
    """web/progress.js (the Sync page's progress line) under node's test runner."""
    proc = subprocess.run(["node", "--test", "unit/"], cwd=WEB, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "# fail 0" in proc.stdout and "# pass 3" in proc.stdout, proc.stdout


def test_the_admin_flow_in_chromium_with_axe_on_every_page(ws, served, tmp_path):
    out = tmp_path / "downloads"
    out.mkdir()
    env = dict(os.environ, BASE=served.base, ADMIN_TOKEN=served.admin,
               OPERATOR_TOKEN=served.operator, WORKDIR=str(ws.path),
               NEXT_DIRECTORY=str(EXAMPLES / "directory-3.json"), OUT=str(out))
    proc = subprocess.run(["node", str(WEB / "flow.mjs")], cwd=WEB, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{proc.stderr}\n{proc.stdout}\n(screenshot: {out}/failure.png)"
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert results["ok"] is True

    # Every page was visited and axe found nothing serious or critical on any of them.
    for name in ("signin", "profiles", "profile-error", "test-connection", "mapping", "preview",
                 "preview-report", "preview-search", "sync", "sync-outcome", "held", "history", "users", "user",
                 "user-excluded", "mapping-saved", "directory", "tenants"):
        assert name in results["pages"], (name, results["pages"])
    assert all(v["serious_or_critical"] == 0 for v in results["axe"].values()), results["axe"]
    assert "approve-dialog" in results["axe"] and "secret-dialog" in results["axe"]

    # What the page showed came from the API, in the API's words.
    assert "phone_mode" in results["field_error"], results["field_error"]
    assert "e165" in results["mapping_error"], results["mapping_error"]
    assert results["test_branch"].startswith("Failed: ")
    assert results["test_phones"].startswith("OK: ")
    assert len(results["next_runs"]) == 5
    assert results["preview_range"] == "1–50 of 301", results["preview_range"]
    assert results["held_deletions"] == 23  # directory-3's 22 leavers and the long name
    assert results["other_tenant_status"] in (401, 404)

    # The mapping saved in the editor is the profile's, and the preview planned with it.
    assert results["mapping_saved"].startswith("Mapping of pushed saved"), results["mapping_saved"]
    assert "LOVELACE Ada" in results["pushed_preview"]["text"], results["pushed_preview"]
    req = urllib.request.Request(served.base + "/api/v1/tenants/contoso/profiles/pushed/preview",
                                 data=b"{}", method="POST",
                                 headers={"Authorization": "Bearer " + served.admin,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        items = json.loads(resp.read())["items"]
    assert len(items) == 1 and items[0]["action"] == "update", items
    assert {"field": "display_name", "old": "Ada Lovelace", "new": "LOVELACE Ada"} in items[0]["changes"], items

    # The user's explanation: ten steps, its result the preview's action; excluded, the
    # preview skipped the user; included again, planned as before.
    explain = results["explain"]
    assert explain["sections"][0] == "1. Source" and explain["sections"][-1] == "10. Targets", explain
    assert explain["action"] == results["preview_user_action"] == "unchanged", results
    assert explain["display_name"] == "Françoise Lefèvre", explain
    assert results["excluded_preview"]["action"] == "skip", results["excluded_preview"]
    assert results["included_preview_action"] == "unchanged", results
    shown = ws.run("users", "show", "francoise.lefevre0")
    assert shown.code == 0 and "Non AD sync" not in shown.out, shown

    # The held run, approved in the browser, is what the store now says.
    req = urllib.request.Request(served.base + "/api/v1/tenants/contoso/runs",
                                 headers={"Authorization": "Bearer " + served.admin})
    with urllib.request.urlopen(req, timeout=10) as resp:
        by_id = {r["id"]: r for r in json.loads(resp.read())["runs"]}
    held = int(results["held"].split()[1].rstrip(":"))
    assert by_id[held]["status"] == "approved", by_id[held]
    applied = [r for r in by_id.values() if r.get("approved_run") == held]
    assert len(applied) == 1 and applied[0]["summary"]["delete"] == 23, applied

    # The XLSX the browser downloaded is the held run's report.
    xlsx = Path(results["downloads"]["xlsx"]["file"])
    assert results["downloads"]["xlsx"]["name"] == f"telsync-run-{held}.xlsx"
    book = load_workbook(xlsx, read_only=True)
    assert "Summary" in book.sheetnames and "Deleted" in book.sheetnames, book.sheetnames
    deleted = list(book["Deleted"].iter_rows(values_only=True))
    assert len([r for r in deleted[1:] if any(r)]) == 23, deleted[:3]
    csv = Path(results["downloads"]["csv"]["file"]).read_text(encoding="utf-8")
    assert csv.startswith("action,key,username,field,old,new,reason")

    # The tenant the operator created in the browser exists, renamed; the deleted one is gone.
    tenants = ws.run("tenant", "list", "--format", "json")
    assert tenants.code == 0, tenants
    names = {t["name"]: t for t in tenants.json()}
    assert "fabrikam" in names and names["fabrikam"]["display_name"] == "Fabrikam AB", names
    assert "short-lived" not in names
