"""Reads of the permit register shared by the pages and the API."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Sum

from .matching import entry_q
from .models import Decision, Destination, Permit, PermitItem, PermitStatus
from .services import today


class NotStarted(Exception):
    """The permit did not exist yet on the date asked about (HTTP 404)."""


@dataclass
class StatusAsOf:
    number: str
    status: str
    as_of: dt.date
    since: dt.date | None
    decision: Decision | None


def status_as_of(permit, as_of=None, decisions=None):
    """The permit's status on ``as_of`` (default: today), from its decisions.

    Applies, in recording order, every decision effective on or before the
    date. A permit whose ``valid_until`` has passed is expired on every later
    date, whether or not the ``expire`` decision has been recorded yet.
    """
    as_of = as_of or today()
    if as_of < permit.starts_on:
        raise NotStarted(f"Permit {permit.number} had not started on {as_of.isoformat()}.")
    if decisions is None:
        decisions = list(permit.decisions.order_by("id"))
    status, since, cause = PermitStatus.PENDING, permit.starts_on, None
    for decision in decisions:
        if decision.effective_on <= as_of:
            status, since, cause = decision.to_status, decision.effective_on, decision
    if (
        status in (PermitStatus.ACTIVE, PermitStatus.SUSPENDED)
        and permit.valid_until is not None
        and as_of > permit.valid_until
    ):
        # Expired by date; the daily job's decision, once recorded and in
        # effect, is applied by the loop above instead.
        status, since, cause = PermitStatus.EXPIRED, permit.valid_until + dt.timedelta(days=1), None
    return StatusAsOf(number=permit.number, status=status, as_of=as_of, since=since, decision=cause)


def permit_detail_queryset():
    return (
        Permit.objects.select_related("destination")
        .prefetch_related(
            "items",
            "assurances",
            Prefetch("decisions", queryset=Decision.objects.select_related("decided_by").order_by("id")),
        )
        .annotate(total_value=Sum("items__value"))
    )


def permit_list_queryset():
    return Permit.objects.select_related("destination").prefetch_related("items")


def text_search_q(text, within=None):
    """Permits whose number, exporter, consignee, end user or an item's description contains ``text``.

    Written as ``pk IN (… UNION …)`` so that each branch uses its own trigram
    index (permits_permit and permits_permititem); an OR across the join, or
    an EXISTS under OR, would scan every permit. ``within`` (a Q on Permit)
    is pushed into both branches, so that a broad word inside a narrow filter
    (one destination, one status) combines the indexes instead of collecting
    every match in the register first.
    """
    permits = Permit.objects.order_by()
    items = PermitItem.objects.order_by()
    if within:
        permits = permits.filter(within)
        items = items.filter(permit__in=Permit.objects.filter(within).order_by().values("pk"))
    on_permit = permits.filter(
        Q(number__icontains=text) | Q(exporter__icontains=text)
        | Q(consignee__icontains=text) | Q(end_user__icontains=text)
    ).values("pk")
    on_items = items.filter(description__icontains=text).values("permit_id")
    return Q(pk__in=on_permit.union(on_items))


def search_permits(queryset=None, *, q=None, destination=None, status=None, exporter=None,
                   control_entry=None, flagged=None):
    """The permit list's filters (API and pages), each served by an index.

    ``destination`` a code, ``status`` a status value, ``exporter`` text
    (contains, any case), ``control_entry`` an entry pattern, ``q`` free text,
    ``flagged`` True/False (has an open flag). Validation is the caller's.
    """
    queryset = permit_list_queryset() if queryset is None else queryset
    narrow = Q()
    if destination:
        narrow &= Q(destination_id=destination.upper())
    if status:
        narrow &= Q(status=status)
    if exporter:
        narrow &= Q(exporter__icontains=exporter)
    if flagged is not None:
        narrow &= Q(open_flags__gt=0) if flagged else Q(open_flags=0)
    if narrow:
        queryset = queryset.filter(narrow)
    if control_entry:
        queryset = queryset.filter(
            Exists(PermitItem.objects.filter(entry_q(control_entry), permit=OuterRef("pk")))
        )
    if q:
        queryset = queryset.filter(text_search_q(q, within=narrow or None))
    return queryset


def destination_queryset():
    return Destination.objects.annotate(
        active_permits=Count("permits", filter=Q(permits__status=PermitStatus.ACTIVE))
    ).prefetch_related("measures")


def measures_in_force(destination, on_day=None):
    on_day = on_day or today()
    return [m for m in destination.measures.all() if m.in_force_on(on_day)]


# --- Status as shown today --------------------------------------------------
# A permit past its valid_until is expired whether or not the daily job has
# recorded the decision yet; lists, details and filters show it that way.

_EXPIRING = (PermitStatus.ACTIVE, PermitStatus.SUSPENDED)


def current_status(permit, on_day=None):
    on_day = on_day or today()
    if permit.status in _EXPIRING and permit.valid_until is not None and on_day > permit.valid_until:
        return PermitStatus.EXPIRED
    return permit.status


def current_status_q(status, on_day=None):
    """A filter on Permit for the status ``current_status`` would show."""
    on_day = on_day or today()
    lapsed = Q(status__in=_EXPIRING, valid_until__lt=on_day)
    if status == PermitStatus.EXPIRED:
        return Q(status=PermitStatus.EXPIRED) | lapsed
    if status in _EXPIRING:
        return Q(status=status) & ~lapsed
    return Q(status=status)


def destination_with_counts_queryset(on_day=None):
    """Destinations with ``active_permits`` counting only permits in force today."""
    on_day = on_day or today()
    in_force = Q(permits__status=PermitStatus.ACTIVE) & (
        Q(permits__valid_until__isnull=True) | Q(permits__valid_until__gte=on_day)
    )
    return Destination.objects.annotate(active_permits=Count("permits", filter=in_force)).prefetch_related(
        "measures"
    )
