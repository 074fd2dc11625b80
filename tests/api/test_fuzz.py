"""Property-based run of the whole API from its own OpenAPI schema (schemathesis).

Every operation (GET, POST, PATCH) is called in-process through the WSGI app,
authenticated as each role, with generated valid and invalid input. Any
finding of the checks below fails the run. Examples are bounded so the file
runs in one to two minutes on two cores.
"""

import collections
import itertools

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import UserFactory

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, ignored_auth]
FUZZ_ROLES = ("official", "decision_maker", "reader", "auditor")


# Loaded once at collection, from the app itself (the schema view needs no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def in_process_app(db, world, settings, attachments_dir):
    """The register of ``world``, reachable through the WSGI app inside the test's transaction."""
    settings.API_THROTTLE_RATE = None  # the run sends far more than a client may
    # As Django's test client does: a request must not close the connection
    # that holds the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield world
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def role_tokens(db):
    tokens = {}
    for role in FUZZ_ROLES:
        user = UserFactory(role=role, username=f"fuzz-{role}")
        tokens[role] = AuthToken.objects.create(user=user, expiry=None)[1]
    return tokens


# Generated cases take the roles in turn, so each operation is called as every
# role (checked below) at a quarter of the cost of sending each case four times.
_turn = itertools.count()
ROLES_USED = collections.defaultdict(set)


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, print_blob=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema_for_every_role(case, in_process_app, role_tokens):
    role = FUZZ_ROLES[next(_turn) % len(FUZZ_ROLES)]
    ROLES_USED[case.operation.label].add(role)
    try:
        case.call_and_validate(headers={"Authorization": f"Token {role_tokens[role]}"}, checks=CHECKS)
    except Exception as exc:
        exc.add_note(f"authenticated as {role}")
        raise


def test_every_operation_was_called_as_every_role():
    if not ROLES_USED:
        pytest.skip("the fuzz run was not selected")
    operations = {op.label for op in (r.ok() for r in schema.get_all_operations())}
    assert set(ROLES_USED) == operations
    assert all(roles == set(FUZZ_ROLES) for roles in ROLES_USED.values()), dict(ROLES_USED)
