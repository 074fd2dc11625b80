"""python manage.py create_api_token USERNAME."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _run(*args):
    out = StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_prints_a_working_token_as_last_line_and_stores_only_its_hash(reader):
    token = _run("reader")[-1]
    row = AuthToken.objects.get(user=reader)
    assert token not in (row.digest, row.token_key) and row.expiry is None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/destinations/TR/").status_code == 200


def test_expiry_and_revoke_all(reader):
    first = _run("reader")[-1]
    lines = _run("reader", "--expires-in-days", "30", "--revoke-all")
    assert AuthToken.objects.filter(user=reader).count() == 1
    assert AuthToken.objects.get(user=reader).expiry is not None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert client.get("/api/v1/destinations/TR/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {lines[-1]}")
    assert client.get("/api/v1/destinations/TR/").status_code == 200


def test_unknown_user_is_an_error():
    with pytest.raises(CommandError, match="No user"):
        _run("nobody-here")
