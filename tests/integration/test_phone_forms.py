"""Phone numbers as directories hold them (issue 15, item 4).

An Entra directory has numbers with extensions ("+46 8 105 780 87 x1073"), RFC 3966 URIs,
direction marks and no-break spaces pasted from other tools, and fullwidth digits. They
sync without an error, the main number is stored as E.164, and phone_extension() maps the
extension into the extension field.
"""
import sqlite3

from conftest import config, graph_user

MAPPING = """\
        mapping:
          extension: "coalesce(phone_extension(first({businessPhones})), {ipPhone})"
"""

# id: (businessPhones[0], stored landline, stored extension). The main numbers differ: two
# users with the same landline are a conflict for the planner.
FORMS = {
    1: ("+46 8 105 780 87 x1073", "+46810578087", "1073"),
    2: ("+1 425 555 0122 x1023", "+14255550122", "1023"),
    3: ("tel:+1-425-555-0123;ext=1024", "+14255550123", "1024"),
    4: ("+1 425 555 0124 ext. 1025", "+14255550124", "1025"),
    5: ("+46 8 105 780 86 #1026", "+46810578086", "1026"),
    6: ("\u200e+46 8 105 780 88\u200f", "+46810578088", ""),
    7: ("\u202a+46\u00a08\u202f105\u00a0780\u00a089\u202c", "+46810578089", ""),
    8: ("\uff0b\uff14\uff16 \uff18 \uff11\uff10\uff15 \uff17\uff18\uff10 \uff19\uff10",
        "+46810578090", ""),
    9: ("+46 8 105 780 91 X 1027", "+46810578091", "1027"),
}


def directory(ws, extra_users=()):
    users = [graph_user(i, businessPhones=[raw]) for i, (raw, _, _) in FORMS.items()]
    # Without an extension in the number, the mapping falls back to ipPhone.
    users.append(graph_user(10, businessPhones=["+46 8 105 780 92"], ipPhone="2010"))
    ws.users_json(users + list(extra_users))


def test_numbers_as_directories_hold_them_sync_without_errors(ws):
    config(ws, extra=MAPPING)
    directory(ws)
    r = ws.run("sync", "--format", "json")
    assert r.code == 0, r
    doc = r.json()
    assert doc["summary"]["errors"] == 0, r
    assert doc["summary"]["create"] == len(FORMS) + 1
    for i, (raw, e164, extension) in FORMS.items():
        shown = ws.run("users", "show", f"user{i}").json()
        assert shown["landline"] == e164, (raw, shown)
        assert shown["extension"] == extension, (raw, shown)
    assert ws.run("users", "show", "user10").json()["extension"] == "2010"
    # What the store holds: the main number only, never the extension in the landline.
    db = sqlite3.connect(ws.path / "telsync.db")
    landlines = [row[0] for row in db.execute("select landline from users")]
    assert len(landlines) == len(FORMS) + 1
    assert all(n.startswith("+") and n[1:].isdigit() for n in landlines), landlines
    # A second sync reads the same numbers the same way: nothing to change.
    r = ws.run("sync", "--format", "json")
    assert r.code == 0, r
    assert r.json()["summary"]["unchanged"] == len(FORMS) + 1, r


def test_strict_mode_still_demands_a_country_code_and_letters_are_named(ws):
    config(ws, extra=MAPPING)
    directory(ws, extra_users=[
        graph_user(11, businessPhones=["08-105 780 93 x1073"]),
        graph_user(12, businessPhones=["+46 8 105 780 94 CALL ME"]),
        graph_user(13, businessPhones=["+46 8 105 780 95 x1234567890"]),
    ])
    r = ws.run("preview", "--format", "json")
    assert r.code == 4, r  # per-user errors; the others are still planned
    doc = r.json()
    assert doc["summary"]["create"] == len(FORMS) + 1
    reasons = {i["username"]: i["reason"] for i in doc["items"] if i["action"] == "error"}
    assert set(reasons) == {"user11", "user12", "user13"}, reasons
    assert "landline \"08-105 780 93 x1073\" has no country code" in reasons["user11"]
    assert "strict mode demands +<country code>" in reasons["user11"]
    assert "contains letters" in reasons["user12"]
    assert "extension longer than 9 digits" in reasons["user13"]


def test_lenient_mode_reads_national_numbers_with_extensions(ws):
    config(ws, extra=MAPPING + """\
        validation:
          phone_mode: lenient
          default_region: SE
""")
    ws.users_json([graph_user(1, businessPhones=["08-105 780 87 x1073"]),
                   graph_user(2, businessPhones=["\uff10\uff18-105 780 88"])])
    r = ws.run("sync", "--format", "json")
    assert r.code == 0, r
    assert r.json()["summary"]["errors"] == 0, r
    one = ws.run("users", "show", "user1").json()
    assert (one["landline"], one["extension"]) == ("+46810578087", "1073")
    two = ws.run("users", "show", "user2").json()
    assert (two["landline"], two["extension"]) == ("+46810578088", "")
