"""Mail (issue 7, F20): the report with its XLSX, the error mail, welcome mails and the
admin copy, AUTH, templates, and a server that is down — against a real SMTP server
(python3-aiosmtpd) on 127.0.0.1."""
import email
import email.policy
import io
import json
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import openpyxl
import pytest

from conftest import REPO, config, graph_user

SERVER = REPO / "tests" / "fixtures" / "smtp" / "smtp_server.py"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Smtp:
    def __init__(self, tmp, port=None, user=None, password=None):
        self.port = port or free_port()
        self.dir = Path(tmp) / f"mail-{self.port}"
        cmd = ["/usr/bin/python3", str(SERVER), "--port", str(self.port), "--dir", str(self.dir)]
        if user:
            cmd += ["--user", user, "--password", password]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def messages(self):
        out = []
        for eml in sorted(self.dir.glob("*.eml")):
            meta = json.loads(eml.with_suffix(".json").read_text())
            msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
            out.append((meta, msg))
        return out


@pytest.fixture
def smtp(tmp_path):
    server = Smtp(tmp_path)
    yield server
    server.stop()


def smtp_config(port, extra=""):
    return f"""
smtp:
  url: smtp://127.0.0.1:{port}
  starttls: off
  from: "telsync <telsync@acme.example>"
  attempts: 2
  retry_seconds: 0
{extra}"""


NOTIFY = """
        notify:
          report_to: [admin@acme.example]
          errors_to: [it@acme.example]
          error_level: warning
          welcome: true
          welcome_copy_to: hr@acme.example
"""


def by_kind(messages):
    kinds = {}
    for meta, msg in messages:
        subject = str(msg["Subject"])
        kind = ("copy" if subject.startswith("[copy") else "welcome" if "Welcome" in subject
                else "report" if "added" in subject else "error")
        kinds.setdefault(kind, []).append((meta, msg))
    return kinds


def test_sync_mails_report_with_xlsx_error_and_welcome_with_copy(ws, smtp):
    config(ws, extra=NOTIFY)
    (ws.path / "telsync.yaml").write_text((ws.path / "telsync.yaml").read_text() +
                                          smtp_config(smtp.port))
    ws.users_json([graph_user(1, givenName="Åsa"), graph_user(2),
                   graph_user(3, mobilePhone="+46 70")])  # bad mobile: an error, not created
    r = ws.run("sync")
    assert r.code == 4, r
    assert "Mail report: 1 sent" in r.out and "Mail welcome: 2 sent" in r.out, r
    kinds = by_kind(smtp.messages())
    assert len(kinds["report"]) == 1 and len(kinds["error"]) == 1
    assert len(kinds["welcome"]) == 2 and len(kinds["copy"]) == 2

    meta, report = kinds["report"][0]
    assert meta["rcpt_tos"] == ["admin@acme.example"]
    assert meta["mail_from"] == "telsync@acme.example"
    assert "2 added" in str(report["Subject"])
    body = report.get_body(("plain",)).get_content()
    assert "create: 2" in body and "errors: 1" in body
    attachment = next(report.iter_attachments())
    assert attachment.get_filename().endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    added = book["Added"]
    names = {row[0] for row in added.iter_rows(min_row=2, values_only=True)}
    assert names == {"user1", "user2"}
    errors = [row for row in book["Errors"].iter_rows(min_row=2, values_only=True)]
    assert any("mobile" in str(row) for row in errors)

    meta, err = kinds["error"][0]
    assert meta["rcpt_tos"] == ["it@acme.example"]
    assert "partial" in str(err["Subject"])
    assert "+46 70" in err.get_body(("plain",)).get_content()

    welcome = {m["rcpt_tos"][0]: msg for m, msg in kinds["welcome"]}
    assert set(welcome) == {"user1@contoso.example", "user2@contoso.example"}
    assert str(welcome["user1@contoso.example"]["Subject"]) == "Welcome to the phone system, Åsa"
    assert all(m["rcpt_tos"] == ["hr@acme.example"] for m, _ in kinds["copy"])
    assert {str(msg["Subject"]) for _, msg in kinds["copy"]} >= {
        "[copy for user1@contoso.example] Welcome to the phone system, Åsa"}

    # A resync that changes nothing sends no report and welcomes nobody again.
    ws.users_json([graph_user(1, givenName="Åsa"), graph_user(2)])
    before = len(smtp.messages())
    r = ws.run("sync")
    assert r.code == 0, r
    assert len(smtp.messages()) == before
    assert ws.run("notify", "list").code == 0


def test_templates_from_the_admins_directory(ws, smtp):
    tmpl = ws.path / "mail"
    tmpl.mkdir()
    (tmpl / "welcome.txt").write_text(
        "Subject: Välkommen {{first_name}}!\n\nDin anknytning: {{extension}}\n{{unknown}}\n",
        encoding="utf-8")
    config(ws, extra=f"""
        extensions: {{range: "200-299"}}
        notify:
          welcome: true
          templates_dir: {tmpl}
""")
    (ws.path / "telsync.yaml").write_text((ws.path / "telsync.yaml").read_text() +
                                          smtp_config(smtp.port))
    ws.users_json([graph_user(1, givenName="Örjan")])
    assert ws.run("sync").code == 0
    [(meta, msg)] = smtp.messages()
    assert str(msg["Subject"]) == "Välkommen Örjan!"
    body = msg.get_body(("plain",)).get_content()
    assert "Din anknytning: 200" in body and "{{unknown}}" in body


def test_auth_and_the_password_never_shows(ws, tmp_path):
    server = Smtp(tmp_path, user="mailer", password="s3cret-smtp-pw")
    try:
        config(ws, extra="""
        notify:
          report_to: [admin@acme.example]
""")
        (ws.path / "telsync.yaml").write_text(
            (ws.path / "telsync.yaml").read_text() +
            smtp_config(server.port, "  username: mailer\n  password: ${env:SMTP_PW}\n"))
        ws.users_json([graph_user(1)])
        env = {"SMTP_PW": "s3cret-smtp-pw"}
        r = ws.run("sync", env=env)
        assert r.code == 0, r
        [(meta, _)] = server.messages()
        assert meta["auth"] is True

        env = {"SMTP_PW": "wrong-pw-9"}
        r = ws.run("notify", "test", "--to", "admin@acme.example", env=env)
        assert r.code == 1
        assert "refused the username or password" in r.err, r
        for text in (r.out, r.err, ws.run("notify", "list", env=env).out):
            assert "wrong-pw-9" not in text and "s3cret" not in text
        dump = "\n".join(sqlite3.connect(ws.path / "telsync.db").iterdump())
        assert "s3cret" not in dump and "wrong-pw-9" not in dump
    finally:
        server.stop()


def test_server_down_is_retried_recorded_and_resent(ws, tmp_path):
    port = free_port()  # nothing listens yet
    config(ws, extra="""
        notify:
          report_to: [admin@acme.example]
""")
    (ws.path / "telsync.yaml").write_text((ws.path / "telsync.yaml").read_text() +
                                          smtp_config(port))
    ws.users_json([graph_user(1), graph_user(2)])
    r = ws.run("sync")
    assert r.code == 0, r  # the sync itself succeeded; the mail is kept, not lost
    assert "Mail report: 0 sent, 1 failed" in r.out, r
    assert "cannot connect to the SMTP server" in r.err
    listed = ws.run("notify", "list", "--failed")
    assert "report" in listed.out and "failed" in listed.out and "(2 tries)" in listed.out, listed

    server = Smtp(tmp_path, port=port)
    try:
        r = ws.run("notify", "retry")
        assert r.code == 0, r
        assert "sent" in r.out
        [(meta, msg)] = server.messages()
        assert meta["rcpt_tos"] == ["admin@acme.example"]
        assert next(msg.iter_attachments()).get_filename().endswith(".xlsx")
        assert "No mails." in ws.run("notify", "list", "--failed").out
        assert "No failed mails." in ws.run("notify", "retry").out
    finally:
        server.stop()


def test_starttls_required_but_not_offered_is_a_clear_error(ws, smtp):
    config(ws)
    text = (ws.path / "telsync.yaml").read_text() + smtp_config(smtp.port)
    (ws.path / "telsync.yaml").write_text(text.replace("starttls: off", "starttls: required"))
    r = ws.run("notify", "test", "--to", "admin@acme.example")
    assert r.code == 1
    assert "does not offer STARTTLS" in r.err, r
    assert smtp.messages() == []


def test_bad_notify_config_names_the_field(ws):
    config(ws, extra="""
        notify:
          report_to: [not-an-address]
          error_level: loud
""")
    (ws.path / "telsync.yaml").write_text((ws.path / "telsync.yaml").read_text() +
                                          "\nsmtp:\n  url: http://mail\n")
    r = ws.run("check-config")
    assert r.code == 2
    assert "3 problems" in r.err, r
    assert "notify.report_to[0]" in r.out and "local@domain" in r.out, r
    assert "notify.error_level" in r.out and "warning, error, held" in r.out
    assert "smtp.url" in r.out and "smtp://" in r.out
