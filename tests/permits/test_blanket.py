"""Blanket decisions on a destination: only eligible permits change, as one batch."""

import datetime as dt
from decimal import Decimal

import pytest

from permits import services
from permits.models import Decision, Destination, Permit
from permits.core.errors import InvalidInput
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db


def item(entry):
    return [{"control_entry": entry, "description": "goods", "quantity": 1, "value": Decimal("1.00")}]


@pytest.fixture
def register(decision_maker):
    p = {
        "a1": PermitFactory(number="TR-A1", items=item("2-15.a")),
        "a2": PermitFactory(number="TR-A2", items=item("1-6.A.3")),
        "susp": PermitFactory(number="TR-S1", items=item("2-15.a")),
        "pend": PermitFactory(number="TR-P1", status="pending", items=item("2-15.a")),
        "late": PermitFactory(number="TR-LATE", issued_on=dt.date(2020, 11, 1), items=item("2-15.a")),
        "de": PermitFactory(number="DE-A1", destination="DE", items=item("2-15.a")),
    }
    services.record_decision(permit=p["susp"], kind="suspend", reason="r", effective_on=dt.date(2020, 6, 1),
                             decided_by=decision_maker)
    return p


def statuses():
    return dict(Permit.objects.values_list("number", "status"))


def test_suspends_every_eligible_permit_as_one_batch(register, decision_maker):
    result = services.record_blanket_decision(
        destination=Destination.objects.get(code="TR"), kind="suspend", reason="Nagorno-Karabakh",
        effective_on=dt.date(2020, 10, 5), decided_by=decision_maker,
    )
    assert sorted(result.permit_numbers) == ["TR-A1", "TR-A2"]
    assert statuses() == {"TR-A1": "suspended", "TR-A2": "suspended", "TR-S1": "suspended",
                          "TR-P1": "pending", "TR-LATE": "active", "DE-A1": "active"}
    batch = Decision.objects.filter(batch=result.batch)
    assert batch.count() == 2
    assert set(batch.values_list("kind", "effective_on", "decided_by", "reason").distinct()) == {
        ("suspend", dt.date(2020, 10, 5), decision_maker.pk, "Nagorno-Karabakh")}


def test_entry_pattern_narrows_the_batch(register, decision_maker):
    result = services.record_blanket_decision(
        destination=Destination.objects.get(code="TR"), kind="suspend", reason="r", control_entry="2-",
        decided_by=decision_maker,
    )
    assert sorted(result.permit_numbers) == ["TR-A1", "TR-LATE"]
    assert statuses()["TR-A2"] == "active"


def test_cancel_takes_active_and_suspended(register, decision_maker):
    result = services.record_blanket_decision(
        destination=Destination.objects.get(code="TR"), kind="cancel", reason="r",
        effective_on=dt.date(2021, 4, 12), decided_by=decision_maker,
    )
    assert sorted(result.permit_numbers) == ["TR-A1", "TR-A2", "TR-LATE", "TR-S1"]
    assert statuses()["TR-P1"] == "pending"


def test_nothing_eligible_is_an_empty_batch(decision_maker):
    result = services.record_blanket_decision(
        destination=Destination.objects.get(code="NO"), kind="suspend", reason="r", decided_by=decision_maker)
    assert result.affected == 0
    assert Decision.objects.filter(batch=result.batch).count() == 0


@pytest.mark.parametrize("kwargs, field", [
    ({"kind": "issue"}, "kind"), ({"kind": "expire"}, "kind"), ({"reason": ""}, "reason"),
    ({"control_entry": "2 15"}, "control_entry"),
    ({"effective_on": dt.date(2999, 1, 1)}, "effective_on"),
])
def test_bad_input_changes_nothing(register, decision_maker, kwargs, field):
    args = {"destination": Destination.objects.get(code="TR"), "kind": "suspend", "reason": "r",
            "decided_by": decision_maker, **kwargs}
    before = statuses()
    with pytest.raises(InvalidInput) as exc:
        services.record_blanket_decision(**args)
    assert field in exc.value.errors
    assert statuses() == before


def test_batch_of_selected_permits_reports_what_it_skipped(register, decision_maker):
    ids = [register[k].pk for k in ("a1", "susp", "pend")]
    result = services.record_batch_decision(permit_ids=ids, kind="suspend", reason="r",
                                            decided_by=decision_maker)
    assert result.permit_numbers == ["TR-A1"]
    skipped = {p.number: why for p, why in result.skipped}
    assert set(skipped) == {"TR-S1", "TR-P1"}
    assert "suspended" in skipped["TR-S1"]
