"""Signed checkpoints of the decision ledger (after Certificate Transparency's signed tree heads).

The hash chain alone carries no key: whoever can write ``permits_decision`` can
rewrite a decision and re-hash everything after it, or delete the newest ones.
A checkpoint states "the ledger had ``size`` decisions, the last one ``last_id``
with hash ``head``, at ``signed_at``", signed with an Ed25519 key that lives
outside the database (``LEDGER_SIGNING_KEY``). Each one is stored twice: as a
``LedgerCheckpoint`` row, and as a create-exclusive file in
``LEDGER_CHECKPOINT_DIR`` that also lists the (id, hash) of every decision since
the previous checkpoint, so that a verifier can name the first decision that
differs. Witnesses (customs, auditors) keep copies of ``GET /api/v1/ledger/head/``.

Signed bytes: the UTF-8 RFC 8785 (JCS) canonical JSON of exactly
``{"head", "last_id", "signed_at", "size"}``; ``signed_at`` is the UTC time as
text, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.
"""

import base64
import binascii
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import ledger
from .models import LedgerCheckpoint

# Another application-wide key for pg_advisory_xact_lock (the ledger's own is 7_310_200_001).
CHECKPOINT_LOCK_KEY = 7_310_200_002
SIGNED_FIELDS = ("last_id", "size", "head", "signed_at")
STATEMENT_FIELDS = (*SIGNED_FIELDS, "signature", "key_id", "public_key")
# A witness file holds one small JSON object; anything larger is not one.
MAX_WITNESS_FILE_BYTES = 64 * 1024
FILE_SUFFIX = ".jsonl"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_SIGNED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


class CheckpointRefused(Exception):
    """The ledger does not verify from the last checkpoint to its head: nothing is signed."""


class CheckpointFileError(Exception):
    """A checkpoint file that cannot be read as one."""


# --- Keys and signatures --------------------------------------------------

def _private_key():
    return Ed25519PrivateKey.from_private_bytes(settings.LEDGER_SIGNING_KEY)


def public_key_raw():
    return _private_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_b64():
    return base64.b64encode(public_key_raw()).decode("ascii")


def key_id(raw_public_key=None):
    """The key's fingerprint: SHA-256 (hex, all 64 digits) of the raw 32-byte public key."""
    return hashlib.sha256(raw_public_key if raw_public_key is not None else public_key_raw()).hexdigest()


def generate_private_key_b64():
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode("ascii")


def signed_at_text(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def signed_bytes(*, last_id, size, head, signed_at):
    """The exact bytes a checkpoint's signature covers (RFC 8785 canonical JSON, UTF-8)."""
    return rfc8785.dumps({"last_id": last_id, "size": size, "head": head, "signed_at": signed_at})


def statement(checkpoint):
    """A checkpoint as the API answers it and witnesses keep it."""
    return {
        "last_id": checkpoint.last_id,
        "size": checkpoint.size,
        "head": checkpoint.head,
        "signed_at": signed_at_text(checkpoint.signed_at),
        "signature": checkpoint.signature,
        "key_id": checkpoint.key_id,
        "public_key": public_key_b64(),
    }


def statement_problem(data):
    """Why ``data`` is not a well-formed signed statement whose signature verifies
    under this deployment's key; None when it is.

    The key is the configured one, never the ``public_key`` the statement carries:
    whoever forges a statement can put their own key beside it.
    """
    if not isinstance(data, dict):
        return "not a JSON object"
    missing = [name for name in ("last_id", "size", "head", "signed_at", "signature") if name not in data]
    if missing:
        return f"missing {', '.join(missing)}"
    last_id, size = data["last_id"], data["size"]
    if not all(type(v) is int and 0 < v < 2**53 for v in (last_id, size)):
        return "last_id and size must be positive whole numbers"
    if not isinstance(data["head"], str) or not _HEX64.match(data["head"]):
        return "head is not a SHA-256 hex digest"
    if not isinstance(data["signed_at"], str) or not _SIGNED_AT.match(data["signed_at"]):
        return "signed_at is not a UTC time like 2026-12-03T17:00:00.000000Z"
    own_key_id = key_id()
    if data.get("key_id", own_key_id) != own_key_id:
        return f"signed by key {data['key_id']!r}, not this deployment's key {own_key_id}"
    try:
        signature = base64.b64decode(data["signature"], validate=True) if isinstance(data["signature"], str) else b""
    except (binascii.Error, ValueError):
        signature = b""
    if len(signature) != 64:
        return "signature is not a base64 Ed25519 signature"
    public = Ed25519PublicKey.from_public_bytes(public_key_raw())
    try:
        public.verify(signature, signed_bytes(**{name: data[name] for name in SIGNED_FIELDS}))
    except InvalidSignature:
        return "signature does not verify"
    return None


# --- Writing --------------------------------------------------------------

def _newest_decision():
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, hash FROM permits_decision ORDER BY id DESC LIMIT 1")
        return cursor.fetchone()


def _decision_hash(decision_id):
    with connection.cursor() as cursor:
        cursor.execute("SELECT hash FROM permits_decision WHERE id = %s", [decision_id])
        row = cursor.fetchone()
    return row[0] if row else None


def write_checkpoint(*, directory=None):
    """Sign the ledger's head if it moved since the last checkpoint; return the new
    checkpoint, or None when there was nothing new to sign.

    Steps:
    1. take the checkpoint lock (a second run at the same time waits here, then
       finds the head already signed);
    2. read the newest decision and the last checkpoint; stop if the head has not moved;
    3. check the chain from the last checkpoint to the head (the last checkpoint's
       decision still there with its hash, every hash recomputed): a ledger that
       does not verify is never signed (CheckpointRefused);
    4. sign; store the row; write the file create-exclusive; commit. A failed
       file write rolls the row back, so every row has its file.
    """
    directory = Path(directory if directory is not None else settings.LEDGER_CHECKPOINT_DIR)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHECKPOINT_LOCK_KEY])
        newest = _newest_decision()
        if newest is None:
            return None  # an empty ledger has nothing to witness
        last_id, head = newest
        previous = LedgerCheckpoint.objects.order_by("-id").first()
        if previous is not None and (previous.last_id, previous.head) == (last_id, head):
            return None
        if previous is None:
            start = {"after_id": 0, "head": ledger.GENESIS_HASH, "count": 0}
        else:
            if _decision_hash(previous.last_id) != previous.head:
                raise CheckpointRefused(
                    f"decision {previous.last_id}, the last of checkpoint {previous.pk}, "
                    "is missing or has changed"
                )
            start = {"after_id": previous.last_id, "head": previous.head, "count": previous.size}
        size, verified_head, broken = ledger.verify_chain(upto_id=last_id, **start)
        if broken is not None:
            raise CheckpointRefused(f"the ledger does not verify at {broken}")
        if verified_head != head:  # pragma: no cover - verify_chain ends on the newest hash
            raise CheckpointRefused("the head moved while it was being checked")
        signed_at = timezone.now()
        text = signed_at_text(signed_at)
        signature = base64.b64encode(
            _private_key().sign(signed_bytes(last_id=last_id, size=size, head=head, signed_at=text))
        ).decode("ascii")
        checkpoint = LedgerCheckpoint.objects.create(
            last_id=last_id, size=size, head=head, signed_at=signed_at, signature=signature, key_id=key_id(),
        )
        _write_file(directory, checkpoint, previous)
        # The bucket is another machine: copied after commit, never inside the transaction.
        transaction.on_commit(lambda: copy_to_storage(directory=directory), robust=True)
    return checkpoint


STORAGE_ALIAS = "ledger_checkpoints"


def copy_to_storage(*, directory=None, recent=20):
    """Copy the newest ``recent`` checkpoint files that the ``ledger_checkpoints``
    storage (an S3-compatible bucket, when configured) does not hold yet; return
    how many were copied. Run after each checkpoint and at every beat, so that a
    bucket outage shorter than ``recent`` checkpoints loses no file.
    """
    if STORAGE_ALIAS not in settings.STORAGES:
        return 0
    from django.core.files import File
    from django.core.files.storage import storages

    storage = storages[STORAGE_ALIAS]
    copied = 0
    for path in directory_files(directory)[-recent:]:
        if storage.exists(path.name):
            continue
        with path.open("rb") as fh:
            storage.save(path.name, File(fh, name=path.name))
        copied += 1
    return copied


def file_name(checkpoint):
    # Zero-padded size first: a listing in name order is chain order.
    stamp = signed_at_text(checkpoint.signed_at).replace("-", "").replace(":", "").replace(".", "")
    return f"checkpoint-{checkpoint.size:012d}-{checkpoint.last_id}-{stamp}{FILE_SUFFIX}"


def _write_file(directory, checkpoint, previous):
    """JSON Lines: the signed statement (and the previous checkpoint's head), then
    one ``[id, hash]`` line per decision since the previous checkpoint.

    Created exclusively and read-only (0444): an existing file is never replaced.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / file_name(checkpoint)
    header = {
        "checkpoint": statement(checkpoint),
        "previous": None if previous is None else {
            "last_id": previous.last_id, "size": previous.size, "head": previous.head,
        },
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(header, sort_keys=True) + "\n")
            after = previous.last_id if previous is not None else 0
            for decision_id, digest in ledger.iter_id_hash(after_id=after, upto_id=checkpoint.last_id):
                fh.write(f'[{decision_id},"{digest}"]\n')
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


# --- Reading files --------------------------------------------------------

def read_statement(path):
    """The signed statement in ``path``: a checkpoint file of the directory (its
    first line) or a witness's saved answer of /api/v1/ledger/head/.

    Returns (statement, has_decision_list). Raises CheckpointFileError.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            first = fh.readline(MAX_WITNESS_FILE_BYTES + 1)
            try:
                header = json.loads(first)
            except ValueError:
                header = None
            if isinstance(header, dict) and isinstance(header.get("checkpoint"), dict):
                return header["checkpoint"], True
            fh.seek(0)
            body = fh.read(MAX_WITNESS_FILE_BYTES + 1)
    except OSError as exc:
        raise CheckpointFileError(f"{path}: cannot be read ({exc.strerror})") from exc
    if len(body) > MAX_WITNESS_FILE_BYTES:
        raise CheckpointFileError(f"{path}: too large for a saved ledger head")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise CheckpointFileError(f"{path}: not JSON") from exc
    if not isinstance(data, dict):
        raise CheckpointFileError(f"{path}: not a JSON object")
    return data, False


def iter_file_decisions(path):
    """The (id, hash) pairs listed in a checkpoint file of the directory."""
    with Path(path).open(encoding="utf-8") as fh:
        fh.readline()
        for number, line in enumerate(fh, start=2):
            try:
                decision_id, digest = json.loads(line)
            except (ValueError, TypeError) as exc:
                raise CheckpointFileError(f"{path}: line {number} is not [id, hash]") from exc
            yield decision_id, digest


def directory_files(directory=None):
    directory = Path(directory if directory is not None else settings.LEDGER_CHECKPOINT_DIR)
    if not directory.is_dir():
        return []
    return sorted(directory.glob(f"*{FILE_SUFFIX}"))


# --- Verifying ------------------------------------------------------------

@dataclass
class Problem:
    message: str
    decision_id: int | None = None  # the decision it concerns, when it names one


@dataclass
class Report:
    count: int = 0
    head: str = ledger.GENESIS_HASH
    checkpoints: int = 0
    problems: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems

    @property
    def first_differing(self):
        ids = [p.decision_id for p in self.problems if p.decision_id is not None]
        return min(ids) if ids else None

    def add(self, message, decision_id=None):
        self.problems.append(Problem(message, decision_id))


@dataclass
class _Signed:
    source: str
    last_id: int
    size: int
    head: str
    path: Path | None = None  # a directory file, with its decision list


def verify_ledger(*, checkpoint_files=(), directory=None, chunk_size=2000, examples=10):
    """Check the whole record; return a Report (``ok`` when nothing is wrong).

    Steps:
    1. recompute the hash chain (chunked);
    2. check the signature of every checkpoint: the database's, the directory's
       and ``checkpoint_files`` (witnesses' copies of the head);
    3. walk (id, hash) once in id order beside the checkpoints sorted by
       ``last_id``: each checkpoint's last decision must exist with the signed
       hash, with exactly ``size`` decisions up to it (a prefix of today's chain);
    4. compare each directory file's decision list with the database: the first
       missing or different decision is named;
    5. set-based cross-checks: every permit's stored status is its last
       standing decision's ``to_status`` (not an amendment, a rescission or a
       rescinded decision; ``pending`` with none); every rescission undoes the
       decision it voids; every decision has a
       matching insert event in the audit trail, and no insert event lacks its decision;
       every decision recorded since the event feed began has its event of the
       feed, of the type of its kind (permits/events/outbox.py).

    Memory grows with the number of checkpoints (three numbers each), never
    with the number of decisions or permits.
    """
    report = Report()
    report.count, report.head, broken = ledger.verify_chain(chunk_size=chunk_size)
    if broken is not None:
        report.add(f"the hash chain is broken at {broken}", broken.decision_id)

    signed = _signed_checkpoints(report, checkpoint_files=checkpoint_files, directory=directory)
    report.checkpoints = len(signed)
    _check_prefixes(report, signed, chunk_size=max(chunk_size, 5000))
    for item in signed:
        if item.path is not None:
            _check_file_list(report, item, chunk_size=chunk_size)
    _check_statuses(report, examples)
    _check_audit_events(report, examples)
    _check_outbox_events(report, examples)
    return report


def _signed_checkpoints(report, *, checkpoint_files, directory):
    found = []

    def take(source, data, path=None):
        problem = statement_problem(data)
        if problem:
            # A statement whose signature fails says nothing about the chain: it is
            # reported, and not used as a prefix.
            report.add(f"{source}: {problem}")
            return
        found.append(_Signed(source, data["last_id"], data["size"], data["head"], path))

    for checkpoint in LedgerCheckpoint.objects.order_by("id").iterator(chunk_size=2000):
        take(f"database checkpoint {checkpoint.pk}", statement(checkpoint))
    for path in [*directory_files(directory), *map(Path, checkpoint_files)]:
        try:
            data, has_list = read_statement(path)
        except CheckpointFileError as exc:
            report.add(str(exc))
            continue
        take(f"checkpoint file {path}", data, path if has_list else None)
    return found


def _check_prefixes(report, signed, *, chunk_size):
    pending = sorted(signed, key=lambda s: s.last_id)
    i, position = 0, 0
    for decision_id, digest in ledger.iter_id_hash(chunk_size=chunk_size):
        while i < len(pending) and pending[i].last_id < decision_id:
            item = pending[i]
            report.add(f"{item.source}: decision {item.last_id}, its last, is missing", item.last_id)
            i += 1
        position += 1
        while i < len(pending) and pending[i].last_id == decision_id:
            item = pending[i]
            if digest != item.head:
                report.add(
                    f"{item.source}: decision {decision_id} has hash {digest}, the checkpoint signed {item.head}",
                    decision_id,
                )
            elif position != item.size:
                report.add(
                    f"{item.source}: {position} decisions up to decision {decision_id}, "
                    f"the checkpoint signed {item.size}",
                    decision_id,
                )
            i += 1
        if i == len(pending):
            break
    for item in pending[i:]:
        report.add(f"{item.source}: decision {item.last_id}, its last, is missing", item.last_id)


def _check_file_list(report, item, *, chunk_size):
    def compare(chunk):
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, hash FROM permits_decision WHERE id = ANY(%s)", [[d for d, _ in chunk]])
            stored = dict(cursor.fetchall())
        for decision_id, digest in chunk:
            if decision_id not in stored:
                report.add(f"{item.source}: decision {decision_id} is missing", decision_id)
                return True
            if stored[decision_id] != digest:
                report.add(
                    f"{item.source}: decision {decision_id} has hash {stored[decision_id]}, "
                    f"the checkpoint listed {digest}",
                    decision_id,
                )
                return True
        return False

    chunk = []
    try:
        for pair in iter_file_decisions(item.path):
            chunk.append(pair)
            if len(chunk) >= chunk_size:
                if compare(chunk):
                    return
                chunk = []
        if chunk:
            compare(chunk)
    except CheckpointFileError as exc:
        report.add(str(exc))


# The stored status must be what the permit's standing decisions give: the
# last one that is not an amendment, a rescission or rescinded (pending with
# none). And every rescission must have returned the permit to the voided
# decision's from_status, and void a decision of its own permit.
_STATUS_SQL = """
    SELECT p.number, p.status, COALESCE(d.to_status, 'pending'), count(*) OVER ()
      FROM permits_permit p
      LEFT JOIN LATERAL (
            SELECT s.to_status FROM permits_decision s
             WHERE s.permit_id = p.id AND s.kind NOT IN ('amend', 'rescind')
               AND NOT EXISTS (SELECT 1 FROM permits_decision r WHERE r.rescinds_id = s.id)
             ORDER BY s.id DESC LIMIT 1
      ) d ON TRUE
     WHERE p.status <> COALESCE(d.to_status, 'pending')
     ORDER BY p.id
     LIMIT %s
"""
_RESCISSION_SQL = """
    SELECT r.id, v.id, count(*) OVER ()
      FROM permits_decision r JOIN permits_decision v ON v.id = r.rescinds_id
     WHERE r.to_status <> v.from_status OR r.from_status <> v.to_status OR r.permit_id <> v.permit_id
           OR v.id > r.id
     ORDER BY r.id
     LIMIT %s
"""

# The insert event copies every column of the decision (django-pghistory trigger).
_WITHOUT_EVENT_SQL = """
    SELECT d.id, count(*) OVER ()
      FROM permits_decision d
     WHERE NOT EXISTS (
            SELECT 1 FROM permits_decisionevent e
             WHERE e.pgh_obj_id = d.id AND e.pgh_label = 'insert'
               AND (e.permit_id, e.kind, e.from_status, e.to_status, e.effective_on, e.recorded_at,
                    e.authority, e.reason, e.decided_by_id, e.batch, e.hash, e.previous_hash,
                    e.changes, e.rescinds_id)
                   IS NOT DISTINCT FROM
                   (d.permit_id, d.kind, d.from_status, d.to_status, d.effective_on, d.recorded_at,
                    d.authority, d.reason, d.decided_by_id, d.batch, d.hash, d.previous_hash,
                    d.changes, d.rescinds_id)
     )
     ORDER BY d.id
     LIMIT %s
"""
_EVENT_WITHOUT_DECISION_SQL = """
    SELECT e.pgh_obj_id, count(*) OVER ()
      FROM permits_decisionevent e
     WHERE e.pgh_label = 'insert'
       AND NOT EXISTS (SELECT 1 FROM permits_decision d WHERE d.id = e.pgh_obj_id)
     ORDER BY e.pgh_obj_id
     LIMIT %s
"""


def _check_statuses(report, examples):
    with connection.cursor() as cursor:
        cursor.execute(_STATUS_SQL, [examples])
        rows = cursor.fetchall()
    for number, stored, expected, total in rows:
        report.add(f"permit {number}: stored status {stored}, its decisions give {expected} "
                   f"({total} permit(s) disagree)")
    with connection.cursor() as cursor:
        cursor.execute(_RESCISSION_SQL, [examples])
        rows = cursor.fetchall()
    for rescission_id, voided_id, total in rows:
        report.add(f"decision {rescission_id} rescinds decision {voided_id} but does not undo it "
                   f"({total} rescission(s) disagree)", rescission_id)


def _check_audit_events(report, examples):
    with connection.cursor() as cursor:
        cursor.execute(_WITHOUT_EVENT_SQL, [examples])
        without = cursor.fetchall()
        cursor.execute(_EVENT_WITHOUT_DECISION_SQL, [examples])
        orphaned = cursor.fetchall()
    for decision_id, total in without:
        report.add(f"decision {decision_id} has no matching insert event in the audit trail "
                   f"({total} decision(s) lack one)", decision_id)
    for decision_id, total in orphaned:
        report.add(f"decision {decision_id} is in the audit trail but missing from the ledger "
                   f"({total} such event(s))", decision_id)


# Decisions since the first one with an event of the feed (older ones predate
# it) that lack their event, or whose event tells another permit or kind.
_WITHOUT_FEED_EVENT_SQL = """
    WITH first AS (SELECT min(decision_id) AS id FROM permits_event),
         kinds(kind, type) AS (SELECT * FROM unnest(%s::text[], %s::text[])),
         bad AS (
           SELECT d.id FROM permits_decision d CROSS JOIN first
             LEFT JOIN permits_event e ON e.decision_id = d.id
             LEFT JOIN kinds k ON k.kind = d.kind
            WHERE first.id IS NOT NULL AND d.id >= first.id
              AND (e.seq IS NULL OR e.permit_id <> d.permit_id OR e.type IS DISTINCT FROM k.type))
    SELECT id, count(*) OVER () FROM bad ORDER BY id LIMIT %s
"""


def _check_outbox_events(report, examples):
    from .events.outbox import EVENT_TYPE_OF_KIND

    with connection.cursor() as cursor:
        cursor.execute(_WITHOUT_FEED_EVENT_SQL, [list(EVENT_TYPE_OF_KIND), list(EVENT_TYPE_OF_KIND.values()),
                                                 examples])
        rows = cursor.fetchall()
    for decision_id, total in rows:
        report.add(f"decision {decision_id} has no matching event in the event feed "
                   f"({total} decision(s) lack one)", decision_id)
