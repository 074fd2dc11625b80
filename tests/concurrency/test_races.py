"""Decisions, blanket decisions and flag resolutions racing on real PostgreSQL.

Each test starts its contenders in threads (one database connection each)
behind a barrier, so that they hit the database together. Exactly one wins;
the others are refused (TransitionNotAllowed, i.e. HTTP 409) or, for a
blanket decision, leave the permit alone; the ledger stays one chain.
"""

import threading
from collections import Counter

import pytest
from django.db import connection

from permits import services as permit_services
from permits.models import Decision, Destination, Permit
from reviews import services as review_services
from reviews.models import Flag
from tests.factories import EvidenceFactory, PermitFactory, UserFactory
from tests.ledger_check import broken_links

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def race(*callables):
    """Run the callables at once; return their outcomes ("ok", or the exception's class name)."""
    barrier = threading.Barrier(len(callables))
    outcomes = [None] * len(callables)

    def run(index, fn):
        try:
            barrier.wait(10)
            fn()
            outcomes[index] = "ok"
        except Exception as exc:  # the outcome is what the test asserts on
            outcomes[index] = type(exc).__name__
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(callables)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


@pytest.fixture
def minister():
    return UserFactory(role="decision_maker", username="minister")


def test_twenty_suspensions_of_one_permit_one_wins(minister):
    permit = PermitFactory()

    def suspend():
        permit_services.record_decision(
            permit=Permit.objects.get(pk=permit.pk), kind="suspend", reason="Evidence of diversion",
            decided_by=minister,
        )

    outcomes = race(*[suspend] * 20)
    assert Counter(outcomes) == {"ok": 1, "TransitionNotAllowed": 19}
    permit.refresh_from_db()
    assert permit.status == "suspended"
    assert list(permit.decisions.values_list("kind", flat=True)) == ["issue", "suspend"]
    assert broken_links() == []


def test_different_decisions_on_one_permit_one_wins(minister):
    """issue and deny are both allowed from pending, and neither after the other."""
    permit = PermitFactory(status="pending")
    other = PermitFactory(status="pending")

    def decide(kind):
        return lambda: permit_services.record_decision(
            permit=Permit.objects.get(pk=permit.pk), kind=kind, reason="Review", decided_by=minister
        )

    outcomes = race(*[decide("issue")] * 6, *[decide("deny")] * 6)
    assert outcomes.count("ok") == 1
    assert outcomes.count("TransitionNotAllowed") == 11
    (kind,) = permit.decisions.values_list("kind", flat=True)
    permit.refresh_from_db()
    assert permit.status == {"issue": "active", "deny": "denied"}[kind]
    assert not other.decisions.exists()
    assert broken_links() == []


def test_single_and_blanket_decisions_on_the_same_permit(minister):
    """Blanket suspensions of its destination race single suspensions of the permit."""
    target = PermitFactory(destination="TR")
    neighbours = [PermitFactory(destination="TR") for _ in range(5)]
    elsewhere = PermitFactory(destination="AZ")
    tr = Destination.objects.get(code="TR")

    def single():
        permit_services.record_decision(
            permit=Permit.objects.get(pk=target.pk), kind="suspend", reason="Single", decided_by=minister
        )

    def blanket():
        permit_services.record_blanket_decision(
            destination=tr, kind="suspend", reason="Blanket", decided_by=minister
        )

    outcomes = race(*[single] * 5, *[blanket] * 5)
    # Blanket decisions never fail: they skip what is no longer eligible.
    assert outcomes[5:] == ["ok"] * 5
    assert outcomes[:5].count("ok") <= 1
    assert set(outcomes[:5]) <= {"ok", "TransitionNotAllowed"}
    for permit in (target, *neighbours):
        kinds = list(Decision.objects.filter(permit=permit).values_list("kind", flat=True))
        assert kinds == ["issue", "suspend"], (permit.number, kinds)
    assert Permit.objects.filter(destination="TR").exclude(status="suspended").count() == 0
    assert list(elsewhere.decisions.values_list("kind", flat=True)) == ["issue"]
    # One blanket run took them all (or all but the target): batches never overlap.
    assert Decision.objects.filter(kind="suspend", batch__isnull=False).values("batch").distinct().count() == 1
    assert broken_links() == []


def test_opposite_blanket_decisions_keep_every_permit_consistent(minister):
    """Suspend-all and cancel-all at once: each permit gets a lifecycle-valid history."""
    permits = [PermitFactory(destination="TR") for _ in range(20)]
    tr = Destination.objects.get(code="TR")

    def blanket(kind):
        return lambda: permit_services.record_blanket_decision(
            destination=tr, kind=kind, reason=kind, decided_by=minister
        )

    outcomes = race(blanket("suspend"), blanket("cancel"), blanket("suspend"), blanket("reinstate"))
    assert outcomes == ["ok"] * 4
    for permit in permits:
        status = "pending"
        for d in Decision.objects.filter(permit=permit).order_by("id"):
            assert d.from_status == status, (permit.number, d.kind)
            status = d.to_status
        permit.refresh_from_db()
        assert permit.status == status
    assert broken_links() == []


def test_flag_resolutions_race_one_wins():
    official = UserFactory(role="official", username="official")
    PermitFactory(destination="TR")
    evidence = EvidenceFactory()
    review_services.flag_evidence(evidence_id=evidence.pk)
    flag = Flag.objects.get()

    def resolve(resolution):
        return lambda: review_services.resolve_flag(
            flag=Flag.objects.get(pk=flag.pk), resolution=resolution, note="Checked", resolved_by=official
        )

    outcomes = race(*[resolve("cleared")] * 8, *[resolve("escalated")] * 8)
    assert Counter(outcomes) == {"ok": 1, "TransitionNotAllowed": 15}
    flag.refresh_from_db()
    assert flag.status in ("cleared", "escalated")
    assert Permit.objects.get().open_flags == 0
    assert Destination.objects.get(code="TR").open_flags == 0


def test_bulk_and_single_resolutions_never_decrement_twice():
    official = UserFactory(role="official", username="official")
    for _ in range(10):
        PermitFactory(destination="TR")
    evidence = EvidenceFactory()
    review_services.flag_evidence(evidence_id=evidence.pk)
    ids = list(Flag.objects.values_list("pk", flat=True))

    def bulk():
        review_services.resolve_flags(flag_ids=ids, resolution="cleared", note="Bulk", resolved_by=official)

    def single(pk):
        return lambda: review_services.resolve_flag(
            flag=Flag.objects.get(pk=pk), resolution="escalated", note="One", resolved_by=official
        )

    outcomes = race(bulk, bulk, *[single(pk) for pk in ids])
    assert set(outcomes) <= {"ok", "TransitionNotAllowed"}
    assert Flag.objects.filter(status="open").count() == 0
    assert set(Permit.objects.values_list("open_flags", flat=True)) == {0}
    assert Destination.objects.get(code="TR").open_flags == 0


def test_decisions_and_flagging_and_creation_at_once_keep_one_chain(minister):
    """Writers of every kind at once: the ledger's advisory lock keeps one chain."""
    permits = [PermitFactory(destination="TR") for _ in range(6)]
    evidence = EvidenceFactory()

    def create(n):
        return lambda: PermitFactory(number=f"RACE-{n:03d}", destination="TR")

    def decide(permit):
        return lambda: permit_services.record_decision(
            permit=permit, kind="suspend", reason="Race", decided_by=minister
        )

    outcomes = race(
        *[create(n) for n in range(6)],
        *[decide(p) for p in permits],
        lambda: review_services.flag_evidence(evidence_id=evidence.pk),
    )
    assert outcomes == ["ok"] * 13
    assert Decision.objects.count() == 6 + 6 + 6  # issue x 12, suspend x 6
    assert broken_links() == []
