"""Login lockout (django-axes): five failures lock a user name from an address."""

import pytest
from django.urls import Resolver404, resolve

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _login_paths():
    paths = ["/admin/login/"]
    try:
        resolve("/accounts/login/")
        paths.append("/accounts/login/")
    except Resolver404:  # the officials' sign-in page is added with the pages
        pass
    return paths


def _signed_in(client):
    return "_auth_user_id" in client.session


@pytest.fixture
def staff(make_user):
    # An auditor: admitted to the admin (the second factor comes after the password step).
    return make_user("auditor", username="j.official")


@pytest.mark.parametrize("path", _login_paths())
def test_five_failures_lock_out_even_the_right_password(client, staff, path):
    for _ in range(5):
        response = client.post(path, {"username": "j.official", "password": "not-the-password"},
                               REMOTE_ADDR="203.0.113.7")
        assert response.status_code in (200, 429)
        assert not _signed_in(client)
    response = client.post(path, {"username": "j.official", "password": PASSWORD},
                           REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    assert not _signed_in(client)


@pytest.mark.parametrize("path", _login_paths())
def test_four_failures_then_success_resets_the_count(client, staff, path):
    for _ in range(4):
        client.post(path, {"username": "j.official", "password": "wrong"}, REMOTE_ADDR="203.0.113.8")
    client.post(path, {"username": "j.official", "password": PASSWORD}, REMOTE_ADDR="203.0.113.8")
    assert _signed_in(client)
    client.logout()
    for _ in range(4):
        client.post(path, {"username": "j.official", "password": "wrong"}, REMOTE_ADDR="203.0.113.8")
    client.post(path, {"username": "j.official", "password": PASSWORD}, REMOTE_ADDR="203.0.113.8")
    assert _signed_in(client)


def test_a_lockout_from_one_address_does_not_lock_the_user_out_elsewhere(client, staff):
    for _ in range(6):
        client.post("/admin/login/", {"username": "j.official", "password": "wrong"},
                    REMOTE_ADDR="198.51.100.66")
    client.post("/admin/login/", {"username": "j.official", "password": PASSWORD},
                REMOTE_ADDR="192.0.2.10")
    assert _signed_in(client)


def test_unknown_user_names_are_locked_out_too(client):
    for _ in range(5):
        client.post("/admin/login/", {"username": "nobody", "password": "guess"}, REMOTE_ADDR="203.0.113.9")
    response = client.post("/admin/login/", {"username": "nobody", "password": "guess"},
                           REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429


@pytest.mark.parametrize("path", ["/accounts/password_reset/", "/accounts/password_reset/done/",
                                  "/accounts/reset/MQ/set-password/", "/accounts/reset/done/"])
def test_there_is_no_password_reset_by_email(client, path):
    # A reset link would be a way round the lockout and the second factor.
    assert client.get(path).status_code == 404
    assert client.post(path, {"email": "j.official@example.org"}).status_code == 404
