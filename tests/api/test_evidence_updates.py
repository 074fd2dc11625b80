"""PATCH /api/v1/evidence/{id}/, evidence attachments, and the warnings of POST /api/v1/permits/."""

import datetime as dt
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db import DatabaseError

from permits.models import Destination, DestinationMeasure
from reviews.models import Attachment, Flag
from tests.api.conftest import ROLES, assert_access, new_permit_body

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n" + bytes(range(256)) * 40
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 64


def url(evidence):
    return f"/api/v1/evidence/{evidence.pk}/"


def upload(client, evidence, name="report.pdf", content=PDF, content_type="application/pdf"):
    return client.post(f"{url(evidence)}attachments/",
                       {"file": SimpleUploadedFile(name, content, content_type=content_type)}, format="multipart")


# --- PATCH ---------------------------------------------------------------------

@pytest.mark.parametrize("role", [*ROLES, None])
def test_patch_access(client_for, world, role):
    response = assert_access(client_for, role, "patch", url(world["evidence"]),
                             {"credibility": "low", "note": "Doubtful."}, ("official",))
    world["evidence"].refresh_from_db()
    assert world["evidence"].credibility == ("low" if response.status_code == 200 else "high")


def test_refute_over_the_api_clears_the_open_flags(client_for, world):
    response = client_for("official").patch(url(world["evidence"]), {
        "status": "refuted", "note": "The photograph predates the permits."}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["credibility"], body["source_reliability"]) == ("refuted", "high", "F")
    flag = Flag.objects.get(pk=world["flag"].pk)
    assert (flag.status, flag.resolution_note) == ("cleared", "The photograph predates the permits.")
    assert flag.resolved_by.username == "official-user"
    assert Destination.objects.get(code="TR").open_flags == 0
    listed = client_for("reader").get("/api/v1/flags/?evidence=%d&status=open" % world["evidence"].pk).json()
    assert listed["count"] == 0


def test_regrade_over_the_api_lowers_the_relevance(client_for, world):
    assert world["flag"].relevance == "high"
    response = client_for("official").patch(url(world["evidence"]), {
        "source_reliability": "E", "note": "Unreliable source."}, format="json")
    assert response.status_code == 200
    assert response.json()["source_reliability"] == "E"
    assert Flag.objects.get(pk=world["flag"].pk).relevance == "medium"
    low = client_for("reader").get("/api/v1/flags/?relevance=low").json()
    assert low["count"] == 0
    client_for("official").patch(url(world["evidence"]), {"credibility": "unverified", "note": "n"}, format="json")
    # The permit's entry still matches: "medium", not "low".
    assert client_for("reader").get("/api/v1/flags/?relevance=medium").json()["count"] == 1


@pytest.mark.parametrize("body", [
    {"status": "refuted"},                                  # no note
    {"status": "refuted", "note": ""},
    {"status": "refuted", "note": "  "},
    {"status": "refuted", "note": "nul \u0000 byte"},
    {"status": "refuted", "note": "x" * 10_001},
    {"status": "false", "note": "n"},
    {"credibility": 3, "note": "n"},
    {"source_reliability": "a", "note": "n"},
    {"source_reliability": None, "note": "n"},
    {"note": "nothing else"},
    {"title": "renamed", "note": "n"},                      # not an editable field
    [],
    "refuted",
])
def test_patch_bad_input_is_400_and_changes_nothing(client_for, world, body):
    response = client_for("official").patch(url(world["evidence"]), body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()
    world["evidence"].refresh_from_db()
    assert (world["evidence"].status, world["evidence"].credibility) == ("unverified", "high")
    assert Flag.objects.get(pk=world["flag"].pk).status == "open"


def test_patch_unknown_evidence_is_404(client_for, world):
    for pk in ("999999", "abc", "99999999999999999999999"):
        response = client_for("official").patch(f"/api/v1/evidence/{pk}/", {"status": "refuted", "note": "n"},
                                                format="json")
        assert response.status_code == 404


# --- Attachments -----------------------------------------------------------------

def test_attachment_round_trips_with_its_sha256(client_for, world, attachments_dir):
    evidence = world["evidence"]
    response = upload(client_for("official"), evidence)
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "name", "size", "sha256", "content_type", "uploaded_at", "uploaded_by", "download"}
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (body["name"], body["size"], body["content_type"], body["uploaded_by"]) == (
        "report.pdf", len(PDF), "application/pdf", "official-user")

    listed = client_for("reader").get(f"{url(evidence)}attachments/")
    assert listed.status_code == 200 and [a["sha256"] for a in listed.json()] == [body["sha256"]]

    download = client_for("auditor").get(body["download"])
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert hashlib.sha256(content).hexdigest() == body["sha256"] and content == PDF
    assert download["Content-Disposition"].startswith("attachment;")
    assert 'filename="report.pdf"' in download["Content-Disposition"]
    assert download["Content-Type"] == "application/octet-stream"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]
    # The file is stored under its hash, not the uploader's name.
    assert (attachments_dir / body["sha256"][:2] / body["sha256"]).read_bytes() == PDF


def test_anonymous_cannot_fetch_or_list_attachments(client_for, world, attachments_dir):
    body = upload(client_for("official"), world["evidence"]).json()
    anonymous = client_for(None)
    assert anonymous.get(body["download"]).status_code == 401
    assert anonymous.get(f"{url(world['evidence'])}attachments/").status_code == 401
    assert client_for("norole").get(body["download"]).status_code == 403
    from django.test import Client

    page = Client().get(f"/attachments/{body['id']}/")
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]


@pytest.mark.parametrize("role", ["decision_maker", "reader", "auditor", "norole", None])
def test_only_officials_upload(client_for, world, attachments_dir, role):
    response = upload(client_for(role), world["evidence"])
    assert response.status_code == (401 if role is None else 403)
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(("name", "content"), [
    ("program.exe", b"MZ\x90\x00" + b"\x00" * 100),               # type not allowed
    ("report.pdf", b"MZ\x90\x00" + b"\x00" * 100),                # a program calling itself a PDF
    ("page.html", b"<html><script>alert(1)</script></html>"),
    ("report.pdf", b"<html><script>alert(1)</script></html>"),
    ("photo.png", PDF),                                          # a PDF calling itself an image
    ("notes.txt", b"text with a \x00 NUL byte"),
    ("notes.txt", b"\xff\xfe\xfa not UTF-8 \xff\xff" * 10),
    ("report.pdf", b""),                                         # empty
    ("noextension", PDF),
    ("report.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
])
def test_wrong_types_are_400(client_for, world, attachments_dir, name, content):
    response = upload(client_for("official"), world["evidence"], name=name, content=content)
    assert response.status_code == 400, response.content
    assert "file" in response.json()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(("name", "content", "content_type"), [
    ("photo.png", PNG, "image/png"),
    ("notes.txt", "Notes en français, Türkiye.\n".encode(), "text/plain"),
    ("../../etc/evil.pdf", PDF, "application/pdf"),
])
def test_allowed_types_are_stored(client_for, world, attachments_dir, name, content, content_type):
    response = upload(client_for("official"), world["evidence"], name=name, content=content)
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == content_type
    assert "/" not in response.json()["name"]


def test_a_file_past_the_limit_is_400(client_for, world, attachments_dir, settings):
    settings.ATTACHMENT_MAX_MB = 1
    big = PDF + b"\x00" * (1024 * 1024)
    response = upload(client_for("official"), world["evidence"], content=big)
    assert response.status_code == 400
    assert "1 MB" in str(response.json()["file"])
    assert not Attachment.objects.exists()
    # Past Django's own 2.5 MB body limit for forms, below ours: accepted.
    settings.ATTACHMENT_MAX_MB = 25
    response = upload(client_for("official"), world["evidence"], content=PDF + b"\x00" * (3 * 1024 * 1024))
    assert response.status_code == 201, response.content
    assert response.json()["size"] == len(PDF) + 3 * 1024 * 1024


def test_upload_without_a_file_or_as_json_is_refused(client_for, world, attachments_dir):
    client = client_for("official")
    assert client.post(f"{url(world['evidence'])}attachments/", {}, format="multipart").status_code == 400
    assert client.post(f"{url(world['evidence'])}attachments/", {"file": "x"}, format="json").status_code == 415
    assert client.post("/api/v1/evidence/999999/attachments/", {}, format="multipart").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_attachment_rows_cannot_be_changed(client_for, world, attachments_dir):
    upload(client_for("official"), world["evidence"])
    attachment = Attachment.objects.get()
    for statement in ("UPDATE reviews_attachment SET sha256 = repeat('0', 64)", "DELETE FROM reviews_attachment"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert Attachment.objects.get().sha256 == attachment.sha256


# --- Warnings when a permit is recorded -------------------------------------------

def test_a_permit_recorded_under_a_measure_carries_warnings(client_for, world):
    DestinationMeasure.objects.create(destination=Destination.objects.get(code="TR"), kind="presumptive_denial",
                                      scope="2-", starts_on=dt.date(2020, 10, 5))
    response = client_for("official").post("/api/v1/permits/", new_permit_body(), format="json")
    assert response.status_code == 201, response.content
    (warning,) = response.json()["warnings"]
    assert "presumptive denial" in warning and "Group 2" in warning
    group1 = new_permit_body(number="EXP-2020-01000", items=[
        {"control_entry": "1-6.A.3", "description": "x", "quantity": 1, "value": "1.00"}])
    response = client_for("official").post("/api/v1/permits/", group1, format="json")
    assert response.status_code == 201 and response.json()["warnings"] == []


def test_a_permit_recorded_over_the_api_meets_the_evidence(client_for, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("official").post("/api/v1/permits/", new_permit_body(valid_until="2030-05-11"),
                                               format="json")
    assert response.status_code == 201
    flags = client_for("reader").get(f"/api/v1/flags/?permit={response.json()['number']}").json()
    assert [(f["evidence"], f["status"], f["relevance"]) for f in flags["results"]] == [
        (world["evidence"].pk, "open", "high")]
