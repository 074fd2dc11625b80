"""Writes for the work on the register: evidence, flags, reviews."""

import logging
import time

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from permits.core.db import define_trigger_ignore_list
from permits.matching import ENTRY_MATCH_SQL, is_valid_pattern
from permits.models import LAPSING_STATUSES, Destination
from permits.services import LIVE_STATUSES
from permits.core.clock import today
from permits.core.errors import InvalidInput, TransitionNotAllowed

from permits.core import roles

from .models import (
    Credibility, DiversionEvidence, EvidenceStatus, Flag, FlagStatus, ReviewCase, ReviewStatus,
    SourceReliability,
)

logger = logging.getLogger(__name__)

EVIDENCE_FIELDS = (
    "title", "summary", "source_type", "source_organisation", "source_reference", "published_on",
    "observed_on", "diverted_to", "location", "credibility", "control_entries", "end_users",
    "serial_numbers", "status", "source_reliability",
)


def record_evidence(*, destination, recorded_by=None, **fields):
    """Save evidence on a destination and queue its flagging after commit.

    The evidence is saved whatever the broker's state: a failed publish is
    logged and the periodic reconciliation flags it instead.
    """
    unknown = set(fields) - set(EVIDENCE_FIELDS)
    if unknown:
        raise InvalidInput({name: [_("Unknown field.")] for name in sorted(unknown)})
    entries = [e.strip() for e in fields.get("control_entries") or []]
    bad = [e for e in entries if not is_valid_pattern(e)]
    if bad:
        raise InvalidInput({"control_entries": [_("Not a control-list entry: %(entry)s.") % {"entry": repr(e)} for e in bad]})
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


# While the broker is known to be down, publishing is skipped for a while:
# every request would otherwise wait for the connection to time out, and the
# reconciliation job flags whatever was not queued.
BROKER_BACKOFF_SECONDS = 30
_broker_down_until = 0.0


def reset_broker_backoff():
    global _broker_down_until
    _broker_down_until = 0.0


def queue_flagging(evidence_id):
    """Ring the broker's doorbell; the database already holds the work.

    Returns True when the task was queued. Never raises: the evidence is saved
    whatever happens here.
    """
    global _broker_down_until
    from kombu.exceptions import OperationalError as BrokerError

    from .tasks import flag_evidence_task

    if time.monotonic() < _broker_down_until:
        logger.info("broker marked down: flagging of evidence %s left to reconciliation", evidence_id)
        return False
    try:
        flag_evidence_task.apply_async(args=[evidence_id], retry=True)
    except BrokerError:
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.warning("broker unreachable: flagging of evidence %s left to reconciliation", evidence_id)
        return False
    except Exception:
        logger.exception("could not queue flagging of evidence %s; reconciliation will", evidence_id)
        return False
    return True


# The relevance rule of the API contract, in one place for every statement
# that raises or re-grades flags. A "match" is a control entry or a party named
# in the evidence; serial numbers will join it once permit items carry them
# (add ``OR c.serial_match`` here and compute it in the candidates).
_RELEVANCE_SQL = (
    "CASE WHEN (cardinality(c.matched_entries) > 0 OR c.party_match)"
    " AND c.credibility IN ('medium', 'high', 'corroborated') AND c.source_reliability <> 'E' THEN 'high'"
    " WHEN cardinality(c.matched_entries) > 0 OR c.party_match"
    " OR c.credibility IN ('medium', 'high', 'corroborated') THEN 'medium'"
    " ELSE 'low' END"
)

# Built once from constant SQL (the entry-matching expression); every value
# is a bound parameter (hence the nosec below). The candidates are the pairs
# (live permit, evidence that is not refuted) of one destination, narrowed by
# the caller to one evidence or one permit; MATERIALIZED so that each pair's
# matched entries are computed once, not once per expression that reads them.
# (Comments stay out of the SQL: pg_stat_activity shows only its first 1,024
# characters, and the INSERT should be among them.)
_CANDIDATES_SQL = """
ev AS (
    SELECT id, destination_id, title, control_entries, credibility, source_reliability,
           ARRAY(SELECT lower(btrim(u)) FROM unnest(end_users) AS u) AS users
    FROM reviews_diversionevidence WHERE {evidence_where} AND status <> 'refuted'
),
candidates AS MATERIALIZED (
    SELECT p.id AS permit_id, p.destination_id, ev.id AS evidence_id, ev.credibility, ev.source_reliability,
           ARRAY(
               SELECT DISTINCT i.control_entry FROM permits_permititem i, unnest(ev.control_entries) AS pat
               WHERE i.permit_id = p.id AND {match}
               ORDER BY 1
           ) AS matched_entries,
           (lower(btrim(p.consignee)) = ANY(ev.users) OR lower(btrim(p.end_user)) = ANY(ev.users))
               AS party_match,
           ev.title
    FROM ev JOIN permits_permit p ON p.destination_id = ev.destination_id
    WHERE {permit_where}
)
"""

_LIVE_SQL = "p.status = ANY(%(live)s) AND NOT (p.status = ANY(%(lapsing)s) AND p.valid_until < %(today)s)"

_INSERT_FLAGS_SQL = """
WITH {candidates},
inserted AS (
    INSERT INTO reviews_flag (permit_id, evidence_id, destination_id, status, relevance, reason,
                              created_at, resolution_note)
    SELECT c.permit_id, c.evidence_id, c.destination_id, 'open', {relevance},
           concat_ws('; ',
               'New evidence on ' || c.destination_id || ': ' || c.title,
               CASE WHEN cardinality(c.matched_entries) > 0
                    THEN 'control entries named in the evidence match: '
                         || array_to_string(c.matched_entries, ', ') END,
               CASE WHEN c.party_match THEN 'a party named in the evidence is this permit''s consignee or end user' END
           ),
           now(), ''
    FROM candidates c
    ORDER BY c.permit_id, c.evidence_id
    ON CONFLICT (permit_id, evidence_id) DO NOTHING
    RETURNING permit_id, evidence_id, destination_id
),
bumped AS (
    UPDATE permits_permit p SET open_flags = p.open_flags + n.n
    FROM (SELECT permit_id, count(*) AS n FROM inserted GROUP BY permit_id) n
    WHERE p.id = n.permit_id
    RETURNING p.id
),
dest AS (
    UPDATE permits_destination d SET open_flags = d.open_flags + n.n
    FROM (SELECT destination_id, count(*) AS n FROM inserted GROUP BY destination_id) n
    WHERE d.code = n.destination_id
    RETURNING d.code
),
raised AS (
    UPDATE reviews_diversionevidence e SET flags_raised = e.flags_raised + n.n
    FROM (SELECT evidence_id, count(*) AS n FROM inserted GROUP BY evidence_id) n
    WHERE e.id = n.evidence_id
    RETURNING e.id
)
SELECT count(*) FROM inserted
"""

_MATCH = ENTRY_MATCH_SQL.format(entry="i.control_entry", pattern="pat")

_FLAG_SQL = _INSERT_FLAGS_SQL.format(  # nosec B608
    candidates=_CANDIDATES_SQL.format(evidence_where="id = %(evidence)s", permit_where=_LIVE_SQL, match=_MATCH),
    relevance=_RELEVANCE_SQL,
)

_FLAG_PERMIT_SQL = _INSERT_FLAGS_SQL.format(  # nosec B608
    candidates=_CANDIDATES_SQL.format(
        evidence_where="destination_id = (SELECT destination_id FROM permits_permit WHERE id = %(permit)s)",
        permit_where="p.id = %(permit)s AND " + _LIVE_SQL, match=_MATCH),
    relevance=_RELEVANCE_SQL,
)

_REGRADE_SQL = """
WITH {candidates}
UPDATE reviews_flag f SET relevance = {relevance}
FROM candidates c
WHERE f.evidence_id = %(evidence)s AND f.permit_id = c.permit_id AND f.status = 'open'
  AND f.relevance <> {relevance}
""".format(  # nosec B608
    candidates=_CANDIDATES_SQL.format(
        evidence_where="id = %(evidence)s",
        permit_where="p.id IN (SELECT permit_id FROM reviews_flag WHERE evidence_id = %(evidence)s AND status = 'open')",
        match=_MATCH),
    relevance=_RELEVANCE_SQL,
)

# Refuting clears every open flag of the evidence and keeps the counters of
# their permits and destinations right, in one statement. Under READ
# COMMITTED a flag resolved meanwhile by someone else is re-checked after its
# lock is released and skipped, so no counter is decremented twice.
_REFUTE_SQL = """
WITH cleared AS (
    UPDATE reviews_flag SET status = 'cleared', resolution_note = %(note)s, resolved_at = now(),
                            resolved_by_id = %(user)s
    WHERE evidence_id = %(evidence)s AND status = 'open'
    RETURNING permit_id, destination_id
),
p AS (
    UPDATE permits_permit pp SET open_flags = GREATEST(pp.open_flags - c.n, 0)
    FROM (SELECT permit_id, count(*) AS n FROM cleared GROUP BY permit_id) c
    WHERE pp.id = c.permit_id RETURNING pp.id
),
d AS (
    UPDATE permits_destination dd SET open_flags = GREATEST(dd.open_flags - c.n, 0)
    FROM (SELECT destination_id, count(*) AS n FROM cleared GROUP BY destination_id) c
    WHERE dd.code = c.destination_id RETURNING dd.code
)
SELECT count(*) FROM cleared
"""


def _flag_params(on_day=None, **extra):
    # Live as the read model says (Permit.status_today): a permit past its
    # valid_until is expired, and not flagged, before the daily job records it.
    return {"live": sorted(LIVE_STATUSES), "lapsing": sorted(LAPSING_STATUSES), "today": on_day or today(),
            **extra}


def flag_evidence(*, evidence_id, on_day=None):
    """Raise one flag per (permit, evidence) for every live permit of the destination.

    Idempotent: flags already raised are left alone, so running it twice
    raises nothing new. A constant number of SQL statements whatever the
    number of permits, all in one transaction: a worker killed half-way
    leaves nothing written. Refuted evidence raises nothing. Returns the
    number of flags raised by this run. ``on_day`` (default today) is the day
    whose validity counts: only a replay of a past case (the demo) passes another.
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
            cursor.execute(_FLAG_SQL, _flag_params(on_day, evidence=evidence_id))
            (raised,) = cursor.fetchone()
        DiversionEvidence.objects.filter(pk=evidence_id).update(flagging_finished_at=timezone.now())
    return raised


def flag_permit(*, permit_id):
    """Flag one new (or newly issued) permit against its destination's evidence that is not refuted.

    The same statement as flag_evidence, narrowed to one permit; idempotent.
    The destination's evidence rows are locked first, in id order, as
    flag_evidence locks its evidence before inserting: the two never wait on
    each other in opposite orders. Returns the number of flags raised.
    """
    from permits.models import Permit

    with transaction.atomic():
        destination_id = Permit.objects.filter(pk=permit_id).values_list("destination_id", flat=True).first()
        if destination_id is None:
            return 0
        locked = list(
            DiversionEvidence.objects.select_for_update().filter(destination_id=destination_id)
            .exclude(status=EvidenceStatus.REFUTED).order_by("id").values_list("id", flat=True)
        )
        if not locked:
            return 0
        with connection.cursor() as cursor:
            cursor.execute(_FLAG_PERMIT_SQL, _flag_params(permit=permit_id))
            (raised,) = cursor.fetchone()
    return raised


def queue_permit_flagging(permit_id):
    """After a permit is created or issued: queue its flagging (never raises).

    A lost message is not lost work for long: the evidence reconciliation does
    not cover it, so the task is also cheap to run by hand (flag_permit).
    """
    from kombu.exceptions import OperationalError as BrokerError

    from .tasks import flag_permit_task

    if time.monotonic() < _broker_down_until:
        return _flag_permit_inline(permit_id)
    try:
        flag_permit_task.apply_async(args=[permit_id], retry=True)
    except BrokerError:
        return _flag_permit_inline(permit_id)
    except Exception:
        logger.exception("could not queue flagging of permit %s", permit_id)
        return _flag_permit_inline(permit_id)
    return True


def _flag_permit_inline(permit_id):
    # One permit is a few rows: with the broker down, do it now rather than lose it.
    try:
        flag_permit(permit_id=permit_id)
    except Exception:
        logger.exception("flagging of permit %s failed", permit_id)
        return False
    return True


GRADING_FIELDS = ("status", "credibility", "source_reliability")


def update_evidence(*, evidence, note, updated_by, status=None, credibility=None, source_reliability=None):
    """Re-grade evidence or change its status, with a note; returns the evidence.

    Steps, in one transaction with the evidence row locked: check the input;
    save the new grades, status and note (the audit trail keeps the change,
    its author and the note); when the evidence becomes ``refuted``, clear
    every open flag of it with the note; otherwise, when a grade changed,
    recompute the relevance of its open flags. Both are single set-based
    statements. Evidence that stops being refuted is queued for flagging
    again (permits flagged and cleared before keep their cleared flag).
    """
    errors = {}
    note = (note or "").strip()
    if not note:
        errors["note"] = [_("A note is required.")]
    choices = {"status": EvidenceStatus, "credibility": Credibility, "source_reliability": SourceReliability}
    changes = {"status": status, "credibility": credibility, "source_reliability": source_reliability}
    changes = {k: v for k, v in changes.items() if v is not None}
    for name, value in changes.items():
        if value not in choices[name].values:
            errors[name] = [_("Not a valid choice.")]
    if not changes and "note" not in errors:
        errors["non_field_errors"] = [_("Give a new status, credibility or source reliability.")]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = DiversionEvidence.objects.select_for_update().get(pk=evidence.pk)
        was_refuted = locked.status == EvidenceStatus.REFUTED
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.grading_note = note
        locked.save(update_fields=[*changes, "grading_note"])
        if locked.status == EvidenceStatus.REFUTED:
            if not was_refuted:
                define_trigger_ignore_list()  # many audited flag rows at once
                with connection.cursor() as cursor:
                    cursor.execute(_REFUTE_SQL, {"evidence": locked.pk, "note": note,
                                                 "user": getattr(updated_by, "pk", None)})
        else:
            if set(changes) & {"credibility", "source_reliability"}:
                define_trigger_ignore_list()
                with connection.cursor() as cursor:
                    cursor.execute(_REGRADE_SQL, {"evidence": locked.pk})
            if was_refuted:
                transaction.on_commit(lambda: queue_flagging(locked.pk), robust=True)
    return locked


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
        errors["resolution"] = [_("Must be 'cleared' or 'escalated'.")]
    if not note or not str(note).strip():
        errors["note"] = [_("A note is required.")]
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
            raise TransitionNotAllowed(_("This flag has already been resolved."))
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



# --- Review cases -------------------------------------------------------------
# A review gathers permits of one destination (from escalated flags or the
# destination itself), records one finding per legal criterion, ends in a
# recommendation, and is closed by a decision maker's decision, recorded
# through the permit lifecycle and linked back to the review.

RS = ReviewStatus

# The review lifecycle, as data: action -> (statuses it may move from, status it
# moves to, the role that may take it). Every status change of a review goes
# through move_review; the pages ask allowed_actions instead of restating it.
REVIEW_MOVES = {
    # Findings may be recorded, and revised, until the recommendation goes up.
    "record_findings": (frozenset({RS.OPEN, RS.FINDINGS}), RS.FINDINGS, roles.OFFICIAL),
    "recommend": (frozenset({RS.FINDINGS}), RS.RECOMMENDED, roles.OFFICIAL),
    # The decision maker may send a recommendation back for more work: the
    # findings stay, the recommendation is withdrawn.
    "send_back": (frozenset({RS.RECOMMENDED}), RS.FINDINGS, roles.DECISION_MAKER),
    # A lifecycle decision on the review's permits, or none ("no action").
    "decide": (frozenset({RS.RECOMMENDED}), RS.DECIDED, roles.DECISION_MAKER),
    "close": (frozenset({RS.RECOMMENDED}), RS.CLOSED, roles.DECISION_MAKER),
}
# Reviews still being worked on: flags may be escalated into them.
WORKING_STATUSES = frozenset({RS.OPEN, RS.FINDINGS})


def allowed_actions(review, user):
    """The actions of REVIEW_MOVES that ``user`` may take on ``review`` now."""
    return frozenset(
        action for action, (allowed_from, _to, role) in REVIEW_MOVES.items()
        if review.status in allowed_from and roles.has_role(user, role)
    )


def move_review(locked, action):
    """Check ``action`` against the lifecycle and set the locked review's new status (not saved).

    Raises TransitionNotAllowed (409) when the review's status does not allow it.
    """
    allowed_from, to_status, _role = REVIEW_MOVES[action]
    if locked.status not in allowed_from:
        raise TransitionNotAllowed(
            _("This review is %(status)s: “%(action)s” is not possible now.")
            % {"status": ReviewStatus(locked.status).label, "action": action.replace("_", " ")}
        )
    locked.status = to_status
    return locked


def _live_permit_ids(destination):
    from permits.models import Permit

    return list(
        Permit.objects.in_status_on(None, LIVE_STATUSES).filter(destination=destination).values_list("id", flat=True)
    )


def open_review(*, destination, title, opened_by, permit_ids=None, flag_ids=(), evidence_ids=()):
    """Open a review case on one destination.

    Without ``permit_ids`` the review covers every live permit of the destination.
    """
    title = (title or "").strip()
    if not title:
        raise InvalidInput({"title": [_("A title is required.")]})
    if len(title) > 300:
        raise InvalidInput({"title": [_("At most 300 characters.")]})
    with transaction.atomic():
        review = ReviewCase.objects.create(destination=destination, title=title, opened_by=opened_by)
        review.permits.add(*(permit_ids if permit_ids is not None else _live_permit_ids(destination)))
        if flag_ids:
            review.flags.add(*flag_ids)
        if evidence_ids:
            review.evidence.add(*evidence_ids)
    return review


def _add_flags_to_review(review, flags):
    review.flags.add(*[f.pk for f in flags])
    review.permits.add(*{f.permit_id for f in flags})
    review.evidence.add(*{f.evidence_id for f in flags})


def escalate_flags(*, flag_ids, note, resolved_by, review=None, title=""):
    """Escalate open flags and put them into a review case; returns the reviews touched.

    Steps: resolve the flags as escalated (only those still open); then either
    add them to ``review`` (which must be open and on their destination) or
    open one new review per destination among them, titled ``title``.
    All in one transaction.
    """
    with transaction.atomic():
        if review is not None:
            # Locked so that a recommendation submitted meanwhile cannot miss these flags.
            review = ReviewCase.objects.select_for_update().get(pk=review.pk)
            if review.status not in WORKING_STATUSES:
                raise TransitionNotAllowed(
                    _("This review is no longer open; choose another or open a new one."))
            other = Flag.objects.filter(pk__in=flag_ids).exclude(destination_id=review.destination_id)
            if other.exists():
                raise InvalidInput({"review": [
                    _("A review covers one destination: these flags concern another destination.")
                ]})
        flags = resolve_flags(flag_ids=flag_ids, resolution=FlagStatus.ESCALATED, note=note,
                              resolved_by=resolved_by)
        if not flags:
            raise TransitionNotAllowed(_("None of these flags is still open."))
        if review is not None:
            _add_flags_to_review(review, flags)
            return [review]
        by_destination = {}
        for flag in flags:
            by_destination.setdefault(flag.destination_id, []).append(flag)
        reviews = []
        for code, group in sorted(by_destination.items()):
            destination = group[0].destination
            review_title = (title or "").strip() or _("Review of permits to %(name)s") % {"name": destination.name}
            review = open_review(destination=destination, title=review_title, opened_by=resolved_by,
                                 permit_ids=[])
            _add_flags_to_review(review, group)
            reviews.append(review)
        return reviews


def _locked(review):
    return ReviewCase.objects.select_for_update().get(pk=review.pk)


def record_findings(*, review, findings, recorded_by):
    """Record or replace findings on an open review.

    ``findings`` is a list of dicts with ``criterion``, ``risk``, ``rationale``
    and ``evidence_ids`` (evidence attached to the review). One finding per
    criterion: recording a criterion again replaces its finding.
    """
    from .models import Criterion, Finding, RiskLevel

    errors = {}
    criteria = {c for c, _l in Criterion.choices}
    risks = {r for r, _l in RiskLevel.choices}
    allowed_evidence = set(review.evidence.values_list("id", flat=True)) | set(
        DiversionEvidence.objects.filter(destination_id=review.destination_id).values_list("id", flat=True)
    )
    seen = set()
    for item in findings:
        criterion = item.get("criterion")
        key = criterion if criterion in criteria else "criterion"
        if criterion not in criteria:
            errors.setdefault("criterion", []).append(_("Unknown criterion."))
            continue
        if criterion in seen:
            errors.setdefault(key, []).append(_("Only one finding per criterion."))
        seen.add(criterion)
        if item.get("risk") not in risks:
            errors.setdefault(key, []).append(_("Choose a risk level: none, low or substantial."))
        if not (item.get("rationale") or "").strip():
            errors.setdefault(key, []).append(_("A rationale is required."))
        unknown = set(item.get("evidence_ids") or []) - allowed_evidence
        if unknown:
            errors.setdefault(key, []).append(_("Evidence must concern the review's destination."))
    if not findings and not errors:
        errors["findings"] = [_("Record at least one finding.")]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = move_review(_locked(review), "record_findings")
        locked.save(update_fields=["status"])
        saved = []
        for item in findings:
            finding, _created = Finding.objects.update_or_create(
                review=locked, criterion=item["criterion"],
                defaults={"risk": item["risk"], "rationale": item["rationale"].strip(),
                          "recorded_by": recorded_by},
            )
            finding.evidence.set(item.get("evidence_ids") or [])
            saved.append(finding)
        linked = {e for item in findings for e in item.get("evidence_ids") or []}
        if linked:
            locked.evidence.add(*linked)
    return saved


def submit_recommendation(*, review, recommendation, rationale, recommended_by):
    """Submit an open review's recommendation to the decision makers.

    Every criterion must have a finding first (the assessment is systematic),
    and a recommendation to act needs permits to act on.
    """
    from .models import Criterion, Recommendation

    errors = {}
    if recommendation not in {r for r, _l in Recommendation.choices}:
        errors["recommendation"] = [_("Choose no action, suspend, cancel or reinstate.")]
    if not (rationale or "").strip():
        errors["rationale"] = [_("A rationale is required.")]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = _locked(review)
        # Missing findings first: on an open review that is the useful answer (400), not "not now" (409).
        assessed = set(locked.findings.values_list("criterion", flat=True))
        missing = [label for value, label in Criterion.choices if value not in assessed]
        if missing and locked.status in WORKING_STATUSES:
            raise InvalidInput({"recommendation": [
                _("Record a finding for every criterion first. Missing: %(missing)s")
                % {"missing": "; ".join(str(m) for m in missing)}
            ]})
        move_review(locked, "recommend")
        if recommendation != Recommendation.NO_ACTION and not locked.permits.exists():
            raise InvalidInput({"recommendation": [_("This review covers no permit to act on.")]})
        locked.recommendation = recommendation
        locked.recommendation_rationale = rationale.strip()
        locked.recommended_by = recommended_by
        locked.recommended_at = timezone.now()
        locked.save(update_fields=["recommendation", "recommendation_rationale", "recommended_by",
                                   "recommended_at", "status"])
    return locked


def decide_review(*, review, kind, reason, decided_by, authority=None, effective_on=None):
    """Record the decision maker's decision on a recommended review.

    ``kind`` is ``no_action`` (the review is closed, no permit changes) or a
    lifecycle kind (suspend, cancel, reinstate) applied to the review's permits
    as one batch through ``permits.services.record_batch_decision``; permits
    the lifecycle does not allow it for are left alone. The batch is linked to
    the review. Returns (review, BatchResult or None).
    """
    from permits import services as permit_services

    from .models import Recommendation

    kinds = {r for r, _l in Recommendation.choices}
    if kind not in kinds:
        raise InvalidInput({"kind": [_("Choose no action, suspend, cancel or reinstate.")]})
    if not (reason or "").strip():
        raise InvalidInput({"reason": [_("A reason is required.")]})
    with transaction.atomic():
        locked = move_review(_locked(review), "close" if kind == Recommendation.NO_ACTION else "decide")
        result = None
        if kind != Recommendation.NO_ACTION:
            permit_ids = list(locked.permits.values_list("id", flat=True))
            result = permit_services.record_batch_decision(
                permit_ids=permit_ids, kind=kind, reason=reason,
                authority=authority or permit_services.DEFAULT_AUTHORITY,
                effective_on=effective_on, decided_by=decided_by,
            )
            if not result.affected:
                raise TransitionNotAllowed(
                    _("The lifecycle allows “%(kind)s” for none of this review's permits; nothing was recorded.")
                    % {"kind": dict(Recommendation.choices)[kind]}
                )
            locked.decision_batch = result.batch
        locked.decided_by = decided_by
        locked.decided_at = timezone.now()
        locked.decision_note = reason.strip()
        locked.save(update_fields=["status", "decision_batch", "decided_by", "decided_at", "decision_note"])
    return locked, result


def send_back_review(*, review, note):
    """Return a recommended review to the officials for more work (the findings stay).

    The recommendation is withdrawn; ``note`` (required) says why and is kept
    as the decision maker's note until the review is decided (who sent it back
    is in the audit trail of the review).
    """
    if not (note or "").strip():
        raise InvalidInput({"note": [_("Say what more is needed.")]})
    with transaction.atomic():
        locked = move_review(_locked(review), "send_back")
        locked.recommendation = ""
        locked.recommendation_rationale = ""
        locked.recommended_by = None
        locked.recommended_at = None
        locked.decision_note = note.strip()
        locked.save(update_fields=["status", "recommendation", "recommendation_rationale", "recommended_by",
                                   "recommended_at", "decision_note"])
    return locked


def on_permits_became_live(sender, *, permit_ids, **kwargs):
    """Receiver of permits.signals.permits_became_live (after commit): queue their flagging."""
    for permit_id in permit_ids:
        queue_permit_flagging(permit_id)
