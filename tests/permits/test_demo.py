"""The demo data set: the real case's dates and counts, and idempotence."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from permits.models import Decision, DestinationMeasure, Permit
from reviews.models import DiversionEvidence, Flag

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "permits": Permit.objects.count(),
        "decisions": Decision.objects.count(),
        "evidence": DiversionEvidence.objects.count(),
        "flags": Flag.objects.count(),
        "measures": DestinationMeasure.objects.count(),
        "users": get_user_model().objects.count(),
        "statuses": sorted(Permit.objects.values_list("number", "status")),
    }


def test_load_demo_twice_changes_nothing_the_second_time(capsys):
    call_command("load_demo")
    first = snapshot()
    out = capsys.readouterr().out
    call_command("load_demo")
    assert snapshot() == first
    for role in ("official", "decision_maker", "reader", "auditor"):
        assert f"({role})" in out
    assert "demo login: minister / " in out


def test_the_turkey_case_is_as_on_the_public_record():
    call_command("load_demo")
    tr = Permit.objects.filter(destination="TR")
    assert tr.count() == 29
    assert set(tr.values_list("status", flat=True)) == {"cancelled"}
    baykar = Permit.objects.get(number="EXP-2020-00123")
    assert (baykar.consignee, baykar.items.get().quantity) == ("Baykar", 7)
    suspensions = Decision.objects.filter(permit__destination="TR", kind="suspend")
    assert suspensions.filter(effective_on=dt.date(2020, 10, 5)).count() == 25
    assert suspensions.exclude(effective_on=dt.date(2020, 10, 5)).filter(
        effective_on__month=11, effective_on__year=2020).count() == 4
    cancels = Decision.objects.filter(permit__destination="TR", kind="cancel")
    assert cancels.count() == 29 and cancels.values("batch").distinct().count() == 1
    assert set(cancels.values_list("effective_on", flat=True)) == {dt.date(2021, 4, 12)}
    assert DestinationMeasure.objects.filter(destination="TR", starts_on=dt.date(2019, 10, 11)).exists()
    assert DestinationMeasure.objects.filter(notice_reference__contains="992").exists()
    recovered = DiversionEvidence.objects.get(title__contains="CMX-15D")
    assert (recovered.diverted_to_id, recovered.observed_on) == ("AZ", dt.date(2020, 10, 20))
    assert Flag.objects.filter(evidence=recovered).count() == 29
    assert Permit.objects.exclude(destination="TR").count() >= 300
