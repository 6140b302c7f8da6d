"""The company phonebook for desk phones (issue 17 §4): `telsync serve` answers
/phonebook/TENANT.xml in Yealink's, Grandstream's and Cisco's remote-phonebook XML, behind a
per-tenant phonebook token sent as the Basic auth password or ?token=. Each document is
parsed here and checked against the vendor's documented shape, content and escaping.
"""
import base64
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

from conftest import config, graph_user
from test_scim import Server


def get(base, path, password=None):
    req = urllib.request.Request(base + path)
    if password is not None:
        req.add_header("Authorization",
                       "Basic " + base64.b64encode(f"phone:{password}".encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode(), dict(resp.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


def test_phonebook_in_three_vendor_formats_behind_a_tenant_token(ws):
    ws.users_json([
        graph_user(1, displayName='Tom & "Jerry" <Co>', givenName="Tom & <J>"),
        graph_user(2),
        graph_user(3, accountEnabled=False),  # disabled: kept unsearchable, not listed
    ] + [graph_user(10 + i, mobilePhone=f"+46 70 123 45 {i:02d}" if i < 5 else None)
         for i in range(30)])
    config(ws, extra="")
    cfg = (ws.path / "telsync.yaml").read_text()
    cfg = cfg.replace("          mode: full\n", "          mode: full\n          disabled: unsearchable\n", 1)
    cfg += "  - name: globex\n    profiles: []\n"
    (ws.path / "telsync.yaml").write_text(cfg)
    r = ws.run("sync")
    assert r.code == 0, r
    r = ws.run("tenant", "phonebook-token", "acme", "--label", "lobby phones")
    assert r.code == 0, r
    token = r.out.strip()
    assert len(token) == 43 and "/phonebook/acme.xml" in r.err
    other = ws.run("tenant", "phonebook-token", "globex").out.strip()
    admin = ws.run("admin", "token", "create", "acme").out.strip()

    server = Server(ws)
    try:
        # No token, a wrong one, another tenant's, an admin token: 401 asking for Basic auth.
        for password in (None, "wrong", other, admin):
            status, _, headers = get(server.base, "/phonebook/acme.xml?format=yealink", password)
            assert status == 401, password
            assert headers["WWW-Authenticate"].startswith("Basic"), headers
        status, _, _ = get(server.base, f"/phonebook/nosuch.xml?format=yealink&token={token}")
        assert status == 401
        status, _, _ = get(server.base, "/phonebook/acme.xml?format=polycom", token)
        assert status == 400

        # Yealink: YealinkIPPhoneDirectory / DirectoryEntry with Name and Telephone(s).
        status, body, headers = get(server.base, "/phonebook/acme.xml?format=yealink", token)
        assert status == 200 and headers["Content-Type"].startswith("text/xml"), body
        root = ET.fromstring(body)
        assert root.tag == "YealinkIPPhoneDirectory"
        entries = root.findall("DirectoryEntry")
        names = [e.findtext("Name") for e in entries]
        assert len(entries) == 32  # user3 is disabled: not listed
        assert 'Tom & "Jerry" <Co>' in names and "User 2" in names and "User 3" not in names
        assert names == sorted(names)
        tom = entries[names.index('Tom & "Jerry" <Co>')]
        assert [t.text for t in tom.findall("Telephone")] == ["+46850000001"]
        user10 = entries[names.index("User 10")]
        assert [t.text for t in user10.findall("Telephone")] == ["+46850000010", "+46701234500"]
        assert '&amp; &quot;Jerry&quot; &lt;Co&gt;' in body

        # The token in the URL works as well (phones that cannot send Basic auth).
        status, by_url, _ = get(server.base, f"/phonebook/acme.xml?format=yealink&token={token}")
        assert status == 200 and by_url == body

        # Grandstream: AddressBook / Contact with LastName, FirstName, Phone/phonenumber and
        # accountindex.
        status, body, _ = get(server.base, "/phonebook/acme.xml?format=grandstream", token)
        assert status == 200
        root = ET.fromstring(body)
        assert root.tag == "AddressBook"
        contacts = root.findall("Contact")
        assert len(contacts) == 32
        tom = [c for c in contacts if c.findtext("FirstName") == "Tom & <J>"]
        assert len(tom) == 1 and tom[0].findtext("LastName") == "Number1"
        phone = tom[0].find("Phone")
        assert phone.findtext("phonenumber") == "+46850000001"
        assert phone.findtext("accountindex") == "0"

        # Cisco: CiscoIPPhoneDirectory with at most 32 DirectoryEntry (Name, Telephone) per
        # page; the first page's Next soft key fetches the rest.
        status, body, _ = get(server.base, f"/phonebook/acme.xml?format=cisco&token={token}")
        assert status == 200
        root = ET.fromstring(body)
        assert root.tag == "CiscoIPPhoneDirectory"
        assert root.findtext("Title") == "acme phonebook"
        first = root.findall("DirectoryEntry")
        assert len(first) == 32
        assert all(e.findtext("Name") and e.findtext("Telephone") for e in first)
        soft = {k.findtext("Name"): k.findtext("URL") for k in root.findall("SoftKeyItem")}
        assert soft["Next"].startswith(server.base + "/phonebook/acme.xml?format=cisco&page=2")
        status, body, _ = get(soft["Next"], "")
        assert status == 200
        root = ET.fromstring(body)
        rest = root.findall("DirectoryEntry")
        assert len(first) + len(rest) == 37  # a landline each, and five mobiles
        assert "User 10 (mobile)" in [e.findtext("Name") for e in first + rest]
        assert "Next" not in [k.findtext("Name") for k in root.findall("SoftKeyItem")]
    finally:
        assert server.stop() == 0
