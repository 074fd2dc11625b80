"""GET/POST /api/v1/permits/{number}/decisions/."""

import datetime as dt

import pytest
from django.utils import timezone

from permits.models import Decision, Permit
from tests.api.conftest import ROLES, assert_access
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/permits/EXP-2020-00123/decisions/"
SUSPEND = {"kind": "suspend", "reason": "Credible evidence of diversion.", "authority": "EIPA s.10(1)",
           "effective_on": "2020-10-05"}


@pytest.mark.parametrize("role", [*ROLES, None])
def test_list_access(client_for, world, role):
    assert_access(client_for, role, "get", URL, None, ())


@pytest.mark.parametrize("role", [*ROLES, None])
def test_post_access(client_for, world, role):
    response = assert_access(client_for, role, "post", URL, SUSPEND, ("decision_maker",))
    expected = "suspended" if response.status_code == 201 else "active"
    assert Permit.objects.get(number="EXP-2020-00123").status == expected


def test_contract_example(client_for, world):
    response = client_for("decision_maker").post(URL, SUSPEND, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("kind", "from_status", "to_status", "effective_on", "authority", "reason",
                                 "decided_by", "batch", "permit")} == {
        "kind": "suspend", "from_status": "active", "to_status": "suspended", "effective_on": "2020-10-05",
        "authority": "EIPA s.10(1)", "reason": "Credible evidence of diversion.",
        "decided_by": "decision_maker-user", "batch": None, "permit": "EXP-2020-00123"}
    listed = client_for("reader").get(URL).json()
    assert listed["count"] == 2
    assert [d["kind"] for d in listed["results"]] == ["issue", "suspend"]  # oldest first
    assert listed["results"][1]["previous_hash"] == listed["results"][0]["hash"]


def test_authority_defaults_and_effective_on_defaults_to_today(client_for, world):
    response = client_for("decision_maker").post(URL, {"kind": "suspend", "reason": "Review."}, format="json")
    assert response.status_code == 201
    assert response.json()["authority"] == "EIPA s.10(1)"
    assert response.json()["effective_on"] == timezone.localdate().isoformat()


def test_lifecycle_refusal_is_409_and_changes_nothing(client_for, world):
    client = client_for("decision_maker")
    assert client.post(URL, {**SUSPEND, "kind": "cancel"}, format="json").status_code == 201
    before = Decision.objects.count()
    response = client.post(URL, {**SUSPEND, "kind": "reinstate"}, format="json")
    assert response.status_code == 409
    assert "cancelled" in response.json()["detail"]
    assert Decision.objects.count() == before


@pytest.mark.parametrize("body, field", [
    ({**SUSPEND, "kind": "expire"}, "kind"),
    ({**SUSPEND, "reason": "   "}, "reason"),
    ({k: v for k, v in SUSPEND.items() if k != "reason"}, "reason"),
    ({**SUSPEND, "effective_on": "2020-05-11"}, "effective_on"),   # before the permit started
    ({**SUSPEND, "effective_on": "0001-01-01"}, "effective_on"),
    ({**SUSPEND, "effective_on": "9999-12-31"}, "effective_on"),   # after today
    ({**SUSPEND, "effective_on": "2020-02-30"}, "effective_on"),
    ({**SUSPEND, "kind": "explode"}, "kind"),
])
def test_bad_input_is_400(client_for, world, body, field):
    response = client_for("decision_maker").post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Permit.objects.get(number="EXP-2020-00123").status == "active"


def test_effective_on_not_before_last_decision(client_for, world):
    client = client_for("decision_maker")
    assert client.post(URL, SUSPEND, format="json").status_code == 201
    response = client.post(URL, {**SUSPEND, "kind": "reinstate", "effective_on": "2020-10-01"}, format="json")
    assert response.status_code == 400 and "effective_on" in response.json()


def test_issue_and_deny_a_pending_permit(client_for):
    PermitFactory(number="EXP-P-1", status="pending", received_on=dt.date(2020, 1, 1))
    PermitFactory(number="EXP-P-2", status="pending", received_on=dt.date(2020, 1, 1))
    client = client_for("decision_maker")
    issued = client.post("/api/v1/permits/EXP-P-1/decisions/", {"kind": "issue", "reason": "OK"}, format="json")
    denied = client.post("/api/v1/permits/EXP-P-2/decisions/", {"kind": "deny", "reason": "No"}, format="json")
    assert (issued.status_code, issued.json()["to_status"]) == (201, "active")
    assert (denied.status_code, denied.json()["to_status"]) == (201, "denied")


def test_unknown_permit_is_404(client_for):
    assert client_for("decision_maker").post("/api/v1/permits/NOPE-1/decisions/", SUSPEND,
                                             format="json").status_code == 404
    assert client_for("reader").get("/api/v1/permits/NOPE-1/decisions/").status_code == 404
