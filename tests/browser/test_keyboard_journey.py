"""Journey 3: the flag queue used with the keyboard alone."""

import pytest

from reviews.models import Flag, FlagStatus
from reviews.services import flag_evidence
from tests.browser.conftest import sign_in
from tests.factories import EvidenceFactory, PermitFactory

pytestmark = pytest.mark.django_db(transaction=True)


def tab_to(page, selector, limit=120):
    """Press Tab until the focused element matches ``selector``; fail if it never does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_flag_queue_with_keyboard_only(live_server, page, official):
    PermitFactory(number="EXP-2020-00123")
    PermitFactory(number="EXP-2020-00124", consignee="Aselsan",
                  items=[{"control_entry": "2-5.b", "description": "Fire control", "quantity": 1,
                          "value": "1000.00"}])
    evidence = EvidenceFactory(title="Downed TB2", control_entries=["2-15"])
    flag_evidence(evidence_id=evidence.pk)
    high = Flag.objects.get(permit__number="EXP-2020-00123")
    sign_in(page, live_server, official)

    # The skip link comes first and lands on the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle + getComputedStyle(document.activeElement).backgroundColor")
    assert outline  # a visible focus style is applied

    # Reach the queue through the navigation.
    tab_to(page, "nav a[href='/flags/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/flags/")

    # Filter to high relevance with the keyboard.
    tab_to(page, "select[name=relevance]")
    page.keyboard.type("High")
    tab_to(page, "form.filters button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**relevance=high**")
    assert page.locator("tbody tr").count() == 1

    # Select the flag, clear it with a note, submit: all by keyboard.
    tab_to(page, f"#select-flag-{high.pk}")
    page.keyboard.press("Space")
    tab_to(page, "input[name=resolution][value=cleared]")
    page.keyboard.press("Space")
    tab_to(page, "textarea[name=note]")
    page.keyboard.type("Checked the serial numbers: not this permit's units.")
    tab_to(page, "#bulk-resolve button[type=submit]")
    focus_style = page.evaluate("getComputedStyle(document.activeElement).backgroundColor")
    assert focus_style == "rgb(255, 221, 0)"  # the focused button is visibly yellow
    page.keyboard.press("Enter")
    page.wait_for_load_state()

    assert "1 flag(s) cleared" in page.locator(".messages").inner_text()
    high.refresh_from_db()
    assert high.status == FlagStatus.CLEARED
    assert high.resolution_note == "Checked the serial numbers: not this permit's units."
    assert Flag.objects.filter(status=FlagStatus.OPEN).count() == 1
