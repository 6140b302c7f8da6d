"""XLSX and HTML reports of a real run (issue 7 item 3, F17/F20).

The XLSX is read back with openpyxl; the HTML page is checked for escaping and rendered
by headless Chromium into a screenshot.
"""
import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import config, graph_user

SHEETS = ["Summary", "Added", "Updated", "Deleted", "Pending", "Errors"]


def two_runs(ws):
    """Run 1 creates five users; run 2 updates, deletes, adds, and hits an error."""
    config(ws, grace=0, protect="false")
    ws.users_json([graph_user(i) for i in range(1, 6)])
    r = ws.run("sync")
    assert r.code == 0, r
    ws.users_json([
        graph_user(1, jobTitle="Head of Sales"),
        # user2 is gone: deleted (grace 0)
        graph_user(3), graph_user(4),
        graph_user(5, accountEnabled=False),  # kept, not searchable
        graph_user(6, mailNickname="<script>", displayName="<script>alert(1)</script>"),
        graph_user(7, mobilePhone="+46 70"),  # invalid: an error with a reason
    ])
    r = ws.run("sync", "--format", "json")
    assert r.code == 4, r  # applied with a per-user error
    return r.json()


def rows(sheet):
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_runs_show_xlsx_reads_back(ws):
    doc = two_runs(ws)
    run_id = doc["run"]
    out = ws.path / "report.xlsx"
    r = ws.run("runs", "show", str(run_id), "--format", "xlsx", "-o", str(out))
    assert r.code == 0, r
    assert out.read_bytes()[:4] == b"PK\x03\x04"
    wb = load_workbook(out)  # not read-only: freeze panes and filters are read too
    assert wb.sheetnames == SHEETS
    for name in SHEETS:
        sheet = wb[name]
        assert sheet.freeze_panes == "A2", name
        assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:"), name
        assert sheet.auto_filter.ref.endswith(str(max(sheet.max_row, 1))), name
        for col, cell in enumerate(sheet[1], start=1):
            assert cell.font.b, (name, cell.value)
            letter = cell.column_letter
            width = sheet.column_dimensions[letter].width
            assert 8 <= width <= 61, (name, letter, width)

    summary = {row[0]: row[1] for row in rows(wb["Summary"])[1:]}
    assert summary["Tenant"] == "acme" and summary["Profile"] == "main"
    assert summary["Run"] == run_id
    assert summary["Status"] == "partial"
    assert summary["Added"] == doc["summary"]["create"] == 1
    assert summary["Deleted"] == 1 and summary["Errors"] == 1

    added = rows(wb["Added"])
    assert added[0][:3] == ["username", "key", "first_name"]
    assert len(added) == 2
    record = dict(zip(added[0], added[1]))
    assert record["username"] == "<script>"
    assert record["display_name"] == "<script>alert(1)</script>"
    assert record["email"] == "user6@contoso.example"
    assert record["landline"] == "+46850000006"  # E.164, kept as text

    updated = rows(wb["Updated"])
    assert updated[0] == ["username", "key", "field", "old", "new"]
    assert ["user1", graph_user(1)["id"], "job_title", "Seller", "Head of Sales"] in updated

    deleted = rows(wb["Deleted"])
    assert deleted[0] == ["username", "key", "reason"]
    assert [row[0] for row in deleted[1:]] == ["user2"]

    pending = rows(wb["Pending"])
    assert pending[0] == ["action", "username", "key", "changes", "reason"]
    assert [(row[0], row[1]) for row in pending[1:]] == [("unsearchable", "user5")]
    assert "searchable: true -> false" in pending[1][3]

    errors = rows(wb["Errors"])
    assert errors[0] == ["action", "username", "key", "reason"]
    assert len(errors) == 2 and errors[1][0] == "error"
    assert "mobile" in errors[1][3] and "+46 70" in errors[1][3]

    # Widths fit the content: the reason column is wider than the action column.
    err = wb["Errors"]
    assert err.column_dimensions["D"].width > err.column_dimensions["A"].width


def test_xlsx_needs_an_output_file(ws):
    doc = two_runs(ws)
    r = ws.run("runs", "show", str(doc["run"]), "--format", "xlsx")
    assert r.code == 2 and "-o" in r.err, r
    # A preview refuses before running, so nothing is recorded for a report it cannot write.
    before = ws.run("runs", "list").out
    r = ws.run("preview", "-f", "xlsx")
    assert r.code == 2 and "-o" in r.err, r
    assert ws.run("runs", "list").out == before
    # Piped (not a terminal), "-o -" writes the workbook to stdout.
    proc = subprocess.run(
        [os.environ["TELSYNC_BIN"], "-c", str(ws.path / "telsync.yaml"), "runs", "show",
         str(doc["run"]), "--format", "xlsx", "-o", "-"],
        cwd=ws.path, capture_output=True, env={**os.environ, "TELSYNC_NOW": str(ws.now)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout[:4] == b"PK\x03\x04"
    # An unwritable path is a clean failure naming the path.
    r = ws.run("runs", "show", str(doc["run"]), "--format", "xlsx", "-o",
               str(ws.path / "no-such-dir" / "r.xlsx"))
    assert r.code == 1 and "no-such-dir" in r.err, r


def test_preview_writes_xlsx_and_html(ws):
    config(ws)
    ws.users_json([graph_user(i) for i in range(1, 4)])
    out = ws.path / "preview.xlsx"
    r = ws.run("preview", "-f", "xlsx", "-o", str(out))
    assert r.code == 0, r
    wb = load_workbook(out, read_only=True)
    assert wb.sheetnames == SHEETS
    assert len(rows(wb["Added"])) == 4
    page = ws.path / "preview.html"
    r = ws.run("preview", "-f", "html", "-o", str(page))
    assert r.code == 0, r
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "user3" in html


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_runs_show_html_escapes_and_renders(ws):
    doc = two_runs(ws)
    page = ws.path / "report.html"
    r = ws.run("runs", "show", str(doc["run"]), "--format", "html", "-o", str(page))
    assert r.code == 0, r
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;" in html
    for outside in ("http://", "https://", "<link", "<img", "src=\""):
        assert outside not in html, outside
    for heading in ("Added", "Updated", "Deleted", "Not searchable", "Errors"):
        assert heading in html, heading
    assert "Head of Sales" in html and "+46 70" in html
    # Without -o the page goes to stdout.
    r = ws.run("runs", "show", str(doc["run"]), "--format", "html")
    assert r.code == 0 and r.out == html

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (scripts/install-deps.sh installs it)")
    shot = ws.path / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={profile}", f"--screenshot={shot}",
             "--window-size=1280,900", page.as_uri()],
            capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert png_size(data) == (1280, 900)
    # A blank page compresses to a few kilobytes; a rendered report does not.
    assert len(data) > 20_000, len(data)
    keep = os.environ.get("TELSYNC_REPORT_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
