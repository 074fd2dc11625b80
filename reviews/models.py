"""The work on the register: diversion evidence, flags and review cases."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

import pgtrigger

from permits.models import Destination, Permit, choices_constraint


class SourceType(models.TextChoices):
    OFFICIAL = "official", _("Official statement")
    UN = "un", _("UN report")
    NGO = "ngo", _("NGO report")
    MEDIA = "media", _("Media")
    OSINT = "osint", _("Open-source intelligence")
    PHYSICAL_RECOVERY = "physical_recovery", _("Physical recovery")
    COMPANY = "company", _("Company")
    INTELLIGENCE = "intelligence", _("Intelligence")
    OTHER = "other", _("Other")


class Credibility(models.TextChoices):
    UNVERIFIED = "unverified", _("Unverified")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CORROBORATED = "corroborated", _("Corroborated")


class SourceReliability(models.TextChoices):
    """How reliable the source is: the first axis of the Admiralty code (STANAG 2511)."""

    A = "A", _("A — completely reliable")
    B = "B", _("B — usually reliable")
    C = "C", _("C — fairly reliable")
    D = "D", _("D — not usually reliable")
    E = "E", _("E — unreliable")
    F = "F", _("F — reliability cannot be judged")


class EvidenceStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("Unverified")
    UNDER_REVIEW = "under_review", _("Under review")
    CORROBORATED = "corroborated", _("Corroborated")
    REFUTED = "refuted", _("Refuted")


class DiversionEvidence(models.Model):
    """Evidence that goods were diverted, attached to the permits' destination.

    ``destination`` is where the permits were for (e.g. TR); ``diverted_to`` is
    where the goods were observed (e.g. AZ).
    """

    destination = models.ForeignKey(Destination, on_delete=models.PROTECT, related_name="evidence")
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    source_type = models.CharField(max_length=32, choices=SourceType.choices)
    source_organisation = models.CharField(max_length=200, blank=True)
    source_reference = models.CharField(max_length=1000, blank=True)
    published_on = models.DateField(null=True, blank=True)
    observed_on = models.DateField()
    diverted_to = models.ForeignKey(
        Destination, null=True, blank=True, on_delete=models.PROTECT, related_name="diverted_evidence"
    )
    location = models.CharField(max_length=200, blank=True)
    credibility = models.CharField(max_length=16, choices=Credibility.choices)
    source_reliability = models.CharField(
        max_length=1, choices=SourceReliability.choices, default=SourceReliability.F
    )
    control_entries = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    end_users = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    serial_numbers = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    status = models.CharField(max_length=16, choices=EvidenceStatus.choices, default=EvidenceStatus.UNVERIFIED)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    # The official's note on the latest re-grading or change of status; each
    # change (with its note and author) is kept in the audit trail.
    grading_note = models.TextField(blank=True)
    # Set by the flagging task when it has raised every flag; NULL means the
    # work is still owed (the reconciliation job looks for these).
    flagging_finished_at = models.DateTimeField(null=True, blank=True)
    flags_raised = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name_plural = "diversion evidence"
        indexes = [
            models.Index(
                fields=["recorded_at"], name="evidence_unflagged",
                condition=Q(flagging_finished_at__isnull=True),
            ),
        ]
        constraints = [
            choices_constraint("source_type", SourceType.choices),
            choices_constraint("credibility", Credibility.choices),
            choices_constraint("source_reliability", SourceReliability.choices),
            choices_constraint("status", EvidenceStatus.choices),
        ]

    def __str__(self):
        return self.title

    @property
    def flagging(self):
        return "done" if self.flagging_finished_at else "queued"


class FlagStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLEARED = "cleared", _("Cleared")
    ESCALATED = "escalated", _("Escalated")


class Relevance(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Flag(models.Model):
    """A permit put in front of an official because of a piece of evidence."""

    # No single-column foreign-key indexes: the composite indexes below lead
    # with each of these columns, and every index costs on each of the
    # hundred thousand inserts of a big flagging.
    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="flags", db_index=False)
    evidence = models.ForeignKey(DiversionEvidence, on_delete=models.PROTECT, related_name="flags", db_index=False)
    destination = models.ForeignKey(Destination, on_delete=models.PROTECT, related_name="flags", db_index=False)
    status = models.CharField(max_length=16, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    relevance = models.CharField(max_length=8, choices=Relevance.choices)
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["destination", "status", "relevance"], name="flag_queue"),
            # The flag queue's default page: open flags, newest first.
            models.Index(fields=["status", "-created_at", "-id"], name="flag_status_newest"),
            models.Index(fields=["permit", "status"], name="flag_permit_status"),
            # The open flags of one evidence are counted from this index alone.
            models.Index(fields=["evidence", "status"], name="flag_evidence_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["permit", "evidence"], name="flag_one_per_permit_evidence"),
            choices_constraint("status", FlagStatus.choices),
            choices_constraint("relevance", Relevance.choices),
            models.CheckConstraint(
                condition=Q(status=FlagStatus.OPEN, resolved_at__isnull=True)
                | (~Q(status=FlagStatus.OPEN) & Q(resolved_at__isnull=False)),
                name="flag_resolution_consistent",
            ),
        ]

    def __str__(self):
        return f"Flag {self.pk}: {self.permit_id} / evidence {self.evidence_id}"


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("Open")
    FINDINGS = "findings", _("Findings recorded")
    RECOMMENDED = "recommended", _("Recommendation submitted")
    DECIDED = "decided", _("Decided")
    CLOSED = "closed", _("Closed")


class Recommendation(models.TextChoices):
    NO_ACTION = "no_action", _("No action")
    SUSPEND = "suspend", _("Suspend")
    CANCEL = "cancel", _("Cancel")
    REINSTATE = "reinstate", _("Reinstate")


class ReviewCase(models.Model):
    """A review of permits to one destination, ending in a recommendation."""

    destination = models.ForeignKey(Destination, on_delete=models.PROTECT, related_name="reviews")
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    permits = models.ManyToManyField(Permit, related_name="reviews", blank=True)
    flags = models.ManyToManyField(Flag, related_name="reviews", blank=True)
    evidence = models.ManyToManyField(DiversionEvidence, related_name="reviews", blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    recommendation = models.CharField(max_length=16, choices=Recommendation.choices, blank=True)
    recommendation_rationale = models.TextField(blank=True)
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recommended_at = models.DateTimeField(null=True, blank=True)
    decision_batch = models.UUIDField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # The decision maker's reasons; for a lifecycle decision they are also on
    # each Decision row of ``decision_batch``, for "no action" only here.
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            choices_constraint("status", ReviewStatus.choices),
            models.CheckConstraint(
                condition=Q(recommendation="") | Q(recommendation__in=[v for v, _l in Recommendation.choices]),
                name="review_recommendation_valid",
            ),
        ]

    def __str__(self):
        return self.title


class Criterion(models.TextChoices):
    PEACE_SECURITY = "eipa_7_3_1_a", _("EIPA s.7.3(1)(a) — peace and security")
    IHL = "eipa_7_3_1_b_i", _("EIPA s.7.3(1)(b)(i) — serious violations of international humanitarian law")
    IHRL = "eipa_7_3_1_b_ii", _("EIPA s.7.3(1)(b)(ii) — serious violations of international human rights law")
    TERRORISM = "eipa_7_3_1_b_iii", _("EIPA s.7.3(1)(b)(iii) — terrorism")
    ORGANIZED_CRIME = "eipa_7_3_1_b_iv", _("EIPA s.7.3(1)(b)(iv) — transnational organized crime")
    GBV = "eipa_7_3_1_b_v", _(
        "EIPA s.7.3(1)(b)(v) — serious acts of gender-based violence or violence against women and children"
    )
    DIVERSION = "att_11", _("ATT Art. 11 — diversion")
    ASSURANCES = "assurances", _("Compliance with the end-use assurances")


class RiskLevel(models.TextChoices):
    NONE = "none", _("None")
    LOW = "low", _("Low")
    SUBSTANTIAL = "substantial", _("Substantial")


class Finding(models.Model):
    """An official's assessment of one legal criterion within a review."""

    review = models.ForeignKey(ReviewCase, on_delete=models.CASCADE, related_name="findings")
    criterion = models.CharField(max_length=24, choices=Criterion.choices)
    risk = models.CharField(max_length=16, choices=RiskLevel.choices)
    rationale = models.TextField()
    evidence = models.ManyToManyField(DiversionEvidence, related_name="findings", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="finding_one_per_criterion"),
            choices_constraint("criterion", Criterion.choices),
            choices_constraint("risk", RiskLevel.choices),
        ]

    def __str__(self):
        return f"{self.get_criterion_display()}: {self.risk}"


class Attachment(models.Model):
    """A document kept with a piece of evidence or a review case; never changed once stored.

    The stored name is the content's hash, never the uploader's file name
    (which is kept in ``name`` and sent back only in Content-Disposition).
    """

    evidence = models.ForeignKey(
        DiversionEvidence, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    review = models.ForeignKey(
        ReviewCase, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    # The file's name in the storage alias "attachments" (its SHA-256): the
    # storage is looked up when used, so settings decide where files go.
    stored_name = models.CharField(max_length=200)
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            # Exactly one owner: the evidence or the review case.
            models.CheckConstraint(
                condition=Q(evidence__isnull=False, review__isnull=True)
                | Q(evidence__isnull=True, review__isnull=False),
                name="attachment_one_owner",
            ),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="attachment_sha256_hex"),
        ]
        triggers = [
            # Like the ledger: an attachment, once recorded, is neither edited nor deleted.
            pgtrigger.Protect(name="attachment_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self):
        return self.name

    def open(self):
        from django.core.files.storage import storages

        return storages["attachments"].open(self.stored_name, "rb")


# --- Audit trail (database triggers; see permits/tracking.py) ---------------

from permits.tracking import audited  # noqa: E402

audited(model_name="DiversionEvidenceEvent")(DiversionEvidence)
audited(model_name="FlagEvent")(Flag)
audited(model_name="ReviewCaseEvent")(ReviewCase)
audited(model_name="FindingEvent")(Finding)


class ReviewCasePermit(ReviewCase.permits.through):
    class Meta:
        proxy = True


class ReviewCaseFlag(ReviewCase.flags.through):
    class Meta:
        proxy = True


class ReviewCaseEvidence(ReviewCase.evidence.through):
    class Meta:
        proxy = True


class FindingEvidence(Finding.evidence.through):
    class Meta:
        proxy = True


audited(model_name="ReviewCasePermitEvent")(ReviewCasePermit)
audited(model_name="ReviewCaseFlagEvent")(ReviewCaseFlag)
audited(model_name="ReviewCaseEvidenceEvent")(ReviewCaseEvidence)
audited(model_name="FindingEvidenceEvent")(FindingEvidence)
