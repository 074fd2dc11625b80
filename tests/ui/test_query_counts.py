"""No page runs one query per row: the same number of queries for 5 rows and for 200."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from permits.models import Destination, Permit
from reviews import services
from reviews.models import Criterion, DiversionEvidence, Flag, ReviewCase
from tests.factories import AssuranceFactory, EvidenceFactory, PermitFactory

pytestmark = pytest.mark.django_db


def grow(official, start, stop):
    """Rows numbered [start, stop): TR permits, AZ evidence each flagging the one AZ permit, reviews.

    Permits go through the lifecycle service; the other rows are plain test data, made in bulk.
    """
    tr, az = Destination.objects.get(code="TR"), Destination.objects.get(code="AZ")
    for n in range(start, stop):
        PermitFactory(number=f"EXP-Q-{n:05d}")
    az_permit = Permit.objects.get(number="EXP-AZ-00001")
    evidence = DiversionEvidence.objects.bulk_create([
        DiversionEvidence(destination=az, title=f"AZ evidence {n}", source_type="ngo", observed_on="2020-10-20",
                          credibility="high", recorded_by=official, flagging_finished_at=timezone.now(),
                          flags_raised=1)
        for n in range(start, stop)
    ])
    Flag.objects.bulk_create([
        Flag(permit=az_permit, evidence=e, destination=az, relevance="medium", reason=f"New evidence: {e.title}")
        for e in evidence
    ])
    ReviewCase.objects.bulk_create([
        ReviewCase(destination=tr, title=f"Review {n}", opened_by=official) for n in range(start, stop)
    ])
    return tr


def count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    if hasattr(response, "streaming_content"):
        with CaptureQueriesContext(connection) as more:
            b"".join(response.streaming_content)
        return len(ctx) + len(more)
    return len(ctx)


def test_query_count_does_not_grow_with_rows(client_for, official):
    az_permit = PermitFactory(number="EXP-AZ-00001", destination="AZ")
    AssuranceFactory(permit=az_permit)
    tr = grow(official, 0, 5)
    big = services.open_review(destination=tr, title="The big review", opened_by=official)
    services.record_findings(review=big, findings=[
        {"criterion": c, "risk": "low", "rationale": "r", "evidence_ids": []} for c, _l in Criterion.choices
    ], recorded_by=official)
    evidence = EvidenceFactory(title="TR evidence")
    services.flag_evidence(evidence_id=evidence.pk)

    client = client_for("official")
    urls = ["/", "/flags/", "/flags/?status=", "/permits/", "/permits/export.csv", "/permits/EXP-AZ-00001/",
            "/destinations/", "/destinations/TR/", "/destinations/AZ/", "/reviews/", f"/reviews/{big.pk}/",
            f"/evidence/{evidence.pk}/progress/", f"/destinations/TR/?recorded={evidence.pk}"]
    small = {url: count(client, url) for url in urls}

    grow(official, 5, 200)
    big.permits.add(*tr.permits.values_list("id", flat=True))
    services.flag_evidence(evidence_id=EvidenceFactory(title="TR evidence 2").pk)
    evidence2 = EvidenceFactory(title="TR evidence 3")
    services.flag_evidence(evidence_id=evidence2.pk)
    large = {url: count(client, url.replace(str(evidence.pk), str(evidence2.pk)) if "progress" in url or
                        "recorded" in url else url) for url in urls}
    assert large == small
