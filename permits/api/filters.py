"""Query parameters of the permit list. Unknown countries, statuses or patterns → 400.

The FilterSet only parses and validates (and documents) the parameters: the
filtering is ``selectors.search_permits``, the one filter the pages use too.
"""

import django_filters as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from .. import selectors
from ..matching import is_valid_pattern
from ..models import Destination, Permit, PermitStatus


def destination_code(value, field="destination"):
    """The upper-cased code of a known destination, or a 400 naming ``field``."""
    code = (value or "").strip().upper()
    if len(code) != 2 or not Destination.objects.filter(code=code).exists():
        raise ValidationError({field: ["Unknown country code (ISO 3166-1 alpha-2, e.g. TR)."]})
    return code


def _parsed_only(queryset, name, value):
    # Each parameter is applied by search_permits in filter_queryset, not one by one.
    return queryset


class PermitFilter(filters.FilterSet):
    destination = filters.CharFilter(method=_parsed_only, max_length=10,
                                     help_text="ISO 3166-1 alpha-2 code, any case.")
    status = filters.ChoiceFilter(choices=PermitStatus.choices, method=_parsed_only,
                                  help_text="Status as shown today (a permit past valid_until is expired).")
    exporter = filters.CharFilter(method=_parsed_only, max_length=200, help_text="Contains, any case.")
    control_entry = filters.CharFilter(method=_parsed_only, max_length=40,
                                       help_text="Entry pattern: '2-15' matches 2-15 and 2-15.a, not 2-150.")
    q = filters.CharFilter(method=_parsed_only, max_length=200,
                           help_text="Number, exporter, consignee, end user or item description.")
    flagged = extend_schema_field({"type": "string", "enum": ["true", "false"]})(filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")], method=_parsed_only,
        help_text="Has an open flag (true) or none (false).",
    ))

    class Meta:
        model = Permit
        fields = []

    def search_arguments(self):
        """The validated parameters as ``selectors.search_permits`` keyword arguments (400 on a bad one)."""
        data = self.form.cleaned_data
        control_entry = (data.get("control_entry") or "").strip() or None
        if control_entry and not is_valid_pattern(control_entry):
            raise ValidationError({"control_entry": ["Not a control-list entry pattern (e.g. '2-15')."]})
        destination = data.get("destination")
        return {
            "destination": destination_code(destination) if destination else None,
            "status": data.get("status") or None,
            "exporter": data.get("exporter") or None,
            "control_entry": control_entry,
            "q": (data.get("q") or "").strip() or None,
            "flagged": {"true": True, "false": False}.get(data.get("flagged")),
        }

    def filter_queryset(self, queryset):
        return selectors.search_permits(queryset, **self.search_arguments())
