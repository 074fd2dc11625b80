import django_filters as filters
from django import forms

from permits.api.filters import destination_code

from ..models import Flag, FlagStatus, Relevance


class IdFilter(filters.NumberFilter):
    field_class = forms.IntegerField


class FlagFilter(filters.FilterSet):
    permit = filters.CharFilter(field_name="permit__number", max_length=40, help_text="Permit number.")
    destination = filters.CharFilter(method="filter_destination", max_length=10,
                                     help_text="ISO 3166-1 alpha-2 code, any case.")
    status = filters.ChoiceFilter(choices=FlagStatus.choices)
    evidence = IdFilter(field_name="evidence_id", min_value=1, max_value=2**63 - 1, help_text="Evidence id.")
    relevance = filters.ChoiceFilter(choices=Relevance.choices)

    class Meta:
        model = Flag
        fields = []

    def filter_destination(self, queryset, name, value):
        return queryset.filter(destination_id=destination_code(value))
