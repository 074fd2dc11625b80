"""Thin API views for the register: input serializer → service → output serializer."""

import re

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from .. import checkpoints, imports, selectors, services
from ..jobs import selectors as job_selectors
from ..jobs import services as jobs
from ..jobs import work
from ..models import PERMIT_NUMBER_RE, Decision, Destination, EndUseAssurance, JobKind, Permit
from ..permissions import DecisionMakerWrites, OfficialWrites, ReadOnly
from . import serializers as s
from .filters import PermitFilter

_NUMBER = re.compile(PERMIT_NUMBER_RE)
_CODE = re.compile(r"^[A-Za-z]{2}$")
_ID = re.compile(r"^[0-9]{1,18}$")

# Ids are matched as text in the URL (so that any segment gets a JSON 404) and documented as integers.
ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Numeric id.")
NUMBER_PARAMETER = OpenApiParameter(
    "number", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=PERMIT_NUMBER_RE,
    description="Permit number.", examples=[OpenApiExample("Permit", value="EXP-2020-00123")],
)
CODE_PARAMETER = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH,
    description="ISO 3166-1 alpha-2 country code, any case; unknown → 404.",
    examples=[OpenApiExample("Türkiye", value="TR")],
)


def object_id(value):
    """A database id from the path, or 404 for anything that is not one."""
    if not _ID.match(value or ""):
        raise Http404("No such object.")
    return int(value)


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

    def paginate_queryset(self, queryset):
        self.paginator.count_hint = self._count_hint()
        return super().paginate_queryset(queryset)

    def _count_hint(self):
        """``selectors.search_count`` for the request's filters (already validated by the filter backend)."""
        filterset = self.filterset_class(self.request.query_params, queryset=Permit.objects.none())
        if not filterset.is_valid():
            return None
        return selectors.search_count(**filterset.search_arguments())

    @extend_schema(request=s.PermitInput, responses={201: s.PermitCreatedSerializer}, examples=[OpenApiExample(
        "A permit issued by the licensing system", request_only=True, value={
            "number": "EXP-2020-00124", "exporter": "L3Harris WESCAM", "exporter_email": "exports@example.com",
            "destination": "TR", "consignee": "Baykar", "end_user": "Turkish Armed Forces",
            "end_use": "UAV sensor payload", "status": "active", "issued_on": "2020-05-12",
            "valid_until": "2022-05-11", "currency": "CAD",
            "items": [{"control_entry": "2-15.a", "description": "MX-15D EO/IR sensor", "quantity": 7,
                       "value": "3500000.00"}]},
    )])
    def post(self, request):
        data = _valid(s.PermitInput, request)
        permit = services.create_permit(recorded_by=request.user, **data)
        fresh = get_permit(permit.number, selectors.permit_detail_queryset())
        body = s.PermitDetailSerializer(fresh).data
        body["warnings"] = selectors.measure_warnings(fresh)
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[NUMBER_PARAMETER])
class PermitDetail(generics.RetrieveAPIView):
    permission_classes = [ReadOnly]
    serializer_class = s.PermitDetailSerializer

    def get_object(self):
        return get_permit(self.kwargs["number"], selectors.permit_detail_queryset())


@extend_schema(parameters=[NUMBER_PARAMETER])
class PermitStatusAsOf(generics.GenericAPIView):
    """The permit's status on a date (default today), the date it entered it and the decision that put it there."""

    permission_classes = [ReadOnly]
    serializer_class = s.StatusAsOfSerializer

    @extend_schema(parameters=[NUMBER_PARAMETER, OpenApiParameter(
        "as_of", OpenApiTypes.DATE, description="YYYY-MM-DD; default today. Before the permit started → 404.",
    ), OpenApiParameter(
        "known_at", OpenApiTypes.DATETIME,
        description="ISO 8601 timestamp with zone; default now. The status as the register stood at that "
                    "instant: only decisions recorded at or before it count. Naive or malformed → 400.",
    )], examples=[OpenApiExample("Suspended", response_only=True, value={
        "number": "EXP-2020-00123", "status": "suspended", "as_of": "2020-11-01",
        "known_at": "2020-11-01T17:00:00Z", "since": "2020-10-05",
        "decision": {"id": 17, "kind": "suspend", "effective_on": "2020-10-05", "authority": "EIPA s.10(1)",
                     "reason": "Credible reports of diversion."}})])
    def get(self, request, number):
        as_of = known_at = None
        if request.query_params:  # the common call has none: skip building the validator
            query = s.StatusQuery(data=request.query_params)
            query.is_valid(raise_exception=True)
            as_of = query.validated_data.get("as_of")
            known_at = query.validated_data.get("known_at")
        answer = selectors.status_of_number(number, as_of, known_at) if _NUMBER.match(number or "") else None
        if answer is None:
            raise Http404("No such permit.")
        return Response(s.status_representation(answer))


@extend_schema(parameters=[NUMBER_PARAMETER])
class PermitDecisions(generics.ListCreateAPIView):
    """The permit's decisions, oldest first; decision makers record new ones."""

    permission_classes = [DecisionMakerWrites]
    serializer_class = s.DecisionSerializer
    queryset = Decision.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return self.queryset
        permit = get_permit(self.kwargs["number"])
        return permit.decisions.select_related("decided_by", "permit", "rescission").order_by("id")

    @extend_schema(request=s.DecisionInput, responses={201: s.DecisionSerializer}, examples=[OpenApiExample(
        "Suspend", request_only=True, value={"kind": "suspend", "reason": "Credible reports of diversion.",
                                             "authority": "EIPA s.10(1)", "effective_on": "2020-10-05"},
    ), OpenApiExample(
        "Amend", request_only=True, value={"kind": "amend", "reason": "Delivery schedule extended.",
                                           "changes": {"valid_until": "2023-05-11",
                                                       "items": [{"id": 12, "quantity": 5, "value": "100.00"}]}},
    ), OpenApiExample(
        "Rescind", request_only=True, value={"kind": "rescind", "reason": "Cancellation recorded on the wrong permit.",
                                             "rescinds": 17},
    )])
    def post(self, request, number):
        data = _valid(s.DecisionInput, request)
        permit = get_permit(number)
        decision = services.record_decision(permit=permit, decided_by=request.user, **data)
        return Response(s.DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[NUMBER_PARAMETER])
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


@extend_schema(parameters=[ID_PARAMETER])
class AssuranceDetail(generics.GenericAPIView):
    """One assurance; officials record its compliance and notes."""

    permission_classes = [OfficialWrites]
    serializer_class = s.AssuranceSerializer

    def get_object(self):
        assurance = EndUseAssurance.objects.select_related("permit").filter(
            pk=object_id(self.kwargs["pk"])
        ).first()
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


@extend_schema(parameters=[CODE_PARAMETER])
class DestinationDetail(generics.RetrieveAPIView):
    permission_classes = [ReadOnly]
    serializer_class = s.DestinationSerializer

    def get_object(self):
        return get_destination(self.kwargs["code"], selectors.destination_with_counts_queryset())


@extend_schema(parameters=[CODE_PARAMETER])
class BlanketDecision(generics.GenericAPIView):
    """Apply one decision to every eligible permit of a destination, as one batch."""

    permission_classes = [DecisionMakerWrites]
    serializer_class = s.BlanketResultSerializer

    @extend_schema(request=s.BlanketDecisionInput, responses={201: s.BlanketResultSerializer, 202: s.JobSerializer},
                   examples=[
        OpenApiExample("Suspend every Group 2 permit", request_only=True, value={
            "kind": "suspend", "reason": "Use in Nagorno-Karabakh.", "authority": "EIPA s.10(1)",
            "effective_on": "2020-10-05", "control_entry": "2-"}),
    ])
    def post(self, request, code):
        """More than SYNC_BATCH_LIMIT candidates: 202 with a job whose result is the 201 body."""
        data = _valid(s.BlanketDecisionInput, request)
        destination = get_destination(code)
        # Fixed now: a job that runs later still decides with effect on the day asked.
        data["effective_on"] = data["effective_on"] or services.today()
        services.validate_blanket(**{k: data[k] for k in ("kind", "reason", "authority", "effective_on",
                                                          "control_entry")})
        candidates = services.blanket_candidates(destination=destination, kind=data["kind"],
                                                 effective_on=data["effective_on"],
                                                 control_entry=data["control_entry"]).count()
        if candidates > settings.SYNC_BATCH_LIMIT:
            with transaction.atomic():
                job = jobs.start_job(kind=JobKind.BLANKET_DECISION, created_by=request.user, total=candidates,
                                     params=work.blanket_params(destination=destination, **data))
            return _accepted(job)
        result = services.record_blanket_decision(destination=destination, decided_by=request.user, **data)
        return Response(s.BlanketResultSerializer(work.blanket_body(result)).data, status=status.HTTP_201_CREATED)


def _accepted(job):
    job.refresh_from_db()  # without a broker the job has already run
    return Response(s.JobSerializer(job).data, status=status.HTTP_202_ACCEPTED,
                    headers={"Location": reverse("api-job", args=[job.pk])})


class PermitImport(generics.GenericAPIView):
    """Import the licensing system's CSV or XLSX export as a background job (all or nothing)."""

    permission_classes = [OfficialWrites]
    serializer_class = s.JobSerializer
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": s.ImportInput}, responses={202: s.JobSerializer})
    def post(self, request):
        upload = request.data.get("file") if hasattr(request.data, "get") else None
        if upload is None or not hasattr(upload, "read"):
            raise ValidationError({"file": ["A CSV or XLSX file is required (multipart field 'file')."]})
        if upload.size > imports.MAX_BYTES:
            raise ValidationError({"file": [f"The file is larger than {imports.MAX_BYTES // (1024 * 1024)} MB."]})
        data = upload.read()
        try:
            imports.check_upload(data)
        except imports.FileRejected as exc:
            raise ValidationError({"file": [exc.detail]}) from exc
        with transaction.atomic():
            job = jobs.start_job(kind=JobKind.IMPORT_PERMITS, created_by=request.user, payload=data,
                                 params={"filename": str(upload.name or "")[:200]})
        return _accepted(job)


@extend_schema(parameters=[ID_PARAMETER])
class JobDetail(generics.RetrieveAPIView):
    """A background job: its state, progress, result and error. Its creator (and auditors) may read it."""

    permission_classes = [ReadOnly]
    serializer_class = s.JobSerializer

    def get_object(self):
        job = job_selectors.visible_jobs(self.request.user).filter(pk=object_id(self.kwargs["pk"])).first()
        if job is None:
            raise Http404("No such job.")
        return job


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class LedgerHead(generics.GenericAPIView):
    """The decision ledger's latest signed checkpoint (signed head).

    Witnesses keep copies; `python manage.py verify_decisions --checkpoint FILE`
    checks that the ledger still extends each one. Checkpoints are signed every
    few minutes and after each batch decision; before the first one (an empty
    ledger, or none signed yet) the answer is 404.
    """

    permission_classes = [ReadOnly]
    serializer_class = s.LedgerHeadSerializer

    @extend_schema(examples=[OpenApiExample("Signed head", response_only=True, value={
        "last_id": 1234, "size": 1234, "head": "9f2c" + "0" * 60, "signed_at": "2026-12-03T17:00:00.000000Z",
        "signature": "base64…", "key_id": "3a7b" + "0" * 60, "public_key": "base64…"})])
    def get(self, request):
        checkpoint = selectors.latest_checkpoint()
        if checkpoint is None:
            raise Http404("No checkpoint of the decision ledger has been signed yet.")
        return Response(s.LedgerHeadSerializer(checkpoints.statement(checkpoint)).data)
