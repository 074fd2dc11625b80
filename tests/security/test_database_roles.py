"""The two database roles: the application runs as a role that owns nothing and
may only read and append the record; our own triggers are a second wall.

These tests run, like the whole suite, connected as the runtime role
(tests/conftest.py ``django_db_setup``); the owner's connection is opened
separately where a test needs it.
"""

import os
import subprocess
import sys

import psycopg
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from permits.dbroles import NAMED_PROTECTED_TABLES, connected_as_owner, protected_tables
from permits.models import Decision
from tests.conftest import ROOT, owner_database_url, test_database_url
from tests.factories import PermitFactory

RUNTIME_DML = ("SELECT", "INSERT", "UPDATE", "DELETE")
FORBIDDEN_ON_RECORD = ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")


def _one(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _refused(sql, params=None, setup=()):
    """Run ``sql`` as the runtime role in a transaction of its own; the database error, if any."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in setup:
                cursor.execute(statement)
            cursor.execute(sql, params)
    except DatabaseError as exc:
        return exc
    return None


def _pgtrigger_ignore_all(table):
    """``SET LOCAL pgtrigger.ignore`` naming every trigger of ``table`` (django-pgtrigger's
    triggers step aside for the names in that list)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [table])
        names = [name for (name,) in cursor.fetchall()]
    assert names, f"{table} has no triggers"
    return "SET LOCAL pgtrigger.ignore = '{" + ",".join(names) + "}'"


def _privileges(role, tables):
    with connection.cursor() as cursor:
        result = {}
        for table in tables:
            result[table] = {
                privilege for privilege in (*RUNTIME_DML, "TRUNCATE", "TRIGGER", "REFERENCES")
                if _has(cursor, role, table, privilege)
            }
    return result


def _has(cursor, role, table, privilege):
    cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege])
    return cursor.fetchone()[0]


# --- who the application is -------------------------------------------------

@pytest.mark.django_db
def test_the_suite_runs_as_a_runtime_role_that_is_not_the_owner():
    current, session, superuser, createrole, createdb, bypassrls = _one(
        "SELECT current_user, session_user, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls "
        "FROM pg_roles WHERE rolname = current_user"
    )
    owner = _one("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'permits_decision'::regclass")[0]
    assert current == session != owner
    assert (superuser, createrole, createdb, bypassrls) == (False, False, False, False)


@pytest.mark.django_db
def test_the_runtime_role_owns_nothing():
    owned = _one(
        """
        SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid)
             + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)
             + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)
             + (SELECT count(*) FROM pg_type WHERE typowner = r.oid)
             + (SELECT count(*) FROM pg_database WHERE datdba = r.oid)
          FROM pg_roles r WHERE r.rolname = current_user
        """
    )[0]
    assert owned == 0


@pytest.mark.django_db
def test_the_runtime_role_cannot_create_in_the_schema():
    assert _one("SELECT has_schema_privilege(current_user, current_schema(), 'CREATE')")[0] is False
    assert _one("SELECT has_database_privilege(current_user, current_database(), 'CREATE')")[0] is False
    error = _refused("CREATE TABLE intruder (id int)")
    assert error is not None and "permission denied" in str(error)
    error = _refused("CREATE FUNCTION intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    assert error is not None and "permission denied" in str(error)


@pytest.mark.django_db
def test_the_runtime_role_cannot_run_programs_on_the_server():
    error = _refused("COPY (SELECT 1) TO PROGRAM 'true'")
    # The wording differs between server versions; the role it names does not.
    assert error is not None and "pg_execute_server_program" in str(error)
    assert error.__cause__.sqlstate == "42501"  # insufficient_privilege
    assert _one("SELECT pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER')")[0] is False


@pytest.mark.django_db
def test_the_runtime_role_has_ordinary_dml_elsewhere_and_read_append_on_the_record():
    role = _one("SELECT current_user")[0]
    protected = protected_tables(connection)
    assert {"permits_decision", "permits_decisionevent", "permits_permitevent", "reviews_flagevent",
            "pghistory_context"} <= set(protected)
    rights = _privileges(role, protected + ["permits_permit", "reviews_flag", "knox_authtoken",
                                            "axes_accessattempt", "django_session"])
    for table in protected:
        assert rights[table] == {"SELECT", "INSERT"}, table
    for table in ("permits_permit", "reviews_flag", "knox_authtoken", "axes_accessattempt", "django_session"):
        assert rights[table] == set(RUNTIME_DML), table


# --- the record cannot be changed by the application ---------------------------

RECORD_STATEMENTS = {
    "update": "UPDATE {table} SET {column} = {column} WHERE {key} = %s",
    "delete": "DELETE FROM {table} WHERE {key} = %s",
    "truncate": "TRUNCATE {table} CASCADE",
}


def _record_rows():
    """One decision, its audit event and the permit's audit event: (table, column, key, value)."""
    permit = PermitFactory()
    decision = Decision.objects.get(permit=permit)
    event_id = _one("SELECT pgh_id FROM permits_decisionevent WHERE pgh_obj_id = %s", [decision.pk])[0]
    permit_event = _one("SELECT pgh_id FROM permits_permitevent WHERE pgh_obj_id = %s", [permit.pk])[0]
    return [
        ("permits_decision", "reason", "id", decision.pk),
        ("permits_decisionevent", "reason", "pgh_id", event_id),
        ("permits_permitevent", "number", "pgh_id", permit_event),
    ]


def _count(table):
    return _one(f"SELECT count(*) FROM {table}")[0]  # nosec B608 - a table name of the test


@pytest.mark.django_db
@pytest.mark.parametrize("with_ignore", [False, True], ids=["plain", "pgtrigger.ignore"])
@pytest.mark.parametrize("operation", sorted(RECORD_STATEMENTS))
def test_the_runtime_role_cannot_change_the_record(operation, with_ignore):
    for table, column, key, value in _record_rows():
        before = _count(table)
        setup = [_pgtrigger_ignore_all(table)] if with_ignore else []
        sql = RECORD_STATEMENTS[operation].format(table=table, column=column, key=key)
        error = _refused(sql, [value] if "%s" in sql else None, setup=setup)
        assert error is not None, f"{operation} of {table} went through"
        assert "permission denied" in str(error), error
        assert _count(table) == before


@pytest.mark.django_db
def test_pgtrigger_ignore_through_the_orm_does_not_help_either():
    import pgtrigger

    permit = PermitFactory()
    with pytest.raises(DatabaseError, match="permission denied"):
        with pgtrigger.ignore("permits.Decision:decision_append_only"), transaction.atomic():
            Decision.objects.filter(permit=permit).delete()
    assert Decision.objects.filter(permit=permit).count() == 1


# --- the second wall, as the owner -------------------------------------------

@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("operation", sorted(RECORD_STATEMENTS))
def test_our_triggers_refuse_even_the_owner_whatever_pgtrigger_ignore_says(operation):
    rows = _record_rows()
    with psycopg.connect(owner_database_url()) as owner:
        for table, column, key, value in rows:
            with owner.transaction():
                names = [row[0] for row in owner.execute(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                    [table]).fetchall()]
                owner.execute("SELECT set_config('pgtrigger.ignore', %s, true)",
                              ["{" + ",".join(names) + "}"])
                sql = RECORD_STATEMENTS[operation].format(table=table, column=column, key=key)
                with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                    with owner.transaction():  # a savepoint: the error ends only it
                        owner.execute(sql, [value] if "%s" in sql else None)
                # Disabling the trigger (DDL, the owner only) is the one way past it.
                owner.execute(f"ALTER TABLE {table} DISABLE TRIGGER append_only_no_change, "
                              f"DISABLE TRIGGER append_only_no_truncate")
                if operation != "truncate":  # (a TRUNCATE would cascade to other tables)
                    assert owner.execute(sql, [value]).rowcount == 1
                raise psycopg.Rollback()  # of this block: the row and the triggers come back
    for table, _column, key, value in rows:
        assert _one(f"SELECT count(*) FROM {table} WHERE {key} = %s", [value])[0] == 1  # nosec B608


@pytest.mark.django_db
def test_every_protected_table_carries_both_triggers():
    with connection.cursor() as cursor:
        for table in protected_tables(connection):
            cursor.execute(
                "SELECT tgname, tgtype FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname LIKE 'append_only_%%'",
                [table])
            assert {name for name, _type in cursor.fetchall()} == {"append_only_no_change", "append_only_no_truncate"}
    assert set(NAMED_PROTECTED_TABLES) - set(protected_tables(connection)) <= {"permits_ledgercheckpoint"}


# --- granting and migrating ----------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_grant_runtime_role_is_idempotent_and_puts_back_what_was_added(capsys):
    role = _one("SELECT current_user")[0]
    tables = protected_tables(connection) + ["permits_permit", "reviews_flag"]
    before = _privileges(role, tables)
    with psycopg.connect(owner_database_url(), autocommit=True) as owner:
        owner.execute(f'GRANT UPDATE, DELETE, TRUNCATE ON permits_decision TO "{role}"')
    assert "UPDATE" in _privileges(role, ["permits_decision"])["permits_decision"]
    call_command("grant_runtime_role", role)
    call_command("grant_runtime_role", role)
    assert "permits_decision" in capsys.readouterr().out
    assert _privileges(role, tables) == before
    # The default connection is the runtime role's again.
    assert _one("SELECT current_user")[0] == role


@pytest.mark.django_db(transaction=True)
def test_grant_runtime_role_refuses_the_owner_and_unknown_roles():
    from django.core.management import CommandError

    owner = psycopg.connect(owner_database_url()).execute("SELECT current_user").fetchone()[0]
    with pytest.raises(CommandError, match="superuser|owner role"):
        call_command("grant_runtime_role", owner)
    with pytest.raises(CommandError, match="there is no database role"):
        call_command("grant_runtime_role", "no_such_role_anywhere")


@pytest.mark.django_db(transaction=True)
def test_tables_the_owner_creates_later_get_ordinary_dml():
    with psycopg.connect(owner_database_url(), autocommit=True) as owner:
        owner.execute("CREATE TABLE later_added (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note text)")
        try:
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO later_added (note) VALUES ('a') RETURNING id")
                (new_id,) = cursor.fetchone()
                cursor.execute("UPDATE later_added SET note = 'b' WHERE id = %s", [new_id])
                cursor.execute("DELETE FROM later_added WHERE id = %s", [new_id])
                assert cursor.rowcount == 1
            assert _refused("TRUNCATE later_added") is not None
        finally:
            connection.close()
            owner.execute("DROP TABLE later_added")


@pytest.mark.django_db(transaction=True)
def test_connected_as_owner_switches_the_default_connection_and_back():
    runtime = _one("SELECT current_user")[0]
    owner = psycopg.connect(owner_database_url()).execute("SELECT current_user").fetchone()[0]
    with connected_as_owner():
        assert _one("SELECT current_user, current_database()") == (owner, connection.settings_dict["NAME"])
    assert _one("SELECT current_user")[0] == runtime


@pytest.mark.django_db(transaction=True)
def test_migrate_connects_as_the_owner_grants_the_runtime_role_and_puts_back_a_missing_wall():
    role = _one("SELECT current_user")[0]
    with psycopg.connect(owner_database_url(), autocommit=True) as owner:
        owner.execute(f'GRANT UPDATE ON permits_decision TO "{role}"')
        owner.execute("DROP TRIGGER append_only_no_truncate ON reviews_flagevent")
    env = dict(os.environ, DATABASE_URL=test_database_url(), MIGRATE_DATABASE_URL=test_database_url())
    command = [sys.executable, "manage.py", "migrate", "--noinput"]

    # As the runtime role, migrate cannot put the trigger back (no TRIGGER privilege).
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode != 0
    assert "permission denied for table reviews_flagevent" in result.stderr

    env["MIGRATE_DATABASE_URL"] = owner_database_url()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert f"Granted the runtime role {role}" in result.stdout
    assert _privileges(role, ["permits_decision"])["permits_decision"] == {"SELECT", "INSERT"}
    assert _one("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'reviews_flagevent'::regclass "
                "AND tgname = 'append_only_no_truncate'")[0] == 1


# --- settings -------------------------------------------------------------------

def _settings(**env_vars):
    from tests.test_settings import BASE_ENV, run_python

    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.MIGRATE_DATABASE['USER'], s.DATABASE_RUNTIME_ROLE)")
    return run_python({**BASE_ENV, **env_vars}, "-c", code)


def test_migrate_database_url_defaults_to_database_url_and_grants_nobody():
    result = _settings(DATABASE_URL="postgres://permits@127.0.0.1:1/permits")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["permits", "None"]


def test_the_runtime_role_is_database_urls_user_when_it_is_not_the_owner():
    result = _settings(DATABASE_URL="postgres://permits_app@127.0.0.1:1/permits",
                       MIGRATE_DATABASE_URL="postgres://permits_owner:pw@127.0.0.1:2/permits")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["permits_owner", "permits_app"]


@pytest.mark.parametrize("value, message", [
    ("mysql://root@127.0.0.1/permits", "MIGRATE_DATABASE_URL"),
    ("postgres://permits_owner@127.0.0.1:1/other", "both must be the same database"),
])
def test_a_bad_migrate_database_url_stops_start_up(value, message):
    result = _settings(DATABASE_URL="postgres://permits_app@127.0.0.1:1/permits", MIGRATE_DATABASE_URL=value)
    assert result.returncode != 0
    assert message in result.stderr
