"""SCIM 2.0 server for Entra ID provisioning (issue 6): the real `telsync serve`, driven
request by request with the sequences Entra's provisioning service sends (Microsoft:
"Tutorial: Develop and plan provisioning for a SCIM endpoint" and "Known issues and
resolutions with SCIM 2.0 protocol compliance"), then the PBX users checked with the CLI."""
import http.client
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import BIN

CONFIG = """\
store: telsync.db
tenants:
  - name: acme
    profiles:
      - name: entra
        source: {type: scim}
        policy: {grace_days: 0, max_deletes: -1, max_delete_percent: -1}
  - name: globex
    profiles:
      - name: entra
        source: {type: scim}
        policy: {grace_days: 0, max_deletes: -1, max_delete_percent: -1}
"""

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


class Server:
    def __init__(self, ws, *args):
        self.ws = ws
        env = dict(os.environ, TELSYNC_NOW=str(ws.now))
        self.proc = subprocess.Popen(
            [BIN, "-c", str(ws.path / "telsync.yaml"), "serve", "--listen", "127.0.0.1:0", *args],
            cwd=ws.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("listening on http://"), (line, self.proc.stderr.read())
        self.base = line.split()[-1].strip()

    def call(self, method, path, body=None, token=None, headers=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/scim+json")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                text = resp.read().decode()
                return resp.status, (json.loads(text) if text else None), dict(resp.headers)
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            try:
                doc = json.loads(text)
            except ValueError:
                doc = text
            return e.code, doc, dict(e.headers)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def scim(ws):
    ws.write("telsync.yaml", CONFIG)
    tokens = {}
    for tenant in ("acme", "globex"):
        r = ws.run("scim", "token", "create", tenant, "--label", "entra")
        assert r.code == 0, r
        tokens[tenant] = r.out.strip()
        assert len(tokens[tenant]) == 43
    server = Server(ws)
    server.tokens = tokens
    yield server
    assert server.stop() == 0


def entra_user(user_name, given="Asa", family="Berg", phone="+46 8 50000001", department="Sales"):
    """Entra's Create User request (Microsoft's SCIM tutorial), with a phone and department."""
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": str(uuid.uuid4()),
        "userName": user_name,
        "active": True,
        "displayName": f"{given} {family}",
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        "phoneNumbers": [{"type": "work", "value": phone}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": f"{given} {family}", "familyName": family, "givenName": given},
        ENTERPRISE: {"department": department, "employeeNumber": "701984"},
        "roles": [],
    }


def patch(*operations):
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def wait_for(ws, username, check, tenant="acme", timeout=15):
    """Polls `telsync users show` until check(user or None) holds (the applier is async)."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        r = ws.run("-p", tenant, "users", "show", username)
        last = json.loads(r.out) if r.code == 0 else None
        if check(last):
            return last
        time.sleep(0.2)
    raise AssertionError(f"{username}: condition not met; last state {last}")


def test_entra_user_lifecycle_reaches_the_pbx(ws, scim):
    tok = scim.tokens["acme"]
    # Test Connection: a filter on a random GUID, answered with an empty ListResponse.
    status, body, _ = scim.call("GET", f'/scim/v2/acme/Users?filter=userName+eq+%22{uuid.uuid4()}%22', token=tok)
    assert status == 200
    assert body["totalResults"] == 0 and body["Resources"] == []
    # Entra first looks the user up by its matching attribute, then creates it.
    status, body, _ = scim.call("GET", "/scim/v2/acme/Users?filter=userName%20eq%20%22asa%40acme.example%22", token=tok)
    assert (status, body["totalResults"]) == (200, 0)
    status, user, headers = scim.call("POST", "/scim/v2/acme/Users", entra_user("asa@acme.example"), token=tok)
    assert status == 201, user
    uid = user["id"]
    assert user["meta"]["version"] == 'W/"1"' and headers["ETag"] == 'W/"1"'
    assert headers["Location"].endswith("/scim/v2/acme/Users/" + uid)
    pbx = wait_for(ws, "asa", lambda u: u is not None)
    assert pbx["email"] == "asa@acme.example"
    assert pbx["first_name"] == "Asa" and pbx["last_name"] == "Berg"
    assert pbx["department"] == "Sales"
    assert pbx["source_key"] == uid and pbx["searchable"] is True

    status, body, _ = scim.call("GET", '/scim/v2/acme/Users?filter=userName%20eq%20%22ASA%40acme.example%22', token=tok)
    assert body["totalResults"] == 1 and body["Resources"][0]["id"] == uid

    # Update: Entra's multi-valued and sub-attribute replace.
    status, user, _ = scim.call("PATCH", f"/scim/v2/acme/Users/{uid}", patch(
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "asa.berg@acme.example"},
        {"op": "Replace", "path": "name.familyName", "value": "Lind"}), token=tok)
    assert status == 200, user
    assert user["name"]["familyName"] == "Lind"
    wait_for(ws, "asa", lambda u: u and u["last_name"] == "Lind" and u["email"] == "asa.berg@acme.example")

    # Replace without a path and dotted keys (aadOptscim062020).
    status, user, _ = scim.call("PATCH", f"/scim/v2/acme/Users/{uid}", patch(
        {"op": "replace", "value": {"name.givenName": "Åsa", ENTERPRISE + ":department": "Support"}}), token=tok)
    assert status == 200, user
    wait_for(ws, "asa", lambda u: u and u["first_name"] == "Åsa" and u["department"] == "Support")

    # Disable: "active": "False" as a string; the profile's policy makes it unsearchable.
    status, user, _ = scim.call("PATCH", f"/scim/v2/acme/Users/{uid}", patch(
        {"op": "Replace", "path": "active", "value": "False"}), token=tok)
    assert status == 200 and user["active"] is False
    wait_for(ws, "asa", lambda u: u and u["searchable"] is False)

    # Hard delete after the soft delete: gone from the PBX (grace_days 0).
    status, _, _ = scim.call("DELETE", f"/scim/v2/acme/Users/{uid}", token=tok)
    assert status == 204
    status, body, _ = scim.call("GET", f"/scim/v2/acme/Users/{uid}", token=tok)
    assert status == 404 and body["schemas"] == [ERROR] and body["status"] == "404"
    wait_for(ws, "asa", lambda u: u is None)
    runs = ws.run("-p", "acme", "runs", "list")
    assert runs.code == 0 and "sync" in runs.out, runs


def test_entra_group_sequence_and_rename(ws, scim):
    tok = scim.tokens["acme"]
    ids = []
    for i, name in enumerate(("bo@acme.example", "cy@acme.example")):
        status, user, _ = scim.call("POST", "/scim/v2/acme/Users",
                                    entra_user(name, phone=f"+46 8 5000001{i}"), token=tok)
        assert status == 201
        ids.append(user["id"])
    # Group create as Entra sends it (with the Microsoft ADSCIM schema beside the core one).
    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                         "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
             "externalId": str(uuid.uuid4()), "displayName": "Sales", "meta": {"resourceType": "Group"}}
    status, body, _ = scim.call("GET", "/scim/v2/acme/Groups?excludedAttributes=members&filter=displayName+eq+%22Sales%22", token=tok)
    assert (status, body["totalResults"]) == (200, 0)
    status, created, _ = scim.call("POST", "/scim/v2/acme/Groups", group, token=tok)
    assert status == 201, created
    gid = created["id"]
    # Member add, then removal by value list and by filter path: each PATCH answers 204.
    status, body, _ = scim.call("PATCH", f"/scim/v2/acme/Groups/{gid}", patch(
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": ids[0]}, {"$ref": None, "value": ids[1]}]}),
        token=tok)
    assert status == 204 and body is None
    status, got, _ = scim.call("GET", f"/scim/v2/acme/Groups/{gid}", token=tok)
    assert sorted(m["value"] for m in got["members"]) == sorted(ids)
    status, got, _ = scim.call("GET", f"/scim/v2/acme/Groups/{gid}?excludedAttributes=members", token=tok)
    assert "members" not in got and got["displayName"] == "Sales"
    # Rename (seed 004's vendor cannot; we can).
    status, _, _ = scim.call("PATCH", f"/scim/v2/acme/Groups/{gid}", patch(
        {"op": "Replace", "path": "displayName", "value": "Sales EMEA"}), token=tok)
    assert status == 204
    status, _, _ = scim.call("PATCH", f"/scim/v2/acme/Groups/{gid}", patch(
        {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": ids[0]}]}), token=tok)
    assert status == 204
    status, _, _ = scim.call("PATCH", f"/scim/v2/acme/Groups/{gid}", patch(
        {"op": "Remove", "path": f'members[value eq "{ids[1]}"]'}), token=tok)
    assert status == 204
    status, got, _ = scim.call("GET", f"/scim/v2/acme/Groups/{gid}", token=tok)
    assert got["displayName"] == "Sales EMEA" and "members" not in got
    status, body, _ = scim.call("GET", "/scim/v2/acme/Groups?filter=displayName+eq+%22sales+emea%22", token=tok)
    assert body["totalResults"] == 1
    status, _, _ = scim.call("DELETE", f"/scim/v2/acme/Groups/{gid}", token=tok)
    assert status == 204
    wait_for(ws, "cy", lambda u: u is not None)


def test_pbx_problem_is_a_run_item_not_a_failed_request(ws, scim):
    tok = scim.tokens["acme"]
    status, user, _ = scim.call("POST", "/scim/v2/acme/Users",
                                entra_user("dee@acme.example", phone="+46 70"), token=tok)
    assert status == 201, user
    deadline = time.time() + 15
    found = False
    while time.time() < deadline and not found:
        runs = ws.run("-p", "acme", "runs", "list")
        for line in runs.out.splitlines()[1:]:
            parts = line.split()
            if parts and parts[0].isdigit():
                shown = ws.run("-p", "acme", "runs", "show", parts[0], "--format", "json")
                if "+46 70" in shown.out:
                    found = True
        time.sleep(0.2)
    assert found, "no run item names the bad number"
    assert ws.run("-p", "acme", "users", "show", "dee").code != 0


def test_bad_input_is_a_clear_4xx_and_changes_nothing(ws, scim):
    tok, other = scim.tokens["acme"], scim.tokens["globex"]
    status, user, _ = scim.call("POST", "/scim/v2/acme/Users", entra_user("eve@acme.example"), token=tok)
    assert status == 201
    uid = user["id"]
    status, foreign, _ = scim.call("POST", "/scim/v2/globex/Users", entra_user("fay@globex.example", phone="+46 8 50000099"), token=other)
    assert status == 201

    cases = [
        (("POST", "/scim/v2/acme/Users"), {"raw": b'{"schemas": [', "token": tok}, 400, "invalidSyntax"),
        (("POST", "/scim/v2/acme/Users"), {"body": {"schemas": [USER_SCHEMA, "urn:example:unknown"], "userName": "x"},
                                           "token": tok}, 400, "invalidValue"),
        (("GET", "/scim/v2/acme/Users?filter=userName+eq"), {"token": tok}, 400, "invalidFilter"),
        (("GET", "/scim/v2/acme/Users?filter=userName+eq+%22a%22+and+%28"), {"token": tok}, 400, "invalidFilter"),
        (("PATCH", f"/scim/v2/acme/Users/{uid}"), {"body": patch({"op": "replace", "path": "emails[type eq", "value": "x"}),
                                                   "token": tok}, 400, "invalidPath"),
        (("POST", "/scim/v2/acme/Users"), {"body": entra_user("EVE@acme.example"), "token": tok}, 409, "uniqueness"),
        (("GET", "/scim/v2/acme/Users"), {"token": "wrong"}, 401, None),
        (("GET", "/scim/v2/acme/Users"), {}, 401, None),
        (("GET", "/scim/v2/acme/Users"), {"token": other}, 401, None),  # globex's token, acme's URL
        (("GET", f"/scim/v2/globex/Users/{uid}"), {"token": other}, 404, None),  # acme's id via globex
        (("GET", f"/scim/v2/acme/Users/{foreign['id']}"), {"token": tok}, 404, None),
        (("DELETE", f"/scim/v2/acme/Users/{foreign['id']}"), {"token": tok}, 404, None),
        (("PUT", f"/scim/v2/acme/Users/{uid}"), {"body": entra_user("eve@acme.example"), "token": tok,
                                                 "headers": {"If-Match": 'W/"99"'}}, 412, None),
        (("GET", "/scim/v2/acme/Nothing"), {"token": tok}, 404, None),
    ]
    for (method, path), kw, want, scim_type in cases:
        status, body, headers = scim.call(method, path, **kw)
        assert status == want, (method, path, status, body)
        assert isinstance(body, dict) and body["schemas"] == [ERROR] and body["status"] == str(want), body
        assert body.get("scimType") == scim_type, body
        assert tok not in json.dumps(body) and other not in json.dumps(body)
        if want == 401:
            assert "Bearer" in headers.get("WWW-Authenticate", "")
    # Another tenant's user as a group member: 400, no group created.
    status, body, _ = scim.call("POST", "/scim/v2/acme/Groups", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "X",
        "members": [{"value": foreign["id"]}]}, token=tok)
    assert status == 400 and body["scimType"] == "invalidValue"
    status, body, _ = scim.call("GET", "/scim/v2/acme/Groups", token=tok)
    assert body["totalResults"] == 0
    # Nothing changed: one user each, eve at version 1.
    status, body, _ = scim.call("GET", "/scim/v2/acme/Users", token=tok)
    assert body["totalResults"] == 1 and body["Resources"][0]["meta"]["version"] == 'W/"1"'
    status, body, _ = scim.call("GET", "/scim/v2/globex/Users", token=other)
    assert body["totalResults"] == 1 and body["Resources"][0]["userName"] == "fay@globex.example"


def test_oversize_body_rate_limit_and_discovery(ws):
    ws.write("telsync.yaml", CONFIG)
    tok = ws.run("scim", "token", "create", "acme").out.strip()
    server = Server(ws, "--max-body", "2000", "--rate-limit", "5")
    try:
        big = entra_user("big@acme.example")
        big["title"] = "x" * 5000
        status, body, _ = server.call("POST", "/scim/v2/acme/Users", big, token=tok)
        assert status == 413 and body["schemas"] == [ERROR]
        status, body, _ = server.call("GET", "/scim/v2/acme/ServiceProviderConfig", token=tok)
        assert status == 200 and body["patch"]["supported"] and body["etag"]["supported"]
        status, body, _ = server.call("GET", "/scim/v2/acme/ResourceTypes", token=tok)
        assert body["totalResults"] == 2
        status, body, _ = server.call("GET", "/scim/v2/acme/Schemas", token=tok)
        assert {s["id"] for s in body["Resources"]} >= {USER_SCHEMA, ENTERPRISE}
        statuses = [server.call("GET", "/scim/v2/acme/Users", token=tok)[0] for _ in range(20)]
        assert 429 in statuses
        status, body, headers = server.call("GET", "/scim/v2/acme/Users", token=tok)
        if status == 429:
            assert int(headers["Retry-After"]) >= 1
        status, body, _ = server.call("GET", "/healthz")
        assert status == 200 and body["status"] == "ok"
        status, _, _ = server.call("GET", "/scim/v2/acme/Users", token=tok)
        # nothing was created by the oversize request
    finally:
        assert server.stop() == 0
    assert ws.run("-p", "acme", "users", "list", "--format", "json").json() == []


def test_token_list_revoke_and_sigterm_applies_pending(ws):
    ws.write("telsync.yaml", CONFIG)
    r = ws.run("scim", "token", "create", "acme", "--label", "entra prod")
    tok = r.out.strip()
    listed = ws.run("scim", "token", "list", "acme")
    assert listed.code == 0 and "entra prod" in listed.out and tok not in listed.out
    server = Server(ws)
    status, _, _ = server.call("POST", "/scim/v2/acme/Users", entra_user("gus@acme.example"), token=tok)
    assert status == 201
    assert server.stop() == 0  # SIGTERM right after the request: the change is still applied
    assert tok not in server.proc.stderr.read()
    assert ws.run("-p", "acme", "users", "show", "gus").code == 0
    assert ws.run("scim", "token", "revoke", "acme").code == 0
    assert ws.run("scim", "token", "revoke", "nosuch").code == 2
    server = Server(ws)
    try:
        status, _, _ = server.call("GET", "/scim/v2/acme/Users", token=tok)
        assert status == 401
    finally:
        assert server.stop() == 0


def test_acknowledged_writes_survive_a_sigkill(ws):
    """Issue 14 item 1: every POST answered 201 reaches the PBX directory, even when
    `serve` is SIGKILLed mid-burst before its applier ran: the pending ids are kept in the
    store with the write, and the next start applies them. None is applied twice."""
    import concurrent.futures
    import threading

    ws.write("telsync.yaml", CONFIG)
    tok = ws.run("scim", "token", "create", "acme", "--label", "entra").out.strip()
    server = Server(ws, "--rate-limit", "100000")  # the burst is the test, not the limit
    created = []
    lock = threading.Lock()
    enough = threading.Event()

    def post(i):
        if enough.is_set():
            return
        try:
            status, body, _ = server.call(
                "POST", "/scim/v2/acme/Users",
                entra_user(f"k{i}@acme.example", phone=f"+46 8 5{i:07d}"), token=tok)
        except (OSError, http.client.HTTPException):
            # The server was killed under this request: it was never answered whole (a
            # status line without its body is no acknowledgement either).
            return
        if status == 201:
            with lock:
                created.append((f"k{i}", body["id"]))
                if len(created) >= 150:
                    enough.set()

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(post, i) for i in range(600)]
        enough.wait(timeout=120)
        server.proc.kill()  # SIGKILL: no shutdown, nothing flushed by the process
        server.proc.wait()
        for f in futures:
            f.result()
    acknowledged = dict(created)
    assert len(acknowledged) >= 150

    server = Server(ws, "--rate-limit", "100000")
    try:
        deadline = time.time() + 60
        while True:
            r = ws.run("-p", "acme", "users", "list", "--limit", "10000", "-f", "json")
            assert r.code == 0, r
            users = r.json()
            present = {u["username"]: u for u in users}
            missing = [name for name in acknowledged if name not in present]
            if not missing or time.time() > deadline:
                break
            time.sleep(0.2)
        assert not missing, f"{len(missing)} acknowledged users never reached the PBX: {missing[:5]}"
        for name, sid in acknowledged.items():
            assert present[name]["source_key"] == sid
        keys = [u["source_key"] for u in users]
        assert len(keys) == len(set(keys)), "a user was created twice"
    finally:
        assert server.stop() == 0
