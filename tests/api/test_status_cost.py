"""The status endpoint is what customs asks at the border: its cost per request is fixed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db


def test_status_by_token_costs_a_fixed_few_queries(reader):
    permit = PermitFactory()
    # Other tokens of the same user, expired or not, are not swept on every request.
    AuthToken.objects.create(user=reader)
    _row, key = AuthToken.objects.create(user=reader)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/v1/permits/{permit.number}/status/")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    tables = [q["sql"] for q in ctx.captured_queries]
    assert not any('WHERE "knox_authtoken"."user_id"' in sql for sql in tables), tables
    assert len(ctx.captured_queries) <= 5, tables
