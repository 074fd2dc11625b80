"""Schemathesis' stateful phase: sequences of API calls linked by what earlier calls returned.

Links between operations (a created permit's number used by its decisions,
assurances and status; evidence and flag ids) are inferred by schemathesis
from the schema. Run as a superuser, who may call every operation, so that
sequences reach the writes. The check: never a server error.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error

from tests.factories import AssuranceFactory, EvidenceFactory, PermitFactory, UserFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(600)]


@pytest.fixture
def in_process(db, settings):
    settings.API_THROTTLE_RATE = None
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_stateful_sequences_never_fail_the_server(in_process):
    from reviews import services as review_services

    permit = PermitFactory(number="EXP-2020-00123")
    AssuranceFactory(permit=permit)
    review_services.flag_evidence(evidence_id=EvidenceFactory().pk)
    root = UserFactory(username="stateful-root", is_superuser=True, is_staff=True)
    token = AuthToken.objects.create(user=root)[1]

    calls = []

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            calls.append(case.operation.label)
            return {"headers": {"Authorization": f"Token {token}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            not_a_server_error_only = [not_a_server_error]
            case.validate_response(response, checks=not_a_server_error_only)

    Workflow.run(settings=settings(max_examples=40, stateful_step_count=6, deadline=None,
                                   derandomize=True, suppress_health_check=list(HealthCheck)))
    # Sequences really ran, through writes and into the reads their results link to.
    assert len(calls) > 50, calls
    assert any(label.startswith("POST") for label in calls), set(calls)
    # Reads of one object by the id or code an earlier answer gave (which of them
    # the derandomised sequences reach depends on the rest of the run).
    assert any(label.startswith("GET") and "{" in label for label in calls), set(calls)
