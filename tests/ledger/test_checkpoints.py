"""Signed checkpoints of the decision ledger: written, served, and checked by verify_decisions.

Tampering is done as the tables' owner (a connection of its own: the tests run
as the runtime role, which cannot) with the protection triggers switched off,
the way someone with owner rights could; those tests commit their data.
"""

import base64
import hashlib
import json
import os
import stat
import subprocess
import sys
import threading

import psycopg
import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.management import CommandError, call_command
from django.db import connection, connections

from permits import checkpoints, services
from permits.models import Decision, LedgerCheckpoint
from permits.tasks import write_ledger_checkpoint
from tests.conftest import ROOT, owner_database_url, test_database_url
from tests.factories import PermitFactory, new_token, token_client

pytestmark = pytest.mark.django_db


def _permits(n, prefix="EXP-CP"):
    return [PermitFactory(number=f"{prefix}-{i}") for i in range(n)]


def _ids():
    return list(Decision.objects.order_by("id").values_list("id", flat=True))


# Tests that tamper commit their data, so that the owner's connection sees it.
tampering = pytest.mark.django_db(transaction=True)


def _owner_sql(*statements, tables=("permits_decision",)):
    """As the owner, run SQL with the user triggers (append-only, audit) of ``tables`` switched off."""
    with psycopg.connect(owner_database_url()) as conn:  # one transaction
        # ALTER TABLE refuses a table with pending trigger events (deferred FK checks).
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables:
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for sql, params in statements:
            conn.execute(sql, params)
        for table in tables:
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def _forget_database_checkpoints():
    """The strongest attacker also empties the checkpoint table: only the files remain."""
    _owner_sql(("DELETE FROM permits_ledgercheckpoint", []), tables=("permits_ledgercheckpoint",))


def _verify_fails(**kwargs):
    with pytest.raises(CommandError) as raised:
        call_command("verify_decisions", **kwargs)
    return str(raised.value)


def _rehash_from(decision_id, new_reason):
    """Rewrite one decision's reason and re-hash it and every decision after it."""
    rows = list(Decision.objects.select_related("permit").filter(id__gte=decision_id).order_by("id"))
    head = rows[0].previous_hash
    statements = []
    for row in rows:
        reason = new_reason if row.pk == decision_id else row.reason
        digest = checkpoints.ledger.chain_hash(head, checkpoints.ledger.canonical(
            permit_number=row.permit.number, kind=row.kind, from_status=row.from_status,
            to_status=row.to_status, effective_on=row.effective_on, recorded_at=row.recorded_at,
            authority=row.authority, reason=reason, decided_by_id=row.decided_by_id, batch=row.batch,
        ))
        statements.append((
            "UPDATE permits_decision SET reason = %s, hash = %s, previous_hash = %s WHERE id = %s",
            [reason, digest, head, row.pk],
        ))
        head = digest
    # Hashes are unique: move them out of the way first, then write the forged chain.
    statements.insert(0, ("UPDATE permits_decision SET hash = 'x' || id WHERE id >= %s", [decision_id]))
    _owner_sql(*statements)


# --- Signing --------------------------------------------------------------

def test_signature_is_ed25519_over_the_canonical_json_of_the_four_fields(checkpoint_dir):
    _permits(3)
    checkpoint = checkpoints.write_checkpoint()
    ids = _ids()
    assert (checkpoint.last_id, checkpoint.size) == (ids[-1], 3)
    assert checkpoint.head == Decision.objects.get(pk=ids[-1]).hash
    answer = checkpoints.statement(checkpoint)
    signed = {k: answer[k] for k in ("last_id", "size", "head", "signed_at")}
    message = rfc8785.dumps(signed)
    # For these values (ASCII strings, small integers) JCS is sorted keys, no spaces.
    assert message == json.dumps(signed, sort_keys=True, separators=(",", ":")).encode()
    public = base64.b64decode(answer["public_key"])
    assert answer["key_id"] == hashlib.sha256(public).hexdigest()
    # Raises InvalidSignature if it does not verify.
    Ed25519PublicKey.from_public_bytes(public).verify(base64.b64decode(answer["signature"]), message)


def test_checkpoint_is_stored_and_written_to_a_read_only_file(checkpoint_dir):
    _permits(2)
    first = checkpoints.write_checkpoint()
    (path,) = checkpoint_dir.glob("*.jsonl")
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    assert header["checkpoint"] == checkpoints.statement(first)
    assert header["previous"] is None
    assert [json.loads(line) for line in lines[1:]] == [[d.pk, d.hash] for d in Decision.objects.order_by("id")]

    _permits(1, prefix="EXP-CP-NEXT")
    second = checkpoints.write_checkpoint()
    assert second.size == 3 and second.last_id == _ids()[-1]
    newest = checkpoint_dir / checkpoints.file_name(second)
    lines = newest.read_text().splitlines()
    assert json.loads(lines[0])["previous"] == {"last_id": first.last_id, "size": 2, "head": first.head}
    assert [json.loads(line)[0] for line in lines[1:]] == [second.last_id]  # only what is new
    assert path.read_text().splitlines()[0] == json.dumps(header, sort_keys=True)  # the first is untouched


def test_nothing_is_signed_while_the_head_stays(checkpoint_dir):
    assert checkpoints.write_checkpoint() is None  # empty ledger
    _permits(1)
    assert checkpoints.write_checkpoint() is not None
    assert checkpoints.write_checkpoint() is None
    assert LedgerCheckpoint.objects.count() == 1
    assert len(list(checkpoint_dir.glob("*.jsonl"))) == 1


def test_an_existing_file_is_never_overwritten(checkpoint_dir, monkeypatch):
    _permits(1)
    taken = checkpoint_dir / "taken.jsonl"
    taken.write_text("kept\n")
    monkeypatch.setattr(checkpoints, "file_name", lambda checkpoint: "taken.jsonl")
    with pytest.raises(FileExistsError):
        checkpoints.write_checkpoint()
    assert taken.read_text() == "kept\n"
    assert not LedgerCheckpoint.objects.exists()  # the row went with the failed file


@tampering
def test_a_ledger_that_does_not_verify_is_not_signed(checkpoint_dir):
    _permits(3)
    checkpoints.write_checkpoint()
    _permits(1, prefix="EXP-CP-LATE")
    newest = _ids()[-1]
    _owner_sql(("UPDATE permits_decision SET reason = 'Quietly edited.' WHERE id = %s", [newest]))
    with pytest.raises(checkpoints.CheckpointRefused, match=rf"decision {newest}\b"):
        checkpoints.write_checkpoint()
    assert LedgerCheckpoint.objects.count() == 1
    assert write_ledger_checkpoint.delay().get()["ok"] is False


def test_the_checkpoint_table_is_append_only():
    _permits(1)
    checkpoint = checkpoints.write_checkpoint()
    from django.db import DatabaseError, transaction

    for sql in ("UPDATE permits_ledgercheckpoint SET size = 99 WHERE id = %s",
                "DELETE FROM permits_ledgercheckpoint WHERE id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [checkpoint.pk])
    checkpoint.refresh_from_db()
    assert checkpoint.size == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_sign_one_checkpoint():
    _permits(3)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(5)
            results.append(checkpoints.write_checkpoint())
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sum(result is not None for result in results) == 1
    assert LedgerCheckpoint.objects.count() == 1


# --- The beat task and batches ---------------------------------------------

def test_the_task_writes_a_checkpoint_only_when_the_head_moved(checkpoint_dir):
    assert write_ledger_checkpoint.delay().get() == {"ok": True, "written": False}
    _permits(2)
    first = write_ledger_checkpoint.delay().get()
    assert first["written"] is True and first["size"] == 2
    assert write_ledger_checkpoint.delay().get() == {"ok": True, "written": False}
    _permits(1, prefix="EXP-CP-MORE")
    assert write_ledger_checkpoint.delay().get()["size"] == 3
    assert LedgerCheckpoint.objects.count() == 2
    assert len(list(checkpoint_dir.glob("*.jsonl"))) == 2


def test_the_task_is_on_the_beat_schedule_every_few_minutes():
    from config.celery import app

    (entry,) = [e for e in app.conf.beat_schedule.values() if e["task"] == "permits.tasks.write_ledger_checkpoint"]
    assert entry["schedule"] <= 600


def test_a_batch_decision_is_signed_after_commit(django_capture_on_commit_callbacks):
    permits = _permits(3)
    write_ledger_checkpoint.delay().get()
    with django_capture_on_commit_callbacks(execute=True):
        services.record_batch_decision(permit_ids=[p.pk for p in permits], kind="suspend", reason="Evidence.")
    latest = LedgerCheckpoint.objects.order_by("-id").first()
    assert (latest.size, latest.last_id) == (6, _ids()[-1])


# --- verify_decisions against checkpoints -------------------------------------

def test_an_intact_ledger_with_checkpoints_verifies(capsys):
    permits = _permits(3)
    checkpoints.write_checkpoint()
    services.record_batch_decision(permit_ids=[p.pk for p in permits], kind="suspend", reason="Evidence.")
    checkpoints.write_checkpoint()
    call_command("verify_decisions", chunk_size=2)
    out = capsys.readouterr().out
    assert "verified: 6 decisions" in out
    assert "4 signed checkpoint(s) agree" in out  # 2 rows + 2 files


@tampering
def test_deleting_the_newest_decision_is_reported():
    _permits(3)
    checkpoints.write_checkpoint()
    newest = _ids()[-1]
    _owner_sql(("DELETE FROM permits_decision WHERE id = %s", [newest]))
    _forget_database_checkpoints()
    assert checkpoints.ledger.verify_chain()[2] is None  # the chain alone cannot see it
    message = _verify_fails()
    assert f"BROKEN at decision {newest}" in message


@tampering
def test_rewriting_a_decision_and_rehashing_the_rest_is_reported():
    _permits(5)
    checkpoints.write_checkpoint()
    ids = _ids()
    target = ids[1]
    _rehash_from(target, "Forged.")
    _forget_database_checkpoints()
    assert checkpoints.ledger.verify_chain()[2] is None  # the forged chain is self-consistent
    report = checkpoints.verify_ledger()
    assert report.first_differing == target
    file_problems = [p for p in report.problems if p.message.startswith("checkpoint file")]
    assert {p.decision_id for p in file_problems} == {target, ids[-1]}  # first changed; signed head
    assert f"BROKEN at decision {target}" in _verify_fails()


@tampering
def test_truncating_the_ledger_after_a_checkpoint_is_reported():
    _permits(3)
    checkpoints.write_checkpoint()
    first = _ids()[0]
    _owner_sql(("TRUNCATE permits_decision CASCADE", []),
               tables=("permits_decision", "permits_exporternotice"))
    _forget_database_checkpoints()
    assert Decision.objects.count() == 0
    message = _verify_fails()
    assert f"BROKEN at decision {first}" in message


def test_a_checkpoint_with_a_forged_signature_is_reported(checkpoint_dir):
    _permits(2)
    checkpoint = checkpoints.write_checkpoint()
    path = checkpoint_dir / checkpoints.file_name(checkpoint)
    header, *rest = path.read_text().splitlines()
    data = json.loads(header)
    data["checkpoint"]["signature"] = base64.b64encode(
        Ed25519PrivateKey.generate().sign(b"something else")
    ).decode()
    path.chmod(0o644)
    path.write_text("\n".join([json.dumps(data), *rest]) + "\n")
    message = _verify_fails()
    assert "signature does not verify" in message
    report = checkpoints.verify_ledger()
    assert [p.message for p in report.problems] == [f"checkpoint file {path}: signature does not verify"]


def test_a_checkpoint_signed_by_another_key_is_reported(tmp_path):
    _permits(1)
    real = checkpoints.statement(checkpoints.write_checkpoint())
    other = Ed25519PrivateKey.generate()
    from cryptography.hazmat.primitives import serialization

    other_public = other.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    forged = {**real, "size": 99, "key_id": hashlib.sha256(other_public).hexdigest(),
              "public_key": base64.b64encode(other_public).decode()}
    forged["signature"] = base64.b64encode(other.sign(checkpoints.signed_bytes(
        **{k: forged[k] for k in ("last_id", "size", "head", "signed_at")}))).decode()
    witness = tmp_path / "forged.json"
    witness.write_text(json.dumps(forged))
    report = checkpoints.verify_ledger(checkpoint_files=[witness])
    (problem,) = report.problems
    assert "not this deployment's key" in problem.message
    # The same forgery claiming this deployment's key id does not verify either.
    witness.write_text(json.dumps({**forged, "key_id": real["key_id"]}))
    (problem,) = checkpoints.verify_ledger(checkpoint_files=[witness]).problems
    assert problem.message.endswith("signature does not verify")


@pytest.mark.parametrize("content", ["", "not json", "[1, 2]", '{"last_id": 1}', "x" * 70000])
def test_an_unreadable_witness_file_is_reported_not_a_crash(tmp_path, content):
    witness = tmp_path / "witness.json"
    witness.write_text(content)
    report = checkpoints.verify_ledger(checkpoint_files=[witness])
    assert len(report.problems) == 1 and str(witness) in report.problems[0].message
    with pytest.raises(CommandError):
        call_command("verify_decisions", checkpoint=[str(witness)])


def test_a_missing_witness_file_is_reported(tmp_path):
    assert "cannot be read" in _verify_fails(checkpoint=[str(tmp_path / "nowhere.json")])


# --- Cross-checks ---------------------------------------------------------

def test_a_status_that_its_decisions_do_not_give_is_reported():
    (permit,) = _permits(1)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE permits_permit SET status = 'cancelled' WHERE id = %s", [permit.pk])
    message = _verify_fails()
    assert "(no single decision named)" in message
    (problem,) = checkpoints.verify_ledger().problems
    assert problem.message.startswith(f"permit {permit.number}: stored status cancelled, its decisions give active")


@tampering
def test_a_decision_without_its_audit_event_is_reported():
    _permits(2)
    target = _ids()[0]
    _owner_sql(("DELETE FROM permits_decisionevent WHERE pgh_obj_id = %s", [target]),
               tables=("permits_decisionevent",))
    assert f"BROKEN at decision {target}" in _verify_fails()


@tampering
def test_a_rewritten_decision_no_longer_matches_its_audit_event():
    _permits(3)
    target = _ids()[1]
    _rehash_from(target, "Forged.")  # no checkpoint at all: the audit trail still tells
    report = checkpoints.verify_ledger()
    assert report.first_differing == target
    assert any("no matching insert event" in p.message for p in report.problems)


@tampering
def test_a_deleted_decision_is_named_by_its_audit_event():
    _permits(3)
    newest = _ids()[-1]
    _owner_sql(("DELETE FROM permits_decision WHERE id = %s", [newest]))
    report = checkpoints.verify_ledger()
    named = [p for p in report.problems if p.decision_id is not None]
    assert [p.decision_id for p in named] == [newest]
    assert "missing from the ledger" in named[0].message


# --- A witness, end to end ---------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_a_witness_copy_of_the_api_answer_verifies_and_then_catches_a_deletion(reader, tmp_path):
    _permits(3)
    checkpoints.write_checkpoint()
    answer = token_client(new_token(reader)).get("/api/v1/ledger/head/")
    assert answer.status_code == 200
    witness = tmp_path / "head.json"
    witness.write_bytes(answer.content)
    # Only the witness's copy is left to compare with: no rows, no directory files.
    empty = tmp_path / "no-files"
    env = dict(os.environ, DATABASE_URL=test_database_url(), LEDGER_CHECKPOINT_DIR=str(empty))
    command = [sys.executable, "manage.py", "verify_decisions", "--checkpoint", str(witness)]
    _forget_database_checkpoints()
    ok = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "1 signed checkpoint(s) agree" in ok.stdout
    newest = _ids()[-1]
    # Forget the audit trail's copy too: only the witness can tell now.
    _owner_sql(("DELETE FROM permits_decision WHERE id = %s", [newest]),
               ("DELETE FROM permits_decisionevent WHERE pgh_obj_id = %s", [newest]),
               tables=("permits_decision", "permits_decisionevent"))
    with connection.cursor() as cursor:
        # The permit's status still says what the deleted decision did; set it back as well.
        cursor.execute(
            "UPDATE permits_permit p SET status = d.to_status FROM permits_decision d "
            "WHERE d.permit_id = p.id AND d.id = (SELECT max(id) FROM permits_decision WHERE permit_id = p.id)"
        )
        cursor.execute(
            "UPDATE permits_permit SET status = 'pending' WHERE NOT EXISTS "
            "(SELECT 1 FROM permits_decision WHERE permit_id = permits_permit.id)"
        )
    broken = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert broken.returncode != 0
    assert f"BROKEN at decision {newest}" in broken.stderr
    assert "is missing" in broken.stderr


# --- The public key -----------------------------------------------------------

def test_the_public_key_command_prints_what_the_api_serves(capsys, auditor):
    _permits(1)
    checkpoints.write_checkpoint()
    call_command("ledger_public_key")
    lines = capsys.readouterr().out.splitlines()
    answer = token_client(new_token(auditor)).get("/api/v1/ledger/head/").json()
    assert lines == [f"public_key: {answer['public_key']}", f"key_id: {answer['key_id']}"]


def test_generate_prints_a_usable_private_key(capsys):
    call_command("ledger_public_key", "--generate")
    raw = base64.b64decode(capsys.readouterr().out.strip(), validate=True)
    assert len(raw) == 32
    Ed25519PrivateKey.from_private_bytes(raw)


@tampering
def test_the_daily_check_reports_a_deleted_newest_decision(make_user, mailoutbox):
    from permits.tasks import verify_decision_ledger

    make_user(None, username="root", is_superuser=True, email="root@example.org")
    _permits(2)
    checkpoints.write_checkpoint()
    assert verify_decision_ledger.delay().get() == {"ok": True, "verified": 2}
    newest = _ids()[-1]
    _owner_sql(("DELETE FROM permits_decision WHERE id = %s", [newest]))
    result = verify_decision_ledger.delay().get()
    assert result == {"ok": False, "broken_at": newest, "verified": 1}
    (mail,) = mailoutbox
    assert f"decision {newest}" in mail.body and "its last, is missing" in mail.body


# --- The optional bucket ------------------------------------------------------

def test_checkpoint_files_are_copied_to_the_bucket_storage(settings, tmp_path, checkpoint_dir,
                                                         django_capture_on_commit_callbacks):
    bucket = tmp_path / "bucket"
    # Any Django storage stands in for the S3 one here: the code only uses the alias.
    settings.STORAGES = {**settings.STORAGES, checkpoints.STORAGE_ALIAS: {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(bucket)}}}
    _permits(1)
    with django_capture_on_commit_callbacks(execute=True):
        checkpoint = checkpoints.write_checkpoint()
    name = checkpoints.file_name(checkpoint)
    assert (bucket / name).read_bytes() == (checkpoint_dir / name).read_bytes()
    (bucket / name).unlink()  # as if the bucket had been down
    assert write_ledger_checkpoint.delay().get()["written"] is False
    assert (bucket / name).read_bytes() == (checkpoint_dir / name).read_bytes()  # caught up
    assert checkpoints.copy_to_storage() == 0  # nothing copied twice


def test_without_a_bucket_nothing_is_copied(checkpoint_dir):
    _permits(1)
    checkpoints.write_checkpoint()
    assert checkpoints.copy_to_storage() == 0
