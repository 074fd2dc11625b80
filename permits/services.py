"""Writes to the permit register. The permit lifecycle lives here, once.

No other code sets ``Permit.status``: views, the API, the admin, commands and
tasks all call ``record_decision``, ``record_blanket_decision``,
``record_batch_decision``, ``create_permit`` or ``expire_due_permits``.
"""

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.types.json import Jsonb

from permits.core.db import define_trigger_ignore_list
from .core.errors import DomainError, InvalidInput, TransitionNotAllowed  # noqa: F401 (callers use services.InvalidInput)

from . import ledger, notifications, signals
from .events import outbox
from .core.clock import today  # noqa: F401 (re-exported: callers ask services.today())
from .matching import entry_q, is_valid_pattern
from .models import (
    CURRENCY_RE,
    DATABASE_INT_MAX,
    DEFAULT_AUTHORITY,
    ISSUE_AUTHORITY,
    PERMIT_NUMBER_RE,
    Decision,
    DecisionKind,
    Destination,
    EndUseAssurance,
    Permit,
    PermitItem,
    PermitStatus,
    lapsed_on,
    standing_decisions,
)


S = PermitStatus
K = DecisionKind

# The lifecycle, as data: kind -> (statuses it may move from, status it moves to).
TRANSITIONS = {
    K.ISSUE: (frozenset({S.PENDING}), S.ACTIVE),
    K.DENY: (frozenset({S.PENDING}), S.DENIED),
    K.SUSPEND: (frozenset({S.ACTIVE}), S.SUSPENDED),
    K.REINSTATE: (frozenset({S.SUSPENDED}), S.ACTIVE),
    K.CANCEL: (frozenset({S.ACTIVE, S.SUSPENDED}), S.CANCELLED),
    K.EXPIRE: (frozenset({S.ACTIVE, S.SUSPENDED}), S.EXPIRED),
    # Corrections of the record. None: the status they move to is not fixed —
    # an amendment keeps the status, a rescission returns to the voided
    # decision's from_status.
    K.AMEND: (frozenset({S.ACTIVE, S.SUSPENDED}), None),
    K.RESCIND: (frozenset({S.ACTIVE, S.SUSPENDED, S.CANCELLED, S.EXPIRED, S.DENIED}), None),
}
SYSTEM_ONLY_KINDS = frozenset({K.EXPIRE})
CLIENT_KINDS = frozenset(TRANSITIONS) - SYSTEM_ONLY_KINDS
# Corrections act on one permit and one decision: never in a batch.
CORRECTION_KINDS = frozenset({K.AMEND, K.RESCIND})
BATCH_KINDS = CLIENT_KINDS - CORRECTION_KINDS
BLANKET_KINDS = frozenset({K.SUSPEND, K.REINSTATE, K.CANCEL})
# Statuses in which a permit can still be acted upon (and so gets flagged).
LIVE_STATUSES = frozenset({S.PENDING, S.ACTIVE, S.SUSPENDED})


def check_move(*, permit, kind, effective_on, last_effective_on, valid_until=None):
    """Raise TransitionNotAllowed or InvalidInput if ``kind`` cannot apply.

    ``last_effective_on`` is the effective date of the permit's last decision
    (None if it has none). A permit past its validity on ``effective_on`` is
    expired then, whether or not the daily job has recorded it — unless the
    decision itself gives it a ``valid_until`` that reaches that day (an
    amendment extending a lapsed permit). A rescission corrects the record
    and is not refused for a lapsed permit.
    """
    allowed_from, _to = TRANSITIONS[kind]
    if permit.status not in allowed_from:
        raise TransitionNotAllowed(
            _("Permit %(number)s is %(status)s: '%(kind)s' is allowed only from %(allowed)s.")
            % {"number": permit.number, "status": permit.status, "kind": kind,
               "allowed": ", ".join(sorted(allowed_from))}
        )
    if kind not in (K.EXPIRE, K.RESCIND) and lapsed_on(permit.status, valid_until or permit.valid_until,
                                                       effective_on):
        raise TransitionNotAllowed(
            _("Permit %(number)s expired after %(valid_until)s; it cannot be changed with effect on %(day)s.")
            % {"number": permit.number, "valid_until": permit.valid_until.isoformat(),
               "day": effective_on.isoformat()}
        )
    if effective_on < permit.starts_on:
        raise InvalidInput({"effective_on": (
            _("Must not be before the permit started (%(day)s).") % {"day": permit.starts_on.isoformat()}
        )})
    if last_effective_on and effective_on < last_effective_on:
        raise InvalidInput({"effective_on": (
            _("Must not be before the permit's last decision (%(day)s).") % {"day": last_effective_on.isoformat()}
        )})


def _validate_common(*, kind, reason, authority, effective_on, allowed_kinds):
    errors = {}
    if kind not in allowed_kinds:
        errors["kind"] = _("Must be one of: %(kinds)s.") % {"kinds": ", ".join(sorted(allowed_kinds))}
    if not reason or not str(reason).strip():
        errors["reason"] = _("A reason is required.")
    if not authority or not str(authority).strip():
        errors["authority"] = _("An authority is required.")
    if effective_on > today():
        errors["effective_on"] = _("Must not be after today.")
    if errors:
        raise InvalidInput(errors)


@dataclass
class _Move:
    permit: Permit
    effective_on: dt.date
    # For `issue`: the validity to give the permit (None: keep the one it has).
    valid_until: dt.date | None = None
    # For kinds whose target is not fixed by TRANSITIONS (amend, rescind).
    to_status: str | None = None
    # An amendment's {"field": [before, after]}; a rescission's voided decision.
    changes: dict | None = None
    rescinds: Decision | None = None


# The columns a decision row is written with, in COPY order.
_DECISION_COLUMNS = (
    "id", "permit_id", "kind", "from_status", "to_status", "effective_on", "recorded_at",
    "authority", "reason", "decided_by_id", "batch", "hash", "previous_hash", "changes", "rescinds_id",
)


def _write_decisions(*, moves, kind, authority, reason, decided_by, batch):
    """Append decisions for ``moves`` to the ledger and set the permits' status.

    Caller holds the permit row locks inside ``transaction.atomic``. Steps:
    1. take the ledger lock and read the chain head;
    2. reserve the rows' ids in one query (ascending, so id order is chain order);
    3. hash the new rows in one pass, in order;
    4. COPY them in (one statement however many permits: a blanket decision
       over 100,000 permits is not 100,000 model saves);
    5. set the new status on the permits in one UPDATE.
    """
    if not moves:
        return []
    _from_statuses, fixed_to_status = TRANSITIONS[kind]
    kind = str(kind)
    head = ledger.lock_and_get_head()
    if len(moves) > 1:
        define_trigger_ignore_list()
    recorded_at = timezone.now()
    decided_by_id = decided_by.pk if decided_by else None
    rows = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('permits_decision', 'id')) FROM generate_series(1, %s)",
            [len(moves)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        for decision_id, move in zip(ids, moves):
            from_status = str(move.permit.status)
            to_status = str(move.to_status or fixed_to_status)
            rescinds_id = move.rescinds.pk if move.rescinds is not None else None
            digest = ledger.chain_hash(head, ledger.canonical(
                permit_number=move.permit.number,
                kind=kind,
                from_status=from_status,
                to_status=to_status,
                effective_on=move.effective_on,
                recorded_at=recorded_at,
                authority=authority,
                reason=reason,
                decided_by_id=decided_by_id,
                batch=batch,
                changes=move.changes,
                rescinds=rescinds_id,
            ))
            rows.append((decision_id, move.permit.pk, kind, from_status, to_status, move.effective_on,
                         recorded_at, authority, reason, decided_by_id, batch, digest, head,
                         move.changes, rescinds_id))
            head = digest
        with cursor.cursor.copy(
            f"COPY permits_decision ({', '.join(_DECISION_COLUMNS)}) FROM STDIN"
        ) as copy:
            for row in rows:
                changes = row[-2]
                copy.write_row(row[:-2] + (None if changes is None else Jsonb(changes), row[-1]))
        targets = {row[4] for row in rows}
        if len(targets) == 1:
            cursor.execute(
                "UPDATE permits_permit SET status = %s, updated_at = %s WHERE id = ANY(%s)",
                [targets.pop(), recorded_at, [move.permit.pk for move in moves]],
            )
        else:
            cursor.execute(
                "UPDATE permits_permit p SET status = u.status, updated_at = %s"
                " FROM unnest(%s::bigint[], %s::text[]) AS u(id, status) WHERE p.id = u.id",
                [recorded_at, [row[1] for row in rows], [row[4] for row in rows]],
            )
        if kind == K.ISSUE:
            _set_issue_dates(cursor, moves)
            signals.announce_live_after_commit(move.permit.pk for move in moves)
        elif kind == K.RESCIND:
            # A permit a rescission makes live again meets its destination's evidence anew.
            revived = [row[1] for row in rows if row[4] in LIVE_STATUSES and row[3] not in LIVE_STATUSES]
            if revived:
                signals.announce_live_after_commit(revived)
    decisions = []
    for row, move in zip(rows, moves):
        decision = Decision.from_db(connection.alias, _DECISION_COLUMNS, row)
        # The related objects are at hand: reading them costs no query.
        decision._state.fields_cache["permit"] = move.permit
        decision._state.fields_cache["decided_by"] = decided_by
        # Just recorded: nothing has rescinded it (spares a query when it is serialised).
        decision._state.fields_cache["rescission"] = None
        decisions.append(decision)
        move.permit.status = decision.to_status
    # No decision without its event: written here, in the same transaction, under the same lock.
    outbox.record_decision_events(decisions)
    # --- Exporter notices (issue 5): owed in this transaction, e-mailed after commit.
    notifications.enqueue_after_commit(notifications.record_owed_notices(decisions))
    # --- end exporter notices
    if batch is not None:
        # A batch (blanket, selection, expiry) moves the head by many decisions at
        # once: have it signed straight after commit rather than at the next beat.
        checkpoint_after_commit()
    return decisions


def checkpoint_after_commit():
    """Queue a ledger checkpoint once this transaction commits; a broker outage is
    logged, never raised (beat signs the head within minutes anyway)."""

    def enqueue():
        from .tasks import write_ledger_checkpoint

        write_ledger_checkpoint.delay()

    transaction.on_commit(enqueue, robust=True)


def _set_issue_dates(cursor, moves):
    """An issued permit is issued on the decision's effective date, with its validity.

    Without these a permit issued from pending would have no issued_on nor
    valid_until, and so would never expire. One UPDATE for the whole batch,
    only for the permits whose dates change (create_permit has set them already).
    """
    changed = [m for m in moves if m.permit.issued_on != m.effective_on
               or (m.valid_until is not None and m.valid_until != m.permit.valid_until)]
    if not changed:
        return
    cursor.execute(
        "UPDATE permits_permit p SET issued_on = u.issued_on, valid_until = COALESCE(u.valid_until, p.valid_until)"
        " FROM unnest(%s::bigint[], %s::date[], %s::date[]) AS u(id, issued_on, valid_until) WHERE p.id = u.id",
        [[m.permit.pk for m in changed], [m.effective_on for m in changed], [m.valid_until for m in changed]],
    )
    for move in changed:
        move.permit.issued_on = move.effective_on
        move.permit.valid_until = move.valid_until or move.permit.valid_until


def check_issue_validity(*, permit, effective_on, valid_until=None):
    """Raise InvalidInput unless issuing ``permit`` on ``effective_on`` leaves it a valid_until.

    ``valid_until`` (given with the decision) replaces the permit's own; it
    must not be before the issue date.
    """
    validity = valid_until or permit.valid_until
    if validity is None:
        raise InvalidInput({"valid_until": _(
            "Required to issue permit %(number)s: it has no valid_until yet.") % {"number": permit.number}})
    if validity < effective_on:
        raise InvalidInput({"valid_until": _(
            "Must not be before the issue date (%(day)s).") % {"day": effective_on.isoformat()}})


def _last_effective(permit_id):
    return Decision.objects.filter(permit_id=permit_id).aggregate(m=Max("effective_on"))["m"]


def record_decision(*, permit, kind, reason, authority=DEFAULT_AUTHORITY, effective_on=None,
                    decided_by=None, system=False, valid_until=None, changes=None, rescinds=None):
    """Record one decision on one permit and return it.

    Steps: validate the input; lock the permit row; check the move against the
    lifecycle and the date rules (an ``issue`` needs a ``valid_until``: the
    permit's own or the one given; an ``amend`` needs ``changes``, a
    ``rescind`` the id of the decision it ``rescinds``); apply an amendment's
    changes to the permit and its items; write the decision and the new status
    (an ``issue`` also sets ``issued_on`` to its effective date, and ``valid_until``).
    Raises InvalidInput (400) or TransitionNotAllowed (409) and then changes nothing.
    """
    effective_on = effective_on or today()
    allowed = TRANSITIONS.keys() if system else CLIENT_KINDS
    _validate_common(kind=kind, reason=reason, authority=authority, effective_on=effective_on,
                     allowed_kinds=allowed)
    _check_correction_input(kind=kind, valid_until=valid_until, changes=changes, rescinds=rescinds)
    with transaction.atomic():
        locked = Permit.objects.select_for_update().get(pk=permit.pk)
        last_effective_on = _last_effective(locked.pk)
        move = _Move(locked, effective_on, valid_until)
        if kind == K.AMEND:
            plan = plan_amendment(permit=locked, changes=changes, effective_on=effective_on)
            check_move(permit=locked, kind=kind, effective_on=effective_on,
                       last_effective_on=last_effective_on, valid_until=plan.valid_until)
            _apply_amendment(locked, plan)
            move = _Move(locked, effective_on, to_status=locked.status, changes=plan.diff)
        elif kind == K.RESCIND:
            target = rescindable(permit=locked, decision_id=rescinds)
            check_move(permit=locked, kind=kind, effective_on=effective_on, last_effective_on=last_effective_on)
            move = _Move(locked, effective_on, to_status=target.from_status, rescinds=target)
        else:
            check_move(permit=locked, kind=kind, effective_on=effective_on, last_effective_on=last_effective_on)
            if kind == K.ISSUE:
                check_issue_validity(permit=locked, effective_on=effective_on, valid_until=valid_until)
        (decision,) = _write_decisions(
            moves=[move], kind=kind, authority=authority.strip(),
            reason=reason.strip(), decided_by=decided_by, batch=None,
        )
    for name in ("status", "issued_on", "valid_until", "consignee", "end_user", "end_use"):
        setattr(permit, name, getattr(locked, name))
    return decision


# --- Correcting the record: amend and rescind ----------------------------------

AMENDABLE_FIELDS = ("valid_until", "consignee", "end_user", "end_use")
_TEXT_LIMITS = {"consignee": 200, "end_user": 200, "end_use": 500}


def _check_correction_input(*, kind, valid_until, changes, rescinds):
    errors = {}
    if valid_until is not None and kind != K.ISSUE:
        errors["valid_until"] = _("Only an 'issue' decision sets valid_until.")
    if kind == K.AMEND and not changes:
        errors["changes"] = _("An amendment needs at least one change.")
    elif changes is not None and kind != K.AMEND:
        errors["changes"] = _("Only an 'amend' decision takes changes.")
    if kind == K.RESCIND and rescinds is None:
        errors["rescinds"] = _("A rescission names the decision it rescinds (its id).")
    elif rescinds is not None and kind != K.RESCIND:
        errors["rescinds"] = _("Only a 'rescind' decision names a decision to rescind.")
    if errors:
        raise InvalidInput(errors)


@dataclass
class AmendmentPlan:
    """What an amendment would change: ``diff`` is the decision's ``changes``."""

    diff: dict
    permit_fields: dict
    items: list  # (PermitItem, {field: new value})
    valid_until: dt.date | None = None


def _as_date(value):
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _money(value):
    return str(value.quantize(Decimal("0.01")))


def plan_amendment(*, permit, changes, effective_on=None):
    """Validate an amendment of ``permit`` and return its AmendmentPlan, writing nothing.

    ``changes``: any of valid_until, consignee, end_user, end_use, and items
    [{"id", "quantity", "value"}]. Only what differs from the permit counts;
    nothing differing is an error. Raises InvalidInput naming each field
    (``changes.valid_until``, ``changes.items.12.quantity``, …). The preview
    page and ``record_decision`` share it.
    """
    effective_on = effective_on or today()
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput({"changes": _("An amendment needs at least one change.")})
    errors, diff, permit_fields, item_updates = {}, {}, {}, []
    for name in sorted(set(changes) - set(AMENDABLE_FIELDS) - {"items"}):
        errors[f"changes.{name}"] = _("Unknown field.")
    if "valid_until" in changes:
        new = _as_date(changes["valid_until"])
        if new is None:
            errors["changes.valid_until"] = _("A date as YYYY-MM-DD.")
        elif new == permit.valid_until:
            pass  # not a change
        elif permit.issued_on and new < permit.issued_on:
            errors["changes.valid_until"] = _("Must not be before the permit was issued (%(day)s).") % {
                "day": permit.issued_on.isoformat()}
        elif new < effective_on:
            # Ending the validity before the amendment takes effect would rewrite the past.
            errors["changes.valid_until"] = _("Must not be before the amendment takes effect (%(day)s).") % {
                "day": effective_on.isoformat()}
        else:
            permit_fields["valid_until"] = new
            diff["valid_until"] = [permit.valid_until.isoformat() if permit.valid_until else None, new.isoformat()]
    for name, limit in _TEXT_LIMITS.items():
        if name not in changes:
            continue
        value = changes[name]
        if not isinstance(value, str) or len(value.strip()) > limit:
            errors[f"changes.{name}"] = _("Text of at most %(limit)s characters.") % {"limit": limit}
            continue
        value = value.strip()
        if value != getattr(permit, name):
            permit_fields[name] = value
            diff[name] = [getattr(permit, name), value]
    if "items" in changes:
        _plan_items(permit, changes["items"], errors, diff, item_updates)
    if errors:
        raise InvalidInput(errors)
    if not diff:
        raise InvalidInput({"changes": _("Nothing would change: every value given is the permit's own.")})
    return AmendmentPlan(diff=diff, permit_fields=permit_fields, items=item_updates,
                         valid_until=permit_fields.get("valid_until"))


def _plan_items(permit, items, errors, diff, item_updates):
    if not isinstance(items, list) or not items:
        errors["changes.items"] = _("A list of {id, quantity, value}.")
        return
    wanted = {}
    for index, item in enumerate(items):
        item_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(item_id, int) or isinstance(item_id, bool) or item_id < 1:
            errors[f"changes.items.{index}.id"] = _("The id of one of the permit's items.")
        elif item_id in wanted:
            errors[f"changes.items.{index}.id"] = _("Item %(id)s is given twice.") % {"id": item_id}
        else:
            wanted[item_id] = item
    own = {i.pk: i for i in PermitItem.objects.filter(permit=permit, pk__in=list(wanted))} if wanted else {}
    for item_id, given in wanted.items():
        key = f"changes.items.{item_id}"
        item = own.get(item_id)
        if item is None:
            errors[f"{key}.id"] = _("Permit %(number)s has no item %(id)s.") % {
                "number": permit.number, "id": item_id}
            continue
        unknown = set(given) - {"id", "quantity", "value"}
        for name in sorted(unknown):
            errors[f"{key}.{name}"] = _("Unknown field.")
        if "quantity" not in given and "value" not in given:
            errors[key] = _("Give a new quantity or value.")
        updates = {}
        if "quantity" in given:
            quantity = given["quantity"]
            if (not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1
                    or quantity > DATABASE_INT_MAX):
                errors[f"{key}.quantity"] = _("Must be a positive whole number.")
            elif quantity != item.quantity:
                updates["quantity"] = quantity
                diff[f"items.{item_id}.quantity"] = [item.quantity, quantity]
        if "value" in given:
            value = _parse_decimal(given["value"])
            if value is None or value < 0:
                errors[f"{key}.value"] = _("Must be a non-negative amount.")
            else:
                _sign, digits, exponent = value.as_tuple()
                if exponent < -2 or len(digits) - max(0, -exponent) > 13:
                    errors[f"{key}.value"] = _("At most 15 digits, 2 after the decimal point.")
                elif value != item.value:
                    updates["value"] = value
                    diff[f"items.{item_id}.value"] = [_money(item.value), _money(value)]
        if updates:
            item_updates.append((item, updates))


def _apply_amendment(permit, plan):
    """Write an amendment's changes: one UPDATE of the permit, one of its items."""
    if plan.permit_fields:
        Permit.objects.filter(pk=permit.pk).update(**plan.permit_fields, updated_at=timezone.now())
        for name, value in plan.permit_fields.items():
            setattr(permit, name, value)
    if plan.items:
        for item, updates in plan.items:
            for name, value in updates.items():
                setattr(item, name, value)
        PermitItem.objects.bulk_update([item for item, _u in plan.items], ["quantity", "value"])


def preview_correction(*, permit, kind, effective_on=None, changes=None, rescinds=None):
    """What an amendment or rescission of ``permit`` would do, writing nothing.

    Returns the AmendmentPlan (amend) or the decision that would be voided
    (rescind); raises as ``record_decision`` would. The pages' preview step;
    confirming re-checks all of it under the permit lock.
    """
    effective_on = effective_on or today()
    _check_correction_input(kind=kind, valid_until=None, changes=changes, rescinds=rescinds)
    last_effective_on = _last_effective(permit.pk)
    if kind == K.AMEND:
        plan = plan_amendment(permit=permit, changes=changes, effective_on=effective_on)
        check_move(permit=permit, kind=kind, effective_on=effective_on, last_effective_on=last_effective_on,
                   valid_until=plan.valid_until)
        return plan
    if kind == K.RESCIND:
        target = rescindable(permit=permit, decision_id=rescinds)
        check_move(permit=permit, kind=kind, effective_on=effective_on, last_effective_on=last_effective_on)
        return target
    raise InvalidInput({"kind": _("Must be one of: %(kinds)s.") % {"kinds": "amend, rescind"}})


def latest_standing_decision(permit):
    """The permit's last decision that sets its status (not an amendment, rescission or rescinded one)."""
    return standing_decisions().filter(permit=permit).order_by("-id").first()


def rescindable(*, permit, decision_id):
    """The decision ``decision_id`` if a rescission of it on ``permit`` is allowed; else TransitionNotAllowed.

    Only the permit's latest standing decision may be rescinded: a decision
    before it is corrected by rescinding the later ones first, in order.
    """
    target = Decision.objects.select_related("rescission").filter(pk=decision_id, permit=permit).first() \
        if isinstance(decision_id, int) and 0 < decision_id < 2**63 else None
    if target is None:
        raise TransitionNotAllowed(_("Permit %(number)s has no decision %(id)s.") % {
            "number": permit.number, "id": decision_id})
    if target.kind == K.RESCIND:
        raise TransitionNotAllowed(_(
            "Decision %(id)s is itself a rescission: it cannot be rescinded (record a new decision instead).")
            % {"id": target.pk})
    if target.kind == K.AMEND:
        raise TransitionNotAllowed(_(
            "Decision %(id)s is an amendment: correct it with a new amendment.") % {"id": target.pk})
    if target.rescinded_by_id is not None:
        raise TransitionNotAllowed(_("Decision %(id)s was already rescinded by decision %(by)s.") % {
            "id": target.pk, "by": target.rescinded_by_id})
    latest = latest_standing_decision(permit)
    if latest is None or latest.pk != target.pk:
        raise TransitionNotAllowed(_(
            "Only the permit's latest standing decision (%(latest)s) can be rescinded, not %(id)s.") % {
            "latest": latest.pk if latest else "—", "id": target.pk})
    if target.to_status != permit.status:
        raise TransitionNotAllowed(_("Permit %(number)s is %(status)s, not what decision %(id)s made it.") % {
            "number": permit.number, "status": permit.status, "id": target.pk})
    return target


@dataclass
class BatchResult:
    batch: uuid.UUID
    kind: str
    decisions: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (permit, reason) pairs

    @property
    def affected(self):
        return len(self.decisions)

    @property
    def permit_numbers(self):
        return [d.permit.number for d in self.decisions]


def _plan(permits, *, kind, effective_on):
    """Split locked permits into moves and (permit, reason) skips."""
    moves, skipped = [], []
    for permit in permits:
        try:
            check_move(permit=permit, kind=kind, effective_on=effective_on,
                       last_effective_on=permit.last_effective_on)
            if kind == K.ISSUE:
                # A batch gives no validity: a permit without one is issued on its own.
                check_issue_validity(permit=permit, effective_on=effective_on)
        except TransitionNotAllowed as exc:
            skipped.append((permit, exc.detail))
        except InvalidInput as exc:
            skipped.append((permit, " ".join(m for messages in exc.errors.values() for m in messages)))
        else:
            moves.append(_Move(permit, effective_on))
    return moves, skipped


def _locked_with_last_effective(queryset):
    # Lock in id order so that concurrent batches cannot deadlock each other.
    locked_ids = list(
        queryset.select_for_update(of=("self",)).order_by("id").values_list("id", flat=True)
    )
    return list(
        Permit.objects.filter(id__in=locked_ids)
        .annotate(last_effective_on=Max("decisions__effective_on"))
        .order_by("id")
    )


def preview_batch(*, kind, effective_on=None, permit_ids=None, permits=None):
    """What a batch decision would do, without writing: (permits that would move, skipped).

    ``permits`` (a queryset, e.g. ``blanket_candidates``) or ``permit_ids``.
    """
    effective_on = effective_on or today()
    permits = Permit.objects.filter(id__in=permit_ids) if permits is None else permits
    permits = permits.annotate(last_effective_on=Max("decisions__effective_on")).order_by("id")
    moves, skipped = _plan(permits, kind=kind, effective_on=effective_on)
    return [m.permit for m in moves], skipped


def record_batch_decision(*, permit_ids, kind, reason, authority=DEFAULT_AUTHORITY,
                          effective_on=None, decided_by=None):
    """Apply one decision to the selected permits for which the lifecycle allows it.

    The others are skipped and reported. All in one transaction, as one batch.
    """
    effective_on = effective_on or today()
    _validate_common(kind=kind, reason=reason, authority=authority, effective_on=effective_on,
                     allowed_kinds=BATCH_KINDS)
    with transaction.atomic():
        permits = _locked_with_last_effective(Permit.objects.filter(id__in=permit_ids))
        return _apply_batch(permits, kind=kind, reason=reason, authority=authority,
                            effective_on=effective_on, decided_by=decided_by)


def _apply_batch(permits, *, kind, reason, authority, effective_on, decided_by):
    batch = uuid.uuid4()
    moves, skipped = _plan(permits, kind=kind, effective_on=effective_on)
    result = BatchResult(batch=batch, kind=kind, skipped=skipped)
    if moves:
        result.decisions = _write_decisions(
            moves=moves, kind=kind, authority=authority.strip(), reason=reason.strip(),
            decided_by=decided_by, batch=batch,
        )
    return result


def blanket_candidates(*, destination, kind, effective_on=None, control_entry=None):
    """The permits a blanket decision considers: the one query its preview and its recording share.

    Those of ``destination`` in a status ``kind`` moves from, started by
    ``effective_on``, and (with ``control_entry``) with an item under that
    pattern. The lifecycle's date rules then split them into moves and skips.
    """
    effective_on = effective_on or today()
    allowed_from, _to = TRANSITIONS[kind]
    candidates = Permit.objects.filter(
        destination=destination, status__in=allowed_from, starts_on__lte=effective_on
    )
    if control_entry:
        candidates = candidates.filter(
            Exists(PermitItem.objects.filter(entry_q(control_entry), permit=OuterRef("pk")))
        )
    return candidates


def validate_blanket(*, kind, reason, authority, effective_on, control_entry=None):
    """Raise InvalidInput unless these are the makings of a blanket decision (before it is queued, too)."""
    if control_entry is not None and not is_valid_pattern(control_entry):
        raise InvalidInput({"control_entry": _("Not a control-list entry pattern (e.g. '2-', '2-15', '2-15.a').")})
    _validate_common(kind=kind, reason=reason, authority=authority, effective_on=effective_on,
                     allowed_kinds=BLANKET_KINDS)


def record_blanket_decision(*, destination, kind, reason, authority=DEFAULT_AUTHORITY,
                            effective_on=None, control_entry=None, decided_by=None):
    """Apply a decision to every eligible permit of a destination, as one batch.

    Eligible: the lifecycle allows the move, the permit had started by
    ``effective_on``, and (with ``control_entry``) one of its items matches the
    pattern. Others are left alone. Steps: validate; lock the candidates in id
    order; plan; write all decisions and statuses set-based in one transaction.
    """
    effective_on = effective_on or today()
    validate_blanket(kind=kind, reason=reason, authority=authority, effective_on=effective_on,
                     control_entry=control_entry)
    candidates = blanket_candidates(destination=destination, kind=kind, effective_on=effective_on,
                                    control_entry=control_entry)
    with transaction.atomic():
        permits = _locked_with_last_effective(candidates)
        return _apply_batch(permits, kind=kind, reason=reason, authority=authority,
                            effective_on=effective_on, decided_by=decided_by)


def expire_due_permits(*, on_day=None):
    """Record ``expire`` for every active or suspended permit past its validity.

    Each decision is effective the day after ``valid_until`` (or on the last
    decision's date, if later). Returns the BatchResult (None if none was due).
    """
    on_day = on_day or today()
    with transaction.atomic():
        permits = _locked_with_last_effective(
            Permit.objects.filter(
                status__in=TRANSITIONS[K.EXPIRE][0], valid_until__lt=on_day
            )
        )
        if not permits:
            return None
        moves = [
            _Move(p, max(p.valid_until + dt.timedelta(days=1), p.last_effective_on or p.starts_on))
            for p in permits
        ]
        batch = uuid.uuid4()
        decisions = _write_decisions(
            moves=moves, kind=K.EXPIRE, authority="Permit validity ended (valid_until)",
            reason="The permit's period of validity ended.", decided_by=None, batch=batch,
        )
        return BatchResult(batch=batch, kind=K.EXPIRE, decisions=decisions)


# --- Creating permits -------------------------------------------------------

def _parse_decimal(value):
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def validate_items(items):
    """Return a list of per-item error dicts (empty dicts for good items)."""
    problems = []
    for item in items:
        err = {}
        entry = (item.get("control_entry") or "").strip()
        if not entry or not is_valid_pattern(entry):
            err["control_entry"] = [_("A control-list entry such as 2-15.a is required.")]
        if not (item.get("description") or "").strip():
            err["description"] = [_("A description is required.")]
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1 or quantity > DATABASE_INT_MAX:
            err["quantity"] = [_("Must be a positive whole number.")]
        value = _parse_decimal(item.get("value"))
        if value is None or value < 0:
            err["value"] = [_("Must be a non-negative amount.")]
        else:
            sign, digits, exponent = value.as_tuple()
            if exponent < -2 or len(digits) - max(0, -exponent) > 13:
                err["value"] = [_("At most 15 digits, 2 after the decimal point.")]
        problems.append(err)
    return problems


def validate_permit(*, number, exporter, destination, items, status=S.ACTIVE, exporter_email="",
                    consignee="", end_user="", end_use="", issued_on=None, valid_until=None,
                    received_on=None, currency="CAD", recorded_by=None, check_number=True):
    """The rules of a new permit, once: raise InvalidInput, or return the permit's fields cleaned.

    ``check_number=False`` leaves out the "number already taken" rule (an
    import compares an existing permit's content instead).
    """
    import re

    errors = {}
    number = (number or "").strip()
    if not re.match(PERMIT_NUMBER_RE, number):
        errors["number"] = [_("3 to 40 letters, digits or hyphens, starting with a letter or digit.")]
    elif check_number and Permit.objects.filter(number=number).exists():
        errors["number"] = [_("A permit numbered %(number)s already exists.") % {"number": number}]
    if not (exporter or "").strip():
        errors["exporter"] = [_("An exporter is required.")]
    if exporter_email:
        try:
            validate_email(exporter_email)
        except ValidationError:
            errors["exporter_email"] = [_("Not a valid e-mail address.")]
    if not isinstance(destination, Destination):
        code = (destination or "").strip().upper() if isinstance(destination, str) else ""
        destination = Destination.objects.filter(code=code).first()
        if destination is None:
            errors["destination"] = [_("Unknown country code (ISO 3166-1 alpha-2, e.g. TR).")]
    on_day = today()
    # A permit recorded as issued was received no later than its issue: by
    # default on that day (not today, which for a permit of years ago is wrong).
    received_on = received_on or (issued_on if status == S.ACTIVE and issued_on else on_day)
    starts_on = None
    if status == S.ACTIVE:
        if issued_on is None:
            errors["issued_on"] = [_("Required for an active permit.")]
        elif issued_on > on_day:
            errors["issued_on"] = [_("Must not be after today.")]
        if valid_until is None:
            errors["valid_until"] = [_("Required for an active permit.")]
        elif issued_on and valid_until < issued_on:
            errors["valid_until"] = [_("Must not be before issued_on.")]
        if issued_on and received_on > issued_on:
            errors["received_on"] = [_("Must not be after issued_on.")]
        starts_on = issued_on
    elif status == S.PENDING:
        if issued_on is not None:
            errors["issued_on"] = [_("Must be absent for a pending permit.")]
        if received_on > on_day:
            errors["received_on"] = [_("Must not be after today.")]
        if valid_until is not None and valid_until < received_on:
            errors["valid_until"] = [_("Must not be before received_on.")]
        starts_on = received_on
    else:
        errors["status"] = [_("Must be 'active' or 'pending'.")]
    if status == S.ACTIVE and not getattr(recorded_by, "is_authenticated", False):
        errors["recorded_by"] = [_("An active permit is recorded by a signed-in user (delegated authority).")]
    if not re.match(CURRENCY_RE, currency or ""):
        errors["currency"] = [_("A three-letter ISO 4217 code, e.g. CAD.")]
    if not items:
        errors["items"] = [_("At least one item is required.")]
    else:
        item_errors = validate_items(items)
        if any(item_errors):
            errors["items"] = item_errors
    if errors:
        raise InvalidInput(errors)
    return {
        "number": number, "exporter": exporter.strip(), "exporter_email": exporter_email or "",
        "destination": destination, "consignee": consignee or "", "end_user": end_user or "",
        "end_use": end_use or "", "status": status, "received_on": received_on, "issued_on": issued_on,
        "valid_until": valid_until, "starts_on": starts_on, "currency": currency,
        "items": [{"control_entry": i["control_entry"].strip(), "description": i["description"].strip(),
                   "quantity": i["quantity"], "value": _parse_decimal(i["value"])} for i in items],
    }


def create_permit(*, recorded_by=None, **fields):
    """Record a permit received from the licensing system.

    Steps: validate (``validate_permit``); create the permit and its items;
    when created ``active``, record its ``issue`` decision effective on
    ``issued_on`` through the ledger, decided by ``recorded_by`` (the official
    who records it acts on the Minister's delegated authority: the ledger
    always names a person). ``destination`` is a Destination or an ISO code.
    """
    cleaned = validate_permit(recorded_by=recorded_by, **fields)
    (permit,) = record_permits(permits=[cleaned], recorded_by=recorded_by, batch=None)
    return permit


def record_permits(*, permits, recorded_by, batch):
    """Create validated permits (``validate_permit``'s output) set-based, in one transaction.

    Steps: insert the permits pending, then their items, in two statements;
    record the ``issue`` decision of those created active in one ledger
    write (``batch``: None for a single permit). A number taken meanwhile
    by a concurrent request is InvalidInput, and nothing is written.
    """
    try:
        with transaction.atomic():
            created = Permit.objects.bulk_create([
                Permit(number=p["number"], exporter=p["exporter"], exporter_email=p["exporter_email"],
                       destination=p["destination"], consignee=p["consignee"], end_user=p["end_user"],
                       end_use=p["end_use"], status=S.PENDING, received_on=p["received_on"],
                       issued_on=p["issued_on"], valid_until=p["valid_until"], starts_on=p["starts_on"],
                       currency=p["currency"])
                for p in permits
            ])
            PermitItem.objects.bulk_create([
                PermitItem(permit=permit, **item)
                for permit, p in zip(created, permits) for item in p["items"]
            ])
            outbox.record_permits_created(created)
            moves = [_Move(permit, p["issued_on"]) for permit, p in zip(created, permits) if p["status"] == S.ACTIVE]
            if moves:
                _write_decisions(
                    moves=moves, kind=K.ISSUE, authority=ISSUE_AUTHORITY,
                    reason="Permit issued by the licensing system.", decided_by=recorded_by, batch=batch,
                )
            # An active permit is announced by its issue decision; a pending one here.
            pending = [permit.pk for permit, p in zip(created, permits) if p["status"] != S.ACTIVE]
            if pending:
                signals.announce_live_after_commit(pending)
    except IntegrityError as exc:
        # A concurrent request took a number between our check and the insert.
        numbers = ", ".join(p["number"] for p in permits[:5])
        raise InvalidInput({"number": [_("A permit numbered %(number)s already exists.") % {"number": numbers}]}) from exc
    return created


# --- Assurances ---------------------------------------------------------------

ASSURANCE_FIELDS = (
    "kind", "issuer", "signatory", "end_user", "end_use", "reference", "issued_on",
    "expires_on", "government_authenticated", "reexport_clause", "compliance", "notes",
)


def add_assurance(*, permit, **fields):
    unknown = set(fields) - set(ASSURANCE_FIELDS)
    if unknown:
        raise InvalidInput({name: [_("Unknown field.")] for name in unknown})
    assurance = EndUseAssurance(permit=permit, **fields)
    _check_assurance(assurance)
    assurance.save()
    return assurance


def update_assurance(*, assurance, compliance=None, notes=None):
    """Officials record whether an assurance was kept; nothing else changes."""
    if compliance is not None:
        assurance.compliance = compliance
    if notes is not None:
        assurance.notes = notes
    _check_assurance(assurance)
    assurance.save(update_fields=["compliance", "notes", "updated_at"])
    return assurance


def _check_assurance(assurance):
    try:
        assurance.full_clean(exclude=["permit"])
    except ValidationError as exc:
        raise InvalidInput(exc.message_dict) from exc
