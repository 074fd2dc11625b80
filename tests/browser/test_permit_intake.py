"""An official keys in a permit, then imports a 1,000-row file and watches its progress bar reach done."""

import pytest

from permits.models import Job, Permit
from tests.browser.conftest import _with_strict_csp, sign_in
from tests.browser.test_accessibility import violations
from tests.importfiles import permits_rows, to_csv

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def upload_page(browser):
    """The ``page`` fixture's strict policy and error checks, for GET documents only: a route
    that fetches the request again does not carry a multipart body (the upload would be empty)."""
    context = browser.new_context(locale="en-CA", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.route(lambda url: True, lambda route: _with_strict_csp(route)
               if route.request.resource_type == "document" and route.request.method == "GET"
               else route.continue_())
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    yield page
    context.close()
    assert not errors, f"JavaScript errors or CSP violations on the page: {errors}"


def test_an_official_keys_in_a_permit_and_imports_a_thousand_rows(live_server, upload_page, official,
                                                                   celery_worker, tmp_path):
    page = upload_page
    sign_in(page, live_server, official)
    page.goto(f"{live_server.url}/permits/")
    page.get_by_role("link", name="Record a permit").click()
    page.wait_for_url("**/permits/new/")

    # Submitted incomplete: the summary links to the field, which gets focus.
    page.get_by_label("A permit already issued").check()
    page.get_by_role("button", name="Record the permit").click()
    summary = page.locator(".error-summary")
    assert summary.is_visible() and "There is a problem" in summary.inner_text()
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == page.locator(".error-summary a").first.get_attribute(
        "href").lstrip("#")

    page.get_by_label("Permit number").fill("EXP-2026-00500")
    page.get_by_label("Destination").select_option("TR")
    page.get_by_label("Issued on").fill("2026-11-02")
    page.get_by_label("Valid until").fill("2028-11-01")
    page.get_by_label("Exporter", exact=True).fill("L3Harris WESCAM")
    page.get_by_label("Consignee").fill("Baykar")
    page.locator("#id_items-0-control_entry").fill("2-15.a")
    page.locator("#id_items-0-description").fill("EO/IR sensor")
    page.locator("#id_items-0-quantity").fill("3")
    page.locator("#id_items-0-value").fill("1500.00")
    page.get_by_role("button", name="Add another item").click()
    assert page.locator("#id_items-0-description").input_value() == "EO/IR sensor"
    page.locator("#id_items-1-control_entry").fill("2-5.b")
    page.locator("#id_items-1-description").fill("Mount")
    page.locator("#id_items-1-quantity").fill("1")
    page.locator("#id_items-1-value").fill("10")
    page.get_by_role("button", name="Record the permit").click()
    page.wait_for_url("**/permits/EXP-2026-00500/")
    assert "EXP-2026-00500 recorded" in page.locator(".messages").inner_text()
    permit = Permit.objects.get(number="EXP-2026-00500")
    assert permit.status == "active" and permit.items.count() == 2

    # The import: 1,000 rows, each a permit, run by the worker while the page polls.
    path = tmp_path / "export.csv"
    path.write_bytes(to_csv(permits_rows(1000)))
    page.goto(f"{live_server.url}/permits/")
    page.get_by_role("link", name="Import permits from a file").click()
    page.get_by_label("File").set_input_files(str(path))
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_load_state()
    assert "/jobs/" in page.url, (page.url, page.locator("main").inner_text()[:500])
    bar = page.locator("progress#job-progress")
    assert bar.is_visible() and bar.get_attribute("aria-labelledby") == "job-progress-label"
    page.locator('#job-state[data-state="done"]').wait_for(timeout=120_000)
    assert bar.get_attribute("value") == "100"
    assert "Done." in page.locator("#job-progress-label").inner_text()
    assert "1,000 permits created" in page.locator("#job-result").inner_text() or \
        "1000 permits created" in page.locator("#job-result").inner_text()
    job = Job.objects.get(kind="import_permits")
    assert job.state == "done" and job.progress_done == job.progress_total == 1000
    assert Permit.objects.filter(number__startswith="IMP-").count() == 1000


@pytest.mark.parametrize("language", ["en", "fr"])
def test_new_pages_have_no_wcag_violations(live_server, browser, official, language, tmp_path):
    from permits.jobs.services import run
    from tests.importfiles import row

    job = Job.objects.create(kind="import_permits", created_by=official,
                             payload=to_csv([row("A-001"), row("A-002", quantity="x")]))
    run(job.pk)
    good = Job.objects.create(kind="import_permits", created_by=official, payload=to_csv(permits_rows(3)))
    run(good.pk)
    context = browser.new_context(bypass_csp=True, locale="en-CA", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, live_server, official)
    if language == "fr":
        page.get_by_role("button", name="Français").click()
    found = {}
    for url in ["/permits/new/", "/permits/import/", f"/jobs/{job.pk}/", f"/jobs/{good.pk}/"]:
        page.goto(live_server.url + url)
        found[url] = violations(page)
    page.goto(live_server.url + "/permits/new/")
    page.locator("form.permit-form button[type=submit]").last.click()
    page.locator(".error-summary").wait_for()
    found["/permits/new/ (errors)"] = violations(page)
    context.close()
    assert {url: problems for url, problems in found.items() if problems} == {}
