"""GET /api/v1/flags/, GET /api/v1/flags/{id}/, POST /api/v1/flags/{id}/resolve/."""

import pytest

from permits.models import Destination, Permit
from reviews import services as review_services
from tests.api.conftest import ROLES, assert_access
from tests.factories import EvidenceFactory, PermitFactory

pytestmark = pytest.mark.django_db
RESOLVE = {"resolution": "escalated", "note": "Matches the recovered sensor."}


@pytest.mark.parametrize("role", [*ROLES, None])
def test_list_access(client_for, world, role):
    assert_access(client_for, role, "get", "/api/v1/flags/", None, ())


@pytest.mark.parametrize("role", [*ROLES, None])
def test_detail_access(client_for, world, role):
    assert_access(client_for, role, "get", f"/api/v1/flags/{world['flag'].pk}/", None, ())


@pytest.mark.parametrize("role", [*ROLES, None])
def test_resolve_access(client_for, world, role):
    response = assert_access(client_for, role, "post", f"/api/v1/flags/{world['flag'].pk}/resolve/", RESOLVE,
                             ("official",))
    world["flag"].refresh_from_db()
    assert (world["flag"].status == "escalated") == (response.status_code == 200)


def test_fields(client_for, world):
    body = client_for("reader").get(f"/api/v1/flags/{world['flag'].pk}/").json()
    assert {k: body[k] for k in ("id", "permit", "evidence", "destination", "status", "relevance")} == {
        "id": world["flag"].pk, "permit": "EXP-2020-00123", "evidence": world["evidence"].pk,
        "destination": "TR", "status": "open", "relevance": "high"}
    assert body["reason"] and body["created_at"]


def test_resolve_then_409(client_for, world):
    client = client_for("official")
    url = f"/api/v1/flags/{world['flag'].pk}/resolve/"
    response = client.post(url, RESOLVE, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["resolution_note"], body["resolved_by"]) == (
        "escalated", RESOLVE["note"], "official-user")
    assert Permit.objects.get(number="EXP-2020-00123").open_flags == 0
    assert Destination.objects.get(code="TR").open_flags == 0
    again = client.post(url, {"resolution": "cleared", "note": "x"}, format="json")
    assert again.status_code == 409 and again.json()["detail"]


@pytest.mark.parametrize("body, field", [
    ({"resolution": "cleared"}, "note"), ({"resolution": "cleared", "note": "  "}, "note"),
    ({"resolution": "open", "note": "x"}, "resolution"), ({"note": "x"}, "resolution"),
])
def test_resolve_bad_input_is_400(client_for, world, body, field):
    response = client_for("official").post(f"/api/v1/flags/{world['flag'].pk}/resolve/", body, format="json")
    assert response.status_code == 400 and field in response.json()


def test_filters(client_for, world):
    other = PermitFactory(number="EXP-AZ-9", destination="AZ", consignee="X", end_user="Y",
                          items=[{"control_entry": "9-1", "description": "d", "quantity": 1, "value": "1"}])
    evidence = EvidenceFactory(destination=other.destination, control_entries=[])
    review_services.flag_evidence(evidence_id=evidence.pk)
    client = client_for("reader")
    ids = lambda q: [f["permit"] for f in client.get(f"/api/v1/flags/?{q}").json()["results"]]  # noqa: E731
    assert sorted(ids("")) == ["EXP-2020-00123", "EXP-AZ-9"]
    assert ids("destination=az") == ["EXP-AZ-9"]
    assert ids("permit=EXP-2020-00123") == ["EXP-2020-00123"]
    assert ids(f"evidence={evidence.pk}") == ["EXP-AZ-9"]
    assert ids("relevance=medium") == ["EXP-AZ-9"]
    assert ids("status=open&relevance=high") == ["EXP-2020-00123"]
    assert ids("status=cleared") == []
    for bad in ("destination=XX", "status=closed", "relevance=extreme", "evidence=abc",
                "evidence=99999999999999999999999"):
        response = client.get(f"/api/v1/flags/?{bad}")
        assert response.status_code == 400, (bad, response.content)


def test_unknown_flag_is_404(client_for):
    assert client_for("reader").get("/api/v1/flags/424242/").status_code == 404
    assert client_for("official").post("/api/v1/flags/424242/resolve/", RESOLVE, format="json").status_code == 404
