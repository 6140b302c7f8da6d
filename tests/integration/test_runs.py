"""One run of a profile at a time, and a run history that tells the truth after a crash
(issue 14 items 3 and 4). A sync whose source is a FIFO blocks in its read while holding
the profile's run lock, so the tests know the state of the first process by looking at it
(its run is listed as running), never by sleeping."""
import json
import os
import signal
import subprocess
import time

from conftest import BIN, config, graph_user


def runs(ws):
    r = ws.run("runs", "list")
    assert r.code == 0, r
    rows = {}
    for line in r.out.splitlines()[1:]:
        parts = line.split()
        if parts and parts[0].isdigit():
            rows[int(parts[0])] = (parts[3], line)
    return rows


def start_blocked_sync(ws, *args):
    """`telsync sync` reading directory.json, a FIFO nobody writes yet: it takes the lock,
    records its run as running and blocks in the read."""
    assert ws.run("runs", "list").code == 0  # the store exists before the two processes race
    fifo = ws.path / "directory.json"
    if fifo.exists():
        fifo.unlink()
    os.mkfifo(fifo)
    env = dict(os.environ, TELSYNC_NOW=str(ws.now))
    proc = subprocess.Popen([BIN, "-c", str(ws.path / "telsync.yaml"), "sync", *args], cwd=ws.path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not any(status == "running" for status, _ in runs(ws).values()):
        assert proc.poll() is None, proc.stderr.read()
        assert time.time() < deadline, "the first sync never started its run"
        time.sleep(0.05)
    return proc, fifo


def feed(fifo, users):
    with open(fifo, "w", encoding="utf-8") as f:
        f.write(json.dumps({"value": users}))


def test_a_second_run_of_the_profile_is_refused_or_waits(ws):
    config(ws)
    users = [graph_user(i) for i in range(1, 6)]
    first, fifo = start_blocked_sync(ws)
    try:
        running = [rid for rid, (status, _) in runs(ws).items() if status == "running"]
        # A second sync exits 1 and names the run in progress and its holder.
        second = ws.run("sync")
        assert second.code == 1, second
        assert f"a run of acme/main is in progress (run {running[0]}, pid {first.pid} on" in second.err, second
        # The same from preview: nothing is planned against a store being written.
        assert ws.run("preview").code == 1
        # With --wait it runs once the first one has finished.
        env = dict(os.environ, TELSYNC_NOW=str(ws.now))
        waiting = subprocess.Popen([BIN, "-c", str(ws.path / "telsync.yaml"), "sync", "--wait"],
                                   cwd=ws.path, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        feed(fifo, users)
        assert first.wait(timeout=120) == 0, first.stderr.read()
        # The waiting sync reads the FIFO again: give it the same directory.
        feed(fifo, users)
        assert waiting.wait(timeout=120) == 0, waiting.stderr.read()
        out = waiting.stdout.read()
        assert "Applied: 0 user rows" in out, out  # the first one applied all five
    finally:
        for p in (first,):
            if p.poll() is None:
                p.kill()
                p.wait()
    listed = ws.run("-p", "acme", "users", "list", "-f", "json")
    assert len(listed.json()) == 5


def test_a_run_left_running_by_a_killed_process_is_closed_as_failed(ws):
    config(ws)
    users = [graph_user(i) for i in range(1, 4)]
    killed, fifo = start_blocked_sync(ws)
    [rid] = [rid for rid, (status, _) in runs(ws).items() if status == "running"]
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert runs(ws)[rid][0] == "running"  # nobody closed it: the process is gone
    fifo.unlink()
    ws.users_json(users)
    r = ws.run("sync")
    assert r.code == 0, r
    status, line = runs(ws)[rid]
    assert status == "failed", line
    assert "the process ended before the run finished" in line, line
    assert len(ws.run("-p", "acme", "users", "list", "-f", "json").json()) == 3
