"""Figure 3: blanket suspension of the big destination's active permits.

Product: ``permits.services.record_blanket_decision`` — locks, status, one
decision per permit with its ledger hash, audit triggers on — then commit.
Baseline: a bare UPDATE of the same rows plus a bare INSERT … SELECT of the
decision rows (a placeholder hash), audit triggers off, committed.
"""

import datetime as dt

from .common import Figure, Timer, disable_user_triggers, enable_user_triggers, median, raw

BIG = "TR"
REASON = "Credible evidence of diversion to a conflict zone; permits suspended pending review."

BASELINE_UPDATE = """
UPDATE permits_permit SET status = 'suspended', updated_at = now()
WHERE destination_id = %(dest)s AND status = 'active' AND starts_on <= %(day)s
"""
BASELINE_INSERT = """
INSERT INTO permits_decision (permit_id, kind, from_status, to_status, effective_on, recorded_at, authority,
                              reason, decided_by_id, batch, hash, previous_hash)
SELECT id, 'suspend', 'active', 'suspended', %(day)s, now(), 'EIPA s.10(1)', %(reason)s, NULL, %(batch)s,
       md5(id::text || %(batch)s::text) || md5(%(batch)s::text || id::text), ''
FROM permits_permit WHERE destination_id = %(dest)s AND status = 'suspended' AND updated_at = now()
"""


def reset(batch, vacuum=True):
    """Undo a run (outside the clock): the decisions and their owed notices go,
    the permits are active again (triggers off: the ledger is append-only)."""
    with raw() as conn, conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute(
            "UPDATE permits_permit p SET status = 'active' FROM permits_decision d "
            "WHERE d.batch = %s AND d.permit_id = p.id", [batch])
        cur.execute("DELETE FROM permits_exporternotice n USING permits_decision d "
                    "WHERE d.batch = %s AND n.decision_id = d.id", [batch])
        # The decisions' events of the feed, and any webhook deliveries of them.
        cur.execute("DELETE FROM permits_deliveryattempt a USING permits_delivery v, permits_event e, "
                    "permits_decision d WHERE d.batch = %s AND e.decision_id = d.id AND v.event_id = e.seq "
                    "AND a.delivery_id = v.id", [batch])
        cur.execute("DELETE FROM permits_delivery v USING permits_event e, permits_decision d "
                    "WHERE d.batch = %s AND e.decision_id = d.id AND v.event_id = e.seq", [batch])
        cur.execute("DELETE FROM permits_event e USING permits_decision d "
                    "WHERE d.batch = %s AND e.decision_id = d.id", [batch])
        cur.execute("DELETE FROM permits_decision WHERE batch = %s", [batch])
        cur.execute("SET session_replication_role = DEFAULT")
        if vacuum:
            cur.execute("VACUUM (ANALYZE) permits_permit, permits_decision, permits_event")


def purge_queue():
    """No worker runs here: drop the queued notice e-mails (their rows are gone too)."""
    from config.celery import app

    app.control.purge()


def active_count(day):
    with raw() as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM permits_permit WHERE destination_id = %s AND status = 'active' "
                    "AND starts_on <= %s", [BIG, day])
        return cur.fetchone()[0]


def product_run(minister, day, expected):
    from permits.models import Destination
    from permits.services import record_blanket_decision

    destination = Destination.objects.get(pk=BIG)
    with Timer() as t:
        result = record_blanket_decision(destination=destination, kind="suspend", reason=REASON,
                                         effective_on=day, decided_by=minister)
    if result.affected != expected:
        raise RuntimeError(f"{result.affected} suspended, {expected} expected")
    return t.seconds, result.batch


def baseline_run(day, expected):
    import uuid

    batch = uuid.uuid4()
    with raw() as conn, conn.cursor() as cur:
        disable_user_triggers(cur, ["permits_permit", "permits_decision"])
        try:
            with Timer() as t:
                with conn.transaction():
                    cur.execute(BASELINE_UPDATE, {"dest": BIG, "day": day})
                    updated = cur.rowcount
                    cur.execute(BASELINE_INSERT, {"dest": BIG, "day": day, "reason": REASON, "batch": batch})
                    inserted = cur.rowcount
        finally:
            enable_user_triggers(cur, ["permits_permit", "permits_decision"])
    if updated != expected or inserted != expected:
        raise RuntimeError(f"baseline: {updated} updated, {inserted} inserted, {expected} expected")
    return t.seconds, batch


def _minister():
    from django.contrib.auth.models import Group, User

    user, _ = User.objects.get_or_create(username="bench-minister")
    user.groups.add(Group.objects.get(name="decision_maker"))
    return user


def run(runs=3):
    from permits.core.clock import today

    day = today()
    expected = active_count(day)
    minister = _minister()
    product, baseline = [], []
    purge_queue()
    for i in range(runs):
        seconds, batch = product_run(minister, day, expected)
        product.append(seconds)
        reset(batch, vacuum=False)
        seconds, batch = baseline_run(day, expected)
        baseline.append(seconds)
        reset(batch)
        purge_queue()
        print(f"    run {i + 1}: product {product[-1]:.2f} s, baseline {baseline[-1]:.2f} s", flush=True)
    figure = Figure("3", f"blanket suspension of {expected:,} active permits ({BIG})", median(product), "s",
                    median(baseline), "bare UPDATE + INSERT … SELECT", "ratio ≤ 3",
                    runs=product, baseline_runs=baseline)
    figure.met = figure.ratio is not None and figure.ratio <= 3
    return [figure]
