"""With a real Celery worker on a real Redis: a blanket suspension of 1,000 permits
arrives at a real receiver as 1,000 verified events; a failing receiver loses nothing."""

import datetime as dt

import pytest
from django.db import connection

from permits import services
from permits.events import webhooks
from permits.events.models import Delivery, DeliveryState, Event
from tests.conftest import wait_for
from tests.events.receiver import Receiver
from tests.factories import UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


def many_permits(count, prefix):
    """``count`` active permits to TR, created through the service (their events included)."""
    official = UserFactory(role="official", username=f"licensing-{prefix}")
    item = [{"control_entry": "2-15.a", "description": "sensor", "quantity": 1, "value": "1.00"}]
    for i in range(count):
        services.create_permit(number=f"{prefix}-{i:05d}", exporter="E", destination="TR", items=item,
                               issued_on=dt.date(2020, 5, 12), valid_until=dt.date(2030, 1, 1),
                               recorded_by=official)


def suspend_tr():
    minister = UserFactory(role="decision_maker", username="minister")
    return services.record_blanket_decision(destination="TR", kind="suspend", reason="Nagorno-Karabakh",
                                            effective_on=dt.date(2020, 10, 5), decided_by=minister)


def test_blanket_suspension_of_1000_arrives_as_1000_verified_events(celery_worker):
    many_permits(1000, "EXP-K")
    with Receiver() as receiver:
        endpoint, secret = webhooks.create_endpoint(url=receiver.url, event_types=["permit.suspended"])
        receiver.secrets = [secret]
        result = suspend_tr()
        assert result.affected == 1000
        assert wait_for(lambda: len(receiver.accepted_ids()) >= 1000, timeout=120)
    expected = list(Event.objects.filter(type="permit.suspended").order_by("seq")
                    .values_list("event_id", flat=True))
    assert receiver.accepted_ids() == expected
    assert all(r[2] == [True] for r in receiver.received)
    assert Delivery.objects.filter(endpoint=endpoint, state=DeliveryState.DELIVERED).count() == 1000
    connection.close()


def test_receiver_failing_then_answering_loses_nothing(celery_worker):
    many_permits(20, "EXP-F")
    with Receiver(statuses=[500, 500, 500]) as receiver:
        endpoint, secret = webhooks.create_endpoint(url=receiver.url, event_types=["permit.suspended"])
        receiver.secrets = [secret]
        suspend_tr()
        assert wait_for(lambda: len(receiver.accepted_ids()) >= 20, timeout=60)
    expected = list(Event.objects.filter(type="permit.suspended").order_by("seq")
                    .values_list("event_id", flat=True))
    assert receiver.accepted_ids() == expected  # nothing lost, nothing accepted twice
    assert {r[0] for r in receiver.received if r[1] == 500} == {expected[0]}
    assert all(r[2] == [True] for r in receiver.received)
    connection.close()
