"""Review cases: opened, findings per criterion, a recommendation, the decision maker's decision."""

import pytest

from permits.models import Decision, Destination, Permit
from reviews import services
from reviews.models import Criterion, ReviewCase, ReviewStatus

pytestmark = pytest.mark.django_db


def all_findings(evidence_ids=()):
    return [{"criterion": c, "risk": "substantial" if c == "att_11" else "low", "rationale": f"On {c}.",
             "evidence_ids": list(evidence_ids)} for c, _l in Criterion.choices]


def recommended_review(official, recommendation="suspend"):
    tr = Destination.objects.get(code="TR")
    review = services.open_review(destination=tr, title="Review of TR", opened_by=official)
    services.record_findings(review=review, findings=all_findings(), recorded_by=official)
    return services.submit_recommendation(review=review, recommendation=recommendation, rationale="Because.",
                                          recommended_by=official)


def findings_post(**overrides):
    data = {}
    for c, _l in Criterion.choices:
        data[f"{c}-risk"] = "low"
        data[f"{c}-rationale"] = f"Assessed {c}."
    data.update(overrides)
    return data


def test_open_review_from_destination_covers_its_live_permits(scenario, client_for):
    response = client_for("official").post("/destinations/TR/reviews/", {"title": "Review of Türkiye"})
    review = ReviewCase.objects.get()
    assert response["Location"] == f"/reviews/{review.pk}/"
    assert set(review.permits.values_list("number", flat=True)) == {"EXP-2020-00123", "EXP-2020-00124",
                                                                      "EXP-2021-00001"}


def test_open_review_needs_a_title(scenario, client_for):
    client_for("official").post("/destinations/TR/reviews/", {"title": "  "})
    assert not ReviewCase.objects.exists()


def test_review_page_shows_every_criterion(scenario, client_for, official):
    review = services.open_review(destination=Destination.objects.get(code="TR"), title="R", opened_by=official)
    html = client_for("official").get(f"/reviews/{review.pk}/").content.decode()
    for _value, label in Criterion.choices:
        assert str(label) in html
    assert "Save findings" in html and "Submit recommendation" in html
    reader_html = client_for("reader").get(f"/reviews/{review.pk}/").content.decode()
    assert "Save findings" not in reader_html and "Not assessed" in reader_html


def test_findings_saved_with_linked_evidence(scenario, client_for, official):
    review = services.open_review(destination=Destination.objects.get(code="TR"), title="R", opened_by=official)
    ev = scenario["evidence"].pk
    client = client_for("official")
    response = client.post(f"/reviews/{review.pk}/findings/",
                           {"att_11-risk": "substantial", "att_11-rationale": "Used in Nagorno-Karabakh.",
                            "att_11-evidence": [ev]})
    assert response.status_code == 302
    finding = review.findings.get()
    assert (finding.criterion, finding.risk) == ("att_11", "substantial")
    assert list(finding.evidence.values_list("id", flat=True)) == [ev]
    # Recording the criterion again replaces its finding.
    client.post(f"/reviews/{review.pk}/findings/", {"att_11-risk": "low", "att_11-rationale": "Revised."})
    assert review.findings.get().risk == "low"


@pytest.mark.parametrize("data, message", [
    ({"att_11-risk": "substantial"}, "A rationale is required."),
    ({"att_11-rationale": "text"}, "Choose a risk level."),
    ({"att_11-risk": "extreme", "att_11-rationale": "x"}, "Select a valid choice"),
    ({}, "Assess at least one criterion."),
])
def test_bad_findings_are_refused(scenario, client_for, official, data, message):
    review = services.open_review(destination=Destination.objects.get(code="TR"), title="R", opened_by=official)
    response = client_for("official").post(f"/reviews/{review.pk}/findings/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not review.findings.exists()


def test_recommendation_needs_every_criterion(scenario, client_for, official):
    review = services.open_review(destination=Destination.objects.get(code="TR"), title="R", opened_by=official)
    client = client_for("official")
    client.post(f"/reviews/{review.pk}/findings/", {"att_11-risk": "low", "att_11-rationale": "r"})
    response = client.post(f"/reviews/{review.pk}/recommendation/", {"recommendation": "suspend",
                                                                     "rationale": "r"})
    assert response.status_code == 400
    assert "Record a finding for every criterion first" in response.content.decode()
    client.post(f"/reviews/{review.pk}/findings/", findings_post())
    response = client.post(f"/reviews/{review.pk}/recommendation/", {"recommendation": "suspend",
                                                                     "rationale": "Diversion."})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.recommendation) == (ReviewStatus.RECOMMENDED, "suspend")
    # The findings are final once recommended.
    response = client.post(f"/reviews/{review.pk}/findings/", findings_post())
    assert response.status_code == 409


def test_decision_maker_sees_waiting_recommendation_and_decides(scenario, client_for, official):
    review = recommended_review(official, "suspend")
    client = client_for("decision_maker")
    dashboard = client.get("/").content.decode()
    assert f"/reviews/{review.pk}/" in dashboard
    page = client.get(f"/reviews/{review.pk}/").content.decode()
    assert "Record decision" in page
    response = client.post(f"/reviews/{review.pk}/decision/", {
        "kind": "suspend", "reason": "Credible evidence of diversion.", "authority": "EIPA s.10(1)",
        "effective_on": "",
    }, follow=True)
    assert "Decision recorded for 2 permit(s)." in response.content.decode()
    # the pending permit cannot be suspended and is left alone
    assert "1 permit(s) left unchanged" in response.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.DECIDED and review.decision_batch
    decisions = Decision.objects.filter(batch=review.decision_batch)
    assert {d.permit.number for d in decisions} == {"EXP-2020-00123", "EXP-2020-00124"}
    assert all(d.kind == "suspend" and d.reason == "Credible evidence of diversion." for d in decisions)
    assert Permit.objects.get(number="EXP-2020-00123").status == "suspended"
    assert "Decisions recorded from this review" in response.content.decode()


def test_deciding_twice_is_refused(scenario, client_for, official):
    review = recommended_review(official, "suspend")
    client = client_for("decision_maker")
    data = {"kind": "suspend", "reason": "r", "authority": "EIPA s.10(1)"}
    client.post(f"/reviews/{review.pk}/decision/", data)
    response = client.post(f"/reviews/{review.pk}/decision/", data)
    assert response.status_code == 409
    assert Decision.objects.filter(kind="suspend").count() == 2


def test_decision_not_allowed_by_lifecycle_records_nothing(scenario, client_for, official):
    review = recommended_review(official, "reinstate")
    response = client_for("decision_maker").post(f"/reviews/{review.pk}/decision/", {
        "kind": "reinstate", "reason": "r", "authority": "EIPA s.10(1)"})
    assert response.status_code == 409
    review.refresh_from_db()
    assert review.status == ReviewStatus.RECOMMENDED and review.decision_batch is None


@pytest.mark.parametrize("data", [
    {"kind": "suspend", "reason": "", "authority": "EIPA s.10(1)"},
    {"kind": "explode", "reason": "r", "authority": "EIPA s.10(1)"},
    {"kind": "suspend", "reason": "r", "authority": "EIPA s.10(1)", "effective_on": "2999-01-01"},
    {"kind": "suspend", "reason": "r", "authority": "EIPA s.10(1)", "effective_on": "not-a-date"},
    {"kind": "suspend", "reason": "r", "authority": "EIPA s.10(1)", "effective_on": "2001-01-01"},
])
def test_bad_decisions_are_refused(scenario, client_for, official, data):
    review = recommended_review(official, "suspend")
    response = client_for("decision_maker").post(f"/reviews/{review.pk}/decision/", data)
    assert response.status_code in (400, 409)
    assert not Decision.objects.filter(kind="suspend").exists()


def test_no_action_closes_the_review(scenario, client_for, official):
    review = recommended_review(official, "no_action")
    client_for("decision_maker").post(f"/reviews/{review.pk}/decision/", {
        "kind": "no_action", "reason": "Evidence does not concern these units.", "authority": "EIPA s.10(1)"})
    review.refresh_from_db()
    assert review.status == ReviewStatus.CLOSED and review.decision_note.startswith("Evidence")
    assert not Decision.objects.filter(kind="suspend").exists()


def test_review_list_filters_by_status(scenario, client_for, official):
    recommended_review(official)
    services.open_review(destination=Destination.objects.get(code="AZ"), title="Azerbaijan", opened_by=official)
    client = client_for("reader")
    html = client.get("/reviews/?status=recommended").content.decode()
    assert "Review of TR" in html and "Azerbaijan" not in html
    assert client.get("/reviews/?status=bogus").status_code == 200


def test_unknown_review_is_404(scenario, client_for):
    assert client_for("reader").get("/reviews/999999/").status_code == 404


@pytest.mark.parametrize("state, role", [("open", "official"), ("recommended", "decision_maker"),
                                         ("recommended", "reader")])
def test_review_page_markup(scenario, client_for, official, state, role):
    import re

    if state == "open":
        review = services.open_review(destination=Destination.objects.get(code="TR"), title="R", opened_by=official)
    else:
        review = recommended_review(official)
    html = client_for(role).get(f"/reviews/{review.pk}/").content.decode()
    assert len(re.findall(r"<main\b", html)) == 1 and len(re.findall(r"<h1\b", html)) == 1
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        if re.search(r'type="(hidden|submit)"', tag):
            continue
        assert re.search(r'id="([^"]+)"', tag).group(1) in labelled, tag
    assert not re.search(r"\sstyle=", html)
