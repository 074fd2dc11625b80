"""The permit register: destinations, permits, items, assurances and decisions."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Upper
from django.utils.translation import gettext_lazy as _

from .core.clock import today

PERMIT_NUMBER_RE = r"^[A-Za-z0-9][A-Za-z0-9-]{2,39}$"
CURRENCY_RE = r"^[A-Z]{3}$"
# The largest value of a PostgreSQL integer column (quantities, counters).
DATABASE_INT_MAX = 2_147_483_647
# The legal authority a decision cites unless it names another: EIPA s.10(1)
# to amend, suspend, cancel or reinstate a permit; s.7(1) to issue or deny one.
DEFAULT_AUTHORITY = "EIPA s.10(1)"
ISSUE_AUTHORITY = "EIPA s.7(1)"


def _trigram(field, name):
    """A trigram index serving ``field__icontains`` (Django compares UPPER(field::text))."""
    return GinIndex(OpClass(Upper(field), name="gin_trgm_ops"), name=name)


def choices_constraint(field, choices):
    """A CHECK constraint that backs an enumerated field in the database."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": [value for value, _label in choices]}),
        name=f"%(app_label)s_%(class)s_{field}_valid",
    )


class Destination(models.Model):
    """A country goods may be exported to; one row per ISO 3166-1 alpha-2 code."""

    code = models.CharField(primary_key=True, max_length=2)
    name = models.CharField(max_length=100)
    on_area_control_list = models.BooleanField(default=False)
    on_afccl = models.BooleanField(default=False)
    att_state_party = models.BooleanField(default=False)
    nato_member = models.BooleanField(default=False)
    eu_member = models.BooleanField(default=False)
    # Maintained set-based by the services that open and resolve flags.
    open_flags = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Z]{2}$"), name="destination_code_upper"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"


class MeasureKind(models.TextChoices):
    NEW_PERMITS_SUSPENDED = "new_permits_suspended", _("New permits suspended")
    PRESUMPTIVE_DENIAL = "presumptive_denial", _("Presumptive denial")
    EXISTING_HALTED = "existing_halted", _("Existing permits halted")
    CASE_BY_CASE = "case_by_case", _("Case-by-case review")


class DestinationMeasure(models.Model):
    """A country-wide policy in force from ``starts_on`` until ``ends_on`` (if any)."""

    destination = models.ForeignKey(Destination, on_delete=models.PROTECT, related_name="measures")
    kind = models.CharField(max_length=32, choices=MeasureKind.choices)
    scope = models.CharField(
        max_length=40, blank=True, help_text=_("Control-list entry pattern it covers, e.g. '2-'; blank for all goods")
    )
    notice_reference = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [
            choices_constraint("kind", MeasureKind.choices),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="measure_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.summary

    @property
    def summary(self):
        label = {
            MeasureKind.NEW_PERMITS_SUSPENDED: _("new permits suspended"),
            MeasureKind.PRESUMPTIVE_DENIAL: _("presumptive denial"),
            MeasureKind.EXISTING_HALTED: _("existing permits halted"),
            MeasureKind.CASE_BY_CASE: _("case-by-case review"),
        }[self.kind]
        scope = f" ({_('Group')} {self.scope.rstrip('-')})" if self.scope else ""
        text = f"{label}{scope} {_('since')} {self.starts_on.isoformat()}"
        if self.ends_on:
            text += f" {_('until')} {self.ends_on.isoformat()}"
        return str(text)

    def in_force_on(self, day):
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class PermitStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")
    DENIED = "denied", _("Denied")


# --- The read model: a permit's status on a day ------------------------------
# Defined here once; every page, API view, admin list, export and count asks it.
# The rule (API contract, "Permit lifecycle"): on day D the permit is in the
# status its decisions effective on or before D put it in, applied in recording
# order (pending when none did); an active or suspended permit is expired on
# every day after its valid_until, whether or not the daily job has recorded
# its `expire` decision yet.

# The statuses that lapse into "expired" once valid_until has passed.
LAPSING_STATUSES = frozenset({PermitStatus.ACTIVE, PermitStatus.SUSPENDED})


def lapsed_on(status, valid_until, day):
    """True when a permit in ``status`` with ``valid_until`` is expired by date on ``day``."""
    return status in LAPSING_STATUSES and valid_until is not None and day > valid_until


@dataclass(frozen=True)
class Standing:
    """A permit's status on a day, the day it entered it and the decision that put it there.

    ``decision`` is None when no decision did: a pending permit, or one expired
    by date before the daily job recorded it.
    """

    status: str
    since: dt.date
    decision: object = None


def standing_from(*, starts_on, valid_until, day, decision):
    """The rule above, once the last decision in effect on ``day`` (or None) is known.

    ``decision`` needs ``to_status`` and ``effective_on``. Used by the model and
    by the status endpoint's one-statement path, so both give one answer.
    """
    if decision is None:
        status, since = PermitStatus.PENDING, starts_on
    else:
        status, since = decision.to_status, decision.effective_on
    if lapsed_on(status, valid_until, day):
        return Standing(PermitStatus.EXPIRED, valid_until + dt.timedelta(days=1), None)
    return Standing(str(status), since, decision)


def _as_statuses(statuses):
    return [statuses] if isinstance(statuses, str) else list(statuses)


def status_today_q(statuses, day=None):
    """A filter for permits whose status on ``day`` (today or later) is one of ``statuses``.

    From today on, no decision takes effect later than the stored status says
    (decisions may not be dated after the day they are recorded), so the
    status is the stored one, or expired past valid_until. Expressed as plain
    conditions on status and valid_until, so that permit_status_validity and
    permit_dest_status serve it.
    """
    day = day or today()
    lapsing = sorted(LAPSING_STATUSES)
    in_time = Q(valid_until__isnull=True) | Q(valid_until__gte=day)
    q = Q(pk__in=[])
    for status in _as_statuses(statuses):
        if status == PermitStatus.EXPIRED:
            q |= Q(status=PermitStatus.EXPIRED) | Q(status__in=lapsing, valid_until__lt=day)
        elif status in LAPSING_STATUSES:
            q |= Q(status=status) & in_time
        else:
            q |= Q(status=status)
    return q


def standing_decisions(known_at=None):
    """The decisions that set a permit's status, as the register stood at ``known_at`` (None: now).

    The queryset form of ``Decision.counts_at``: not an amendment or a
    rescission, recorded by ``known_at``, and not rescinded by then.
    """
    decisions = Decision.objects.exclude(kind__in=NON_STANDING_KINDS)
    if known_at is None:
        return decisions.filter(rescission__isnull=True)
    return decisions.filter(recorded_at__lte=known_at).exclude(
        Exists(Decision.objects.filter(rescinds=OuterRef("pk"), recorded_at__lte=known_at))
    )


class PermitQuerySet(models.QuerySet):
    """Permits, with their status on a day defined once (see ``standing_from``)."""

    def with_status_on(self, day=None):
        """Annotate ``status_on_day``: the status on ``day`` (default today; None before the permit started)."""
        day = day or today()
        lapsed = Value(str(PermitStatus.EXPIRED))
        if day >= today():
            return self.annotate(status_on_day=Case(
                When(status__in=sorted(LAPSING_STATUSES), valid_until__lt=day, then=lapsed),
                default=F("status"), output_field=models.CharField(),
            ))
        # A past day: the last standing decision (in recording order) in effect
        # then, one probe of the (permit, id) index of decisions per permit.
        last = standing_decisions().filter(permit=OuterRef("pk"), effective_on__lte=day).order_by("-id")
        return self.alias(
            _decided_status=Coalesce(Subquery(last.values("to_status")[:1]), Value(str(PermitStatus.PENDING))),
        ).annotate(status_on_day=Case(
            When(starts_on__gt=day, then=Value(None)),
            When(_decided_status__in=sorted(LAPSING_STATUSES), valid_until__lt=day, then=lapsed),
            default=F("_decided_status"), output_field=models.CharField(),
        ))

    def in_status_on(self, day, statuses):
        """The permits whose status on ``day`` (None: today) is one of ``statuses`` (a value or several)."""
        day = day or today()
        if day >= today():
            return self.filter(status_today_q(statuses, day))
        return self.with_status_on(day).filter(status_on_day__in=_as_statuses(statuses))

    def count_by_status_today(self):
        """{status: n} of these permits by their status as shown today.

        Grouped on the stored status with, beside each count, how many are past
        valid_until (the lapsed ones move to "expired"): an index-only scan
        that groups on a column, about twice as fast on a big destination as
        grouping on the status_on_day expression.
        """
        day = today()
        rows = self.order_by().values("status").annotate(
            n=Count("*"), lapsed=Count("valid_until", filter=Q(valid_until__lt=day)),
        )
        counts = {}
        for row in rows:
            status, n, lapsed = row["status"], row["n"], row["lapsed"]
            if status in LAPSING_STATUSES and lapsed:
                counts[PermitStatus.EXPIRED.value] = counts.get(PermitStatus.EXPIRED.value, 0) + lapsed
                n -= lapsed
            counts[status] = counts.get(status, 0) + n
        return counts

    def in_force_on(self, day=None):
        """"Active permits": in force on ``day`` (default today). The one meaning of the word."""
        return self.in_status_on(day, [PermitStatus.ACTIVE])


class Permit(models.Model):
    number = models.CharField(
        max_length=40, unique=True, validators=[RegexValidator(PERMIT_NUMBER_RE)]
    )
    exporter = models.CharField(max_length=200)
    exporter_email = models.EmailField(blank=True)
    # Indexed by permit_dest_status (destination first): no separate FK index.
    destination = models.ForeignKey(
        Destination, on_delete=models.PROTECT, related_name="permits", db_index=False
    )
    consignee = models.CharField(max_length=200, blank=True)
    end_user = models.CharField(max_length=200, blank=True)
    end_use = models.CharField(max_length=500, blank=True)
    # Written only by permits.services (the lifecycle); see TRANSITIONS there.
    status = models.CharField(max_length=16, choices=PermitStatus.choices, default=PermitStatus.PENDING)
    received_on = models.DateField()
    issued_on = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    # The first day the permit existed in the register: issued_on when created
    # active, received_on when created pending. Decisions cannot predate it.
    starts_on = models.DateField()
    currency = models.CharField(max_length=3, default="CAD")
    # Maintained set-based by the services that open and resolve flags.
    # Deliberately in no index (not even a partial index's condition): its
    # bump for 100,000 permits at once then stays a HOT update.
    open_flags = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PermitQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "number"]
        indexes = [
            # Lists are ordered by (-starts_on, number): these serve a filtered
            # or unfiltered first page without sorting the whole register.
            # valid_until rides along: the status as shown today (a permit past
            # valid_until is expired) is then counted from the index alone.
            models.Index(fields=["destination", "status", "-starts_on", "number"], include=["valid_until"],
                         name="permit_dest_status"),
            models.Index(fields=["status", "valid_until"], name="permit_status_validity"),
            # One destination's list in date order whatever the status, e.g. "expired"
            # (stored, or active/suspended past valid_until), which is no one range of the index above.
            models.Index(fields=["destination", "-starts_on", "number"], include=["status", "valid_until"],
                         name="permit_dest_order"),
            models.Index(fields=["-starts_on", "number"], name="permit_list_order"),
            # Free-text search (`q`, `exporter`) over a million permits.
            _trigram("number", "permit_number_trgm"),
            _trigram("exporter", "permit_exporter_trgm"),
            _trigram("consignee", "permit_consignee_trgm"),
            _trigram("end_user", "permit_end_user_trgm"),
        ]
        constraints = [
            choices_constraint("status", PermitStatus.choices),
            models.CheckConstraint(condition=Q(number__regex=PERMIT_NUMBER_RE), name="permit_number_format"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(issued_on__isnull=True)
                | Q(valid_until__gte=models.F("issued_on")),
                name="permit_valid_after_issue",
            ),
            models.CheckConstraint(condition=Q(currency__regex=CURRENCY_RE), name="permit_currency_iso"),
        ]

    def __str__(self):
        return self.number

    def standing_on(self, day=None, *, decisions=None, known_at=None):
        """The permit's ``Standing`` on ``day`` (default today); None before the permit started.

        ``known_at`` (an aware datetime; None: now) asks as the register stood
        then: only decisions recorded by that instant count, and a rescission
        recorded later voids nothing yet. A rescinded decision counts for no
        day at all (it was void from the start); amendments and rescissions
        never set the status (``Decision.counts_at``). ``decisions`` (in id
        order, with ``rescission`` loaded) saves the query when the caller has them.
        """
        day = day or today()
        if day < self.starts_on:
            return None
        if decisions is None:
            decisions = self.decisions.select_related("rescission").order_by("id")
        cause, valid_until = None, self.valid_until
        amended_later = False
        for decision in decisions:
            if decision.effective_on <= day and decision.counts_at(known_at):
                cause = decision
            if (known_at is not None and not amended_later and decision.kind == DecisionKind.AMEND
                    and decision.recorded_at > known_at and "valid_until" in (decision.changes or {})):
                # The validity the register knew then: before the first later amendment of it.
                before = decision.changes["valid_until"][0]
                valid_until = dt.date.fromisoformat(before) if before else None
                amended_later = True
        return standing_from(starts_on=self.starts_on, valid_until=valid_until, day=day, decision=cause)

    def status_on(self, day=None, *, decisions=None, known_at=None):
        """The permit's status on ``day`` (default today); None before the permit started."""
        standing = self.standing_on(day, decisions=decisions, known_at=known_at)
        return None if standing is None else standing.status

    @property
    def status_today(self):
        """The status as shown today (lists, pages, exports), from the row alone.

        From today on the stored status is the decided one (see
        ``status_today_q``), so this is ``status_on(today())`` without a query.
        """
        return PermitStatus.EXPIRED if lapsed_on(self.status, self.valid_until, today()) else str(self.status)

    def get_status_today_display(self):
        return PermitStatus(self.status_today).label


class PermitItem(models.Model):
    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="items")
    control_entry = models.CharField(max_length=40, help_text=_("Export Control List entry, e.g. 2-15.a"))
    description = models.CharField(max_length=500)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    value = models.DecimalField(max_digits=15, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["id"]
        indexes = [
            # varchar_pattern_ops: serves both equality and the prefix LIKE of
            # entry matching whatever the database collation; with permit_id
            # in the index, "permits with an item under 2-15" is index-only.
            models.Index(OpClass(F("control_entry"), name="varchar_pattern_ops"), F("permit"),
                         name="item_control_entry"),
            _trigram("description", "item_description_trgm"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="item_quantity_positive"),
            models.CheckConstraint(condition=Q(value__gte=0), name="item_value_not_negative"),
        ]

    def __str__(self):
        return f"{self.control_entry} × {self.quantity}"


class AssuranceKind(models.TextChoices):
    EUC = "euc", _("End-user certificate (government)")
    END_USER_STATEMENT = "end_user_statement", _("End-user statement")
    END_USE_UNDERTAKING = "end_use_undertaking", _("End-use undertaking")
    NON_REEXPORT = "non_reexport", _("Non-re-export declaration")
    GOVERNMENT_ASSURANCE = "government_assurance", _("Government-to-government assurance")
    DELIVERY_VERIFICATION = "delivery_verification", _("Delivery verification certificate")
    IMPORT_CERTIFICATE = "import_certificate", _("International import certificate")
    INSPECTION_CONSENT = "inspection_consent", _("Consent to on-site inspection")


class Compliance(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    COMPLIED = "complied", _("Complied")
    BREACHED = "breached", _("Breached")


class EndUseAssurance(models.Model):
    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="assurances")
    kind = models.CharField(max_length=32, choices=AssuranceKind.choices)
    issuer = models.CharField(max_length=200)
    signatory = models.CharField(max_length=200, blank=True)
    end_user = models.CharField(max_length=200, blank=True)
    end_use = models.CharField(max_length=500, blank=True)
    reference = models.CharField(max_length=200, blank=True)
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    government_authenticated = models.BooleanField(default=False)
    reexport_clause = models.BooleanField(default=False)
    compliance = models.CharField(max_length=16, choices=Compliance.choices, default=Compliance.UNKNOWN)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            choices_constraint("kind", AssuranceKind.choices),
            choices_constraint("compliance", Compliance.choices),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(issued_on__isnull=True)
                | Q(expires_on__gte=models.F("issued_on")),
                name="assurance_expires_after_issue",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.issuer}"


class DecisionKind(models.TextChoices):
    ISSUE = "issue", _("Issue")
    DENY = "deny", _("Deny")
    SUSPEND = "suspend", _("Suspend")
    REINSTATE = "reinstate", _("Reinstate")
    CANCEL = "cancel", _("Cancel")
    EXPIRE = "expire", _("Expire")
    AMEND = "amend", _("Amend")
    RESCIND = "rescind", _("Rescind")


# Kinds that correct the record rather than move the status: an amendment keeps
# it, a rescission voids an earlier decision. Neither is the decision that put
# a permit in its status, so the read model looks past both.
NON_STANDING_KINDS = (DecisionKind.AMEND.value, DecisionKind.RESCIND.value)


class Decision(models.Model):
    """One status change of one permit. Append-only: never edited or deleted.

    ``hash`` is SHA-256 over the canonical content and ``previous_hash`` (the
    hash of the decision recorded just before it), so that all decisions form
    one tamper-evident chain in ``id`` order.
    """

    # Indexed by decision_permit_id (permit, id): no separate FK index.
    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="decisions", db_index=False)
    kind = models.CharField(max_length=16, choices=DecisionKind.choices)
    from_status = models.CharField(max_length=16, choices=PermitStatus.choices)
    to_status = models.CharField(max_length=16, choices=PermitStatus.choices)
    effective_on = models.DateField()
    recorded_at = models.DateTimeField()
    authority = models.CharField(max_length=200)
    reason = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    batch = models.UUIDField(null=True, blank=True, db_index=True)
    hash = models.CharField(max_length=64, unique=True)
    previous_hash = models.CharField(max_length=64)
    # An amendment's {"field": [before, after]}; null for every other kind.
    changes = models.JSONField(null=True, blank=True)
    # The decision a rescission voids. The voided row is never updated (the
    # ledger is append-only): "rescinded by" is this relation read backwards,
    # and one-to-one, so a decision is rescinded at most once.
    rescinds = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rescission"
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["permit", "id"], name="decision_permit_id")]
        constraints = [
            choices_constraint("kind", DecisionKind.choices),
            choices_constraint("from_status", PermitStatus.choices),
            choices_constraint("to_status", PermitStatus.choices),
            models.CheckConstraint(condition=~Q(reason=""), name="decision_reason_not_blank"),
            models.CheckConstraint(
                condition=Q(changes__isnull=True) | Q(kind="amend"), name="decision_changes_only_amend",
            ),
            models.CheckConstraint(
                condition=Q(rescinds__isnull=True, kind__in=["issue", "deny", "suspend", "reinstate", "cancel",
                                                              "expire", "amend"])
                | Q(rescinds__isnull=False, kind="rescind"),
                name="decision_rescinds_iff_rescind",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.permit_id} {self.effective_on}"

    @property
    def rescinded_by_id(self):
        """The id of the rescission that voided this decision, or None.

        Load with ``select_related("rescission")`` (or set the cache) to spare a query per row.
        """
        try:
            return self.rescission.pk
        except Decision.DoesNotExist:
            return None

    def counts_at(self, known_at=None):
        """True when this decision sets the status as the register stood at ``known_at`` (None: now).

        Amendments and rescissions never set it; a decision counts once it is
        recorded and until a rescission of it is recorded. Needs ``rescission`` loaded.
        """
        if self.kind in NON_STANDING_KINDS:
            return False
        if known_at is not None and self.recorded_at > known_at:
            return False
        try:
            rescission = self.rescission
        except Decision.DoesNotExist:
            return True
        return known_at is not None and rescission.recorded_at > known_at



class LedgerCheckpoint(models.Model):
    """A signed statement of the ledger's head: ``size`` decisions, the last one
    ``last_id`` with hash ``head``, at ``signed_at``. Append-only.

    ``signature`` is Ed25519 (base64) over the RFC 8785 canonical JSON of exactly
    {last_id, size, head, signed_at}; the key is outside the database, so a
    writer of these tables cannot sign a rewritten chain. See permits/checkpoints.py.
    """

    last_id = models.BigIntegerField()
    size = models.BigIntegerField()
    head = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    signature = models.CharField(max_length=88)
    key_id = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["last_id", "size", "head"], name="checkpoint_one_per_head"),
            models.CheckConstraint(condition=Q(size__gt=0, last_id__gt=0), name="checkpoint_not_empty"),
        ]

    def __str__(self):
        return f"Checkpoint {self.size} decisions, last {self.last_id}"


class ExporterNotice(models.Model):
    """An e-mail owed to the exporter about a decision (suspend, cancel, reinstate).

    Written in the decision's transaction, sent after commit by a task; the
    row is the record that the notice is owed and, once ``sent_at`` is set,
    that it went out (so that it goes out once).
    """

    decision = models.OneToOneField(Decision, primary_key=True, on_delete=models.PROTECT, related_name="notice")
    recipient = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], name="notice_unsent", condition=Q(sent_at__isnull=True)),
        ]

    def __str__(self):
        return f"Notice of decision {self.decision_id} to {self.recipient}"

# --- Audit trail and ledger protection (database triggers) -----------------
# Kept in one block: see permits/tracking.py for why the audit trail is built
# this way. Users and group membership belong to django.contrib.auth, so they
# are tracked through proxy models here (their triggers live in our migrations).

import pghistory  # noqa: E402
import pgtrigger  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from .tracking import audited  # noqa: E402

# Decisions are the legal record: the database refuses to change or remove one.
pgtrigger.register(
    pgtrigger.Protect(name="decision_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
)(Decision)

pgtrigger.register(
    pgtrigger.Protect(name="checkpoint_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
)(LedgerCheckpoint)

# A decision's row is its own record; its event adds the request it came from.
audited(model_name="DecisionEvent")(Decision)
# The counters are bookkeeping kept by the flag services; the flags themselves are audited.
audited(model_name="DestinationEvent", exclude=["open_flags"])(Destination)
audited(model_name="DestinationMeasureEvent")(DestinationMeasure)
audited(model_name="PermitEvent", exclude=["open_flags"])(Permit)
audited(model_name="PermitItemEvent")(PermitItem)
audited(model_name="EndUseAssuranceEvent")(EndUseAssurance)


class AuditedUser(User):
    """auth.User, as the audit trail sees it."""

    class Meta:
        proxy = True
        verbose_name = "user (audited)"


class AuditedUserGroup(User.groups.through):
    """A user's membership of a group (a role), as the audit trail sees it."""

    class Meta:
        proxy = True
        verbose_name = "group membership (audited)"


# Password hashes stay out of the trail; that a password changed does not.
audited(
    model_name="UserEvent",
    exclude=["password", "last_login"],
    extra_trackers=[pghistory.UpdateEvent("password_change", condition=pgtrigger.AnyChange("password"))],
)(AuditedUser)
audited(model_name="UserGroupEvent")(AuditedUserGroup)


class AuditedAuthToken(AuthToken):
    """An API token (knox), as the audit trail sees it: created, revoked or expired (deleted).

    The key itself is never stored (knox keeps its SHA-512 digest, the row's
    id); the trail records whose token it is, its visible prefix and expiry.
    """

    class Meta:
        proxy = True
        verbose_name = "API token (audited)"


# The digest (the primary key) is the event's object id; it is not repeated in the data.
audited(model_name="AuthTokenEvent", exclude=["digest"])(AuditedAuthToken)


from pghistory.models import Events  # noqa: E402


class AuditEvent(Events):
    """All audit events across the tracked tables, with their request context."""

    user = pghistory.ProxyField(
        "pgh_context__user",
        models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True,
                          db_constraint=False, related_name="+"),
    )
    username = pghistory.ProxyField("pgh_context__username", models.TextField(null=True))
    url = pghistory.ProxyField("pgh_context__url", models.TextField(null=True))
    method = pghistory.ProxyField("pgh_context__method", models.TextField(null=True))
    request_id = pghistory.ProxyField("pgh_context__request_id", models.TextField(null=True))
    # The client address (permits/core/client_address.py: TRUSTED_PROXY_HOPS).
    ip = pghistory.ProxyField("pgh_context__ip", models.TextField(null=True))

    class Meta:
        proxy = True
        verbose_name = "audit event"
        verbose_name_plural = "audit trail"


# Events of the register and their webhooks (issue 14): models of this app,
# kept in their own module.
from .events.models import (  # noqa: E402,F401
    Delivery, DeliveryAttempt, DeliveryState, Event, WebhookEndpoint, WebhookSecret,
)
# Long work in the background (permits/jobs/): imported here so that Django loads the model.
from .jobs.models import Job, JobKind, JobState  # noqa: E402,F401
