"""The demo's Turkey review went through the review services, with the case's own dates."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from permits.core import clock
from permits.models import Decision, Permit
from reviews.models import Criterion, Flag, ReviewCase, ReviewStatus

pytestmark = pytest.mark.django_db
D = dt.date


def _local_day(moment):
    return timezone.localtime(moment).date()


@pytest.fixture
def loaded_on_new_year_2025():
    # The project's clock is permits.core.clock.today() (timezone.localdate()); the
    # whole process's clock is moved, so nothing can read the real date.
    with time_machine.travel(dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.timezone.utc), tick=False):
        assert clock.today() == D(2025, 1, 1)
        call_command("load_demo")
        yield


def test_the_turkey_review_has_findings_recommendation_and_decision(loaded_on_new_year_2025):
    review = ReviewCase.objects.get(destination="TR")
    assert review.status == ReviewStatus.DECIDED
    assert {f.criterion for f in review.findings.all()} == set(Criterion.values)
    assert review.findings.filter(criterion="att_11", risk="substantial", evidence__isnull=False).exists()
    assert (review.recommendation, review.recommended_by.username, review.decided_by.username) == (
        "cancel", "official", "minister")
    assert (_local_day(review.opened_at), _local_day(review.recommended_at), _local_day(review.decided_at)) == (
        D(2020, 10, 5), D(2021, 4, 6), D(2021, 4, 12))
    decisions = Decision.objects.filter(batch=review.decision_batch)
    assert decisions.count() == 29 and set(decisions.values_list("kind", flat=True)) == {"cancel"}
    assert set(decisions.values_list("effective_on", flat=True)) == {D(2021, 4, 12)}
    assert review.flags.count() == Flag.objects.filter(destination="TR").count() == 58


def test_the_flags_and_their_resolutions_carry_the_cases_dates(loaded_on_new_year_2025):
    flags = list(Flag.objects.filter(destination="TR"))
    assert flags and all(f.status == "escalated" for f in flags)
    for flag in flags:
        assert D(2020, 9, 1) <= _local_day(flag.created_at) <= _local_day(flag.resolved_at) <= D(2021, 4, 12)


def test_historical_permits_were_received_before_they_were_issued(loaded_on_new_year_2025):
    issued = Permit.objects.exclude(issued_on=None)
    assert issued.count() > 250
    assert not issued.filter(received_on__gte=F("issued_on")).exists()
    assert not Permit.objects.filter(received_on__gt=D(2025, 1, 1)).exists()
    assert not Permit.objects.filter(issued_on__gt=D(2025, 1, 1)).exists()
    # The register looks current on the day it is loaded: permits in force, and applications pending.
    assert Permit.objects.in_force_on().count() > 50
    assert Permit.objects.in_status_on(None, ["pending"]).count() == 30


def test_the_review_page_shows_the_findings_and_the_decision(loaded_on_new_year_2025, client, make_user):
    client.force_login(make_user("auditor", username="demo-auditor"))
    review = ReviewCase.objects.get(destination="TR")
    page = client.get(f"/reviews/{review.pk}/").content.decode()
    assert "tag--decided" in page and "Findings recorded" not in page
    assert "A sensor exported to Turkey was recovered" in page
    assert "Decisions recorded from this review" in page
