"""`telsync runs revert ID` and POST /api/v1/tenants/{t}/runs/{id}/revert (issue 18 part 2):
the preview in every report format, the revert applied as a run of kind revert linked to
the reverted run, conflicts named by the run that changed the value, the safety rules, and
--pause; over the real binary, its SQLite store and `telsync serve`."""
import io
import sqlite3
import zipfile

from conftest import config, graph_user
from test_api import Api


def directory_a():
    return [graph_user(i) for i in range(1, 5)]


def directory_b():
    users = [graph_user(1, jobTitle="Head of Sales"), graph_user(2, city="Malmö"),
             graph_user(3), graph_user(5)]  # 4 is gone, 5 is new
    return users


def users_by_name(ws):
    listed = ws.run("users", "list", "--format", "json")
    assert listed.code == 0, listed
    return {u["username"]: u for u in listed.json()}


def last_run_id(ws):
    db = sqlite3.connect(ws.path / "telsync.db")
    return db.execute("select max(id) from runs").fetchone()[0]


def outbox_seq(ws):
    """The newest outbox event's seq, whether or not it was compacted since."""
    db = sqlite3.connect(ws.path / "telsync.db")
    last = db.execute("select coalesce(max(seq), 0) from outbox").fetchone()[0]
    kept = db.execute("select coalesce(max(seq), 0) from outbox_last").fetchone()[0]
    return max(last, kept)


def test_cli_revert_preview_apply_and_pause(ws):
    config(ws, grace=0, protect="false")
    ws.users_json(directory_a())
    assert ws.run("sync").code == 0
    after_a = users_by_name(ws)
    ws.users_json(directory_b())
    assert ws.run("sync").code == 0
    run_b = last_run_id(ws)
    after_b = users_by_name(ws)
    assert "user4" not in after_b and "user5" in after_b

    # The preview, as JSON: the inverse of run B, nothing applied, nothing recorded.
    r = ws.run("runs", "revert", str(run_b), "--format", "json")
    assert r.code == 0, r
    doc = r.json()
    assert doc["source"] == f"revert of run {run_b}"
    assert doc["summary"]["delete"] == 1 and doc["summary"]["create"] == 1, doc
    assert doc["summary"]["update"] == 2 and doc["summary"]["conflicts"] == 0, doc
    by_user = {(i["username"], i["action"]): i for i in doc["items"]}
    assert by_user[("user5", "delete")]["reason"] == f"created by run {run_b}"
    changes = {c["field"]: (c["old"], c["new"]) for c in by_user[("user1", "update")]["changes"]}
    assert changes == {"job_title": ("Head of Sales", "Seller")}
    restored = by_user[("user4", "create")]
    assert f"restored with its id {after_a['user4']['id']}" in restored["reason"]
    assert "would apply the directory again" in r.err
    assert last_run_id(ws) == run_b and users_by_name(ws) == after_b

    # Every report format of the preview.
    table = ws.run("runs", "revert", str(run_b))
    assert table.code == 0 and "user5" in table.out and "Preview of the revert" in table.out, table
    csv = ws.run("runs", "revert", str(run_b), "-f", "csv")
    assert csv.code == 0 and "job_title,Head of Sales,Seller" in csv.out, csv
    html = ws.run("runs", "revert", str(run_b), "-f", "html")
    assert html.code == 0 and "<html" in html.out.lower() and "user4" in html.out, html
    xlsx = ws.run("runs", "revert", str(run_b), "-f", "xlsx", "-o", "revert.xlsx")
    assert xlsx.code == 0, xlsx
    assert zipfile.is_zipfile(ws.path / "revert.xlsx")
    assert ws.run("runs", "revert", str(run_b), "--pause").code == 2  # needs --apply

    # Applied with --pause: a run of kind revert linked to run B; the directory of A again.
    # Apply writes outbox events only for a tenant one of whose targets has a cursor: this
    # row stands for a target that published once, so the revert's events are written.
    con = sqlite3.connect(ws.path / "telsync.db")
    con.execute("insert into target_cursors (tenant, target) values ('acme', 'sip')")
    con.commit()
    con.close()
    seq_before = outbox_seq(ws)
    r = ws.run("runs", "revert", str(run_b), "--apply", "--pause")
    assert r.code == 0, r
    revert_run = last_run_id(ws)
    assert f"Revert run {revert_run} of run {run_b}: success" in r.out, r
    assert "paused by run" in r.out and "would apply the directory again" not in r.out
    now = users_by_name(ws)
    assert set(now) == set(after_a)
    for name, user in after_a.items():
        for field in ("id", "email", "job_title", "city", "extension", "landline", "source_key"):
            assert now[name][field] == user[field], (name, field)
    shown = ws.run("runs", "show", str(revert_run), "--format", "json")
    assert shown.code == 0 and shown.json()["source"] == f"revert of run {run_b}", shown
    listed = ws.run("runs", "list")
    assert any(line.split()[:3] == [str(revert_run), "main", "revert"]
               for line in listed.out.splitlines()), listed
    db = sqlite3.connect(ws.path / "telsync.db")
    assert db.execute("select kind, reverted_run from runs where id = ?",
                      (revert_run,)).fetchone() == ("revert", run_b)
    assert db.execute("select run_id from profile_pauses").fetchall() == [(revert_run,)]
    # The revert wrote the targets' outbox events, as any apply (compacted at once here: no
    # configured target reads them).
    assert outbox_seq(ws) >= seq_before + 4  # 1 delete, 1 create, 2 updates

    # Paused: the next sync applies nothing; resumed, it applies the directory again.
    r = ws.run("sync")
    assert r.code == 0 and "paused by revert run" in r.out, r
    assert set(users_by_name(ws)) == set(after_a)
    r = ws.run("runs", "resume")
    assert r.code == 0 and f"paused by revert run {revert_run}" in r.out, r
    assert ws.run("sync").code == 0
    assert set(users_by_name(ws)) == set(after_b)


def test_cli_revert_conflicts_and_safety_rules(ws):
    config(ws, grace=0, max_deletes=1, protect="true")
    ws.users_json([graph_user(1)])
    assert ws.run("sync").code == 0
    ws.users_json([graph_user(1, jobTitle="Boss"), graph_user(2), graph_user(3),
                   graph_user(4, mobilePhone="+46701234567")])
    assert ws.run("sync").code == 0
    run_b = last_run_id(ws)
    ws.users_json([graph_user(1, jobTitle="Chief"), graph_user(2), graph_user(3),
                   graph_user(4, mobilePhone="+46701234567")])
    assert ws.run("sync").code == 0
    run_c = last_run_id(ws)

    r = ws.run("runs", "revert", str(run_b), "--format", "json")
    assert r.code == 3, r  # held: 2 deletions exceed max_deletes 1
    doc = r.json()
    conflict = [i for i in doc["items"] if i["action"] == "conflict"][0]
    assert conflict["username"] == "user1"
    assert conflict["reason"] == f"job_title changed since run {run_b} by run {run_c}"
    blocked = [i for i in doc["items"] if i["action"] == "blocked"][0]
    assert blocked["username"] == "user4" and "protect_mobile" in blocked["reason"]

    held = ws.run("runs", "revert", str(run_b), "--apply")
    assert held.code == 3 and "deletions exceed max_deletes 1" in held.out, held
    assert set(users_by_name(ws)) == {"user1", "user2", "user3", "user4"}
    applied = ws.run("runs", "revert", str(run_b), "--apply", "--approve")
    assert applied.code == 4, applied  # conflicts and blocked users are reported
    assert set(users_by_name(ws)) == {"user1", "user4"}
    assert users_by_name(ws)["user1"]["job_title"] == "Chief"  # not overwritten
    # A preview or a held run applied nothing: nothing to revert.
    bad = ws.run("runs", "revert", "999")
    assert bad.code == 2 and "not found" in bad.err, bad


def test_rest_revert_previews_and_applies(ws):
    config(ws, grace=0, protect="false")
    ws.users_json(directory_a())
    assert ws.run("sync").code == 0
    ws.users_json(directory_b())
    assert ws.run("sync").code == 0
    run_b = last_run_id(ws)
    token = ws.run("admin", "token", "create", "acme").out.strip()
    api = Api(ws)
    try:
        path = f"/api/v1/tenants/acme/runs/{run_b}/revert"
        status, doc = api.json("POST", path, token)
        assert status == 200, doc
        assert doc["summary"]["delete"] == 1 and doc["summary"]["create"] == 1, doc
        assert doc["revert"]["applied"] is False and doc["revert"]["run"] is None
        assert "would apply the directory again" in doc["revert"]["next_sync"]
        status, data, headers = api.call("POST", path + "?format=xlsx", token)
        assert status == 200 and zipfile.is_zipfile(io.BytesIO(data)), headers
        status, doc = api.json("POST", path, token, body={"pause": True})
        assert status == 400 and doc["error"]["field"] == "body.apply", doc
        status, doc = api.json("POST", path, token, body={"apply": True, "pause": True})
        assert status == 200, doc
        assert doc["revert"]["applied"] is True and doc["revert"]["paused"] is True
        run = doc["revert"]["run"]
        assert run["kind"] == "revert" and run["reverted_run"] == run_b, run
        status, shown = api.json("GET", f"/api/v1/tenants/acme/runs/{run['id']}", token)
        assert status == 200 and shown["reverted_run"] == run_b
        status, doc = api.json("POST", "/api/v1/tenants/acme/runs/999/revert", token)
        assert status == 404, doc
    finally:
        code, err = api.stop()
    assert code == 0, err
    assert "user5" not in users_by_name(ws) and "user4" in users_by_name(ws)


def sync_a_keeping_30_days(ws):
    """Configures history.keep_days: 30 and syncs directory A; returns the run's id."""
    config(ws, grace=0, protect="false")
    ws.write("telsync.yaml", "history:\n  keep_days: 30\n" + (ws.path / "telsync.yaml").read_text())
    ws.users_json(directory_a())
    assert ws.run("sync").code == 0
    return last_run_id(ws)


def test_history_keep_days_purges_what_revert_needs(ws):
    """history.keep_days (issue 18): each applied sync purges the items of the runs older
    than that; the run stays in the history with its counts, `runs revert` says why it
    refuses; a newer run still reverts; a preview purges nothing."""
    day = 86400
    run_a = sync_a_keeping_30_days(ws)
    ws.now += 20 * day
    ws.users_json(directory_b())
    assert ws.run("sync").code == 0
    run_b = last_run_id(ws)
    db = sqlite3.connect(ws.path / "telsync.db")

    def items(run):
        return db.execute("select count(*) from run_items where run_id = ?", (run,)).fetchone()[0]

    ws.now += 25 * day  # run A is 45 days old, run B 25
    assert ws.run("preview").code == 0
    assert items(run_a) == 4  # a preview purges nothing
    assert ws.run("sync").code == 0
    assert items(run_a) == 0 and items(run_b) > 0

    r = ws.run("runs", "revert", str(run_a))
    assert r.code == 2, r
    assert f"run {run_a} was purged on " in r.err and "can no longer be reverted" in r.err, r
    shown = ws.run("runs", "show", str(run_a))
    assert shown.code == 0 and f"The items of run {run_a} were purged on" in shown.out, shown
    listed = ws.run("runs", "list").out
    line = [x for x in listed.splitlines() if x.split()[:1] == [str(run_a)]][0]
    assert line.split()[6] == "4", line  # CREATE: its counts stay

    r = ws.run("runs", "revert", str(run_b), "--apply")
    assert r.code == 0, r
    assert "user4" in users_by_name(ws) and "user5" not in users_by_name(ws)


def test_a_purged_run_says_so_in_every_format_and_view(ws, tmp_path):
    """A run whose items were purged (history.keep_days) says so, with the day, in `runs
    show` (table, json, csv, html, xlsx), `runs list` (table and json: purged_at RFC 3339,
    null when kept) and the REST API's run JSON and report; never an empty report that
    reads as "nothing happened"."""
    from datetime import datetime, timezone

    from openpyxl import load_workbook

    day = 86400
    run_a = sync_a_keeping_30_days(ws)
    ws.now += 45 * day
    ws.users_json(directory_b())
    assert ws.run("sync").code == 0  # purges run A's items
    run_b = last_run_id(ws)
    stamp = datetime.fromtimestamp(ws.now, timezone.utc)
    rfc3339, date = stamp.strftime("%Y-%m-%dT%H:%M:%SZ"), stamp.strftime("%Y-%m-%d")
    note = f"The items of run {run_a} were purged on {date} after history.keep_days"

    doc = ws.run("runs", "show", str(run_a), "-f", "json").json()
    assert doc["purged_at"] == rfc3339 and doc["purged"].startswith(note), doc
    assert doc["items"] == []
    kept = ws.run("runs", "show", str(run_b), "-f", "json").json()
    assert kept["purged_at"] is None and "purged" not in kept and kept["items"], kept

    csv_out = ws.run("runs", "show", str(run_a), "-f", "csv").out
    assert csv_out.splitlines()[1].startswith('purged,,,,,,"' + note), csv_out
    assert note in ws.run("runs", "show", str(run_a), "-f", "html").out
    xlsx = tmp_path / "purged.xlsx"
    assert ws.run("runs", "show", str(run_a), "-f", "xlsx", "-o", str(xlsx)).code == 0
    book = load_workbook(xlsx, read_only=True)
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
    assert summary["Purged"].startswith(note), summary
    assert summary["Added"] == 4, summary  # the run's own counts, not its (gone) items
    added = list(book["Added"].iter_rows(values_only=True))
    assert added[1][0].startswith(note), added

    listed = ws.run("runs", "list", "-f", "json").json()["runs"]
    by_id = {r["id"]: r for r in listed}
    assert by_id[run_a]["purged_at"] == rfc3339 and by_id[run_b]["purged_at"] is None, listed
    assert by_id[run_a]["summary"]["create"] == 4
    table = ws.run("runs", "list").out
    line = [x for x in table.splitlines() if x.split()[:1] == [str(run_a)]][0]
    assert f"[items purged {date}]" in line, table
    assert "items purged" not in [x for x in table.splitlines()
                                  if x.split()[:1] == [str(run_b)]][0]

    token = ws.run("admin", "token", "create", "acme").out.strip()
    api = Api(ws)
    try:
        status, run = api.json("GET", f"/api/v1/tenants/acme/runs/{run_a}", token)
        assert status == 200 and run["purged_at"] == rfc3339, run
        status, runs = api.json("GET", "/api/v1/tenants/acme/runs", token)
        assert {r["id"]: r["purged_at"] for r in runs["runs"]}[run_b] is None, runs
        status, items = api.json("GET", f"/api/v1/tenants/acme/runs/{run_a}/items", token)
        assert status == 200 and items["purged_at"] == rfc3339 and items["items"] == [], items
        status, html, _ = api.call("GET", f"/api/v1/tenants/acme/runs/{run_a}/report?format=html",
                                   token)
        assert status == 200 and note in html.decode(), html[:200]
        status, spec = api.json("GET", "/api/v1/openapi.json", token)
        assert "purged_at" in spec["paths"]["/api/v1/tenants/{tenant}/runs/{id}"]["get"]["summary"]
    finally:
        code, err = api.stop()
    assert code == 0, err
