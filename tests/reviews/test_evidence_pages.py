"""The evidence page: grades, refute, documents; documents on the review page."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from reviews import services
from reviews.models import Attachment, Flag
from tests.factories import EvidenceFactory, PermitFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% evidence\n%%EOF\n" * 20


@pytest.fixture
def evidence():
    PermitFactory(number="EXP-2020-00123")
    evidence = EvidenceFactory(title="Downed TB2 carried a CMX-15D")
    services.flag_evidence(evidence_id=evidence.pk)
    return evidence


def signed_in(role, username=None):
    client = Client()
    client.force_login(UserFactory(role=role, username=username or f"page-{role}"))
    return client


def test_every_role_reads_the_evidence_page_only_officials_see_the_forms(evidence):
    for role in ("official", "decision_maker", "reader", "auditor"):
        response = signed_in(role).get(f"/evidence/{evidence.pk}/")
        assert response.status_code == 200
        content = response.content.decode()
        assert "Downed TB2 carried a CMX-15D" in content
        assert ("Re-grade or change status" in content) == (role == "official")
        assert ('enctype="multipart/form-data"' in content) == (role == "official")
    assert signed_in(None, "page-norole").get(f"/evidence/{evidence.pk}/").status_code == 403
    anonymous = Client().get(f"/evidence/{evidence.pk}/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert signed_in("reader").get("/evidence/999999/").status_code == 404


def test_destination_page_links_to_the_evidence_page(evidence):
    content = signed_in("reader").get("/destinations/TR/").content.decode()
    assert f'href="/evidence/{evidence.pk}/"' in content


def test_official_refutes_from_the_page(evidence):
    client = signed_in("official")
    response = client.post(f"/evidence/{evidence.pk}/grade/", {
        "status": "refuted", "credibility": "high", "source_reliability": "C", "note": "Staged photograph."})
    assert response.status_code == 302 and response["Location"] == f"/evidence/{evidence.pk}/"
    flag = Flag.objects.get(evidence=evidence)
    assert (flag.status, flag.resolution_note) == ("cleared", "Staged photograph.")
    page = client.get(response["Location"]).content.decode()
    assert '<span id="evidence-status">Refuted</span>' in page
    assert "C — fairly reliable" in page
    assert 'status=open">0</a>' in page
    assert "Staged photograph." in page


@pytest.mark.parametrize("body", [
    {"status": "refuted", "credibility": "high", "source_reliability": "C", "note": ""},
    {"status": "bogus", "credibility": "high", "source_reliability": "C", "note": "n"},
    {"status": "refuted", "credibility": "high", "source_reliability": "Z", "note": "n"},
])
def test_bad_grading_is_400_with_the_form(evidence, body):
    response = signed_in("official").post(f"/evidence/{evidence.pk}/grade/", body)
    assert response.status_code == 400
    assert "Re-grade or change status" in response.content.decode()
    assert Flag.objects.get(evidence=evidence).status == "open"


def test_a_nul_byte_in_the_note_is_refused(evidence):
    response = signed_in("official").post(f"/evidence/{evidence.pk}/grade/", {
        "status": "refuted", "credibility": "high", "source_reliability": "C", "note": "a\x00b"})
    assert response.status_code == 400
    assert Flag.objects.get(evidence=evidence).status == "open"


def test_upload_on_the_evidence_page_shows_the_hash(evidence, attachments_dir):
    client = signed_in("official")
    response = client.post(f"/evidence/{evidence.pk}/attachments/",
                           {"file": SimpleUploadedFile("catalogue.pdf", PDF, content_type="application/pdf")})
    assert response.status_code == 302
    digest = hashlib.sha256(PDF).hexdigest()
    page = client.get(response["Location"]).content.decode()
    assert digest in page and "catalogue.pdf" in page
    attachment = Attachment.objects.get()
    download = signed_in("reader").get(f"/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == digest
    assert download["Content-Disposition"].startswith("attachment;")


def test_a_wrong_type_on_the_page_is_400_with_a_message(evidence, attachments_dir):
    response = signed_in("official").post(f"/evidence/{evidence.pk}/attachments/", {
        "file": SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")})
    assert response.status_code == 400
    assert "not a PDF file" in response.content.decode()
    assert not Attachment.objects.exists()


def test_review_cases_take_documents(evidence, attachments_dir):
    official = UserFactory(role="official", username="page-reviewer")
    review = services.open_review(destination=evidence.destination, title="Review of TR", opened_by=official)
    client = Client()
    client.force_login(official)
    response = client.post(f"/reviews/{review.pk}/attachments/",
                           {"file": SimpleUploadedFile("notes.txt", b"Interview notes.\n", content_type="text/plain")})
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.review, attachment.evidence, attachment.content_type) == (review, None, "text/plain")
    page = client.get(f"/reviews/{review.pk}/").content.decode()
    assert attachment.sha256 in page
    assert signed_in("reader").post(f"/reviews/{review.pk}/attachments/", {}).status_code == 403


def test_the_evidence_page_in_french(evidence):
    client = signed_in("official")
    client.cookies["django_language"] = "fr"
    # override(): the language the request activates does not outlive this test.
    with translation.override("fr"):
        content = client.get(f"/evidence/{evidence.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Réévaluer ou changer le statut" in content
    assert "Fiabilité de la source" in content
