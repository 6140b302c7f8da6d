"""Issue 15 item 5: the SCIM behaviour Microsoft documents for Entra's provisioning service,
against the real `telsync serve` on SQLite and on PostgreSQL.

- Entra looks a user up by its matching attribute before it creates or updates it, and the
  attribute may be a value path with a sub-attribute: `emails[type eq "work"].value eq
  "x"` (Microsoft: "Tutorial: Develop and plan provisioning for a SCIM endpoint"), or an
  enterprise attribute, combined with `and` / `or`.
- Entra PATCHes the manager as `{"op": "Add", "path": "manager", "value": [{"$ref": null,
  "value": "<id>"}]}` (same tutorial, "Update User"); it is kept as the enterprise
  extension's `{"value": id}`, survives a restart, is filterable and reaches the mapping
  as `{manager}`.
"""
import urllib.parse

import pytest

from test_postgres import cluster, db  # noqa: F401  (fixtures: a throwaway PostgreSQL)
from test_scim import ENTERPRISE, PATCH_OP, Server, entra_user, wait_for

CONFIG = """\
store: {store}
tenants:
  - name: acme
    profiles:
      - name: entra
        source: {{type: scim}}
        mapping:
          manager_id: "{{manager}}"
        policy: {{grace_days: 0, max_deletes: -1, max_delete_percent: -1}}
"""


@pytest.fixture(params=["sqlite", "postgres"])
def store(request):
    if request.param == "sqlite":
        return "telsync.db"
    _, url = request.getfixturevalue("db")
    return url


@pytest.fixture
def entra(ws, store):
    ws.write("telsync.yaml", CONFIG.format(store=store))
    r = ws.run("migrate")
    assert r.code == 0, r
    r = ws.run("scim", "token", "create", "acme", "--label", "entra")
    assert r.code == 0, r
    server = Server(ws)
    server.token = r.out.strip()
    yield server
    assert server.stop() == 0


def users(server, filter_text):
    """GET /Users?filter=... as Entra sends it (percent-encoded); returns the userNames."""
    query = urllib.parse.quote(filter_text, safe="")
    status, body, _ = server.call("GET", f"/scim/v2/acme/Users?filter={query}", token=server.token)
    assert status == 200, (filter_text, body)
    assert body["totalResults"] == len(body["Resources"]), body
    return sorted(u["userName"] for u in body["Resources"])


def create(server, user_name, **kw):
    status, user, _ = server.call("POST", "/scim/v2/acme/Users", entra_user(user_name, **kw),
                                  token=server.token)
    assert status == 201, user
    return user


def test_filters_by_every_matching_attribute_entra_sends(ws, entra):
    # Before creating, Entra asks whether the user exists: none does yet.
    assert users(entra, 'emails[type eq "work"].value eq "asa@acme.example"') == []
    asa = create(entra, "asa@acme.example", phone="+46 8 50000001", department="Sales")
    bo = create(entra, "bo@acme.example", given="Bo", phone="+46 8 50000002", department="Support")
    status, _, _ = entra.call("PATCH", f"/scim/v2/acme/Users/{bo['id']}", {
        "schemas": [PATCH_OP], "Operations": [
            {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+46 70 1234567"},
            {"op": "Replace", "path": ENTERPRISE + ":employeeNumber", "value": "4242"}]},
        token=entra.token)
    assert status == 200

    assert users(entra, 'emails[type eq "work"].value eq "ASA@acme.example"') == ["asa@acme.example"]
    assert users(entra, 'emails[type eq "home"].value eq "asa@acme.example"') == []
    assert users(entra, 'phoneNumbers[type eq "mobile"].value eq "+46 70 1234567"') == ["bo@acme.example"]
    assert users(entra, 'phoneNumbers[type eq "work"].value eq "+46 8 50000001"') == ["asa@acme.example"]
    assert users(entra, f'externalId eq "{asa["externalId"]}"') == ["asa@acme.example"]
    assert users(entra, 'userName eq "bo@acme.example"') == ["bo@acme.example"]
    assert users(entra, f'{ENTERPRISE}:employeeNumber eq "4242"') == ["bo@acme.example"]
    assert users(entra, f'{ENTERPRISE}:department eq "sales"') == ["asa@acme.example"]
    assert users(entra, f'{ENTERPRISE}:department eq "Sales" and userName eq "bo@acme.example"') == []
    assert users(entra, f'{ENTERPRISE}:employeeNumber eq "4242" or '
                        'emails[type eq "work"].value eq "asa@acme.example"') == \
        ["asa@acme.example", "bo@acme.example"]
    assert users(entra, f'({ENTERPRISE}:department eq "Support" or {ENTERPRISE}:department eq "Sales")'
                        ' and emails[type eq "work"].value ew "@acme.example"') == \
        ["asa@acme.example", "bo@acme.example"]

    # A sub-attribute with nothing to compare is still a clear 400.
    query = urllib.parse.quote('emails[type eq "work"].value', safe="")
    status, body, _ = entra.call("GET", f"/scim/v2/acme/Users?filter={query}", token=entra.token)
    assert status == 400 and body["scimType"] == "invalidFilter", body
    assert "operator" in body["detail"], body


def test_manager_patched_as_entra_does_is_kept_mapped_and_survives_a_restart(ws, entra):
    boss = create(entra, "boss@acme.example", given="Boss", phone="+46 8 50000009")
    asa = create(entra, "asa@acme.example", phone="+46 8 50000001")
    path = f"/scim/v2/acme/Users/{asa['id']}"
    status, user, _ = entra.call("PATCH", path, {"schemas": [PATCH_OP], "Operations": [
        {"op": "Add", "path": "manager", "value": [{"$ref": None, "value": boss["id"]}]}]},
        token=entra.token)
    assert status == 200, user
    assert user[ENTERPRISE]["manager"] == {"value": boss["id"]}
    assert "manager" not in user

    status, user, _ = entra.call("GET", path, token=entra.token)
    assert status == 200 and user[ENTERPRISE]["manager"] == {"value": boss["id"]}, user
    assert ENTERPRISE in user["schemas"]
    assert users(entra, f'{ENTERPRISE}:manager.value eq "{boss["id"]}"') == ["asa@acme.example"]
    assert users(entra, f'{ENTERPRISE}:manager eq "{boss["id"]}" and '
                        f'{ENTERPRISE}:department eq "Sales"') == ["asa@acme.example"]
    # The mapping's {manager} reaches the PBX user's custom field.
    wait_for(ws, "asa", lambda u: u and u["custom"].get("manager_id") == boss["id"])

    # After a restart the stored document still has it.
    assert entra.stop() == 0
    server = Server(ws)
    server.token = entra.token
    entra.proc = server.proc  # the fixture stops whichever server runs last
    entra.base = server.base
    status, user, _ = entra.call("GET", path, token=entra.token)
    assert status == 200 and user[ENTERPRISE]["manager"] == {"value": boss["id"]}, user

    # The full URN path with a plain string (aadOptscim062020) replaces it.
    status, user, _ = entra.call("PATCH", path, {"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": ENTERPRISE + ":manager", "value": asa["id"]}]}, token=entra.token)
    assert status == 200 and user[ENTERPRISE]["manager"] == {"value": asa["id"]}, user
    wait_for(ws, "asa", lambda u: u and u["custom"].get("manager_id") == asa["id"])

    # Remove clears it from the resource and the filter. (The PBX keeps the mapped value:
    # the planner never clears a field because its source went empty.)
    status, user, _ = entra.call("PATCH", path, {"schemas": [PATCH_OP], "Operations": [
        {"op": "Remove", "path": "manager"}]}, token=entra.token)
    assert status == 200, user
    assert "manager" not in user.get(ENTERPRISE, {}), user
    status, user, _ = entra.call("GET", path, token=entra.token)
    assert "manager" not in user.get(ENTERPRISE, {}), user
    assert users(entra, f'{ENTERPRISE}:manager pr') == []

    # PUT with the extension's manager object sets it again.
    body = entra_user("asa@acme.example", phone="+46 8 50000001")
    body["externalId"] = asa["externalId"]
    body[ENTERPRISE]["manager"] = {"value": boss["id"]}
    status, user, _ = entra.call("PUT", path, body, token=entra.token)
    assert status == 200 and user[ENTERPRISE]["manager"] == {"value": boss["id"]}, user
    wait_for(ws, "asa", lambda u: u and u["custom"].get("manager_id") == boss["id"])


def test_bad_manager_value_is_a_clear_400_and_changes_nothing(ws, entra):
    asa = create(entra, "asa@acme.example")
    path = f"/scim/v2/acme/Users/{asa['id']}"
    status, body, _ = entra.call("PATCH", path, {"schemas": [PATCH_OP], "Operations": [
        {"op": "Add", "path": "manager", "value": [{"value": "a"}, {"value": "b"}]}]},
        token=entra.token)
    assert status == 400 and body["scimType"] == "invalidValue", body
    assert "manager" in body["detail"], body
    status, user, _ = entra.call("GET", path, token=entra.token)
    assert status == 200 and user["meta"]["version"] == 'W/"1"', user
    assert "manager" not in user[ENTERPRISE], user
