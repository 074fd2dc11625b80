"""Query filters of the permit list. Unknown countries, statuses or patterns → 400."""

import django_filters as filters
from drf_spectacular.utils import extend_schema_field
from django.db.models import Exists, OuterRef, Q
from rest_framework.exceptions import ValidationError

from ..matching import entry_q, is_valid_pattern
from ..models import Destination, Permit, PermitItem, PermitStatus
from ..selectors import current_status_q, text_search_q


def destination_code(value, field="destination"):
    """The upper-cased code of a known destination, or a 400 naming ``field``."""
    code = (value or "").strip().upper()
    if len(code) != 2 or not Destination.objects.filter(code=code).exists():
        raise ValidationError({field: ["Unknown country code (ISO 3166-1 alpha-2, e.g. TR)."]})
    return code


class PermitFilter(filters.FilterSet):
    destination = filters.CharFilter(method="filter_destination", max_length=10,
                                     help_text="ISO 3166-1 alpha-2 code, any case.")
    status = filters.ChoiceFilter(choices=PermitStatus.choices, method="filter_status",
                                  help_text="Status as shown today (a permit past valid_until is expired).")
    exporter = filters.CharFilter(field_name="exporter", lookup_expr="icontains", max_length=200)
    control_entry = filters.CharFilter(method="filter_control_entry", max_length=40,
                                       help_text="Entry pattern: '2-15' matches 2-15 and 2-15.a, not 2-150.")
    q = filters.CharFilter(method="filter_q", max_length=200,
                           help_text="Number, exporter, consignee, end user or item description.")
    flagged = filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")], method="filter_flagged",
        help_text="Has an open flag (true) or none (false).",
    )

    class Meta:
        model = Permit
        fields = []

    def filter_destination(self, queryset, name, value):
        return queryset.filter(destination_id=destination_code(value))

    def filter_status(self, queryset, name, value):
        return queryset.filter(current_status_q(value))

    def filter_control_entry(self, queryset, name, value):
        value = value.strip()
        if not is_valid_pattern(value):
            raise ValidationError({"control_entry": ["Not a control-list entry pattern (e.g. '2-15')."]})
        return queryset.filter(Exists(PermitItem.objects.filter(entry_q(value), permit=OuterRef("pk"))))

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Index-served (trigram) text search; the destination and status
        # filters are pushed into it so a broad word in a narrow list stays cheap.
        data = self.form.cleaned_data
        within = Q()
        if data.get("destination"):
            within &= Q(destination_id=destination_code(data["destination"]))
        if data.get("status"):
            within &= current_status_q(data["status"])
        return queryset.filter(text_search_q(value, within=within or None))

    @extend_schema_field({"type": "string", "enum": ["true", "false"]})
    def filter_flagged(self, queryset, name, value):
        return queryset.filter(open_flags__gt=0) if value == "true" else queryset.filter(open_flags=0)
