"""A pg_dump backup restores into a fresh database with every decision and its chain intact."""

import shutil
import subprocess
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.core.management import call_command

from permits import services
from permits.models import Decision, Destination, Permit
from tests.conftest import test_database_url
from tests.factories import PermitFactory, UserFactory
from tests.ledger_check import CHAIN_SQL, broken_links, check_chain

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


def _with_database(url, name):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _rows(url):
    with psycopg.connect(url) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        return conn.execute(CHAIN_SQL).fetchall()


@pytest.fixture
def fresh_database():
    source = test_database_url()
    name = f"restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # nosec B608 - a generated name
    yield _with_database(source, name)
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_dump_and_restore_keeps_every_decision_and_the_chain(tmp_path, fresh_database):
    for tool in ("pg_dump", "pg_restore"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed")
    call_command("load_demo", stdout=open("/dev/null", "w"))
    minister = UserFactory(role="decision_maker", username="restore-minister")
    services.record_blanket_decision(
        destination=Destination.objects.get(code="TR"), kind="cancel",
        reason="Credible evidence the sensors were used in Nagorno-Karabakh", decided_by=minister,
    )
    assert Decision.objects.count() > 50
    assert broken_links() == []
    source = test_database_url()

    # The commands the README gives for backup and restore.
    dump = tmp_path / "permits.dump"
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", f"--dbname={source}"],
                   check=True, capture_output=True, timeout=120)
    subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                    f"--dbname={fresh_database}", str(dump)],
                   check=True, capture_output=True, timeout=120)

    original, restored = _rows(source), _rows(fresh_database)
    assert len(restored) == Decision.objects.count()
    assert restored == original
    assert check_chain(restored) == []
    with psycopg.connect(fresh_database) as conn:
        statuses = dict(conn.execute("SELECT number, status FROM permits_permit").fetchall())
    assert statuses == dict(Permit.objects.values_list("number", "status"))


def test_the_check_notices_a_tampered_copy(tmp_path, fresh_database):
    minister = UserFactory(role="decision_maker", username="tamper-minister")
    permit = PermitFactory()
    services.record_decision(permit=permit, kind="suspend", reason="Original reason", decided_by=minister)
    source = test_database_url()
    dump = tmp_path / "permits.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", f"--dbname={source}"],
                   check=True, capture_output=True, timeout=120)
    subprocess.run(["pg_restore", "--no-owner", "--no-privileges", f"--dbname={fresh_database}", str(dump)],
                   check=True, capture_output=True, timeout=120)
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("ALTER TABLE permits_decision DISABLE TRIGGER USER")
        conn.execute("UPDATE permits_decision SET reason = 'Rewritten' WHERE kind = 'suspend'")
    problems = check_chain(_rows(fresh_database))
    assert len(problems) == 1 and "hash does not match" in problems[0]
