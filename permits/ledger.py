"""The tamper-evident decision ledger.

Every decision stores SHA-256(previous_hash + canonical content), so that all
decisions form one chain in ``id`` order. Writers serialise on one advisory
lock, taken inside the recording transaction, so the chain never forks.
"""

import hashlib
import json

from django.db import connection

GENESIS_HASH = "0" * 64
# An arbitrary application-wide key for pg_advisory_xact_lock.
LEDGER_LOCK_KEY = 7_310_200_001


def canonical(*, permit_number, kind, from_status, to_status, effective_on, recorded_at,
              authority, reason, decided_by_id, batch, changes=None, rescinds=None):
    """The hashed content of a decision, as canonical JSON.

    ``changes`` (an amendment's) and ``rescinds`` (a rescission's) join the
    content only when set: the decisions recorded before they existed keep
    the exact content, and so the hash, they were recorded with.
    """
    content = {
        "permit": permit_number,
        "kind": kind,
        "from": from_status,
        "to": to_status,
        "effective_on": effective_on.isoformat(),
        "recorded_at": recorded_at.isoformat(),
        "authority": authority,
        "reason": reason,
        "decided_by": decided_by_id,
        "batch": str(batch) if batch else None,
    }
    if changes is not None:
        content["changes"] = changes
    if rescinds is not None:
        content["rescinds"] = rescinds
    return json.dumps(
        content,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def chain_hash(previous_hash, content):
    return hashlib.sha256((previous_hash + content).encode("utf-8")).hexdigest()


def lock_and_get_head():
    """Take the ledger lock for this transaction and return the latest hash."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LEDGER_LOCK_KEY])
        cursor.execute("SELECT hash FROM permits_decision ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
    return row[0] if row else GENESIS_HASH


class ChainBreak:
    """Where and why the chain stops verifying."""

    def __init__(self, decision_id, why):
        self.decision_id = decision_id
        self.why = why

    def __str__(self):
        return f"decision {self.decision_id}: {self.why}"


def verify_chain(*, chunk_size=2000, after_id=0, head=GENESIS_HASH, count=0, upto_id=None):
    """Recompute the chain in id order; return (count, head, ChainBreak | None).

    Reads in keyset-paginated chunks so that memory stays flat however long
    the ledger grows. Stops at the first decision whose ``previous_hash`` is
    not the hash before it, or whose ``hash`` does not match its content.
    ``after_id``/``head``/``count`` start from a known point of the chain (a
    checkpoint) instead of the genesis; ``upto_id`` stops at that id.
    """
    sql = """
        SELECT d.id, p.number, d.kind, d.from_status, d.to_status, d.effective_on,
               d.recorded_at, d.authority, d.reason, d.decided_by_id, d.batch,
               d.hash, d.previous_hash, d.changes, d.rescinds_id
          FROM permits_decision d JOIN permits_permit p ON p.id = d.permit_id
         WHERE d.id > %s AND d.id <= %s
         ORDER BY d.id
         LIMIT %s
    """
    last_id = after_id
    upper = upto_id if upto_id is not None else 2**63 - 1
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last_id, upper, chunk_size])
            rows = cursor.fetchall()
        if not rows:
            return count, head, None
        for (pk, number, kind, from_status, to_status, effective_on, recorded_at, authority,
             reason, decided_by_id, batch, stored_hash, previous_hash, changes, rescinds) in rows:
            if previous_hash != head:
                return count, head, ChainBreak(pk, "previous_hash does not match the decision before it")
            if isinstance(changes, str):
                # Django's connection reads jsonb as text (JSONField parses it).
                changes = json.loads(changes)
            content = canonical(
                permit_number=number, kind=kind, from_status=from_status, to_status=to_status,
                effective_on=effective_on, recorded_at=recorded_at, authority=authority,
                reason=reason, decided_by_id=decided_by_id, batch=batch, changes=changes, rescinds=rescinds,
            )
            if chain_hash(previous_hash, content) != stored_hash:
                return count, head, ChainBreak(pk, "hash does not match the decision's content")
            head, count, last_id = stored_hash, count + 1, pk


def iter_id_hash(*, after_id=0, upto_id=None, chunk_size=5000):
    """(id, hash) of the decisions in id order, read in keyset chunks (flat memory)."""
    upper = upto_id if upto_id is not None else 2**63 - 1
    last_id = after_id
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, hash FROM permits_decision WHERE id > %s AND id <= %s ORDER BY id LIMIT %s",
                [last_id, upper, chunk_size],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        yield from rows
        last_id = rows[-1][0]
