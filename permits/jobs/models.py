"""The job row: the database, not the broker, is the source of truth for long work."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class JobKind(models.TextChoices):
    BLANKET_DECISION = "blanket_decision", _("Blanket decision")
    IMPORT_PERMITS = "import_permits", _("Permit import")


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Job(models.Model):
    """One piece of long work: what to do (``params``, ``payload``), how far it got, what came of it.

    A job's effects and its ``done`` state commit in one transaction, so a job
    that is not done has changed nothing.
    """

    kind = models.CharField(max_length=32, choices=JobKind.choices)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    # An uploaded file, kept with the job so that a re-queued job still has it.
    payload = models.BinaryField(null=True, blank=True, editable=False)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Moved on every claim and progress step: the sweep's sign of life.
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "permits"
        constraints = [
            models.CheckConstraint(condition=Q(state__in=JobState.values), name="job_state_valid"),
            models.CheckConstraint(condition=Q(kind__in=JobKind.values), name="job_kind_valid"),
            models.CheckConstraint(condition=Q(progress_done__lte=models.F("progress_total"))
                                   | Q(progress_total=0), name="job_progress_within_total"),
        ]
        # The sweep looks for unfinished jobs by age.
        indexes = [models.Index(fields=["state", "updated_at"], name="job_state_updated")]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def finished(self):
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def percent(self):
        if self.state == JobState.DONE:
            return 100
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0
