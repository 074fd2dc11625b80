"""An issued permit has its issue date and validity, so it expires; received_on predates the issue."""

import datetime as dt

import pytest

from permits import services
from permits.models import Permit
from tests.factories import PermitFactory, new_token, token_client

pytestmark = pytest.mark.django_db
D = dt.date
ISSUE = {"kind": "issue", "reason": "Assessment complete.", "authority": "EIPA s.7(1)"}


@pytest.fixture
def api(make_user):
    return token_client(new_token(make_user("decision_maker", username="issuer")))


def _pending(**kwargs):
    kwargs.setdefault("valid_until", None)
    return PermitFactory(number="EXP-PEND-1", status="pending", received_on=D(2020, 6, 1), **kwargs)


def test_issue_decision_sets_issued_on_and_valid_until(api):
    permit = _pending()
    response = api.post(f"/api/v1/permits/{permit.number}/decisions/",
                        {**ISSUE, "effective_on": "2020-07-01", "valid_until": "2022-06-30"}, format="json")
    assert response.status_code == 201, response.json()
    permit.refresh_from_db()
    assert (permit.status, permit.issued_on, permit.valid_until) == ("active", D(2020, 7, 1), D(2022, 6, 30))
    detail = api.get(f"/api/v1/permits/{permit.number}/").json()
    assert (detail["issued_on"], detail["valid_until"], detail["status"]) == ("2020-07-01", "2022-06-30", "expired")
    # ...and so the daily job expires it the day after its validity.
    result = services.expire_due_permits()
    assert [d.permit.number for d in result.decisions] == [permit.number]
    assert result.decisions[0].effective_on == D(2022, 7, 1)


def test_issue_without_a_validity_is_400_and_changes_nothing(api):
    permit = _pending()
    response = api.post(f"/api/v1/permits/{permit.number}/decisions/",
                        {**ISSUE, "effective_on": "2020-07-01"}, format="json")
    assert response.status_code == 400
    assert "valid_until" in response.json()
    permit.refresh_from_db()
    assert (permit.status, permit.issued_on, permit.decisions.count()) == ("pending", None, 0)


def test_issue_keeps_the_pending_permits_own_validity(api):
    permit = _pending(valid_until=D(2023, 1, 31))
    response = api.post(f"/api/v1/permits/{permit.number}/decisions/",
                        {**ISSUE, "effective_on": "2020-07-01"}, format="json")
    assert response.status_code == 201
    permit.refresh_from_db()
    assert (permit.issued_on, permit.valid_until) == (D(2020, 7, 1), D(2023, 1, 31))


@pytest.mark.parametrize("body, field", [
    ({"effective_on": "2020-07-01", "valid_until": "2020-06-30"}, "valid_until"),
    ({"kind": "suspend", "valid_until": "2030-01-01"}, "valid_until"),
    ({"effective_on": "2020-07-01", "valid_until": "not-a-date"}, "valid_until"),
])
def test_bad_validity_is_400(api, body, field):
    permit = _pending() if body.get("kind") != "suspend" else PermitFactory(number="EXP-ACT-1")
    response = api.post(f"/api/v1/permits/{permit.number}/decisions/", {**ISSUE, **body}, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_blanket_decisions_take_no_validity(api):
    PermitFactory(number="EXP-ACT-1")
    response = api.post("/api/v1/destinations/TR/decisions/",
                        {"kind": "suspend", "reason": "r", "valid_until": "2030-01-01"}, format="json")
    assert response.status_code == 400 and "valid_until" in response.json()


def test_batch_issue_skips_a_permit_without_validity_and_dates_the_others():
    without = _pending()
    with_validity = PermitFactory(number="EXP-PEND-2", status="pending", received_on=D(2020, 6, 1),
                                  valid_until=D(2024, 1, 1))
    result = services.record_batch_decision(permit_ids=[without.pk, with_validity.pk], kind="issue",
                                            reason="Issued.", effective_on=D(2020, 8, 3))
    assert result.permit_numbers == ["EXP-PEND-2"]
    ((skipped, why),) = result.skipped
    assert skipped.number == "EXP-PEND-1" and "valid_until" in why
    assert Permit.objects.get(pk=with_validity.pk).issued_on == D(2020, 8, 3)
    assert Permit.objects.get(pk=without.pk).status == "pending"


def test_received_on_of_an_issued_permit_defaults_to_its_issue_date():
    permit = PermitFactory(number="EXP-OLD-1", issued_on=D(2017, 3, 1), valid_until=D(2019, 3, 1))
    assert permit.received_on == D(2017, 3, 1)
    explicit = PermitFactory(number="EXP-OLD-2", issued_on=D(2017, 3, 1), received_on=D(2017, 1, 20))
    assert explicit.received_on == D(2017, 1, 20)


def test_received_after_issue_is_refused():
    with pytest.raises(services.InvalidInput) as exc:
        PermitFactory(number="EXP-OLD-3", issued_on=D(2017, 3, 1), received_on=D(2017, 3, 2))
    assert "received_on" in exc.value.errors
