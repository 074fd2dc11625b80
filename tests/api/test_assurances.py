"""GET/POST /api/v1/permits/{number}/assurances/ and GET/PATCH /api/v1/assurances/{id}/."""

import pytest

from permits.models import EndUseAssurance
from tests.api.conftest import ROLES, assert_access

pytestmark = pytest.mark.django_db
URL = "/api/v1/permits/EXP-2020-00123/assurances/"
EUC = {"kind": "euc", "issuer": "Republic of Türkiye, Ministry of National Defence",
       "issued_on": "2020-04-01", "expires_on": "2022-04-01", "government_authenticated": True,
       "reexport_clause": True}


@pytest.mark.parametrize("role", [*ROLES, None])
def test_list_access(client_for, world, role):
    assert_access(client_for, role, "get", URL, None, ())


@pytest.mark.parametrize("role", [*ROLES, None])
def test_post_access(client_for, world, role):
    response = assert_access(client_for, role, "post", URL, EUC, ("official",))
    assert EndUseAssurance.objects.count() == (2 if response.status_code == 201 else 1)


@pytest.mark.parametrize("role", [*ROLES, None])
def test_detail_access(client_for, world, role):
    assert_access(client_for, role, "get", f"/api/v1/assurances/{world['assurance'].pk}/", None, ())


@pytest.mark.parametrize("role", [*ROLES, None])
def test_patch_access(client_for, world, role):
    response = assert_access(client_for, role, "patch", f"/api/v1/assurances/{world['assurance'].pk}/",
                             {"compliance": "breached", "notes": "Used in Nagorno-Karabakh."}, ("official",))
    world["assurance"].refresh_from_db()
    assert (world["assurance"].compliance == "breached") == (response.status_code == 200)


def test_create_and_list(client_for, world):
    response = client_for("official").post(URL, EUC, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("kind", "issuer", "issued_on", "expires_on", "compliance", "permit")} == {
        "kind": "euc", "issuer": EUC["issuer"], "issued_on": "2020-04-01", "expires_on": "2022-04-01",
        "compliance": "unknown", "permit": "EXP-2020-00123"}
    listed = client_for("reader").get(URL).json()
    assert listed["count"] == 2 and listed["results"][1]["id"] == body["id"]
    detail = client_for("reader").get("/api/v1/permits/EXP-2020-00123/").json()
    assert [a["id"] for a in detail["assurances"]] == [world["assurance"].pk, body["id"]]


def test_patch_updates_compliance_and_notes_only(client_for, world):
    url = f"/api/v1/assurances/{world['assurance'].pk}/"
    response = client_for("official").patch(url, {"compliance": "breached", "notes": "Diverted."}, format="json")
    assert response.status_code == 200
    assert (response.json()["compliance"], response.json()["notes"]) == ("breached", "Diverted.")
    refused = client_for("official").patch(url, {"issuer": "Someone else"}, format="json")
    assert refused.status_code == 400 and "issuer" in refused.json()
    assert client_for("official").patch(url, {"compliance": "kept"}, format="json").status_code == 400


@pytest.mark.parametrize("body, field", [
    ({**EUC, "kind": "promise"}, "kind"), ({**EUC, "issuer": ""}, "issuer"),
    ({**EUC, "expires_on": "2019-01-01"}, "expires_on"), ({**EUC, "issuer": "a\x00b"}, "issuer"),
])
def test_bad_input_is_400(client_for, world, body, field):
    response = client_for("official").post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json() or "non_field_errors" in response.json() or "__all__" in response.json()


def test_unknown_objects_are_404(client_for, world):
    assert client_for("official").patch("/api/v1/assurances/999999/", {"notes": "x"},
                                        format="json").status_code == 404
    assert client_for("official").get("/api/v1/assurances/99999999999999999999999/").status_code == 404
    assert client_for("official").post("/api/v1/permits/NOPE-1/assurances/", EUC,
                                       format="json").status_code == 404
