"""WCAG 2.1 A/AA checks by axe-core (Deque, MPL-2.0, vendored for tests) on the main pages."""

from pathlib import Path

import pytest

from permits.models import Destination
from reviews.services import flag_evidence, open_review
from tests.browser.conftest import sign_in
from tests.factories import AssuranceFactory, EvidenceFactory, PermitFactory

pytestmark = pytest.mark.django_db(transaction=True)

AXE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text(encoding="utf-8")


@pytest.fixture
def axe_page(browser):
    context = browser.new_context(bypass_csp=True, locale="en-CA", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def violations(page):
    page.evaluate(AXE)
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    assert len(result["passes"]) > 10  # axe really ran its rules
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_pages_have_no_wcag_violations(live_server, axe_page, official, language):
    permit = PermitFactory(number="EXP-2020-00123")
    AssuranceFactory(permit=permit)
    PermitFactory(number="EXP-2020-00124", status="pending")
    evidence = EvidenceFactory(title="Downed TB2 carried a CMX-15D", end_users=["Baykar"])
    flag_evidence(evidence_id=evidence.pk)
    review = open_review(destination=Destination.objects.get(code="TR"), title="Review of TR",
                         opened_by=official, evidence_ids=[evidence.pk])
    page = axe_page
    found = {}
    page.goto(live_server.url + "/accounts/login/")
    if language == "fr":
        page.get_by_role("button", name="Français").click()
    found["/accounts/login/"] = violations(page)
    if language == "fr":
        page.get_by_role("button", name="English").click()
    sign_in(page, live_server, official)
    if language == "fr":
        page.get_by_role("button", name="Français").click()
    for url in ["/", "/flags/", "/permits/", "/permits/EXP-2020-00123/", "/destinations/", "/destinations/TR/",
                f"/destinations/TR/?recorded={evidence.pk}", "/reviews/", f"/reviews/{review.pk}/"]:
        page.goto(live_server.url + url)
        problems = violations(page)
        if problems:
            found[url] = problems
    found = {url: problems for url, problems in found.items() if problems}
    assert not found, found
