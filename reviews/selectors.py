"""Reads for the officials' pages: queues, dossiers, destinations and reviews.

Every function returns querysets with the joins and prefetches its page
needs, so that a page runs the same number of queries for 5 rows or 200.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from permits.models import Decision, Permit, PermitStatus
from permits.selectors import per_row, permit_detail_queryset, status_counts_today

from .models import DiversionEvidence, Finding, Flag, FlagStatus, ReviewCase, ReviewStatus
from .services import WORKING_STATUSES

FLAG_SORTS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "relevance": ("relevance", "-created_at", "-id"),  # 'high' sorts before 'medium'
    "permit": ("permit__number", "-id"),
    "destination": ("destination__name", "-created_at", "-id"),
}


def flag_queue(*, destination=None, relevance=None, status=None, evidence=None, permit=None,
               sort="newest"):
    flags = Flag.objects.select_related("permit", "destination", "evidence", "resolved_by")
    if destination:
        flags = flags.filter(destination_id=destination)
    if relevance:
        flags = flags.filter(relevance=relevance)
    if status:
        flags = flags.filter(status=status)
    if evidence:
        flags = flags.filter(evidence_id=evidence)
    if permit:
        flags = flags.filter(permit__number=permit)
    return flags.order_by(*FLAG_SORTS.get(sort, FLAG_SORTS["newest"]))


def flagged_destinations():
    """Destinations that have any flag, for the queue's filter (one query)."""
    from permits.models import Destination

    # EXISTS probes the flag index once per country instead of joining every flag.
    return Destination.objects.filter(
        Exists(Flag.objects.filter(destination=OuterRef("pk")))
    ).order_by("name")


def open_reviews(destination_codes=None):
    # Reviews still being worked on: the ones flags can be escalated into.
    reviews = ReviewCase.objects.filter(status__in=WORKING_STATUSES).select_related("destination")
    if destination_codes is not None:
        reviews = reviews.filter(destination_id__in=destination_codes)
    return reviews.order_by("-opened_at", "-id")


def dashboard(*, is_official, is_decision_maker):
    since = timezone.now() - dt.timedelta(days=30)
    open_by_destination = list(
        Flag.objects.filter(status=FlagStatus.OPEN)
        .values("destination_id", "destination__name")
        .annotate(
            high=Count("id", filter=Q(relevance="high")),
            medium=Count("id", filter=Q(relevance="medium")),
            total=Count("id"),
        )
        .order_by("-total", "destination__name")
    )
    recent_evidence = list(
        DiversionEvidence.objects.filter(recorded_at__gte=since)
        .select_related("destination", "diverted_to")
        .order_by("-recorded_at", "-id")[:10]
    )
    evidence_count = DiversionEvidence.objects.filter(recorded_at__gte=since).count()
    recent_decisions = list(
        Decision.objects.select_related("permit", "decided_by").order_by("-id")[:10]
    )
    waiting = ReviewCase.objects.none()
    if is_decision_maker:
        waiting = ReviewCase.objects.filter(status=ReviewStatus.RECOMMENDED)
    elif is_official:
        waiting = ReviewCase.objects.filter(status__in=WORKING_STATUSES)
    waiting = list(
        waiting.select_related("destination", "opened_by")
        .annotate(permit_count=Count("permits", distinct=True))
        .order_by("opened_at", "id")[:20]
    )
    return {
        # "Active permits" as everywhere: in force today (permits_status_validity serves it).
        "permits_in_force": Permit.objects.in_force_on().count(),
        "open_by_destination": open_by_destination,
        "recent_evidence": recent_evidence,
        "evidence_count": evidence_count,
        "recent_decisions": recent_decisions,
        "waiting_reviews": waiting,
    }


def permit_dossier(number):
    permit = (
        permit_detail_queryset()
        .prefetch_related(
            Prefetch("flags", queryset=Flag.objects.select_related("evidence", "resolved_by", "destination")
                     .order_by("created_at", "id")),
            Prefetch("reviews", queryset=ReviewCase.objects.select_related(
                "opened_by", "recommended_by", "decided_by", "destination").order_by("opened_at", "id")),
        )
        .filter(number=number)
        .first()
    )
    return permit


@dataclass
class TimelineEvent:
    at: dt.datetime
    kind: str  # decision, evidence, flag, flag_resolved, review_opened, review_recommended, review_decided
    obj: object
    order: int = 0


def _start_of(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def permit_timeline(permit):
    """Decisions, evidence, flags and review events of one permit, in date order.

    Decisions are dated by when they take effect; the other events by when they
    were recorded. Built from the dossier's prefetched rows: no extra query.
    """
    events = []
    decisions = list(permit.decisions.all())
    for d in decisions:
        events.append(TimelineEvent(_start_of(d.effective_on), "decision", d, 0))
    standing = permit.standing_on(decisions=decisions)
    if standing is not None and standing.status == PermitStatus.EXPIRED and standing.decision is None:
        # Expired by date, before the daily job recorded it: the read model's
        # answer has no decision row, so the day it lapsed is shown instead.
        events.append(TimelineEvent(_start_of(standing.since), "lapsed", permit.valid_until, 0))
    seen_evidence = set()
    for f in permit.flags.all():
        if f.evidence_id not in seen_evidence:
            seen_evidence.add(f.evidence_id)
            events.append(TimelineEvent(_start_of(f.evidence.observed_on), "evidence", f.evidence, 1))
        events.append(TimelineEvent(f.created_at, "flag", f, 2))
        if f.resolved_at:
            events.append(TimelineEvent(f.resolved_at, "flag_resolved", f, 3))
    for r in permit.reviews.all():
        events.append(TimelineEvent(r.opened_at, "review_opened", r, 4))
        if r.recommended_at:
            events.append(TimelineEvent(r.recommended_at, "review_recommended", r, 5))
        if r.decided_at:
            events.append(TimelineEvent(r.decided_at, "review_decided", r, 6))
    events.sort(key=lambda e: (e.at, e.order))
    return events


def destination_permit_counts(destination):
    """(status, label, n) for every status: the destination's permits by their status as shown today."""
    # COUNT(*) grouped on status and valid_until: an index-only scan of (destination, status, …) INCLUDE valid_until.
    counts = status_counts_today(Permit.objects.filter(destination=destination))
    return [(value, label, counts.get(value, 0)) for value, label in PermitStatus.choices]


def destination_permits(destination):
    # Newest first (permit_dest_order): the stored status is not the order of
    # the status as shown, which the table and the counts above give.
    return (
        Permit.objects.filter(destination=destination)
        .prefetch_related("items")
        .order_by("-starts_on", "number")
    )


def destination_evidence(destination):
    return (
        DiversionEvidence.objects.filter(destination=destination)
        .select_related("diverted_to", "recorded_by")
        # A count per evidence from the (evidence, status) index, not a join over every flag.
        .annotate(open_flag_count=per_row(
            Flag.objects.filter(evidence=OuterRef("pk"), status=FlagStatus.OPEN), "evidence", Count("*"), 0))
        .order_by("-recorded_at", "-id")
    )


def evidence_flags(evidence_id):
    return (
        Flag.objects.filter(evidence_id=evidence_id)
        .select_related("permit", "destination", "resolved_by")
        .order_by("relevance", "permit__number")
    )


def review_list(*, status=None):
    reviews = ReviewCase.objects.select_related("destination", "opened_by").annotate(
        permit_count=Count("permits", distinct=True),
        finding_count=Count("findings", distinct=True),
    )
    if status:
        reviews = reviews.filter(status=status)
    return reviews.order_by("-opened_at", "-id")


def review_detail(pk):
    return (
        ReviewCase.objects.select_related("destination", "opened_by", "recommended_by", "decided_by")
        .prefetch_related(
            Prefetch("permits", queryset=Permit.objects.prefetch_related("items").order_by("number")),
            Prefetch("flags", queryset=Flag.objects.select_related("permit", "evidence", "resolved_by")
                     .order_by("id")),
            Prefetch("findings", queryset=Finding.objects.select_related("recorded_by")
                     .prefetch_related("evidence")),
        )
        .filter(pk=pk)
        .first()
    )


def review_evidence_choices(review):
    """Evidence a finding may cite: what concerns the review's destination."""
    return (
        DiversionEvidence.objects.filter(destination_id=review.destination_id)
        .order_by("-observed_on", "-id")
    )


def review_decisions(review):
    if not review.decision_batch:
        return []
    return list(
        Decision.objects.filter(batch=review.decision_batch).select_related("permit", "decided_by").order_by("id")
    )
