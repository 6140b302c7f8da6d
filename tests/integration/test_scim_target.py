"""The SCIM 2.0 client target (issue 17 §2) against two real SCIM services: the npm
scimmy + scimmy-routers server (a third-party implementation, tests/fixtures/scim-target)
and a second telsync's own SCIM server (`telsync serve` with a SCIM profile).

Created, changed and deleted users arrive; a second publish writes nothing; a user created
by hand on the server is never touched; a user deleted there by hand is repaired by
`targets publish --full`.
"""
import json
import os
import signal
import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import BIN, REPO, Workspace, config, graph_user

PEER = REPO / "tests" / "fixtures" / "scim-target"
TOKEN = "test-token-0123456789"
ENV = {"SCIM_TOKEN": TOKEN}
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def call(base, method, path, body=None, token=TOKEN):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/scim+json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            text = resp.read().decode()
            return resp.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        return e.code, text


class Scimmy:
    def __init__(self):
        if not (PEER / "node_modules" / "scimmy").exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=PEER,
                           check=True, timeout=600)
        self.proc = subprocess.Popen(["node", str(PEER / "server.js"), "0", TOKEN],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("PORT "), line
        self.root = f"http://127.0.0.1:{int(line.split()[1])}"
        self.url = self.root + "/scim/v2"

    def stats(self):
        with urllib.request.urlopen(self.root + "/stats", timeout=10) as resp:
            return json.loads(resp.read())

    def users(self):
        return {u["userName"]: u for u in self.stats()["users"]}

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def scimmy():
    s = Scimmy()
    yield s
    s.stop()


def setup_tenant(ws, url, users, extra=""):
    ws.users_json(users)
    config(ws)
    cfg = (ws.path / "telsync.yaml").read_text()
    cfg = cfg.replace("  - name: acme\n", "  - name: acme\n    targets:\n"
                      f"      - {{name: saas, type: scim, url: \"{url}\", "
                      f"token: \"${{env:SCIM_TOKEN}}\"{extra}}}\n", 1)
    (ws.path / "telsync.yaml").write_text(cfg)


def run(ws, *args, env=None):
    return ws.run(*args, env=dict(ENV, **(env or {})))


def status(ws):
    r = run(ws, "targets", "status", "-f", "json")
    assert r.code == 0, r
    (target,) = r.json()
    return target


def user_ids(ws):
    r = run(ws, "users", "list", "-f", "json")
    assert r.code == 0, r
    return r.json()


def test_users_arrive_at_scimmy_changes_are_patched_and_hand_made_users_are_left_alone(
        ws, scimmy):
    # Made by hand on the server: one telsync never syncs, one with the userName of a
    # directory user but another system's externalId, one telsync adopts (no externalId).
    manual = {"schemas": [USER_SCHEMA], "userName": "manual.person", "externalId": "hr-42",
              "displayName": "Manual Person", "active": True}
    other = {"schemas": [USER_SCHEMA], "userName": "user3",
             "externalId": "other-system-3", "displayName": "Someone Else"}
    adopt = {"schemas": [USER_SCHEMA], "userName": "user2",
             "displayName": "Old Name"}
    for u in (manual, other, adopt):
        code, _ = call(scimmy.url, "POST", "/Users", u)
        assert code == 201
    before = scimmy.users()

    setup_tenant(ws, scimmy.url, [graph_user(1, mobilePhone="+46 70 123 45 67"), graph_user(2),
                           graph_user(3)])
    r = run(ws, "sync")
    assert r.code == 0, r
    users = scimmy.users()
    u1 = users["user1"]
    assert u1["externalId"].startswith("acme:")
    assert u1["name"] == {"givenName": "User", "familyName": "Number1"}
    assert u1["displayName"] == "User 1" and u1["active"] is True
    assert {"type": "work", "value": "user1@contoso.example"} in [
        {k: e[k] for k in ("type", "value")} for e in u1["emails"]]
    phones = {e["type"]: e["value"] for e in u1["phoneNumbers"]}
    assert phones == {"work": "+46850000001", "mobile": "+46701234567"}
    assert u1["title"] == "Seller" and u1[ENTERPRISE]["department"] == "Sales"
    # Adopted: the same server id, now with telsync's externalId and the directory's state.
    u2 = users["user2"]
    assert u2["id"] == before["user2"]["id"]
    assert u2["externalId"].startswith("acme:") and u2["displayName"] == "User 2"
    # The other system's user is a conflict: left alone, the event refused.
    assert users["user3"] == before["user3"]
    assert users["manual.person"] == before["manual.person"]
    r = run(ws, "targets", "publish", "--full", "--dry-run")
    assert r.code == 0, r
    assert "conflict user" in r.out and "another system" in r.out, r

    # A second publish, a no-op sync and a full reconcile write nothing.
    writes = len(scimmy.stats()["writes"])
    for args in (("targets", "publish"), ("sync",), ("targets", "publish", "--full")):
        r = run(ws, *args)
        assert r.code == 0, r
        assert len(scimmy.stats()["writes"]) == writes, (args, scimmy.stats()["writes"][writes:])

    # Changes: a PATCH of the changed attributes only; a deleted user is deleted.
    ws.now += 60
    ws.users_json([graph_user(1, mobilePhone=None, jobTitle="Boss"), graph_user(3)])
    r = run(ws, "sync")
    assert r.code == 0, r
    new_writes = scimmy.stats()["writes"][writes:]
    assert sorted(w.split(" ")[0] for w in new_writes) == ["DELETE", "PATCH"], new_writes
    users = scimmy.users()
    assert "user2" not in users
    u1 = users["user1"]
    assert u1["title"] == "Boss"
    assert [e["type"] for e in u1["phoneNumbers"]] == ["work"]
    assert users["manual.person"] == before["manual.person"]
    assert users["user3"] == before["user3"]

    # Drift: user1 deleted on the server by hand; --full creates it again.
    code, _ = call(scimmy.url, "DELETE", f"/Users/{u1['id']}")
    assert code == 204
    r = run(ws, "targets", "publish", "--full", "--dry-run")
    assert r.code == 0, r
    assert "create user user1" in r.out, r
    r = run(ws, "targets", "publish", "--full")
    assert r.code == 0, r
    users = scimmy.users()
    assert users["user1"]["title"] == "Boss"
    assert users["manual.person"] == before["manual.person"]
    assert TOKEN not in r.out + r.err


def test_the_server_down_then_back_catches_up_and_deactivate_keeps_the_user(ws, scimmy):
    setup_tenant(ws, scimmy.url, [graph_user(1), graph_user(2)], extra=", on_delete: deactivate")
    assert run(ws, "sync").code == 0
    assert set(scimmy.users()) == {"user1", "user2"}
    url = scimmy.url
    scimmy.stop()
    ws.users_json([graph_user(1, jobTitle="Boss")])
    r = run(ws, "sync")
    assert r.code == 0, r
    s = status(ws)
    assert s["lag"] == 2 and "cannot reach" in s["last_error"], s

    # The same service back on another port (in memory: it starts empty) — what telsync
    # owned there is gone, so the events create user1 again; user2 stays away.
    fresh = Scimmy()
    try:
        cfg = (ws.path / "telsync.yaml").read_text().replace(url, fresh.url)
        (ws.path / "telsync.yaml").write_text(cfg)
        r = run(ws, "targets", "publish")
        assert r.code == 0, r
        assert status(ws)["lag"] == 0
        users = fresh.users()
        assert set(users) == {"user1"} and users["user1"][
            "title"] == "Boss"
        # on_delete: deactivate
        ws.users_json([graph_user(3)])
        r = run(ws, "sync")
        assert r.code == 0, r
        users = fresh.users()
        assert set(users) == {"user1", "user3"}, (users, r, fresh.stats()["writes"])
        assert users["user1"]["active"] is False and users["user3"]["active"] is True
    finally:
        fresh.stop()


REMOTE_CONFIG = """\
store: telsync.db
tenants:
  - name: remote
    profiles:
      - name: inbound
        source: {type: scim}
        policy: {grace_days: 0, max_deletes: -1, max_delete_percent: -1}
"""


class TelsyncScim:
    """A second telsync whose SCIM server is the target."""

    def __init__(self, path):
        path.mkdir()
        self.ws = Workspace(path)
        self.ws.write("telsync.yaml", REMOTE_CONFIG)
        r = self.ws.run("scim", "token", "create", "remote", "--label", "upstream")
        assert r.code == 0, r
        self.token = r.out.strip()
        env = dict(os.environ, TELSYNC_NOW=str(self.ws.now))
        self.proc = subprocess.Popen(
            [BIN, "-c", str(path / "telsync.yaml"), "serve", "--listen", "127.0.0.1:0"],
            cwd=path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("listening on http://"), line
        self.url = line.split()[-1].strip() + "/scim/v2/remote"

    def users(self):
        code, body = call(self.url, "GET", "/Users?startIndex=1&count=100", token=self.token)
        assert code == 200, body
        return {u["userName"]: u for u in body.get("Resources", [])}

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def test_users_arrive_at_a_second_telsyncs_scim_server(ws, tmp_path):
    remote = TelsyncScim(tmp_path / "remote")
    try:
        code, _ = call(remote.url, "POST", "/Users",
                       {"schemas": [USER_SCHEMA], "userName": "manual@remote.example",
                        "externalId": "by-hand", "active": True}, token=remote.token)
        assert code == 201
        before = remote.users()["manual@remote.example"]
        setup_tenant(ws, remote.url, [graph_user(1), graph_user(2)])
        r = run(ws, "sync", env={"SCIM_TOKEN": remote.token})
        assert r.code == 0, r
        assert status_with(ws, remote)["last_error"] == ""
        users = remote.users()
        assert {"user1", "user2"} <= set(users)
        u1 = users["user1"]
        assert u1["externalId"].startswith("acme:") and u1["displayName"] == "User 1"
        assert u1[ENTERPRISE]["department"] == "Sales"
        versions = {k: u["meta"].get("version") or u["meta"].get("lastModified")
                    for k, u in users.items()}

        # A second publish writes nothing.
        r = run(ws, "targets", "publish", "--full", env={"SCIM_TOKEN": remote.token})
        assert r.code == 0, r
        assert "update" not in r.out and "create" not in r.out, r
        users = remote.users()
        assert {k: u["meta"].get("version") or u["meta"].get("lastModified")
                for k, u in users.items()} == versions

        # Changed and deleted users arrive; the hand-made one is left alone.
        ws.now += 60
        ws.users_json([graph_user(1, jobTitle="Boss")])
        r = run(ws, "sync", env={"SCIM_TOKEN": remote.token})
        assert r.code == 0, r
        users = remote.users()
        assert "user2" not in users
        assert users["user1"]["title"] == "Boss"
        assert users["manual@remote.example"] == before
    finally:
        remote.stop()


def status_with(ws, remote):
    r = run(ws, "targets", "status", "-f", "json", env={"SCIM_TOKEN": remote.token})
    assert r.code == 0, r
    (target,) = r.json()
    return target


def test_scim_config_errors(ws):
    setup_tenant(ws, "http://127.0.0.1:9/scim/v2", [graph_user(1)],
          extra=", on_delete: sometimes, secret: x")
    r = run(ws, "check-config")
    assert r.code == 2, r
    assert "tenants[0].targets[0].on_delete" in r.out, r
    assert "tenants[0].targets[0].secret" in r.out, r
