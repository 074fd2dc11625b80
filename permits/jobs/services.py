"""Writes to the job table: start, claim, progress, finish, sweep.

A job is started inside the request's transaction and its task is queued
after commit (the broker is only a doorbell: the sweep rings again for a job
left queued). The worker claims it with one conditional UPDATE, so that a
task delivered twice runs once. The work and the ``done`` state commit in one
transaction: a worker that dies mid-way leaves nothing half applied, and the
sweep then marks the job failed.
"""

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ..core.errors import DomainError, InvalidInput
from .models import Job, JobKind, JobState

logger = logging.getLogger("permits.jobs")

# A queued job not claimed within this time had its doorbell lost (broker down): ring again.
REQUEUE_AFTER = dt.timedelta(minutes=2)
# A running job without a sign of life for this long lost its worker. Far above the
# longest single transaction we run (a 100,000-permit blanket decision: under a minute).
STALE_AFTER = dt.timedelta(minutes=15)
# Progress is written at most every this many items (one UPDATE each).
PROGRESS_STEP = 50


class JobGone(Exception):
    """The job is no longer this worker's (the sweep failed it): undo the work."""


def start_job(*, kind, created_by, params=None, payload=None, total=0):
    """Record a queued job and queue its task once the transaction commits."""
    job = Job.objects.create(kind=kind, created_by=created_by, params=params or {}, payload=payload,
                             progress_total=total)
    ring(job.pk)
    return job


def ring(job_id):
    """Queue the job's task after commit; a broker outage is logged, the sweep retries."""
    def enqueue():
        from ..tasks import run_job

        run_job.delay(job_id)

    transaction.on_commit(enqueue, robust=True)


def claim(job_id):
    """Move the job queued → running; True only for the one caller that moved it."""
    now = timezone.now()
    return bool(Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, started_at=now, updated_at=now, attempts=F("attempts") + 1,
    ))


class JobRejected(DomainError):
    """The work was refused as a whole (e.g. rows of an import): the job fails with this result."""

    def __init__(self, message, result=None):
        super().__init__(message)
        self.detail, self.result = message, result


class Progress:
    """Reports ``done`` of ``total`` on the job row, committed at once.

    Called only from a job's preparation, which runs outside the work's
    transaction, so that the page watching the job sees it move.
    """

    def __init__(self, job_id):
        self.job_id, self._last = job_id, -PROGRESS_STEP

    def __call__(self, done, total):
        if done - self._last < PROGRESS_STEP and done != total:
            return
        self._last = done
        updated = Job.objects.filter(pk=self.job_id, state=JobState.RUNNING).update(
            progress_done=min(done, total), progress_total=total, updated_at=timezone.now()
        )
        if not updated:
            raise JobGone(self.job_id)


def _handler(kind):
    from .. import imports
    from . import work

    return {JobKind.BLANKET_DECISION: work.blanket_decision, JobKind.IMPORT_PERMITS: imports.run_import_job}[kind]


def run(job_id):
    """Claim the job and do its work; a job already claimed (or finished) is left alone.

    Steps: claim (one conditional UPDATE); prepare the work outside any
    transaction, reporting progress (the handler returns what to apply); in
    one transaction apply it and mark the job done with its result (undone if
    the job stopped being ours meanwhile); on a domain error, mark it failed
    with the message, nothing written.
    """
    if not claim(job_id):
        return None
    job = Job.objects.get(pk=job_id)
    try:
        apply = _handler(job.kind)(job, Progress(job_id))
        with transaction.atomic():
            result = apply()
            finished = Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(
                state=JobState.DONE, result=result, progress_done=F("progress_total"),
                finished_at=timezone.now(), updated_at=timezone.now(),
            )
            if not finished:
                raise JobGone(job_id)
    except JobGone:
        logger.warning("Job %s was failed by the sweep while it ran; its work was undone", job_id)
        return None
    except JobRejected as exc:
        _fail(job_id, exc.detail, result=exc.result)
        return None
    except DomainError as exc:
        _fail(job_id, _domain_message(exc))
        return None
    except Exception:
        logger.exception("Job %s failed", job_id)
        _fail(job_id, _("The job failed unexpectedly; nothing was recorded. Try again or ask an administrator."))
        return None
    return result


def _domain_message(exc):
    if isinstance(exc, InvalidInput):
        return "; ".join(f"{key}: {' '.join(str(m) for m in messages)}" for key, messages in exc.errors.items())
    return str(getattr(exc, "detail", exc))


def _fail(job_id, message, result=None):
    Job.objects.filter(pk=job_id, state__in=(JobState.QUEUED, JobState.RUNNING)).update(
        state=JobState.FAILED, error=message, result=result, finished_at=timezone.now(), updated_at=timezone.now(),
    )


def sweep(*, now=None):
    """Ring again for jobs left queued; fail the running jobs whose worker died.

    Returns (requeued ids, failed ids). A failed job wrote nothing: its work
    and its ``done`` state commit together, and a worker still running one
    undoes its work when it finds the job failed.
    """
    now = now or timezone.now()
    requeued = list(Job.objects.filter(state=JobState.QUEUED, updated_at__lt=now - REQUEUE_AFTER)
                    .values_list("pk", flat=True))
    for job_id in requeued:
        # Moving updated_at spaces out the rings for a job whose broker stays down.
        Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(updated_at=now)
        ring(job_id)
    stale = Job.objects.filter(state=JobState.RUNNING, updated_at__lt=now - STALE_AFTER)
    failed = list(stale.values_list("pk", flat=True))
    if failed:
        Job.objects.filter(pk__in=failed, state=JobState.RUNNING).update(
            state=JobState.FAILED, finished_at=now, updated_at=now,
            error=_("The worker running this job stopped before it finished; nothing was recorded. Start it again."),
        )
    return requeued, failed
