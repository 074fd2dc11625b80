"""E-mail to exporters when a permit is suspended, cancelled, reinstated or amended,
or a decision on it is rescinded.

The notice is recorded as owed in the decision's own transaction (so it cannot
be lost), and sent after commit by a task that retries while the mail server
fails. Sending never blocks or undoes the decision.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import DecisionKind, ExporterNotice

logger = logging.getLogger(__name__)

NOTIFIED_KINDS = frozenset({DecisionKind.SUSPEND, DecisionKind.CANCEL, DecisionKind.REINSTATE,
                            DecisionKind.AMEND, DecisionKind.RESCIND})

_VERB = {
    DecisionKind.SUSPEND: "suspended",
    DecisionKind.CANCEL: "cancelled",
    DecisionKind.REINSTATE: "reinstated",
    DecisionKind.AMEND: "amended",
    DecisionKind.RESCIND: "corrected",
}


def record_owed_notices(decisions):
    """Inside the recording transaction: one owed notice per notifiable decision.

    Returns the ids of the decisions that now owe a notice.
    """
    notices = [
        ExporterNotice(decision=d, recipient=d.permit.exporter_email)
        for d in decisions
        if d.kind in NOTIFIED_KINDS and d.permit.exporter_email
    ]
    ExporterNotice.objects.bulk_create(notices, batch_size=5000)
    return [n.decision_id for n in notices]


def enqueue_after_commit(decision_ids):
    """Queue the sending once the decision is committed; a broker outage is logged,
    never raised (the owed rows are picked up by the periodic sweep)."""
    if not decision_ids:
        return

    def enqueue():
        from .tasks import send_exporter_notices

        send_exporter_notices.delay(list(decision_ids))

    transaction.on_commit(enqueue, robust=True)


def _message(decision):
    permit = decision.permit
    verb = _VERB[decision.kind]
    subject = f"Export permit {permit.number} {verb}"
    body = (
        f"Export permit {permit.number} ({permit.exporter}, destination {permit.destination_id}) "
        f"has been {verb}, effective {decision.effective_on.isoformat()}.\n\n"
        f"{_correction(decision)}"
        f"Authority: {decision.authority}\n"
        f"Reason: {decision.reason}\n\n"
        f"Decision reference: {decision.pk} (ledger hash {decision.hash}).\n"
    )
    return subject, body


def _correction(decision):
    """What an amendment changed, or which decision a rescission voided (empty for other kinds)."""
    if decision.kind == DecisionKind.AMEND and decision.changes:
        lines = "".join(f"  {field}: {before} -> {after}\n" for field, (before, after) in sorted(decision.changes.items()))
        return f"Changes:\n{lines}\n"
    if decision.kind == DecisionKind.RESCIND and decision.rescinds_id:
        return (f"Decision {decision.rescinds_id} was rescinded as recorded in error; "
                f"the permit is {decision.to_status} again.\n\n")
    return ""


def send_owed_notices(decision_ids=None):
    """Send the owed notices (all, or those of ``decision_ids``); return (sent, failed).

    Each notice is claimed with a row lock (SKIP LOCKED) and marked sent in the
    same transaction, so two workers never send the same one; a notice whose
    mail fails stays owed, with the error recorded, for the next attempt.
    """
    owed = ExporterNotice.objects.filter(sent_at__isnull=True)
    if decision_ids is not None:
        owed = owed.filter(decision_id__in=decision_ids)
    sent = failed = 0
    for decision_id in owed.order_by("decision_id").values_list("decision_id", flat=True):
        with transaction.atomic():
            notice = (
                ExporterNotice.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("decision__permit")
                .filter(pk=decision_id, sent_at__isnull=True)
                .first()
            )
            if notice is None:
                continue  # sent meanwhile, or being sent by another worker
            subject, body = _message(notice.decision)
            try:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [notice.recipient])
            except Exception as exc:  # the mail server's failure: record it, try again later
                logger.warning("Notice of decision %s not sent: %s", decision_id, exc)
                ExporterNotice.objects.filter(pk=decision_id).update(
                    attempts=notice.attempts + 1, last_error=str(exc)[:2000]
                )
                failed += 1
                continue
            ExporterNotice.objects.filter(pk=decision_id).update(
                sent_at=timezone.now(), attempts=notice.attempts + 1, last_error=""
            )
            sent += 1
    return sent, failed
