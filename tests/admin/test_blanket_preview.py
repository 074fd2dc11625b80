"""The admin's blanket preview shows exactly what the recording then does."""

import datetime as dt

import pytest

from permits import services
from permits.models import Decision
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db
D = dt.date
DECIDE = "/admin/permits/destination/decide/suspend/"


def test_preview_and_result_agree(login, decision_maker):
    PermitFactory(number="EXP-BL-1", issued_on=D(2020, 3, 2))
    PermitFactory(number="EXP-BL-2", issued_on=D(2020, 9, 1))
    PermitFactory(number="EXP-BL-LATE", issued_on=D(2020, 11, 2))  # not started on the effective date
    PermitFactory(number="EXP-BL-LAPSED", issued_on=D(2019, 1, 2), valid_until=D(2020, 6, 30))
    PermitFactory(number="EXP-BL-PEND", status="pending", received_on=D(2020, 6, 1))
    client = login(decision_maker)
    data = {"ids": "TR", "reason": "Use in Nagorno-Karabakh.", "authority": "EIPA s.10(1)",
            "effective_on": "2020-10-05"}
    page = client.post(DECIDE, data)
    assert page.status_code == 200
    shown_moves = sorted(p.number for p in page.context["moves"])
    shown_skips = sorted(p.number for p, _why in page.context["skipped"])
    assert shown_moves == ["EXP-BL-1", "EXP-BL-2"]
    assert shown_skips == ["EXP-BL-LAPSED"]
    # Shown with its status as shown everywhere else, not the stored "active".
    assert '<tr data-permit="EXP-BL-LAPSED"><td>EXP-BL-LAPSED</td><td>Expired</td>' in page.content.decode()

    response = client.post(DECIDE, {**data, "expected": page.context["form"]["expected"].value(), "confirm": "1"})
    assert response.status_code == 302
    recorded = sorted(Decision.objects.filter(kind="suspend").values_list("permit__number", flat=True))
    assert recorded == shown_moves


def test_preview_and_service_use_one_candidate_query(db):
    tr = PermitFactory(number="EXP-BL-1").destination
    PermitFactory(number="EXP-BL-LATE", issued_on=D(2021, 1, 4))
    candidates = services.blanket_candidates(destination=tr, kind="suspend", effective_on=D(2020, 10, 5))
    moves, skipped = services.preview_batch(permits=candidates, kind="suspend", effective_on=D(2020, 10, 5))
    result = services.record_blanket_decision(destination=tr, kind="suspend", reason="r",
                                              effective_on=D(2020, 10, 5))
    assert [p.number for p in moves] == result.permit_numbers == ["EXP-BL-1"]
    assert len(skipped) == len(result.skipped) == 0
