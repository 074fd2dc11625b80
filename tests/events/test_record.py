"""Events are a record: the runtime role cannot change them, and the ledger check
notices a decision whose event went missing."""

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from permits import checkpoints
from permits.events.models import Event
from tests.conftest import owner_database_url
from tests.factories import PermitFactory


@pytest.mark.django_db
@pytest.mark.parametrize("statement", [
    "UPDATE permits_event SET type = 'permit.cancelled' WHERE seq = %s",
    "DELETE FROM permits_event WHERE seq = %s",
])
def test_runtime_role_cannot_change_or_remove_an_event(statement):
    PermitFactory(number="EXP-REC-1")
    seq = Event.objects.order_by("seq").first().seq
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [seq])


@pytest.mark.django_db(transaction=True)
def test_verify_reports_a_decision_whose_event_was_removed():
    PermitFactory(number="EXP-REC-2")
    PermitFactory(number="EXP-REC-3")
    assert not [p for p in checkpoints.verify_ledger().problems if "event feed" in p.message]
    event = Event.objects.filter(type="permit.issued").order_by("-seq").first()
    with psycopg.connect(owner_database_url()) as conn:  # as the owner could
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        conn.execute("ALTER TABLE permits_event DISABLE TRIGGER USER")
        conn.execute("DELETE FROM permits_event WHERE seq = %s", [event.seq])
        conn.execute("ALTER TABLE permits_event ENABLE TRIGGER USER")
    problems = [p for p in checkpoints.verify_ledger().problems if "event feed" in p.message]
    assert [p.decision_id for p in problems] == [event.decision_id]
