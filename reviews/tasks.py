import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import services

logger = logging.getLogger(__name__)

# Database outages are worth retrying; anything else is a bug and would fail
# the same way again (reconciliation retries it every minute regardless).
RETRY_ON = (OperationalError, InterfaceError)


@shared_task(
    name="reviews.tasks.flag_evidence",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=RETRY_ON,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=8,
)
def flag_evidence_task(evidence_id):
    """Raise the flags for one piece of evidence. Safe to run twice.

    The work is one transaction: a worker killed half-way writes nothing, and
    the redelivered message (or reconciliation) does it all again.
    """
    raised = services.flag_evidence(evidence_id=evidence_id)
    logger.info("flagging of evidence %s finished: %d flags raised", evidence_id, raised)
    return raised


@shared_task(
    name="reviews.tasks.reconcile_flagging",
    acks_late=True,
    autoretry_for=RETRY_ON,
    retry_backoff=2,
    retry_backoff_max=30,
    max_retries=3,
)
def reconcile_flagging(older_than_seconds=30):
    """Every minute: flag any evidence whose flagging has not finished.

    The database is the source of truth; this is the recovery path for a lost
    message, a dead broker at publish time or a worker killed mid-task. The
    age threshold leaves fresh evidence to its own task (running both is
    harmless, only wasted work). One failing record does not hold up the rest.
    """
    pending = services.evidence_awaiting_flagging(older_than_seconds=older_than_seconds)
    done = 0
    for evidence_id in pending:
        try:
            services.flag_evidence(evidence_id=evidence_id)
        except RETRY_ON:
            raise  # the database is down: retry the whole pass later
        except Exception:
            logger.exception("reconciliation could not flag evidence %s", evidence_id)
        else:
            done += 1
    if pending:
        logger.info("reconciliation flagged %d of %d evidence records", done, len(pending))
    return done


@shared_task(
    name="reviews.tasks.flag_permit",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=RETRY_ON,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=8,
)
def flag_permit_task(permit_id):
    """Flag a new or newly issued permit against its destination's evidence. Safe to run twice."""
    return services.flag_permit(permit_id=permit_id)
