"""The dashboard: open flags by destination and relevance, recent evidence and decisions, my reviews."""

import pytest

from permits.services import record_decision

pytestmark = pytest.mark.django_db


def test_dashboard_content(scenario, client_for, official):
    record_decision(permit=scenario["b"], kind="suspend", reason="Aselsan evidence.")
    response = client_for("official").get("/")
    rows = response.context["open_by_destination"]
    assert rows == [{"destination_id": "TR", "destination__name": rows[0]["destination__name"],
                     "high": 2, "medium": 1, "total": 3}]
    html = response.content.decode()
    assert "1 piece of evidence recorded." in html and "Downed TB2 carried a CMX-15D" in html
    assert "EXP-2020-00124" in html and '<span class="tag tag--suspended">Suspended</span>' in html
    assert "No open review." in html


def test_waiting_reviews_depend_on_the_role(scenario, client_for, official):
    from tests.ui.test_reviews import recommended_review

    review = recommended_review(official)
    assert f"/reviews/{review.pk}/" in client_for("decision_maker").get("/").content.decode()
    assert f"/reviews/{review.pk}/" not in client_for("official").get("/").content.decode()
    assert "Your role does not work on reviews." in client_for("reader").get("/").content.decode()
