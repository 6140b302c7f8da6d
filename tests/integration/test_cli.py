"""The CLI end to end: preview, sync, exit codes, history, users (issue 3, F17-F23)."""
import json
import sqlite3

from conftest import config, graph_user


def test_preview_json_contract_counts_equal_items(ws):
    config(ws)
    ws.users_json([graph_user(i) for i in range(1, 6)] +
                  [graph_user(6, mobilePhone="+46 70")])  # invalid mobile
    r = ws.run("preview", "--format", "json")
    assert r.code == 4, r  # per-user errors
    doc = r.json()
    for key in ("profile", "source", "complete", "summary", "items"):
        assert key in doc
    assert doc["profile"] == "main" and doc["complete"] is True
    counted = {}
    for item in doc["items"]:
        assert set(item) >= {"action", "key", "username", "changes", "reason"}
        counted[item["action"]] = counted.get(item["action"], 0) + 1
    assert doc["summary"]["create"] == 5 == counted["create"]
    assert doc["summary"]["errors"] == 1 == counted["error"]
    assert sum(doc["summary"].values()) == len(doc["items"])
    err = [i for i in doc["items"] if i["action"] == "error"][0]
    assert "mobile" in err["reason"] and "+46 70" in err["reason"]
    # A preview changes nothing.
    assert ws.run("users", "list", "--format", "json").json() == []


def test_sync_then_resync_writes_nothing(ws):
    config(ws)
    ws.users_json([graph_user(i) for i in range(1, 21)])
    r = ws.run("sync")
    assert r.code == 0, r
    assert "Applied: 20 user rows" in r.out
    db = sqlite3.connect(ws.path / "telsync.db")
    before = db.execute("select count(*), max(updated_at) from users").fetchone()
    assert before[0] == 20
    r = ws.run("sync", "--format", "json")
    assert r.code == 0, r
    doc = r.json()
    assert doc["summary"]["unchanged"] == 20
    assert doc["summary"]["create"] == doc["summary"]["update"] == 0
    assert "Applied: 0 user rows" in r.err
    assert db.execute("select count(*), max(updated_at) from users").fetchone() == before


def test_update_in_place_keeps_row_and_shows_old_and_new(ws):
    config(ws)
    ws.users_json([graph_user(1)])
    assert ws.run("sync").code == 0
    shown = ws.run("users", "show", "user1").json()
    ws.users_json([graph_user(1, jobTitle="Head of Sales", mobilePhone="+46701234567")])
    r = ws.run("sync", "--format", "json")
    assert r.code == 0, r
    item = [i for i in r.json()["items"] if i["action"] == "update"][0]
    changes = {c["field"]: (c["old"], c["new"]) for c in item["changes"]}
    assert changes["job_title"] == ("Seller", "Head of Sales")
    assert changes["mobile"] == ("", "+46701234567")
    after = ws.run("users", "show", "user1").json()
    assert after["id"] == shown["id"]  # updated in place, not deleted and recreated
    assert after["job_title"] == "Head of Sales"


def test_email_case_change_adopts_never_duplicates(ws):
    """A connector that matched e-mails case-sensitively deleted users (SPEC lessons)."""
    config(ws)
    ws.users_json([graph_user(1)])
    assert ws.run("sync").code == 0
    assert ws.run("users", "unlink", "user1").code == 0
    ws.users_json([graph_user(1, id="11111111-2222-4333-8444-555555555555",
                              mail="USER1@Contoso.Example")])
    r = ws.run("sync", "--format", "json")
    assert r.code == 0, r
    doc = r.json()
    assert doc["summary"]["create"] == 0 and doc["summary"]["delete"] == 0
    assert doc["summary"]["update"] == 1
    users = ws.run("users", "list", "--format", "json").json()
    assert len(users) == 1
    assert users[0]["source_key"] == "11111111-2222-4333-8444-555555555555"


def test_grace_pending_delete_restore_and_delete(ws):
    config(ws, grace=7, protect="false")
    ws.users_json([graph_user(i) for i in range(1, 4)])
    assert ws.run("sync").code == 0
    ws.users_json([graph_user(i) for i in range(1, 3)])
    r = ws.run("sync", "--format", "json")
    assert r.code == 0, r
    assert r.json()["summary"]["pending_delete"] == 1
    assert ws.run("users", "show", "user3").json()["state"] == "pending_delete"
    # It comes back within the grace period: restored, same row.
    ws.users_json([graph_user(i) for i in range(1, 4)])
    r = ws.run("sync", "--format", "json")
    assert r.json()["summary"]["restore"] == 1, r
    assert ws.run("users", "show", "user3").json()["state"] == "active"
    # Gone again, and the grace period passes: deleted.
    ws.users_json([graph_user(i) for i in range(1, 3)])
    assert ws.run("sync").code == 0
    ws.now += 8 * 86400
    r = ws.run("sync", "--format", "json")
    assert r.json()["summary"]["delete"] == 1, r
    assert ws.run("users", "show", "user3").code == 2


def test_protect_mobile_blocks_deletion(ws):
    config(ws, grace=0, protect="true")
    ws.users_json([graph_user(1, mobilePhone="+46 70 123 45 67"), graph_user(2)])
    assert ws.run("sync").code == 0
    ws.users_json([])
    ws.users_json([graph_user(2)])
    r = ws.run("sync", "--format", "json")
    doc = r.json()
    assert doc["summary"]["blocked"] == 1, r
    blocked = [i for i in doc["items"] if i["action"] == "blocked"][0]
    assert "+46701234567" in blocked["reason"]
    assert ws.run("users", "show", "user1").code == 0


def test_threshold_holds_run_until_approved(ws):
    config(ws, grace=0, max_deletes=2, protect="false")
    ws.users_json([graph_user(i) for i in range(1, 11)])
    assert ws.run("sync").code == 0
    ws.users_json([graph_user(i) for i in range(1, 6)])
    r = ws.run("sync", "--format", "json")
    assert r.code == 3, r
    doc = r.json()
    assert doc["held"] is True and "max_deletes" in doc["hold_reason"]
    run_id = doc["run"]
    assert len(ws.run("users", "list", "--format", "json").json()) == 10  # nothing applied
    r = ws.run("sync", "--approve", str(run_id))
    assert r.code == 0, r
    assert len(ws.run("users", "list", "--format", "json").json()) == 5
    runs = ws.run("runs", "list")
    assert "approved" in runs.out, runs


def test_incomplete_read_deletes_nothing(ws):
    config(ws, grace=0, protect="false")
    ws.users_json([graph_user(i) for i in range(1, 6)])
    assert ws.run("sync").code == 0
    # A truncated export: the closing brackets are missing.
    text = json.dumps({"value": [graph_user(1), graph_user(2)]})
    (ws.path / "directory.json").write_text(text[:-30])
    r = ws.run("sync", "--format", "json")
    assert r.code in (1, 4), r
    doc = r.json()
    assert doc["complete"] is False
    assert doc["summary"]["delete"] == 0 and doc["summary"]["pending_delete"] == 0
    assert len(ws.run("users", "list", "--format", "json").json()) == 5


def test_empty_answer_with_stored_users_deletes_nothing(ws):
    config(ws, grace=0, protect="false")
    ws.users_json([graph_user(i) for i in range(1, 4)])
    assert ws.run("sync").code == 0
    ws.users_json([])
    r = ws.run("sync", "--format", "json")
    assert r.json()["summary"]["delete"] == 0, r
    assert len(ws.run("users", "list", "--format", "json").json()) == 3


def test_sync_one_user(ws):
    config(ws)
    ws.users_json([graph_user(i) for i in range(1, 4)])
    r = ws.run("sync", "--user", "user2", "--format", "json")
    assert r.code == 0, r
    users = ws.run("users", "list", "--format", "json").json()
    assert [u["username"] for u in users] == ["user2"]


def test_disabled_user_kept_not_searchable(ws):
    config(ws)
    ws.users_json([graph_user(1), graph_user(2)])
    assert ws.run("sync").code == 0
    ws.users_json([graph_user(1), graph_user(2, accountEnabled=False)])
    r = ws.run("sync", "--format", "json")
    assert r.json()["summary"]["unsearchable"] == 1, r
    u = ws.run("users", "show", "user2").json()
    assert u["searchable"] is False


def test_runs_history_and_items(ws):
    config(ws)
    ws.users_json([graph_user(1), graph_user(2, mobilePhone="+46 70")])
    assert ws.run("sync").code == 4
    runs = ws.run("runs", "list")
    assert runs.code == 0 and "partial" in runs.out
    assert "last successful sync of acme/main" in runs.out
    shown = ws.run("runs", "show", "1", "--format", "json").json()
    assert shown["summary"]["create"] == 1 and shown["summary"]["errors"] == 1
    errors = ws.run("runs", "show", "1", "--action", "error", "--format", "csv")
    assert errors.code == 0
    lines = errors.out.strip().splitlines()
    assert lines[0] == "action,key,username,field,old,new,reason"
    assert len(lines) == 2 and lines[1].startswith("error,")
    assert ws.run("runs", "show", "99").code == 2


def test_exit_code_two_for_usage_and_config_errors(ws):
    assert ws.run("preview", config="missing.yaml").code == 2
    ws.write("telsync.yaml", "tenants:\n  - name: acme\n    profiles:\n      - name: main\n"
             "        source: {type: file}\n        policy: {mode: fulll}\n")
    r = ws.run("check-config")
    assert r.code == 2, r
    assert "telsync.yaml:" in r.out
    assert "policy.mode" in r.out and "fulll" in r.out
    assert "source.path" in r.out or "path" in r.out
    assert ws.run("frobnicate").code == 2


def test_check_config_never_echoes_secrets(ws):
    ws.write("telsync.yaml", """\
        tenants:
          - name: acme
            profiles:
              - name: main
                source:
                  type: graph
                  tenant_id: not-a-guid
                  client_id: 6731de76-14a6-49ae-97bc-6eba6914391e
                  client_secret: "s3cr3t-Value-that-must-not-leak~1234567890abcdef"
        """)
    r = ws.run("check-config")
    assert "s3cr3t-Value" not in r.out + r.err
    r = ws.run("preview")
    assert "s3cr3t-Value" not in r.out + r.err


def test_help_everywhere():
    import subprocess, os
    b = os.environ["TELSYNC_BIN"]
    for args in ([], ["preview"], ["sync"], ["users"], ["users", "list"], ["runs"],
                 ["runs", "show"], ["check-config"], ["test-connection"]):
        p = subprocess.run([b, *args, "--help"], capture_output=True, text=True)
        assert p.returncode == 0, (args, p.stderr)
        assert "Usage" in p.stdout or "usage" in p.stdout.lower()


def test_excluded_user_is_never_changed_or_deleted(ws):
    config(ws, grace=0, protect="false")
    ws.users_json([graph_user(1), graph_user(2), graph_user(3)])
    assert ws.run("sync").code == 0
    r = ws.run("users", "exclude", "user2")
    assert r.code == 0 and "Non AD sync" in r.out, r
    ws.users_json([graph_user(1), graph_user(2, jobTitle="Changed"), graph_user(4)])
    r = ws.run("sync", "--format", "json")
    doc = r.json()
    skipped = {i["username"]: i["reason"] for i in doc["items"] if i["action"] == "skip"}
    assert "Non AD sync" in skipped.get("user2", ""), doc["items"]
    assert ws.run("users", "show", "user2").json()["job_title"] == "Seller"
    # user3 left and is deleted; user2 is excluded, so when it leaves it stays.
    ws.users_json([graph_user(1), graph_user(4)])
    r = ws.run("sync", "--format", "json")
    assert ws.run("users", "show", "user2").code == 0, r
    assert ws.run("users", "show", "user3").code == 2
    assert ws.run("users", "include", "user2").code == 0


def test_csv_and_ldif_exports_sync_like_json(ws):
    """F4: the same users from an AD-style CSV (BOM, ';') and an LDIF export."""
    ws.write("telsync.yaml", """\
        store: telsync.db
        tenants:
          - name: acme
            profiles:
              - name: csv
                source: {type: file, path: users.csv}
              - name: ldif
                source: {type: file, path: users.ldif}
        """)
    (ws.path / "users.csv").write_bytes(
        "\ufeffobjectGUID;sAMAccountName;givenName;sn;mail;telephoneNumber;department\r\n"
        "6f9619ff-8b86-d011-b42d-00c04fc964ff;asa;Åsa;Öberg;asa@contoso.example;+46 8 5000 0001;\"Sales; Nordic\"\r\n"
        "7f9619ff-8b86-d011-b42d-00c04fc964ff;bo;Bo;Ek;bo@contoso.example;08-500 000 02;IT\r\n"
        .encode("utf-8"))
    ws.write("users.ldif", """\
        version: 1

        dn: CN=Carl Berg,OU=Users,DC=contoso,DC=example
        objectClass: user
        objectGUID:: /xmWb4aLEdC0LQDAT8lk/w==
        sAMAccountName: carl
        givenName: Carl
        sn: Berg
        mail: carl@contoso.example
        telephoneNumber: +46 8 5000 0003
        userAccountControl: 514
        """)
    r = ws.run("-p", "acme/csv", "preview", "--format", "json")
    doc = r.json()
    assert doc["summary"]["create"] == 1 and doc["summary"]["errors"] == 1, r
    created = [i for i in doc["items"] if i["action"] == "create"][0]
    fields = {c["field"]: c["new"] for c in created["changes"]}
    assert fields["first_name"] == "Åsa" and fields["department"] == "Sales; Nordic"
    assert fields["landline"] == "+46850000001"
    bad = [i for i in doc["items"] if i["action"] == "error"][0]
    assert "no country code" in bad["reason"]
    r = ws.run("-p", "acme/ldif", "sync", "--format", "json")
    assert r.code == 0, r
    doc = r.json()
    assert doc["summary"]["create"] == 1
    carl = ws.run("-p", "acme", "users", "show", "carl").json()
    assert carl["source_key"] == "6f9619ff-8b86-d011-b42d-00c04fc964ff"  # AD byte order
    assert carl["searchable"] is False  # userAccountControl 514: disabled


def test_input_mistakes_are_named_not_passed_as_success(ws):
    """Issue 15 item 3: a --user nobody has, an --approve of a run that is not held, and a
    mail test with no mail server are usage errors that say what is wrong."""
    config(ws)
    ws.users_json([graph_user(i) for i in range(1, 4)])
    assert ws.run("sync").code == 0
    r = ws.run("sync", "--user", "nobody")
    assert r.code == 2, r
    assert "no user nobody in the source (matched by username, e-mail or id)" in r.out + r.err, r
    r = ws.run("sync", "--approve", "999")
    assert r.code == 2 and "no run 999" in r.err, r
    r = ws.run("sync", "--approve", "1")
    assert r.code == 2 and "run 1 is success, not held: nothing to approve" in r.err, r
    r = ws.run("notify", "test", "--to", "admin@acme.example")
    assert r.code == 2 and "no mail server is configured" in r.err, r
    listed = ws.run("notify", "list")
    assert listed.code == 0 and listed.out.strip() == "No mails.", listed  # none recorded


def test_unknown_commands_are_named_and_global_options_follow_the_command(ws):
    """Issue 15 item 3: `telsync snyc` says which command it did not know and the closest
    one; -c, -p and -q are accepted after the command too, as the README shows them."""
    config(ws)
    ws.users_json([graph_user(i) for i in range(1, 3)])
    r = ws.run("snyc")
    assert r.code == 2, r
    assert "unknown command 'snyc'; did you mean 'sync'?" in r.err, r
    r = ws.run("bogus")
    assert r.code == 2 and "unknown command 'bogus'" in r.err and "did you mean" not in r.err, r
    assert ws.run("sync").code == 0
    r = ws.run("jobs", "list", "-p", "acme")
    assert r.code == 0, r
    r = ws.run("runs", "list", "-c", str(ws.path / "telsync.yaml"), "-p", "acme/main", config=None)
    assert r.code == 0 and "sync" in r.out, r
