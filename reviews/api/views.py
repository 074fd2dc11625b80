"""Evidence and flags over the API: input serializer → service → output serializer."""

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from permits.api.views import CODE_PARAMETER, ID_PARAMETER, get_destination, object_id
from permits.permissions import OfficialWrites, ReadOnly

from .. import services
from ..models import DiversionEvidence, Flag
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
class EvidenceDetail(generics.RetrieveAPIView):
    permission_classes = [ReadOnly]
    serializer_class = s.EvidenceSerializer

    def get_object(self):
        evidence = _evidence_queryset().filter(pk=object_id(self.kwargs["pk"])).first()
        if evidence is None:
            raise Http404("No such evidence.")
        return evidence


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
