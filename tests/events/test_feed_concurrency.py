"""Many writers at once while a reader pages the feed: the reader sees every event exactly once.

Writers hold their transactions open for a random while after writing their
events, so that without numbering in commit order a reader would read a
higher seq while a lower one is still in flight, and skip it for good.
"""

import random
import threading
import time

import pytest
from django.db import connection, transaction

from permits import services
from permits.events.feed import events_after
from permits.events.models import Event
from tests.factories import PermitFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

WRITERS = 6
ROUNDS = 8


def test_reader_paging_concurrently_sees_every_event_exactly_once():
    minister = UserFactory(role="decision_maker", username="minister")
    official = UserFactory(role="official", username="licensing")
    permits = [PermitFactory(number=f"EXP-CC-{i}", recorded_by=official) for i in range(WRITERS)]
    start_after = Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    done = threading.Event()
    errors = []
    barrier = threading.Barrier(WRITERS + 1)

    def writer(index):
        rng = random.Random(index)
        try:
            barrier.wait(10)
            permit = permits[index]
            for round_ in range(ROUNDS):
                with transaction.atomic():
                    kind = "suspend" if round_ % 2 == 0 else "reinstate"
                    services.record_decision(permit=permit, kind=kind, reason="r", decided_by=minister)
                    time.sleep(rng.uniform(0, 0.03))
                with transaction.atomic():
                    # A permit created pending: an event without a decision.
                    PermitFactory(number=f"EXP-CC-{index}-{round_}", status="pending", recorded_by=official)
                    time.sleep(rng.uniform(0, 0.03))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    seen = []

    def reader():
        after = start_after
        try:
            barrier.wait(10)
            while True:
                finished = done.is_set()
                events, after = events_after(after=after, limit=5)
                seen.extend(e["seq"] for e in events)
                if finished and not events:
                    return
                time.sleep(0.002)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    reading = threading.Thread(target=reader)
    for thread in [*threads, reading]:
        thread.start()
    for thread in threads:
        thread.join(120)
    done.set()
    reading.join(60)
    assert not errors, errors
    written = list(Event.objects.filter(seq__gt=start_after).order_by("seq").values_list("seq", flat=True))
    assert len(written) == WRITERS * ROUNDS * 2
    assert seen == written
