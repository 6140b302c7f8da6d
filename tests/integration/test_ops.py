"""Operations (issue 7 item 5): the real `telsync serve` scraped at /metrics (parsed with a
small reader of the Prometheus text format 0.0.4), /readyz with a real store failure (the
database file removed under the running service), structured logs on stderr (logfmt and
JSON lines) and a clean SIGTERM."""
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import BIN, graph_user

CONFIG = """\
store: telsync.db
tenants:
  - name: acme
    profiles:
      - name: main
        source: {type: file, path: directory.json}
        policy: {grace_days: 0, max_deletes: -1, max_delete_percent: -1}
      - name: entra
        source: {type: scim}
        policy: {grace_days: 0, max_deletes: -1, max_delete_percent: -1}
"""

METRICS = {
    "telsync_runs_total": "counter",
    "telsync_run_duration_seconds": "histogram",
    "telsync_users": "gauge",
    "telsync_source_read_errors_total": "counter",
    "telsync_throttle_wait_seconds_total": "counter",
    "telsync_throttled_requests_total": "counter",
    "telsync_scim_requests_total": "counter",
    "telsync_http_requests_total": "counter",
    "telsync_http_request_duration_seconds": "histogram",
    "telsync_mail_total": "counter",
}

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse_metrics(text):
    """The text format read back: ({name: type}, {name: help}, [(name, {labels}, value)])."""
    types, helps, samples = {}, {}, []
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, doc = line[7:].partition(" ")
            helps[name] = doc
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            types[name] = kind
        else:
            m = SAMPLE.match(line)
            assert m, f"unparsable sample line: {line!r}"
            labels = {}
            body = m.group(3) or ""
            pos = 0
            while pos < len(body):
                lm = LABEL.match(body, pos)
                assert lm, f"bad labels in {line!r}"
                labels[lm.group(1)] = re.sub(r'\\(.)', lambda x: "\n" if x.group(1) == "n" else x.group(1),
                                             lm.group(2))
                pos = lm.end()
            samples.append((m.group(1), labels, float(m.group(4))))
    # Every sample belongs to a declared family (histograms by their suffixes).
    for name, _, _ in samples:
        base = re.sub(r'_(bucket|sum|count)$', '', name)
        assert name in types or types.get(base) == "histogram", name
    return types, helps, samples


def value(samples, name, **labels):
    """The sum of the samples of `name` whose labels include `labels` (None: no sample)."""
    found = [v for n, ls, v in samples if n == name and all(ls.get(k) == w for k, w in labels.items())]
    return sum(found) if found else None


class Serve:
    def __init__(self, ws, *args):
        env = dict(os.environ, TELSYNC_NOW=str(ws.now))
        self.proc = subprocess.Popen(
            [BIN, "-c", str(ws.path / "telsync.yaml"), "serve", "--listen", "127.0.0.1:0", *args],
            cwd=ws.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("listening on http://"), (line, self.proc.stderr.read())
        self.base = line.split()[-1].strip()

    def call(self, method, path, body=None, token=None, content_type="application/json"):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=20) as resp:
                return resp.status, resp.read().decode(), dict(resp.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), dict(e.headers)

    def scrape(self):
        status, text, headers = self.call("GET", "/metrics")
        assert status == 200
        assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return parse_metrics(text)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode, self.proc.stderr.read()


def wait_until(check, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def logfmt(line):
    """A logfmt line as a dict; fails on anything that is not key=value pairs."""
    out, pos = {}, 0
    pair = re.compile(r'([A-Za-z0-9_.\-]+)=("(?:[^"\\]|\\.)*"|[^ "]*)( |$)')
    while pos < len(line):
        m = pair.match(line, pos)
        assert m, f"not logfmt at {pos}: {line!r}"
        v = m.group(2)
        out[m.group(1)] = json.loads(v) if v.startswith('"') else v
        pos = m.end()
    return out


@pytest.fixture
def setup(ws):
    ws.write("telsync.yaml", CONFIG)
    ws.users_json([graph_user(i) for i in range(1, 5)] + [graph_user(5, accountEnabled=False)])
    scim = ws.run("scim", "token", "create", "acme", "--label", "entra")
    admin = ws.run("admin", "token", "create", "acme", "--label", "ops")
    assert scim.code == 0 and admin.code == 0, (scim, admin)
    return scim.out.strip(), admin.out.strip()


def test_metrics_readiness_logs_and_sigterm(ws, setup):
    scim_token, admin_token = setup
    serve = Serve(ws)
    try:
        types, helps, samples = serve.scrape()
        for name, kind in METRICS.items():
            assert types.get(name) == kind, name
            assert helps.get(name), name

        status, body, _ = serve.call("GET", "/readyz")
        assert status == 200, body
        assert json.loads(body) == {"status": "ready", "checks": {"store": "ok", "server": "ok"}}
        assert serve.call("GET", "/healthz")[0] == 200

        # SCIM: Entra's connection test, an unauthenticated call, and a user created.
        status, _, _ = serve.call(
            "GET", f'/scim/v2/acme/Users?filter=userName+eq+%22{uuid.uuid4()}%22', token=scim_token)
        assert status == 200
        assert serve.call("GET", "/scim/v2/acme/Users", token="wrong")[0] == 401
        user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "externalId": str(uuid.uuid4()), "userName": "asa@acme.example", "active": True,
                "displayName": "Asa Berg", "name": {"givenName": "Asa", "familyName": "Berg"},
                "emails": [{"primary": True, "type": "work", "value": "asa@acme.example"}],
                "phoneNumbers": [{"type": "work", "value": "+46 8 59999999"}]}
        status, body, _ = serve.call("POST", "/scim/v2/acme/Users", user, token=scim_token,
                                     content_type="application/scim+json")
        assert status == 201, body

        # A sync through the REST API (a job: the run shows up in the metrics when done).
        status, body, _ = serve.call("POST", "/api/v1/tenants/acme/profiles/main/sync",
                                     token=admin_token)
        assert status == 202, body

        def runs_recorded():
            _, _, s = serve.scrape()
            main = value(s, "telsync_runs_total", tenant="acme", profile="main", kind="sync",
                         status="success")
            entra = value(s, "telsync_runs_total", tenant="acme", profile="entra", kind="sync",
                          status="success")
            return s if main and entra else None

        samples = wait_until(runs_recorded)
        assert value(samples, "telsync_run_duration_seconds_count", tenant="acme",
                     profile="main", kind="sync") == 1
        assert value(samples, "telsync_run_duration_seconds_bucket", tenant="acme",
                     profile="main", kind="sync", le="+Inf") == 1
        # Users by state: four enabled and one disabled user of the file, one SCIM user.
        assert value(samples, "telsync_users", tenant="acme", state="active") == 5
        assert value(samples, "telsync_users", tenant="acme", state="unsearchable") == 1
        assert value(samples, "telsync_users", tenant="acme", state="pending_delete") == 0
        assert value(samples, "telsync_scim_requests_total", tenant="acme", method="POST",
                     status="201") == 1
        assert value(samples, "telsync_scim_requests_total", tenant="acme", method="GET",
                     status="200") == 1
        assert value(samples, "telsync_scim_requests_total", tenant="acme", status="401") == 1
        # Route patterns label the HTTP metrics, never raw paths with ids or queries.
        routes = {ls["route"] for n, ls, _ in samples if n == "telsync_http_requests_total"}
        assert "/scim/v2/{tenant}/Users" in routes and "/readyz" in routes, routes
        assert all("acme" not in r for r in routes), routes
        assert value(samples, "telsync_http_requests_total", route="/readyz", status="200") == 1
        assert value(samples, "telsync_http_request_duration_seconds_count", route="/readyz") == 1
        assert value(samples, "telsync_source_read_errors_total") is None  # no read failed

        # A real store failure: the database file removed under the running service.
        os.rename(ws.path / "telsync.db", ws.path / "moved.db")
        try:
            status, body, _ = serve.call("GET", "/readyz")
            assert status == 503, body
            doc = json.loads(body)
            assert doc["status"] == "not ready"
            assert "telsync.db" in doc["checks"]["store"] and doc["checks"]["server"] == "ok"
        finally:
            os.rename(ws.path / "moved.db", ws.path / "telsync.db")
        assert serve.call("GET", "/readyz")[0] == 200
    finally:
        code, err = serve.stop()
    assert code == 0, err
    lines = err.splitlines()
    assert lines, "no log lines"
    for line in lines:
        fields = logfmt(line)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", fields["ts"]), line
        assert fields["level"] in ("debug", "info", "warn", "error"), line
        assert fields["msg"], line
    assert not any(logfmt(x)["level"] == "debug" for x in lines)  # info is the default minimum
    assert any(logfmt(x)["level"] == "warn" and logfmt(x)["msg"] == "not ready" for x in lines)
    assert "stopped" in logfmt(lines[-1])["msg"], lines[-1]
    assert scim_token not in err and admin_token not in err


def test_json_logs_and_debug_level(ws, setup):
    scim_token, _ = setup
    serve = Serve(ws, "--log-format", "json", "--log-level", "debug")
    try:
        assert serve.call("GET", "/scim/v2/acme/Users", token=scim_token)[0] == 200
        assert serve.call("GET", "/metrics")[0] == 200
    finally:
        code, err = serve.stop()
    assert code == 0, err
    docs = [json.loads(line) for line in err.splitlines()]  # every line is one JSON object
    assert docs
    for doc in docs:
        assert {"ts", "level", "msg"} <= set(doc), doc
    requests = [d for d in docs if d["msg"] == "http request"]
    assert any(d["route"] == "/scim/v2/{tenant}/Users" and d["status"] == "200" for d in requests)
    assert "stopped" in docs[-1]["msg"]
    assert scim_token not in err


def test_bad_log_options_are_usage_errors(ws, setup):
    for args in (["--log-format", "xml"], ["--log-level", "loud"]):
        r = ws.run("serve", "--listen", "127.0.0.1:0", *args)
        assert r.code == 2, r
        assert "log" in r.err, r
