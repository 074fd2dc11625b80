"""Two-factor sign-in (TOTP) is required for every role the admin admits: decision makers, auditors, superusers."""

import re
import time

import pytest
from django.test import RequestFactory
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.security import TwoFactorRequiredMiddleware
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.second_factor]


def _code(device, offset=0):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


@pytest.fixture
def minister(make_user):
    return make_user("decision_maker", username="minister")


@pytest.fixture
def superuser(make_user):
    return make_user(None, username="root", is_superuser=True, is_staff=True)


@pytest.mark.parametrize("path", ["/", "/admin/", "/admin/auth/user/", "/permits/"])
def test_a_decision_maker_without_second_factor_is_sent_to_set_it_up(client, minister, path):
    assert client.login(username="minister", password=PASSWORD)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/?next=")


@pytest.mark.parametrize("path", ["/", "/admin/", "/admin/permits/auditevent/"])
def test_an_auditor_signs_in_with_a_second_factor_too(client, make_user, path):
    auditor = make_user("auditor", username="the-auditor")
    assert client.login(username="the-auditor", password=PASSWORD)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/?next=")
    from tests.otp import pass_second_factor

    pass_second_factor(client, auditor, next_url=path)
    assert client.get(path).status_code == 200


def test_every_role_the_admin_admits_needs_the_second_factor(make_user):
    from config.security import two_factor_required
    from permits.admin_site import admitted

    users = [make_user(role, username=f"u-{role}") for role in
             ("official", "decision_maker", "reader", "auditor")]
    users.append(make_user(None, username="u-root", is_superuser=True, is_staff=True))
    for user in users:
        assert two_factor_required(user) == admitted(user), user.username
    assert [u.username for u in users if two_factor_required(u)] == ["u-decision_maker", "u-auditor", "u-root"]


def test_the_admin_never_shows_a_totp_secret_again(client, superuser):
    from django.conf import settings

    assert settings.OTP_ADMIN_HIDE_SENSITIVE_DATA is True
    device = TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    client.login(username="root", password=PASSWORD)
    from tests.otp import pass_second_factor

    pass_second_factor(client, superuser, next_url="/admin/")
    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert device.key not in html
    from django.test import override_settings

    with override_settings(OTP_ADMIN_HIDE_SENSITIVE_DATA=False):  # what the setting hides
        assert device.key in client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()


def test_setting_up_shows_a_server_made_qr_code_and_the_secret_then_verifies(client, superuser):
    assert client.login(username="root", password=PASSWORD)
    page = client.get("/accounts/2fa/?next=/admin/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "<path" in html
    # Nothing inline: scripts only from files, no style attributes (the CSP would block them).
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and "style=" not in html
    device = TOTPDevice.objects.get(user=superuser)
    assert not device.confirmed
    secret = re.search(r'<code id="otp-secret">([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    from base64 import b32encode

    assert secret == b32encode(device.bin_key).decode()
    # Reloading keeps the same secret (the authenticator already holds it).
    assert secret in client.get("/accounts/2fa/").content.decode().replace(" ", "")

    wrong = client.post("/accounts/2fa/", {"token": "000000" if _code(device) != "000000" else "111111",
                                           "next": "/admin/"})
    assert wrong.status_code == 200
    assert client.get("/admin/").status_code == 302

    time.sleep(1.1)  # django-otp makes the user wait after a wrong code
    done = client.post("/accounts/2fa/", {"token": _code(device), "next": "/admin/"})
    assert done.status_code == 302 and done["Location"] == "/admin/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200


def test_once_set_up_the_secret_is_never_shown_again(client, minister):
    device = TOTPDevice.objects.create(user=minister, name="phone", confirmed=True)
    assert client.login(username="minister", password=PASSWORD)
    page = client.get("/accounts/2fa/")
    html = page.content.decode()
    assert "<svg" not in html and "otp-secret" not in html
    response = client.post("/accounts/2fa/", {"token": _code(device), "next": "/"})
    assert response.status_code == 302
    assert client.get("/accounts/2fa/").status_code == 302  # verified: nothing more to do
    # The same code cannot be used twice.
    other = client.__class__()
    other.login(username="minister", password=PASSWORD)
    again = other.post("/accounts/2fa/", {"token": _code(device), "next": "/"})
    assert again.status_code == 200


def test_verification_gives_a_new_session_id(client, minister):
    device = TOTPDevice.objects.create(user=minister, name="phone", confirmed=True)
    client.login(username="minister", password=PASSWORD)
    before = client.session.session_key
    client.post("/accounts/2fa/", {"token": _code(device), "next": "/"})
    assert client.session.session_key != before


def test_next_cannot_send_the_user_to_another_site(client, minister):
    device = TOTPDevice.objects.create(user=minister, name="phone", confirmed=True)
    client.login(username="minister", password=PASSWORD)
    response = client.post("/accounts/2fa/", {"token": _code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.parametrize("role", ["official", "reader"])
def test_other_roles_are_not_asked_for_a_second_factor(client, make_user, role):
    make_user(role, username=f"a-{role}")
    client.login(username=f"a-{role}", password=PASSWORD)
    response = client.get("/healthz")
    assert response.status_code == 200
    response = client.get("/some/page/")
    assert response.status_code == 404  # reaches URL resolution: no 2FA redirect


def test_sign_in_and_probe_paths_stay_open(client, minister):
    client.login(username="minister", password=PASSWORD)
    for path in ("/healthz", "/readyz", "/admin/login/", "/accounts/2fa/", "/admin/logout/"):
        response = client.get(path)
        assert not response.get("Location", "").startswith("/accounts/2fa/"), path


def test_the_api_treats_an_unverified_browser_session_as_no_sign_in(minister):
    request = RequestFactory().get("/api/v1/permits/")
    request.user = minister
    minister.is_verified = lambda: False
    seen = {}

    def view(req):
        seen["user"] = req.user
        from django.http import HttpResponse

        return HttpResponse()

    TwoFactorRequiredMiddleware(view)(request)
    assert not seen["user"].is_authenticated


def test_the_api_keeps_token_sign_in(client, minister):
    from django.urls import Resolver404, resolve

    try:
        resolve("/api/v1/permits/")
    except Resolver404:
        pytest.skip("endpoint missing: GET /api/v1/permits/ is not routed yet (REST API issue)")
    from knox.models import AuthToken

    _, token = AuthToken.objects.create(minister)
    response = client.get("/api/v1/permits/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    client.login(username="minister", password=PASSWORD)
    assert client.get("/api/v1/permits/").status_code in (401, 403)
