"""The outbox: events written in the transaction of the change they tell.

Ordering, and why a feed reader never misses an event: ``seq`` is drawn from
the event table's sequence only by a transaction that holds the ledger's
advisory lock (``ledger.lock_and_get_head``), which it keeps until it commits.
Every decision writer already holds it (``services._write_decisions``); a
permit created without a decision takes it here. So a transaction with a
higher seq cannot even start drawing numbers before the one with the lower
seq has committed (PostgreSQL makes a commit visible before it releases the
transaction's locks): seq order is commit order, and once a reader sees seq N
every event below N is either visible or never will be (rolled back). A
client paging with ``after=<last seq seen>`` therefore sees each event
exactly once. Gaps in seq (a rolled-back transaction) are harmless.
"""

import json
import uuid

from django.db import connection, transaction
from django.utils import timezone

from .. import ledger
from .models import WebhookEndpoint

# Decision kind -> event type; amend and rescind included so that the kinds
# work as soon as the lifecycle knows them.
EVENT_TYPE_OF_KIND = {
    "issue": "permit.issued",
    "deny": "permit.denied",
    "suspend": "permit.suspended",
    "reinstate": "permit.reinstated",
    "cancel": "permit.cancelled",
    "expire": "permit.expired",
    "amend": "permit.amended",
    "rescind": "decision.rescinded",
}
CREATED = "permit.created"

_EVENT_COLUMNS = ("event_id", "type", "time", "permit_id", "decision_id", "data")


def new_event_id():
    return "evt_" + uuid.uuid4().hex


def _decision_representation():
    """The decisions list's own serializer: one instance, so its fields are
    built once however many decisions (a blanket decision may hold 100,000)."""
    from ..api.serializers import DecisionSerializer

    return DecisionSerializer().to_representation


def decision_event_rows(decisions, *, at):
    represent = _decision_representation()
    for decision in decisions:
        permit = decision.permit
        yield (
            new_event_id(), EVENT_TYPE_OF_KIND[str(decision.kind)], at, permit.pk, decision.pk,
            json.dumps({
                "number": permit.number,
                "destination": permit.destination_id,
                "status": str(decision.to_status),
                "since": decision.effective_on.isoformat(),
                "decision": represent(decision),
            }, default=str),
        )


def _copy_events(rows):
    """COPY the rows in (one statement however many); return their (first, last) seq.

    Must run under the ledger lock: then nobody else draws from the sequence
    meanwhile, and the rows' seq are contiguous.
    """
    count = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY permits_event ({', '.join(_EVENT_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        if not count:
            return None
        cursor.execute("SELECT currval(pg_get_serial_sequence('permits_event', 'seq'))")
        last = cursor.fetchone()[0]
    return last - count + 1, last


def record_decision_events(decisions):
    """Inside ``_write_decisions`` (the ledger lock held): one event per decision,
    and a delivery per subscribed endpoint, set-based."""
    seq_range = _copy_events(decision_event_rows(decisions, at=timezone.now()))
    if seq_range:
        fan_out(*seq_range)


def record_permits_created(permits):
    """Inside the creating transaction: one permit.created event per permit, in one COPY.

    Takes the ledger lock first (see the module's docstring); the issue
    decisions that may follow take it again, which PostgreSQL allows.
    """
    if not permits:
        return
    ledger.lock_and_get_head()
    now = timezone.now()
    rows = [(new_event_id(), CREATED, now, permit.pk, None, json.dumps({
        "number": permit.number,
        "destination": permit.destination_id,
        "status": str(permit.status),
        "since": permit.received_on.isoformat(),
        "decision": None,
    })) for permit in permits]
    fan_out(*_copy_events(rows))


def fan_out(first_seq, last_seq):
    """Deliveries for events first_seq..last_seq to every active endpoint that
    wants their type (one INSERT … SELECT), and the workers' doorbell after commit."""
    endpoint_ids = list(WebhookEndpoint.objects.filter(is_active=True).values_list("id", flat=True))
    if not endpoint_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH added AS (
            INSERT INTO permits_delivery (endpoint_id, event_id, state, attempts, created_at,
                                          next_attempt_at, last_error)
            SELECT w.id, e.seq, 'pending', 0, now(), now(), ''
              FROM permits_event e
              JOIN permits_webhookendpoint w
                ON w.id = ANY(%s) AND (cardinality(w.event_types) = 0 OR e.type = ANY(w.event_types))
             WHERE e.seq BETWEEN %s AND %s
            ON CONFLICT (endpoint_id, event_id) DO NOTHING
            RETURNING endpoint_id)
            SELECT DISTINCT endpoint_id FROM added
            """,
            [endpoint_ids, first_seq, last_seq],
        )
        touched = {row[0] for row in cursor.fetchall()}
    ring_after_commit(touched)


def ring_after_commit(endpoint_ids):
    """Wake a worker per endpoint once committed; a broker outage is logged, never
    raised (the periodic sweep finds the due deliveries anyway)."""
    endpoint_ids = sorted(endpoint_ids)
    if not endpoint_ids:
        return

    def ring():
        from .tasks import deliver_webhooks

        for endpoint_id in endpoint_ids:
            deliver_webhooks.delay(endpoint_id)

    transaction.on_commit(ring, robust=True)
