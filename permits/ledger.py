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
              authority, reason, decided_by_id, batch):
    return json.dumps(
        {
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
        },
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
