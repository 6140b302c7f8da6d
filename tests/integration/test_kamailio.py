"""The Kamailio target (issue 17 §1) against a real Kamailio 5.6 and real SIP phones (sipp).

Each test starts Kamailio on 127.0.0.1 with a free UDP port, on a SQLite database made from
the schema Kamailio ships (/usr/share/kamailio/db_sqlite), with the config in
tests/fixtures/kamailio/. telsync syncs a directory and publishes it; then sipp registers
with digest auth and places calls through alias_db_lookup and lookup("location").
"""
import hashlib
import json
import re
import socket
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from conftest import REPO, config, graph_user
from test_notify import Smtp, smtp_config
from test_postgres import cluster, psql  # noqa: F401 (the module's PostgreSQL cluster)

FIXTURES = REPO / "tests" / "fixtures" / "kamailio"
SCHEMA = Path("/usr/share/kamailio/db_sqlite")
MODULES = Path("/usr/lib/x86_64-linux-gnu/kamailio/modules")
DOMAIN = "sip.test"


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def udp_port_bound(port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def wait_until(predicate, what, timeout=20.0):
    """Polls a condition (a readiness check, not a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def make_kamailio_db(path):
    sql = "".join((SCHEMA / f"{name}-create.sql").read_text()
                  for name in ("standard", "auth_db", "alias_db"))
    con = sqlite3.connect(path)
    con.executescript(sql)
    con.close()


def sip_options_answered(port):
    """True once Kamailio answers a SIP request on its port."""
    branch = "z9hG4bK" + uuid.uuid4().hex
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        local = s.getsockname()[1]
        msg = (f"OPTIONS sip:{DOMAIN} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch={branch}\r\n"
               f"From: <sip:probe@{DOMAIN}>;tag=1\r\nTo: <sip:{DOMAIN}>\r\n"
               f"Call-ID: {branch}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
               "Content-Length: 0\r\n\r\n")
        s.settimeout(0.5)
        s.sendto(msg.encode(), ("127.0.0.1", port))
        try:
            data, _ = s.recvfrom(4096)
        except socket.timeout:
            return False
        return data.startswith(b"SIP/2.0")


class Kamailio:
    """Kamailio on a SQLite database made here, or on `pg_url` (a PostgreSQL database that
    already holds Kamailio's schema)."""

    def __init__(self, tmp, pg_url=None):
        self.dir = tmp
        tmp.mkdir(parents=True, exist_ok=True)
        self.db = tmp / "kamailio.db"
        self.port = free_udp_port()
        self.proc = None
        if pg_url is None:
            make_kamailio_db(self.db)
        db_url = pg_url or f"sqlite://{self.db}"
        cfg = (FIXTURES / "kamailio.cfg.in").read_text()
        cfg = (cfg.replace("@PORT@", str(self.port)).replace("@DBURL@", db_url)
               .replace("@MPATH@", str(MODULES) + "/")
               .replace("@DBMODULE@", "db_postgres.so" if pg_url else "db_sqlite.so"))
        self.cfg = tmp / "kamailio.cfg"
        self.cfg.write_text(cfg)
        check = subprocess.run(["kamailio", "-c", "-f", str(self.cfg)], capture_output=True,
                               text=True, timeout=30)
        assert check.returncode == 0, check.stderr

    def start(self):
        self.log = open(self.dir / "kamailio.log", "w")
        self.proc = subprocess.Popen(["kamailio", "-DD", "-E", "-f", str(self.cfg)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: sip_options_answered(self.port), "Kamailio to answer")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.log.close()

    def rows(self, sql, *args):
        con = sqlite3.connect(self.db)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def subscribers(self):
        return {r[0]: r[1:] for r in
                self.rows("SELECT username, domain, password, ha1, ha1b FROM subscriber")}

    def aliases(self):
        return {r[0]: r[1] for r in self.rows(
            "SELECT alias_username, username FROM dbaliases")}


@pytest.fixture
def kamailio(tmp_path):
    k = Kamailio(tmp_path / "kam")
    yield k
    k.stop()


def sipp(kam, scenario, rows, tmp, local_port=None, timeout=15):
    """Runs a sipp client scenario once with one CSV row; returns (exit code, messages)."""
    tmp.mkdir(exist_ok=True)
    csv = tmp / f"{scenario}-{uuid.uuid4().hex}.csv"
    csv.write_text("SEQUENTIAL\n" + ";".join(rows) + "\n")
    messages = csv.with_suffix(".messages")
    cmd = ["sipp", f"127.0.0.1:{kam.port}", "-sf", str(FIXTURES / scenario), "-inf", str(csv),
           "-m", "1", "-i", "127.0.0.1", "-p", str(local_port or free_udp_port()),
           "-timeout", f"{timeout}s", "-nostdin", "-trace_msg", "-message_file", str(messages)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 15)
    return r.returncode, messages.read_text() if messages.exists() else ""


def auth(user, password):
    return f"[authentication username={user} password={password}]"


def register(kam, tmp, user, password, contact_port=5060):
    return sipp(kam, "register.xml", [user, auth(user, password), DOMAIN, str(contact_port)], tmp)


def setup_tenant(ws, kam_db, users):
    """The conftest profile with an extension mapped from `ext`, disabled users kept
    unsearchable, and the Kamailio target `sip`."""
    ws.users_json(users)
    config(ws)
    cfg = (ws.path / "telsync.yaml").read_text()
    cfg = cfg.replace("          mode: full\n",
                      "          mode: full\n          disabled: unsearchable\n", 1)
    cfg = cfg.replace("        policy:\n",
                      "        mapping:\n          extension: '{ext}'\n        policy:\n", 1)
    cfg = cfg.replace("  - name: acme\n", "  - name: acme\n    targets:\n"
                      f"      - {{name: sip, type: kamailio, db: \"{kam_db}\", domain: {DOMAIN}}}\n",
                      1)
    (ws.path / "telsync.yaml").write_text(cfg)


def directory(*specs):
    """graph users with an `ext` attribute: specs are (index, extension, overrides)."""
    return [graph_user(i, ext=ext, **over) for i, ext, over in specs]


def reset_password(ws, user):
    r = ws.run("users", "sip-credentials", user, "--reset")
    assert r.code == 0, r
    m = re.search(r"^password: ([0-9a-f]{32})$", r.out, re.M)
    assert m, r
    return m.group(1)


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def status(ws):
    r = ws.run("targets", "status", "-f", "json")
    assert r.code == 0, r
    (target,) = r.json()
    return target


def test_a_synced_user_registers_and_is_called_at_its_extension(ws, kamailio, tmp_path):
    kamailio.start()
    setup_tenant(ws, f"sqlite://{kamailio.db}", directory((1, "1001", {}), (2, "1002", {})))
    r = ws.run("sync")
    assert r.code == 0, r

    # Kamailio's own schema: a subscriber per user with digests only, aliases for the
    # extension and the DID (E.164 by default).
    subs = kamailio.subscribers()
    assert set(subs) == {"user1", "user2"}
    assert subs["user1"][0] == DOMAIN and subs["user1"][1] == ""  # the password column is empty
    assert kamailio.aliases() == {"1001": "user1", "1002": "user2",
                                  "+4685" + "0000001": "user1", "+4685" + "0000002": "user2"}

    p1 = reset_password(ws, "user1")
    p2 = reset_password(ws, "user2")
    assert p1 != p2
    subs = kamailio.subscribers()
    assert subs["user1"][2] == md5(f"user1:{DOMAIN}:{p1}")
    assert subs["user1"][3] == md5(f"user1@{DOMAIN}:{DOMAIN}:{p1}")
    # The password is kept sealed: it appears nowhere in telsync's store.
    assert p1.encode() not in (ws.path / "telsync.db").read_bytes()

    sip = tmp_path / "sip"
    code, _ = register(kamailio, sip, "user1", p1)
    assert code == 0
    code, messages = register(kamailio, sip, "user1", "0" * 32)
    assert code == 1
    assert "CSeq: 2 REGISTER" in messages  # the credentials were sent
    assert messages.count("SIP/2.0 401 Unauthorized") >= 2  # and refused like no credentials
    assert "SIP/2.0 200 OK" not in messages

    # A call: user1's phone answers; user2 dials 1001, Kamailio finds user1 by the alias.
    uas_port = free_udp_port()
    sip.mkdir(parents=True, exist_ok=True)
    uas_errors = sip / "uas-errors.log"
    uas = subprocess.Popen(["sipp", "-sf", str(FIXTURES / "uas.xml"), "-i", "127.0.0.1", "-p",
                            str(uas_port), "-m", "1", "-timeout", "120s", "-nostdin",
                            "-trace_err", "-error_file", str(uas_errors)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: udp_port_bound(uas_port), "the answering phone")
        code, _ = register(kamailio, sip, "user1", p1, contact_port=uas_port)
        assert code == 0
        code, messages = sipp(kamailio, "call.xml", ["user2", auth("user2", p2), DOMAIN, "1001"],
                              sip)
        assert code == 0, messages
        assert uas.wait(timeout=120) == 0, (
            uas_errors.read_text() if uas_errors.exists() else "the answering phone failed")
    finally:
        if uas.poll() is None:
            uas.kill()
            uas.wait()

    # user1 leaves the directory: the subscriber and its aliases go, REGISTER is refused.
    ws.users_json(directory((2, "1002", {})))
    r = ws.run("sync")
    assert r.code == 0, r
    assert set(kamailio.subscribers()) == {"user2"}
    assert kamailio.aliases() == {"1002": "user2", "+4685" + "0000002": "user2"}
    code, messages = register(kamailio, sip, "user1", p1)
    assert code == 1
    assert "SIP/2.0 200 OK" not in messages
    assert status(ws)["lag"] == 0


def test_the_welcome_mail_carries_a_sip_login_that_registers(ws, kamailio, tmp_path):
    """notify.welcome_sip_credentials: a created user's welcome mail has its SIP login, a
    phone registers with it, and the admin's copy has no password. The mail that could
    not be sent is kept sealed in the store, and resent with the password."""
    kamailio.start()
    setup_tenant(ws, f"sqlite://{kamailio.db}", directory((1, "1001", {})))
    server = Smtp(tmp_path)
    cfg = (ws.path / "telsync.yaml").read_text()
    cfg = cfg.replace("        policy:\n", "        notify:\n          welcome: true\n"
                      "          welcome_copy_to: hr@acme.example\n"
                      "          welcome_sip_credentials: true\n        policy:\n", 1)
    (ws.path / "telsync.yaml").write_text(cfg + smtp_config(server.port))
    try:
        r = ws.run("sync")
        assert r.code == 0, r
        assert "Mail welcome: 1 sent" in r.out, r
        mails = {str(msg["Subject"]): msg for _, msg in server.messages()}
    finally:
        server.stop()
    welcome = next(m for s, m in mails.items() if s.startswith("Welcome"))
    copy = next(m for s, m in mails.items() if s.startswith("[copy"))
    text = welcome.get_content()
    m = re.search(r"^  Password: ([0-9a-f]{32})$", text, re.M)
    assert m, text
    password = m.group(1)
    assert re.search(rf"^  User: +user1$", text, re.M) and re.search(
        rf"^  Domain: +{re.escape(DOMAIN)}$", text, re.M), text
    assert password not in copy.get_content()
    assert "Password: (sent to user1@contoso.example only)" in copy.get_content()
    # The digest Kamailio holds is of the mailed password, and a phone registers with it.
    assert kamailio.subscribers()["user1"][2] == md5(f"user1:{DOMAIN}:{password}")
    code, _ = register(kamailio, tmp_path / "sip", "user1", password)
    assert code == 0
    assert password.encode() not in (ws.path / "telsync.db").read_bytes()

    # The mail server is down for the next user: the mail is kept, sealed; a retry once it
    # is back sends the password.
    ws.users_json(directory((1, "1001", {}), (2, "1002", {})))
    r = ws.run("sync")
    assert r.code == 0, r
    assert "Mail welcome: 0 sent, 1 failed" in r.out, r  # attempts: 2, retry_seconds: 0
    db = sqlite3.connect(ws.path / "telsync.db")
    kept = db.execute("SELECT message FROM notifications WHERE kind = 'welcome' "
                      "AND status = 'failed'").fetchall()
    db.close()
    assert len(kept) == 1 and kept[0][0].startswith("tsec1."), kept  # SecretKey::Seal's form
    (tmp_path / "later").mkdir()
    again = Smtp(tmp_path / "later", port=server.port)
    try:
        r = ws.run("notify", "retry")
        assert r.code == 0, r
        resent = [msg for _, msg in again.messages() if str(msg["Subject"]).startswith("Welcome")]
    finally:
        again.stop()
    assert len(resent) == 1, r
    m2 = re.search(r"^  Password: ([0-9a-f]{32})$", resent[0].get_content(), re.M)
    assert m2 and m2.group(1) != password
    assert kamailio.subscribers()["user2"][2] == md5(f"user2:{DOMAIN}:{m2.group(1)}")


def test_disabled_users_are_blocked_and_extension_changes_move_the_alias(ws, kamailio,
                                                                         tmp_path):
    kamailio.start()
    setup_tenant(ws, f"sqlite://{kamailio.db}", directory((1, "1001", {}), (2, "1002", {})))
    assert ws.run("sync").code == 0
    p2 = reset_password(ws, "user2")
    ws.users_json(directory((1, "1005", {}), (2, "1002", {"accountEnabled": False})))
    r = ws.run("sync")
    assert r.code == 0, r
    assert set(kamailio.subscribers()) == {"user1"}  # user2 is blocked: it cannot register
    aliases = kamailio.aliases()
    assert aliases["1005"] == "user1" and "1001" not in aliases
    code, _ = register(kamailio, tmp_path / "sip", "user2", p2)
    assert code == 1
    # Enabled again: the same password works again.
    ws.users_json(directory((1, "1005", {}), (2, "1002", {})))
    assert ws.run("sync").code == 0
    code, _ = register(kamailio, tmp_path / "sip", "user2", p2)
    assert code == 0


def test_a_sync_never_fails_while_kamailio_db_is_missing_and_publish_catches_up(ws, tmp_path):
    kam = Kamailio(tmp_path / "kam")
    kam.db.rename(kam.dir / "kamailio.db.away")  # the database is not there yet
    setup_tenant(ws, f"sqlite://{kam.db}", directory((1, "1001", {}), (2, "1002", {})))
    r = ws.run("sync")
    assert r.code == 0, r
    assert "target sip is not published yet" in r.err, r
    s = status(ws)
    assert not s["published"]
    assert s["lag"] == 0  # no events before its first reconcile: that brings every user
    assert "does not exist" in s["last_error"]
    assert s["attempts"] == 1

    (kam.dir / "kamailio.db.away").rename(kam.db)
    r = ws.run("targets", "publish")
    assert r.code == 0, r
    s = status(ws)
    assert s["lag"] == 0 and s["last_error"] == "" and s["attempts"] == 0
    assert set(kam.subscribers()) == {"user1", "user2"}

    # Down again while an extension changes: the event waits, then the alias moves.
    kam.db.rename(kam.dir / "kamailio.db.away")
    ws.users_json(directory((1, "1001", {}), (2, "1003", {})))
    r = ws.run("sync")
    assert r.code == 0, r
    assert status(ws)["lag"] == 1
    (kam.dir / "kamailio.db.away").rename(kam.db)
    r = ws.run("targets", "publish")
    assert r.code == 0, r
    aliases = kam.aliases()
    assert aliases["1003"] == "user2" and "1002" not in aliases
    assert status(ws)["lag"] == 0


def test_objects_telsync_did_not_create_are_left_alone_and_full_repairs_drift(ws, kamailio):
    # An admin's own subscriber, and an alias 1001 that points to it.
    con = sqlite3.connect(kamailio.db)
    con.execute("INSERT INTO subscriber (username, domain, ha1) VALUES ('admin', ?, 'x')",
                (DOMAIN,))
    con.execute("INSERT INTO dbaliases (alias_username, alias_domain, username, domain) "
                "VALUES ('1001', ?, 'admin', ?)", (DOMAIN, DOMAIN))
    con.commit()
    con.close()
    setup_tenant(ws, f"sqlite://{kamailio.db}", directory((1, "1001", {}), (2, "1002", {})))
    r = ws.run("sync")
    assert r.code == 0, r
    # user1 would need the admin's alias: nothing of user1 is written, nothing taken over.
    assert kamailio.aliases()["1001"] == "admin"
    assert kamailio.subscribers()["admin"][2] == "x"
    assert set(kamailio.subscribers()) == {"admin", "user2"}

    # A change of user1 meets the foreign alias again: a dead event, named in the status.
    ws.users_json(directory((1, "1001", {"jobTitle": "Boss"}), (2, "1002", {})))
    r = ws.run("sync")
    assert r.code == 0, r
    s = status(ws)
    assert len(s["dead"]) == 1, s
    assert "alias 1001@sip.test" in s["dead"][0]["error"], s
    assert "did not create" in s["dead"][0]["error"], s

    # Drift: user2's subscriber deleted by hand. The dry run shows the repair, writes nothing.
    con = sqlite3.connect(kamailio.db)
    con.execute("DELETE FROM subscriber WHERE username = 'user2'")
    con.commit()
    con.close()
    r = ws.run("targets", "publish", "--full", "--dry-run")
    assert r.code == 0, r
    assert "create subscriber user2@sip.test" in r.out, r
    assert "conflict alias 1001@sip.test" in r.out, r
    assert "user2" not in kamailio.subscribers()
    r = ws.run("targets", "publish", "--full")
    assert r.code == 0, r
    assert set(kamailio.subscribers()) == {"admin", "user2"}
    r = ws.run("targets", "publish", "--full", "--dry-run")
    assert "full reconcile (dry run: nothing written), 1 step: 1 conflict alias\n" in r.out, r  # the conflict

    # The admin frees 1001: `targets retry` delivers the dead event now.
    con = sqlite3.connect(kamailio.db)
    con.execute("DELETE FROM dbaliases WHERE username = 'admin'")
    con.commit()
    con.close()
    r = ws.run("targets", "retry")
    assert r.code == 0, r
    assert "delivered 1" in r.out, r
    assert kamailio.aliases()["1001"] == "user1"
    assert set(kamailio.subscribers()) == {"admin", "user1", "user2"}
    assert status(ws)["dead"] == []
    r = ws.run("targets", "publish", "--full", "--dry-run")
    assert "0 steps" in r.out, r


def test_targets_config_errors_name_the_field(ws):
    ws.users_json(directory((1, "1001", {})))
    config(ws)
    cfg = (ws.path / "telsync.yaml").read_text()
    cfg = cfg.replace("  - name: acme\n", "  - name: acme\n    targets:\n"
                      "      - {name: sip, type: asterisk, db: x.db, domain: d}\n"
                      "      - {name: sip2, type: kamailio, domain: d}\n", 1)
    (ws.path / "telsync.yaml").write_text(cfg)
    r = ws.run("check-config")
    assert r.code == 2, r
    assert "telsync.yaml:5:27:" in r.out and "tenants[0].targets[0].type" in r.out, r
    assert "tenants[0].targets[1].db" in r.out and "required key 'db'" in r.out, r


def test_the_postgresql_db_variant_registers_and_refuses_a_removed_user(ws, cluster, tmp_path):
    name = f"kamailio_{uuid.uuid4().hex[:8]}"
    psql(cluster, f"CREATE DATABASE {name}")
    url = cluster.rsplit("/", 1)[0] + "/" + name
    for schema in ("standard", "auth_db", "alias_db"):
        r = subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-q", url, "-f",
                            f"/usr/share/kamailio/postgres/{schema}-create.sql"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
    kam = Kamailio(tmp_path / "kam", pg_url=url)
    try:
        kam.start()
        setup_tenant(ws, url, directory((1, "1001", {}), (2, "1002", {})))
        r = ws.run("sync")
        assert r.code == 0, r
        assert psql(url, "SELECT string_agg(username, ',' ORDER BY username) FROM subscriber") \
            == "user1,user2"
        assert psql(url, "SELECT username FROM dbaliases WHERE alias_username = '1001'") == "user1"
        p1 = reset_password(ws, "user1")
        assert psql(url, "SELECT ha1 FROM subscriber WHERE username = 'user1'") == \
            md5(f"user1:{DOMAIN}:{p1}")
        sip = tmp_path / "sip"
        assert register(kam, sip, "user1", p1)[0] == 0
        assert register(kam, sip, "user1", "f" * 32)[0] == 1
        ws.users_json(directory((2, "1002", {})))
        assert ws.run("sync").code == 0
        assert psql(url, "SELECT count(*) FROM subscriber WHERE username = 'user1'") == "0"
        assert psql(url, "SELECT count(*) FROM dbaliases WHERE username = 'user1'") == "0"
        assert register(kam, sip, "user1", p1)[0] == 1
    finally:
        kam.stop()
        psql(cluster, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_user_moves_between_two_pbx_sites_by_rule_and_the_preview_shows_both_steps(ws, tmp_path):
    """Two Kamailio systems routed by city (seed 002: the site a new user lands on). A user
    whose city changes is removed from the old site and created on the new one; the preview
    shows both steps before anything happens."""
    sthlm, gbg = Kamailio(tmp_path / "sthlm"), Kamailio(tmp_path / "gbg")
    setup_tenant(ws, f"sqlite://{sthlm.db}",
                 directory((1, "1001", {}), (2, "1002", {"city": "Göteborg"})))
    cfg = (ws.path / "telsync.yaml").read_text()
    cfg = cfg.replace(f"domain: {DOMAIN}}}\n",
                      f"domain: {DOMAIN}, rule: {{field: city, values: [Stockholm]}}}}\n"
                      f"      - {{name: gbg, type: kamailio, db: \"sqlite://{gbg.db}\", "
                      f"domain: {DOMAIN}, rule: {{field: city, values: [göteborg]}}}}\n", 1)
    (ws.path / "telsync.yaml").write_text(cfg)

    r = ws.run("preview", "-f", "json")
    assert r.code == 0, r
    plan = r.json()
    counts = {t["name"]: (t["create"], t["update"], t["delete"]) for t in plan["targets"]}
    assert counts == {"sip": (1, 0, 0), "gbg": (1, 0, 0)}, plan["targets"]
    r = ws.run("sync")
    assert r.code == 0, r
    assert set(sthlm.subscribers()) == {"user1"} and set(gbg.subscribers()) == {"user2"}

    # user1 moves to Göteborg.
    ws.users_json(directory((1, "1001", {"city": "Göteborg"}), (2, "1002", {"city": "Göteborg"})))
    r = ws.run("preview", "-f", "json")
    assert r.code == 0, r
    (item,) = [i for i in r.json()["items"] if i["username"] == "user1"]
    assert item["targets"] == [
        {"target": "sip", "action": "delete",
         "detail": "moved to gbg (city: Stockholm -> Göteborg)"},
        {"target": "gbg", "action": "create",
         "detail": "moved from sip (city: Stockholm -> Göteborg)"}], item
    r = ws.run("preview")
    assert r.code == 0, r
    assert "sip (kamailio, city in [Stockholm]): 0 to create, 0 to update, 1 to delete" in r.out, r
    assert "create  user1  — moved from sip (city: Stockholm -> Göteborg)" in r.out, r
    r = ws.run("sync")
    assert r.code == 0, r
    assert sthlm.subscribers() == {} and set(gbg.subscribers()) == {"user1", "user2"}
    assert "1001" not in sthlm.aliases() and gbg.aliases()["1001"] == "user1"
