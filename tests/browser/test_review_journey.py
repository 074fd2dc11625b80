"""Journey 2: flags escalated into a review, findings, a recommendation to suspend, and a
decision maker recording the suspension from the review."""

import pytest

from permits.models import Decision, Permit
from reviews.models import Criterion, ReviewCase, ReviewStatus
from reviews.services import flag_evidence
from tests.browser.conftest import sign_in
from tests.factories import EvidenceFactory, PermitFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_escalate_review_recommend_and_decide(live_server, page, official, decision_maker):
    for number in ("EXP-2020-00123", "EXP-2020-00124"):
        PermitFactory(number=number)
    evidence = EvidenceFactory(title="Downed TB2 carried a CMX-15D", end_users=["Baykar"])
    flag_evidence(evidence_id=evidence.pk)

    sign_in(page, live_server, official)
    page.get_by_role("link", name="Flags", exact=True).click()
    page.get_by_label("Select all flags on this page").check()
    boxes = page.get_by_label("Select flag", exact=False).all()
    assert len(boxes) == 2 and all(box.is_checked() for box in boxes)
    page.get_by_label("Escalate to a review").check()
    page.get_by_label("Note").fill("Credible evidence of use in Nagorno-Karabakh.")
    page.get_by_label("Title of a new review").fill("Review of MX-15D permits to Turkey")
    page.get_by_role("button", name="Resolve selected flags").click()

    page.wait_for_url("**/reviews/*/")
    assert "Review of MX-15D permits to Turkey" in page.locator("h1").inner_text()
    review = ReviewCase.objects.get()
    assert set(review.permits.values_list("number", flat=True)) == {"EXP-2020-00123", "EXP-2020-00124"}

    for value, _label in Criterion.choices:
        criterion = page.locator(f"#criterion-{value}")
        risk = "substantial" if value in ("att_11", "assurances", "eipa_7_3_1_b_i") else "low"
        criterion.locator(f"input[type=radio][value={risk}]").check()
        criterion.locator("textarea").fill(f"Assessment for {value}.")
    page.locator("#criterion-att_11").get_by_label("Downed TB2", exact=False).check()
    page.get_by_role("button", name="Save findings").click()
    assert "Findings saved" in page.locator(".messages").inner_text()

    page.get_by_label("Suspend").check()
    page.locator("textarea[name=rationale]").fill("Substantial risk of diversion; assurances breached.")
    page.get_by_role("button", name="Submit recommendation").click()
    assert "Recommendation submitted" in page.locator(".messages").inner_text()
    assert "Recommendation submitted" in page.locator("#review-status").inner_text()

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, decision_maker)
    page.get_by_role("link", name="Review of MX-15D permits to Turkey", exact=False).click()
    assert page.get_by_label("Suspend").is_checked()
    page.get_by_label("Reasons").fill("Credible evidence the sensors were used in Nagorno-Karabakh.")
    page.get_by_role("button", name="Record decision").click()

    assert "Decision recorded for 2 permit(s)" in page.locator(".messages").inner_text()
    assert "Decided" in page.locator("#review-status").inner_text()
    review.refresh_from_db()
    assert review.status == ReviewStatus.DECIDED and review.decided_by == decision_maker
    assert set(Permit.objects.values_list("status", flat=True)) == {"suspended"}
    decisions = Decision.objects.filter(batch=review.decision_batch)
    assert decisions.count() == 2 and {d.kind for d in decisions} == {"suspend"}
    assert page.locator("table", has_text="EXP-2020-00123").locator(".tag--suspended").count() >= 1
