"""The decision flow in a real browser (headless Chromium, Playwright)."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from permits.models import Decision, Permit
from tests.admin.conftest import session_cookie_for
from tests.factories import PASSWORD, PermitFactory
from tests.otp import current_code

pytestmark = pytest.mark.browser


def test_decision_maker_suspends_three_permits_in_one_batch(browser_page, live_server, decision_maker):
    page = browser_page
    permits = [PermitFactory(number=f"EXP-WEB-{i}") for i in (1, 2, 3)]
    PermitFactory(number="EXP-WEB-OTHER")  # listed, not selected

    page.goto("/admin/login/?next=/admin/permits/permit/")
    page.fill("#id_username", decision_maker.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    # Decision makers then give a code from their authenticator.
    page.wait_for_url("**/accounts/2fa/**")
    device = TOTPDevice.objects.create(user=decision_maker, name="test authenticator", confirmed=True)
    page.reload()
    page.fill("#id_token", current_code(device))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/admin/permits/permit/")

    for permit in permits:
        page.check(f'input.action-select[value="{permit.pk}"]')
    page.select_option("select[name=action]", "suspend_selected")
    page.click("button[name=index]")

    # The confirmation page: what will change, the fields, then confirm.
    page.wait_for_selector("#decision-moves")
    assert page.locator("#decision-moves tbody tr").count() == 3
    assert page.input_value("input[name=authority]") == "EIPA s.10(1)"
    page.fill("textarea[name=reason]", "Credible evidence that the sensors were used in Nagorno-Karabakh.")
    page.click("#confirm-decision")

    page.wait_for_url("**/admin/permits/decision/?batch=*")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 3
    listed = " ".join(rows.all_inner_texts())
    for permit in permits:
        assert permit.number in listed

    decisions = list(Decision.objects.filter(kind="suspend"))
    assert len(decisions) == 3 and len({d.batch for d in decisions}) == 1
    assert {d.permit.number for d in decisions} == {p.number for p in permits}
    assert {d.decided_by_id for d in decisions} == {decision_maker.pk}
    assert Permit.objects.get(number="EXP-WEB-OTHER").status == "active"


def test_official_sees_no_action_and_gets_403(browser_page, live_server, official):
    page = browser_page
    permit = PermitFactory(number="EXP-WEB-OFF")
    page.context.add_cookies([session_cookie_for(official, live_server.url)])

    response = page.goto("/admin/permits/permit/")
    assert response.status == 403
    assert page.locator("select[name=action]").count() == 0

    response = page.goto(f"/admin/permits/permit/decide/suspend/?ids={permit.pk}")
    assert response.status == 403
    assert page.locator("#decision-form").count() == 0
    assert not Decision.objects.filter(kind="suspend").exists()
