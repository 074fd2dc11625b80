"""Evidence and flags over the API: input serializer → service → output serializer."""

import base64

from django.conf import settings
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from permits.api.views import CODE_PARAMETER, ID_PARAMETER, get_destination, object_id
from permits.permissions import OfficialWrites, ReadOnly

from .. import attachments, services
from ..models import Attachment, DiversionEvidence, Flag
from . import serializers as s
from .filters import FlagFilter


def _evidence_queryset():
    return DiversionEvidence.objects.select_related("recorded_by")


def _flag_queryset():
    return Flag.objects.select_related("permit", "resolved_by")


@extend_schema(parameters=[CODE_PARAMETER])
class DestinationEvidence(generics.ListCreateAPIView):
    """Diversion evidence on a destination; officials record new evidence.

    The answer never waits for flagging: ``flagging`` is ``queued`` until the
    background task has raised the flags (``done``, with ``flags_raised``).
    """

    permission_classes = [OfficialWrites]
    serializer_class = s.EvidenceSerializer
    queryset = DiversionEvidence.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return self.queryset
        destination = get_destination(self.kwargs["code"])
        return _evidence_queryset().filter(destination=destination).order_by("-recorded_at", "-id")

    @extend_schema(request=s.EvidenceInput, responses={201: s.EvidenceSerializer}, examples=[OpenApiExample(
        "Physical recovery", request_only=True, value={
            "title": "Downed TB2 carried a CMX-15D", "summary": "Recovered unit made June 2020.",
            "source_type": "official", "source_reference": "https://example.org/statement",
            "observed_on": "2020-10-20", "diverted_to": "AZ", "location": "Nagorno-Karabakh",
            "credibility": "high", "control_entries": ["2-15"], "end_users": ["Baykar"]},
    )])
    def post(self, request, code):
        serializer = s.EvidenceInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        destination = get_destination(code)
        evidence = services.record_evidence(
            destination=destination, recorded_by=request.user, **serializer.validated_data
        )
        # Flagging may already have run (eager tasks in development): report what is stored.
        evidence.refresh_from_db(fields=["flagging_finished_at", "flags_raised"])
        return Response(s.EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[ID_PARAMETER])
class EvidenceDetail(generics.GenericAPIView):
    """One piece of evidence; officials re-grade it or change its status (``refuted`` clears its open flags)."""

    permission_classes = [OfficialWrites]
    serializer_class = s.EvidenceSerializer

    def get_object(self):
        evidence = _evidence_queryset().filter(pk=object_id(self.kwargs["pk"])).first()
        if evidence is None:
            raise Http404("No such evidence.")
        return evidence

    def get(self, request, pk):
        return Response(s.EvidenceSerializer(self.get_object()).data)

    @extend_schema(request=s.EvidenceUpdateInput, responses={200: s.EvidenceSerializer}, examples=[OpenApiExample(
        "Refute", request_only=True, value={"status": "refuted", "note": "The photograph predates the permits."},
    )])
    def patch(self, request, pk):
        serializer = s.EvidenceUpdateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        evidence = self.get_object()
        services.update_evidence(evidence=evidence, updated_by=request.user, **serializer.validated_data)
        return Response(s.EvidenceSerializer(_evidence_queryset().get(pk=evidence.pk)).data)


@extend_schema(parameters=[ID_PARAMETER])
class EvidenceAttachments(generics.GenericAPIView):
    """Documents kept with a piece of evidence; officials upload them (multipart ``file``)."""

    permission_classes = [OfficialWrites]
    serializer_class = s.AttachmentSerializer
    parser_classes = [MultiPartParser]
    queryset = Attachment.objects.none()  # for the schema generator: the rows are read per evidence

    def _evidence(self):
        evidence = DiversionEvidence.objects.filter(pk=object_id(self.kwargs["pk"])).first()
        if evidence is None:
            raise Http404("No such evidence.")
        return evidence

    @extend_schema(responses={200: s.AttachmentSerializer(many=True)})
    def get(self, request, pk):
        rows = Attachment.objects.filter(evidence=self._evidence()).select_related("uploaded_by")
        return Response(s.AttachmentSerializer(rows, many=True, context={"request": request}).data)

    @extend_schema(request={"multipart/form-data": s.AttachmentInput}, responses={201: s.AttachmentSerializer})
    def post(self, request, pk):
        evidence = self._evidence()
        refuse_oversized_upload(request)
        serializer = s.AttachmentInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        attachment = attachments.store_attachment(upload=serializer.validated_data["file"],
                                                  uploaded_by=request.user, evidence=evidence)
        return Response(s.AttachmentSerializer(attachment, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


def refuse_oversized_upload(request):
    """400 before the body is read when its declared length is past the limit (plus form overhead)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > attachments.max_bytes() + 64 * 1024:
        raise ValidationError({"file": [f"The file is larger than {settings.ATTACHMENT_MAX_MB} MB."]})


@extend_schema(parameters=[ID_PARAMETER], responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
class AttachmentDownload(generics.GenericAPIView):
    """The stored file, as a download (never shown inline), for every signed-in role."""

    permission_classes = [ReadOnly]

    def get(self, request, pk):
        attachment = Attachment.objects.filter(pk=object_id(pk)).first()
        if attachment is None:
            raise Http404("No such attachment.")
        return attachment_response(attachment)


def attachment_response(attachment):
    """A FileResponse that a browser saves and never renders or runs."""
    response = FileResponse(attachment.open(), as_attachment=True, filename=attachment.name,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    # RFC 9530: lets a client check the copy it received against the recorded hash.
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(attachment.sha256)).decode()}:"
    return response


class FlagList(generics.ListAPIView):
    permission_classes = [ReadOnly]
    serializer_class = s.FlagSerializer
    filterset_class = FlagFilter

    def get_queryset(self):
        return _flag_queryset().order_by("-created_at", "-id")


@extend_schema(parameters=[ID_PARAMETER])
class FlagDetail(generics.RetrieveAPIView):
    permission_classes = [ReadOnly]
    serializer_class = s.FlagSerializer

    def get_object(self):
        flag = _flag_queryset().filter(pk=object_id(self.kwargs["pk"])).first()
        if flag is None:
            raise Http404("No such flag.")
        return flag


@extend_schema(parameters=[ID_PARAMETER])
class FlagResolve(generics.GenericAPIView):
    """Clear or escalate an open flag (409 if it is not open)."""

    permission_classes = [OfficialWrites]
    serializer_class = s.FlagSerializer

    @extend_schema(request=s.ResolveInput, responses={200: s.FlagSerializer}, examples=[OpenApiExample(
        "Escalate", request_only=True, value={"resolution": "escalated", "note": "Matches the recovered unit."},
    )])
    def post(self, request, pk):
        serializer = s.ResolveInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        flag = _flag_queryset().filter(pk=object_id(pk)).first()
        if flag is None:
            raise Http404("No such flag.")
        services.resolve_flag(flag=flag, resolved_by=request.user, **serializer.validated_data)
        return Response(s.FlagSerializer(_flag_queryset().get(pk=flag.pk)).data)
