"""Thin API views for the register: input serializer → service → output serializer."""

import re

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from .. import selectors, services
from ..models import PERMIT_NUMBER_RE, Decision, Destination, EndUseAssurance, Permit
from ..permissions import DecisionMakerWrites, OfficialWrites, ReadOnly
from . import serializers as s
from .filters import PermitFilter

_NUMBER = re.compile(PERMIT_NUMBER_RE)
_CODE = re.compile(r"^[A-Za-z]{2}$")


def get_permit(number, queryset=None):
    """The permit numbered ``number`` or 404 (malformed numbers never reach the database)."""
    if not _NUMBER.match(number or ""):
        raise Http404("No such permit.")
    permit = (queryset if queryset is not None else Permit.objects.all()).filter(number=number).first()
    if permit is None:
        raise Http404("No such permit.")
    return permit


def get_destination(code, queryset=None):
    if not _CODE.match(code or ""):
        raise Http404("No such country code.")
    destination = (queryset if queryset is not None else Destination.objects.all()).filter(
        code=code.upper()
    ).first()
    if destination is None:
        raise Http404("No such country code.")
    return destination


def _detail(permit):
    fresh = get_permit(permit.number, selectors.permit_detail_queryset())
    return s.PermitDetailSerializer(fresh).data


class PermitList(generics.ListCreateAPIView):
    """Permits in the register; officials record new ones from the licensing system."""

    permission_classes = [OfficialWrites]
    serializer_class = s.PermitSerializer
    filterset_class = PermitFilter

    def get_queryset(self):
        return selectors.permit_list_queryset().order_by("-starts_on", "number")

    @extend_schema(request=s.PermitInput, responses={201: s.PermitDetailSerializer})
    def post(self, request):
        data = _valid(s.PermitInput, request)
        permit = services.create_permit(recorded_by=request.user, **data)
        return Response(_detail(permit), status=status.HTTP_201_CREATED)


class PermitDetail(generics.RetrieveAPIView):
    permission_classes = [ReadOnly]
    serializer_class = s.PermitDetailSerializer

    def get_object(self):
        return get_permit(self.kwargs["number"], selectors.permit_detail_queryset())


class PermitStatusAsOf(generics.GenericAPIView):
    """The permit's status on a date (default today), the date it entered it and the decision that put it there."""

    permission_classes = [ReadOnly]
    serializer_class = s.StatusAsOfSerializer

    @extend_schema(parameters=[OpenApiParameter(
        "as_of", OpenApiTypes.DATE, description="YYYY-MM-DD; default today. Before the permit started → 404.",
    )])
    def get(self, request, number):
        query = s.StatusQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        permit = get_permit(number)
        answer = selectors.status_as_of(permit, query.validated_data.get("as_of"))
        return Response(s.StatusAsOfSerializer(answer).data)


class PermitDecisions(generics.ListCreateAPIView):
    """The permit's decisions, oldest first; decision makers record new ones."""

    permission_classes = [DecisionMakerWrites]
    serializer_class = s.DecisionSerializer
    queryset = Decision.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return self.queryset
        permit = get_permit(self.kwargs["number"])
        return permit.decisions.select_related("decided_by", "permit").order_by("id")

    @extend_schema(request=s.DecisionInput, responses={201: s.DecisionSerializer})
    def post(self, request, number):
        data = _valid(s.DecisionInput, request)
        permit = get_permit(number)
        decision = services.record_decision(permit=permit, decided_by=request.user, **data)
        return Response(s.DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


class PermitAssurances(generics.ListCreateAPIView):
    """The permit's end-use assurances; officials record new ones."""

    permission_classes = [OfficialWrites]
    serializer_class = s.AssuranceSerializer
    queryset = EndUseAssurance.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return self.queryset
        permit = get_permit(self.kwargs["number"])
        return permit.assurances.select_related("permit").order_by("id")

    @extend_schema(request=s.AssuranceInput, responses={201: s.AssuranceSerializer})
    def post(self, request, number):
        data = _valid(s.AssuranceInput, request)
        permit = get_permit(number)
        assurance = services.add_assurance(permit=permit, **data)
        return Response(s.AssuranceSerializer(assurance).data, status=status.HTTP_201_CREATED)


class AssuranceDetail(generics.GenericAPIView):
    """One assurance; officials record its compliance and notes."""

    permission_classes = [OfficialWrites]
    serializer_class = s.AssuranceSerializer

    def get_object(self):
        assurance = EndUseAssurance.objects.select_related("permit").filter(pk=self.kwargs["pk"]).first()
        if assurance is None:
            raise Http404("No such assurance.")
        return assurance

    def get(self, request, pk):
        return Response(s.AssuranceSerializer(self.get_object()).data)

    @extend_schema(request=s.AssuranceUpdateInput, responses={200: s.AssuranceSerializer})
    def patch(self, request, pk):
        data = _valid(s.AssuranceUpdateInput, request)
        assurance = services.update_assurance(assurance=self.get_object(), **data)
        return Response(s.AssuranceSerializer(assurance).data)


class DestinationList(generics.ListAPIView):
    """Every ISO 3166-1 country, with its policy facts and the measures in force today."""

    permission_classes = [ReadOnly]
    serializer_class = s.DestinationSerializer

    def get_queryset(self):
        return selectors.destination_with_counts_queryset().order_by("code")


class DestinationDetail(generics.RetrieveAPIView):
    permission_classes = [ReadOnly]
    serializer_class = s.DestinationSerializer

    def get_object(self):
        return get_destination(self.kwargs["code"], selectors.destination_with_counts_queryset())


class BlanketDecision(generics.GenericAPIView):
    """Apply one decision to every eligible permit of a destination, as one batch."""

    permission_classes = [DecisionMakerWrites]
    serializer_class = s.BlanketResultSerializer

    @extend_schema(request=s.BlanketDecisionInput, responses={201: s.BlanketResultSerializer})
    def post(self, request, code):
        data = _valid(s.BlanketDecisionInput, request)
        destination = get_destination(code)
        result = services.record_blanket_decision(destination=destination, decided_by=request.user, **data)
        body = {"batch": result.batch, "affected": result.affected, "permits": result.permit_numbers}
        return Response(s.BlanketResultSerializer(body).data, status=status.HTTP_201_CREATED)


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
