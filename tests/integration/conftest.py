"""Fixtures for driving the real telsync binary in a temporary directory."""
import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

BIN = os.environ.get("TELSYNC_BIN", "")
REPO = Path(os.environ.get("TELSYNC_REPO", Path(__file__).resolve().parents[2]))
NOW = 1_790_000_000  # a fixed clock (2026-09-21): runs are reproducible


class Result:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


class Workspace:
    """A directory with a telsync.yaml, a directory export and a store."""

    def __init__(self, path: Path):
        self.path = path
        self.now = NOW

    def write(self, name, text):
        p = self.path / name
        p.write_text(textwrap.dedent(text), encoding="utf-8")
        return p

    def users_json(self, users, name="directory.json"):
        p = self.path / name
        p.write_text(json.dumps({"value": users}, ensure_ascii=False), encoding="utf-8")
        return p

    def run(self, *args, env=None, config="telsync.yaml"):
        e = dict(os.environ)
        e["TELSYNC_NOW"] = str(self.now)
        e.pop("TELSYNC_CONFIG", None)
        if env:
            e.update(env)
        cmd = [BIN]
        if config:
            cmd += ["-c", str(self.path / config)]
        cmd += list(args)
        proc = subprocess.run(cmd, cwd=self.path, env=e, capture_output=True, text=True,
                              timeout=300)
        return Result(proc)


@pytest.fixture
def ws(tmp_path):
    assert BIN and Path(BIN).exists(), "TELSYNC_BIN must name the built telsync binary"
    return Workspace(tmp_path)


def graph_user(i, **over):
    """A user in the shape of Microsoft Graph's /users answer."""
    u = {
        "id": f"00000000-0000-4000-8000-{i:012d}",
        "accountEnabled": True,
        "displayName": f"User {i}",
        "givenName": "User",
        "surname": f"Number{i}",
        "mail": f"user{i}@contoso.example",
        "mailNickname": f"user{i}",
        "userPrincipalName": f"user{i}@contoso.example",
        "businessPhones": [f"+46 8 5{i:07d}"],
        "mobilePhone": None,
        "department": "Sales",
        "jobTitle": "Seller",
        "city": "Stockholm",
        "country": "SE",
    }
    u.update(over)
    return u


BASE_CONFIG = """\
store: telsync.db
tenants:
  - name: acme
    profiles:
      - name: main
        source:
          type: file
          path: directory.json
        policy:
          grace_days: {grace}
          max_deletes: {max_deletes}
          max_delete_percent: -1
          protect_mobile: {protect}
          mode: {mode}
"""


def config(ws, grace=0, max_deletes=-1, protect="true", mode="full", extra=""):
    ws.write("telsync.yaml", BASE_CONFIG.format(grace=grace, max_deletes=max_deletes,
                                                 protect=protect, mode=mode) + extra)
