"""The LDAP source against a real Samba AD DC (issue 5): objectGUID in AD byte order,
disabled accounts, the in-chain rule for nested groups, range retrieval, departments,
uSNChanged deltas with tombstones, AD's bind errors. One DC for the module (ports 389/636),
provisioned once; see tests/fixtures/samba/samba_ad.py for the tree."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "samba"))
from samba_ad import ADMIN_PW, BASE, SVC_DN, SVC_PW, SambaAD, port_open, unicode_pwd  # noqa: E402

STAFF = f"OU=Staff,{BASE}"
GROUPS = f"OU=Groups,{BASE}"
URL = "ldaps://127.0.0.1:636"


@pytest.fixture(scope="module")
def dc(tmp_path_factory):
    if port_open(389) or port_open(636):
        pytest.skip("ports 389/636 are taken")
    d = SambaAD(tmp_path_factory.mktemp("samba"))
    d.start()
    try:
        d.load()
        yield d
    finally:
        d.stop()


def write_config(ws, dc, search_dn=STAFF, extra="", url=URL, bind_dn=SVC_DN, password=SVC_PW):
    ws.write("telsync.yaml", f"""\
store: telsync.db
tenants:
  - name: acme
    profiles:
      - name: main
        source:
          type: ldap
          url: {url}
          bind_dn: "{bind_dn}"
          bind_password: ${{env:LDAP_PW}}
          user_search_dn: "{search_dn}"
          ca_file: "{dc.ca}"
{extra}
        policy:
          grace_days: 0
          max_deletes: -1
          max_delete_percent: -1
""")
    ws.env = {"LDAP_PW": password}


def run(ws, *args):
    return ws.run(*args, env=ws.env)


def dump(ws, *args):
    r = run(ws, "dump-source", *args)
    lines = [json.loads(line) for line in r.out.splitlines() if line.strip()]
    assert lines, r
    return r, lines[:-1], lines[-1]


def by_sam(objects):
    return {o["attributes"]["sAMAccountName"][0]: o for o in objects if not o["deleted"]}


def samba_guid(dc, sam):
    out = dc.samba_tool("user", "show", sam, "--attributes=objectGUID").stdout
    return [line.split(": ")[1] for line in out.splitlines() if line.startswith("objectGUID:")][0]


def test_full_read_guid_disabled_and_ou_scope(ws, dc):
    write_config(ws, dc)
    r, objects, summary = dump(ws)
    assert r.code == 0 and summary["complete"] and not summary["delta"], r
    users = by_sam(objects)
    assert set(users) == {f"a{i}" for i in range(10)}  # o0 (OU=Other) and svc left out
    assert users["a0"]["id"] == samba_guid(dc, "a0")  # canonical GUID string, AD byte order
    assert users["a9"]["enabled"] is False and users["a0"]["enabled"] is True
    assert sorted(users["a4"]["groups"]) == ["Phone-Deep", "Phone-Nested", "Phone-Users"]
    assert summary["cursor"].startswith("ad1|" + URL + "|")


def test_group_scope_in_chain_range_retrieval_and_departments(ws, dc):
    # page_size 2 also makes member ranges of 2 values: Phone-Users (3 members) and
    # Support need a second range.
    write_config(ws, dc, search_dn=f"CN=Phone-Users,{GROUPS}",
                 extra=f'          page_size: 2\n          department_search_dn: "OU=Depts,{BASE}"')
    r, objects, summary = dump(ws)
    assert summary["complete"], r
    users = by_sam(objects)
    assert set(users) == {"a0", "a1", "a2", "a4"}
    assert "Phone-Users" in users["a4"]["groups"]
    assert users["a0"]["attributes"]["department"] == ["Sales"]
    assert users["a2"]["attributes"]["department"] == ["Support"]
    write_config(ws, dc, extra=f'          page_size: 2\n          department_search_dn: "OU=Depts,{BASE}"')
    users = by_sam(dump(ws)[1])
    assert users["a3"]["attributes"]["department"] == ["Support"]  # via nested Support-Team
    assert "department" not in users["a7"]["attributes"]


def test_filter_syntax_in_a_group_dn_matches_nothing_extra(ws, dc):
    write_config(ws, dc, search_dn=f"CN=inj*)(cn\\\\=*,{GROUPS}")  # YAML "\\=" is "\="
    r, objects, summary = dump(ws)
    assert summary["complete"], r
    assert set(by_sam(objects)) == {"a5"}


def test_preview_marks_disabled_users(ws, dc):
    write_config(ws, dc)
    r = run(ws, "preview", "-f", "json")
    doc = r.json()
    assert doc["complete"] is True, r
    assert doc["summary"]["create"] + doc["summary"]["unsearchable"] + \
        doc["summary"]["errors"] >= 10, r


def test_usn_delta_changes_group_members_and_tombstones(ws, dc):
    # Listing the Deleted Objects container needs rights an ordinary account lacks by
    # default: this test binds as the administrator.
    write_config(ws, dc, bind_dn=f"CN=Administrator,CN=Users,{BASE}", password=ADMIN_PW)
    _, _, full = dump(ws)
    cursor = full["cursor"]
    dc.ldap("ldapmodify", f"""\
dn: CN=a7,{STAFF}
changetype: modify
replace: mail
mail: new7@telsync.test

dn: CN=Phone-Deep,{GROUPS}
changetype: modify
add: member
member: CN=a6,{STAFF}
""")
    deleted_id = by_sam(dump(ws)[1])["a8"]["id"]
    dc.ldap("ldapdelete", f"CN=a8,{STAFF}\n")
    r, objects, summary = dump(ws, "--cursor", cursor)
    assert summary["complete"] and summary["delta"] is True, r
    changed = by_sam(objects)
    assert changed["a7"]["attributes"]["mail"] == ["new7@telsync.test"]
    assert "Phone-Deep" in changed["a6"]["groups"]
    assert "a3" not in changed
    assert deleted_id in [o["id"] for o in objects if o["deleted"]]
    # A cursor from another database (invocationId) is a full read.
    parts = summary["cursor"].split("|")
    parts[2] = "00000000-0000-0000-0000-000000000000"
    _, objects, s2 = dump(ws, "--cursor", "|".join(parts))
    assert s2["complete"] and s2["delta"] is False and len(by_sam(objects)) == 9


def test_simple_bind_without_tls_is_refused_in_plain_words(ws, dc):
    write_config(ws, dc, url="ldap://127.0.0.1:389")
    r = run(ws, "test-connection")
    assert r.code != 0 and "use an ldaps:// URL or set start_tls: true" in r.out + r.err, r
    write_config(ws, dc, url="ldap://127.0.0.1:389", extra="          start_tls: true")
    r = run(ws, "test-connection")
    assert r.code == 0 and "Active Directory" in r.out, r


def test_bad_credentials_and_ad_account_states(ws, dc):
    write_config(ws, dc, password="Wrong-Pass-9")
    r = run(ws, "test-connection")
    assert r.code != 0 and "bad credentials" in r.out + r.err, r
    assert "Wrong-Pass-9" not in r.out + r.err
    # Must change password at next logon: AD data 773.
    dc.ldap("ldapadd", f"dn: CN=mustchange,CN=Users,{BASE}\nobjectClass: user\n"
                       f"sAMAccountName: mustchange\nunicodePwd:: {unicode_pwd('Must-Change-1')}\n"
                       "userAccountControl: 512\npwdLastSet: 0\n", check=False)
    write_config(ws, dc, bind_dn=f"CN=mustchange,CN=Users,{BASE}", password="Must-Change-1")
    r = run(ws, "test-connection")
    assert r.code != 0 and "must change its password" in r.out and "773" in r.out, r
    # Locked out after two bad passwords: AD data 775.
    dc.samba_tool("domain", "passwordsettings", "set", "--account-lockout-threshold=2")
    dc.ldap("ldapadd", f"dn: CN=lockme,CN=Users,{BASE}\nobjectClass: user\n"
                       f"sAMAccountName: lockme\nunicodePwd:: {unicode_pwd('Lock-Me-123')}\n"
                       "userAccountControl: 512\n")
    for _ in range(3):
        dc.search("", "base", "(objectClass=*)", bind=(f"CN=lockme,CN=Users,{BASE}", "bad"))
    write_config(ws, dc, bind_dn=f"CN=lockme,CN=Users,{BASE}", password="Lock-Me-123")
    r = run(ws, "test-connection")
    assert r.code != 0 and "locked out" in r.out and "775" in r.out, r
    assert "Lock-Me-123" not in r.out + r.err


def test_explain_fresh_finds_the_user_by_its_binary_object_guid(ws, dc):
    """`explain USER --fresh` (issue 18) on AD: the user is found again alone by an escaped
    binary (objectGUID=\\xx...) filter in AD byte order, scoped as a full read scopes it."""
    write_config(ws, dc)
    assert run(ws, "sync").code == 0
    guid = samba_guid(dc, "a6")
    dc.ldap("ldapmodify", f"""\
dn: CN=a6,{STAFF}
changetype: modify
replace: mail
mail: fresh6@telsync.test
""")
    r = run(ws, "explain", guid, "--fresh", "-f", "json")
    assert r.code == 0, r
    doc = r.json()
    assert doc["source"]["read_from"] == (
        "a fresh read of this one object from the source (not the mirror)"), doc["source"]
    assert doc["in_source"] is True and doc["key"] == guid, doc
    assert "fresh6@telsync.test" in json.dumps(doc["source"]["attributes"]), doc["source"]
    steps = {s["what"]: s for s in doc["scope"]}
    assert steps["search base"]["outcome"] == "in" and STAFF in steps["search base"]["detail"]
