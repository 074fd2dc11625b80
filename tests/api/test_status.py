"""GET /api/v1/permits/{number}/status/ — the status as of a date."""

import datetime as dt

import pytest
from django.utils import timezone

from permits import services
from tests.api.conftest import ROLES, assert_access
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [*ROLES, None])
def test_access(client_for, world, role):
    assert_access(client_for, role, "get", "/api/v1/permits/EXP-2020-00123/status/", None, ())


@pytest.fixture
def timeline(decision_maker):
    """Issued 2020-05-12, suspended 2020-10-05, reinstated 2020-11-20, suspended 2021-01-10,
    cancelled 2021-04-12 (the contract's example permit)."""
    permit = PermitFactory(number="EXP-2020-00123", valid_until=dt.date(2030, 5, 11))
    ids = {}
    for kind, day in [("suspend", "2020-10-05"), ("reinstate", "2020-11-20"), ("suspend", "2021-01-10"),
                      ("cancel", "2021-04-12")]:
        decision = services.record_decision(
            permit=permit, kind=kind, reason=f"{kind} for the review", decided_by=decision_maker,
            effective_on=dt.date.fromisoformat(day),
        )
        ids[day] = decision.id
    return permit, ids


@pytest.mark.parametrize("as_of, status, since", [
    ("2020-05-12", "active", "2020-05-12"),
    ("2020-10-04", "active", "2020-05-12"),
    ("2020-10-05", "suspended", "2020-10-05"),
    ("2020-11-01", "suspended", "2020-10-05"),
    ("2020-11-20", "active", "2020-11-20"),
    ("2021-01-09", "active", "2020-11-20"),
    ("2021-01-10", "suspended", "2021-01-10"),
    ("2021-04-11", "suspended", "2021-01-10"),
    ("2021-04-12", "cancelled", "2021-04-12"),
    ("9999-12-31", "cancelled", "2021-04-12"),
])
def test_timeline_issued_suspended_reinstated_suspended_cancelled(client_for, timeline, as_of, status, since):
    permit, ids = timeline
    response = client_for("reader").get(f"/api/v1/permits/EXP-2020-00123/status/?as_of={as_of}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["number"] == "EXP-2020-00123"
    assert (body["status"], body["as_of"], body["since"]) == (status, as_of, since)
    decision = body["decision"]
    assert decision["effective_on"] == since
    if since != "2020-05-12":
        assert decision["id"] == ids[since]
    assert set(decision) == {"id", "kind", "effective_on", "authority", "reason"}


def test_contract_example(client_for, timeline):
    body = client_for("reader").get("/api/v1/permits/EXP-2020-00123/status/?as_of=2020-11-01").json()
    assert body["status"] == "suspended" and body["since"] == "2020-10-05"
    assert body["decision"]["kind"] == "suspend"
    assert body["decision"]["authority"] == "EIPA s.10(1)"


def test_without_as_of_is_today(client_for, timeline):
    body = client_for("reader").get("/api/v1/permits/EXP-2020-00123/status/").json()
    assert body["as_of"] == timezone.localdate().isoformat()
    assert body["status"] == "cancelled"


def test_expired_permit_with_and_without_the_daily_decision(client_for):
    PermitFactory(number="EXP-2020-00200", valid_until=dt.date(2022, 5, 11))
    client = client_for("reader")
    url = "/api/v1/permits/EXP-2020-00200/status/?as_of="
    assert client.get(url + "2022-05-11").json()["status"] == "active"
    before_job = client.get(url + "2022-05-12").json()
    assert (before_job["status"], before_job["since"], before_job["decision"]) == ("expired", "2022-05-12", None)
    services.expire_due_permits()
    after_job = client.get(url + "2022-05-12").json()
    assert (after_job["status"], after_job["since"]) == ("expired", "2022-05-12")
    assert after_job["decision"]["kind"] == "expire"
    assert client.get(url + "2022-05-11").json()["status"] == "active"


def test_pending_permit_has_no_decision(client_for):
    PermitFactory(number="EXP-PENDING-1", status="pending", received_on=dt.date(2020, 3, 1))
    body = client_for("reader").get("/api/v1/permits/EXP-PENDING-1/status/?as_of=2020-03-01").json()
    assert (body["status"], body["since"], body["decision"]) == ("pending", "2020-03-01", None)


@pytest.mark.parametrize("as_of, code", [
    ("2020-05-11", 404), ("0001-01-01", 404), ("2020-13-01", 400), ("yesterday", 400),
    ("10000-01-01", 400), ("2020-05-12%00", 400),
])
def test_before_start_is_404_and_malformed_is_400(client_for, timeline, as_of, code):
    response = client_for("reader").get(f"/api/v1/permits/EXP-2020-00123/status/?as_of={as_of}")
    assert response.status_code == code, response.content
    assert response.json()


def test_unknown_permit_is_404(client_for):
    assert client_for("reader").get("/api/v1/permits/NOPE-1/status/").status_code == 404
