"""`telsync serve` publishes the targets (issue 17): no CLI `targets publish` is run here.

A `serve --worker` process runs a queued job's sync and publishes the tenant's Kamailio
target after it; its periodic pass carries what the SCIM server (another `serve` process,
with no workers of its own) applied to the same target. The Kamailio database is made from
the schema Kamailio ships; the test polls its rows with a deadline.
"""
import os
import subprocess
import urllib.request

from conftest import BIN
from test_kamailio import DOMAIN, Kamailio, directory, setup_tenant, wait_until
from test_scim import Server, entra_user

SCIM_PROFILE = """\
      - name: entra
        source: {type: scim}
        policy: {grace_days: 0, max_deletes: -1, max_delete_percent: -1}
"""


def start_worker(ws):
    proc = subprocess.Popen(
        [BIN, "-c", str(ws.path / "telsync.yaml"), "serve", "--worker", "--workers", "1"],
        cwd=ws.path, env=dict(os.environ, TELSYNC_NOW=str(ws.now)), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.startswith("worker "), (line, proc.stderr.read() if proc.poll() else "")
    return proc


def stop(proc):
    proc.terminate()
    try:
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


def test_serve_publishes_a_jobs_sync_and_scim_pushes_to_kamailio(ws, tmp_path):
    kam = Kamailio(tmp_path / "kam")  # its database: telsync writes it, Kamailio reads it
    setup_tenant(ws, f"sqlite://{kam.db}", directory((1, "1001", {}), (2, "1002", {})))
    # A second profile of the tenant, after the first (the file ends with it): Entra's pushes.
    with open(ws.path / "telsync.yaml", "a") as f:
        f.write(SCIM_PROFILE)
    r = ws.run("scim", "token", "create", "acme", "--label", "entra")
    assert r.code == 0, r
    scim_token = r.out.strip()

    worker = start_worker(ws)
    try:
        r = ws.run("-p", "acme/main", "jobs", "add")
        assert r.code == 0, r
        wait_until(lambda: set(kam.subscribers()) == {"user1", "user2"},
                   "the job's users in Kamailio's subscriber table", timeout=60)
        assert kam.aliases()["1001"] == "user1"
        r = ws.run("jobs", "list", "-f", "json")
        assert r.code == 0 and [j["status"] for j in r.json()] == ["done"], r

        # SCIM: the HTTP process runs no jobs; the worker's periodic pass publishes.
        server = Server(ws, "--workers", "0")
        try:
            status, body, _ = server.call("POST", "/scim/v2/acme/Users",
                                          entra_user("asa@acme.example", phone="+46 8 50000099"), token=scim_token)
            assert status == 201, body
            wait_until(lambda: len(kam.subscribers()) == 3,
                       "the SCIM user in Kamailio's subscriber table", timeout=60)
            # /metrics of the HTTP process shows what the worker process delivered (the
            # values come from the store).
            with urllib.request.urlopen(server.base + "/metrics", timeout=10) as resp:
                text = resp.read().decode()
            labels = '{tenant="acme",target="sip"}'
            assert f"telsync_target_lag_events{labels} 0\n" in text, text
            assert f"telsync_target_events_delivered_total{labels} 3\n" in text, text
            assert f"telsync_target_events_dead_total{labels} 0\n" in text, text
            assert f"telsync_target_last_success_timestamp_seconds{labels} {ws.now}\n" in text
        finally:
            assert server.stop() == 0
        (new,) = set(kam.subscribers()) - {"user1", "user2"}
        assert kam.subscribers()[new][0] == DOMAIN
        r = ws.run("targets", "status", "-f", "json")
        assert r.code == 0, r
        (sip,) = r.json()
        assert sip["lag"] == 0 and sip["last_error"] == "" and sip["dead"] == [], sip
    finally:
        stop(worker)
    assert "target acme/sip: " in worker.stderr.read()
