"""An official uploads a document to evidence, sees its hash, then refutes the evidence."""

import hashlib

import pytest

from reviews import services
from reviews.models import Flag
from tests.browser.conftest import sign_in
from tests.factories import EvidenceFactory, PermitFactory

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n% catalogue page\n%%EOF\n"


@pytest.fixture
def upload_page(browser):
    # A tab without the strict-CSP request interception of the ``page`` fixture:
    # Playwright's route.fetch() re-sends a multipart body without its file.
    context = browser.new_context(locale="en-CA")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_official_uploads_a_document_and_refutes_evidence(live_server, upload_page, official, attachments_dir,
                                                          tmp_path):
    page = upload_page
    PermitFactory(number="EXP-2020-00123")
    evidence = EvidenceFactory(title="Catalogue shows MX-15D on TB2")
    services.flag_evidence(evidence_id=evidence.pk)
    sign_in(page, live_server, official)
    page.goto(f"{live_server.url}/destinations/TR/")
    page.get_by_role("link", name="Catalogue shows MX-15D on TB2").click()
    page.wait_for_url(f"{live_server.url}/evidence/{evidence.pk}/")
    assert page.locator("#evidence-open-flags").inner_text() == "1"

    document = tmp_path / "catalogue.pdf"
    document.write_bytes(PDF)
    page.locator("#documents input[type=file]").set_input_files(str(document))
    with page.expect_navigation():
        page.locator("#documents").get_by_role("button", name="Upload").click()
    assert page.url.startswith(f"{live_server.url}/evidence/{evidence.pk}/"), page.url
    assert "Document stored" in page.content(), (page.url, page.locator("#documents").inner_text())
    assert hashlib.sha256(PDF).hexdigest() in page.locator("#documents").inner_text()

    page.get_by_label("Status", exact=True).select_option("refuted")
    page.get_by_label("Note", exact=True).fill("The catalogue page is a mock-up.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert page.url == f"{live_server.url}/evidence/{evidence.pk}/"
    assert page.locator("#evidence-status").inner_text() == "Refuted"
    assert page.locator("#evidence-open-flags").inner_text() == "0"
    assert Flag.objects.get(evidence=evidence).status == "cleared"
