"""Recompute the decision ledger from the rows, the way an auditor would."""

from permits import ledger
from permits.models import Decision


def broken_links():
    """Return a list of problems with the hash chain (empty when it is intact).

    Every decision's hash must be SHA-256 over the previous decision's hash and
    its own canonical content, in ``id`` order, starting from the genesis hash.
    """
    problems = []
    previous = ledger.GENESIS_HASH
    rows = Decision.objects.select_related("permit").order_by("id").iterator(chunk_size=2000)
    for row in rows:
        content = ledger.canonical(
            permit_number=row.permit.number, kind=row.kind, from_status=row.from_status,
            to_status=row.to_status, effective_on=row.effective_on, recorded_at=row.recorded_at,
            authority=row.authority, reason=row.reason, decided_by_id=row.decided_by_id,
            batch=row.batch,
        )
        if row.previous_hash != previous:
            problems.append(f"decision {row.pk}: previous_hash does not name decision before it")
        if row.hash != ledger.chain_hash(row.previous_hash, content):
            problems.append(f"decision {row.pk}: hash does not match its content")
        previous = row.hash
    return problems
