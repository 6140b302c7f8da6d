"""Progress a person can read (issue 20 §3): `--progress plain` writes one line per phase
(and every few seconds) to stderr and nothing to stdout; on a terminal `auto` draws a bar
in place; a serve job's progress carries the phases and their numbers."""
import json
import os
import pty
import re
import subprocess
import threading

from conftest import BIN, config, graph_user
from test_api import CONFIG as API_CONFIG, Api, sync

USERS = 3000  # more than the file source's progress step (512) and the engine's batch (2048)
PHASES = ["read", "map", "plan", "apply", "record"]


def phases_of(err):
    """The phases in the order their lines first appear on stderr."""
    seen = []
    for line in err.splitlines():
        word = line.split(" ", 1)[0]
        if word in PHASES + ["publish"] and word not in seen:
            seen.append(word)
    return seen


def test_plain_progress_goes_to_stderr_only(ws):
    config(ws)
    ws.users_json([graph_user(i) for i in range(1, USERS + 1)])
    size = os.path.getsize(ws.path / "directory.json")
    r = ws.run("sync", "--format", "json", "--progress", "plain")
    assert r.code == 0, r
    doc = json.loads(r.out)  # stdout is the report, whole: no progress in it
    assert doc["summary"]["create"] == USERS
    assert phases_of(r.err) == PHASES, r.err
    assert "\r" not in r.err and "\x1b" not in r.err
    # The read counts the file's bytes and ends at its size; apply counts the writes.
    mb = f"{size / 1e6:.1f}"
    assert re.search(rf"^read +100%  {re.escape(mb)}/{re.escape(mb)} MB", r.err, re.M), r.err
    assert re.search(rf"^apply +100%  3,000/3,000", r.err, re.M), r.err

    # The same preview with and without progress writes the same stdout.
    plain = ws.run("preview", "--progress", "plain")
    none = ws.run("preview", "--progress", "none")
    assert plain.code == none.code == 0
    run_id = re.compile(r"run \d+")
    assert run_id.sub("run N", plain.out) == run_id.sub("run N", none.out)
    assert phases_of(plain.err) == ["read", "map", "plan", "record"], plain.err
    assert phases_of(none.err) == []
    # -q is none.
    assert phases_of(ws.run("-q", "preview", "--progress", "plain").err) == []


def test_auto_draws_a_bar_on_a_terminal(ws):
    config(ws)
    ws.users_json([graph_user(i) for i in range(1, USERS + 1)])
    master, slave = pty.openpty()
    env = dict(os.environ, TELSYNC_NOW=str(ws.now))
    proc = subprocess.Popen([BIN, "-c", str(ws.path / "telsync.yaml"), "sync"], cwd=ws.path,
                            env=env, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []

    def drain():
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the terminal's last writer closed it
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    out, _ = proc.communicate(timeout=300)
    reader.join(timeout=30)
    os.close(master)
    assert proc.returncode == 0
    tty = b"".join(chunks).decode()
    assert "\r\x1b[K" in tty, tty  # redrawn in place
    assert re.search(r"read +\[#{24}\] +100%", tty), tty
    assert re.search(r"apply +\[#{24}\] +100%  3,000/3,000", tty), tty
    # Each finished phase keeps its line: what is left on screen is one line per phase.
    final = [line.rsplit("\x1b[K", 1)[-1] for line in tty.replace("\r\n", "\n").split("\n")]
    assert [line.split(" ", 1)[0] for line in final if line] == PHASES, final
    assert b"\x1b" not in out and b"read " not in out  # stdout has the report only
    assert b"Sync run" in out


def test_serve_job_progress_has_the_phases_numbers(ws):
    ws.write("telsync.yaml", API_CONFIG)
    ws.users_json([graph_user(i) for i in range(1, 6)])
    token = ws.run("admin", "token", "create", "acme", "--label", "test").out.strip()
    api = Api(ws)
    try:
        done = sync(api, token)
    finally:
        code, err = api.stop()
    assert code == 0, err
    assert done["exit_code"] == 0
    progress = done["progress"]
    assert list(progress) == ["phase", "done", "total", "estimated", "rate", "eta_seconds",
                              "unit"], progress
    # The job's last report is the run's last phase, finished.
    assert progress["phase"] == "record"
    assert progress["done"] == progress["total"] == 5
    assert progress["estimated"] is False
    assert progress["eta_seconds"] == 0
    assert progress["unit"] == "items"
