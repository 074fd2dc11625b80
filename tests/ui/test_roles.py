"""The role matrix: every page and action checks the role."""

import pytest

pytestmark = pytest.mark.django_db

READ_PAGES = ["/", "/flags/", "/permits/", "/permits/export.csv", "/permits/EXP-2020-00123/", "/destinations/",
              "/destinations/TR/", "/reviews/"]


@pytest.mark.parametrize("url", READ_PAGES)
def test_signed_out_goes_to_sign_in(scenario, client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", READ_PAGES)
def test_user_without_role_is_refused(scenario, client_for, url):
    assert client_for(None).get(url).status_code == 403


@pytest.mark.parametrize("role", ["official", "decision_maker", "reader", "auditor"])
@pytest.mark.parametrize("url", READ_PAGES)
def test_every_role_reads(scenario, client_for, role, url):
    assert client_for(role).get(url).status_code == 200


def _actions(scenario, review_pk, flag_pk):
    number = scenario["a"].number
    return {
        "evidence": ("/destinations/TR/evidence/", {"title": "x", "source_type": "ngo", "observed_on": "2020-10-20",
                                                    "credibility": "high"}),
        "resolve_one": (f"/flags/{flag_pk}/resolve/", {f"flag{flag_pk}-resolution": "cleared",
                                                        f"flag{flag_pk}-note": "n"}),
        "resolve_many": ("/flags/resolve/", {"flag": [flag_pk], "resolution": "cleared", "note": "n"}),
        "assurance": (f"/permits/{number}/assurances/{scenario['assurance'].pk}/", {"compliance": "breached"}),
        "open_review": ("/destinations/TR/reviews/", {"title": "Review"}),
        "findings": (f"/reviews/{review_pk}/findings/", {"att_11-risk": "low", "att_11-rationale": "r"}),
        "recommend": (f"/reviews/{review_pk}/recommendation/", {"recommendation": "no_action", "rationale": "r"}),
    }


OFFICIAL_ACTIONS = ["evidence", "resolve_one", "resolve_many", "assurance", "open_review", "findings", "recommend"]


@pytest.fixture
def review(scenario, official):
    from permits.models import Destination
    from reviews.services import open_review

    return open_review(destination=Destination.objects.get(code="TR"), title="R", opened_by=official)


@pytest.mark.parametrize("role", [None, "reader", "auditor", "decision_maker"])
@pytest.mark.parametrize("action", OFFICIAL_ACTIONS)
def test_official_actions_refused_to_other_roles(scenario, review, client_for, role, action):
    from permits.models import EndUseAssurance
    from reviews.models import Flag, FlagStatus, ReviewCase

    flag = Flag.objects.first()
    url, data = _actions(scenario, review.pk, flag.pk)[action]
    before = (ReviewCase.objects.count(), Flag.objects.filter(status=FlagStatus.OPEN).count(),
              EndUseAssurance.objects.get().compliance)
    assert client_for(role).post(url, data).status_code == 403
    after = (ReviewCase.objects.count(), Flag.objects.filter(status=FlagStatus.OPEN).count(),
             EndUseAssurance.objects.get().compliance)
    assert before == after


@pytest.mark.parametrize("action", OFFICIAL_ACTIONS)
def test_official_actions_need_sign_in(scenario, review, client, action):
    from reviews.models import Flag

    url, data = _actions(scenario, review.pk, Flag.objects.first().pk)[action]
    response = client.post(url, data)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", [None, "reader", "auditor", "official"])
def test_only_decision_makers_decide(scenario, client_for, official, role):
    from reviews.models import ReviewStatus
    from tests.ui.test_reviews import recommended_review

    review = recommended_review(official, "suspend")
    response = client_for(role).post(f"/reviews/{review.pk}/decision/",
                                     {"kind": "suspend", "reason": "r", "authority": "EIPA s.10(1)"})
    assert response.status_code == 403
    review.refresh_from_db()
    assert review.status == ReviewStatus.RECOMMENDED


def test_csrf_is_enforced(scenario, official):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(official)
    response = client.post("/destinations/TR/reviews/", {"title": "Review"})
    assert response.status_code == 403
    html = client.get("/destinations/TR/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in html


@pytest.mark.parametrize("url", ["/flags/resolve/", "/destinations/TR/evidence/", "/reviews/1/decision/"])
def test_actions_refuse_get(scenario, client_for, url):
    assert client_for("official").get(url).status_code == 405
