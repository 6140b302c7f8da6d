"""Secrets at rest (issue 15 item 1, SPEC R4): the real `telsync serve` seals the secrets of
profiles created over the REST API, and no byte of them reaches the SQLite files (db, WAL,
SHM) or a PostgreSQL dump. The key file, a wrong or missing key, rotation and the migration
of a store written by an older telsync are driven through the CLI."""
import json
import os
import sqlite3
import stat
import subprocess

from test_api import Api
from test_postgres import cluster, db, psql, use_store  # noqa: F401 (fixtures)

GRAPH_SECRET = "Graph-Cs-9f3kQ2"
LDAP_SECRET = "Ldap-Bp-7h2qW8"
OLD_SECRET = "Old-Plain-Pw-5z1"

CONFIG = """\
store: telsync.db
tenants:
  - name: acme
    profiles:
      - name: main
        source: {type: file, path: directory.json}
  - name: globex
    profiles:
      - name: main
        source: {type: file, path: directory.json}
"""

GRAPH = {"name": "entra", "source": {
    "type": "graph", "tenant_id": "11111111-2222-3333-4444-555555555555",
    "client_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "client_secret": GRAPH_SECRET}}
LDAP = {"name": "ad", "source": {
    "type": "ldap", "url": "ldap://127.0.0.1:1", "bind_dn": "cn=reader,dc=acme",
    "bind_password": LDAP_SECRET, "user_search_dn": "dc=acme"}}


def prepare(ws):
    ws.write("telsync.yaml", CONFIG)
    ws.users_json([])
    r = ws.run("admin", "token", "create", "acme", "--label", "test")
    assert r.code == 0, r
    return r.out.strip()


def serve(ws, *args):
    """A serve that is expected to refuse to start: its exit code and stderr."""
    proc = subprocess.run(
        [os.environ["TELSYNC_BIN"], "-c", str(ws.path / "telsync.yaml"), *args, "serve",
         "--listen", "127.0.0.1:0"],
        cwd=ws.path, env=dict(os.environ, TELSYNC_NOW=str(ws.now)), capture_output=True,
        text=True, timeout=60)
    return proc.returncode, proc.stderr


def stored_bytes(ws):
    out = b""
    for name in ("telsync.db", "telsync.db-wal", "telsync.db-shm"):
        p = ws.path / name
        if p.exists():
            out += p.read_bytes()
    return out


def status(ws, *args):
    r = ws.run(*args, "secrets", "status", "-f", "json")
    assert r.code == 0, r
    return r.json()


def profile_names(server, tok):
    code, doc = server.json("GET", "/api/v1/tenants/acme/profiles", tok)
    assert code == 200, doc
    return sorted(p["name"] for p in doc["profiles"])


def test_serve_seals_profile_secrets_and_no_copy_reaches_the_sqlite_files(ws):
    tok = prepare(ws)
    server = Api(ws)
    try:
        for body in (GRAPH, LDAP):
            code, doc = server.json("POST", "/api/v1/tenants/acme/profiles", tok, body)
            assert code == 201, doc
        code, doc = server.json("GET", "/api/v1/tenants/acme/profiles/entra", tok)
        assert doc["source"]["client_secret"].startswith("********"), doc
        # A PUT that leaves the secret out keeps it: the server opens the stored one.
        changed = dict(LDAP, policy={"mode": "review"})
        changed["source"] = {k: v for k, v in LDAP["source"].items() if k != "bind_password"}
        code, doc = server.json("PUT", "/api/v1/tenants/acme/profiles/ad", tok, changed)
        assert code == 200 and doc["version"] == 2, doc
    finally:
        code, err = server.stop()
    assert code == 0, err
    key_file = ws.path / "telsync.db.key"
    assert "created the secret key file " + str(key_file) in err, err
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert GRAPH_SECRET not in err and LDAP_SECRET not in err

    raw = stored_bytes(ws)
    assert GRAPH_SECRET.encode() not in raw and LDAP_SECRET.encode() not in raw
    docs = dict(sqlite3.connect(ws.path / "telsync.db").execute(
        "SELECT name, document FROM stored_profiles"))
    ad = json.loads(docs["ad"])
    assert ad["source"]["bind_password"].startswith("tsec1."), ad
    assert ad["policy"]["mode"] == "review" and ad["source"]["bind_dn"] == "cn=reader,dc=acme"

    s = status(ws)
    assert s["store_key"] and s["store_key"] == s["key_file_key"], s
    assert s["sealed_by_key"] == {s["store_key"]: 2} and s["plain"] == 0, s

    # A ciphertext copied to another tenant does not open there: that profile is left out
    # (and named in the log), the others are served.
    with sqlite3.connect(ws.path / "telsync.db") as c:
        c.execute("INSERT INTO stored_profiles (tenant, name, document, version, created_at, "
                  "updated_at) SELECT 'globex', name, document, 1, 0, 0 FROM stored_profiles "
                  "WHERE tenant = 'acme' AND name = 'ad'")
    server = Api(ws)
    try:
        assert profile_names(server, tok) == ["ad", "entra", "main"]
    finally:
        code, err = server.stop()
    assert code == 0, err
    assert "globex/ad" in err and "does not open" in err, err


def test_without_its_key_a_store_with_secrets_refuses_to_start(ws, monkeypatch):
    tok = prepare(ws)
    server = Api(ws)
    try:
        assert server.json("POST", "/api/v1/tenants/acme/profiles", tok, LDAP)[0] == 201
    finally:
        assert server.stop()[0] == 0
    key_id = status(ws)["store_key"]
    os.rename(ws.path / "telsync.db.key", ws.path / "moved.key")

    code, err = serve(ws)
    assert code == 2, err
    assert f"sealed with key {key_id}" in err and "does not exist" in err, err
    assert not (ws.path / "telsync.db.key").exists()  # never a new key for a sealed store

    r = ws.run("secrets", "init", "--key-file", str(ws.path / "other.key"))
    assert r.code == 0 and "Created secret key file" in r.out, r
    code, err = serve(ws, "--secret-key-file", str(ws.path / "other.key"))
    assert code == 2 and key_id in err and "holds key" in err, err
    r = ws.run("secrets", "init", "--key-file", str(ws.path / "other.key"))
    assert r.code == 2 and "already exists" in r.err, r

    # A key file others can read is refused too.
    os.chmod(ws.path / "moved.key", 0o644)
    code, err = serve(ws, "--secret-key-file", str(ws.path / "moved.key"))
    assert code == 2 and "chmod 600" in err, err
    os.chmod(ws.path / "moved.key", 0o600)
    monkeypatch.setenv("TELSYNC_SECRET_KEY_FILE", str(ws.path / "moved.key"))
    server = Api(ws)
    try:
        assert profile_names(server, tok) == ["ad", "main"]
    finally:
        assert server.stop()[0] == 0


def test_rotate_key_reseals_everything_and_the_old_key_opens_nothing(ws, monkeypatch):
    tok = prepare(ws)
    server = Api(ws)
    try:
        for body in (GRAPH, LDAP):
            assert server.json("POST", "/api/v1/tenants/acme/profiles", tok, body)[0] == 201
    finally:
        assert server.stop()[0] == 0
    old_id = status(ws)["store_key"]

    r = ws.run("secrets", "rotate-key", "--new-key-file", str(ws.path / "new.key"))
    assert r.code == 0, r
    assert "Re-sealed the secrets of 2 stored profiles" in r.out, r
    assert stat.S_IMODE((ws.path / "new.key").stat().st_mode) == 0o600
    s = status(ws, "--secret-key-file", str(ws.path / "new.key"))
    assert s["store_key"] == s["key_file_key"] != old_id, s
    assert s["sealed_by_key"] == {s["store_key"]: 2}, s
    raw = stored_bytes(ws)
    assert GRAPH_SECRET.encode() not in raw and LDAP_SECRET.encode() not in raw

    code, err = serve(ws)  # the old key beside the store
    assert code == 2 and "holds key " + old_id in err, err
    monkeypatch.setenv("TELSYNC_SECRET_KEY_FILE", str(ws.path / "new.key"))
    server = Api(ws)
    try:
        assert profile_names(server, tok) == ["ad", "entra", "main"]
    finally:
        assert server.stop()[0] == 0
    # Rotating to the key in use is refused.
    r = ws.run("secrets", "rotate-key", "--new-key-file", str(ws.path / "new.key"))
    assert r.code == 2 and "current key" in r.err, r


def test_a_store_with_plain_secrets_is_sealed_and_compacted_at_the_next_serve(ws):
    tok = prepare(ws)
    # What an older telsync left: a plain secret in a stored profile, no key recorded.
    doc = dict(LDAP, name="legacy")
    doc["source"] = dict(LDAP["source"], bind_password=OLD_SECRET)
    with sqlite3.connect(ws.path / "telsync.db") as c:
        c.execute("INSERT INTO stored_profiles (tenant, name, document, version, created_at, "
                  "updated_at) VALUES ('acme', 'legacy', ?, 1, 0, 0)", (json.dumps(doc),))
    assert OLD_SECRET.encode() in stored_bytes(ws)
    assert status(ws)["plain"] == 1

    server = Api(ws)
    try:
        assert profile_names(server, tok) == ["legacy", "main"]
    finally:
        code, err = server.stop()
    assert code == 0, err
    assert "sealed the plain secrets of 1 stored profiles" in err, err
    assert OLD_SECRET.encode() not in stored_bytes(ws)
    s = status(ws)
    assert s["plain"] == 0 and s["sealed_by_key"] == {s["store_key"]: 1}, s


def test_postgres_dump_holds_no_secret(ws, db, monkeypatch):
    admin, url = db
    ws.write("telsync.yaml", CONFIG)
    ws.users_json([])
    use_store(ws, url)
    assert ws.run("migrate").code == 0
    r = ws.run("admin", "token", "create", "acme", "--label", "pg")
    assert r.code == 0, r
    tok = r.out.strip()
    # A plain secret left by an older telsync, then one created over the API.
    doc = dict(LDAP, name="legacy")
    doc["source"] = dict(LDAP["source"], bind_password=OLD_SECRET)
    psql(admin, "INSERT INTO stored_profiles (tenant, name, document, version, created_at, "
                "updated_at) VALUES ('acme', 'legacy', '" + json.dumps(doc) + "', 1, 0, 0)")
    key = ws.path / "pg.key"
    monkeypatch.setenv("TELSYNC_SECRET_KEY_FILE", str(key))
    server = Api(ws)
    try:
        assert server.json("POST", "/api/v1/tenants/acme/profiles", tok, GRAPH)[0] == 201
        code, got = server.json("GET", "/api/v1/tenants/acme/profiles/entra", tok)
        assert got["source"]["client_secret"].startswith("********"), got
    finally:
        code, err = server.stop()
    assert code == 0, err
    assert "sealed the plain secrets of 1 stored profiles" in err, err
    assert key.exists() and stat.S_IMODE(key.stat().st_mode) == 0o600
    dump = subprocess.run(["pg_dump", admin], capture_output=True, text=True, timeout=60)
    assert dump.returncode == 0, dump.stderr
    assert "stored_profiles" in dump.stdout and "tsec1." in dump.stdout
    for secret in (GRAPH_SECRET, OLD_SECRET):
        assert secret not in dump.stdout
    s = status(ws)
    assert s["sealed_by_key"] == {s["store_key"]: 2} and s["plain"] == 0, s
