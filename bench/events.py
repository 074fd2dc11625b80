"""Figure 7: the events of a blanket suspension, written and delivered.

7a. Product: the outbox's part of a blanket suspension of the big destination's
    active permits (``outbox.record_decision_events``: one event per decision,
    its data from the decisions' serializer, one COPY), in a transaction that is
    rolled back. Baseline: a bare INSERT … SELECT of the same rows (constant
    data), rolled back too.
7b. The suspension committed with one webhook endpoint subscribed, then every
    delivery POSTed, signed, to a receiver on loopback by ``deliver_endpoint``
    (one worker: an endpoint is delivered by one worker at a time; endpoints go
    in parallel). Deliveries per second.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .blanket import BIG, REASON, _minister, active_count, purge_queue, reset
from .common import Figure, Timer, median

BASELINE_INSERT = """
INSERT INTO permits_event (event_id, type, time, permit_id, decision_id, data)
SELECT 'evt_' || md5(d.id::text), 'permit.suspended', now(), d.permit_id, NULL,
       '{"number": "x", "destination": "TR", "status": "suspended"}'::jsonb
  FROM permits_decision d WHERE d.batch = %s
"""


class _Receiver:
    def __init__(self):
        self.count = 0

        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.count += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bench"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _suspend(minister, day):
    from permits.services import record_blanket_decision

    return record_blanket_decision(destination=BIG, kind="suspend", reason=REASON, effective_on=day,
                                   decided_by=minister)


def _event_writing(minister, day):
    """(product seconds, baseline seconds) over the decisions of one suspension."""
    from django.db import connection, transaction

    from permits import ledger
    from permits.events import outbox
    from permits.models import Decision

    result = _suspend(minister, day)
    try:
        decisions = list(Decision.objects.filter(batch=result.batch).select_related("permit", "decided_by")
                         .order_by("id"))
        with transaction.atomic():
            ledger.lock_and_get_head()
            # The suspension wrote these events already: both sides write them
            # again without the decision link (unique per decision), then roll back.
            for decision in decisions:
                decision.pk = None
            sid = transaction.savepoint()
            with Timer() as product:
                outbox._copy_events(outbox.decision_event_rows(decisions, at=result.decisions[0].recorded_at))
            transaction.savepoint_rollback(sid)
            with Timer() as baseline, connection.cursor() as cursor:
                cursor.execute(BASELINE_INSERT, [result.batch])
            transaction.set_rollback(True)
    finally:
        reset(result.batch, vacuum=False)
    return product.seconds, baseline.seconds


def _delivering(minister, day):
    from permits.events import webhooks
    from permits.events.models import WebhookEndpoint

    receiver = _Receiver()
    endpoint, _secret = webhooks.create_endpoint(url=receiver.url, event_types=["permit.suspended"])
    try:
        result = _suspend(minister, day)
        with Timer() as t:
            delivered = webhooks.deliver_endpoint(endpoint.pk).delivered
        if delivered != result.affected or receiver.count != result.affected:
            raise RuntimeError(f"{delivered} delivered, {receiver.count} received, {result.affected} expected")
    finally:
        receiver.server.shutdown()
        reset(result.batch, vacuum=False)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()
    return result.affected / t.seconds


def run(runs=3):
    from permits.core.clock import today

    day = today()
    expected = active_count(day)
    minister = _minister()
    purge_queue()
    product, baseline, rates = [], [], []
    for i in range(runs):
        p, b = _event_writing(minister, day)
        product.append(p)
        baseline.append(b)
        rates.append(_delivering(minister, day))
        purge_queue()
        print(f"    run {i + 1}: events {p:.2f} s, bare INSERT … SELECT {b:.2f} s, "
              f"{rates[-1]:,.0f} deliveries/s", flush=True)
    written = Figure("7a", f"events of a blanket suspension of {expected:,} permits (outbox)", median(product),
                     "s", median(baseline), "bare INSERT … SELECT of the same rows", "ratio ≤ 5",
                     runs=product, baseline_runs=baseline)
    written.met = written.ratio is not None and written.ratio <= 5
    delivered = Figure("7b", f"{expected:,} signed webhook deliveries to a local receiver, one worker",
                       median(rates), "deliveries/s", runs=rates,
                       note="one endpoint is delivered by one worker at a time; endpoints in parallel")
    return [written, delivered]
