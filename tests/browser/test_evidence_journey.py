"""Journey 1: an official records evidence for TR, sees the flags arrive and clears one."""

import pytest

from reviews.models import Flag, FlagStatus
from tests.browser.conftest import sign_in
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.worker
def test_official_records_evidence_and_clears_a_flag(live_server, page, official, celery_worker):
    PermitFactory(number="EXP-2020-00123")
    PermitFactory(number="EXP-2020-00124", consignee="Aselsan",
                  items=[{"control_entry": "2-5.b", "description": "Fire control", "quantity": 1,
                          "value": "1000.00"}])
    sign_in(page, live_server, official)
    page.goto(f"{live_server.url}/destinations/TR/")
    assert page.locator("h1").inner_text().startswith("Turkey") or "(TR)" in page.locator("h1").inner_text()

    form = page.locator("#evidence-intake form")
    form.locator("[name=title]").fill("Downed TB2 carried a CMX-15D")
    form.locator("[name=summary]").fill("Armenian defence ministry showed the recovered sensor.")
    form.locator("[name=source_type]").select_option("official")
    form.locator("[name=source_reference]").fill("https://example.org/statement")
    form.locator("[name=observed_on]").fill("2020-10-20")
    form.locator("[name=diverted_to]").select_option("AZ")
    form.locator("[name=location]").fill("Nagorno-Karabakh")
    form.locator("[name=credibility]").select_option("high")
    form.locator("[name=control_entries]").fill("2-15")
    form.locator("[name=end_users]").fill("Baykar")
    url_before = page.url
    form.get_by_role("button", name="Record evidence").click()

    # Saved at once; the flags arrive in place, without a reload.
    progress = page.locator("#progress")
    progress.wait_for()
    assert page.url == url_before
    # focus follows the new content
    # (moved by the page's script once htmx has settled the swap: wait for it, do not race it)
    page.wait_for_function("document.activeElement && document.activeElement.closest('#progress') !== null")
    flags = page.locator("#progress .flag-list > li")
    flags.first.wait_for(timeout=20_000)
    assert flags.count() == 2
    assert "Flagging done" in progress.inner_text()
    high = page.locator("#progress li", has_text="EXP-2020-00123")
    assert "High" in high.inner_text()

    high.locator("summary").click()
    high.get_by_label("Clear").check()
    high.get_by_label("Note").fill("Sensor serial not among this permit's units.")
    high.get_by_role("button", name="Resolve flag").click()
    page.wait_for_load_state()
    assert "1 flag(s) cleared" in page.locator(".messages").inner_text()
    cleared = Flag.objects.get(permit__number="EXP-2020-00123")
    assert cleared.status == FlagStatus.CLEARED
    assert cleared.resolution_note == "Sensor serial not among this permit's units."
    assert "Cleared" in page.locator("#progress li", has_text="EXP-2020-00123").inner_text()


def test_flags_arrive_while_the_page_waits(live_server, page, official):
    """The page polls while flagging is owed, shows the flags when done, and stops polling."""
    from reviews.models import DiversionEvidence
    from reviews.services import flag_evidence

    PermitFactory(number="EXP-2020-00123")
    evidence = DiversionEvidence.objects.create(destination_id="TR", title="UN Panel report", source_type="un",
                                                observed_on="2020-11-01", credibility="medium")
    sign_in(page, live_server, official)
    page.goto(f"{live_server.url}/destinations/TR/?recorded={evidence.pk}")
    status = page.get_by_role("status").filter(has_text="Flagging")
    assert "Flagging in progress" in status.inner_text()
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/progress/" in r.url else None)
    page.wait_for_timeout(1500)
    assert requests, "the page does not poll while flagging is in progress"

    flag_evidence(evidence_id=evidence.pk)
    page.locator("#progress-flags li", has_text="EXP-2020-00123").wait_for(timeout=5_000)
    assert "Flagging done" in status.inner_text() and "1 flag raised." in status.inner_text()
    settled = len(requests)
    page.wait_for_timeout(2000)
    assert len(requests) == settled, "polling goes on after flagging is done"
