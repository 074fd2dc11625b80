"""The core flow works with JavaScript switched off: record evidence, see the flags, clear one."""

import pytest

from reviews.models import Flag, FlagStatus
from tests.browser.conftest import sign_in
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def page_without_js(browser):
    context = browser.new_context(java_script_enabled=False, locale="en-CA")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_evidence_and_flag_without_javascript(live_server, page_without_js, official):
    page = page_without_js
    PermitFactory(number="EXP-2020-00123")
    sign_in(page, live_server, official)
    page.goto(f"{live_server.url}/destinations/TR/")
    form = page.locator("#evidence-intake form")
    form.get_by_label("Title").fill("Catalogue shows MX-15D on TB2")
    form.get_by_label("Source type").select_option("ngo")
    form.get_by_label("Observed on").fill("2020-09-01")
    form.get_by_label("Credibility").select_option("medium")
    form.get_by_label("Control-list entries named").fill("2-15")
    form.get_by_role("button", name="Record evidence").click()
    page.wait_for_url("**/destinations/TR/?recorded=*")
    assert "Evidence saved." in page.locator(".messages").inner_text()
    # Tasks run eagerly here: the flags are there when the page comes back.
    item = page.locator("#progress-flags li", has_text="EXP-2020-00123")
    item.locator("summary").click()
    item.get_by_label("Clear").check()
    item.get_by_label("Note").fill("Catalogue image predates this permit.")
    item.get_by_role("button", name="Resolve flag").click()
    assert "1 flag(s) cleared." in page.locator(".messages").inner_text()
    assert Flag.objects.get().status == FlagStatus.CLEARED
