"""POST /api/v1/permits/import/ — a CSV or XLSX export as a job: all or nothing, idempotent."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from permits import imports
from permits.models import Decision, Job, Permit, PermitItem
from tests.factories import PermitFactory
from tests.importfiles import HEADER, permits_rows, row, to_csv, to_xlsx

pytestmark = pytest.mark.django_db
URL = "/api/v1/permits/import/"


@pytest.fixture
def upload(client_for, django_capture_on_commit_callbacks):
    def post(data, name="permits.csv", role="official"):
        client = client_for(role)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(URL, {"file": SimpleUploadedFile(name, data)}, format="multipart")
        if response.status_code != 202:
            return response, None
        return response, client.get(response["Location"]).json()
    return post


@pytest.mark.parametrize("encode, name", [(to_csv, "permits.csv"), (to_xlsx, "permits.xlsx")])
def test_a_good_file_creates_its_permits_and_twice_changes_nothing(upload, encode, name):
    rows = permits_rows(3, items=2) + [row("IMP-PENDING", status="pending", issued_on="", valid_until="",
                                           received_on="2020-01-02")]
    response, job = upload(encode(rows), name)
    assert response.status_code == 202 and response.json()["kind"] == "import_permits"
    assert job["state"] == "done", job
    assert sorted(job["result"]["created"]) == ["IMP-00000", "IMP-00001", "IMP-00002", "IMP-PENDING"]
    assert job["result"]["unchanged"] == [] and job["result"]["rejected"] == []
    assert job["progress"] == {"done": 7, "total": 7}
    permit = Permit.objects.get(number="IMP-00001")
    assert permit.status == "active" and str(permit.issued_on) == "2020-05-12" and permit.destination.code == "TR"
    assert sorted(permit.items.values_list("description", flat=True)) == ["Sensor part 0", "Sensor part 1"]
    assert Permit.objects.get(number="IMP-PENDING").status == "pending"
    issue = Decision.objects.get(permit=permit)
    assert issue.kind == "issue" and issue.decided_by.username == "official-user"
    counts = (Permit.objects.count(), PermitItem.objects.count(), Decision.objects.count())

    _response, again = upload(encode(rows), name)
    assert again["state"] == "done" and again["result"]["created"] == []
    assert sorted(again["result"]["unchanged"]) == ["IMP-00000", "IMP-00001", "IMP-00002", "IMP-PENDING"]
    assert (Permit.objects.count(), PermitItem.objects.count(), Decision.objects.count()) == counts


@pytest.mark.parametrize("encode, name", [(to_csv, "permits.csv"), (to_xlsx, "permits.xlsx")])
def test_a_file_with_errors_writes_nothing_and_lists_every_error(upload, encode, name):
    PermitFactory(number="TAKEN-1")
    rows = [
        row("GOOD-1"),                                       # row 2: fine, but not written
        row("BAD-1", quantity="0"),                          # row 3
        row("BAD-2", destination="XX"),                      # row 4
        row("BAD-3", issued_on="2020-05-12", valid_until="2019-01-01"),   # row 5
        row("TAKEN-1"),                                      # row 6: recorded with other content
        row("SPLIT-1"), row("SPLIT-1", exporter="Someone else", item=2),  # rows 7, 8
        row("BAD-4", value="=1+2"),                          # row 9: a formula is text, not a number
        row("BAD-5", control_entry="2 15!"),              # row 10
    ]
    _response, job = upload(encode(rows), name)
    assert job["state"] == "failed" and "nothing was recorded" in job["error"]
    rejected = {(r["row"], r["column"]) for r in job["result"]["rejected"]}
    assert rejected == {(3, "quantity"), (4, "destination"), (5, "valid_until"), (6, "number"),
                        (8, "exporter"), (9, "value"), (10, "control_entry")}
    assert all(r["message"] for r in job["result"]["rejected"])
    assert job["result"]["created"] == []
    assert not Permit.objects.filter(number__in=["GOOD-1", "SPLIT-1"]).exists()
    assert Permit.objects.count() == 1


def test_formula_looking_cells_are_kept_as_text(upload):
    rows = [row("FORMULA-1", end_use='=HYPERLINK("http://x","y")', consignee="+1-2", description="@SUM(A1)")]
    _response, job = upload(to_xlsx(rows), "permits.xlsx")
    assert job["state"] == "done", job
    permit = Permit.objects.get(number="FORMULA-1")
    assert permit.end_use == '=HYPERLINK("http://x","y")' and permit.consignee == "+1-2"
    assert permit.items.get().description == "@SUM(A1)"


@pytest.mark.parametrize("data, name, message", [
    (b"", "empty.csv", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image.csv", "NUL"),
    (b"\xff\xfe\xfa not utf-8", "latin.csv", "Not a CSV"),
    (b"PK\x03\x04 not really a zip", "broken.xlsx", "Not a CSV"),
    (b"number,exporter\x00,destination\n", "nul.csv", "NUL"),
])
def test_what_is_not_a_spreadsheet_is_400(upload, data, name, message):
    response, _job = upload(data, name)
    assert response.status_code == 400, response.content
    assert message in str(response.json()) and not Job.objects.exists()


def test_a_file_over_the_size_limit_is_400(upload, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 1000)
    response, _job = upload(to_csv(permits_rows(20)))
    assert response.status_code == 400 and "larger than" in str(response.json())


@pytest.mark.parametrize("data, name, message", [
    (b"just,some,columns\n1,2,3\n", "other.csv", "header row does not match"),
    (",".join(HEADER).encode() + b"\n", "header-only.csv", "no rows"),
    (b'number,exporter,"unterminated\n', "quote.csv", "Not a readable CSV"),
])
def test_files_that_read_but_do_not_fit_fail_the_job_with_a_message(upload, data, name, message):
    response, job = upload(data, name)
    assert response.status_code == 202
    assert job["state"] == "failed" and message in job["error"], job
    assert not Permit.objects.exists()


def test_a_zip_that_is_not_a_workbook_fails_the_job(upload):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hello")
    _response, job = upload(out.getvalue(), "archive.xlsx")
    assert job["state"] == "failed" and "XLSX" in job["error"]


def test_a_missing_file_field_is_400(client_for):
    response = client_for("official").post(URL, {"other": "x"}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()
    assert client_for("official").post(URL, {"file": "text"}, format="json").status_code in (400, 415)


@pytest.mark.parametrize("role, expected", [("decision_maker", 403), ("reader", 403), ("auditor", 403),
                                            ("norole", 403), (None, 401)])
def test_only_officials_import(client_for, role, expected):
    response = client_for(role).post(URL, {"file": SimpleUploadedFile("p.csv", to_csv(permits_rows(1)))},
                                     format="multipart")
    assert response.status_code == expected
    assert not Job.objects.exists() and not Permit.objects.exists()
