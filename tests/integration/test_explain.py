"""`telsync explain USER` and GET .../profiles/{p}/explain?user=NAME (issue 18 §1): the real
binary on a file source, compared with what `preview -f json` plans for the same users."""
import json

from conftest import graph_user
from test_api import Api

CONFIG = """\
store: telsync.db
tenants:
  - name: acme
    profiles:
      - name: main
        source: {type: file, path: directory.json}
        validation: {phone_mode: lenient}
        policy:
          grace_days: 7
          max_deletes: -1
          max_delete_percent: -1
          protect_mobile: false
        templates:
          - {name: standard, groups: [All Staff]}
          - {name: support, groups: [All Staff, Support Queue]}
        rules:
          - {field: department, equals: Support, template: support}
        default_template: standard
        extensions: {range: "2000-2999"}
"""

DAY = 86400


def prepare(ws):
    ws.write("telsync.yaml", CONFIG)
    ws.users_json([graph_user(i) for i in range(1, 5)])
    assert ws.run("sync").code == 0
    # A day later: user2 changes title, user3 is gone, user5 joins Support, user6 takes
    # user1's mobile... and user1 keeps it: a conflict naming user1.
    ws.now += DAY
    users = [graph_user(1, mobilePhone="+46 70 111 11 11"), graph_user(2, jobTitle="Manager"),
             graph_user(4), graph_user(5, department="Support"),
             graph_user(6, mobilePhone="+46 70 111 11 11")]
    ws.users_json(users)


def preview_items(ws):
    r = ws.run("preview", "-f", "json")
    assert r.code in (0, 4), r
    return {item["key"]: item for item in r.json()["items"]}


def test_explain_equals_preview_for_every_user_and_records_no_run(ws):
    prepare(ws)
    runs_before = ws.run("runs", "list")
    items = preview_items(ws)
    runs_after_preview = ws.run("runs", "list")
    assert len(items) == 6
    for key, item in items.items():
        r = ws.run("explain", key, "-f", "json")
        assert r.code == 0, r
        e = r.json()
        assert e["key"] == key
        assert e["result"]["action"] == item["action"], (key, e["result"], item)
        assert e["result"]["changes"] == item["changes"], (key, e["result"], item)
        assert e["result"]["reason"] == item["reason"]
    # explain records no run (preview does).
    assert ws.run("runs", "list").out == runs_after_preview.out
    assert runs_after_preview.out != runs_before.out

    by_name = {n: ws.run("explain", n, "-f", "json").json() for n in
               ("user2", "USER3@contoso.example", "user5", "user6")}
    assert by_name["user2"]["result"]["action"] == "update"
    assert [s["outcome"] for s in by_name["user2"]["identity"]] == ["linked"]
    gone = by_name["USER3@contoso.example"]
    assert gone["in_source"] is False and gone["in_store"] is True
    assert gone["result"]["action"] == "pending_delete"
    grace = [s for s in gone["policy"] if s["what"] == "grace period"][0]
    assert grace["outcome"] == "starts" and "7 days" in grace["detail"], grace
    new = by_name["user5"]
    assert new["result"]["action"] == "create"
    rules = {s["what"]: s for s in new["rules"]}
    assert rules["template"]["outcome"] == "support" and "rule 1" in rules["template"]["detail"]
    # users 1-4 hold 2000-2003 since the first sync
    assert rules["extension"]["outcome"] == "2004", rules["extension"]
    assert {"field": "extension", "old": "", "new": "2004"} in new["result"]["changes"]
    mapping = {m["field"]: m for m in new["mapping"]}
    assert mapping["department"]["value"] == "Support"
    assert mapping["department"]["inputs"] == {"department": ["Support"]}
    conflict = by_name["user6"]
    assert conflict["result"]["action"] == "conflict"
    mobile = [s for s in conflict["uniqueness"] if s["what"].startswith("mobile")][0]
    assert mobile["outcome"] == "conflict" and "user1" in mobile["detail"], mobile

    # Eight days later user3's grace period is over: explain says so, as preview does.
    ws.run("sync")
    ws.now += 3 * DAY
    later = ws.run("explain", "user3", "-f", "json").json()
    grace = [s for s in later["policy"] if s["what"] == "grace period"][0]
    assert grace["outcome"] == "running" and "(4 days left)" in grace["detail"], grace
    assert later["result"]["action"] == "unchanged"
    assert later["result"]["reason"] == preview_items(ws)[later["key"]]["reason"]


def test_explain_table_and_errors(ws):
    prepare(ws)
    r = ws.run("explain", "user2")
    assert r.code == 0, r
    for title in ("1. Source", "2. Scope", "3. Mapping", "4. Validation", "5. Identity",
                  "6. Uniqueness", "7. Policy", "8. Template and rules", "9. Result"):
        assert title in r.out, (title, r.out)
    assert 'job_title: "Seller" -> "Manager"' in r.out, r.out
    missing = ws.run("explain", "nobody")
    assert missing.code == 2, missing
    assert "no user nobody" in missing.err
    assert ws.run("explain").code == 2  # USER is required


def test_explain_over_rest_is_the_cli_json(ws):
    prepare(ws)
    tok = ws.run("admin", "token", "create", "acme", "--label", "test").out.strip()
    api = Api(ws)
    try:
        status, doc = api.json("GET", "/api/v1/tenants/acme/profiles/main/explain?user=user2", tok)
        assert status == 200, doc
        assert doc == ws.run("explain", "user2", "-f", "json").json()
        status, doc = api.json("GET", "/api/v1/tenants/acme/profiles/main/explain", tok)
        assert status == 400 and doc["error"]["field"] == "user", doc
        status, doc = api.json("GET", "/api/v1/tenants/acme/profiles/main/explain?user=nobody",
                               tok)
        assert status == 404 and "no user nobody" in doc["error"]["message"], doc
        status, doc = api.json("GET", "/api/v1/tenants/acme/profiles/nope/explain?user=x", tok)
        assert status == 404 and doc["error"]["field"] == "profile", doc
        status, _ = api.json("GET", "/api/v1/tenants/acme/profiles/main/explain?user=user2")
        assert status == 401
        status, spec = api.json("GET", "/api/v1/openapi.json")
        op = spec["paths"]["/api/v1/tenants/{tenant}/profiles/{profile}/explain"]["get"]
        assert op["operationId"] == "explain"
        assert [p["name"] for p in op["parameters"]] == ["tenant", "profile", "user", "fresh"]
    finally:
        code, err = api.stop()
    assert code == 0, err
    assert tok not in err


def test_explain_scope_on_a_file_source(ws):
    """Step 2 on a file source: no scope of its own; the planner's exclusion group and
    disabled handling are named there too (issue 18)."""
    prepare(ws)
    e = ws.run("explain", "user2", "-f", "json").json()
    steps = {s["what"]: s for s in e["scope"]}
    assert steps["in scope"]["outcome"] == "yes"
    assert steps["scope"]["outcome"] == "in"
    assert "every record of directory.json is read" in steps["scope"]["detail"]
    assert steps["exclusion group"]["outcome"] == "pass"
    assert steps["exclusion group"]["detail"] == 'not in group "Non AD sync" (Policy, step 7)'
    assert steps["disabled handling"]["outcome"] == "pass"
