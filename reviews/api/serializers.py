"""API serializers for evidence and flags: separate input and output."""

from rest_framework import serializers

from permits.api.serializers import CountryField, PatternField, StrictInput

from ..models import Credibility, EvidenceStatus, FlagStatus, Relevance, SourceReliability, SourceType


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    destination = serializers.CharField(source="destination_id")
    title = serializers.CharField()
    summary = serializers.CharField()
    source_type = serializers.ChoiceField(choices=SourceType.choices)
    source_organisation = serializers.CharField()
    source_reference = serializers.CharField()
    published_on = serializers.DateField(allow_null=True)
    observed_on = serializers.DateField()
    diverted_to = serializers.CharField(source="diverted_to_id", allow_null=True)
    location = serializers.CharField()
    credibility = serializers.ChoiceField(choices=Credibility.choices)
    source_reliability = serializers.ChoiceField(choices=SourceReliability.choices)
    control_entries = serializers.ListField(child=serializers.CharField())
    end_users = serializers.ListField(child=serializers.CharField())
    serial_numbers = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(choices=EvidenceStatus.choices)
    recorded_by = serializers.CharField(source="recorded_by.username", allow_null=True, default=None)
    recorded_at = serializers.DateTimeField()
    flagging = serializers.ChoiceField(choices=["queued", "done"],
                                       help_text="'done' once every flag for this evidence is raised.")
    flags_raised = serializers.IntegerField()


class EvidenceInput(StrictInput):
    title = serializers.CharField(max_length=300)
    summary = serializers.CharField(max_length=100_000, required=False, allow_blank=True)
    source_type = serializers.ChoiceField(choices=SourceType.choices)
    source_organisation = serializers.CharField(max_length=200, required=False, allow_blank=True)
    source_reference = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    published_on = serializers.DateField(required=False, allow_null=True)
    observed_on = serializers.DateField()
    diverted_to = CountryField(required=False, allow_null=True)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True)
    credibility = serializers.ChoiceField(choices=Credibility.choices)
    source_reliability = serializers.ChoiceField(choices=SourceReliability.choices, required=False)
    control_entries = serializers.ListField(child=PatternField(), required=False, max_length=200)
    end_users = serializers.ListField(child=serializers.CharField(max_length=200), required=False,
                                      max_length=200)
    serial_numbers = serializers.ListField(child=serializers.CharField(max_length=100), required=False,
                                           max_length=1000)
    status = serializers.ChoiceField(choices=EvidenceStatus.choices, required=False)


class FlagSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    permit = serializers.CharField(source="permit.number")
    evidence = serializers.IntegerField(source="evidence_id")
    destination = serializers.CharField(source="destination_id")
    status = serializers.ChoiceField(choices=FlagStatus.choices)
    relevance = serializers.ChoiceField(choices=Relevance.choices)
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolved_by = serializers.CharField(source="resolved_by.username", allow_null=True, default=None)
    resolution_note = serializers.CharField()


class ResolveInput(StrictInput):
    resolution = serializers.ChoiceField(choices=[FlagStatus.CLEARED, FlagStatus.ESCALATED])
    note = serializers.CharField(max_length=10_000)


class EvidenceUpdateInput(StrictInput):
    status = serializers.ChoiceField(choices=EvidenceStatus.choices, required=False)
    credibility = serializers.ChoiceField(choices=Credibility.choices, required=False)
    source_reliability = serializers.ChoiceField(choices=SourceReliability.choices, required=False)
    note = serializers.CharField(max_length=10_000, help_text="Why: kept in the audit trail; required.")


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    sha256 = serializers.CharField(help_text="SHA-256 of the stored bytes, lowercase hex.")
    content_type = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    download = serializers.SerializerMethodField(help_text="URL of the file (signed-in roles only).")

    def get_download(self, attachment) -> str:
        from django.urls import reverse

        path = reverse("api-attachment-download", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class AttachmentInput(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False, max_length=255)
