"""The Graph source against the Graph emulator (tests/emulators/graph), through the real binary.

Covers issue 4's proofs: a full read, group scope with nested groups, a delta sequence (add,
change, remove, re-add, expired link), each injected fault ending complete or complete=false
with nothing deleted, Retry-After respected (the emulator's log shows the gap), test-connection
in plain words for each error, and the client secret never in any output.
"""
import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import graph_user

EMULATOR = Path(__file__).resolve().parents[1] / "emulators" / "graph" / "graph_emulator.py"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "11111111-2222-3333-4444-555555555555"
SECRET = "Zx8Q~very.secret~value-42"
ALL = {"@odata.type": "#microsoft.graph.group", "id": "aaaaaaaa-0000-4000-8000-000000000001",
       "displayName": "All Phone Users"}
SALES = {"@odata.type": "#microsoft.graph.group", "id": "aaaaaaaa-0000-4000-8000-000000000002",
         "displayName": "Dept Sales"}
SUPPORT = {"@odata.type": "#microsoft.graph.group", "id": "aaaaaaaa-0000-4000-8000-000000000003",
           "displayName": "Dept Support"}


def user(i, groups=(ALL, SALES), **over):
    u = graph_user(i, **over)
    u["userType"] = over.get("userType", "Member")
    u["memberOf"] = list(groups)
    return u


class Emulator:
    def __init__(self, path, users):
        data = path / "graph.json"
        data.write_text(json.dumps({"value": users}), encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, str(EMULATOR), "--users", str(data),
             "--config", json.dumps({"tenant": TENANT, "client_id": CLIENT, "secret": SECRET})],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("PORT "), line
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def config(self, **values):
        return self.call("POST", "/_emulator/config", values)

    def log(self):
        return self.call("GET", "/_emulator/log")

    def clear_log(self):
        self.call("DELETE", "/_emulator/log")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def emu(tmp_path):
    e = Emulator(tmp_path, [user(i) for i in range(1, 6)] +
                 [user(6, groups=(ALL, SUPPORT), department="Support"),
                  user(7, userType="Guest")])
    yield e
    e.stop()


def configure(ws, emu, extra="", url=None, policy=""):
    ws.write("telsync.yaml", f"""\
store: telsync.db
tenants:
  - name: acme
    profiles:
      - name: main
        source:
          type: graph
          tenant_id: {TENANT}
          client_id: {CLIENT}
          client_secret: ${{env:GRAPH_SECRET}}
          authority: {url or emu.url}
          graph_url: {url or emu.url}
          max_retry_seconds: 20
{extra}
        policy:
          max_deletes: -1
          max_delete_percent: -1
          grace_days: 0
{policy}
""")


def run(ws, *args):
    r = ws.run(*args, env={"GRAPH_SECRET": SECRET})
    assert SECRET not in r.out and SECRET not in r.err, "the client secret leaked"
    return r


def dump(ws, *args):
    r = run(ws, "dump-source", "--mapped", *args)
    lines = [json.loads(x) for x in r.out.splitlines() if x.startswith("{")]
    assert lines, r
    return lines[:-1], lines[-1], r


def test_full_read_pages_select_and_groups(ws, emu):
    configure(ws, emu)
    objects, summary, r = dump(ws)
    assert summary["complete"] and not summary["delta"], r
    assert summary["objects"] == 6 == len(objects)  # the guest is left out
    by_id = {o["id"]: o for o in objects}
    u6 = by_id[graph_user(6)["id"]]
    assert sorted(u6["groups"]) == ["All Phone Users", "Dept Support"]
    assert u6["attributes"]["mail"] == ["user6@contoso.example"]
    assert summary["cursor"]  # delta links for the next read
    gets = [e["path"] for e in emu.log() if e["path"].startswith("/v1.0/users?")]
    assert gets and all("$top=999" in p and "$select=" in p and "$expand=memberOf" in p
                        for p in gets)
    assert "mobilePhone" in gets[0] and "accountEnabled" in gets[0]


def test_group_scope_with_nested_groups(ws, emu):
    emu.call("POST", "/_emulator/groups", {"id": "bbbbbbbb-0000-4000-8000-000000000001",
                                           "displayName": "Phones",
                                           "members": [SUPPORT["id"], graph_user(2)["id"]]})
    configure(ws, emu, extra="          groups: [Phones]")
    objects, summary, r = dump(ws)
    assert summary["complete"], r
    ids = sorted(o["id"] for o in objects)
    assert ids == sorted([graph_user(2)["id"], graph_user(6)["id"]])  # 6 via Dept Support
    assert all(o["groups"] == ["Phones"] for o in objects)
    assert summary["cursor"] == ""  # group scope always reads in full
    assert any("/transitiveMembers/microsoft.graph.user" in e["path"] for e in emu.log())


def test_delta_sequence_add_change_remove_readd_expire(ws, emu):
    configure(ws, emu)
    _, first, _ = dump(ws)
    cursor = first["cursor"]
    # Add one user.
    emu.call("POST", "/_emulator/users", user(20))
    objects, s, r = dump(ws, "--cursor", cursor)
    assert s["complete"] and s["delta"], r
    assert [o["id"] for o in objects] == [graph_user(20)["id"]]
    assert sorted(objects[0]["groups"]) == ["All Phone Users", "Dept Sales"]
    cursor = s["cursor"]
    # Nothing changed: an empty delta.
    objects, s, _ = dump(ws, "--cursor", cursor)
    assert s["delta"] and objects == []
    cursor = s["cursor"]
    # Change a title and move a user to another group: complete current state.
    emu.call("POST", "/_emulator/users", user(3, groups=(ALL, SUPPORT), jobTitle="Boss"))
    objects, s, _ = dump(ws, "--cursor", cursor)
    assert [o["id"] for o in objects] == [graph_user(3)["id"]]
    assert objects[0]["attributes"]["jobTitle"] == ["Boss"]
    assert sorted(objects[0]["groups"]) == ["All Phone Users", "Dept Support"]
    cursor = s["cursor"]
    # Remove it: sent deleted.
    emu.call("DELETE", f"/_emulator/users/{graph_user(3)['id']}")
    objects, s, _ = dump(ws, "--cursor", cursor)
    assert [(o["id"], o["deleted"]) for o in objects] == [(graph_user(3)["id"], True)]
    cursor = s["cursor"]
    # Re-add it.
    emu.call("POST", "/_emulator/users", user(3))
    objects, s, _ = dump(ws, "--cursor", cursor)
    assert [(o["id"], o["deleted"]) for o in objects] == [(graph_user(3)["id"], False)]
    cursor = s["cursor"]
    # The link expires (410 syncStateNotFound): a full read, delta false.
    emu.config(expire_delta=True)
    objects, s, r = dump(ws, "--cursor", cursor)
    assert s["complete"] and not s["delta"], r
    assert len(objects) == 7
    assert any(e["status"] == 410 for e in emu.log())


def gaps_after(log, status):
    """Seconds between each answer with `status` and the next Graph request."""
    graph = [e for e in log if e["path"].startswith("/v1.0/")]
    return [graph[i + 1]["t"] - graph[i]["t"] for i in range(len(graph) - 1)
            if graph[i]["status"] == status]


def test_throttling_honours_retry_after(ws, emu):
    configure(ws, emu)
    emu.config(throttle_every=2, retry_after=1)
    emu.clear_log()
    _, s, r = dump(ws)
    assert s["complete"] and s["objects"] == 6, r
    gaps = gaps_after(emu.log(), 429)
    assert gaps and min(gaps) >= 0.95, gaps


@pytest.mark.parametrize("fault", [{"unavailable_every": 3, "unavailable_status": 503},
                                   {"unavailable_every": 2, "unavailable_status": 504},
                                   {"cut_every": 2},
                                   {"revoke_after_calls": 3},
                                   {"token_ttl": 1, "throttle_every": 3, "retry_after": 2}])
def test_recoverable_faults_end_in_a_complete_read(ws, emu, fault):
    configure(ws, emu)
    emu.config(**fault)
    _, s, r = dump(ws)
    assert s["complete"] and s["objects"] == 6, (fault, r)
    log = emu.log()
    if "revoke_after_calls" in fault or "token_ttl" in fault:
        assert sum(1 for e in log if e["path"].endswith("/token")) >= 2, log
    if "cut_every" in fault:
        assert any(e["status"] == -1 for e in log)


def test_unrecoverable_fault_deletes_nothing(ws, emu):
    configure(ws, emu)
    r = run(ws, "sync", "-f", "json")
    assert r.code == 0, r
    assert r.json()["summary"]["create"] >= 5
    emu.config(fail_all=503)
    ws.write("telsync.yaml", (ws.path / "telsync.yaml").read_text().replace(
        "max_retry_seconds: 20", "max_retry_seconds: 3"))
    r = run(ws, "sync", "-f", "json")
    doc = json.loads(r.out)
    assert doc["complete"] is False, r
    assert doc["summary"].get("delete", 0) == 0 and doc["summary"].get("pending_delete", 0) == 0
    assert "503" in r.out + r.err


def test_emulator_rejects_top_over_999_and_unsigned_calls(emu):
    form = (f"client_id={CLIENT}&client_secret={SECRET}&grant_type=client_credentials"
            "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default").encode()
    with urllib.request.urlopen(emu.url + f"/{TENANT}/oauth2/v2.0/token", data=form) as r:
        token = json.loads(r.read())["access_token"]
    req = urllib.request.Request(emu.url + "/v1.0/users?$top=1000",
                                 headers={"Authorization": "Bearer " + token})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req)
    body = json.loads(e.value.read())
    assert e.value.code == 400 and "between 1 and 999" in body["error"]["message"]
    assert "request-id" in body["error"]["innerError"]
    with pytest.raises(urllib.error.HTTPError) as e:
        emu.call("GET", "/v1.0/users")
    assert e.value.code == 401


def connection(ws, emu, **kw):
    configure(ws, emu, **kw)
    return run(ws, "test-connection")


def test_connection_ok_lists_attributes_and_sample(ws, emu):
    r = connection(ws, emu)
    assert r.code == 0, r
    assert "users are readable" in r.out
    assert "mobilePhone" in r.out and "User 1 <user1@contoso.example>" in r.out


@pytest.mark.parametrize("change,expect", [
    ({"tenant": "00000000-0000-0000-0000-000000000000"}, "does not exist: check tenant_id"),
    ({"client_id": "99999999-2222-3333-4444-555555555555"}, "is not registered in tenant"),
    ({"secret": "another"}, "the client secret is wrong"),
    ({"secret_expired": True}, "the client secret has expired"),
    ({"deny": ["User.Read.All"]}, "permission User.Read.All"),
])
def test_connection_errors_in_plain_words(ws, emu, change, expect):
    emu.config(**change)
    r = connection(ws, emu)
    assert r.code != 0 and expect in r.out, r


def test_connection_group_errors(ws, emu):
    r = connection(ws, emu, extra="          groups: [No Such Group]")
    assert r.code != 0 and 'group "No Such Group" was not found' in r.out, r
    emu.config(deny=["GroupMember.Read.All"])
    r = connection(ws, emu, extra="          groups: [Dept Sales]")
    assert r.code != 0 and "permission GroupMember.Read.All" in r.out, r


def test_members_with_limited_information_fail_the_read_and_blank_nothing(ws, emu):
    """GroupMember.Read.All without User.Read.All: Graph returns the members of a group with
    an id and null properties. test-connection says so, and a sync keeps what it stored."""
    scope = "          groups: [Dept Sales]"
    r = connection(ws, emu, extra=scope)
    assert r.code == 0 and "users are readable" in r.out, r
    r = run(ws, "sync", "-f", "json")
    assert r.code == 0, r
    before = run(ws, "users", "list").out
    assert "User 1" in before and "+46" in before, before

    emu.config(deny=["User.Read.All"])
    r = connection(ws, emu, extra=scope)
    assert r.code != 0, r
    assert "limited information" in r.out and "grant User.Read.All" in r.out, r
    r = run(ws, "sync", "-f", "json")
    assert r.code != 0, r
    assert "limited information" in r.out + r.err, r
    assert run(ws, "users", "list").out == before


def test_connection_network_and_tls_failures(ws, emu):
    r = connection(ws, emu, url="http://127.0.0.1:1")
    assert r.code != 0 and "refused" in r.out, r
    r = connection(ws, emu, url=emu.url.replace("http://", "https://"))
    assert r.code != 0 and "TLS" in r.out, r


def test_old_cursor_forces_a_full_read_and_log_has_no_secret(ws, emu):
    configure(ws, emu)
    _, first, _ = dump(ws)
    cursor = json.loads(first["cursor"])
    cursor["full_read_at"] = 1  # the last full read was long ago (full_read_every_hours: 24)
    objects, s, r = dump(ws, "--cursor", json.dumps(cursor))
    assert s["complete"] and not s["delta"] and len(objects) == 6, r
    # A cursor that is not ours is a full read too.
    _, s, r = dump(ws, "--cursor", "garbage")
    assert s["complete"] and not s["delta"], r
    assert SECRET not in json.dumps(emu.log())


def test_check_config_names_graph_problems(ws, emu):
    ws.write("telsync.yaml", f"""\
store: telsync.db
tenants:
  - name: acme
    profiles:
      - name: main
        source:
          type: graph
          provider_settings: '{{"tenant_id":"not-a-guid","client_id":"{CLIENT}","client_secret":"","user_filter":{{"memberOf":[""]}},"tenant":"x"}}'
""")
    r = run(ws, "check-config")
    assert r.code == 2, r
    text = r.out + r.err
    assert "source.provider_settings.tenant_id" in text and "must be a GUID" in text, r
    assert "source.provider_settings.client_secret" in text and "must not be empty" in text, r
    assert "unknown key 'tenant'" in text, r


def test_explain_scope_names_the_nested_group_path_and_the_guest(ws, emu):
    """`explain` step 2 (issue 18): the scope as the Graph source decided it while reading:
    the chain of nested groups (walked up through memberOf), a direct member, a guest left
    out by source.include_guests."""
    emu.call("POST", "/_emulator/groups", {"id": "bbbbbbbb-0000-4000-8000-000000000001",
                                           "displayName": "Phones",
                                           "members": [SUPPORT["id"], graph_user(2)["id"],
                                                       graph_user(7)["id"]]})
    configure(ws, emu, extra="          groups: [Phones]")

    def explain(name):
        r = run(ws, "explain", name, "-f", "json")
        assert r.code == 0, r
        return r.json()

    def steps(e):
        return {s["what"]: s for s in e["scope"]}

    emu.clear_log()
    nested = steps(explain("user6"))
    assert nested["in scope"]["outcome"] == "yes"
    assert nested["group"]["outcome"] == "in"
    assert nested["group"]["detail"].endswith(
        'through nested groups: user -> "Dept Support" -> "Phones"'), nested["group"]
    assert nested["guest"]["outcome"] == "in" and "userType Member" in nested["guest"]["detail"]
    # The chain costs requests for the traced user only: its memberOf, then its groups'.
    member_of = sorted(e["path"].split("?")[0] for e in emu.log() if "/memberOf" in e["path"])
    assert member_of == sorted([f"/v1.0/groups/{ALL['id']}/memberOf",
                                f"/v1.0/groups/{SUPPORT['id']}/memberOf",
                                f"/v1.0/users/{graph_user(6)['id']}/memberOf"]), member_of

    direct = steps(explain("user2@contoso.example"))
    assert direct["group"]["detail"].endswith('"Phones" (source.groups): a direct member')

    guest = explain("user7")
    assert guest["out_of_scope"] is True and guest["in_source"] is False
    left_out = steps(guest)
    assert left_out["in scope"]["outcome"] == "no"
    assert left_out["guest"]["outcome"] == "out"
    assert "source.include_guests is false" in left_out["guest"]["detail"]

    table = run(ws, "explain", "user6")
    assert table.code == 0, table
    assert '"Dept Support" -> "Phones"' in table.out, table.out

    # A preview traces nothing: no memberOf walk in a normal read.
    emu.clear_log()
    assert run(ws, "preview").code in (0, 4)
    assert not [e for e in emu.log() if "/memberOf" in e["path"]]


def test_explain_fresh_reads_the_one_user_instead_of_the_mirror(ws, emu):
    """`explain USER --fresh` (issue 18): on a tenant read from the source mirror (delta),
    the user is read again from Graph alone (GET /users/{id} with the mapping's $select and
    $expand=memberOf), and step 1 says so."""
    configure(ws, emu)
    assert run(ws, "sync").code == 0
    path = f"/v1.0/users/{graph_user(3)['id']}"
    emu.clear_log()
    mirror = run(ws, "explain", "user3", "-f", "json")
    assert mirror.code == 0, mirror
    mirror = mirror.json()
    assert mirror["source"]["read_from"].startswith("the source mirror"), mirror["source"]
    assert not [e for e in emu.log() if e["path"].startswith(path)]

    emu.clear_log()
    fresh = run(ws, "explain", "user3", "--fresh", "-f", "json")
    assert fresh.code == 0, fresh
    fresh = fresh.json()
    assert fresh["source"]["read_from"] == (
        "a fresh read of this one object from the source (not the mirror)"), fresh["source"]
    one = [e["path"] for e in emu.log() if e["path"].startswith(path + "?")]
    assert len(one) == 1 and "$expand=memberOf" in one[0] and "$select=" in one[0], one
    assert fresh["result"] == mirror["result"]
    assert fresh["source"]["attributes"] == mirror["source"]["attributes"]

    # Gone at the source since the last read: the fresh read says so.
    emu.call("DELETE", f"/_emulator/users/{graph_user(3)['id']}")
    gone = run(ws, "explain", "user3", "--fresh", "-f", "json")
    assert gone.code == 0, gone
    assert gone.json()["in_source"] is False
    assert gone.json()["result"]["action"] in ("pending_delete", "delete"), gone.json()["result"]


def test_a_delta_read_asks_graph_which_changed_users_the_filter_keeps(ws, emu):
    """Graph's /users/delta filters on id only, so a delta read asks Graph which changed users
    source.filter keeps: GET /users?$filter=(<filter>) and id in (...), 15 ids a request at
    most (Microsoft's limit on `in` by default). A changed user the filter now leaves out is
    sent as deleted, as a full read would leave it out; one it keeps is read whole."""
    configure(ws, emu, extra="          filter: \"department eq 'Sales'\"")
    _, first, r = dump(ws)
    assert first["complete"] and first["objects"] == 5, r  # users 1-5; 6 is in Support
    emu.call("POST", "/_emulator/users", user(3, department="Support"))
    emu.call("POST", "/_emulator/users", user(2, jobTitle="Boss"))
    for i in range(20, 37):  # 17 new users in Sales
        emu.call("POST", "/_emulator/users", user(i))
    emu.call("POST", "/_emulator/users", user(40, department="Support"))
    emu.clear_log()
    objects, s, r = dump(ws, "--cursor", first["cursor"])
    assert s["complete"] and s["delta"], r
    by_id = {o["id"]: o for o in objects}
    assert by_id[graph_user(3)["id"]]["deleted"] is True
    assert by_id[graph_user(40)["id"]]["deleted"] is True
    assert by_id[graph_user(2)["id"]]["deleted"] is False
    assert by_id[graph_user(2)["id"]]["attributes"]["jobTitle"] == ["Boss"]
    kept = sorted(o["id"] for o in objects if not o["deleted"])
    assert kept == sorted([graph_user(2)["id"]] + [graph_user(i)["id"] for i in range(20, 37)])
    asked = [urllib.parse.unquote(e["path"]) for e in emu.log()
             if e["path"].startswith("/v1.0/users?$filter=")]
    # 20 changed users: 15 and 5 ids, each request a default query Graph answers.
    assert len(asked) == 2, asked
    assert all("(department eq 'Sales') and id in (" in a for a in asked), asked
    assert sorted(a.count("'00000000-") for a in asked) == [5, 15], asked
    assert all(e["status"] == 200 for e in emu.log() if e["path"].startswith("/v1.0/users?$filter="))
    # The users the filter left out are not read one by one.
    assert not [e for e in emu.log()
                if e["path"].startswith(f"/v1.0/users/{graph_user(3)['id']}")]


def test_explain_fresh_asks_graph_the_source_filter(ws, emu):
    """`explain USER --fresh` (issue 18) honours source.filter: Graph takes $filter on lists
    only, so the fresh read asks GET /users?$filter=(<filter>) and id eq '<id>' for the one
    user. A user the filter now leaves out is out of scope "by the source filter"."""
    configure(ws, emu, extra="          filter: \"department eq 'Sales'\"")
    assert run(ws, "sync").code == 0
    uid = graph_user(3)["id"]
    emu.call("POST", "/_emulator/users", user(3, department="Support"))

    emu.clear_log()
    r = run(ws, "explain", "user3", "--fresh", "-f", "json")
    assert r.code == 0, r
    doc = r.json()
    steps = {s["what"]: s for s in doc["scope"]}
    assert doc["out_of_scope"] is True and doc["in_source"] is False, doc
    assert doc["source"]["read_from"] == (
        "a fresh read of this one object from the source (not the mirror)"), doc["source"]
    assert steps["filter"]["outcome"] == "out", steps
    assert "by the source filter" in steps["filter"]["detail"], steps
    asked = [urllib.parse.unquote(e["path"]) for e in emu.log()
             if e["path"].startswith("/v1.0/users?$filter=")]
    # Asked twice: by the delta read (user3 changed) and by the fresh read of the one user.
    assert len(asked) == 2 and all(f"id in ('{uid}')" in a for a in asked), asked

    # A user the filter keeps: in scope, and the filter step says Graph was asked.
    r = run(ws, "explain", "user2", "--fresh", "-f", "json")
    steps = {s["what"]: s for s in r.json()["scope"]}
    assert r.json()["in_source"] is True and steps["filter"]["outcome"] == "in", steps

    # A filter only advanced queries support (not): asked again with ConsistencyLevel:
    # eventual and $count=true, as Microsoft documents (the emulator refuses it otherwise).
    configure(ws, emu, extra="          filter: \"not(department eq 'Support')\"")
    emu.clear_log()
    r = run(ws, "explain", "user3", "--fresh", "-f", "json")
    assert r.code == 0, r
    steps = {s["what"]: s for s in r.json()["scope"]}
    assert r.json()["out_of_scope"] is True and steps["filter"]["outcome"] == "out", steps
    asked = [(e["path"], e["status"]) for e in emu.log()
             if e["path"].startswith("/v1.0/users?$filter=")]
    # The delta read's check and the fresh read's each: refused as a default query, answered
    # as an advanced one.
    assert [s for _, s in asked] == [400, 200, 400, 200], asked
    assert all("$count=true" in p for p, s in asked if s == 200), asked
