"""/permits/new/, /permits/import/ and a job's page: officials record and import permits."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from permits.models import Decision, Job, Permit
from tests.importfiles import permits_rows, row, to_csv

pytestmark = pytest.mark.django_db


def _body(**overrides):
    body = {"status": "pending", "number": "APP-2026-1", "destination": "TR", "received_on": "2026-11-02",
            "issued_on": "", "valid_until": "", "currency": "CAD", "exporter": "L3Harris WESCAM",
            "exporter_email": "", "consignee": "Baykar", "end_user": "Turkish Armed Forces", "end_use": "UAV",
            "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "1", "items-MIN_NUM_FORMS": "1",
            "items-MAX_NUM_FORMS": "200", "items-0-control_entry": "2-15.a",
            "items-0-description": "Sensor", "items-0-quantity": "2", "items-0-value": "10.50"}
    body.update(overrides)
    return body


@pytest.fixture
def official_client(client, official):
    client.force_login(official)
    return client


def test_an_application_is_recorded_and_the_dossier_shown(official_client):
    response = official_client.post("/permits/new/", _body())
    assert response.status_code == 302 and response["Location"] == "/permits/APP-2026-1/"
    permit = Permit.objects.get(number="APP-2026-1")
    assert permit.status == "pending" and permit.items.get().quantity == 2
    assert not Decision.objects.filter(permit=permit).exists()


def test_a_measure_in_force_on_the_destination_is_shown_after_recording(official_client):
    import datetime as dt

    from permits.models import DestinationMeasure

    DestinationMeasure.objects.create(destination_id="TR", kind="presumptive_denial", scope="2-",
                                      notice_reference="Notice to Exporters No. 992",
                                      starts_on=dt.date(2020, 4, 16))
    response = official_client.post("/permits/new/", _body(), follow=True)
    page = response.content.decode()
    assert "Permit APP-2026-1 recorded." in page
    assert "presumptive denial (Group 2) since 2020-04-16" in page and "Notice to Exporters No. 992" in page
    # Goods outside the measure's scope get no warning.
    other = official_client.post("/permits/new/", _body(number="APP-2026-2", **{"items-0-control_entry": "1-6.A.3"}),
                                 follow=True).content.decode()
    assert "Permit APP-2026-2 recorded." in other and "presumptive denial" not in other


def test_an_issued_permit_records_its_issue_decision(official_client, official):
    response = official_client.post("/permits/new/", _body(status="active", number="EXP-2026-9",
                                                           received_on="", issued_on="2026-11-02",
                                                           valid_until="2028-11-01"))
    assert response.status_code == 302
    decision = Decision.objects.get(permit__number="EXP-2026-9")
    assert decision.kind == "issue" and decision.decided_by == official


def test_errors_are_summarised_with_links_and_shown_beside_fields(official_client):
    # The register's rules (services.validate_permit) name fields of the form.
    response = official_client.post("/permits/new/", _body(status="active", issued_on="", valid_until=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert 'href="#id_issued_on"' in html and 'href="#id_valid_until"' in html
    assert 'id="id_issued_on_error"' in html
    # A value of the wrong type is refused beside its field, an item's too.
    item = official_client.post("/permits/new/", _body(**{"items-0-quantity": "0"})).content.decode()
    assert 'href="#id_items-0-quantity"' in item and 'id="id_items-0-quantity_error"' in item
    assert not Permit.objects.exists()


def test_a_number_already_taken_is_an_error_on_the_number(official_client):
    assert official_client.post("/permits/new/", _body()).status_code == 302
    response = official_client.post("/permits/new/", _body())
    assert response.status_code == 400 and 'href="#id_number"' in response.content.decode()


def test_rows_are_added_and_removed_without_script(official_client):
    added = official_client.post("/permits/new/", _body(add_item="1"))
    html = added.content.decode()
    assert added.status_code == 200 and 'name="items-1-description"' in html and "error-summary" not in html
    assert 'value="Sensor"' in html  # what was keyed in stays
    two = _body(**{"items-TOTAL_FORMS": "2", "items-1-control_entry": "2-5", "items-1-description": "Mount",
                   "items-1-quantity": "1", "items-1-value": "1"})
    removed = official_client.post("/permits/new/", {**two, "remove_item": "0"}).content.decode()
    assert 'value="Mount"' in removed and 'value="Sensor"' not in removed
    assert not Permit.objects.exists()


def test_import_page_uploads_and_shows_the_job(official_client, django_capture_on_commit_callbacks):
    page = official_client.get("/permits/import/")
    assert page.status_code == 200 and "control_entry" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = official_client.post("/permits/import/", {"file": SimpleUploadedFile(
            "p.csv", to_csv(permits_rows(3)))})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    html = official_client.get(response["Location"]).content.decode()
    assert 'data-state="done"' in html and "<progress" in html and 'value="100"' in html
    assert "3 permits created" in html and "/permits/IMP-00002/" in html
    fragment = official_client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="job-state"') and 'id="job-result"' in fragment


def test_a_rejected_file_lists_every_row(official_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        official_client.post("/permits/import/", {"file": SimpleUploadedFile(
            "p.csv", to_csv([row("A-001"), row("A-002", quantity="x"), row("A-003", destination="XX")]))})
    html = official_client.get(f"/jobs/{Job.objects.get().pk}/").content.decode()
    assert 'data-state="failed"' in html and "2 errors" in html
    assert "<td>quantity</td>" in html and "<td>destination</td>" in html
    assert not Permit.objects.exists()


def test_a_file_that_is_not_a_spreadsheet_is_an_error_on_the_field(official_client):
    response = official_client.post("/permits/import/", {"file": SimpleUploadedFile("x.csv", b"\x00\x01")})
    assert response.status_code == 400 and 'href="#id_file"' in response.content.decode()
    assert not Job.objects.exists()


@pytest.mark.parametrize("url", ["/permits/new/", "/permits/import/"])
@pytest.mark.parametrize("role", ["reader", "auditor", "decision_maker"])
def test_only_officials(client, make_user, url, role):
    client.force_login(make_user(role, username=f"u-{role}"))
    assert client.get(url).status_code == 403
    assert client.post(url, _body()).status_code == 403
    assert not Permit.objects.exists()


@pytest.mark.parametrize("url", ["/permits/new/", "/permits/import/", "/jobs/1/"])
def test_signed_out_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_job_is_its_creators(client, official, make_user):
    job = Job.objects.create(kind="import_permits", created_by=official)
    other = make_user("official", username="other-official")
    client.force_login(other)
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
    client.force_login(make_user("auditor", username="aud"))
    assert client.get(f"/jobs/{job.pk}/").status_code == 200


def test_the_search_page_links_officials_to_the_new_pages(official_client, client, reader):
    html = official_client.get("/permits/").content.decode()
    assert 'href="/permits/new/"' in html and 'href="/permits/import/"' in html
    client.force_login(reader)
    assert 'href="/permits/new/"' not in client.get("/permits/").content.decode()
