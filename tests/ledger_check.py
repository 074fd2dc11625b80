"""Recompute the decision ledger from the rows, the way an auditor would."""

from permits import ledger
from permits.models import Decision

# The ledger's rows in chain order, straight from SQL (works on any copy of the database).
CHAIN_SQL = """
SELECT d.id, p.number, d.kind, d.from_status, d.to_status, d.effective_on, d.recorded_at,
       d.authority, d.reason, d.decided_by_id, d.batch, d.hash, d.previous_hash
FROM permits_decision d JOIN permits_permit p ON p.id = d.permit_id
ORDER BY d.id
"""


def check_chain(rows):
    """Problems with a chain of (id, number, kind, from, to, effective_on, recorded_at,
    authority, reason, decided_by_id, batch, hash, previous_hash) rows; empty when intact.

    Every decision's hash must be SHA-256 over the previous decision's hash and
    its own canonical content, in ``id`` order, starting from the genesis hash.
    """
    problems = []
    previous = ledger.GENESIS_HASH
    for row in rows:
        # Optionally followed by (changes, rescinds): amendments and rescissions hash those too.
        (pk, number, kind, from_status, to_status, effective_on, recorded_at, authority, reason,
         decided_by_id, batch, digest, previous_hash) = row[:13]
        changes, rescinds = row[13:15] if len(row) > 13 else (None, None)
        content = ledger.canonical(
            permit_number=number, kind=kind, from_status=from_status, to_status=to_status,
            effective_on=effective_on, recorded_at=recorded_at, authority=authority, reason=reason,
            decided_by_id=decided_by_id, batch=batch, changes=changes, rescinds=rescinds,
        )
        if previous_hash != previous:
            problems.append(f"decision {pk}: previous_hash does not name the decision before it")
        if digest != ledger.chain_hash(previous_hash, content):
            problems.append(f"decision {pk}: hash does not match its content")
        previous = digest
    return problems


def broken_links():
    """Check the chain in the default database."""
    rows = (
        (d.pk, d.permit.number, d.kind, d.from_status, d.to_status, d.effective_on, d.recorded_at,
         d.authority, d.reason, d.decided_by_id, d.batch, d.hash, d.previous_hash, d.changes, d.rescinds_id)
        for d in Decision.objects.select_related("permit").order_by("id").iterator(chunk_size=2000)
    )
    return check_chain(rows)
