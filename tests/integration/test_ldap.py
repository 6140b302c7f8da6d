"""The LDAP source against a real OpenLDAP slapd (issue 5): scope, nested groups,
departments, incremental reads, a server that dies mid-read, test-connection in plain words,
filter injection. The tree is described in tests/fixtures/ldap/slapd.py."""
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "ldap"))
from proxy import CuttingProxy  # noqa: E402
from slapd import SUFFIX, SVC_DN, SVC_PW, Slapd, user_dn  # noqa: E402

from conftest import BIN  # noqa: E402

PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    d = Slapd(tmp_path_factory.mktemp("slapd"), users=30).start()
    yield d
    d.stop()


@pytest.fixture
def fresh(tmp_path):
    d = Slapd(tmp_path / "slapd", users=30).start()
    yield d
    d.stop()


def write_config(ws, urls, search_dn=PEOPLE, extra="", password=SVC_PW, policy=""):
    url = json.dumps(urls if isinstance(urls, list) else [urls])
    ws.write("telsync.yaml", f"""\
store: telsync.db
tenants:
  - name: acme
    profiles:
      - name: main
        source:
          type: ldap
          url: {url}
          bind_dn: "{SVC_DN}"
          bind_password: ${{env:LDAP_PW}}
          user_search_dn: "{search_dn}"
{extra}
        policy:
          grace_days: 0
          max_deletes: -1
          max_delete_percent: -1
          protect_mobile: false
{policy}
""")
    ws.env = {"LDAP_PW": password}


def run(ws, *args):
    return ws.run(*args, env=getattr(ws, "env", None))


def dump(ws, *args):
    r = run(ws, "dump-source", *args)
    lines = [json.loads(line) for line in r.out.splitlines() if line.strip()]
    assert lines, r
    return r, lines[:-1], lines[-1]


def by_uid(objects):
    return {o["attributes"]["uid"][0]: o for o in objects if not o["deleted"]}


def test_full_read_ou_scope_with_ou_departments(ws, slapd):
    write_config(ws, slapd.url, extra=f'          department_search_dn: "{PEOPLE}"')
    r, objects, summary = dump(ws)
    assert r.code == 0, r
    assert summary["complete"] is True and summary["delta"] is False
    assert summary["objects"] == 30 and summary["cursor"].startswith("ol1|")
    users = by_uid(objects)
    assert set(users) == {f"u{i}" for i in range(30)}  # x0 in ou=outside is out of scope
    assert len(users["u7"]["id"]) == 36 and users["u7"]["id"].count("-") == 4  # entryUUID
    assert users["u3"]["attributes"]["department"] == ["Sales"]
    assert users["u4"]["attributes"]["department"] == ["Support"]
    assert "department" not in users["u5"]["attributes"]  # directly in ou=people
    assert sorted(users["u4"]["groups"]) == ["Helpdesk", "phone-deep", "phone-nested",
                                             "phone-users"]


def test_group_scope_follows_nested_groups_with_group_departments(ws, slapd):
    write_config(ws, slapd.url, search_dn=f"cn=phone-users,{GROUPS}",
                 extra=f'          department_search_dn: "ou=departments,{SUFFIX}"')
    r, objects, summary = dump(ws)
    assert r.code == 0 and summary["complete"], r
    users = by_uid(objects)
    assert set(users) == {"u0", "u1", "u2", "u3", "u4"}
    assert users["u0"]["attributes"]["department"] == ["Helpdesk"]
    assert users["u1"]["attributes"]["department"] == ["Field"]
    assert users["u4"]["attributes"]["department"] == ["Helpdesk"]  # via nested phone-deep
    assert "department" not in users["u2"]["attributes"]


def test_filter_syntax_in_a_group_name_matches_nothing_extra(ws, slapd):
    write_config(ws, slapd.url, search_dn=f"cn=*)(uid=*,{GROUPS}")
    r, objects, summary = dump(ws)
    assert summary["complete"], r
    assert set(by_uid(objects)) == {"u5"}


def test_extra_filter_narrows_the_scope(ws, slapd):
    write_config(ws, slapd.url, extra='          filter: "(uid=u1*)"')
    r, objects, summary = dump(ws)
    assert summary["complete"], r
    assert set(by_uid(objects)) == {"u1"} | {f"u{i}" for i in range(10, 20)}


def test_preview_and_sync_end_to_end(ws, slapd):
    write_config(ws, slapd.url)
    r = run(ws, "preview", "-f", "json")
    doc = r.json()
    assert doc["complete"] is True, r
    assert doc["summary"]["create"] == 30, r


def test_incremental_read_after_changes_and_a_deletion(ws, fresh):
    write_config(ws, fresh.url)
    _, _, full = dump(ws)
    cursor = full["cursor"]
    fresh.modify(f"""\
dn: {user_dn(7)}
changetype: modify
replace: mail
mail: new7@example.com

dn: cn=phone-deep,{GROUPS}
changetype: modify
add: member
member: {user_dn(6)}

dn: {user_dn(10)}
changetype: modrdn
newrdn: uid=u10
deleteoldrdn: 1
newsuperior: ou=outside,{SUFFIX}
""")
    r, objects, summary = dump(ws, "--cursor", cursor)
    assert summary["complete"] and summary["delta"] is True, r
    changed = by_uid(objects)
    assert changed["u7"]["attributes"]["mail"] == ["new7@example.com"]
    assert "phone-deep" in changed["u6"]["groups"]  # a group change re-sends its members
    assert "u20" not in changed  # unchanged users are not sent
    gone = [o for o in objects if o["deleted"]]
    u10_id = [o["id"] for o in dump(ws)[1] if o["attributes"]["uid"] == ["u10"]]
    assert not u10_id  # moved out of the OU
    assert len(gone) >= 1
    # The next delta from the new cursor is empty.
    _, again, s2 = dump(ws, "--cursor", summary["cursor"])
    assert s2["delta"] and [o for o in again if not o["deleted"]] == []
    # A deletion is found by a full read.
    subprocess.run(["ldapdelete", "-x", "-H", fresh.url, "-D", f"cn=admin,{SUFFIX}", "-w",
                    "admin-pass", user_dn(11)], check=True)
    _, objects, s3 = dump(ws)
    assert s3["complete"] and not s3["delta"] and "u11" not in by_uid(objects)


def test_garbage_cursor_means_a_full_read(ws, slapd):
    write_config(ws, slapd.url)
    _, objects, summary = dump(ws, "--cursor", "not-a-cursor")
    assert summary["complete"] and summary["delta"] is False and len(objects) == 30


def test_server_dying_mid_read_is_incomplete_and_deletes_nothing(ws, slapd):
    write_config(ws, slapd.url, extra="          page_size: 5")
    assert run(ws, "sync").code == 0
    proxy = CuttingProxy(slapd.port, 6000)  # dies after about a page of users
    try:
        write_config(ws, f"ldap://127.0.0.1:{proxy.port}", extra="          page_size: 5")
        r, objects, summary = dump(ws)
        assert r.code == 1 and summary["complete"] is False, r
        assert summary["error"] and len(objects) < 30
        proxy.sent = 0
        r = run(ws, "sync", "-f", "json")
        doc = r.json()
        assert doc["complete"] is False, r
        assert doc["summary"]["delete"] == 0 and doc["summary"]["pending_delete"] == 0
    finally:
        proxy.close()


@pytest.mark.parametrize("case", ["unreachable", "bad_password", "dn_not_found", "bad_filter",
                                  "tls_untrusted"])
def test_connection_errors_in_plain_words(ws, slapd, case):
    url, dn, extra, password = slapd.url, PEOPLE, "", SVC_PW
    if case == "unreachable":
        url = "ldap://127.0.0.1:1"
    elif case == "bad_password":
        password = "Wrong-Secret-42"
    elif case == "dn_not_found":
        dn = f"ou=nowhere,{SUFFIX}"
    elif case == "bad_filter":
        extra = '          filter: "(&(uid=u1)(cn=x)"'
    elif case == "tls_untrusted":
        url = slapd.ldaps_url  # the system CAs do not know the throwaway CA
    write_config(ws, url, search_dn=dn, extra=extra, password=password)
    r = run(ws, "test-connection")
    assert r.code != 0, r
    text = r.out + r.err
    expected = {"unreachable": "cannot reach", "bad_password": "bad credentials",
                "dn_not_found": "search DN not found", "bad_filter": "filter syntax error",
                "tls_untrusted": "TLS"}[case]
    assert expected in text, r
    assert password not in text and SVC_PW not in text


def test_connection_ok_over_ldaps_starttls_and_url_list(ws, slapd):
    for urls, extra in [(slapd.ldaps_url, f'          ca_file: "{slapd.ca}"'),
                        (slapd.url, f'          start_tls: true\n          ca_file: "{slapd.ca}"'),
                        (["ldap://127.0.0.1:1", slapd.url], "")]:
        write_config(ws, urls, extra=extra)
        r = run(ws, "test-connection")
        assert r.code == 0 and "OK:" in r.out, r
        assert "User 0 <u0@example.com>" in r.out
        assert SVC_PW not in r.out + r.err


def explain_scope(ws, name):
    r = run(ws, "explain", name, "-f", "json")
    assert r.code == 0, r
    return r.json(), {s["what"]: s for s in r.json()["scope"]}


def test_explain_scope_names_the_nested_group_path(ws, slapd):
    """`explain` step 2 (issue 18): the group scope as the LDAP read decided it: the chain
    of nested groups, a direct member, a user of the directory left out."""
    write_config(ws, slapd.url, search_dn=f"cn=phone-users,{GROUPS}")
    _, deep = explain_scope(ws, "u4")
    assert deep["in scope"]["outcome"] == "yes"
    assert deep["group"]["outcome"] == "in"
    assert deep["group"]["detail"].endswith(
        'through nested groups: user -> "phone-deep" -> "phone-nested" -> "phone-users"'), deep
    _, direct = explain_scope(ws, "u0@example.com")
    assert direct["group"]["detail"].endswith(": a direct member"), direct
    e, out = explain_scope(ws, "u9")
    assert e["out_of_scope"] is True and e["in_source"] is False
    assert out["in scope"]["outcome"] == "no"
    assert out["group"]["outcome"] == "out" and "not a member of" in out["group"]["detail"]


def test_explain_scope_names_the_search_base_and_filter(ws, slapd):
    write_config(ws, slapd.url, extra='          filter: "(uid=u1*)"')
    _, steps = explain_scope(ws, "u12")
    assert steps["search base"]["outcome"] == "in" and PEOPLE in steps["search base"]["detail"]
    assert steps["filter"]["outcome"] == "in" and "(uid=u1*)" in steps["filter"]["detail"]
    # u2 does not match the filter: the server never returns it, and explain says so.
    r = run(ws, "explain", "u2", "-f", "json")
    assert r.code == 2 and "no user u2" in r.err, r


def explain_json(ws, *args):
    r = run(ws, "explain", *args, "-f", "json")
    assert r.code == 0, r
    doc = r.json()
    return doc, {s["what"]: s for s in doc["scope"]}


FRESH_READ = "a fresh read of this one object from the source (not the mirror)"


def test_explain_fresh_reads_one_entry_by_entry_uuid(ws, fresh):
    """`explain USER --fresh` (issue 18) on OpenLDAP: the user is read again alone, found by
    its entryUUID, scoped as a full read scopes it; a value changed since the mirror was
    written shows, and a deletion (which an OpenLDAP delta cannot see) is told as such."""
    write_config(ws, fresh.url, extra='          filter: "(title=Agent)"')
    assert run(ws, "sync").code == 0
    fresh.modify(f"""\
dn: {user_dn(4)}
changetype: modify
replace: mail
mail: changed4@example.com
""")
    mirror, _ = explain_json(ws, "u4")
    assert mirror["source"]["read_from"].startswith("the source mirror"), mirror["source"]
    doc, steps = explain_json(ws, "u4", "--fresh")
    assert doc["source"]["read_from"] == FRESH_READ, doc["source"]
    assert "changed4@example.com" in json.dumps(doc["source"]["attributes"]), doc["source"]
    assert "u4@example.com" not in json.dumps(doc["source"]["attributes"])
    assert doc["in_source"] is True and steps["in scope"]["outcome"] == "yes", steps
    assert steps["filter"]["outcome"] == "in" and "(title=Agent)" in steps["filter"]["detail"]

    # Left out by source.filter since the last read: the fresh read names the filter.
    fresh.modify(f"""\
dn: {user_dn(3)}
changetype: modify
replace: title
title: Manager
""")
    doc, steps = explain_json(ws, "u3", "--fresh")
    assert doc["source"]["read_from"] == FRESH_READ, doc["source"]
    assert doc["out_of_scope"] is True and doc["in_source"] is False, doc
    assert steps["in scope"]["outcome"] == "no"
    assert steps["filter"]["outcome"] == "out", steps
    assert "left out by the source filter" in steps["filter"]["detail"], steps

    # Deleted: an OpenLDAP delta does not see it, so without --fresh the mirror still has it.
    subprocess.run(["ldapdelete", "-x", "-H", fresh.url, "-D", f"cn=admin,{SUFFIX}", "-w",
                    "admin-pass", user_dn(5)], check=True)
    stale, _ = explain_json(ws, "u5")
    assert stale["in_source"] is True, stale
    doc, steps = explain_json(ws, "u5", "--fresh")
    assert doc["in_source"] is False and doc["out_of_scope"] is True, doc
    assert doc["source"]["read_from"] == FRESH_READ, doc["source"]
    assert steps["source"]["outcome"] == "out" and "no entry with entryUUID" in \
        steps["source"]["detail"], steps
    assert doc["result"]["action"] in ("pending_delete", "delete"), doc["result"]


def test_explain_fresh_user_removed_from_the_scope_group(ws, fresh):
    """A user taken out of the scope group on the server is explained as out of scope.
    A change to the scope group makes the read a full one (a delta cannot tell whom it
    took out), so the whole scope is read fresh and the group step says so."""
    write_config(ws, fresh.url, search_dn=f"cn=phone-users,{GROUPS}")
    assert run(ws, "sync").code == 0
    doc, steps = explain_json(ws, "u0", "--fresh")
    assert doc["in_source"] is True and steps["group"]["outcome"] == "in", steps
    fresh.modify(f"""\
dn: cn=phone-users,{GROUPS}
changetype: modify
delete: member
member: {user_dn(0)}
""")
    doc, steps = explain_json(ws, "u0", "--fresh")
    assert doc["out_of_scope"] is True and doc["in_source"] is False, doc
    assert steps["group"]["outcome"] == "out" and "not a member of" in steps["group"]["detail"]
    assert "mirror" not in doc["source"]["read_from"], doc["source"]
