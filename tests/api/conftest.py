"""Shared API test set-up: clients per role, a small register, the access matrix."""

import pytest

from tests.factories import new_token, token_client

ROLES = ("official", "decision_maker", "reader", "auditor", "superuser", "norole")


@pytest.fixture
def client_for(make_user):
    """``client_for("reader")`` → an APIClient sending that role's token; None → anonymous."""
    made = {}

    def make(role):
        if role is None:
            return token_client()
        if role not in made:
            if role == "superuser":
                user = make_user(None, username="root", is_superuser=True, is_staff=True)
            elif role == "norole":
                user = make_user(None, username="nobody")
            else:
                user = make_user(role, username=f"{role}-user")
            made[role] = new_token(user)
        return token_client(made[role])

    return make


def new_permit_body(number="EXP-2020-00999", **overrides):
    body = {
        "number": number, "exporter": "L3Harris WESCAM", "exporter_email": "exports@example.com",
        "destination": "TR", "consignee": "Baykar", "end_user": "Turkish Armed Forces",
        "end_use": "UAV sensor payload", "status": "active", "issued_on": "2020-05-12",
        "valid_until": "2022-05-11",
        "items": [{"control_entry": "2-15.a", "description": "MX-15D EO/IR sensor",
                   "quantity": 7, "value": "3500000.00"}],
        "currency": "CAD",
    }
    body.update(overrides)
    return body


def evidence_body(**overrides):
    body = {"title": "Downed TB2 carried a CMX-15D", "summary": "Armenian MoD footage.",
            "source_type": "official", "source_reference": "https://example.org/mod",
            "observed_on": "2020-10-20", "diverted_to": "AZ", "location": "Nagorno-Karabakh",
            "credibility": "high", "control_entries": ["2-15"], "end_users": ["Baykar"]}
    body.update(overrides)
    return body


def assert_access(client_for, role, method, url, body, writers):
    """Reads: every role. Writes: ``writers`` (+ superuser). Others 403; anonymous 401."""
    client = client_for(role)
    response = getattr(client, method)(url, body, format="json") if body is not None else getattr(
        client, method)(url)
    if role is None:
        assert response.status_code == 401, response.content
        assert response["WWW-Authenticate"] == "Token"
        return response
    allowed = role != "norole" and (method == "get" or role == "superuser" or role in writers)
    if allowed:
        assert 200 <= response.status_code < 300, (role, method, url, response.status_code, response.content)
    else:
        assert response.status_code == 403, (role, method, url, response.status_code, response.content)
        assert "detail" in response.json()
    return response


