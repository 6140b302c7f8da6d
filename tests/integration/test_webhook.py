"""The signed webhook target (issue 17 §3) against a real HTTP receiver.

tests/fixtures/webhook/receiver.py is a Python stdlib server on 127.0.0.1 that verifies every
Standard Webhooks signature, records every request, answers 503 to its first requests and
422 to the users it is told to refuse. It is stopped for a while: syncs go on, `targets
status` shows the lag and the error, and `targets publish` delivers everything in order per
user once it is back. The publish command is synchronous: the tests drive it, never sleep.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import NOW, REPO, config, graph_user

RECEIVER = REPO / "tests" / "fixtures" / "webhook" / "receiver.py"
SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
ENV = {"HOOK_SECRET": SECRET}


def wait_until(predicate, what, timeout=20.0):
    """Polls a readiness condition (not a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Receiver:
    def __init__(self, tmp):
        self.dir = tmp
        tmp.mkdir(parents=True, exist_ok=True)
        self.log = tmp / "requests.jsonl"
        self.port = 0
        self.proc = None

    def start(self, *extra):
        port_file = self.dir / "port"
        port_file.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", str(RECEIVER), "--port", str(self.port), "--port-file",
             str(port_file), "--secret", SECRET, "--log", str(self.log), *extra])
        wait_until(port_file.exists, "the receiver to listen")
        self.port = int(port_file.read_text())

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hooks/telsync"

    def requests(self):
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def delivered(self):
        return [r for r in self.requests() if r["status"] == 204]


@pytest.fixture
def receiver(tmp_path):
    r = Receiver(tmp_path / "receiver")
    yield r
    r.stop()


def setup_tenant(ws, url, users, extra=""):
    ws.users_json(users)
    config(ws)
    cfg = (ws.path / "telsync.yaml").read_text()
    cfg = cfg.replace("  - name: acme\n", "  - name: acme\n    targets:\n"
                      f"      - {{name: hook, type: webhook, url: \"{url}\", "
                      f"secret: \"${{env:HOOK_SECRET}}\"{extra}}}\n", 1)
    (ws.path / "telsync.yaml").write_text(cfg)


def run(ws, *args):
    return ws.run(*args, env=ENV)


def status(ws):
    r = run(ws, "targets", "status", "-f", "json")
    assert r.code == 0, r
    (target,) = r.json()
    return target


def sign(msg_id, ts, body):
    key = base64.b64decode(SECRET[len("whsec_"):])
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def post(url, body, headers):
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code


def seq(request):
    return int(request["id"].rsplit("_", 1)[1])


def test_deliveries_are_signed_and_arrive_in_order_after_an_outage(ws, receiver):
    receiver.start("--fail-first", "2", "--retry-after", "120")
    setup_tenant(ws, receiver.url, [graph_user(1), graph_user(2), graph_user(3)])

    # A new target starts with a full reconcile: a snapshot of every user. The receiver's
    # first two answers are 503 with Retry-After: 120; the sync never fails for it.
    r = run(ws, "sync")
    assert r.code == 0, r
    assert "target hook is not published yet" in r.err, r
    s = status(ws)
    assert "answered HTTP 503" in s["last_error"], s
    assert s["next_attempt_at"] == NOW + 120, s  # Retry-After, above the 5 s back-off
    r = run(ws, "targets", "publish")
    assert r.code == 1, r  # the target failed
    assert "answered HTTP 503: busy" in r.out, r
    r = run(ws, "targets", "publish")
    assert r.code == 0, r
    s = status(ws)
    assert s["lag"] == 0 and s["last_error"] == "" and s["attempts"] == 0, s
    snapshots = [q for q in receiver.delivered() if q["type"] == "user.snapshot"]
    assert sorted(q["username"] for q in snapshots) == ["user1", "user2", "user3"]

    # Down: changes pile up in the outbox, in order per user.
    receiver.stop()
    ws.now += 60
    ws.users_json([graph_user(1), graph_user(2, mobilePhone="+46 70 111 11 11"),
                   graph_user(4)])
    r = run(ws, "sync")
    assert r.code == 0, r
    assert "target hook is behind by" in r.err, r
    s = status(ws)
    assert s["lag"] >= 3 and "cannot reach" in s["last_error"], s
    assert s["attempts"] == 1, s
    lag = s["lag"]
    ws.now += 60
    ws.users_json([graph_user(1), graph_user(2, mobilePhone="+46 70 222 22 22"),
                   graph_user(4, jobTitle="Boss")])
    r = run(ws, "sync")
    assert r.code == 0, r
    s = status(ws)
    assert s["lag"] == lag + 2, s  # user2 and user4 changed again
    lag = s["lag"]

    # Back (on the same port): one publish delivers everything, in order per user.
    before = len(receiver.requests())
    receiver.start()
    r = run(ws, "targets", "publish")
    assert r.code == 0, r
    assert f"delivered {lag}, dead 0, waiting 0 events" in r.out, r
    s = status(ws)
    assert s["lag"] == 0 and s["last_error"] == "", s
    after = receiver.requests()[before:]
    assert all(q["status"] == 204 for q in after), after
    ids = [q["id"] for q in after]
    assert len(ids) == len(set(ids)) == lag  # each event once
    assert [seq(q) for q in after] == sorted(seq(q) for q in after)
    per_user = {}
    for q in after:
        if q["user_id"] is not None:
            per_user.setdefault(q["username"], []).append((seq(q), q["type"]))
    for events in per_user.values():
        assert [s for s, _ in events] == sorted(s for s, _ in events)
    assert [t for _, t in per_user["user2"]] == ["user.updated", "user.updated"]
    assert [t for _, t in per_user["user3"]] == ["user.deleted"]
    assert [t for _, t in per_user["user4"]] == ["user.created", "user.updated"]
    body = json.loads(after[[q["username"] for q in after].index("user2")]["body"])
    assert body["type"] == "user.updated" and body["tenant"] == "acme"
    assert body["data"]["user"]["mobile"] == "+46701111111"
    assert {"field": "mobile", "old": "", "new": "+46701111111"} in body["data"]["changes"]
    assert body["timestamp"].endswith("Z")

    # Every request telsync made verifies; a tampered one does not.
    everything = receiver.requests()
    assert everything and all(q["verified"] for q in everything)
    last = everything[-1]
    for q in everything:  # checked here too, independently of the receiver
        assert q["signature"] == sign(q["id"], q["timestamp"], q["body"].encode())
        assert q["timestamp"] == str(NOW) or int(q["timestamp"]) > NOW
    headers = {"webhook-id": last["id"], "webhook-timestamp": last["timestamp"],
               "webhook-signature": last["signature"], "Content-Type": "application/json"}
    assert post(receiver.url, last["body"].encode(), headers) == 204
    tampered = last["body"].replace("acme", "evil").encode()
    assert post(receiver.url, tampered, headers) == 401
    assert receiver.requests()[-1]["verified"] is False

    # The secret never shows in what telsync prints.
    for args in (("targets", "status"), ("targets", "list", "-f", "json"),
                 ("check-config",)):
        r = run(ws, *args)
        assert SECRET not in r.out + r.err and SECRET[6:] not in r.out + r.err, r


def test_a_refused_event_is_dead_and_retry_resends_it(ws, receiver):
    receiver.start("--refuse", "user2")
    setup_tenant(ws, receiver.url, [graph_user(1)])
    r = run(ws, "sync")
    assert r.code == 0, r
    ws.users_json([graph_user(1), graph_user(2), graph_user(3)])
    r = run(ws, "sync")
    assert r.code == 0, r
    s = status(ws)
    assert s["lag"] == 0, s
    (dead,) = s["dead"]
    assert dead["kind"] == "user_created"
    assert "answered HTTP 422" in dead["error"] and "user refused by the receiver" in dead["error"]
    assert sorted(q["username"] for q in receiver.delivered()) == ["user1", "user3"]

    receiver.stop()
    receiver.start()  # accepts user2 now
    r = run(ws, "targets", "retry")
    assert r.code == 0, r
    s = status(ws)
    assert s["dead"] == [], s
    created = [q for q in receiver.delivered() if q["username"] == "user2"]
    assert [q["type"] for q in created] == ["user.created"]
    # The retry carries the event's own id: a receiver that had it would drop it.
    refused = [q for q in receiver.requests() if q["status"] == 422]
    assert refused and refused[0]["id"] == created[0]["id"]


def test_full_sends_a_snapshot_and_the_dry_run_only_lists_it(ws, receiver):
    receiver.start()
    setup_tenant(ws, receiver.url, [graph_user(1), graph_user(2)])
    assert run(ws, "sync").code == 0
    n = len(receiver.requests())
    r = run(ws, "targets", "publish", "--full", "--dry-run")
    assert r.code == 0, r
    assert "send user.snapshot user1" in r.out and "send user.snapshot user2" in r.out, r
    assert len(receiver.requests()) == n
    r = run(ws, "targets", "publish", "--full")
    assert r.code == 0, r
    new = receiver.requests()[n:]
    assert sorted((q["type"], q["username"]) for q in new) == [
        ("user.snapshot", "user1"), ("user.snapshot", "user2")]
    # Unchanged users: the same snapshot ids as the first publish's (a receiver dedupes).
    first = {q["username"]: q["id"] for q in receiver.requests()[:n]}
    assert all(first[q["username"]] == q["id"] for q in new)


def test_webhook_config_errors(ws):
    setup_tenant(ws, "ftp://example", [graph_user(1)], extra=", domain: x")
    r = run(ws, "check-config")
    assert r.code == 2, r
    assert "tenants[0].targets[0].url" in r.out and "http://" in r.out, r
    assert "tenants[0].targets[0].domain" in r.out, r
    setup_tenant(ws, "http://127.0.0.1:9/", [graph_user(1)])
    # The secret's format is checked when the target is made.
    r = ws.run("targets", "publish", env={"HOOK_SECRET": "whsec_!!notbase64"})
    assert r.code == 2, r
    assert "whsec_" in r.err + r.out and "!!notbase64" not in r.err + r.out, r


def test_the_publish_phase_after_a_sync_counts_the_events_it_delivers(ws, receiver):
    receiver.start()
    setup_tenant(ws, receiver.url, [graph_user(1), graph_user(2), graph_user(3)],
                 extra=", retry: {batch: 2}")
    r = run(ws, "sync")  # the target's first publish: a snapshot of every user
    assert r.code == 0, r
    before = len(receiver.delivered())
    ws.now += 60
    ws.users_json([graph_user(1, jobTitle="Boss"), graph_user(2, jobTitle="Boss"),
                   graph_user(3, jobTitle="Boss"), graph_user(4), graph_user(5)])
    r = run(ws, "sync", "--progress", "plain")
    assert r.code == 0, r
    sent = len(receiver.delivered()) - before
    assert sent >= 5, receiver.requests()
    # The phase counts the events delivered, of those that waited (the outbox lag).
    m = re.search(r"^publish +100%  ([\d,]+)/([\d,]+)$", r.err, re.M)
    assert m, r.err
    assert int(m.group(1).replace(",", "")) == int(m.group(2).replace(",", "")) == sent, r.err
