"""Evidence grades: the relevance rule, refuting, re-grading, new permits meeting evidence."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from permits import services as permit_services
from permits.models import Destination, DestinationMeasure, Permit
from reviews import services
from reviews.models import DiversionEvidence, DiversionEvidenceEvent, Flag
from tests.factories import EvidenceFactory, PermitFactory

pytestmark = pytest.mark.django_db


def items(entry):
    return [{"control_entry": entry, "description": "goods", "quantity": 1, "value": "10.00"}]


def flag_of(permit, evidence):
    return Flag.objects.get(permit=permit, evidence=evidence)


def counters(permit):
    permit = Permit.objects.get(pk=permit.pk)
    return permit.open_flags, Destination.objects.get(code=permit.destination_id).open_flags


@pytest.mark.parametrize(("credibility", "reliability", "matching", "expected"), [
    ("high", "B", True, "high"),
    ("corroborated", "F", True, "high"),
    ("medium", "A", True, "high"),
    ("high", "E", True, "medium"),          # an unreliable source never raises high flags
    ("low", "A", True, "medium"),           # nor does low-credibility information
    ("unverified", "A", True, "medium"),
    ("medium", "C", False, "medium"),
    ("high", "E", False, "medium"),
    ("low", "A", False, "low"),
    ("unverified", "F", False, "low"),
])
def test_relevance_follows_the_contract(credibility, reliability, matching, expected):
    permit = PermitFactory(items=items("2-15.a" if matching else "1-6.A.3"), consignee="Other", end_user="Other")
    evidence = EvidenceFactory(credibility=credibility, source_reliability=reliability, control_entries=["2-15"])
    services.flag_evidence(evidence_id=evidence.pk)
    assert flag_of(permit, evidence).relevance == expected


def test_a_matching_party_counts_as_a_match():
    permit = PermitFactory(items=items("1-6.A.3"), consignee="Other", end_user=" baykar ")
    evidence = EvidenceFactory(credibility="high", source_reliability="B", control_entries=[], end_users=["Baykar"])
    services.flag_evidence(evidence_id=evidence.pk)
    assert flag_of(permit, evidence).relevance == "high"


def test_refuted_evidence_raises_no_flag():
    permit = PermitFactory()
    evidence = EvidenceFactory(status="refuted")
    assert services.flag_evidence(evidence_id=evidence.pk) == 0
    assert not Flag.objects.filter(evidence=evidence).exists()
    assert counters(permit) == (0, 0)


def test_flagging_keeps_the_counters_of_evidence_permit_and_destination():
    permits = [PermitFactory(), PermitFactory()]
    evidence = EvidenceFactory()
    assert services.flag_evidence(evidence_id=evidence.pk) == 2
    evidence.refresh_from_db()
    assert evidence.flags_raised == 2 and evidence.flagging == "done"
    assert [counters(p) for p in permits] == [(1, 2), (1, 2)]
    assert services.flag_evidence(evidence_id=evidence.pk) == 0  # idempotent
    assert [counters(p) for p in permits] == [(1, 2), (1, 2)]


def test_refuting_clears_every_open_flag_with_the_note(official):
    kept, cleared_before = PermitFactory(), PermitFactory()
    evidence = EvidenceFactory()
    other = EvidenceFactory(title="Other evidence")
    services.flag_evidence(evidence_id=evidence.pk)
    services.flag_evidence(evidence_id=other.pk)
    services.resolve_flag(flag=flag_of(cleared_before, evidence), resolution="escalated", note="earlier",
                          resolved_by=official)
    assert counters(kept) == (2, 3)

    services.update_evidence(evidence=evidence, status="refuted", note="Photograph predates the permits.",
                             updated_by=official)

    flag = flag_of(kept, evidence)
    assert (flag.status, flag.resolution_note, flag.resolved_by) == (
        "cleared", "Photograph predates the permits.", official)
    assert flag.resolved_at is not None
    escalated = flag_of(cleared_before, evidence)
    assert (escalated.status, escalated.resolution_note) == ("escalated", "earlier")
    assert flag_of(kept, other).status == "open"
    assert counters(kept) == (1, 2)
    assert counters(cleared_before) == (1, 2)
    # The destination's counter equals the open flags, computed afresh.
    assert Destination.objects.get(code="TR").open_flags == Flag.objects.filter(status="open").count()


def _refute_queries(n, official):
    for _ in range(n):
        PermitFactory(status="pending")
    evidence = EvidenceFactory()
    services.flag_evidence(evidence_id=evidence.pk)
    n = Permit.objects.count()
    assert Flag.objects.filter(evidence=evidence, status="open").count() == n
    with CaptureQueriesContext(connection) as queries:
        services.update_evidence(evidence=evidence, status="refuted", note="false", updated_by=official)
    assert Flag.objects.filter(evidence=evidence, status="open").count() == 0
    assert Flag.objects.filter(evidence=evidence, status="cleared").count() == n
    return len(queries)


def test_refuting_costs_the_same_statements_for_5_and_200_flags(official):
    few = _refute_queries(5, official)
    many = _refute_queries(200, official)    # 205 flags: the five permits of before, and 200 more
    assert few == many
    assert many <= 8
    assert not Permit.objects.filter(open_flags__gt=0).exists()
    assert Destination.objects.get(code="TR").open_flags == 0


def test_regrading_recomputes_the_relevance_of_open_flags(official):
    matching = PermitFactory(items=items("2-15.a"), consignee="Other", end_user="Other")
    unrelated = PermitFactory(items=items("1-6.A.3"), consignee="Other", end_user="Other")
    resolved = PermitFactory(items=items("2-15.a"), consignee="Other", end_user="Other")
    evidence = EvidenceFactory(credibility="high", source_reliability="B", control_entries=["2-15"])
    services.flag_evidence(evidence_id=evidence.pk)
    services.resolve_flag(flag=flag_of(resolved, evidence), resolution="cleared", note="n", resolved_by=official)
    assert (flag_of(matching, evidence).relevance, flag_of(unrelated, evidence).relevance) == ("high", "medium")

    services.update_evidence(evidence=evidence, source_reliability="E", note="The source lied before.",
                             updated_by=official)
    assert (flag_of(matching, evidence).relevance, flag_of(unrelated, evidence).relevance) == ("medium", "medium")

    services.update_evidence(evidence=evidence, credibility="low", note="Doubtful.", updated_by=official)
    assert (flag_of(matching, evidence).relevance, flag_of(unrelated, evidence).relevance) == ("medium", "low")

    services.update_evidence(evidence=evidence, credibility="corroborated", source_reliability="A",
                             note="Confirmed by a second source.", updated_by=official)
    assert (flag_of(matching, evidence).relevance, flag_of(unrelated, evidence).relevance) == ("high", "medium")
    # A resolved flag keeps the relevance it was resolved with.
    assert flag_of(resolved, evidence).relevance == "high"
    assert flag_of(resolved, evidence).status == "cleared"


def test_changes_are_audited_with_the_note(official):
    evidence = EvidenceFactory()
    services.update_evidence(evidence=evidence, status="under_review", credibility="medium", note="Checking.",
                             updated_by=official)
    evidence.refresh_from_db()
    assert (evidence.status, evidence.credibility, evidence.grading_note) == ("under_review", "medium", "Checking.")
    event = DiversionEvidenceEvent.objects.filter(pgh_obj_id=evidence.pk, pgh_label="update").latest("pgh_id")
    assert (event.status, event.credibility, event.grading_note) == ("under_review", "medium", "Checking.")


@pytest.mark.parametrize(("arguments", "field"), [
    ({"status": "refuted", "note": ""}, "note"),
    ({"status": "refuted", "note": "   "}, "note"),
    ({"status": "bogus", "note": "n"}, "status"),
    ({"credibility": "certain", "note": "n"}, "credibility"),
    ({"source_reliability": "G", "note": "n"}, "source_reliability"),
    ({"note": "nothing to change"}, "non_field_errors"),
])
def test_bad_input_changes_nothing(official, arguments, field):
    permit = PermitFactory()
    evidence = EvidenceFactory()
    services.flag_evidence(evidence_id=evidence.pk)
    with pytest.raises(permit_services.InvalidInput) as caught:
        services.update_evidence(evidence=evidence, updated_by=official, **arguments)
    assert field in caught.value.errors
    evidence.refresh_from_db()
    assert (evidence.status, evidence.credibility, evidence.source_reliability) == ("unverified", "high", "F")
    assert flag_of(permit, evidence).status == "open"


def test_evidence_no_longer_refuted_flags_new_permits_again(official, django_capture_on_commit_callbacks):
    evidence = EvidenceFactory(status="refuted")
    permit = PermitFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.update_evidence(evidence=evidence, status="under_review", note="Reopened.", updated_by=official)
    assert flag_of(permit, evidence).status == "open"


# --- New permits meet existing evidence ---------------------------------------

def test_a_permit_created_on_a_destination_with_evidence_is_flagged(django_capture_on_commit_callbacks):
    open_evidence = EvidenceFactory(credibility="high", source_reliability="B", control_entries=["2-15"])
    refuted = EvidenceFactory(status="refuted", title="Refuted")
    elsewhere = EvidenceFactory(destination=Destination.objects.get(code="DE"), title="Germany")
    with django_capture_on_commit_callbacks(execute=True):
        permit = PermitFactory(items=items("2-15.b"))
    flags = Flag.objects.filter(permit=permit)
    assert [(f.evidence_id, f.relevance, f.status) for f in flags] == [(open_evidence.pk, "high", "open")]
    assert not Flag.objects.filter(evidence__in=[refuted, elsewhere]).exists()
    assert counters(permit) == (1, 1)
    open_evidence.refresh_from_db()
    assert open_evidence.flags_raised == 1


def test_a_pending_permit_is_flagged_and_issuing_it_raises_nothing_twice(decision_maker,
                                                                         django_capture_on_commit_callbacks):
    evidence = EvidenceFactory()
    with django_capture_on_commit_callbacks(execute=True):
        permit = PermitFactory(status="pending")
    assert Flag.objects.filter(permit=permit, evidence=evidence).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        permit_services.record_decision(permit=permit, kind="issue", reason="r", decided_by=decision_maker,
                                        valid_until=dt.date(2030, 1, 1))
    assert Flag.objects.filter(permit=permit).count() == 1
    assert counters(permit) == (1, 1)


def test_issuing_a_permit_flags_it(decision_maker, django_capture_on_commit_callbacks):
    permit = PermitFactory(status="pending")    # no commit callbacks: not flagged at creation
    evidence = EvidenceFactory()
    assert not Flag.objects.filter(permit=permit).exists()
    with django_capture_on_commit_callbacks(execute=True):
        permit_services.record_decision(permit=permit, kind="issue", reason="r", decided_by=decision_maker,
                                        valid_until=dt.date(2030, 1, 1))
    assert Flag.objects.get(permit=permit).evidence == evidence


def test_flag_permit_is_idempotent_and_ignores_dead_permits(decision_maker):
    evidence = EvidenceFactory()
    permit = PermitFactory()
    assert services.flag_permit(permit_id=permit.pk) == 1
    assert services.flag_permit(permit_id=permit.pk) == 0
    assert counters(permit) == (1, 1)
    cancelled = PermitFactory()
    permit_services.record_decision(permit=cancelled, kind="cancel", reason="r", decided_by=decision_maker)
    assert services.flag_permit(permit_id=cancelled.pk) == 0
    assert services.flag_permit(permit_id=10**12) == 0
    assert DiversionEvidence.objects.get(pk=evidence.pk).flags_raised == 1


def test_measure_warnings_cover_the_goods_in_scope():
    from permits.selectors import measure_warnings

    tr = Destination.objects.get(code="TR")
    DestinationMeasure.objects.create(destination=tr, kind="presumptive_denial", scope="2-",
                                      notice_reference="Notice 2020-1", starts_on=dt.date(2020, 10, 5))
    DestinationMeasure.objects.create(destination=tr, kind="new_permits_suspended", starts_on=dt.date(2019, 1, 1),
                                      ends_on=dt.date(2019, 12, 31))   # no longer in force
    group2 = PermitFactory(items=items("2-15.a"))
    group1 = PermitFactory(items=items("1-6.A.3"))
    with translation.override("en"):
        (warning,) = measure_warnings(group2)
    assert "presumptive denial" in warning and "Notice 2020-1" in warning
    assert measure_warnings(group1) == []
