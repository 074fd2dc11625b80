"""Evidence on a destination flags its live permits, through a real worker on real Redis."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from permits import services
from permits.models import Destination, Permit, PermitItem
from reviews import services as review_services
from reviews.models import DiversionEvidence, Flag
from tests.conftest import wait_for
from tests.factories import PermitFactory


def item(entry):
    return [{"control_entry": entry, "description": "goods", "quantity": 1, "value": Decimal("10.00")}]


@pytest.fixture
def tr_register(decision_maker):
    """Permits to TR in every status, and one to DE; returns number -> permit."""
    p = {
        "sub": PermitFactory(number="TR-SUB-1", items=item("2-15.a"), consignee="Acme", end_user="Army"),
        "exact": PermitFactory(number="TR-EXACT-1", items=item("2-15"), consignee="Acme", end_user="Army"),
        "other": PermitFactory(number="TR-150-1", items=item("2-150"), consignee="Acme", end_user="Army"),
        "party": PermitFactory(number="TR-PARTY-1", items=item("1-6.A.3"), consignee="  baykar ",
                               end_user="Navy"),
        "pending": PermitFactory(number="TR-PEND-1", status="pending", items=item("2-15.a")),
        "suspended": PermitFactory(number="TR-SUSP-1", items=item("2-11.a"), consignee="Acme",
                                   end_user="Army"),
        "cancelled": PermitFactory(number="TR-CANC-1", items=item("2-15.a")),
        "denied": PermitFactory(number="TR-DENY-1", status="pending", items=item("2-15.a")),
        "expired": PermitFactory(number="TR-EXP-1", items=item("2-15.a"), issued_on=dt.date(2019, 1, 1),
                                 valid_until=dt.date(2020, 1, 1)),
        "germany": PermitFactory(number="DE-1", destination="DE", items=item("2-15.a")),
    }
    services.record_decision(permit=p["suspended"], kind="suspend", reason="r", decided_by=decision_maker)
    services.record_decision(permit=p["cancelled"], kind="cancel", reason="r", decided_by=decision_maker)
    services.record_decision(permit=p["denied"], kind="deny", reason="r", decided_by=decision_maker)
    services.expire_due_permits()
    return p


def record(title, entries, users=()):
    return review_services.record_evidence(
        destination=Destination.objects.get(code="TR"), title=title, source_type="ngo",
        observed_on=dt.date(2020, 10, 20), credibility="high", control_entries=list(entries),
        end_users=list(users),
    )


def flags_of(evidence):
    return {f.permit.number: f for f in Flag.objects.filter(evidence=evidence).select_related("permit")}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_flags_every_live_permit_of_the_destination(celery_worker, tr_register):
    evidence = record("Downed TB2 carried a CMX-15D", ["2-15"], ["BAYKAR"])

    wait_for(lambda: DiversionEvidence.objects.get(pk=evidence.pk).flagging_finished_at, timeout=30)

    flags = flags_of(evidence)
    assert set(flags) == {"TR-SUB-1", "TR-EXACT-1", "TR-150-1", "TR-PARTY-1", "TR-PEND-1", "TR-SUSP-1"}
    assert {n: f.relevance for n, f in flags.items()} == {
        "TR-SUB-1": "high", "TR-EXACT-1": "high", "TR-150-1": "medium", "TR-PARTY-1": "high",
        "TR-PEND-1": "high", "TR-SUSP-1": "medium",
    }
    assert all(f.status == "open" and f.destination_id == "TR" for f in flags.values())
    assert "2-15.a" in flags["TR-SUB-1"].reason
    assert "consignee or end user" in flags["TR-PARTY-1"].reason
    evidence.refresh_from_db()
    assert evidence.flags_raised == 6
    assert Destination.objects.get(code="TR").open_flags == 6
    assert Permit.objects.get(number="TR-SUB-1").open_flags == 1
    assert Permit.objects.get(number="DE-1").open_flags == 0

    # A second run, through the worker again, raises nothing new.
    from reviews.tasks import flag_evidence_task

    flag_evidence_task.delay(evidence.pk)
    wait_for(lambda: DiversionEvidence.objects.get(pk=evidence.pk).flagging_finished_at != evidence.flagging_finished_at,
             timeout=30)
    assert Flag.objects.filter(evidence=evidence).count() == 6
    assert Destination.objects.get(code="TR").open_flags == 6
    assert DiversionEvidence.objects.get(pk=evidence.pk).flags_raised == 6


@pytest.mark.django_db
def test_entry_matching_decides_relevance(tr_register):
    """'2-1' does not match '2-15.a'; '2-' matches all of group 2."""
    narrow = record("narrow", ["2-1"])
    review_services.flag_evidence(evidence_id=narrow.pk)
    assert {n: f.relevance for n, f in flags_of(narrow).items()} == {
        "TR-SUB-1": "medium", "TR-EXACT-1": "medium", "TR-150-1": "medium", "TR-PARTY-1": "medium",
        "TR-PEND-1": "medium", "TR-SUSP-1": "medium",
    }
    group = record("group", ["2-"])
    review_services.flag_evidence(evidence_id=group.pk)
    assert {n: f.relevance for n, f in flags_of(group).items()} == {
        "TR-SUB-1": "high", "TR-EXACT-1": "high", "TR-150-1": "high", "TR-PARTY-1": "medium",
        "TR-PEND-1": "high", "TR-SUSP-1": "high",
    }
    assert Destination.objects.get(code="TR").open_flags == 12


def _bulk_permits(n, prefix):
    """Fixture data in bulk: n active TR permits with one item each (no per-row service calls)."""
    tr = Destination.objects.get(code="TR")
    permits = Permit.objects.bulk_create([
        Permit(number=f"{prefix}-{i:05d}", exporter="X", destination=tr, status="active",
               received_on=dt.date(2020, 1, 1), issued_on=dt.date(2020, 1, 1),
               valid_until=dt.date(2040, 1, 1), starts_on=dt.date(2020, 1, 1))
        for i in range(n)
    ])
    PermitItem.objects.bulk_create([
        PermitItem(permit=p, control_entry="2-15.a" if i % 2 else "2-150", description="d", quantity=1,
                   value=Decimal("1"))
        for i, p in enumerate(permits)
    ])


@pytest.mark.django_db
def test_statement_count_does_not_grow_with_the_number_of_permits():
    counts = []
    for n, prefix in ((10, "SMALL"), (1000, "LARGE")):
        Permit.objects.filter(destination="TR").delete()
        _bulk_permits(n, prefix)
        evidence = record(f"evidence {n}", ["2-15"])
        with CaptureQueriesContext(connection) as ctx:
            raised = review_services.flag_evidence(evidence_id=evidence.pk)
        assert raised == n
        assert Flag.objects.filter(evidence=evidence, relevance="high").count() == n // 2
        counts.append(len(ctx.captured_queries))
        Flag.objects.all().delete()
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_resolving_flags_keeps_the_counters(official, tr_register):
    evidence = record("e", ["2-15"])
    review_services.flag_evidence(evidence_id=evidence.pk)
    flag = Flag.objects.get(evidence=evidence, permit__number="TR-SUB-1")
    review_services.resolve_flag(flag=flag, resolution="cleared", note="Checked: different goods.",
                                 resolved_by=official)
    flag.refresh_from_db()
    assert (flag.status, flag.resolved_by, flag.resolution_note) == ("cleared", official, "Checked: different goods.")
    assert Permit.objects.get(number="TR-SUB-1").open_flags == 0
    assert Destination.objects.get(code="TR").open_flags == 5
    from permits.core.errors import TransitionNotAllowed

    with pytest.raises(TransitionNotAllowed):
        review_services.resolve_flag(flag=flag, resolution="escalated", note="again", resolved_by=official)
    assert Destination.objects.get(code="TR").open_flags == 5
