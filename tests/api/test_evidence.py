"""GET/POST /api/v1/destinations/{code}/evidence/ and GET /api/v1/evidence/{id}/."""

from unittest import mock

import pytest
from kombu.exceptions import OperationalError

from reviews.models import DiversionEvidence, Flag
from tests.api.conftest import ROLES, assert_access, evidence_body
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/destinations/TR/evidence/"


@pytest.mark.parametrize("role", [*ROLES, None])
def test_list_access(client_for, world, role):
    assert_access(client_for, role, "get", URL, None, ())


@pytest.mark.parametrize("role", [*ROLES, None])
def test_post_access(client_for, world, role):
    response = assert_access(client_for, role, "post", URL, evidence_body(), ("official",))
    assert DiversionEvidence.objects.count() == (2 if response.status_code == 201 else 1)


@pytest.mark.parametrize("role", [*ROLES, None])
def test_detail_access(client_for, world, role):
    assert_access(client_for, role, "get", f"/api/v1/evidence/{world['evidence'].pk}/", None, ())


def test_contract_example_flags_live_permits(client_for, django_capture_on_commit_callbacks):
    PermitFactory(number="TR-1")                                   # entry 2-15.a matches 2-15: high
    PermitFactory(number="TR-2", consignee="Other", end_user=" baykar ",
                  items=[{"control_entry": "2-5", "description": "x", "quantity": 1, "value": "1"}])  # party: high
    PermitFactory(number="TR-3", consignee="Other", end_user="Other",
                  items=[{"control_entry": "2-150", "description": "x", "quantity": 1, "value": "1"}])  # medium
    PermitFactory(number="TR-PENDING", status="pending")
    PermitFactory(number="AZ-1", destination="AZ")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("official").post(URL, evidence_body(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["destination"] == "TR" and body["diverted_to"] == "AZ"
    assert body["control_entries"] == ["2-15"] and body["end_users"] == ["Baykar"]
    assert body["recorded_by"] == "official-user"
    # The answer did not wait: flagging is queued after the commit (here, when the
    # captured callbacks run at the end of the block).
    assert body["flagging"] == "queued" and body["flags_raised"] == 0
    flags = dict(Flag.objects.values_list("permit__number", "relevance"))
    assert flags == {"TR-1": "high", "TR-2": "high", "TR-3": "medium", "TR-PENDING": "high"}
    detail = client_for("reader").get(f"/api/v1/evidence/{body['id']}/").json()
    assert detail == {**body, "flagging": "done", "flags_raised": 4}


def test_answers_201_queued_when_the_broker_is_down(client_for, world, django_capture_on_commit_callbacks):
    with mock.patch("reviews.tasks.flag_evidence_task.apply_async", side_effect=OperationalError("down")):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for("official").post(URL, evidence_body(title="While Redis was down"),
                                                   format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["flagging"], response.json()["flags_raised"]) == ("queued", 0)
    assert DiversionEvidence.objects.filter(title="While Redis was down", flagging_finished_at=None).exists()


@pytest.mark.parametrize("change, field", [
    ({"title": ""}, "title"), ({"source_type": "rumour"}, "source_type"),
    ({"credibility": "certain"}, "credibility"), ({"observed_on": "20-10-2020"}, "observed_on"),
    ({"diverted_to": "ZZ"}, "diverted_to"), ({"control_entries": ["2 15"]}, "control_entries"),
    ({"control_entries": "2-15"}, "control_entries"), ({"end_users": [{"a": 1}]}, "end_users"),
    ({"summary": "nul\x00byte"}, "summary"), ({"colour": "red"}, "colour"),
])
def test_bad_input_is_400(client_for, world, change, field):
    response = client_for("official").post(URL, evidence_body(**change), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_only_required_fields(client_for, world):
    body = {"title": "Footage", "source_type": "osint", "observed_on": "2020-10-20", "credibility": "low"}
    response = client_for("official").post("/api/v1/destinations/tr/evidence/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["diverted_to"] is None


def test_list_is_per_destination(client_for, world):
    assert client_for("reader").get(URL).json()["count"] == 1
    assert client_for("reader").get("/api/v1/destinations/AZ/evidence/").json()["count"] == 0


def test_unknown_paths_are_404(client_for):
    assert client_for("official").post("/api/v1/destinations/XX/evidence/", evidence_body(),
                                       format="json").status_code == 404
    assert client_for("reader").get("/api/v1/destinations/XX/evidence/").status_code == 404
    assert client_for("reader").get("/api/v1/evidence/123456/").status_code == 404
