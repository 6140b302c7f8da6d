"""REST API (issue 7 item 2): the real `telsync serve`, called over HTTP with admin tokens
from `telsync admin token create`, compared with what the CLI says of the same store."""
import io
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
import zipfile

import pytest

from conftest import BIN, graph_user

CONFIG = """\
store: telsync.db
tenants:
  - name: acme
    profiles:
      - name: main
        source: {type: file, path: directory.json}
        policy: {grace_days: 0, max_deletes: 2, max_delete_percent: -1}
      - name: ad
        source:
          type: ldap
          url: ldap://127.0.0.1:1
          bind_dn: cn=reader,dc=acme
          bind_password: S3cret-Bind-Pw
          user_search_dn: dc=acme
  - name: globex
    profiles:
      - name: main
        source: {type: file, path: directory.json}
"""


class Api:
    def __init__(self, ws):
        env = dict(os.environ, TELSYNC_NOW=str(ws.now))
        self.proc = subprocess.Popen(
            [BIN, "-c", str(ws.path / "telsync.yaml"), "serve", "--listen", "127.0.0.1:0"],
            cwd=ws.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("listening on http://"), (line, self.proc.stderr.read())
        self.base = line.split()[-1].strip()

    def call(self, method, path, token=None, body=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def json(self, method, path, token=None, body=None, raw=None):
        status, data, _ = self.call(method, path, token, body, raw)
        return status, json.loads(data)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        err = self.proc.stderr.read()
        return self.proc.returncode, err


@pytest.fixture
def api(ws):
    ws.write("telsync.yaml", CONFIG)
    ws.users_json([graph_user(i) for i in range(1, 6)])
    tokens = {}
    for tenant in ("acme", "globex"):
        r = ws.run("admin", "token", "create", tenant, "--label", "test")
        assert r.code == 0, r
        tokens[tenant] = r.out.strip()
        assert len(tokens[tenant]) == 43
    server = Api(ws)
    server.tokens = tokens
    yield server
    code, err = server.stop()
    assert code == 0, err
    assert "S3cret-Bind-Pw" not in err
    for t in tokens.values():
        assert t not in err


def wait_job(api, tenant, job, token):
    for _ in range(300):
        status, doc = api.json("GET", f"/api/v1/tenants/{tenant}/jobs/{job}", token)
        assert status == 200, doc
        if doc["status"] in ("done", "failed"):
            return doc
        time.sleep(0.05)
    raise AssertionError("job did not finish: %r" % doc)


def sync(api, tok):
    status, started = api.json("POST", "/api/v1/tenants/acme/profiles/main/sync", tok)
    assert status == 202, started
    assert started["status"] == "queued"
    return wait_job(api, "acme", started["job"], tok)


def test_auth_failures_and_tenant_scope(ws, api):
    tok = api.tokens["acme"]
    for token in (None, "wrong-token", api.tokens["acme"][:-1] + "x"):
        status, doc = api.json("GET", "/api/v1/tenants/acme/runs", token)
        assert status == 401, doc
        assert doc["error"]["code"] == "unauthorized" and doc["error"]["field"] == "Authorization"
    # globex's token never sees acme's data: the answer of an unknown token (as on SCIM), the
    # same for a tenant that does not exist.
    assert sync(api, tok)["exit_code"] == 0
    unknown = api.json("GET", "/api/v1/tenants/acme/users", "no-such-token")[1]
    for path in ("/users", "/users/user1", "/runs", "/runs/1", "/runs/1/report?format=csv",
                 "/profiles", "/jobs/1"):
        status, data, _ = api.call("GET", "/api/v1/tenants/acme" + path, api.tokens["globex"])
        assert status == 401 and json.loads(data)["error"] == unknown["error"], (path, data)
        assert b"user1" not in data and b"contoso" not in data
    status, doc = api.json("GET", "/api/v1/tenants/nosuch/users", api.tokens["globex"])
    assert status == 401 and doc["error"] == unknown["error"], doc
    status, _ = api.json("POST", "/api/v1/tenants/acme/users/user1/unlink", api.tokens["globex"])
    assert status == 401
    assert ws.run("-p", "acme", "users", "show", "user1").json()["source_key"] != ""
    # A token revoked by another process (the CLI) stops working within the 5 s the
    # server caches a token lookup (README, "One authentication").
    assert api.json("GET", "/api/v1/tenants/globex/runs", api.tokens["globex"])[0] == 200
    assert ws.run("admin", "token", "revoke", "globex").code == 0
    revoked = time.monotonic()
    listed = ws.run("admin", "token", "list", "globex")
    assert listed.code == 0 and api.tokens["globex"] not in listed.out
    while api.json("GET", "/api/v1/tenants/globex/runs", api.tokens["globex"])[0] != 401:
        assert time.monotonic() - revoked < 5 + 2, "a revoked token still works after 5 s"
        time.sleep(0.1)


def test_bad_params_and_bodies_name_the_field(api):
    tok = api.tokens["acme"]
    cases = [
        ("GET", "/api/v1/tenants/acme/runs?limit=many", None, 400, "limit"),
        ("GET", "/api/v1/tenants/acme/runs?limit=0", None, 400, "limit"),
        ("GET", "/api/v1/tenants/acme/runs?profile=nope", None, 400, "profile"),
        ("GET", "/api/v1/tenants/acme/users?offset=-1", None, 400, "offset"),
        ("GET", "/api/v1/tenants/acme/runs/abc", None, 400, "id"),
        ("GET", "/api/v1/tenants/acme/runs/999", None, 404, "id"),
        ("GET", "/api/v1/tenants/acme/runs/1/items?action=fly", None, 400, "action"),
        ("GET", "/api/v1/tenants/acme/runs/1/report?format=pdf", None, 400, "format"),
        ("GET", "/api/v1/tenants/acme/jobs/77", None, 404, "id"),
        ("GET", "/api/v1/tenants/acme/users/nobody", None, 404, "name"),
        ("POST", "/api/v1/tenants/acme/profiles/main/preview", b"{not json", 400, "body"),
        ("POST", "/api/v1/tenants/acme/profiles/main/preview", b"[]", 400, "body"),
        ("POST", "/api/v1/tenants/acme/profiles/main/sync", b'{"user": 5}', 400, "body.user"),
        ("POST", "/api/v1/tenants/acme/profiles/main/sync", b'{"dry": true}', 400, "body.dry"),
        ("POST", "/api/v1/tenants/acme/profiles/nope/sync", None, 404, "profile"),
        ("POST", "/api/v1/tenants/acme/runs/999/approve", None, 404, "id"),
    ]
    for method, path, raw, code, field in cases:
        status, doc = api.json(method, path, tok, raw=raw)
        assert status == code, (path, doc)
        assert doc["error"]["field"] == field, (path, doc)
        assert doc["error"]["message"], (path, doc)
    status, doc = api.json("GET", "/api/v1/tenants/acme/nothing-here", tok)
    assert status == 404 and "error" in doc
    status, doc = api.json("DELETE", "/api/v1/tenants/acme/runs", tok)
    assert status == 405 and doc["error"]["code"] == "method_not_allowed"


def test_profiles_mask_secrets(api):
    status, data, _ = api.call("GET", "/api/v1/tenants/acme/profiles", api.tokens["acme"])
    assert status == 200
    assert b"S3cret-Bind-Pw" not in data
    profiles = {p["name"]: p for p in json.loads(data)["profiles"]}
    assert set(profiles) == {"main", "ad"}
    assert profiles["ad"]["source"]["bind_password"].startswith("********")
    assert profiles["main"]["source"]["path"] == "directory.json"
    assert profiles["main"]["policy"]["max_deletes"] == 2


def test_preview_equals_cli_preview_json(ws, api):
    tok = api.tokens["acme"]
    status, doc = api.json("POST", "/api/v1/tenants/acme/profiles/main/preview", tok)
    assert status == 200, doc
    cli = ws.run("-p", "acme/main", "preview", "-f", "json")
    assert cli.code == 0, cli
    expected = cli.json()
    assert doc.pop("run") != expected.pop("run")  # each preview is its own recorded run
    assert doc == expected
    assert doc["summary"]["create"] == 5
    # One user only, like `preview --user`.
    status, one = api.json("POST", "/api/v1/tenants/acme/profiles/main/preview", tok,
                           {"user": "user2@contoso.example"})
    assert status == 200, one
    assert one["summary"]["create"] == 1
    assert [i["key"] for i in one["items"] if i["action"] == "create"] == [graph_user(2)["id"]]


def test_sync_job_runs_and_reports(ws, api):
    tok = api.tokens["acme"]
    done = sync(api, tok)
    assert done["exit_code"] == 0 and done["run_id"] > 0
    assert done["progress"]["phase"] != ""
    run_id = done["run_id"]
    listed = ws.run("-p", "acme/main", "runs", "list")
    assert listed.code == 0 and any(l.split()[:1] == [str(run_id)] for l in listed.out.splitlines())
    status, runs = api.json("GET", "/api/v1/tenants/acme/runs?profile=main&limit=5", tok)
    assert status == 200
    assert runs["runs"][0]["id"] == run_id and runs["runs"][0]["status"] == "success"
    assert runs["last_successful_sync"]["main"] == run_id
    status, run = api.json("GET", f"/api/v1/tenants/acme/runs/{run_id}", tok)
    assert status == 200 and run["kind"] == "sync" and run["summary"]["create"] == 5
    # Items and the JSON report are `runs show -f json`.
    status, items = api.json("GET", f"/api/v1/tenants/acme/runs/{run_id}/items?action=create", tok)
    assert status == 200
    assert items == ws.run("-p", "acme", "runs", "show", str(run_id), "-f", "json",
                           "--action", "create").json()
    status, report = api.json("GET", f"/api/v1/tenants/acme/runs/{run_id}/report", tok)
    assert report == ws.run("-p", "acme", "runs", "show", str(run_id), "-f", "json").json()
    status, csv, headers = api.call("GET", f"/api/v1/tenants/acme/runs/{run_id}/report?format=csv", tok)
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    # RFC 4180 lines end in CRLF; the CLI's output is read in text mode (newlines folded).
    assert csv.decode().replace("\r\n", "\n") == ws.run("-p", "acme", "runs", "show", str(run_id), "-f", "csv").out
    status, html, headers = api.call("GET", f"/api/v1/tenants/acme/runs/{run_id}/report?format=html", tok)
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"<html" in html
    status, xlsx, headers = api.call("GET", f"/api/v1/tenants/acme/runs/{run_id}/report?format=xlsx", tok)
    assert status == 200
    assert headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f'filename="telsync-run-{run_id}.xlsx"' in headers["Content-Disposition"]
    assert "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(xlsx)).namelist()
    status, users = api.json("GET", "/api/v1/tenants/acme/users?limit=2&offset=1", tok)
    assert status == 200
    assert users == ws.run("-p", "acme", "users", "list", "-f", "json", "--limit", "2",
                           "--offset", "1").json()
    status, user = api.json("GET", "/api/v1/tenants/acme/users/user3@contoso.example", tok)
    assert status == 200 and user == ws.run("-p", "acme", "users", "show", "user3").json()
    status, unlinked = api.json("POST", "/api/v1/tenants/acme/users/user3/unlink", tok)
    assert status == 200 and unlinked["unlinked"] == user["username"]
    assert ws.run("-p", "acme", "users", "show", "user3").json()["source_key"] == ""


def test_held_run_approved_through_the_api(ws, api):
    tok = api.tokens["acme"]
    assert sync(api, tok)["exit_code"] == 0
    ws.users_json([graph_user(1)])  # 4 deletions > max_deletes 2: held
    held = sync(api, tok)
    assert held["exit_code"] == 3, held
    status, doc = api.json("POST", f"/api/v1/tenants/acme/runs/{held['run_id']}/approve",
                           api.tokens["globex"])
    assert status == 401  # globex's token on acme's URL: the answer of an unknown token
    status, started = api.json("POST", f"/api/v1/tenants/acme/runs/{held['run_id']}/approve", tok)
    assert status == 202, started
    done = wait_job(api, "acme", started["job"], tok)
    assert done["exit_code"] == 0, done
    assert len(ws.run("-p", "acme", "users", "list", "-f", "json").json()) == 1
    status, doc = api.json("POST", f"/api/v1/tenants/acme/runs/{held['run_id']}/approve", tok)
    assert status == 409 and doc["error"]["field"] == "id"


def test_concurrent_sync_of_one_profile_is_409(ws, api):
    tok = api.tokens["acme"]
    ws.users_json([graph_user(i) for i in range(1, 3001)])
    first = api.json("POST", "/api/v1/tenants/acme/profiles/main/sync", tok)
    second = api.json("POST", "/api/v1/tenants/acme/profiles/main/sync", tok)
    assert first[0] == 202
    assert second[0] == 409 and second[1]["error"]["code"] == "conflict", second
    wait_job(api, "acme", first[1]["job"], tok)


def test_openapi_document_lists_and_every_route_works(api):
    status, doc = api.json("GET", "/api/v1/openapi.json")
    assert status == 200
    assert doc["openapi"].startswith("3.0")
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    tok = api.tokens["acme"]
    assert sync(api, tok)["exit_code"] == 0
    fill = {"tenant": "acme", "profile": "main", "id": "1", "name": "user1", "target": "sip"}
    seen = 0
    for path, ops in doc["paths"].items():
        assert path.startswith("/api/v1/")
        for method, op in ops.items():
            assert op["operationId"] and any(c.startswith("2") for c in op["responses"])
            url = path
            for p in op.get("parameters", []):
                assert p["in"] in ("path", "query") and "schema" in p
                if p["in"] == "path":
                    # Token 1 is acme's own admin token: revoke one that does not exist.
                    value = "999" if "/tokens/" in path and p["name"] == "id" else fill[p["name"]]
                    url = url.replace("{%s}" % p["name"], value)
            if op.get("security") != []:
                assert "401" in op["responses"]
                status, _, _ = api.call(method.upper(), url)
                assert status == 401, url
            status, data, _ = api.call(method.upper(), url, tok)
            assert str(status) in op["responses"], (method, url, status, data)
            assert status != 401, (method, url, data)  # the token still works
            seen += 1
    assert seen == 40  # 33 + explain and revert (issue 18) + the admin page's schedule/next, map, exclude, include and the profile merge patch (issue 19)


def test_rate_and_body_limits_answer_json_errors(ws):
    ws.write("telsync.yaml", CONFIG)
    ws.users_json([graph_user(1)])
    tok = ws.run("admin", "token", "create", "acme").out.strip()
    env = dict(os.environ, TELSYNC_NOW=str(ws.now))
    proc = subprocess.Popen(
        [BIN, "-c", str(ws.path / "telsync.yaml"), "serve", "--listen", "127.0.0.1:0",
         "--rate-limit", "1", "--max-body", "100"],
        cwd=ws.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    api = Api.__new__(Api)
    api.proc = proc
    api.base = proc.stdout.readline().split()[-1].strip()
    try:
        status, doc = api.json("POST", "/api/v1/tenants/acme/profiles/main/preview", tok,
                               raw=b'{"user": "' + b"x" * 200 + b'"}')
        assert status == 413 and doc["error"]["code"] == "too_large", doc
        codes = [api.call("GET", "/api/v1/tenants/acme/runs", tok)[0] for _ in range(4)]
        assert 429 in codes, codes
        status, data, headers = api.call("GET", "/api/v1/tenants/acme/runs", tok)
        if status == 429:
            assert int(headers["Retry-After"]) >= 1
            assert json.loads(data)["error"]["code"] == "throttled"
    finally:
        code, err = api.stop()
    assert code == 0, err


def test_profiles_created_over_the_api_keep_secrets_write_only(ws, api):
    tok = api.tokens["acme"]
    base = "/api/v1/tenants/acme/profiles"
    ldap = {"name": "branch", "source": {
        "type": "ldap", "url": "ldap://127.0.0.1:1", "bind_dn": "cn=reader,dc=branch",
        "bind_password": "Api-Secret-77", "user_search_dn": "dc=branch"},
        "policy": {"mode": "review"}, "schedules": ["30 1 * * *"], "timezone": "Europe/Stockholm"}
    status, created, headers = api.call("POST", base, tok, ldap)
    assert status == 201, created
    created = json.loads(created)
    assert headers["Location"] == base + "/branch"
    assert created["origin"] == "api" and created["version"] == 1
    assert created["source"]["bind_password"].startswith("********")
    assert b"Api-Secret-77" not in api.call("GET", base + "/branch", tok)[1]
    assert b"Api-Secret-77" not in api.call("GET", base, tok)[1]
    # Another tenant sees nothing of it.
    assert api.call("GET", "/api/v1/tenants/globex/profiles/branch", api.tokens["globex"])[0] == 404
    assert api.call("GET", base + "/branch", api.tokens["globex"])[0] == 401

    # Replace: the secret left out keeps its value (the stored document still has it).
    changed = dict(ldap, policy={"mode": "full"})
    changed["source"] = dict(ldap["source"])
    del changed["source"]["bind_password"]
    status, doc = api.json("PUT", base + "/branch", tok, changed)
    assert status == 200 and doc["version"] == 2 and doc["policy"]["mode"] == "full", doc
    assert doc["source"]["bind_password"].startswith("********")
    # A stale version is refused.
    req = urllib.request.Request(api.base + base + "/branch", method="PUT",
                                 data=json.dumps(changed).encode(),
                                 headers={"Authorization": "Bearer " + tok, "If-Match": '"1"',
                                          "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError("a stale If-Match was accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 412 and json.loads(e.read())["error"]["field"] == "If-Match"

    # test-connection of the stored profile: the LDAP server is not there, in plain words.
    status, doc = api.json("POST", base + "/branch/test-connection", tok)
    assert status == 200 and doc["ok"] is False and doc["message"], doc
    assert "Api-Secret-77" not in json.dumps(doc)

    # Bad documents name the field; nothing of the server can be named.
    cases = [
        ({"name": "x", "source": {"type": "file", "path": "/etc/passwd"}}, "body.source.path"),
        ({"name": "x", "source": dict(ldap["source"], bind_password="${env:HOME}")},
         "body.source.bind_password"),
        ({"name": "x", "source": {"type": "scim"}, "policy": {"mode": "fulll"}},
         "body.policy.mode"),
        ({"source": {"type": "scim"}}, "body.name"),
        ({"name": "main", "source": {"type": "scim"}}, "body.name"),  # the config's profile
        ({"name": "branch", "source": {"type": "scim"}}, "body.name"),  # exists
    ]
    for body, field in cases:
        status, doc = api.json("POST", base, tok, body)
        assert status in (400, 409) and doc["error"]["field"] == field, (body, doc)
    assert api.json("DELETE", base + "/main", tok)[0] == 409  # config profiles are read-only

    # A profile created here syncs like any other (a SCIM profile: nothing pushed yet).
    status, doc = api.json("POST", base, tok, {"name": "pushed", "source": {"type": "scim"}})
    assert status == 201, doc
    status, started = api.json("POST", base + "/pushed/sync", tok)
    assert status == 202, started
    assert wait_job(api, "acme", started["job"], tok)["status"] == "done"

    # Stored profiles outlive the process.
    code, err = api.stop()
    assert code == 0, err
    assert "Api-Secret-77" not in err
    again = Api(ws)
    try:
        status, doc = again.json("GET", base, tok)
        names = {p["name"]: p["origin"] for p in doc["profiles"]}
        assert names == {"main": "config", "ad": "config", "branch": "api", "pushed": "api"}
        assert again.call("DELETE", base + "/branch", tok)[0] == 204
        assert again.call("GET", base + "/branch", tok)[0] == 404
        assert again.call("DELETE", base + "/branch", tok)[0] == 404
    finally:
        code, err = again.stop()
    assert code == 0, err
    api.proc = again.proc


def test_jobs_departments_and_user_search(ws, api):
    tok = api.tokens["acme"]
    done = sync(api, tok)
    assert done["status"] == "done" and done["run_id"] > 0 and done["attempts"] == 1
    status, doc = api.json("GET", "/api/v1/tenants/acme/jobs?profile=main", tok)
    assert status == 200 and doc["jobs"][0]["job"] == done["job"]
    assert doc["jobs"][0]["trigger"] == "api"
    assert api.json("GET", "/api/v1/tenants/globex/jobs", api.tokens["globex"])[1]["jobs"] == []
    status, doc = api.json("GET", "/api/v1/tenants/acme/departments", tok)
    assert status == 200 and isinstance(doc["departments"], list)
    status, users = api.json("GET", "/api/v1/tenants/acme/users?q=USER3", tok)
    assert status == 200 and [u["username"] for u in users] == ["user3"], users
    status, users = api.json("GET", "/api/v1/tenants/acme/users?q=nobody-like-this", tok)
    assert status == 200 and users == []
    status, doc = api.json("GET", "/api/v1/tenants/acme", tok)
    assert status == 200 and {p["name"] for p in doc["profiles"]} == {"main", "ad"}


def scim_call(api, method, path, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(api.base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/scim+json")
    req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_operator_onboards_a_scim_tenant_without_a_restart_and_deletes_it(ws, api):
    """The provider's flow: an operator token (CLI), a tenant created over the API with its
    first admin token, a SCIM profile and a SCIM token created by that admin, Entra's push
    served at once by the running service, then the tenant deleted with all it owned."""
    r = ws.run("admin", "operator-token", "create", "--label", "provider")
    assert r.code == 0, r
    op = r.out.strip()
    assert "operator token" in r.err
    status, doc = api.json("POST", "/api/v1/tenants", op, {"name": "initech",
                                                             "display_name": "Initech"})
    assert status == 201, doc
    admin = doc["admin_token"]
    # The CLI sees the stored tenant beside the config's.
    listed = ws.run("tenant", "list", "-f", "json").json()
    assert [(t["name"], t["origin"]) for t in listed] == [
        ("acme", "config"), ("globex", "config"), ("initech", "store")]

    status, doc = api.json("POST", "/api/v1/tenants/initech/profiles", admin,
                           {"name": "entra", "source": {"type": "scim"}})
    assert status == 201, doc
    status, doc = api.json("POST", "/api/v1/tenants/initech/tokens", admin,
                           {"kind": "scim", "label": "Entra"})
    assert status == 201, doc
    scim = doc["token"]
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "ada@initech.example", "active": True,
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada@initech.example", "type": "work", "primary": True}],
            "phoneNumbers": [{"value": "+46 8 123 456 78", "type": "work"}]}
    status, body = scim_call(api, "POST", "/scim/v2/initech/Users", scim, user)
    assert status == 201, body  # no restart: the endpoint follows the new profile
    for _ in range(200):
        status, doc = api.json("GET", "/api/v1/tenants/initech/users", admin)
        if status == 200 and doc:
            break
        time.sleep(0.05)
    assert [u["email"] for u in doc] == ["ada@initech.example"], doc

    # Deleting needs the operator and the name again; then everything is gone.
    assert api.json("DELETE", "/api/v1/tenants/initech", admin)[0] == 403
    assert api.json("DELETE", "/api/v1/tenants/initech?confirm=nope", op)[0] == 400
    status, doc = api.json("DELETE", "/api/v1/tenants/initech?confirm=initech", op)
    assert status == 200, doc
    assert doc["removed"]["users"] == 1 and doc["removed"]["tokens"] == 2
    assert doc["removed"]["profiles"] == 1 and doc["removed"]["runs"] >= 1
    # The SCIM token went with the tenant, at once on the node that deleted it: 401, not
    # the 404 of an endpoint that is gone.
    assert scim_call(api, "GET", "/scim/v2/initech/Users", scim)[0] == 401
    assert api.json("GET", "/api/v1/tenants/initech", admin)[0] == 401
    assert api.json("GET", "/api/v1/tenants/initech", op)[0] == 404
    assert [t["name"] for t in ws.run("tenant", "list", "-f", "json").json()] == ["acme", "globex"]
    # acme is untouched.
    assert api.json("GET", "/api/v1/tenants/acme", api.tokens["acme"])[0] == 200
    code, err = api.stop()
    assert code == 0, err
    assert op not in err and admin not in err and scim not in err


def test_tenant_commands_of_the_cli(ws):
    ws.write("telsync.yaml", CONFIG)
    assert ws.run("tenant", "create", "Bad").code == 2
    assert ws.run("tenant", "create", "acme").code == 2  # in the config file
    r = ws.run("tenant", "create", "initech", "--display-name", "Initech Inc")
    assert r.code == 0 and "admin token create initech" in r.err, r
    assert ws.run("tenant", "create", "initech").code == 2
    assert ws.run("tenant", "rename", "initech", "--display-name", "Initech").code == 0
    table = ws.run("tenant", "list")
    assert table.code == 0 and "initech" in table.out and "Initech" in table.out, table
    token = ws.run("admin", "token", "create", "initech")
    assert token.code == 0, token
    assert ws.run("tenant", "delete", "initech", "--confirm", "acme").code == 2
    assert ws.run("tenant", "delete", "acme", "--confirm", "acme").code == 2
    r = ws.run("tenant", "delete", "initech", "--confirm", "initech")
    assert r.code == 0 and "1 tokens" in r.out, r
    assert ws.run("admin", "token", "list", "initech").code == 2  # no such tenant any more
