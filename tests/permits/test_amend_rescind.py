"""Correcting the record: amendments, rescissions and the status as the register stood then."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from permits import checkpoints, ledger, services
from permits.models import Decision, ExporterNotice, Permit
from permits.selectors import status_as_of, status_of_number
from tests.factories import PermitFactory
from tests.ledger_check import broken_links

pytestmark = pytest.mark.django_db
D = dt.date
REASON = "Recorded in error."


def _verified():
    report = checkpoints.verify_ledger()
    assert report.ok, [str(p.message) for p in report.problems]
    assert broken_links() == []


def _decide(permit, kind, user, **kwargs):
    return services.record_decision(permit=permit, kind=kind, reason=kwargs.pop("reason", kind),
                                    decided_by=user, **kwargs)


def _both(permit, day, known_at=None):
    """The read model's answer and the status endpoint's SQL must be one."""
    model = status_as_of(Permit.objects.get(pk=permit.pk), day, known_at=known_at)
    sql = status_of_number(permit.number, day, known_at)
    assert (model.status, model.since, getattr(model.decision, "id", None)) == (
        sql.status, sql.since, getattr(sql.decision, "id", None)), day
    return model.status


def test_an_amendment_extends_validity_and_moves_expiry(decision_maker):
    permit = PermitFactory(issued_on=D(2020, 5, 12), valid_until=D(2022, 5, 11))
    amend = _decide(permit, "amend", decision_maker, effective_on=D(2022, 1, 10),
                    changes={"valid_until": D(2024, 5, 11)})
    assert (amend.from_status, amend.to_status) == ("active", "active")
    assert amend.changes == {"valid_until": ["2022-05-11", "2024-05-11"]}
    assert Permit.objects.get(pk=permit.pk).valid_until == D(2024, 5, 11)
    # The read model and the SQL follow the new validity …
    assert _both(permit, D(2023, 1, 1)) == "active"
    assert _both(permit, D(2024, 5, 12)) == "expired"
    # … and so does the daily expiry job.
    assert services.expire_due_permits(on_day=D(2023, 1, 1)) is None
    result = services.expire_due_permits(on_day=D(2024, 5, 20))
    assert [d.effective_on for d in result.decisions] == [D(2024, 5, 12)]
    _verified()


def test_amending_items_and_parties_applies_them_and_records_before_after(decision_maker,
                                                                         django_capture_on_commit_callbacks):
    permit = PermitFactory()
    item = permit.items.get()
    with django_capture_on_commit_callbacks(execute=True):
        amend = _decide(permit, "amend", decision_maker, changes={
            "consignee": "Baykar Makina", "end_use": "UAV sensor payload",  # end_use unchanged: not recorded
            "items": [{"id": item.pk, "quantity": 5, "value": "100.00"}]})
    assert amend.changes == {
        "consignee": ["Baykar", "Baykar Makina"],
        f"items.{item.pk}.quantity": [7, 5],
        f"items.{item.pk}.value": ["3500000.00", "100.00"],
    }
    item.refresh_from_db()
    assert (item.quantity, item.value) == (5, Decimal("100.00"))
    assert Permit.objects.get(pk=permit.pk).consignee == "Baykar Makina"
    # The exporter is told, with the changes.
    notice = ExporterNotice.objects.get(decision=amend)
    assert notice.sent_at is not None
    assert "Baykar Makina" in mail.outbox[-1].body and "amended" in mail.outbox[-1].subject
    _verified()


@pytest.mark.parametrize("changes, field", [
    ({}, "changes"),
    ({"consignee": "Baykar"}, "changes"),  # no change at all
    ({"valid_until": D(2020, 1, 1)}, "changes.valid_until"),  # before issued_on
    ({"valid_until": "not a date"}, "changes.valid_until"),
    ({"colour": "red"}, "changes.colour"),
    ({"items": [{"id": 10**12, "quantity": 2}]}, "changes.items.1000000000000.id"),
    ({"items": []}, "changes.items"),
])
def test_bad_amendments_are_refused_and_change_nothing(decision_maker, changes, field):
    permit = PermitFactory()
    before = Decision.objects.count()
    with pytest.raises(services.InvalidInput) as exc:
        _decide(permit, "amend", decision_maker, changes=changes)
    assert field in exc.value.errors
    assert Decision.objects.count() == before
    assert Permit.objects.get(pk=permit.pk).valid_until == D(2030, 5, 11)


def test_item_checks(decision_maker):
    permit, other = PermitFactory(), PermitFactory()
    item, foreign = permit.items.get(), other.items.get()
    for given, key in (({"id": foreign.pk, "quantity": 2}, f"changes.items.{foreign.pk}.id"),
                       ({"id": item.pk, "quantity": 0}, f"changes.items.{item.pk}.quantity"),
                       ({"id": item.pk, "value": "-1"}, f"changes.items.{item.pk}.value"),
                       ({"id": item.pk, "value": "1.234"}, f"changes.items.{item.pk}.value")):
        with pytest.raises(services.InvalidInput) as exc:
            _decide(permit, "amend", decision_maker, changes={"items": [given]})
        assert key in exc.value.errors, given
    item.refresh_from_db()
    assert item.quantity == 7


def test_amend_only_a_live_permit(decision_maker):
    permit = PermitFactory()
    _decide(permit, "cancel", decision_maker)
    with pytest.raises(services.TransitionNotAllowed):
        _decide(permit, "amend", decision_maker, changes={"consignee": "X"})


def test_rescinding_a_wrong_cancellation(decision_maker):
    permit = PermitFactory(issued_on=D(2020, 5, 12))
    cancel = _decide(permit, "cancel", decision_maker, effective_on=D(2021, 4, 12))
    before_rescission = timezone.now()
    rescind = _decide(permit, "rescind", decision_maker, rescinds=cancel.pk, reason=REASON)
    assert (rescind.from_status, rescind.to_status, rescind.rescinds_id) == ("cancelled", "active", cancel.pk)
    assert Permit.objects.get(pk=permit.pk).status == "active"
    assert Decision.objects.get(pk=cancel.pk).rescinded_by_id == rescind.pk
    # Void from the start: no date sees the cancellation …
    for day in (D(2021, 4, 11), D(2021, 4, 12), D(2022, 1, 1), timezone.localdate()):
        assert _both(permit, day) == "active", day
    assert status_as_of(permit, D(2022, 1, 1)).decision.kind == "issue"
    # … but as the register stood before the rescission, it was cancelled.
    assert _both(permit, D(2022, 1, 1), known_at=before_rescission) == "cancelled"
    assert _both(permit, D(2021, 4, 11), known_at=before_rescission) == "active"
    _verified()


def test_known_at_ignores_decisions_recorded_later(decision_maker):
    permit = PermitFactory(issued_on=D(2020, 5, 12))
    moment = timezone.now()
    _decide(permit, "suspend", decision_maker, effective_on=D(2020, 10, 5))
    assert _both(permit, D(2020, 10, 7)) == "suspended"
    assert _both(permit, D(2020, 10, 7), known_at=moment) == "active"


def test_known_at_uses_the_validity_known_then(decision_maker):
    permit = PermitFactory(issued_on=D(2020, 5, 12), valid_until=D(2022, 5, 11))
    moment = timezone.now()
    _decide(permit, "amend", decision_maker, effective_on=D(2022, 1, 10), changes={"valid_until": D(2024, 5, 11)})
    assert _both(permit, D(2023, 1, 1)) == "active"
    assert _both(permit, D(2023, 1, 1), known_at=moment) == "expired"


def test_rescinding_an_issue_returns_to_pending(decision_maker):
    permit = PermitFactory()
    issue = permit.decisions.get()
    _decide(permit, "rescind", decision_maker, rescinds=issue.pk)
    assert Permit.objects.get(pk=permit.pk).status == "pending"
    assert _both(permit, D(2021, 1, 1)) == "pending"
    _verified()


def test_rescind_an_expiry_after_amending_validity(decision_maker):
    permit = PermitFactory(issued_on=D(2020, 5, 12), valid_until=D(2022, 5, 11))
    (expire,) = services.expire_due_permits(on_day=D(2022, 6, 1)).decisions
    _decide(permit, "rescind", decision_maker, rescinds=expire.pk)
    # The validity has still ended: the permit shows expired by date until amended.
    assert _both(permit, timezone.localdate()) == "expired"
    _decide(permit, "amend", decision_maker, changes={"valid_until": timezone.localdate() + dt.timedelta(days=30)})
    assert _both(permit, timezone.localdate()) == "active"
    assert Permit.objects.get(pk=permit.pk).status_today == "active"
    _verified()


def test_rescind_refusals(decision_maker):
    permit, other = PermitFactory(), PermitFactory()
    suspend = _decide(permit, "suspend", decision_maker)
    issue = permit.decisions.get(kind="issue")
    with pytest.raises(services.TransitionNotAllowed, match="latest"):
        _decide(permit, "rescind", decision_maker, rescinds=issue.pk)  # not the latest
    with pytest.raises(services.TransitionNotAllowed):
        _decide(permit, "rescind", decision_maker, rescinds=other.decisions.get().pk)  # another permit's
    rescind = _decide(permit, "rescind", decision_maker, rescinds=suspend.pk)
    with pytest.raises(services.TransitionNotAllowed, match="rescission"):
        _decide(permit, "rescind", decision_maker, rescinds=rescind.pk)
    with pytest.raises(services.TransitionNotAllowed, match="already rescinded"):
        _decide(permit, "rescind", decision_maker, rescinds=suspend.pk)
    with pytest.raises(services.InvalidInput):
        _decide(permit, "rescind", decision_maker)  # names nothing
    with pytest.raises(services.InvalidInput):
        _decide(permit, "suspend", decision_maker, rescinds=issue.pk)
    # With the suspension rescinded, the issue is now the latest standing decision.
    _decide(permit, "rescind", decision_maker, rescinds=issue.pk)
    assert Permit.objects.get(pk=permit.pk).status == "pending"
    _verified()


def test_batches_take_no_corrections(decision_maker):
    permit = PermitFactory()
    with pytest.raises(services.InvalidInput):
        services.record_batch_decision(permit_ids=[permit.pk], kind="amend", reason="x", decided_by=decision_maker)


def test_an_old_style_decision_hashes_as_before():
    recorded_at = dt.datetime(2020, 10, 5, 12, tzinfo=dt.timezone.utc)
    fields = dict(permit_number="EXP-1", kind="suspend", from_status="active", to_status="suspended",
                  effective_on=D(2020, 10, 5), recorded_at=recorded_at, authority="EIPA s.10(1)",
                  reason="r", decided_by_id=3, batch=None)
    old = ('{"authority":"EIPA s.10(1)","batch":null,"decided_by":3,"effective_on":"2020-10-05",'
           '"from":"active","kind":"suspend","permit":"EXP-1","reason":"r",'
           '"recorded_at":"2020-10-05T12:00:00+00:00","to":"suspended"}')
    assert ledger.canonical(**fields) == old
    assert ledger.canonical(**fields, changes=None, rescinds=None) == old
    assert '"rescinds":9' in ledger.canonical(**fields, rescinds=9)


def test_verify_decisions_finds_a_status_that_ignores_a_rescission(transactional_db, decision_maker):
    import psycopg

    from tests.conftest import owner_database_url

    permit = PermitFactory()
    cancel = _decide(permit, "cancel", decision_maker)
    _decide(permit, "rescind", decision_maker, rescinds=cancel.pk)
    _verified()
    connection.close()
    with psycopg.connect(owner_database_url(), autocommit=True) as owner:
        owner.execute("UPDATE permits_permit SET status = 'cancelled' WHERE id = %s", [permit.pk])
    report = checkpoints.verify_ledger()
    assert any(f"permit {permit.number}: stored status cancelled, its decisions give active" in p.message
               for p in report.problems)
