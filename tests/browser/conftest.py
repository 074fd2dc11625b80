"""Headless Chromium (the system's) driven by Playwright against pytest-django's live server."""

import pytest

from tests.factories import PASSWORD
from tests.otp import browser_second_factor

def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser(chromium):
    return chromium


# The policy the deployment will send: no inline script or style may be needed by any page.
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _with_strict_csp(route):
    response = route.fetch(max_redirects=0)
    headers = {**response.headers, "content-security-policy": STRICT_CSP}
    route.fulfill(response=response, headers=headers)


@pytest.fixture
def page(browser):
    """A fresh browser tab; every page it loads is served under a strict Content-Security-Policy,
    and any JavaScript error or policy violation fails the test."""
    context = browser.new_context(locale="en-CA", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.route(lambda url: True, lambda route: _with_strict_csp(route)
               if route.request.resource_type == "document" else route.continue_())
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    yield page
    context.close()
    assert not errors, f"JavaScript errors or CSP violations on the page: {errors}"


def sign_in(page, live_server, user, password=PASSWORD):
    """Sign in through the sign-in page; every browser test signs in here."""
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    browser_second_factor(page, user)  # decision makers and superusers (config.security)
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator(".user-name").inner_text().find(user.username) >= 0
    return page
