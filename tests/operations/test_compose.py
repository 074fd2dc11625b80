"""docker-compose.yml runs the application as the runtime role; the superuser
exists only for the database container's first-start init script.

Docker is not needed: the file is read as YAML, and the init script is run
against this test run's PostgreSQL server (with role and database names of its
own, dropped afterwards).
"""

import os
import re
import shutil
import subprocess
import uuid

import psycopg
import psycopg.conninfo
import pytest
import yaml

from tests.conftest import ROOT, owner_database_url

INIT_SCRIPT = ROOT / "docker" / "initdb" / "10-permits-roles.sh"
APP_SERVICES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _user(url):
    # Not urlsplit: the password is a ${VAR:?message} interpolation, colons and all.
    match = re.match(r"postgres://([^:@/]+)[:@]", url)
    return match.group(1) if match else None


def test_web_worker_and_beat_connect_as_the_runtime_role_only(compose):
    services = compose["services"]
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert _user(env["DATABASE_URL"]) == "permits_app", name
        assert "PERMITS_APP_PASSWORD" in env["DATABASE_URL"]
        assert not any("POSTGRES_PASSWORD" in str(value) for value in env.values()), name
        if name != "migrate":
            assert "MIGRATE_DATABASE_URL" not in env, name
            assert not any("PERMITS_OWNER_PASSWORD" in str(value) for value in env.values()), name


def test_migrate_runs_as_the_owner_then_grants(compose):
    migrate = compose["services"]["migrate"]
    assert _user(migrate["environment"]["MIGRATE_DATABASE_URL"]) == "permits_owner"
    script = " ".join(migrate["command"])
    assert script.index("manage.py migrate") < script.index("manage.py grant_runtime_role permits_app")
    for name in ("web", "worker", "beat"):
        assert compose["services"][name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_superuser_is_the_database_containers_alone(compose):
    db = compose["services"]["db"]
    assert db["environment"]["POSTGRES_USER"] == "postgres"
    assert "./docker/initdb:/docker-entrypoint-initdb.d:ro" in db["volumes"]
    assert "permits_owner" in " ".join(db["healthcheck"]["test"])
    assert os.access(INIT_SCRIPT, os.X_OK)


def test_the_init_script_is_valid_bash():
    result = subprocess.run(["bash", "-n", str(INIT_SCRIPT)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def _superuser_params():
    """Connection parameters of a superuser on this run's server, or None.

    The owner role when it is one (DATABASE_URL of a superuser); else
    ``postgres`` on the same server, which CI and the embedded server trust
    on loopback and their socket.
    """
    params = psycopg.conninfo.conninfo_to_dict(owner_database_url())
    for candidate in (params, {**params, "user": "postgres", "password": ""}):
        try:
            with psycopg.connect(**candidate, connect_timeout=5) as conn:
                if conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
                    return candidate
        except psycopg.OperationalError:
            continue
    return None


@pytest.mark.django_db(transaction=True)
def test_the_init_script_makes_the_two_roles_and_the_database(tmp_path):
    """Run twice against the real server, as its superuser (as the image does)."""
    if not shutil.which("psql"):
        pytest.skip("psql is not installed: the init script cannot be run here")
    admin = _superuser_params()
    if admin is None:
        pytest.skip("no superuser login on this server: the init script needs one")
    suffix = uuid.uuid4().hex[:8]
    owner, app, db = f"initdb_owner_{suffix}", f"initdb_app_{suffix}", f"initdb_{suffix}"
    pghba = tmp_path / "pg_hba.conf"
    pghba.write_text("host all all 127.0.0.1/32 trust\n")
    env = dict(
        os.environ, POSTGRES_USER=admin["user"], PGHOST=admin.get("host") or "localhost",
        PGPORT=str(admin.get("port") or 5432), PGPASSWORD=admin.get("password") or "", PGDATA=str(tmp_path),
        PERMITS_OWNER_PASSWORD="owner0secret", PERMITS_APP_PASSWORD="app0secret",
        PERMITS_OWNER_ROLE=owner, PERMITS_APP_ROLE=app, PERMITS_DB=db,
    )
    try:
        for _ in range(2):  # idempotent
            result = subprocess.run(["bash", str(INIT_SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
            assert result.returncode == 0, result.stderr
        with psycopg.connect(**admin) as conn:
            roles = {row[0]: row[1:] for row in conn.execute(
                "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolcanlogin, rolpassword IS NOT NULL "
                "FROM pg_authid WHERE rolname IN (%s, %s)", [owner, app]).fetchall()}
            assert roles == {owner: (False, False, False, True, True), app: (False, False, False, True, True)}
            assert conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
                                [db]).fetchone() == (owner,)
            # CONNECT comes to the runtime role from grant_runtime_role, not from PUBLIC.
            assert conn.execute("SELECT has_database_privilege(%s, %s, 'CONNECT')", [app, db]).fetchone() == (False,)
        # The superuser's network login is barred once, ahead of every other line.
        lines = pghba.read_text().splitlines()
        assert lines[0] == f"host all {admin['user']} all reject"
        assert lines.count(lines[0]) == 1
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{owner}"')
            conn.execute(f'DROP ROLE IF EXISTS "{app}"')
