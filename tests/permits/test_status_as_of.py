"""Status as of a date, derived from the decision history."""

import datetime as dt

import pytest

from permits import services
from permits.selectors import status_as_of
from permits.core.errors import NotStarted
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db
D = dt.date


def test_a_full_timeline(decision_maker):
    p = PermitFactory(issued_on=D(2020, 5, 12), valid_until=D(2030, 5, 11))
    for kind, day in (("suspend", D(2020, 10, 5)), ("reinstate", D(2021, 1, 4)),
                      ("suspend", D(2021, 2, 1)), ("cancel", D(2021, 4, 12))):
        services.record_decision(permit=p, kind=kind, reason=kind, effective_on=day, decided_by=decision_maker)
    expected = [
        (D(2020, 5, 12), "active", D(2020, 5, 12), "issue"),
        (D(2020, 10, 4), "active", D(2020, 5, 12), "issue"),
        (D(2020, 10, 5), "suspended", D(2020, 10, 5), "suspend"),
        (D(2021, 1, 4), "active", D(2021, 1, 4), "reinstate"),
        (D(2021, 3, 1), "suspended", D(2021, 2, 1), "suspend"),
        (D(2021, 4, 12), "cancelled", D(2021, 4, 12), "cancel"),
        (D(2031, 1, 1), "cancelled", D(2021, 4, 12), "cancel"),
    ]
    for as_of, status, since, kind in expected:
        s = status_as_of(p, as_of)
        assert (s.status, s.since, s.decision.kind) == (status, since, kind), as_of
    with pytest.raises(NotStarted):
        status_as_of(p, D(2020, 5, 11))


def test_expired_by_date_before_the_job_ran():
    p = PermitFactory(issued_on=D(2020, 1, 1), valid_until=D(2021, 1, 1))
    assert status_as_of(p, D(2021, 1, 1)).status == "active"
    s = status_as_of(p, D(2021, 1, 2))
    assert (s.status, s.since, s.decision) == ("expired", D(2021, 1, 2), None)
    services.expire_due_permits()
    s = status_as_of(p, D(2022, 1, 1))
    assert (s.status, s.since, s.decision.kind) == ("expired", D(2021, 1, 2), "expire")


def test_pending_permit_has_no_decision():
    p = PermitFactory(status="pending", received_on=D(2026, 1, 5))
    s = status_as_of(p, D(2026, 1, 5))
    assert (s.status, s.since, s.decision) == ("pending", D(2026, 1, 5), None)
