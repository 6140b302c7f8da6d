"""Issue 15 item 3: check-config lists every problem at its line; users list says when it
truncates."""
import re

from conftest import config, graph_user


def problems(result, name="telsync.yaml"):
    """(line, field path or "", reason) of every problem check-config printed."""
    out = []
    for line in result.out.splitlines():
        m = re.match(r".*" + re.escape(name) + r":(\d+):(\d+): (?:([\w\[\].]+): )?(.*)$", line)
        assert m, line
        out.append((int(m.group(1)), m.group(3) or "", m.group(4)))
    return out


def test_every_bad_mapping_expression_is_listed(ws):
    ws.write("telsync.yaml", """\
        tenants:
          - name: acme
            profiles:
              - name: main
                source: {type: file, path: directory.json}
                mapping:
                  email: "lowr({mail})"
                  mobile: "{mobile}"
                  extension: "e165({ipPhone})"
                  city: "coalesce({l}"
        """)
    r = ws.run("check-config")
    assert r.code == 2, r
    got = problems(r)
    assert [(line, path) for line, path, _ in got] == [
        (7, "tenants[0].profiles[0].mapping.email"),
        (9, "tenants[0].profiles[0].mapping.extension"),
        (10, "tenants[0].profiles[0].mapping.city"),
    ], r
    assert "unknown function 'lowr'" in got[0][2]
    assert "unknown function 'e165'" in got[1][2]
    assert "3 problems" in r.err
    assert ws.run("preview").code == 2  # the normal load refuses it too


def test_bad_tenant_name_and_the_problems_under_it(ws):
    ws.write("telsync.yaml", """\
        tenants:
          - name: Acme Corp
            profiles:
              - name: main
                source:
                  type: file
                policy:
                  mode: fulll
        """)
    r = ws.run("check-config")
    assert r.code == 2, r
    got = {path: (line, reason) for line, path, reason in problems(r)}
    assert got["tenants[0].name"][0] == 2 and '"Acme Corp"' in got["tenants[0].name"][1]
    assert got["tenants[0].profiles[0].source.path"][0] == 6
    assert "required key 'path' is missing for a file source" in \
        got["tenants[0].profiles[0].source.path"][1]
    assert got["tenants[0].profiles[0].policy.mode"][0] == 8
    assert len(got) == 3, r


def test_file_source_without_path(ws):
    ws.write("telsync.yaml", """\
        tenants:
          - name: acme
            profiles:
              - name: main
                source:
                  type: file
                  format: csv
              - name: blank
                source: {type: file, path: "  "}
        """)
    r = ws.run("check-config")
    assert r.code == 2, r
    got = problems(r)
    assert [(line, path) for line, path, _ in got] == [
        (6, "tenants[0].profiles[0].source.path"),
        (9, "tenants[0].profiles[1].source.path"),
    ], r
    assert "required key 'path'" in got[0][2]
    assert "must name the directory export" in got[1][2]


HEAD = """\
tenants:
  - name: acme
    profiles:
      - name: main
        source:
"""


def test_yaml_syntax_errors_are_reported_at_their_line(ws):
    cases = [
        ("tab", "          type: file\n\tpath: directory.json\n", 7, "illegal tab"),
        ("unclosed quote",
         "          type: file\n          path: \"directory.json\n        policy:\n"
         "          mode: full\n", 7, "this quote is never closed"),
        ("unclosed bracket",
         "          type: file\n          path: directory.json\n"
         "        schedules: [\"0 2 * * *\",\n          \"0 3 * * *\"\n\n        timezone: UTC\n"
         "        policy:\n          mode: full\n", 8, "this '[' is never closed"),
        ("missing colon",
         "          type: file\n          path directory.json\n        policy:\n"
         "          mode: full\n", 7, "no ':' after its key"),
        ("duplicate key",
         "          type: file\n          path: directory.json\n          path: other.json\n",
         8, "duplicate key 'path'"),
    ]
    for name, rest, line, reason in cases:
        ws.write("telsync.yaml", HEAD + rest)
        r = ws.run("check-config")
        assert r.code == 2, (name, r)
        got = problems(r)
        assert len(got) == 1, (name, r)
        assert got[0][0] == line, (name, r)
        assert reason in got[0][2], (name, r)


def test_users_list_says_when_it_truncates(ws):
    config(ws)
    ws.users_json([graph_user(i) for i in range(1, 8)])
    assert ws.run("sync").code == 0
    table = ws.run("users", "list", "--limit", "3")
    assert table.code == 0, table
    lines = table.out.strip().splitlines()
    assert len(lines) == 1 + 3 + 1, table  # header, three users, the note
    assert lines[-1] == "showing 3 of 7 (use --limit / --offset)"
    page = ws.run("users", "list", "--limit", "3", "--offset", "6")
    assert page.out.strip().splitlines()[-1] == "showing 1 (7-7) of 7 (use --limit / --offset)"
    doc = ws.run("users", "list", "--limit", "3", "-f", "json")
    assert doc.code == 0 and len(doc.json()) == 3  # still the plain array
    assert "showing 3 of 7 (use --limit / --offset)" in doc.err
    whole = ws.run("users", "list")
    assert "showing" not in whole.out + whole.err
    assert len(whole.out.strip().splitlines()) == 1 + 7
