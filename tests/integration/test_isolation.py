"""Tenant isolation (issue 8 item 4): one tenant's credentials try to read, change or sync
another tenant's data at every entry point, on SQLite and on PostgreSQL.

acme and globex each have a SCIM profile (with a user pushed), a file profile (synced) and
admin and SCIM tokens. With globex's credentials: every REST API route of the OpenAPI
document, filled with acme's names and ids, answers 401 (the answer of an unknown token,
on REST as on SCIM) and changes nothing; acme's SCIM endpoints refuse globex's SCIM token
(401), and globex's own
endpoint does not serve acme's ids (404); an admin token is no SCIM token and the reverse.
The CLI, scoped with -p globex, does not find acme's users or runs.
"""
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import BIN, graph_user
from test_postgres import cluster, db, psql  # noqa: F401 (fixtures)

CONFIG = """\
store: {store}
tenants:
  - name: acme
    profiles:
      - name: main
        source: {{type: file, path: acme.json}}
      - name: entra
        source: {{type: scim}}
  - name: globex
    profiles:
      - name: main
        source: {{type: file, path: globex.json}}
      - name: entra
        source: {{type: scim}}
"""
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


def call(base, method, path, token, body=None):
    data = json.dumps(body).encode() if body is not None else (b"{}" if method in ("POST", "PUT", "PATCH") else None)
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            text = resp.read()
            return resp.status, text
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def scenario(ws, store):
    ws.write("telsync.yaml", CONFIG.format(store=store))
    ws.users_json([graph_user(i) for i in range(1, 4)], name="acme.json")
    ws.users_json([graph_user(i) for i in range(101, 103)], name="globex.json")
    admin, scim = {}, {}
    for t in ("acme", "globex"):
        admin[t] = ws.run("admin", "token", "create", t).out.strip()
        scim[t] = ws.run("scim", "token", "create", t).out.strip()
        assert ws.run("-p", f"{t}/main", "sync").code == 0
    env = dict(os.environ, TELSYNC_NOW=str(ws.now))
    proc = subprocess.Popen([BIN, "-c", str(ws.path / "telsync.yaml"), "serve", "--listen",
                             "127.0.0.1:0", "--workers", "1"],
                            cwd=ws.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    base = proc.stdout.readline().split()[-1].strip()
    try:
        # acme's data: a pushed SCIM user, a run, a job, a user.
        status, body = call(base, "POST", "/scim/v2/acme/Users", scim["acme"],
                            {"schemas": [USER_SCHEMA], "userName": "pushed@acme.example",
                             "active": True, "name": {"givenName": "P", "familyName": "Q"}})
        assert status == 201, body
        acme_scim_id = json.loads(body)["id"]
        status, body = call(base, "POST", "/api/v1/tenants/acme/profiles/main/sync", admin["acme"])
        assert status == 202, body
        acme_job = json.loads(body)["job"]
        for _ in range(200):
            status, body = call(base, "GET", f"/api/v1/tenants/acme/jobs/{acme_job}", admin["acme"])
            if json.loads(body)["status"] in ("done", "failed"):
                break
            time.sleep(0.05)
        acme_run = json.loads(body)["run_id"]
        assert acme_run > 0
        acme_users = ws.run("-p", "acme", "users", "list", "-f", "json").json()
        before = (len(acme_users), ws.run("-p", "acme", "runs", "list").out)

        # Every REST route, with acme's names and ids, through globex's admin token.
        status, doc = call(base, "GET", "/api/v1/openapi.json", admin["globex"])
        doc = json.loads(doc)
        fill = {"tenant": "acme", "profile": "main", "id": str(acme_run),
                "name": acme_users[0]["username"]}
        tried = 0
        for path, ops in doc["paths"].items():
            if "{tenant}" not in path:
                continue
            for method in ops:
                url = path
                for k, v in fill.items():
                    url = url.replace("{%s}" % k, v)
                if url.endswith("/jobs/" + str(acme_run)):
                    url = url[: -len(str(acme_run))] + str(acme_job)
                status, body = call(base, method.upper(), url, admin["globex"])
                assert status == 401, (method, url, status, body)
                assert b"acme" not in body.replace(b"no tenant acme", b""), body
                tried += 1
        assert tried >= 20
        # The routes without a tenant: globex's token lists globex alone and creates nothing.
        status, body = call(base, "GET", "/api/v1/tenants", admin["globex"])
        assert status == 200 and [t["name"] for t in json.loads(body)["tenants"]] == ["globex"]
        status, body = call(base, "POST", "/api/v1/tenants", admin["globex"], {"name": "acme2"})
        assert status == 403, body
        # globex's own routes with acme's ids: not found either.
        assert call(base, "GET", f"/api/v1/tenants/globex/runs/{acme_run}", admin["globex"])[0] == 404
        assert call(base, "GET", f"/api/v1/tenants/globex/jobs/{acme_job}", admin["globex"])[0] == 404
        assert call(base, "POST", f"/api/v1/tenants/globex/runs/{acme_run}/approve",
                    admin["globex"])[0] == 404
        assert call(base, "GET", "/api/v1/tenants/globex/users/" + acme_users[0]["username"],
                    admin["globex"])[0] == 404
        # SCIM: acme's endpoint refuses globex's SCIM token and any admin token.
        for token in (scim["globex"], admin["acme"], admin["globex"]):
            assert call(base, "GET", "/scim/v2/acme/Users", token)[0] == 401
            assert call(base, "GET", f"/scim/v2/acme/Users/{acme_scim_id}", token)[0] == 401
            assert call(base, "DELETE", f"/scim/v2/acme/Users/{acme_scim_id}", token)[0] == 401
        # globex's endpoint, its own token, acme's ids: nothing.
        assert call(base, "GET", f"/scim/v2/globex/Users/{acme_scim_id}", scim["globex"])[0] == 404
        assert call(base, "DELETE", f"/scim/v2/globex/Users/{acme_scim_id}", scim["globex"])[0] == 404
        status, body = call(base, "GET",
                            '/scim/v2/globex/Users?filter=userName%20eq%20%22pushed@acme.example%22',
                            scim["globex"])
        assert status == 200 and json.loads(body)["totalResults"] == 0
        # An admin token of acme is no REST token for globex either.
        assert call(base, "GET", "/api/v1/tenants/globex/runs", admin["acme"])[0] == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    # Nothing of acme changed; the CLI scoped to globex finds none of acme's.
    after = (len(ws.run("-p", "acme", "users", "list", "-f", "json").json()),
             ws.run("-p", "acme", "runs", "list").out)
    assert after == before
    assert ws.run("-p", "globex", "users", "show", acme_users[0]["username"]).code != 0
    assert ws.run("-p", "globex", "runs", "show", str(acme_run)).code != 0
    globex_users = ws.run("-p", "globex", "users", "list", "-f", "json").json()
    assert {u["username"] for u in globex_users}.isdisjoint({u["username"] for u in acme_users})


def test_isolation_on_sqlite(ws):
    scenario(ws, "telsync.db")


def test_isolation_on_postgres(ws, db):
    scenario(ws, db[1])
