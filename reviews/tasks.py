import logging

from celery import shared_task
from django.db import OperationalError

from . import services

logger = logging.getLogger(__name__)


@shared_task(
    name="reviews.tasks.flag_evidence",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=8,
)
def flag_evidence_task(evidence_id):
    """Raise the flags for one piece of evidence. Safe to run twice."""
    return services.flag_evidence(evidence_id=evidence_id)


@shared_task(name="reviews.tasks.reconcile_flagging")
def reconcile_flagging():
    """Every minute: flag any evidence whose flagging has not finished.

    The database is the source of truth; this is the recovery path for a lost
    message, a dead broker at publish time or a worker killed mid-task.
    """
    pending = services.evidence_awaiting_flagging(older_than_seconds=30)
    for evidence_id in pending:
        services.flag_evidence(evidence_id=evidence_id)
    if pending:
        logger.info("reconciliation flagged %d evidence records", len(pending))
    return len(pending)
