"""Two officials deciding at once on real PostgreSQL: one wins, one is refused."""

import datetime as dt
import threading

import pytest
from django.db import connection

from permits import ledger, services
from permits.models import Destination, Permit
from permits.core.errors import TransitionNotAllowed
from tests.factories import PermitFactory


def _race(fn, n):
    barrier = threading.Barrier(n)
    outcomes = []

    def run():
        try:
            barrier.wait()
            outcomes.append(("ok", fn()))
        except Exception as exc:  # collected and asserted on below
            outcomes.append(("error", exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def _chain_is_intact():
    """Every link and every hash of the ledger recomputed (the check verify_decisions runs)."""
    _count, _head, broken = ledger.verify_chain()
    return broken is None


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_suspensions_one_decision_one_refusal(decision_maker):
    permit = PermitFactory(issued_on=dt.date(2020, 5, 12))

    outcomes = _race(
        lambda: services.record_decision(
            permit=Permit.objects.get(pk=permit.pk), kind="suspend", reason="race",
            decided_by=decision_maker),
        2,
    )

    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"]
    error = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(error, TransitionNotAllowed)
    assert permit.decisions.filter(kind="suspend").count() == 1
    assert Permit.objects.get(pk=permit.pk).status == "suspended"
    assert _chain_is_intact()


@pytest.mark.django_db(transaction=True)
def test_blanket_and_single_decisions_race_without_forking_the_ledger(decision_maker):
    tr = Destination.objects.get(code="TR")
    permits = [PermitFactory(issued_on=dt.date(2020, 5, 12)) for _ in range(5)]

    def blanket():
        return services.record_blanket_decision(destination=tr, kind="suspend", reason="blanket",
                                                decided_by=decision_maker)

    def single():
        return services.record_decision(permit=Permit.objects.get(pk=permits[0].pk), kind="suspend",
                                        reason="single", decided_by=decision_maker)

    outcomes = []
    barrier = threading.Barrier(4)

    def run(fn):
        try:
            barrier.wait()
            outcomes.append(("ok", fn()))
        except Exception as exc:
            outcomes.append(("error", exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in (blanket, single, blanket, single)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert all(isinstance(v, TransitionNotAllowed) for k, v in outcomes if k == "error")
    # Whatever the interleaving, each permit was suspended exactly once.
    for p in permits:
        assert p.decisions.filter(kind="suspend").count() == 1
        assert Permit.objects.get(pk=p.pk).status == "suspended"
    assert _chain_is_intact()
