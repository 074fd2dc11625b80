"""Permit search, CSV export and the permit dossier."""

import csv
import io

import pytest

from permits.models import EndUseAssurance
from permits.services import record_decision
from permits.views import csv_cell
from reviews.models import Flag
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db


def numbers(response):
    return {p.number for p in response.context["page"]}


@pytest.mark.parametrize("query, expected", [
    ("?q=00124", {"EXP-2020-00124"}),
    ("?q=aselsan", {"EXP-2020-00124"}),
    ("?q=fire+control", {"EXP-2020-00124"}),
    ("?q=turkish+armed", {"EXP-2020-00123", "EXP-2020-00124", "EXP-2021-00001", "EXP-2020-00900"}),
    ("?q=nobody", set()),
    ("?destination=az", {"EXP-2020-00900"}),
    ("?status=pending", {"EXP-2021-00001"}),
    ("?control_entry=2-15", {"EXP-2020-00123", "EXP-2021-00001", "EXP-2020-00900"}),
    ("?control_entry=2-1", set()),
    ("?control_entry=2-", {"EXP-2020-00123", "EXP-2020-00124", "EXP-2021-00001", "EXP-2020-00900"}),
    ("?flagged=true", {"EXP-2020-00123", "EXP-2020-00124", "EXP-2021-00001"}),
    ("?flagged=false", {"EXP-2020-00900"}),
])
def test_search(scenario, client_for, query, expected):
    assert numbers(client_for("reader").get("/permits/" + query)) == expected


@pytest.mark.parametrize("query, message", [
    ("?destination=ZZ", "Unknown country code."),
    ("?status=bogus", "Select a valid choice"),
    ("?control_entry=%3D1%2B1", "Not a control-list entry pattern"),
])
def test_bad_search_input_shows_a_message(scenario, client_for, query, message):
    response = client_for("reader").get("/permits/" + query)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert numbers(response) == set()


def test_search_paginates(db, client_for):
    for n in range(27):
        PermitFactory(number=f"EXP-S-{n:04d}")
    client = client_for("reader")
    assert len(client.get("/permits/").context["page"]) == 25
    assert len(client.get("/permits/?page=2").context["page"]) == 2


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("  =1+1", "'  =1+1"), ("＝1+1", "'＝1+1"), ("\n=1", "'\n=1"),
    ("Baykar", "Baykar"), ("2-15.a", "2-15.a"), (None, ""), (7, "7"),
])
def test_csv_cells_are_never_formulas(value, expected):
    assert csv_cell(value) == expected


def test_csv_export_follows_the_filters_and_neutralises_formulas(db, client_for):
    PermitFactory(number="EXP-CSV-0001", exporter="=cmd|' /C calc'!A0", consignee="@SUM(1+1)")
    PermitFactory(number="EXP-CSV-0002", destination="AZ")
    response = client_for("reader").get("/permits/export.csv?destination=TR")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["number", "status", "destination"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1]))
    assert row["number"] == "EXP-CSV-0001"
    assert row["exporter"] == "'=cmd|' /C calc'!A0"
    assert row["consignee"] == "'@SUM(1+1)"
    assert row["control_entries"] == "2-15.a"


def test_dossier_shows_status_in_words_and_colour(scenario, client_for):
    record_decision(permit=scenario["a"], kind="suspend", reason="Evidence of diversion.")
    html = client_for("reader").get("/permits/EXP-2020-00123/").content.decode()
    assert '<span class="tag tag--suspended">Suspended</span>' in html
    for text in ("Baykar", "Turkish Armed Forces", "MX-15D EO/IR sensor", "2-15.a", "3,500,000.00 CAD",
                 "End-user certificate (government)", "Downed TB2 carried a CMX-15D"):
        assert text in html


def test_dossier_timeline_is_in_date_order(scenario, client_for, official):
    record_decision(permit=scenario["a"], kind="suspend", reason="Evidence of diversion.")
    response = client_for("reader").get("/permits/EXP-2020-00123/")
    timeline = response.context["timeline"]
    kinds = [e.kind for e in timeline]
    assert kinds[0] == "decision" and "evidence" in kinds and "flag" in kinds
    assert [e.at for e in timeline] == sorted(e.at for e in timeline)
    html = response.content.decode()
    assert html.index("Evidence observed") < html.index("Flag raised")


def test_dossier_resolve_forms_only_for_officials(scenario, client_for):
    assert "Resolve flag #" in client_for("official").get("/permits/EXP-2020-00123/").content.decode()
    assert "Resolve flag #" not in client_for("auditor").get("/permits/EXP-2020-00123/").content.decode()


def test_status_as_of_a_date(scenario, client_for):
    record_decision(permit=scenario["a"], kind="suspend", reason="Evidence of diversion.")
    client = client_for("reader")
    before = client.get("/permits/EXP-2020-00123/?as_of=2020-06-01")
    assert before.context["as_of_result"].status == "active"
    assert "On 2020-06-01 the permit was" in before.content.decode()
    too_early = client.get("/permits/EXP-2020-00123/?as_of=2019-01-01")
    assert "had not started on that date" in too_early.content.decode()
    bad = client.get("/permits/EXP-2020-00123/?as_of=2020-13-45")
    assert bad.status_code == 400 and "Enter a date as YYYY-MM-DD." in bad.content.decode()


def test_unknown_permit_is_404(scenario, client_for):
    assert client_for("reader").get("/permits/EXP-NOPE-1/").status_code == 404


def test_official_records_assurance_compliance(scenario, client_for):
    a = scenario["assurance"]
    response = client_for("official").post(f"/permits/EXP-2020-00123/assurances/{a.pk}/",
                                           {"compliance": "breached", "notes": "Goods seen in AZ."})
    assert response["Location"] == f"/permits/EXP-2020-00123/#assurance-{a.pk}"
    a.refresh_from_db()
    assert (a.compliance, a.notes) == ("breached", "Goods seen in AZ.")


def test_bad_compliance_changes_nothing(scenario, client_for):
    a = scenario["assurance"]
    client = client_for("official")
    client.post(f"/permits/EXP-2020-00123/assurances/{a.pk}/", {"compliance": "maybe"})
    assert EndUseAssurance.objects.get().compliance == "unknown"
    # an assurance reached through another permit's number is not found
    assert client.post(f"/permits/EXP-2020-00124/assurances/{a.pk}/", {"compliance": "breached"}).status_code == 404


def test_flags_counted_on_search(scenario, client_for):
    html = client_for("reader").get("/permits/?q=EXP-2020-00123").content.decode()
    assert Flag.objects.filter(permit__number="EXP-2020-00123").count() == 1
    assert '<td class="num">1</td>' in html


def test_auditors_read_the_permit_history_on_the_dossier(scenario, client_for, official):
    from permits import services

    services.update_assurance(assurance=scenario["assurance"], compliance="breached", notes="Seen in AZ")
    url = f"/permits/{scenario['a'].number}/"
    page = client_for("auditor").get(url).content.decode()
    assert 'id="audit-history-title"' in page
    assert "breached" in page
    page = client_for("official", username="another-official").get(url).content.decode()
    assert 'id="audit-history-title"' not in page
