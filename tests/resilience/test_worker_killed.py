"""A worker killed in the middle of a large flagging task: nothing half-written, done once."""

import datetime as dt
import re

import psycopg
import pytest
from django.db import connection

from permits.models import Destination, Permit, PermitItem
from reviews import services
from reviews.models import DiversionEvidence, Flag
from tests.conftest import test_database_url, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.timeout(240)]

PERMITS = 3000


def _many_live_permits(n):
    """Test data in bulk (creating each through the service would take minutes).

    Flagging reads only the permit, its status and its items, so no decision
    rows are needed here.
    """
    today = dt.date(2020, 5, 12)
    Permit.objects.bulk_create(
        Permit(number=f"BULK-{i:06d}", exporter="Exporter", destination_id="TR",
               consignee="Baykar" if i % 2 else "Other", status="active", received_on=today,
               issued_on=today, valid_until=dt.date(2030, 1, 1), starts_on=today)
        for i in range(n)
    )
    PermitItem.objects.bulk_create(
        PermitItem(permit_id=pk, control_entry="2-15.a" if pk % 3 else "1-6.A.3",
                   description="Sensor", quantity=1, value=1)
        for pk in Permit.objects.values_list("pk", flat=True)
    )


def _backends_blocked_by(blocker_pid):
    """Sessions waiting on a lock the blocker holds (the flagging statement is
    too long for pg_stat_activity's query text to show its INSERT)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND %s = ANY(pg_blocking_pids(pid))",
            [blocker_pid],
        )
        return [row[0] for row in cursor.fetchall()]


def _backend_alive(pid):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] > 0


def test_worker_killed_mid_task_leaves_nothing_and_the_work_is_done_once(start_worker, broker):
    _many_live_permits(PERMITS)
    first_worker = start_worker()

    # Hold a lock the flagging INSERT needs, so that the task stops half-way
    # (evidence row locked, no flag written yet) for as long as the test likes.
    blocker = psycopg.connect(test_database_url())
    blocker.execute("LOCK TABLE reviews_flag IN SHARE MODE")
    try:
        evidence = services.record_evidence(
            destination=Destination.objects.get(code="TR"), title="Recovered sensor",
            source_type="physical_recovery", observed_on=dt.date(2020, 10, 20),
            credibility="corroborated", control_entries=["2-15"], end_users=["Baykar"],
        )
        (stuck_pid,) = wait_for(lambda: _backends_blocked_by(blocker.info.backend_pid), timeout=30)
        task_id = re.search(r"flag_evidence\[([0-9a-f-]+)\] received", first_worker.log()).group(1)
        first_worker.kill()
    finally:
        blocker.rollback()
        blocker.close()

    # The dead worker's transaction never commits: PostgreSQL rolls it back
    # when it finds the client gone.
    wait_for(lambda: not _backend_alive(stuck_pid), timeout=30)
    assert Flag.objects.count() == 0
    evidence.refresh_from_db()
    assert evidence.flagging_finished_at is None and evidence.flags_raised == 0

    # Recovery: a new worker; reconciliation finds the owed work, and the
    # unacknowledged message comes back after its visibility timeout and runs
    # again, harmlessly.
    second_worker = start_worker("tests.resilience.worker_app")
    from reviews.tasks import reconcile_flagging

    reconcile_flagging.apply_async(kwargs={"older_than_seconds": 0})
    wait_for(lambda: DiversionEvidence.objects.get(pk=evidence.pk).flagging_finished_at,
             timeout=90, interval=0.5)
    wait_for(lambda: f"flag_evidence[{task_id}] succeeded" in second_worker.log(),
             timeout=60, interval=0.5)
    assert second_worker.log().count(f"flag_evidence[{task_id}] succeeded") == 1

    evidence.refresh_from_db()
    assert evidence.flags_raised == PERMITS
    assert Flag.objects.count() == PERMITS
    assert Flag.objects.values("permit_id").distinct().count() == PERMITS
    assert set(Permit.objects.values_list("open_flags", flat=True)) == {1}
    assert Destination.objects.get(code="TR").open_flags == PERMITS
    # Relevance was computed by the one committed run: entry or party matches are high.
    assert Flag.objects.filter(relevance="medium").count() == PERMITS // 6
