"""API serializers for the register: separate input (what a client may send)
and output (what every role sees, chosen field by field)."""

from collections.abc import Mapping

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..matching import is_valid_pattern
from ..models import DATABASE_INT_MAX, AssuranceKind, Compliance, DecisionKind, Destination, PermitStatus
from ..selectors import measures_in_force
from ..services import BLANKET_KINDS, CLIENT_KINDS, DEFAULT_AUTHORITY



class StrictInput(serializers.Serializer):
    """Refuses fields it does not know, so a misspelt field is not silently ignored."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class CountryField(serializers.CharField):
    """An ISO 3166-1 alpha-2 code in any case; unknown → 400. Returns the Destination."""

    default_error_messages = {"unknown": "Unknown country code (ISO 3166-1 alpha-2, e.g. TR)."}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 2)
        kwargs.setdefault("min_length", 2)
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        code = super().run_validation(data)
        if not code:
            return code
        destination = Destination.objects.filter(code=code.upper()).first()
        if destination is None:
            self.fail("unknown")
        return destination

    def to_representation(self, value):
        return getattr(value, "code", value)


class PatternField(serializers.CharField):
    default_error_messages = {"pattern": "Not a control-list entry pattern (e.g. '2-', '2-15', '2-15.a')."}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not is_valid_pattern(value):
            self.fail("pattern")
        return value


# --- Output -----------------------------------------------------------------

class ItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The item's id, which an amendment names.")
    control_entry = serializers.CharField()
    description = serializers.CharField()
    quantity = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=15, decimal_places=2)


class DecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    permit = serializers.CharField(source="permit.number")
    kind = serializers.ChoiceField(choices=DecisionKind.choices)
    from_status = serializers.ChoiceField(choices=PermitStatus.choices)
    to_status = serializers.ChoiceField(choices=PermitStatus.choices)
    effective_on = serializers.DateField()
    recorded_at = serializers.DateTimeField()
    authority = serializers.CharField()
    reason = serializers.CharField()
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)
    batch = serializers.UUIDField(allow_null=True)
    hash = serializers.CharField()
    previous_hash = serializers.CharField()
    changes = serializers.DictField(
        child=serializers.ListField(min_length=2, max_length=2), allow_null=True,
        help_text="An amendment's changes: {\"field\": [before, after]} (items as \"items.12.quantity\"); "
                  "null for every other kind.",
    )
    rescinds = serializers.IntegerField(source="rescinds_id", allow_null=True,
                                        help_text="The decision this rescission voids; null unless 'rescind'.")
    rescinded_by = serializers.IntegerField(source="rescinded_by_id", allow_null=True,
                                            help_text="The rescission that voided this decision, or null.")


class AssuranceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    permit = serializers.CharField(source="permit.number")
    kind = serializers.ChoiceField(choices=AssuranceKind.choices)
    issuer = serializers.CharField()
    signatory = serializers.CharField()
    end_user = serializers.CharField()
    end_use = serializers.CharField()
    reference = serializers.CharField()
    issued_on = serializers.DateField(allow_null=True)
    expires_on = serializers.DateField(allow_null=True)
    government_authenticated = serializers.BooleanField()
    reexport_clause = serializers.BooleanField()
    compliance = serializers.ChoiceField(choices=Compliance.choices)
    notes = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PermitSerializer(serializers.Serializer):
    """A permit as lists show it."""

    number = serializers.CharField()
    exporter = serializers.CharField()
    exporter_email = serializers.CharField()
    destination = serializers.CharField(source="destination_id")
    consignee = serializers.CharField()
    end_user = serializers.CharField()
    end_use = serializers.CharField()
    status = serializers.SerializerMethodField()
    received_on = serializers.DateField()
    issued_on = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    starts_on = serializers.DateField()
    currency = serializers.CharField()
    open_flags = serializers.IntegerField()
    items = ItemSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ChoiceField(choices=PermitStatus.choices))
    def get_status(self, permit):
        # The read model's status as shown today (past valid_until: expired, recorded or not yet).
        return permit.status_today



class PermitDetailSerializer(PermitSerializer):
    total_value = serializers.DecimalField(max_digits=20, decimal_places=2)
    assurances = AssuranceSerializer(many=True)
    decisions = DecisionSerializer(many=True)


class PermitCreatedSerializer(PermitDetailSerializer):
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="Measures in force on the destination that cover these goods (e.g. a presumptive denial).",
    )


class StatusDecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=DecisionKind.choices)
    effective_on = serializers.DateField()
    authority = serializers.CharField()
    reason = serializers.CharField()


class StatusAsOfSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=PermitStatus.choices)
    as_of = serializers.DateField()
    known_at = serializers.DateTimeField(help_text="The instant the answer is as of: decisions recorded later "
                                                   "do not count.")
    since = serializers.DateField(allow_null=True)
    decision = StatusDecisionSerializer(allow_null=True)


def _iso_datetime(value):
    # As DRF's DateTimeField writes it (settings: UTC, ISO 8601 with "Z").
    return serializers.DateTimeField().to_representation(value)


def status_representation(answer):
    """``StatusAsOfSerializer(answer).data``, built directly.

    The status endpoint is the API's hot path (customs asks it at every
    crossing); building a DRF serializer deep-copies its fields on every call.
    The serializer above stays the documented shape, and a test holds the two
    to the same output.
    """
    cause = answer.decision
    return {
        "number": answer.number,
        "status": str(answer.status),
        "as_of": answer.as_of.isoformat(),
        "known_at": _iso_datetime(answer.known_at),
        "since": answer.since.isoformat() if answer.since is not None else None,
        "decision": None if cause is None else {
            "id": cause.id,
            "kind": str(cause.kind),
            "effective_on": cause.effective_on.isoformat(),
            "authority": cause.authority,
            "reason": cause.reason,
        },
    }


class LedgerHeadSerializer(serializers.Serializer):
    """The latest signed checkpoint of the decision ledger, as a witness keeps it."""

    last_id = serializers.IntegerField(help_text="Id of the last decision the checkpoint covers.")
    size = serializers.IntegerField(help_text="Number of decisions with id ≤ last_id.")
    head = serializers.CharField(help_text="SHA-256 (hex) chain hash of decision last_id.")
    signed_at = serializers.CharField(
        help_text="UTC time of signing, exactly as signed: YYYY-MM-DDTHH:MM:SS.ffffffZ."
    )
    signature = serializers.CharField(
        help_text="Base64 Ed25519 signature over the UTF-8 bytes of the RFC 8785 canonical JSON "
                  "of {last_id, size, head, signed_at}."
    )
    key_id = serializers.CharField(help_text="SHA-256 (hex, 64 digits) of the raw 32-byte public key.")
    public_key = serializers.CharField(help_text="Base64 of the raw 32-byte Ed25519 public key.")


class MeasureSerializer(serializers.Serializer):
    kind = serializers.CharField()
    scope = serializers.CharField()
    notice_reference = serializers.CharField()
    description = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    summary = serializers.CharField()


class DestinationSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    active_permits = serializers.IntegerField()
    open_flags = serializers.IntegerField()
    on_area_control_list = serializers.BooleanField()
    on_afccl = serializers.BooleanField()
    att_state_party = serializers.BooleanField()
    nato_member = serializers.BooleanField()
    eu_member = serializers.BooleanField()
    current_measures = serializers.SerializerMethodField()

    @extend_schema_field(MeasureSerializer(many=True))
    def get_current_measures(self, destination):
        return MeasureSerializer(measures_in_force(destination), many=True).data


class BlanketResultSerializer(serializers.Serializer):
    batch = serializers.UUIDField()
    affected = serializers.IntegerField()
    permits = serializers.ListField(child=serializers.CharField())


# --- Input ------------------------------------------------------------------

class ItemInput(StrictInput):
    control_entry = serializers.CharField(max_length=40)
    description = serializers.CharField(max_length=500)
    quantity = serializers.IntegerField(min_value=1, max_value=DATABASE_INT_MAX)
    value = serializers.DecimalField(max_digits=15, decimal_places=2, min_value=0)


class PermitInput(StrictInput):
    number = serializers.CharField(max_length=40)
    exporter = serializers.CharField(max_length=200)
    exporter_email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    destination = CountryField()
    consignee = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    end_user = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    end_use = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=[PermitStatus.ACTIVE, PermitStatus.PENDING],
                                     default=PermitStatus.ACTIVE)
    issued_on = serializers.DateField(required=False, allow_null=True, default=None)
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)
    received_on = serializers.DateField(required=False, allow_null=True, default=None)
    items = ItemInput(many=True, allow_empty=False, max_length=1000)
    currency = serializers.CharField(min_length=3, max_length=3, required=False, default="CAD")


class AmendItemInput(StrictInput):
    id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    quantity = serializers.IntegerField(min_value=1, max_value=DATABASE_INT_MAX, required=False)
    value = serializers.DecimalField(max_digits=15, decimal_places=2, min_value=0, required=False)


class AmendChangesInput(StrictInput):
    """What an amendment changes (at least one)."""

    valid_until = serializers.DateField(required=False)
    consignee = serializers.CharField(max_length=200, required=False, allow_blank=True, trim_whitespace=True)
    end_user = serializers.CharField(max_length=200, required=False, allow_blank=True, trim_whitespace=True)
    end_use = serializers.CharField(max_length=500, required=False, allow_blank=True, trim_whitespace=True)
    items = AmendItemInput(many=True, required=False, allow_empty=False, max_length=1000)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("At least one change is required.")
        return attrs


class DecisionInput(StrictInput):
    kind = serializers.ChoiceField(choices=sorted(CLIENT_KINDS))
    reason = serializers.CharField(max_length=10_000)
    authority = serializers.CharField(max_length=200, required=False, default=DEFAULT_AUTHORITY)
    effective_on = serializers.DateField(required=False, allow_null=True, default=None)
    valid_until = serializers.DateField(
        required=False, allow_null=True, default=None,
        help_text="Only with 'issue': the permit's validity; required when the pending permit has none.",
    )
    changes = AmendChangesInput(required=False, allow_null=True, default=None,
                                help_text="Only with 'amend' (and required there).")
    rescinds = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, allow_null=True, default=None,
        help_text="Only with 'rescind' (and required there): the id of the permit's latest standing decision.",
    )

    def validate(self, attrs):
        changes = attrs.get("changes")
        if changes is not None:
            # The service takes plain values: the items as a list of dicts.
            attrs["changes"] = {**changes, **({"items": [dict(i) for i in changes["items"]]}
                                              if "items" in changes else {})}
        return attrs


class BlanketDecisionInput(DecisionInput):
    kind = serializers.ChoiceField(choices=sorted(BLANKET_KINDS))
    valid_until = None  # blanket decisions never issue
    changes = None  # nor amend
    rescinds = None  # nor rescind
    control_entry = PatternField(required=False, allow_null=True, default=None)


class AssuranceInput(StrictInput):
    kind = serializers.ChoiceField(choices=AssuranceKind.choices)
    issuer = serializers.CharField(max_length=200)
    signatory = serializers.CharField(max_length=200, required=False, allow_blank=True)
    end_user = serializers.CharField(max_length=200, required=False, allow_blank=True)
    end_use = serializers.CharField(max_length=500, required=False, allow_blank=True)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True)
    issued_on = serializers.DateField(required=False, allow_null=True)
    expires_on = serializers.DateField(required=False, allow_null=True)
    government_authenticated = serializers.BooleanField(required=False)
    reexport_clause = serializers.BooleanField(required=False)
    compliance = serializers.ChoiceField(choices=Compliance.choices, required=False)
    notes = serializers.CharField(max_length=10_000, required=False, allow_blank=True)


class AssuranceUpdateInput(StrictInput):
    compliance = serializers.ChoiceField(choices=Compliance.choices, required=False)
    notes = serializers.CharField(max_length=10_000, required=False, allow_blank=True)


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 timestamp that names its zone (``Z`` or ``±HH:MM``); a naive one is refused.

    DRF would read a naive timestamp in the server's zone: a question about
    "what was known at T" must not depend on where the server runs.
    """

    default_error_messages = {
        "naive": "Give the time zone (e.g. 2020-10-07T12:00:00Z or 2020-10-07T08:00:00-04:00).",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


class StatusQuery(serializers.Serializer):
    as_of = serializers.DateField(required=False)
    known_at = AwareDateTimeField(
        required=False, help_text="ISO 8601 with zone; default now. Only decisions recorded by then count.",
    )




# --- Long work (permits/jobs/) ------------------------------------------------

class JobProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class JobSerializer(serializers.Serializer):
    """A job as its creator sees it; ``result`` is the finished work's answer (for a blanket
    decision, the 201 body), ``error`` why it failed (nothing was recorded then)."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    state = serializers.ChoiceField(choices=["queued", "running", "done", "failed"])
    progress = serializers.SerializerMethodField()
    result = serializers.JSONField(allow_null=True)
    error = serializers.SerializerMethodField()

    @extend_schema_field(JobProgressSerializer)
    def get_progress(self, job):
        return {"done": job.progress_done, "total": job.progress_total}

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_error(self, job):
        return job.error or None


class ImportInput(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (UTF-8) or XLSX, one row per item, with the columns of POST /api/v1/permits/.")
