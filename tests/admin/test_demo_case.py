"""The demo case end to end in the admin: October 2020 suspension, April 2021 cancellation."""

import datetime as dt

import pytest
from django.core.management import call_command

from permits.models import AuditEvent, Decision, Permit, PermitEvent
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db

DECIDE = "/admin/permits/destination/decide/{}/"


def _blanket(client, kind, effective_on, reason):
    page = client.post("/admin/permits/destination/", {"action": f"{kind}_all", "_selected_action": ["TR"]})
    form = page.context["form"]
    data = {"ids": "TR", "reason": reason, "authority": "EIPA s.10(1)", "effective_on": effective_on,
            "control_entry": "2-", "preview": "1"}
    shown = client.post(DECIDE.format(kind), data)  # the lists for that date and scope
    assert shown.status_code == 200 and form["ids"].value() == "TR"
    data.pop("preview")
    data.update(confirm="1", expected=shown.context["form"]["expected"].value())
    response = client.post(DECIDE.format(kind), data)
    assert response.status_code == 302
    return shown


def test_october_2020_suspension_and_april_2021_cancellation(client, decision_maker, auditor, capsys):
    sensors = [PermitFactory(number=f"EXP-2020-{i:03d}", issued_on=dt.date(2020, 5, 12)) for i in range(1, 5)]
    unrelated = PermitFactory(number="EXP-2020-DU", items=[{
        "control_entry": "1-6.A.3", "description": "Thermal camera", "quantity": 2, "value": "1000.00"}])
    client.force_login(decision_maker)

    shown = _blanket(client, "suspend", "2020-10-05", "Use of the sensors in Nagorno-Karabakh under review.")
    assert len(shown.context["moves"]) == 4
    _blanket(client, "cancel", "2021-04-12",
             "Credible evidence of use in Nagorno-Karabakh, not consistent with the end-use assurances.")

    for permit in sensors:
        kinds = list(Decision.objects.filter(permit=permit).order_by("id").values_list("kind", "effective_on"))
        assert kinds == [("issue", dt.date(2020, 5, 12)), ("suspend", dt.date(2020, 10, 5)),
                         ("cancel", dt.date(2021, 4, 12))]
        assert Permit.objects.get(pk=permit.pk).status == "cancelled"
    assert Permit.objects.get(pk=unrelated.pk).status == "active"
    assert Decision.objects.filter(kind="suspend").values("batch").distinct().count() == 1

    # The auditor sees who did what, and when.
    client.force_login(auditor)
    listing = client.get(f"/admin/permits/auditevent/?user={decision_maker.pk}&event_model=permits.permitevent")
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 8  # 4 permits × (suspended, cancelled)
    event = AuditEvent.objects.across(PermitEvent).filter(user=decision_maker.pk).order_by("pgh_id").first()
    assert event.pgh_diff["status"] == ["active", "suspended"]
    assert event.url == "/admin/permits/destination/decide/suspend/"

    call_command("verify_decisions")
    assert "verified: 13 decisions" in capsys.readouterr().out  # 5 issued + 4 suspended + 4 cancelled
