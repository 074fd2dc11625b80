"""The flag queue: filters, sort, pagination, bulk resolution with a note, escalation into reviews."""

import pytest

from permits.models import Destination, Permit
from reviews import services
from reviews.models import Flag, FlagStatus, ReviewCase
from tests.factories import EvidenceFactory, PermitFactory

pytestmark = pytest.mark.django_db


def test_queue_lists_open_flags_by_default(scenario, client_for):
    html = client_for("reader").get("/flags/").content.decode()
    assert "3 flags" in html
    assert "EXP-2020-00123" in html and "EXP-2020-00124" in html and "EXP-2021-00001" in html
    assert 'class="tag tag--high">High<' in html and 'class="tag tag--open">Open<' in html
    # A reader sees no selection boxes nor the resolve form.
    assert 'name="flag"' not in html and "Resolve selected flags" not in html


@pytest.mark.parametrize("query, expected", [
    ("?relevance=medium", {"EXP-2020-00124"}),
    ("?relevance=high", {"EXP-2020-00123", "EXP-2021-00001"}),
    ("?destination=AZ", set()),
    ("?status=cleared", set()),
])
def test_filters(scenario, client_for, query, expected):
    response = client_for("reader").get("/flags/" + query)
    numbers = {f.permit.number for f in response.context["page"]}
    assert numbers == expected


def test_sort_by_permit_number(scenario, client_for):
    page = client_for("reader").get("/flags/?sort=permit").context["page"]
    assert [f.permit.number for f in page] == ["EXP-2020-00123", "EXP-2020-00124", "EXP-2021-00001"]


@pytest.mark.parametrize("query", ["?evidence=abc", "?evidence=-1", "?relevance=extreme", "?sort=bogus",
                                   "?destination=ZZ", "?page=999", "?page=x", "?evidence=99999999999999999999999"])
def test_bad_filters_never_fail(scenario, client_for, query):
    response = client_for("reader").get("/flags/" + query)
    assert response.status_code == 200


def test_pagination(db, client_for, official):
    for n in range(30):
        PermitFactory(number=f"EXP-P-{n:04d}")
    services.flag_evidence(evidence_id=EvidenceFactory().pk)
    client = client_for("reader")
    first = client.get("/flags/?sort=permit")
    assert len(first.context["page"]) == 25 and "Page 1 of 2" in first.content.decode()
    second = client.get("/flags/?sort=permit&page=2")
    assert [f.permit.number for f in second.context["page"]][-1] == "EXP-P-0029"


def test_bulk_clear_requires_a_note(scenario, client_for):
    ids = list(Flag.objects.values_list("id", flat=True))
    client = client_for("official")
    response = client.post("/flags/resolve/", {"flag": ids, "resolution": "cleared", "note": "   "}, follow=True)
    assert "A note is required." in response.content.decode()
    assert Flag.objects.filter(status=FlagStatus.OPEN).count() == 3


def test_bulk_clear(scenario, client_for, official):
    ids = list(Flag.objects.values_list("id", flat=True))
    response = client_for("official").post(
        "/flags/resolve/", {"flag": ids, "resolution": "cleared", "note": "Not these units."}, follow=True)
    assert "3 flag(s) cleared." in response.content.decode()
    assert set(Flag.objects.values_list("status", flat=True)) == {"cleared"}
    assert Destination.objects.get(code="TR").open_flags == 0
    assert Permit.objects.get(number="EXP-2020-00123").open_flags == 0


def test_nothing_selected(scenario, client_for):
    response = client_for("official").post("/flags/resolve/", {"resolution": "cleared", "note": "n"}, follow=True)
    assert "Select at least one flag." in response.content.decode()


def test_resolving_already_resolved_flags_says_so(scenario, client_for):
    ids = list(Flag.objects.values_list("id", flat=True))
    client = client_for("official")
    client.post("/flags/resolve/", {"flag": ids, "resolution": "cleared", "note": "n"})
    response = client.post("/flags/resolve/", {"flag": ids, "resolution": "cleared", "note": "n"}, follow=True)
    assert "None of the selected flags was still open." in response.content.decode()


def test_escalating_opens_a_review(scenario, client_for):
    ids = list(Flag.objects.values_list("id", flat=True))
    response = client_for("official").post("/flags/resolve/", {
        "flag": ids, "resolution": "escalated", "note": "Credible.", "title": "MX-15D to Türkiye"})
    review = ReviewCase.objects.get()
    assert response["Location"] == f"/reviews/{review.pk}/"
    assert review.title == "MX-15D to Türkiye"
    assert set(review.flags.values_list("id", flat=True)) == set(ids)
    assert set(review.permits.values_list("number", flat=True)) == {"EXP-2020-00123", "EXP-2020-00124",
                                                                      "EXP-2021-00001"}
    assert set(Flag.objects.values_list("status", flat=True)) == {"escalated"}


def test_escalating_adds_to_an_open_review(scenario, client_for, official):
    review = services.open_review(destination=Destination.objects.get(code="TR"), title="Existing",
                                  opened_by=official, permit_ids=[])
    flag = Flag.objects.get(permit__number="EXP-2020-00124")
    client_for("official").post("/flags/resolve/", {
        "flag": [flag.pk], "resolution": "escalated", "note": "Same case.", "review": str(review.pk)})
    assert ReviewCase.objects.count() == 1
    assert list(review.permits.values_list("number", flat=True)) == ["EXP-2020-00124"]


def test_escalating_into_a_review_of_another_destination_is_refused(scenario, client_for, official):
    review = services.open_review(destination=Destination.objects.get(code="AZ"), title="AZ", opened_by=official)
    flag = Flag.objects.first()
    response = client_for("official").post("/flags/resolve/", {
        "flag": [flag.pk], "resolution": "escalated", "note": "n", "review": str(review.pk)}, follow=True)
    assert "A review covers one destination" in response.content.decode()
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


def test_single_flag_resolution_from_the_dossier(scenario, client_for):
    flag = Flag.objects.get(permit__number="EXP-2020-00123")
    client = client_for("official")
    response = client.post(f"/flags/{flag.pk}/resolve/", {
        f"flag{flag.pk}-resolution": "cleared", f"flag{flag.pk}-note": "Serial numbers differ.",
        "next": "/permits/EXP-2020-00123/"})
    assert response["Location"] == "/permits/EXP-2020-00123/"
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CLEARED and flag.resolution_note == "Serial numbers differ."
    again = client.post(f"/flags/{flag.pk}/resolve/", {
        f"flag{flag.pk}-resolution": "cleared", f"flag{flag.pk}-note": "again"}, follow=True)
    assert "already been resolved" in again.content.decode()


def test_next_never_leaves_the_site(scenario, client_for):
    flag = Flag.objects.first()
    response = client_for("official").post(f"/flags/{flag.pk}/resolve/", {
        f"flag{flag.pk}-resolution": "cleared", f"flag{flag.pk}-note": "n", "next": "https://evil.example/"})
    assert not response["Location"].startswith("https://evil.example")


def test_unknown_flag_is_404(scenario, client_for):
    assert client_for("official").post("/flags/999999/resolve/", {}).status_code == 404
