"""Evidence recorded while Redis is down is saved at once and flagged once it is back."""

import datetime as dt
import time

import pytest

from permits.models import Destination, Permit
from reviews import services
from reviews.models import DiversionEvidence, Flag
from tests.conftest import wait_for
from tests.factories import PermitFactory

pytestmark = [pytest.mark.worker, pytest.mark.timeout(180)]


def _record(title):
    return services.record_evidence(
        destination=Destination.objects.get(code="TR"), title=title, source_type="official",
        observed_on=dt.date(2020, 10, 20), credibility="high", control_entries=["2-15"],
    )


def test_recording_answers_at_once_while_redis_is_down_and_flags_appear_when_it_returns(
    start_worker, broker
):
    permits = [PermitFactory(destination="TR") for _ in range(3)]
    start_worker()

    # With the broker up, the task is queued on commit and a worker flags.
    first = _record("Before the outage")
    wait_for(lambda: DiversionEvidence.objects.get(pk=first.pk).flagging_finished_at)

    broker.stop()
    timings, during = [], []
    for n in range(5):
        started = time.monotonic()
        during.append(_record(f"During the outage {n}"))
        timings.append(time.monotonic() - started)
    # The first publish finds the broker gone (connection refused: milliseconds;
    # a hung broker: about 1 s); after that publishing is skipped altogether.
    assert timings[0] < 2.0, timings
    assert max(timings[1:]) < 0.5, timings
    assert all(e.pk for e in during)
    assert DiversionEvidence.objects.filter(
        pk__in=[e.pk for e in during], flagging_finished_at__isnull=True
    ).count() == 5

    broker.start()
    # The worker reconnects by itself; reconciliation (what beat sends every
    # minute) finds every record whose flagging is owed.
    from reviews.tasks import reconcile_flagging

    def reconciled():
        try:
            reconcile_flagging.apply_async(kwargs={"older_than_seconds": 0}, retry=True)
        except Exception:
            return False
        return True

    wait_for(reconciled, timeout=20, interval=0.5)
    wait_for(
        lambda: not DiversionEvidence.objects.filter(flagging_finished_at__isnull=True).exists(),
        timeout=60, interval=0.5,
    )

    assert Flag.objects.count() == 6 * len(permits)
    for evidence in DiversionEvidence.objects.all():
        assert evidence.flags_raised == len(permits)
        assert set(evidence.flags.values_list("permit_id", flat=True)) == {p.pk for p in permits}
    assert set(Permit.objects.values_list("open_flags", flat=True)) == {6}
    assert Destination.objects.get(code="TR").open_flags == 6 * len(permits)


def test_a_hung_broker_delays_the_answer_by_at_most_about_a_second(broker):
    """A broker that accepts connections but never answers (SIGSTOP) must not hang requests."""
    import signal

    PermitFactory(destination="TR")
    broker.proc.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        first = _record("Hung broker 1")
        first_took = time.monotonic() - started
        started = time.monotonic()
        _record("Hung broker 2")
        second_took = time.monotonic() - started
    finally:
        broker.proc.send_signal(signal.SIGCONT)
    assert first.pk and first_took < 2.0, first_took
    assert second_took < 0.5, second_took
    assert DiversionEvidence.objects.filter(flagging_finished_at__isnull=True).count() == 2


def test_reconciliation_is_safe_to_run_twice(transactional_db):
    from reviews.tasks import reconcile_flagging

    permits = [PermitFactory(destination="TR") for _ in range(2)]
    evidence = DiversionEvidence.objects.create(
        destination_id="TR", title="Never queued", source_type="ngo",
        observed_on=dt.date(2020, 10, 20), credibility="medium",
    )
    assert reconcile_flagging(older_than_seconds=0) == 1
    assert reconcile_flagging(older_than_seconds=0) == 0
    assert services.flag_evidence(evidence_id=evidence.pk) == 0
    evidence.refresh_from_db()
    assert evidence.flags_raised == 2
    assert Flag.objects.filter(evidence=evidence).count() == len(permits)
    assert Destination.objects.get(code="TR").open_flags == 2


def test_reconciliation_leaves_fresh_evidence_to_its_own_task(transactional_db):
    from reviews.tasks import reconcile_flagging

    DiversionEvidence.objects.create(
        destination_id="TR", title="Just recorded", source_type="ngo",
        observed_on=dt.date(2020, 10, 20), credibility="medium",
    )
    assert reconcile_flagging() == 0
    assert reconcile_flagging(older_than_seconds=0) == 1
