"""Every decision is chained to the one before it by SHA-256."""

import datetime as dt

import pytest
from django.utils import timezone

from permits import ledger, services
from permits.models import Decision, Destination
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db


def recompute(decision):
    return ledger.chain_hash(decision.previous_hash, ledger.canonical(
        permit_number=decision.permit.number, kind=decision.kind, from_status=decision.from_status,
        to_status=decision.to_status, effective_on=decision.effective_on,
        recorded_at=decision.recorded_at, authority=decision.authority, reason=decision.reason,
        decided_by_id=decision.decided_by_id, batch=decision.batch,
    ))


def test_single_and_batch_decisions_form_one_chain(decision_maker):
    permits = [PermitFactory() for _ in range(3)]
    services.record_decision(permit=permits[0], kind="suspend", reason="r", decided_by=decision_maker)
    services.record_blanket_decision(destination=Destination.objects.get(code="TR"), kind="cancel",
                                     reason="r", effective_on=timezone.localdate(), decided_by=decision_maker)
    decisions = list(Decision.objects.select_related("permit").order_by("id"))
    assert len(decisions) == 7
    previous = ledger.GENESIS_HASH
    for d in decisions:
        assert d.previous_hash == previous
        assert d.hash == recompute(d)
        previous = d.hash


def test_changing_any_field_changes_the_hash(decision_maker):
    d = services.record_decision(permit=PermitFactory(), kind="suspend", reason="original",
                                 decided_by=decision_maker)
    d = Decision.objects.select_related("permit").get(pk=d.pk)
    assert recompute(d) == d.hash
    d.reason = "altered"
    assert recompute(d) != d.hash
