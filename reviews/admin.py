"""Evidence, flags and reviews in the admin: read-only (officials work them in the app)."""

from django.contrib import admin

from permits.admin import ReadOnlyInline, ReadOnlyMixin

from .models import DiversionEvidence, Finding, Flag, ReviewCase


@admin.register(DiversionEvidence)
class DiversionEvidenceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("title", "destination", "diverted_to", "source_type", "credibility", "status",
                    "observed_on", "flags_raised", "recorded_at")
    list_filter = ("status", "credibility", "source_type", ("destination", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "source_organisation", "source_reference")
    list_select_related = ("destination", "diverted_to")


@admin.register(Flag)
class FlagAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "permit", "evidence", "destination", "status", "relevance", "created_at",
                    "resolved_at", "resolved_by")
    list_filter = ("status", "relevance", ("destination", admin.RelatedOnlyFieldListFilter))
    search_fields = ("permit__number", "evidence__title")
    list_select_related = ("permit", "evidence", "destination", "resolved_by")


class FindingInline(ReadOnlyInline):
    model = Finding
    show_change_link = False
    fields = ("criterion", "risk", "rationale", "recorded_by", "updated_at")


@admin.register(ReviewCase)
class ReviewCaseAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("title", "destination", "status", "recommendation", "opened_by", "opened_at",
                    "decided_at")
    list_filter = ("status", "recommendation", ("destination", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title",)
    list_select_related = ("destination", "opened_by")
    inlines = [FindingInline]
