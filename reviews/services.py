"""Writes for the work on the register: evidence, flags, reviews."""

import logging

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from permits.matching import ENTRY_MATCH_SQL, is_valid_pattern
from permits.models import Destination
from permits.services import (
    LIVE_STATUSES,
    InvalidInput,
    TransitionNotAllowed,
    define_trigger_ignore_list,
)

from .models import DiversionEvidence, Flag, FlagStatus

logger = logging.getLogger(__name__)

EVIDENCE_FIELDS = (
    "title", "summary", "source_type", "source_organisation", "source_reference", "published_on",
    "observed_on", "diverted_to", "location", "credibility", "control_entries", "end_users",
    "serial_numbers", "status",
)


def _normalise_party(name):
    return " ".join(name.split()).casefold()


def record_evidence(*, destination, recorded_by=None, **fields):
    """Save evidence on a destination and queue its flagging after commit.

    The evidence is saved whatever the broker's state: a failed publish is
    logged and the periodic reconciliation flags it instead.
    """
    unknown = set(fields) - set(EVIDENCE_FIELDS)
    if unknown:
        raise InvalidInput({name: ["Unknown field."] for name in sorted(unknown)})
    entries = [e.strip() for e in fields.get("control_entries") or []]
    bad = [e for e in entries if not is_valid_pattern(e)]
    if bad:
        raise InvalidInput({"control_entries": [f"Not a control-list entry: {e!r}." for e in bad]})
    fields["control_entries"] = entries
    fields["end_users"] = [" ".join(u.split()) for u in fields.get("end_users") or [] if u.strip()]
    evidence = DiversionEvidence(destination=destination, recorded_by=recorded_by, **fields)
    try:
        evidence.full_clean(exclude=["destination", "recorded_by", "diverted_to"])
    except ValidationError as exc:
        raise InvalidInput(exc.message_dict) from exc
    with transaction.atomic():
        evidence.save()
        transaction.on_commit(lambda: queue_flagging(evidence.pk), robust=True)
    return evidence


def queue_flagging(evidence_id):
    """Ring the broker's doorbell; the database already holds the work."""
    from .tasks import flag_evidence_task

    try:
        flag_evidence_task.apply_async(args=[evidence_id], retry=True)
    except Exception:  # the broker is down: reconciliation will do it
        logger.warning("could not queue flagging of evidence %s; reconciliation will", evidence_id,
                       exc_info=True)


_FLAG_SQL = """
WITH ev AS (
    SELECT id, destination_id, title, control_entries,
           ARRAY(SELECT lower(btrim(u)) FROM unnest(end_users) AS u) AS users
    FROM reviews_diversionevidence WHERE id = %(evidence)s
),
-- MATERIALIZED: each permit's matched entries are computed once, not once
-- per expression that reads them.
candidates AS MATERIALIZED (
    SELECT p.id AS permit_id, p.destination_id,
           ARRAY(
               SELECT DISTINCT i.control_entry FROM permits_permititem i, unnest(ev.control_entries) AS pat
               WHERE i.permit_id = p.id AND {match}
               ORDER BY 1
           ) AS matched_entries,
           (lower(btrim(p.consignee)) = ANY(ev.users) OR lower(btrim(p.end_user)) = ANY(ev.users))
               AS party_match,
           ev.title
    FROM permits_permit p, ev
    WHERE p.destination_id = ev.destination_id AND p.status = ANY(%(live)s)
),
inserted AS (
    INSERT INTO reviews_flag (permit_id, evidence_id, destination_id, status, relevance, reason,
                              created_at, resolution_note)
    SELECT c.permit_id, %(evidence)s, c.destination_id, 'open',
           CASE WHEN cardinality(c.matched_entries) > 0 OR c.party_match THEN 'high' ELSE 'medium' END,
           concat_ws('; ',
               'New evidence on ' || c.destination_id || ': ' || c.title,
               CASE WHEN cardinality(c.matched_entries) > 0
                    THEN 'control entries named in the evidence match: '
                         || array_to_string(c.matched_entries, ', ') END,
               CASE WHEN c.party_match THEN 'a party named in the evidence is this permit''s consignee or end user' END
           ),
           now(), ''
    FROM candidates c
    ORDER BY c.permit_id
    ON CONFLICT (permit_id, evidence_id) DO NOTHING
    RETURNING permit_id
),
bumped AS (
    UPDATE permits_permit p SET open_flags = p.open_flags + 1
    FROM inserted WHERE p.id = inserted.permit_id
    RETURNING p.id
)
SELECT count(*) FROM bumped
""".format(match=ENTRY_MATCH_SQL.format(entry="i.control_entry", pattern="pat"))


def flag_evidence(*, evidence_id):
    """Raise one flag per (permit, evidence) for every live permit of the destination.

    Idempotent: flags already raised are left alone, so running it twice
    raises nothing new. A constant number of SQL statements whatever the
    number of permits, all in one transaction: a worker killed half-way
    leaves nothing written. Returns the number of flags raised by this run.
    """
    with transaction.atomic():
        evidence = (
            DiversionEvidence.objects.select_for_update().filter(pk=evidence_id).first()
        )
        if evidence is None:
            logger.warning("evidence %s no longer exists; nothing to flag", evidence_id)
            return 0
        with connection.cursor() as cursor:
            # One statement may raise 100,000 flags: let its sort stay in memory.
            cursor.execute("SET LOCAL work_mem = '64MB'")
        # Many audited flag rows in one transaction: see define_trigger_ignore_list.
        define_trigger_ignore_list()
        with connection.cursor() as cursor:
            cursor.execute(_FLAG_SQL, {"evidence": evidence_id, "live": sorted(LIVE_STATUSES)})
            (raised,) = cursor.fetchone()
        if raised:
            Destination.objects.filter(pk=evidence.destination_id).update(
                open_flags=F("open_flags") + raised
            )
        DiversionEvidence.objects.filter(pk=evidence_id).update(
            flagging_finished_at=timezone.now(),
            flags_raised=F("flags_raised") + raised,
        )
    return raised


def evidence_awaiting_flagging(*, older_than_seconds=0):
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    return list(
        DiversionEvidence.objects.filter(flagging_finished_at__isnull=True, recorded_at__lte=cutoff)
        .order_by("id")
        .values_list("id", flat=True)
    )


def resolve_flag(*, flag, resolution, note, resolved_by):
    """Clear or escalate one open flag; returns the updated flag.

    Conditional UPDATE: of two officials resolving at once, exactly one wins;
    the other gets TransitionNotAllowed (409).
    """
    return resolve_flags(flag_ids=[flag.pk], resolution=resolution, note=note,
                         resolved_by=resolved_by, all_or_nothing=True)[0]


def resolve_flags(*, flag_ids, resolution, note, resolved_by, all_or_nothing=False):
    """Resolve several open flags at once; returns the flags this call resolved."""
    errors = {}
    if resolution not in (FlagStatus.CLEARED, FlagStatus.ESCALATED):
        errors["resolution"] = ["Must be 'cleared' or 'escalated'."]
    if not note or not str(note).strip():
        errors["note"] = ["A note is required."]
    if errors:
        raise InvalidInput(errors)
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Flag.objects.select_for_update()
            .filter(pk__in=flag_ids, status=FlagStatus.OPEN)
            .order_by("id")
            .values_list("id", flat=True)
        )
        if all_or_nothing and len(ids) != len(set(flag_ids)):
            raise TransitionNotAllowed("This flag has already been resolved.")
        if not ids:
            return []
        if len(ids) > 1:
            define_trigger_ignore_list()  # many audited rows at once
        Flag.objects.filter(pk__in=ids).update(
            status=resolution, resolution_note=note.strip(), resolved_at=now, resolved_by=resolved_by
        )
        _decrement_counters(ids)
    return list(Flag.objects.filter(pk__in=ids).select_related("permit", "destination", "evidence"))


def _decrement_counters(flag_ids):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH f AS (SELECT permit_id, destination_id FROM reviews_flag WHERE id = ANY(%(ids)s)),
            p AS (
                UPDATE permits_permit pp SET open_flags = GREATEST(pp.open_flags - c.n, 0)
                FROM (SELECT permit_id, count(*) AS n FROM f GROUP BY permit_id) c
                WHERE pp.id = c.permit_id RETURNING pp.id
            )
            UPDATE permits_destination d SET open_flags = GREATEST(d.open_flags - c.n, 0)
            FROM (SELECT destination_id, count(*) AS n FROM f GROUP BY destination_id) c
            WHERE d.code = c.destination_id
            """,
            {"ids": list(flag_ids)},
        )

