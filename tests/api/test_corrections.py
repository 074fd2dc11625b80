"""Correcting the record through the API: amend, rescind, and GET status with known_at."""

import datetime as dt

import pytest
from django.utils import timezone

from permits import checkpoints
from permits.models import Decision, Permit
from tests.api.conftest import ROLES
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db
NUMBER = "EXP-2020-00123"
DECISIONS = f"/api/v1/permits/{NUMBER}/decisions/"
STATUS = f"/api/v1/permits/{NUMBER}/status/"


@pytest.fixture
def permit(db):
    return PermitFactory(number=NUMBER, issued_on=dt.date(2020, 5, 12), valid_until=dt.date(2022, 5, 11))


def _ok_ledger():
    report = checkpoints.verify_ledger()
    assert report.ok, [p.message for p in report.problems]


@pytest.mark.parametrize("role", [r for r in ROLES if r not in ("decision_maker", "superuser")])
def test_only_decision_makers_correct(client_for, permit, role):
    item = permit.items.get()
    cancel = permit.decisions.get()
    for body in ({"kind": "amend", "reason": "r", "changes": {"items": [{"id": item.pk, "quantity": 1}]}},
                 {"kind": "rescind", "reason": "r", "rescinds": cancel.pk}):
        response = client_for(role).post(DECISIONS, body, format="json")
        assert response.status_code == 403, response.content
    assert client_for(None).post(DECISIONS, {"kind": "rescind", "reason": "r", "rescinds": 1},
                                 format="json").status_code == 401
    assert Decision.objects.count() == 1


def test_amend_extends_validity_shown_by_the_permit_and_its_status(client_for, permit):
    client = client_for("decision_maker")
    item = permit.items.get()
    response = client.post(DECISIONS, {
        "kind": "amend", "reason": "Delivery schedule extended.", "effective_on": "2022-01-10",
        "changes": {"valid_until": "2024-05-11", "items": [{"id": item.pk, "quantity": 5, "value": "100.00"}]},
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["from_status"], body["to_status"], body["authority"]) == (
        "amend", "active", "active", "EIPA s.10(1)")
    assert body["changes"] == {"valid_until": ["2022-05-11", "2024-05-11"],
                               f"items.{item.pk}.quantity": [7, 5],
                               f"items.{item.pk}.value": ["3500000.00", "100.00"]}
    assert (body["rescinds"], body["rescinded_by"]) == (None, None)
    detail = client_for("reader").get(f"/api/v1/permits/{NUMBER}/").json()
    assert detail["valid_until"] == "2024-05-11"
    assert detail["items"][0] == {"id": item.pk, "control_entry": "2-15.a", "description": "MX-15D EO/IR sensor",
                                  "quantity": 5, "value": "100.00"}
    assert client.get(f"{STATUS}?as_of=2023-06-01").json()["status"] == "active"
    assert client.get(f"{STATUS}?as_of=2024-05-12").json()["status"] == "expired"
    _ok_ledger()


@pytest.mark.parametrize("changes, field", [
    ({}, "changes"),
    ({"valid_until": "2020-01-01"}, "changes.valid_until"),
    ({"valid_until": "2022-05-11"}, "changes"),  # no change at all
    ({"items": [{"id": 999999999, "quantity": 1}]}, "changes.items.999999999.id"),
    ({"items": [{"id": 1, "quantity": 0}]}, "changes"),
    ({"items": [{"id": 1, "value": "abc"}]}, "changes"),
    ({"colour": "red"}, "changes"),
])
def test_bad_amendments_are_400_with_field_messages(client_for, permit, changes, field):
    response = client_for("decision_maker").post(
        DECISIONS, {"kind": "amend", "reason": "r", "changes": changes}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Decision.objects.count() == 1


def test_an_amend_without_changes_and_changes_on_another_kind_are_400(client_for, permit):
    client = client_for("decision_maker")
    assert "changes" in client.post(DECISIONS, {"kind": "amend", "reason": "r"}, format="json").json()
    response = client.post(DECISIONS, {"kind": "suspend", "reason": "r", "changes": {"consignee": "X"}},
                           format="json")
    assert response.status_code == 400 and "changes" in response.json()
    response = client.post(DECISIONS, {"kind": "rescind", "reason": "r"}, format="json")
    assert response.status_code == 400 and "rescinds" in response.json()


def test_rescinding_a_wrong_cancellation(client_for, permit):
    client = client_for("decision_maker")
    cancel = client.post(DECISIONS, {"kind": "cancel", "reason": "Wrong permit.", "effective_on": "2021-04-12"},
                         format="json").json()
    before = timezone.now().isoformat()
    response = client.post(DECISIONS, {"kind": "rescind", "reason": "Cancellation recorded on the wrong permit.",
                                       "rescinds": cancel["id"]}, format="json")
    assert response.status_code == 201, response.content
    rescind = response.json()
    assert (rescind["from_status"], rescind["to_status"], rescind["rescinds"]) == ("cancelled", "active", cancel["id"])
    assert Permit.objects.get(number=NUMBER).status == "active"
    listed = {d["id"]: d for d in client_for("reader").get(DECISIONS).json()["results"]}
    assert listed[cancel["id"]]["rescinded_by"] == rescind["id"]
    assert listed[rescind["id"]]["rescinded_by"] is None
    for as_of in ("2021-04-12", "2021-06-01", "2022-01-01"):
        body = client.get(f"{STATUS}?as_of={as_of}").json()
        assert (body["status"], body["decision"]["kind"]) == ("active", "issue"), as_of
    then = client.get(STATUS, {"as_of": "2021-06-01", "known_at": before})
    assert then.status_code == 200, then.content
    assert then.json()["status"] == "cancelled"
    assert dt.datetime.fromisoformat(then.json()["known_at"]) == dt.datetime.fromisoformat(before)
    # Rescinding the rescission → 409; the cancellation again → 409.
    assert client.post(DECISIONS, {"kind": "rescind", "reason": "r", "rescinds": rescind["id"]},
                       format="json").status_code == 409
    assert client.post(DECISIONS, {"kind": "rescind", "reason": "r", "rescinds": cancel["id"]},
                       format="json").status_code == 409
    _ok_ledger()


def test_only_the_latest_standing_decision(client_for, permit):
    client = client_for("decision_maker")
    issue = permit.decisions.get()
    assert client.post(DECISIONS, {"kind": "suspend", "reason": "r", "effective_on": "2021-01-01"},
                       format="json").status_code == 201
    response = client.post(DECISIONS, {"kind": "rescind", "reason": "r", "rescinds": issue.pk}, format="json")
    assert response.status_code == 409
    assert "latest" in response.json()["detail"]
    assert client.post(DECISIONS, {"kind": "rescind", "reason": "r", "rescinds": 10**15},
                       format="json").status_code == 409
    assert Permit.objects.get(number=NUMBER).status == "suspended"


def test_the_blanket_decision_takes_no_correction(client_for, permit):
    response = client_for("decision_maker").post("/api/v1/destinations/TR/decisions/",
                                                 {"kind": "amend", "reason": "r"}, format="json")
    assert response.status_code == 400 and "kind" in response.json()


def test_known_at_before_a_back_dated_suspension(client_for, permit):
    client = client_for("decision_maker")
    known = timezone.now()
    client.post(DECISIONS, {"kind": "suspend", "reason": "r", "effective_on": "2020-10-05"}, format="json")
    assert client.get(f"{STATUS}?as_of=2020-10-07").json()["status"] == "suspended"
    body = client.get(STATUS, {"as_of": "2020-10-07", "known_at": known.isoformat()}).json()
    assert body["status"] == "active"
    # Without known_at the answer says when it is as of: now.
    answered = dt.datetime.fromisoformat(client.get(STATUS).json()["known_at"])
    assert abs((timezone.now() - answered).total_seconds()) < 60


@pytest.mark.parametrize("value", ["2020-10-07T12:00:00", "yesterday", "2020-13-01T00:00:00Z",
                                   "2020-10-07T25:00:00+00:00"])
def test_malformed_or_naive_known_at_is_400(client_for, permit, value):
    response = client_for("reader").get(STATUS, {"known_at": value})
    assert response.status_code == 400, (value, response.content)
    assert "known_at" in response.json()
