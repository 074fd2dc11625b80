"""The status endpoint is what customs asks at the border: its cost per request is fixed."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken

from permits import selectors, services
from permits.api.serializers import StatusAsOfSerializer, status_representation
from tests.factories import PermitFactory, new_token, token_client

pytestmark = pytest.mark.django_db
D = dt.date


def test_status_by_token_costs_two_queries(reader):
    permit = PermitFactory()
    # Other tokens of the same user, expired or not, are not swept on every request.
    AuthToken.objects.create(user=reader)
    AuthToken.objects.create(user=reader, expiry=dt.timedelta(seconds=-1))
    client = token_client(new_token(reader))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/v1/permits/{permit.number}/status/")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    statements = [q["sql"] for q in ctx.captured_queries]
    # One for the token with its user and roles, one for the permit with the decision in effect.
    assert len(statements) == 2, statements
    assert "knox_authtoken" in statements[0] and "auth_group" in statements[0]
    assert "permits_permit" in statements[1] and "permits_decision" in statements[1]


def test_hot_statements_are_prepared_on_the_server(reader):
    permit = PermitFactory()
    client = token_client(new_token(reader))
    for _ in range(2):
        assert client.get(f"/api/v1/permits/{permit.number}/status/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("knox_authtoken" in sql for sql in prepared), prepared
    assert any("LEFT JOIN LATERAL" in sql and "permits_decision" in sql for sql in prepared), prepared


def test_roles_come_with_the_token_and_are_read_on_every_request(reader):
    """No role is cached between requests: taking the role away takes effect at once."""
    permit = PermitFactory()
    client = token_client(new_token(reader))
    assert client.get(f"/api/v1/permits/{permit.number}/status/").status_code == 200
    reader.groups.remove(Group.objects.get(name="reader"))
    assert client.get(f"/api/v1/permits/{permit.number}/status/").status_code == 403
    reader.groups.add(Group.objects.get(name="reader"))
    assert client.get(f"/api/v1/permits/{permit.number}/status/").status_code == 200
    reader.is_active = False
    reader.save()
    assert client.get(f"/api/v1/permits/{permit.number}/status/").status_code == 401


def test_the_one_query_status_agrees_with_the_decision_history(decision_maker):
    """``status_of_number`` (one query) against ``status_as_of`` (all decisions, in Python)."""
    timeline = PermitFactory(issued_on=D(2020, 5, 12), valid_until=D(2022, 5, 11))
    # Two decisions on one day (2021-03-01): the one recorded last is in effect.
    for kind, day in (("suspend", D(2020, 10, 5)), ("reinstate", D(2021, 1, 4)), ("suspend", D(2021, 2, 1)),
                      ("reinstate", D(2021, 3, 1)), ("suspend", D(2021, 3, 1))):
        services.record_decision(permit=timeline, kind=kind, reason=kind, effective_on=day,
                                 decided_by=decision_maker, authority="EIPA s.10(1)")
    cancelled = PermitFactory(issued_on=D(2020, 1, 1), valid_until=D(2030, 1, 1))
    services.record_decision(permit=cancelled, kind="cancel", reason="Diversion", effective_on=D(2021, 4, 12),
                             decided_by=decision_maker, authority="EIPA s.10(1)")
    pending = PermitFactory(status="pending", received_on=D(2026, 1, 5))
    lapsed = PermitFactory(issued_on=D(2019, 1, 1), valid_until=D(2020, 1, 1))
    days = [D(2019, 1, 1), D(2020, 1, 1), D(2020, 1, 2), D(2020, 5, 12), D(2020, 10, 4), D(2020, 10, 5),
            D(2021, 1, 4), D(2021, 2, 1), D(2021, 2, 20), D(2021, 3, 1), D(2021, 4, 12), D(2022, 5, 11),
            D(2022, 5, 12), D(2026, 1, 5), D(2031, 1, 1), None]
    compared = 0
    for permit in (timeline, cancelled, pending, lapsed):
        for day in days:
            try:
                expected = selectors.status_as_of(permit, day)
            except selectors.NotStarted:
                with pytest.raises(selectors.NotStarted):
                    selectors.status_of_number(permit.number, day)
                continue
            got = selectors.status_of_number(permit.number, day)
            got_data, expected_data = (dict(StatusAsOfSerializer(a).data) for a in (got, expected))
            # Without known_at each call answers as of its own "now": instants apart by the time between them.
            assert got_data.pop("known_at") >= expected_data.pop("known_at")
            assert got_data == expected_data, (permit.number, day)
            compared += 1
    assert compared > 40
    assert selectors.status_of_number("EXP-0000-NONE", D(2021, 1, 1)) is None


def test_the_direct_representation_is_the_serializer_s(decision_maker):
    permit = PermitFactory(issued_on=D(2020, 5, 12), valid_until=D(2022, 5, 11))
    services.record_decision(permit=permit, kind="suspend", reason="Credible reports — «diversion»",
                             effective_on=D(2020, 10, 5), decided_by=decision_maker, authority="EIPA s.10(1)")
    for day in (D(2020, 6, 1), D(2020, 10, 5), D(2023, 1, 1)):
        answer = selectors.status_of_number(permit.number, day)
        assert status_representation(answer) == StatusAsOfSerializer(answer).data
