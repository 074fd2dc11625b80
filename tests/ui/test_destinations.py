"""Destination pages and the record-evidence form."""

import pytest

from permits.models import Destination, DestinationMeasure
from reviews.models import DiversionEvidence, Flag

pytestmark = pytest.mark.django_db

CONTRACT_FIELDS = ("title", "summary", "source_type", "source_reference", "observed_on", "diverted_to",
                   "location", "credibility", "control_entries", "end_users")


def evidence_post(**overrides):
    data = {"title": "Downed TB2 carried a CMX-15D", "summary": "Shown by Armenia's MoD.",
            "source_type": "official", "source_reference": "https://example.org/s", "observed_on": "2020-10-20",
            "diverted_to": "AZ", "location": "Nagorno-Karabakh", "credibility": "high",
            "control_entries": "2-15, 2-5", "end_users": "Baykar"}
    data.update(overrides)
    return data


def test_destination_page_content(scenario, client_for):
    DestinationMeasure.objects.create(destination_id="TR", kind="presumptive_denial", scope="2-",
                                      notice_reference="Notice to Exporters No. 992",
                                      starts_on="2020-04-16")
    html = client_for("reader").get("/destinations/tr/").content.decode()
    assert "Türkiye (TR)" in html or "Turkey (TR)" in html
    assert "NATO member" in html and "Notice to Exporters No. 992" in html
    assert "presumptive denial (Group 2) since 2020-04-16" in html
    assert "Downed TB2 carried a CMX-15D" in html
    assert "EXP-2020-00123" in html and "EXP-2020-00900" not in html
    # readers see no intake form
    assert 'name="source_type"' not in html


def test_record_evidence_form_uses_the_contract_names(scenario, client_for):
    html = client_for("official").get("/destinations/TR/").content.decode()
    for name in CONTRACT_FIELDS:
        assert f'name="{name}"' in html, name


def test_unknown_destination_is_404(scenario, client_for):
    assert client_for("reader").get("/destinations/ZZ/").status_code == 404
    assert client_for("reader").get("/destinations/TURKEY/").status_code == 404


def test_destination_list_and_finder(scenario, client_for):
    client = client_for("reader")
    html = client.get("/destinations/").content.decode()
    assert "/destinations/TR/" in html and "/destinations/AZ/" in html and "/destinations/FR/" not in html
    listed = {d.code: (d.permit_count, d.active_permits) for d in client.get("/destinations/").context["destinations"]}
    assert listed == {"TR": (3, 2), "AZ": (1, 1)}  # TR: two active permits and one pending
    assert client.get("/destinations/?q=tr")["Location"] == "/destinations/TR/"
    assert "/destinations/FR/" in client.get("/destinations/?q=France").content.decode()


def test_record_evidence_without_javascript(scenario, client_for, official, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("official").post("/destinations/TR/evidence/", evidence_post())
    evidence = DiversionEvidence.objects.get(title="Downed TB2 carried a CMX-15D", source_type="official")
    assert response.status_code == 302
    assert response["Location"] == f"/destinations/TR/?recorded={evidence.pk}#progress"
    assert evidence.diverted_to_id == "AZ" and evidence.control_entries == ["2-15", "2-5"]
    assert evidence.end_users == ["Baykar"] and evidence.recorded_by.username == "official-user"
    # flags were raised (tasks run eagerly in tests) and the page lists them
    page = client_for("official").get(response["Location"]).content.decode()
    assert "Flagging done" in page and "3 flags raised." in page
    assert Flag.objects.filter(evidence=evidence).count() == 3


def test_record_evidence_with_htmx_answers_a_fragment_that_polls(scenario, client_for):
    response = client_for("official").post("/destinations/TR/evidence/", evidence_post(),
                                           HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="evidence-intake"' in html
    assert "Flagging in progress" in html and 'hx-trigger="every 1s"' in html
    evidence = DiversionEvidence.objects.get(source_type="official")
    assert f"/evidence/{evidence.pk}/progress/" in html


def test_progress_stops_polling_once_flagging_is_done(scenario, client_for):
    from reviews.services import flag_evidence

    evidence = DiversionEvidence.objects.create(destination_id="TR", title="New", source_type="media",
                                                observed_on="2020-10-01", credibility="low")
    client = client_for("reader")
    polling = client.get(f"/evidence/{evidence.pk}/progress/").content.decode()
    assert "hx-trigger" in polling and "Flagging in progress" in polling
    flag_evidence(evidence_id=evidence.pk)
    done = client.get(f"/evidence/{evidence.pk}/progress/").content.decode()
    assert "hx-trigger" not in done and "3 flags raised." in done
    assert "EXP-2020-00123" in done
    assert client.get("/evidence/999999/progress/").status_code == 404


@pytest.mark.parametrize("overrides, field, message", [
    ({"title": ""}, "title", "This field is required."),
    ({"source_type": "rumour"}, "source_type", "Select a valid choice"),
    ({"credibility": ""}, "credibility", "This field is required."),
    ({"observed_on": "20-10-2020x"}, "observed_on", "Enter a valid date."),
    ({"observed_on": "2999-01-01"}, "observed_on", "Must not be in the future."),
    ({"diverted_to": "XX"}, "diverted_to", "Select a valid choice"),
    ({"control_entries": "2-15, =HYPERLINK()"}, "control_entries", "Not a control-list entry"),
])
def test_bad_evidence_is_refused_with_messages(scenario, client_for, overrides, field, message):
    client = client_for("official")
    before = DiversionEvidence.objects.count()
    response = client.post("/destinations/TR/evidence/", evidence_post(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["evidence_form"].errors[field]
    htmx = client.post("/destinations/TR/evidence/", evidence_post(**overrides), HTTP_HX_REQUEST="true")
    assert htmx.status_code == 400 and message in htmx.content.decode()
    assert DiversionEvidence.objects.count() == before


def test_open_flags_counter_is_shown(scenario, client_for):
    assert Destination.objects.get(code="TR").open_flags == 3
    html = client_for("reader").get("/destinations/TR/").content.decode()
    assert "?destination=TR&amp;status=open\">3</a>" in html
