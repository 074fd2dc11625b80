"""The review lifecycle: one table, one service function, and pages that ask it."""

import pytest

from permits.models import Destination
from permits.core.errors import TransitionNotAllowed
from reviews import services
from reviews.models import Criterion, ReviewStatus
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db
RS = ReviewStatus


def _all_findings():
    return [{"criterion": c, "risk": "low", "rationale": "Assessed.", "evidence_ids": []} for c in Criterion.values]


@pytest.fixture
def review(official):
    PermitFactory(number="EXP-REV-1")
    return services.open_review(destination=Destination.objects.get(code="TR"), title="Review", opened_by=official)


def _recommend(review, official):
    services.record_findings(review=review, findings=_all_findings(), recorded_by=official)
    return services.submit_recommendation(review=review, recommendation="suspend", rationale="Risk.",
                                          recommended_by=official)


def test_every_status_is_reached_and_left_only_through_the_table():
    targets = {to for _from, to, _role in services.REVIEW_MOVES.values()}
    sources = set().union(*(frm for frm, _to, _role in services.REVIEW_MOVES.values()))
    assert targets | sources == set(RS.values)
    assert RS.OPEN not in targets  # a review is opened, never moved back to "open"
    assert not sources & {RS.DECIDED, RS.CLOSED}  # decided and closed are final


def test_open_findings_recommended_sent_back_and_decided(review, official, decision_maker):
    assert review.status == RS.OPEN
    services.record_findings(review=review, findings=_all_findings()[:1], recorded_by=official)
    review.refresh_from_db()
    assert review.status == RS.FINDINGS
    _recommend(review, official)
    review.refresh_from_db()
    assert (review.status, review.recommendation) == (RS.RECOMMENDED, "suspend")
    services.send_back_review(review=review, note="Ask Turkey about the re-export.")
    review.refresh_from_db()
    assert (review.status, review.recommendation, review.recommended_at) == (RS.FINDINGS, "", None)
    assert review.findings.count() == len(Criterion.values)  # the findings stay
    services.submit_recommendation(review=review, recommendation="suspend", rationale="Risk confirmed.",
                                   recommended_by=official)
    review, result = services.decide_review(review=review, kind="suspend", reason="Risk.", decided_by=decision_maker)
    assert (review.status, result.affected) == (RS.DECIDED, 1)


@pytest.mark.parametrize("step", ["findings", "recommend", "send_back", "decide"])
def test_moves_the_table_forbids_are_409_and_change_nothing(review, official, decision_maker, step):
    _recommend(review, official)
    services.decide_review(review=review, kind="no_action", reason="No risk.", decided_by=decision_maker)
    review.refresh_from_db()
    assert review.status == RS.CLOSED
    calls = {
        "findings": lambda: services.record_findings(review=review, findings=_all_findings(), recorded_by=official),
        "recommend": lambda: services.submit_recommendation(review=review, recommendation="cancel", rationale="r",
                                                            recommended_by=official),
        "send_back": lambda: services.send_back_review(review=review, note="more"),
        "decide": lambda: services.decide_review(review=review, kind="cancel", reason="r", decided_by=decision_maker),
    }
    with pytest.raises(TransitionNotAllowed):
        calls[step]()
    review.refresh_from_db()
    assert (review.status, review.recommendation) == (RS.CLOSED, "suspend")


def test_a_review_without_findings_cannot_be_recommended(review, official):
    with pytest.raises(services.InvalidInput) as exc:
        services.submit_recommendation(review=review, recommendation="suspend", rationale="r",
                                       recommended_by=official)
    assert "Missing" in " ".join(exc.value.errors["recommendation"])
    review.refresh_from_db()
    assert review.status == RS.OPEN


def test_allowed_actions_by_role_and_status(review, official, decision_maker, reader):
    assert services.allowed_actions(review, official) == {"record_findings"}
    assert services.allowed_actions(review, decision_maker) == set()
    services.record_findings(review=review, findings=_all_findings(), recorded_by=official)
    review.refresh_from_db()
    assert services.allowed_actions(review, official) == {"record_findings", "recommend"}
    services.submit_recommendation(review=review, recommendation="suspend", rationale="r", recommended_by=official)
    review.refresh_from_db()
    assert services.allowed_actions(review, official) == set()
    assert services.allowed_actions(review, decision_maker) == {"send_back", "decide", "close"}
    assert services.allowed_actions(review, reader) == set()


def test_the_review_page_offers_what_the_table_allows(client, review, official, decision_maker):
    client.force_login(official)
    page = client.get(f"/reviews/{review.pk}/").content.decode()
    assert "/findings/" in page and "/send-back/" not in page and "/decision/" not in page
    _recommend(review, official)
    page = client.get(f"/reviews/{review.pk}/").content.decode()
    assert "/findings/" not in page and "/recommendation/" not in page
    client.force_login(decision_maker)
    page = client.get(f"/reviews/{review.pk}/").content.decode()
    assert "/send-back/" in page and "/decision/" in page
    response = client.post(f"/reviews/{review.pk}/send-back/", {"note": "Ask for the re-export record."})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.decision_note) == (RS.FINDINGS, "Ask for the re-export record.")
    assert client.post(f"/reviews/{review.pk}/send-back/", {"note": "again"}).status_code == 409
    assert client.post(f"/reviews/{review.pk}/send-back/", {"note": ""}).status_code == 400


def test_flags_can_be_escalated_into_a_review_with_findings(review, official):
    from reviews.models import Flag
    from tests.factories import EvidenceFactory

    services.record_findings(review=review, findings=_all_findings()[:2], recorded_by=official)
    evidence = EvidenceFactory(title="New report")
    services.flag_evidence(evidence_id=evidence.pk)
    flag_ids = list(Flag.objects.filter(evidence=evidence).values_list("id", flat=True))
    (touched,) = services.escalate_flags(flag_ids=flag_ids, note="Into the review.", resolved_by=official,
                                         review=review)
    assert touched.pk == review.pk and review.flags.count() == len(flag_ids)


def test_a_lapsed_permit_is_neither_flagged_nor_put_in_a_new_review(official):
    import datetime as dt

    from reviews.models import Flag
    from tests.factories import EvidenceFactory

    live = PermitFactory(number="EXP-REV-LIVE")
    lapsed = PermitFactory(number="EXP-REV-LAPSED", issued_on=dt.date(2019, 1, 2), valid_until=dt.date(2020, 12, 31))
    assert lapsed.status == "active"  # the daily job has not run: only the date says it is expired
    evidence = EvidenceFactory(title="Report")
    assert services.flag_evidence(evidence_id=evidence.pk) == 1
    assert list(Flag.objects.values_list("permit__number", flat=True)) == [live.number]
    review = services.open_review(destination=Destination.objects.get(code="TR"), title="R", opened_by=official)
    assert list(review.permits.values_list("number", flat=True)) == [live.number]
