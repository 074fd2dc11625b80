"""The decision ledger: append-only in the database, and its chain verifiable."""

import logging
import os
import subprocess
import sys

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from permits import ledger, services
from permits.models import Decision
from permits.tasks import verify_decision_ledger
from tests.conftest import ROOT, owner_database_url, test_database_url
from tests.factories import PermitFactory


def _permits(n):
    return [PermitFactory(number=f"EXP-LED-{i}") for i in range(n)]


def _tamper(decision_id, sql="UPDATE permits_decision SET reason = 'Quietly edited.' WHERE id = %s"):
    """Alter a committed decision the way the tables' owner could (the runtime role cannot)."""
    with psycopg.connect(owner_database_url()) as conn:  # one transaction
        # ALTER TABLE refuses a table with pending (deferred) foreign-key checks.
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        conn.execute("ALTER TABLE permits_decision DISABLE TRIGGER USER")
        conn.execute(sql, [decision_id])
        conn.execute("ALTER TABLE permits_decision ENABLE TRIGGER USER")


@pytest.mark.django_db
@pytest.mark.parametrize("statement", [
    "UPDATE permits_decision SET reason = 'edited' WHERE id = %s",
    "DELETE FROM permits_decision WHERE id = %s",
])
def test_raw_sql_cannot_change_or_remove_a_decision(statement):
    (permit,) = _permits(1)
    decision = Decision.objects.get(permit=permit)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [decision.pk])
    decision.refresh_from_db()
    assert decision.reason == "Permit issued by the licensing system."


@pytest.mark.django_db
def test_orm_cannot_change_a_decision_either():
    (permit,) = _permits(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        Decision.objects.filter(permit=permit).update(reason="edited")


@pytest.mark.django_db
def test_permit_with_decisions_cannot_be_deleted_in_the_database():
    (permit,) = _permits(1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        # Foreign keys are checked at commit; ask for the check now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("DELETE FROM permits_permititem WHERE permit_id = %s", [permit.pk])
        cursor.execute("DELETE FROM permits_permit WHERE id = %s", [permit.pk])
    assert Decision.objects.filter(permit=permit).exists()


@pytest.mark.django_db
def test_intact_chain_verifies(capsys):
    permits = _permits(3)
    services.record_batch_decision(permit_ids=[p.pk for p in permits], kind="suspend", reason="Evidence.")
    call_command("verify_decisions", chunk_size=2)  # several chunks
    out = capsys.readouterr().out
    assert "verified: 6 decisions" in out
    assert Decision.objects.order_by("-id").first().hash in out


@pytest.mark.django_db(transaction=True)
def test_altered_decision_in_the_middle_is_named():
    permits = _permits(5)
    services.record_batch_decision(permit_ids=[p.pk for p in permits], kind="suspend", reason="Evidence.")
    ids = list(Decision.objects.order_by("id").values_list("id", flat=True))
    middle = ids[len(ids) // 2]
    _tamper(middle)
    with pytest.raises(CommandError, match=rf"broken at decision {middle}\b|BROKEN at decision {middle}\b"):
        call_command("verify_decisions", chunk_size=3)
    count, _head, broken = ledger.verify_chain()
    assert broken.decision_id == middle and count == ids.index(middle)


@pytest.mark.django_db(transaction=True)
def test_rehashed_forgery_is_caught_at_the_next_decision():
    """Recomputing the altered row's own hash only moves the break one row on."""
    permits = _permits(4)
    ids = list(Decision.objects.order_by("id").values_list("id", flat=True))
    target = Decision.objects.select_related("permit").get(pk=ids[1])
    forged = ledger.chain_hash(target.previous_hash, ledger.canonical(
        permit_number=target.permit.number, kind=target.kind, from_status=target.from_status,
        to_status=target.to_status, effective_on=target.effective_on, recorded_at=target.recorded_at,
        authority=target.authority, reason="Forged.", decided_by_id=target.decided_by_id, batch=target.batch,
    ))
    _tamper(target.pk, f"UPDATE permits_decision SET reason = 'Forged.', hash = '{forged}' WHERE id = %s")
    assert ledger.verify_chain()[2].decision_id == ids[2]


@pytest.mark.django_db(transaction=True)
def test_removed_decision_is_caught():
    _permits(3)
    ids = list(Decision.objects.order_by("id").values_list("id", flat=True))
    _tamper(ids[1], "DELETE FROM permits_decision WHERE id = %s")
    assert ledger.verify_chain()[2].decision_id == ids[2]


@pytest.mark.django_db
def test_empty_ledger_verifies(capsys):
    call_command("verify_decisions")
    assert "verified: 0 decisions" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_command_exits_non_zero_naming_the_id():
    permits = _permits(3)
    ids = list(Decision.objects.order_by("id").values_list("id", flat=True))
    env = dict(os.environ, DATABASE_URL=test_database_url())
    command = [sys.executable, "manage.py", "verify_decisions"]
    ok = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    _tamper(ids[1])
    broken = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert broken.returncode != 0
    assert f"decision {ids[1]}" in broken.stderr
    assert permits  # the permits stay; only the check failed


@pytest.mark.django_db(transaction=True)
def test_daily_check_reports_a_break_loudly(make_user, mailoutbox, caplog):
    make_user(None, username="root", is_superuser=True, email="root@example.org")
    make_user(None, username="quiet", is_superuser=True, email="")
    _permits(3)
    ids = list(Decision.objects.order_by("id").values_list("id", flat=True))
    assert verify_decision_ledger.delay().get() == {"ok": True, "verified": 3}
    assert mailoutbox == []
    _tamper(ids[1])
    with caplog.at_level(logging.ERROR, logger="permits.ledger"):
        result = verify_decision_ledger.delay().get()
    assert result["ok"] is False and result["broken_at"] == ids[1]
    assert any(r.levelno == logging.ERROR and f"decision {ids[1]}" in r.getMessage() for r in caplog.records)
    (mail,) = mailoutbox
    assert mail.to == ["root@example.org"]
    assert f"decision {ids[1]}" in mail.body


def test_daily_check_is_scheduled():
    from config.celery import app

    schedule = {entry["task"]: entry for entry in app.conf.beat_schedule.values()}
    assert "permits.tasks.verify_decision_ledger" in schedule
