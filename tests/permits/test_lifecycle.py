"""The lifecycle table: every (status, kind) pair, and the effective-date rules."""

import datetime as dt

import pytest
from django.utils import timezone

from permits import services
from permits.models import Decision, Permit
from permits.core.errors import InvalidInput, TransitionNotAllowed
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db

STATUSES = ["pending", "active", "suspended", "cancelled", "expired", "denied"]
KINDS = ["issue", "deny", "suspend", "reinstate", "cancel", "expire"]
ALLOWED = {
    ("pending", "issue"): "active",
    ("pending", "deny"): "denied",
    ("active", "suspend"): "suspended",
    ("suspended", "reinstate"): "active",
    ("active", "cancel"): "cancelled",
    ("suspended", "cancel"): "cancelled",
    ("active", "expire"): "expired",
    ("suspended", "expire"): "expired",
}
START = dt.date(2020, 5, 12)
STEP = dt.date(2020, 6, 1)


def permit_in(status, user):
    """A permit brought to ``status`` through the lifecycle service only."""
    if status in ("pending", "denied"):
        permit = PermitFactory(status="pending", received_on=START)
        if status == "denied":
            services.record_decision(permit=permit, kind="deny", reason="r", effective_on=STEP,
                                     decided_by=user)
        return permit
    permit = PermitFactory(issued_on=START, valid_until=dt.date(2040, 1, 1))
    if status in ("suspended", "cancelled"):
        services.record_decision(permit=permit, kind="suspend" if status == "suspended" else "cancel",
                                 reason="r", effective_on=STEP, decided_by=user)
    if status == "expired":
        services.record_decision(permit=permit, kind="expire", reason="validity ended",
                                 effective_on=STEP, system=True)
    return permit


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_status_and_kind(status, kind, decision_maker):
    permit = permit_in(status, decision_maker)
    assert permit.status == status
    before = list(permit.decisions.values_list("id", flat=True))
    target = ALLOWED.get((status, kind))
    effective = dt.date(2020, 7, 1)
    if target:
        decision = services.record_decision(
            permit=permit, kind=kind, reason="because", effective_on=effective,
            decided_by=decision_maker, system=kind == "expire",
        )
        permit.refresh_from_db()
        assert permit.status == target
        assert (decision.from_status, decision.to_status, decision.kind) == (status, target, kind)
        assert permit.decisions.count() == len(before) + 1
    else:
        with pytest.raises(TransitionNotAllowed):
            services.record_decision(permit=permit, kind=kind, reason="because", effective_on=effective,
                                     decided_by=decision_maker, system=True)
        permit.refresh_from_db()
        assert permit.status == status
        assert list(permit.decisions.values_list("id", flat=True)) == before


def test_expire_is_for_the_system_only(decision_maker):
    permit = PermitFactory()
    with pytest.raises(InvalidInput) as exc:
        services.record_decision(permit=permit, kind="expire", reason="x", decided_by=decision_maker)
    assert "kind" in exc.value.errors
    permit.refresh_from_db()
    assert permit.status == "active"


def test_creating_an_active_permit_records_its_issue_decision():
    permit = PermitFactory(issued_on=START)
    (decision,) = permit.decisions.all()
    assert (decision.kind, decision.from_status, decision.to_status) == ("issue", "pending", "active")
    assert decision.effective_on == START
    assert decision.decided_by.username == "licensing-system"  # the recording official
    assert permit.starts_on == START


def test_an_active_permit_without_a_recording_user_is_refused():
    from permits.models import Permit

    with pytest.raises(services.InvalidInput) as exc:
        PermitFactory(number="EXP-T-NOBODY", recorded_by=None)
    assert "recorded_by" in exc.value.errors
    assert not Permit.objects.filter(number="EXP-T-NOBODY").exists()


def test_a_pending_permit_starts_on_its_received_date():
    permit = PermitFactory(status="pending", received_on=dt.date(2021, 3, 1))
    assert permit.status == "pending"
    assert permit.starts_on == dt.date(2021, 3, 1)
    assert permit.decisions.count() == 0


class TestEffectiveDates:
    def test_defaults_to_today(self, decision_maker):
        permit = PermitFactory()
        decision = services.record_decision(permit=permit, kind="suspend", reason="r",
                                            decided_by=decision_maker)
        assert decision.effective_on == timezone.localdate()

    def test_not_before_the_permit_started(self, decision_maker):
        permit = PermitFactory(issued_on=START)
        with pytest.raises(InvalidInput) as exc:
            services.record_decision(permit=permit, kind="suspend", reason="r",
                                     effective_on=START - dt.timedelta(days=1), decided_by=decision_maker)
        assert "effective_on" in exc.value.errors
        assert Permit.objects.get(pk=permit.pk).status == "active"

    def test_on_the_start_day_is_fine(self, decision_maker):
        permit = PermitFactory(issued_on=START)
        services.record_decision(permit=permit, kind="suspend", reason="r", effective_on=START,
                                 decided_by=decision_maker)
        assert Permit.objects.get(pk=permit.pk).status == "suspended"

    def test_not_before_the_last_decision(self, decision_maker):
        permit = PermitFactory(issued_on=START)
        services.record_decision(permit=permit, kind="suspend", reason="r", effective_on=dt.date(2020, 10, 5),
                                 decided_by=decision_maker)
        with pytest.raises(InvalidInput) as exc:
            services.record_decision(permit=permit, kind="reinstate", reason="r",
                                     effective_on=dt.date(2020, 10, 4), decided_by=decision_maker)
        assert "last decision" in exc.value.errors["effective_on"][0]
        assert Permit.objects.get(pk=permit.pk).status == "suspended"

    def test_not_after_today(self, decision_maker):
        permit = PermitFactory()
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        with pytest.raises(InvalidInput):
            services.record_decision(permit=permit, kind="suspend", reason="r", effective_on=tomorrow,
                                     decided_by=decision_maker)
        assert Decision.objects.filter(permit=permit).count() == 1

    def test_reason_is_required(self, decision_maker):
        permit = PermitFactory()
        with pytest.raises(InvalidInput) as exc:
            services.record_decision(permit=permit, kind="suspend", reason="   ", decided_by=decision_maker)
        assert "reason" in exc.value.errors


class TestExpiry:
    def test_a_permit_past_its_validity_cannot_be_suspended_after_it(self, decision_maker):
        permit = PermitFactory(issued_on=dt.date(2020, 1, 1), valid_until=dt.date(2021, 1, 1))
        with pytest.raises(TransitionNotAllowed):
            services.record_decision(permit=permit, kind="suspend", reason="r", decided_by=decision_maker)
        # ...but a decision effective while it was valid is lawful.
        services.record_decision(permit=permit, kind="suspend", reason="r",
                                 effective_on=dt.date(2020, 6, 1), decided_by=decision_maker)
        assert Permit.objects.get(pk=permit.pk).status == "suspended"

    def test_the_daily_job_expires_through_the_lifecycle(self):
        due = PermitFactory(issued_on=dt.date(2020, 1, 1), valid_until=dt.date(2021, 1, 1))
        current = PermitFactory(issued_on=dt.date(2020, 1, 1), valid_until=dt.date(2040, 1, 1))
        result = services.expire_due_permits()
        assert result.affected == 1
        due.refresh_from_db()
        current.refresh_from_db()
        assert (due.status, current.status) == ("expired", "active")
        decision = due.decisions.last()
        assert (decision.kind, decision.effective_on, decision.decided_by) == ("expire", dt.date(2021, 1, 2), None)
        assert services.expire_due_permits() is None  # idempotent
