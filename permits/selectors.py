"""Reads of the permit register shared by the pages and the API."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from permits.core.db import prepared_cursor
from .core.errors import NotStarted  # noqa: F401 (raised here)

from django.utils import timezone

from .matching import entry_q
from .core.clock import today
from .models import Decision, Destination, LedgerCheckpoint, Permit, PermitItem, standing_from, status_today_q


@dataclass
class StatusAsOf:
    number: str
    status: str
    as_of: dt.date
    since: dt.date | None
    decision: Decision | None
    known_at: dt.datetime | None = None


def status_as_of(permit, as_of=None, decisions=None, known_at=None):
    """The permit's status on ``as_of`` (default: today) as the register stood at ``known_at``
    (default: now): ``Permit.standing_on`` with its number and dates.

    Raises NotStarted for a date before the permit started.
    """
    as_of = as_of or today()
    standing = permit.standing_on(as_of, decisions=decisions, known_at=known_at)
    if standing is None:
        raise NotStarted(f"Permit {permit.number} had not started on {as_of.isoformat()}.")
    return _answer(permit.number, as_of, standing, known_at)


def _answer(number, as_of, standing, known_at=None):
    return StatusAsOf(number=number, status=standing.status, as_of=as_of, since=standing.since,
                      decision=standing.decision, known_at=known_at or timezone.now())


# The read model's rule (Permit.standing_on, standing_decisions) in one
# statement: the last standing decision in effect on the day ($1) as the
# register stood at $2 ('infinity': now), and the valid_until known then (the
# "before" of the first amendment of it recorded later).
_STATUS_SQL = """
SELECT p.number, p.starts_on,
       COALESCE((SELECT (a.changes->'valid_until'->>0)::date FROM permits_decision a
                  WHERE a.permit_id = p.id AND a.kind = 'amend' AND a.recorded_at > %(known_at)s
                    AND a.changes ? 'valid_until'
                  ORDER BY a.id LIMIT 1), p.valid_until),
       d.id, d.kind, d.to_status, d.effective_on, d.authority, d.reason
FROM permits_permit p
LEFT JOIN LATERAL (
    SELECT s.id, s.kind, s.to_status, s.effective_on, s.authority, s.reason
    FROM permits_decision s
    WHERE s.permit_id = p.id AND s.effective_on <= %(as_of)s AND s.recorded_at <= %(known_at)s
      AND s.kind NOT IN ('amend', 'rescind')
      AND NOT EXISTS (SELECT 1 FROM permits_decision r WHERE r.rescinds_id = s.id AND r.recorded_at <= %(known_at)s)
    ORDER BY s.id DESC LIMIT 1
) d ON true
WHERE p.number = %(number)s
"""


def status_of_number(number, as_of=None, known_at=None):
    """``status_as_of`` for the permit numbered ``number``, in one query; None if there is none.

    The API's status endpoint is what customs calls at every border crossing:
    instead of the permit and then all its decisions, one statement returns
    the permit with the last decision (in recording order) in effect on the
    date, served by the unique number and the (permit, id) index of decisions.
    ``known_at`` (aware; default now) answers as the register stood then.
    """
    as_of = as_of or today()
    with prepared_cursor() as cursor:
        cursor.execute(_STATUS_SQL, {"as_of": as_of, "number": number,
                                     "known_at": known_at if known_at is not None else "infinity"})
        row = cursor.fetchone()
    if row is None:
        return None
    number, starts_on, valid_until, decision_id, *decision = row
    if as_of < starts_on:
        raise NotStarted(f"Permit {number} had not started on {as_of.isoformat()}.")
    cause = None
    if decision_id is not None:
        kind, to_status, effective_on, authority, reason = decision
        cause = Decision(id=decision_id, kind=kind, to_status=to_status, effective_on=effective_on,
                         authority=authority, reason=reason)
    # The SQL only finds the last decision in effect; the rule is the model's.
    return _answer(number, as_of, standing_from(starts_on=starts_on, valid_until=valid_until,
                                                day=as_of, decision=cause), known_at)


def permit_detail_queryset():
    return (
        Permit.objects.select_related("destination")
        .prefetch_related(
            "items",
            "assurances",
            Prefetch("decisions", queryset=Decision.objects.select_related("decided_by", "rescission")
                     .order_by("id")),
        )
        .annotate(total_value=Sum("items__value"))
    )


def per_row(rows, by, aggregate, default=None):
    """``aggregate`` over ``rows`` (filtered on an OuterRef) as a correlated subquery per outer row.

    ``by`` is the column that ties ``rows`` to the outer row. Unlike an
    aggregate over a join, it is computed only for the rows fetched, and
    counting the outer rows leaves it out.
    """
    value = Subquery(rows.order_by().values(by).annotate(value=aggregate).values("value"))
    return value if default is None else Coalesce(value, default)


def permit_list_queryset():
    return Permit.objects.select_related("destination").prefetch_related("items")


def text_search_q(text, within=None):
    """Permits whose number, exporter, consignee, end user or an item's description contains ``text``."""
    return Q(pk__in=text_search_matches(text, within))


def text_search_matches(text, within=None):
    """The ids of the permits ``text_search_q`` selects, each once (a UNION of two queries).

    Used as ``pk IN (… UNION …)`` so that each branch uses its own trigram
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
    return on_permit.union(on_items)


def search_permits(queryset=None, *, q=None, destination=None, status=None, exporter=None,
                   control_entry=None, flagged=None):
    """The permit list's filters (API and pages), each served by an index.

    ``destination`` a code, ``status`` a status value (the status as shown
    today: ``PermitQuerySet.in_status_on``'s rule), ``exporter`` text
    (contains, any case), ``control_entry`` an entry pattern, ``q`` free text,
    ``flagged`` True/False (has an open flag). Parsing and validation are the
    caller's (the API's FilterSet, the pages' form): this is the one filter.
    """
    queryset = permit_list_queryset() if queryset is None else queryset
    narrow = Q()
    if destination:
        narrow &= Q(destination_id=destination.upper())
    if status:
        narrow &= status_today_q(status)
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


def search_count(*, q=None, destination=None, status=None, exporter=None, control_entry=None, flagged=None):
    """How many permits ``search_permits`` selects, when one filter alone can be counted cheaply; else None.

    The lists' exact count otherwise visits every matching permit. Two
    filters, used alone, can be counted without the permits: an entry
    pattern, as the distinct permits of the matching items (read index-only
    from the covering (control_entry, permit_id) index), and free text, as the
    rows of its UNION of ids (already distinct). Anything else: None, and the
    caller counts its queryset.
    """
    if any(value not in (None, "") for value in (destination, status, exporter, flagged)) or bool(q) == bool(
        control_entry
    ):
        return None
    if control_entry:
        # Every match starts with the pattern: that prefix is one range of the
        # index, read index-only; the exact rule is checked on what it holds.
        # (Only here: as a filter of the list, the extra condition would make
        # the planner underestimate the matching items.)
        matching = PermitItem.objects.filter(control_entry__startswith=control_entry).filter(entry_q(control_entry))
        return matching.aggregate(n=Count("permit_id", distinct=True))["n"]
    return text_search_matches(q).count()


def measures_in_force(destination, on_day=None):
    on_day = on_day or today()
    return [m for m in destination.measures.all() if m.in_force_on(on_day)]


def _entry_matches(entry, pattern):
    # The contract's entry-matching rule (permits/matching.py), for a few items in Python.
    return entry == pattern or (pattern[-1] in "-." and entry.startswith(pattern)) or entry.startswith(pattern + ".")


def measure_warnings(permit, on_day=None):
    """Texts for the measures in force today on the permit's destination that cover its goods.

    A measure with no scope covers every item; a scoped one (e.g. '2-', Group 2)
    those whose control entry it matches. Shown to the official who records
    or issues the permit: the register does not refuse it, the official decides.
    """
    entries = [item.control_entry for item in permit.items.all()]
    warnings = []
    for measure in measures_in_force(permit.destination, on_day):
        if measure.scope and not any(_entry_matches(e, measure.scope) for e in entries):
            continue
        text = f"{permit.destination.name}: {measure.summary}"
        if measure.notice_reference:
            text += f" — {measure.notice_reference}"
        warnings.append(text)
    return warnings


def active_permits_count():
    """``active_permits`` per destination: permits in force today (``PermitQuerySet.in_force_on``).

    A count per destination row (from (destination, status, …) INCLUDE
    valid_until, index-only), not a join of every permit.
    """
    in_force = Permit.objects.in_force_on().filter(destination=OuterRef("pk"))
    return per_row(in_force, "destination", Count("*"), 0)


def destination_with_counts_queryset():
    """Destinations with ``active_permits``: their permits in force today."""
    return Destination.objects.annotate(active_permits=active_permits_count()).prefetch_related("measures")


def status_counts_today(permits):
    """{status: n} for ``permits`` by their status as shown today (one GROUP BY, index-only per destination)."""
    return permits.count_by_status_today()


def latest_checkpoint():
    """The ledger's newest signed checkpoint, or None before the first one."""
    return LedgerCheckpoint.objects.order_by("-id").first()
