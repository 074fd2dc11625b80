"""GET/POST /api/v1/permits/ and GET /api/v1/permits/{number}/."""

import datetime as dt

import pytest

from permits.models import Decision, Permit
from permits.core.clock import today
from tests.api.conftest import ROLES, assert_access, new_permit_body
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [*ROLES, None])
def test_list_access(client_for, world, role):
    assert_access(client_for, role, "get", "/api/v1/permits/", None, ())


@pytest.mark.parametrize("role", [*ROLES, None])
def test_detail_access(client_for, world, role):
    assert_access(client_for, role, "get", "/api/v1/permits/EXP-2020-00123/", None, ())


@pytest.mark.parametrize("role", [*ROLES, None])
def test_create_access(client_for, world, role):
    response = assert_access(client_for, role, "post", "/api/v1/permits/", new_permit_body(), ("official",))
    assert Permit.objects.filter(number="EXP-2020-00999").exists() == (response.status_code == 201)


def test_create_contract_example_returns_permit_as_get_shows_it(client_for):
    client = client_for("official")
    response = client.post("/api/v1/permits/", new_permit_body("EXP-2020-00123"), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    # The creation answer adds the measures in force that cover the goods: none on TR here.
    assert body.pop("warnings") == []
    assert body == client.get("/api/v1/permits/EXP-2020-00123/").json()
    assert body["status"] == "expired"  # valid_until 2022-05-11 has passed
    assert body["destination"] == "TR"
    assert body["total_value"] == "3500000.00"
    assert [{k: v for k, v in item.items() if k != "id"} for item in body["items"]] == [
        {"control_entry": "2-15.a", "description": "MX-15D EO/IR sensor", "quantity": 7, "value": "3500000.00"}]
    assert all(isinstance(item["id"], int) for item in body["items"])
    assert body["open_flags"] == 0 and body["assurances"] == []
    [issue] = body["decisions"]
    assert issue["kind"] == "issue" and issue["effective_on"] == "2020-05-12"
    assert issue["from_status"] == "pending" and issue["to_status"] == "active"
    # The official who recorded it, on delegated authority: never null.
    assert issue["decided_by"] == "official-user" and issue["batch"] is None and len(issue["hash"]) == 64


def test_create_pending_permit_starts_on_received_on(client_for):
    body = new_permit_body(status="pending", received_on="2020-03-01")
    del body["issued_on"]
    response = client_for("official").post("/api/v1/permits/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    assert response.json()["starts_on"] == "2020-03-01"
    assert response.json()["decisions"] == []


@pytest.mark.parametrize("change, field", [
    ({"number": "EXP-2020-00123"}, "number"),              # duplicate
    ({"number": "-bad"}, "number"),
    ({"destination": "XX"}, "destination"),
    ({"destination": "TUR"}, "destination"),
    ({"status": "expired"}, "status"),
    ({"issued_on": None}, "issued_on"),
    ({"valid_until": "2020-01-01"}, "valid_until"),
    ({"items": []}, "items"),
    ({"items": [{"control_entry": "2-15", "description": "x", "quantity": 0, "value": "1"}]}, "items"),
    ({"items": [{"control_entry": "2-15", "description": "x", "quantity": 1, "value": "-1"}]}, "items"),
    ({"items": [{"control_entry": "2-15", "description": "x", "quantity": 1, "value": "1.001"}]}, "items"),
    ({"items": [{"control_entry": "2-15", "description": "x", "quantity": 1,
                 "value": "1234567890123456.00"}]}, "items"),
    ({"currency": "ca"}, "currency"),
    ({"unexpected": 1}, "unexpected"),
])
def test_create_rejects_bad_input_with_field_errors(client_for, world, change, field):
    response = client_for("official").post("/api/v1/permits/", new_permit_body(**change), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Permit.objects.filter(number="EXP-2020-00999").exists()


def test_pending_permit_must_not_have_issued_on(client_for):
    body = new_permit_body(status="pending")
    response = client_for("official").post("/api/v1/permits/", body, format="json")
    assert response.status_code == 400 and "issued_on" in response.json()


def test_destination_accepted_in_any_case(client_for):
    response = client_for("official").post("/api/v1/permits/", new_permit_body(destination="tr"),
                                           format="json")
    assert response.status_code == 201 and response.json()["destination"] == "TR"


def test_unknown_permit_is_404(client_for):
    assert client_for("reader").get("/api/v1/permits/EXP-NOPE-1/").status_code == 404
    nul = client_for("reader").get("/api/v1/permits/%00bad/")
    assert nul.status_code == 400 and "NUL" in nul.json()["detail"]  # refused at the door


def _numbers(response):
    assert response.status_code == 200, response.content
    return sorted(p["number"] for p in response.json()["results"])


def test_filters(client_for, world):
    PermitFactory(number="EXP-AZ-1", destination="AZ", exporter="Other Corp", consignee="Someone",
                  end_user="Nobody", items=[{"control_entry": "2-150", "description": "Radar",
                                             "quantity": 1, "value": "1.00"}])
    PermitFactory(number="EXP-TR-OLD", valid_until=dt.date(2021, 1, 1))
    client = client_for("reader")
    get = lambda query: _numbers(client.get(f"/api/v1/permits/?{query}"))  # noqa: E731
    assert get("destination=tr") == ["EXP-2020-00123", "EXP-TR-OLD"]
    assert get("status=active") == ["EXP-2020-00123", "EXP-AZ-1"]
    assert get("status=expired") == ["EXP-TR-OLD"]
    assert get("exporter=wescam") == ["EXP-2020-00123", "EXP-TR-OLD"]
    assert get("control_entry=2-15") == ["EXP-2020-00123", "EXP-TR-OLD"]
    assert get("control_entry=2-") == ["EXP-2020-00123", "EXP-AZ-1", "EXP-TR-OLD"]
    assert get("control_entry=2-150") == ["EXP-AZ-1"]
    assert get("q=radar") == ["EXP-AZ-1"]
    assert get("q=baykar") == ["EXP-2020-00123", "EXP-TR-OLD"]
    assert get("q=00123") == ["EXP-2020-00123"]
    assert get("flagged=true") == ["EXP-2020-00123"]
    assert get("flagged=false") == ["EXP-AZ-1", "EXP-TR-OLD"]


@pytest.mark.parametrize("query, field", [
    ("destination=XX", "destination"), ("destination=Turkey", "destination"),
    ("status=valid", "status"), ("flagged=maybe", "flagged"), ("control_entry=2%2015", "control_entry"),
    ("exporter=a%00b", "exporter"),
])
def test_bad_filters_are_400(client_for, world, query, field):
    response = client_for("reader").get(f"/api/v1/permits/?{query}")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_pagination_shape_and_clamping(client_for, world):
    for n in range(4):
        PermitFactory(number=f"EXP-PAGE-{n}")
    client = client_for("reader")
    body = client.get("/api/v1/permits/?page_size=2").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 5 and len(body["results"]) == 2 and body["previous"] is None
    assert "page=2" in body["next"]
    assert len(client.get("/api/v1/permits/?page_size=100000").json()["results"]) == 5
    assert client.get("/api/v1/permits/?page_size=-3").status_code == 200
    for page in ("0", "-1", "99999999999999999999999", "abc", "4"):
        response = client.get(f"/api/v1/permits/?page={page}&page_size=2")
        assert response.status_code == 404 and response.json()["detail"], page


def test_list_runs_a_constant_number_of_queries(client_for, world, django_assert_max_num_queries):
    for n in range(10):
        PermitFactory(number=f"EXP-Q-{n}")
    client = client_for("reader")
    client.get("/api/v1/permits/")  # warm the role cache path
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/permits/").status_code == 200


def test_today_is_used_for_the_shown_status(client_for):
    PermitFactory(number="EXP-LAST-DAY", valid_until=today())
    assert client_for("reader").get("/api/v1/permits/EXP-LAST-DAY/").json()["status"] == "active"
    assert Decision.objects.filter(permit__number="EXP-LAST-DAY").count() == 1
