import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import mail_admins, send_mail

from . import ledger, notifications, services


@shared_task(name="permits.tasks.expire_permits")
def expire_permits():
    """Daily: record ``expire`` for permits past their validity (idempotent)."""
    result = services.expire_due_permits()
    return result.affected if result else 0


# --- Exporter notices and the ledger check (issue 5) -------------------------

logger = logging.getLogger("permits.ledger")


class NoticesNotSent(Exception):
    """Some owed notices could not be sent; the task retries."""


@shared_task(
    bind=True, name="permits.tasks.send_exporter_notices",
    autoretry_for=(NoticesNotSent,), retry_backoff=30, retry_backoff_max=3600,
    retry_jitter=True, max_retries=12,
)
def send_exporter_notices(self, decision_ids):
    """Send the notices owed for these decisions (idempotent: sent ones are skipped)."""
    sent, failed = notifications.send_owed_notices(decision_ids)
    if failed:
        raise NoticesNotSent(f"{failed} notice(s) not sent yet")
    return sent


@shared_task(name="permits.tasks.sweep_exporter_notices")
def sweep_exporter_notices():
    """Periodic: send any notice still owed (e.g. the broker was down at commit)."""
    sent, failed = notifications.send_owed_notices()
    return {"sent": sent, "failed": failed}


@shared_task(name="permits.tasks.verify_decision_ledger")
def verify_decision_ledger():
    """Daily: the whole check of verify_decisions (chain, signed checkpoints, statuses,
    audit trail); a problem is an error log and an e-mail to superusers."""
    from . import checkpoints

    report = checkpoints.verify_ledger()
    if report.ok:
        logger.info("Decision ledger verified: %s decisions, head %s, %s checkpoint(s)",
                    report.count, report.head, report.checkpoints)
        return {"ok": True, "verified": report.count}
    first = report.first_differing
    listed = "\n".join(f"- {problem.message}" for problem in report.problems[:50])
    where = f": the first decision that differs is decision {first}" if first is not None else ""
    message = (
        f"The decision ledger does not verify{where}. Decisions may have been altered outside "
        f"the application; investigate before relying on the record.\n\n{listed}"
    )
    logger.error("DECISION LEDGER BROKEN: %s", message)
    recipients = list(
        get_user_model().objects.filter(is_superuser=True, is_active=True)
        .exclude(email="").values_list("email", flat=True)
    )
    try:
        if recipients:
            send_mail("[ALERT] Decision ledger broken", message, settings.DEFAULT_FROM_EMAIL, recipients)
        else:
            mail_admins("[ALERT] Decision ledger broken", message)
    except Exception:
        logger.exception("Could not e-mail the ledger alert")
    return {"ok": False, "broken_at": first, "verified": report.count}


# --- Signed checkpoints of the ledger ------------------------------------------

@shared_task(name="permits.tasks.write_ledger_checkpoint")
def write_ledger_checkpoint():
    """Periodic, and after each batch decision: sign the ledger's head if it moved.

    Idempotent (nothing new, nothing written) and safe to run twice at once
    (the service serialises on a lock). A ledger that does not verify is not
    signed: that is an error log, and the daily check's e-mail follows.
    """
    from . import checkpoints

    try:
        checkpoint = checkpoints.write_checkpoint()
    except checkpoints.CheckpointRefused as exc:
        logger.error("LEDGER CHECKPOINT REFUSED: %s", exc)
        return {"ok": False, "error": str(exc)}
    try:
        # Catches up on copies a bucket outage missed.
        checkpoints.copy_to_storage()
    except Exception:
        logger.exception("Could not copy ledger checkpoint files to the bucket")
    if checkpoint is None:
        return {"ok": True, "written": False}
    logger.info("Ledger checkpoint signed: %s decisions, last %s, head %s",
                checkpoint.size, checkpoint.last_id, checkpoint.head)
    return {"ok": True, "written": True, "last_id": checkpoint.last_id, "size": checkpoint.size}


# Webhook deliveries (permits/events): registered with this app's tasks.
from .events.tasks import deliver_webhooks, sweep_webhook_deliveries  # noqa: E402,F401
# --- Long work in the background (permits/jobs/) -------------------------------

@shared_task(name="permits.tasks.run_job")
def run_job(job_id):
    """Run one job (idempotent: a job already claimed or finished is left alone)."""
    from .jobs import services as jobs

    jobs.run(job_id)


@shared_task(name="permits.tasks.sweep_jobs")
def sweep_jobs():
    """Periodic: ring again for jobs left queued; fail those whose worker died."""
    from .jobs import services as jobs

    requeued, failed = jobs.sweep()
    if failed:
        logging.getLogger("permits.jobs").error("Jobs failed by the sweep (worker lost): %s", failed)
    return {"requeued": requeued, "failed": failed}
