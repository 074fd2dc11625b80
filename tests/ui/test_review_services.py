"""The review-case services behind the pages."""

import pytest

from permits.models import Destination
from permits.core.errors import InvalidInput, TransitionNotAllowed
from reviews import services
from reviews.models import Flag, FlagStatus, ReviewCase, ReviewStatus
from tests.factories import EvidenceFactory, PermitFactory

pytestmark = pytest.mark.django_db


def test_escalating_flags_of_two_destinations_opens_one_review_each(scenario, official):
    az = Destination.objects.get(code="AZ")
    services.flag_evidence(evidence_id=EvidenceFactory(destination=az).pk)
    reviews = services.escalate_flags(flag_ids=list(Flag.objects.values_list("id", flat=True)), note="n",
                                      resolved_by=official)
    assert sorted(r.destination_id for r in reviews) == ["AZ", "TR"]
    assert ReviewCase.objects.get(destination_id="AZ").title == "Review of permits to Azerbaijan"
    assert set(Flag.objects.values_list("status", flat=True)) == {FlagStatus.ESCALATED}


def test_escalating_into_a_recommended_review_is_refused(scenario, official):
    from tests.ui.test_reviews import recommended_review

    review = recommended_review(official)
    with pytest.raises(TransitionNotAllowed):
        services.escalate_flags(flag_ids=[Flag.objects.first().pk], note="n", resolved_by=official, review=review)
    assert not Flag.objects.exclude(status=FlagStatus.OPEN).exists()


def test_escalating_needs_a_note_and_open_flags(scenario, official):
    ids = list(Flag.objects.values_list("id", flat=True))
    with pytest.raises(InvalidInput):
        services.escalate_flags(flag_ids=ids, note=" ", resolved_by=official)
    services.resolve_flags(flag_ids=ids, resolution="cleared", note="n", resolved_by=official)
    with pytest.raises(TransitionNotAllowed):
        services.escalate_flags(flag_ids=ids, note="n", resolved_by=official)
    assert not ReviewCase.objects.exists()


def test_findings_cite_only_evidence_of_the_destination(scenario, official):
    review = services.open_review(destination=Destination.objects.get(code="TR"), title="R", opened_by=official)
    other = EvidenceFactory(destination=Destination.objects.get(code="AZ"))
    with pytest.raises(InvalidInput):
        services.record_findings(review=review, findings=[
            {"criterion": "att_11", "risk": "low", "rationale": "r", "evidence_ids": [other.pk]}
        ], recorded_by=official)
    services.record_findings(review=review, findings=[
        {"criterion": "att_11", "risk": "low", "rationale": "r", "evidence_ids": [scenario["evidence"].pk]}
    ], recorded_by=official)
    assert list(review.evidence.values_list("id", flat=True)) == [scenario["evidence"].pk]


def test_recommendation_to_act_needs_permits(db, official):
    from tests.ui.test_reviews import all_findings

    review = services.open_review(destination=Destination.objects.get(code="FR"), title="R", opened_by=official)
    services.record_findings(review=review, findings=all_findings(), recorded_by=official)
    with pytest.raises(InvalidInput):
        services.submit_recommendation(review=review, recommendation="suspend", rationale="r",
                                       recommended_by=official)
    services.submit_recommendation(review=review, recommendation="no_action", rationale="r",
                                   recommended_by=official)
    review.refresh_from_db()
    assert review.status == ReviewStatus.RECOMMENDED


def test_decision_from_review_goes_through_the_lifecycle(db, official, decision_maker):
    from permits.models import Decision
    from tests.ui.test_reviews import all_findings

    p = PermitFactory(number="EXP-DEC-0001")
    review = services.open_review(destination=p.destination, title="R", opened_by=official)
    services.record_findings(review=review, findings=all_findings(), recorded_by=official)
    services.submit_recommendation(review=review, recommendation="cancel", rationale="r", recommended_by=official)
    review, result = services.decide_review(review=review, kind="cancel", reason="Diversion.",
                                            decided_by=decision_maker)
    assert result.affected == 1 and review.decision_batch == result.batch
    decision = Decision.objects.get(batch=review.decision_batch)
    assert (decision.kind, decision.decided_by, decision.authority) == ("cancel", decision_maker, "EIPA s.10(1)")
    p.refresh_from_db()
    assert p.status == "cancelled"
