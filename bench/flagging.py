"""Figure 2: evidence on the big destination → all its flags, through a real worker.

Product: ``reviews.services.record_evidence`` commits the evidence and rings
the broker; a real Celery worker (subprocess, real Redis) runs the flagging;
the clock stops when the evidence says flagging finished and every flag
exists. Baseline: one hand-written INSERT … SELECT producing the same rows
(same permits, relevance and reason), audit triggers off.
"""

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

from .common import Figure, Timer, disable_user_triggers, enable_user_triggers, median, raw

ROOT = Path(__file__).resolve().parent.parent
BIG = "TR"
LIVE = ["active", "pending", "suspended"]

BASELINE_SQL = """
INSERT INTO reviews_flag (permit_id, evidence_id, destination_id, status, relevance, reason, created_at,
                          resolution_note)
SELECT p.id, %(evidence)s, p.destination_id, 'open',
       CASE WHEN m.entries IS NOT NULL OR p.party THEN 'high' ELSE 'medium' END,
       concat_ws('; ', 'New evidence on ' || p.destination_id || ': ' || %(title)s,
                 'control entries named in the evidence match: ' || m.entries,
                 CASE WHEN p.party THEN 'a party named in the evidence is this permit''s consignee or end user' END),
       now(), ''
FROM (SELECT id, destination_id,
             lower(btrim(consignee)) = 'baykar' OR lower(btrim(end_user)) = 'baykar' AS party
      FROM permits_permit WHERE destination_id = %(dest)s AND status = ANY(%(live)s)) p
LEFT JOIN LATERAL (
    SELECT string_agg(DISTINCT i.control_entry, ', ' ORDER BY i.control_entry) AS entries
    FROM permits_permititem i
    WHERE i.permit_id = p.id AND (i.control_entry = '2-15' OR starts_with(i.control_entry, '2-15.'))
) m ON true
"""


def start_worker(log_path):
    env = dict(os.environ)
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
    )
    from config.celery import app

    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Celery worker exited at start-up (see {log_path})")
        try:
            if app.control.ping(timeout=0.5):
                return proc
        except Exception:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("the Celery worker did not answer within 60 s")


def stop_worker(proc):
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def reset():
    """Remove the run's flags and evidence and zero the counters (outside the clock)."""
    with raw() as conn, conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute("DELETE FROM reviews_flag")
        cur.execute("DELETE FROM reviews_diversionevidence")
        cur.execute("UPDATE permits_permit SET open_flags = 0 WHERE open_flags <> 0")
        cur.execute("UPDATE permits_destination SET open_flags = 0 WHERE open_flags <> 0")
        cur.execute("SET session_replication_role = DEFAULT")
        cur.execute("VACUUM (ANALYZE) reviews_flag")
        cur.execute("VACUUM permits_permit")


def expected_flags():
    with raw() as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM permits_permit WHERE destination_id = %s AND status = ANY(%s)",
                    [BIG, LIVE])
        return cur.fetchone()[0]


def product_run(expected, timeout=300):
    from permits.models import Destination
    from reviews.models import DiversionEvidence, Flag
    from reviews.services import record_evidence

    destination = Destination.objects.get(pk=BIG)
    with Timer() as t:
        evidence = record_evidence(
            destination=destination, title="Downed TB2 carried a CMX-15D", source_type="official",
            observed_on=dt.date(2020, 10, 20), credibility="high", control_entries=["2-15"],
            end_users=["Baykar"], diverted_to=Destination.objects.get(pk="AZ"),
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            done = DiversionEvidence.objects.filter(pk=evidence.pk, flagging_finished_at__isnull=False).exists()
            if done:
                break
            time.sleep(0.02)
        else:
            raise RuntimeError("flagging did not finish in time")
    count = Flag.objects.filter(evidence=evidence).count()
    if count != expected:
        raise RuntimeError(f"{count} flags raised, {expected} expected")
    return t.seconds


def baseline_run(expected, triggers):
    """The hand-written INSERT … SELECT; ``triggers``: with the audit trigger the
    table has as deployed (one event row per flag), or without any."""
    with raw() as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO reviews_diversionevidence (destination_id, title, summary, source_type, "
            "source_organisation, source_reference, observed_on, location, credibility, control_entries, "
            "end_users, serial_numbers, status, recorded_at, flags_raised, flagging_finished_at) "
            "VALUES (%s, 'baseline', '', 'official', '', '', '2020-10-20', '', 'high', '{2-15}', '{Baykar}', "
            "'{}', 'unverified', now(), 0, now()) RETURNING id", [BIG])
        (evidence_id,) = cur.fetchone()
        if not triggers:
            disable_user_triggers(cur, ["reviews_flag"])
        try:
            with Timer() as t:
                with conn.transaction():
                    if triggers:  # as the product does (see config.db.define_trigger_ignore_list)
                        cur.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")
                    cur.execute(BASELINE_SQL, {"evidence": evidence_id, "title": "Downed TB2 carried a CMX-15D",
                                               "dest": BIG, "live": LIVE})
                    inserted = cur.rowcount
        finally:
            if not triggers:
                enable_user_triggers(cur, ["reviews_flag"])
    if inserted != expected:
        raise RuntimeError(f"baseline inserted {inserted}, {expected} expected")
    return t.seconds


def run(runs=3, log_dir=ROOT / "bench" / "out"):
    log_dir.mkdir(parents=True, exist_ok=True)
    expected = expected_flags()
    reset()
    from config.celery import app

    app.control.purge()  # nothing but this benchmark's tasks on the queue
    worker = start_worker(log_dir / "celery-worker.log")
    product, baseline, bare = [], [], []
    try:
        for i in range(runs):
            product.append(product_run(expected))
            reset()
            baseline.append(baseline_run(expected, triggers=True))
            reset()
            bare.append(baseline_run(expected, triggers=False))
            reset()
            print(f"    run {i + 1}: product {product[-1]:.2f} s, baseline {baseline[-1]:.2f} s "
                  f"(audit trigger on), {bare[-1]:.2f} s (off)", flush=True)
    finally:
        stop_worker(worker)
    name = f"flagging: evidence on {BIG} → {expected:,} flags (real worker)"
    figure = Figure("2", name, median(product), "s", median(baseline),
                    "one INSERT … SELECT, audit trigger on as deployed", "ratio ≤ 2",
                    runs=product, baseline_runs=baseline)
    figure.met = figure.ratio is not None and figure.ratio <= 2
    strict = Figure("2b", name, median(product), "s", median(bare),
                    "the same INSERT … SELECT with the audit trigger off", "(ratio ≤ 2)",
                    runs=product, baseline_runs=bare,
                    note="the audit trail writes one event row per flag, which a bare INSERT skips")
    strict.met = strict.ratio is not None and strict.ratio <= 2
    return [figure, strict]
