"""telsync on PostgreSQL (issue 8): migrate, sync, users and runs against a real server.

A throwaway cluster (tests/fixtures/postgres/pg-cluster.sh) runs for this module; each
test gets its own database. The URL carries a password (trust auth ignores it) so that
every output can be checked for it: it must never appear.
"""
import itertools
import json
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from conftest import REPO
from test_examples import setup_examples

# The schema version this telsync migrates PostgreSQL to: the number of its migration steps.
LATEST = int(
    re.search(
        r"std::array<const char\*, (\d+)> kSteps",
        (REPO / "src/store/postgres/migrations.cc").read_text(),
    ).group(1)
)

SCRIPT = REPO / "tests" / "fixtures" / "postgres" / "pg-cluster.sh"
SECRET = "pg-s3cret-Xq9"
_counter = itertools.count()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    d = tmp_path_factory.mktemp("pg")
    r = subprocess.run([str(SCRIPT), "start", str(d)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    assert url.startswith("postgres://"), url
    yield url
    subprocess.run([str(SCRIPT), "stop", str(d)], capture_output=True, timeout=60)
    shutil.rmtree(d, ignore_errors=True)


def psql(url, sql):
    r = subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-qAt", url, "-c", sql],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.fixture
def db(cluster):
    """A fresh database; returns (admin URL of it, the URL with a password for telsync)."""
    name = f"telsync_it_{next(_counter)}"
    psql(cluster, f"CREATE DATABASE {name}")
    base = cluster.rsplit("/", 1)[0] + "/" + name
    with_secret = base.replace("postgres@", f"postgres:{SECRET}@", 1)
    yield base, with_secret
    psql(cluster, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def use_store(ws, store):
    cfg = (ws.path / "telsync.yaml").read_text(encoding="utf-8")
    assert "store: telsync.db" in cfg
    (ws.path / "telsync.yaml").write_text(cfg.replace("store: telsync.db", f"store: {store}"),
                                          encoding="utf-8")


def no_secret(*results):
    for r in results:
        assert SECRET not in r.out and SECRET not in r.err, r


def test_migrate_sync_users_and_runs_on_postgres(ws, db):
    admin, url = db
    setup_examples(ws, 1)
    use_store(ws, url)
    seen = []

    r = ws.run("migrate", "--check")
    seen.append(r)
    assert r.code == 1, r
    assert f"version 0 -> {LATEST} needed" in r.out, r

    r = ws.run("migrate")
    seen.append(r)
    assert r.code == 0, r
    assert r.out.strip() == f"store schema: version 0 -> {LATEST}", r
    r = ws.run("migrate")
    seen.append(r)
    assert r.code == 0 and f"up to date (version {LATEST})" in r.out, r
    assert psql(admin, "SELECT version FROM telsync_schema") == str(LATEST)

    first = ws.run("sync", "--format", "json")
    seen.append(first)
    assert first.code == 4, first  # the example has bad numbers and a duplicate e-mail
    created = first.json()["summary"]["create"]
    assert created > 0
    assert int(psql(admin, "SELECT count(*) FROM users")) == created

    r = ws.run("users", "list", "--format", "json", "--limit", "1000")
    seen.append(r)
    assert r.code == 0, r
    listed = r.json()
    users = listed if isinstance(listed, list) else listed.get("users", listed.get("items"))
    assert len(users) == created, r

    again = ws.run("sync", "--format", "json")
    seen.append(again)
    assert again.code == 4, again
    s = again.json()["summary"]
    assert s["create"] == s["update"] == s["delete"] == 0, s
    assert "Applied: 0 user rows" in again.err, again
    assert int(psql(admin, "SELECT count(*) FROM users")) == created

    r = ws.run("runs", "list")
    seen.append(r)
    assert r.code == 0, r
    rows = [line.split() for line in r.out.splitlines()[1:] if line[:1].isdigit()]
    assert [(row[0], row[2]) for row in rows] == [("2", "sync"), ("1", "sync")], r
    assert int(psql(admin, "SELECT count(*) FROM runs WHERE kind = 'sync'")) == 2
    no_secret(*seen)


def test_a_newer_schema_is_refused_with_exit_2(ws, db):
    admin, url = db
    setup_examples(ws, 1)
    use_store(ws, url)
    assert ws.run("migrate").code == 0
    psql(admin, "UPDATE telsync_schema SET version = 99")
    for args in (["migrate"], ["migrate", "--check"]):
        r = ws.run(*args)
        assert r.code == 2, r
        assert f"store schema version 99 is newer than this telsync supports ({LATEST})" in r.err, r
        no_secret(r)
    r = ws.run("users", "list")
    assert r.code != 0 and "newer than this telsync supports" in r.err, r
    assert psql(admin, "SELECT version FROM telsync_schema") == "99"  # never touched
    no_secret(r)


def test_a_stopped_server_is_a_clear_error(ws):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    setup_examples(ws, 1)
    use_store(ws, f"postgres://telsync:{SECRET}@127.0.0.1:{port}/telsync")
    for args in (["migrate"], ["sync"], ["users", "list"]):
        r = ws.run(*args)
        assert r.code == 1, r
        assert f"cannot connect to PostgreSQL at 127.0.0.1:{port}" in r.err, r
        assert "postgres://telsync:***@" in r.err, r
        no_secret(r)


def test_migrate_works_on_sqlite_too(ws):
    setup_examples(ws, 1)
    r = ws.run("migrate", "--check")
    assert r.code == 1 and f"version 0 -> {LATEST} needed" in r.out, r
    assert not (ws.path / "telsync.db").exists()  # --check creates nothing
    r = ws.run("migrate")
    assert r.code == 0 and r.out.strip() == f"store schema: version 0 -> {LATEST}", r
    r = ws.run("migrate", "--check")
    assert r.code == 0 and f"up to date (version {LATEST})" in r.out, r
