"""Every decision and every permit created writes its events, in its own transaction."""

import datetime as dt

import pytest
from django.db import connection, transaction

from permits import services
from permits.api.serializers import DecisionSerializer
from permits.events.models import Event
from permits.models import Decision, Permit
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db


def test_created_active_permit_gives_created_then_issued(decision_maker):
    permit = PermitFactory(number="EXP-EV-1")
    events = list(Event.objects.filter(permit=permit).order_by("seq"))
    assert [e.type for e in events] == ["permit.created", "permit.issued"]
    created, issued = events
    assert created.decision_id is None
    assert created.data == {"number": "EXP-EV-1", "destination": "TR", "status": "pending",
                            "since": "2020-05-12", "decision": None}
    decision = Decision.objects.get(permit=permit)
    assert issued.decision_id == decision.pk
    assert issued.data["status"] == "active" and issued.data["since"] == "2020-05-12"
    assert issued.data["decision"] == dict(DecisionSerializer(decision).data)
    assert created.event_id.startswith("evt_") and created.event_id != issued.event_id


def test_each_kind_maps_to_its_type(decision_maker):
    permit = PermitFactory(number="EXP-EV-2")
    for kind in ("suspend", "reinstate", "cancel"):
        services.record_decision(permit=permit, kind=kind, reason="r", effective_on=dt.date(2020, 10, 5),
                                 decided_by=decision_maker)
    pending = PermitFactory(number="EXP-EV-3", status="pending")
    services.record_decision(permit=pending, kind="deny", reason="r", decided_by=decision_maker)
    assert list(Event.objects.filter(permit=permit).values_list("type", flat=True)) == [
        "permit.created", "permit.issued", "permit.suspended", "permit.reinstated", "permit.cancelled"]
    assert list(Event.objects.filter(permit=pending).values_list("type", flat=True)) == [
        "permit.created", "permit.denied"]


def test_blanket_decision_gives_one_event_per_permit_in_decision_order(decision_maker):
    permits = [PermitFactory(number=f"EXP-EV-B{i}") for i in range(5)]
    PermitFactory(number="EXP-EV-DE", destination="DE")
    result = services.record_blanket_decision(
        destination=permits[0].destination, kind="suspend", reason="Nagorno-Karabakh",
        effective_on=dt.date(2020, 10, 5), decided_by=decision_maker)
    events = list(Event.objects.filter(type="permit.suspended").order_by("seq"))
    assert len(events) == result.affected == 5
    assert [e.decision_id for e in events] == sorted(d.pk for d in result.decisions)
    assert {e.data["number"] for e in events} == {p.number for p in permits}
    assert all(e.data["decision"]["batch"] == str(result.batch) for e in events)


def test_expiry_writes_expired_events():
    permit = PermitFactory(number="EXP-EV-X", valid_until=dt.date(2021, 1, 1))
    services.expire_due_permits(on_day=dt.date(2021, 6, 1))
    (event,) = Event.objects.filter(permit=permit, type="permit.expired")
    assert event.data["since"] == "2021-01-02" and event.data["status"] == "expired"


def test_no_event_without_its_decision_and_no_decision_without_its_event(decision_maker):
    permit = PermitFactory(number="EXP-EV-R")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.record_decision(permit=permit, kind="suspend", reason="r", decided_by=decision_maker)
        raise RuntimeError("roll back")
    PermitFactory(number="EXP-EV-S", status="pending")
    services.record_blanket_decision(destination=permit.destination, kind="suspend", reason="r",
                                     decided_by=decision_maker)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM permits_decision d LEFT JOIN permits_event e"
                       " ON e.decision_id = d.id WHERE e.seq IS NULL")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM permits_permit p WHERE NOT EXISTS (SELECT 1 FROM"
                       " permits_event e WHERE e.permit_id = p.id AND e.type = 'permit.created')")
        assert cursor.fetchone()[0] == 0
    assert Event.objects.exclude(type="permit.created").count() == Decision.objects.count()
    assert Event.objects.filter(type="permit.created").count() == Permit.objects.count()
