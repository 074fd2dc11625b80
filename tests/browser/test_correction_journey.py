"""Journey: a decision maker rescinds a cancellation recorded on the wrong permit, then extends
the permit's validity, each from the dossier with a preview and a confirmation."""

import datetime as dt

import pytest

from permits import services
from permits.models import Decision, Permit
from tests.browser.conftest import sign_in
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_rescind_then_amend_from_the_dossier(live_server, page, decision_maker):
    permit = PermitFactory(number="EXP-2020-00123", valid_until=dt.date(2030, 5, 11))
    cancel = services.record_decision(permit=permit, kind="cancel", reason="Recorded on the wrong permit.",
                                      effective_on=dt.date(2021, 4, 12))
    sign_in(page, live_server, decision_maker)
    page.goto(f"{live_server.url}/permits/EXP-2020-00123/")
    assert "Cancelled" in page.locator("#permit-status").inner_text()

    page.get_by_role("link", name="Rescind a decision").click()
    assert f"Decision #{cancel.pk}" in page.locator("#rescind-target").inner_text()
    page.get_by_label("Reasons").fill("The cancellation was recorded on the wrong permit.")
    page.get_by_role("button", name="Preview").click()
    assert f"Decision #{cancel.pk} will be rescinded." in page.locator("#correction-preview").inner_text()
    page.get_by_role("button", name="Confirm the rescission").click()

    page.wait_for_url("**/permits/EXP-2020-00123/")
    assert "Decision rescinded." in page.locator(".messages").inner_text()
    assert "Active" in page.locator("#permit-status").inner_text()
    rescission = Decision.objects.get(kind="rescind")
    assert f"rescinded by #{rescission.pk}" in page.locator(".timeline").inner_text()

    page.get_by_role("link", name="Amend the permit").click()
    page.get_by_label("Valid until").fill("2031-05-11")
    page.get_by_label("Reasons").fill("Delivery schedule extended by a year.")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#correction-preview").inner_text()
    assert "2030-05-11" in preview and "2031-05-11" in preview
    page.get_by_role("button", name="Confirm the amendment").click()

    page.wait_for_url("**/permits/EXP-2020-00123/")
    assert "Permit amended." in page.locator(".messages").inner_text()
    assert "Valid until: 2030-05-11 → 2031-05-11" in page.locator(".timeline").inner_text()
    assert Permit.objects.get(number="EXP-2020-00123").valid_until == dt.date(2031, 5, 11)
    assert "2031-05-11" in page.locator(".summary-list").first.inner_text()
