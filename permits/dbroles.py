"""The two database roles and the append-only walls.

The owner role owns the schema and runs the migrations (MIGRATE_DATABASE_URL);
the runtime role (DATABASE_URL) owns nothing. On the record (decisions,
ledger checkpoints, every audit table) the runtime role may only read and
append; elsewhere it has ordinary DML. Grants, not triggers, are the first
wall: a session that may not UPDATE a table cannot talk its way past that,
whereas django-pgtrigger's triggers step aside for ``SET LOCAL pgtrigger.ignore``.
The second wall is our own trigger on the same tables, which consults no
setting at all, so that even the owner (or a superuser) must disable it
explicitly, which is DDL and leaves a trace in the server's log.
"""

from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

# The trigger function and trigger names of the second wall (created by
# permits/migrations/0007_append_only_walls.py).
REFUSE_FUNCTION = "append_only_refuse"
ROW_TRIGGER = "append_only_no_change"
TRUNCATE_TRIGGER = "append_only_no_truncate"

# Protected by name; the pghistory event tables are found from the models.
# permits_ledgercheckpoint is named here so that it is protected as soon as
# the table exists. pghistory_context is unused (events carry their own
# context) but would be the place to forge a request's context.
NAMED_PROTECTED_TABLES = (
    "permits_decision", "permits_ledgercheckpoint", "pghistory_context", "permits_event", "reviews_attachment",
)

# What tells the owner's connection from the runtime role's.
CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


class RoleError(Exception):
    """The runtime role cannot be given the grants (unknown, superuser, the owner)."""


def protected_tables(connection):
    """The append-only tables that exist in this database, sorted."""
    import pghistory.models
    from django.apps import apps

    names = set(NAMED_PROTECTED_TABLES)
    for model in apps.get_models():
        if issubclass(model, pghistory.models.Event) and model._meta.managed and not model._meta.proxy:
            names.add(model._meta.db_table)
    return sorted(names & set(connection.introspection.table_names()))


@contextmanager
def connected_as_owner(alias=DEFAULT_DB_ALIAS):
    """Within the block, ``connections[alias]`` connects as MIGRATE_DATABASE_URL's role.

    Only the credentials change: the database name stays the connection's own
    (the test runner renames it to the test database). Nothing happens when
    both URLs name the same role.
    """
    connection = connections[alias]
    owner = {key: settings.MIGRATE_DATABASE.get(key) for key in CREDENTIALS}
    current = {key: connection.settings_dict.get(key) for key in CREDENTIALS}
    if alias != DEFAULT_DB_ALIAS or owner == current:
        yield connection
        return
    if connection.in_atomic_block:
        raise RuntimeError("cannot switch to the owner role inside a transaction")
    connection.close()
    connection.settings_dict.update(owner)
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict.update(current)


def _sequences_of(cursor, table):
    cursor.execute(
        "SELECT s.oid::regclass::text FROM pg_class s "
        "JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass "
        " AND d.refclassid = 'pg_class'::regclass "
        "WHERE s.relkind = 'S' AND d.refobjid = %s::regclass",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def grant_runtime_role(connection, role):
    """Give ``role`` exactly the privileges the application needs; idempotent.

    Steps, as the owner (the connection's role):
    1. refuse a role that does not exist, is a superuser or is the owner;
    2. CONNECT on the database, USAGE (never CREATE) on the schema;
    3. SELECT, INSERT, UPDATE, DELETE on every table and USAGE, SELECT, UPDATE
       on every sequence, and the same by default on what the owner creates later;
    4. on each protected table: everything revoked, then SELECT and INSERT
       only; its sequences USAGE (for inserts) and SELECT (pg_dump reads them);
    5. check that the role can create nothing in the schema.
    Returns the protected tables.
    """
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_user, current_schema()")
        database, owner, schema = cursor.fetchone()
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            raise RoleError(f"there is no database role {role!r}: create it first (CREATE ROLE ... LOGIN)")
        if row[0]:
            raise RoleError(f"{role!r} is a superuser: no grant restricts a superuser")
        if role == owner:
            raise RoleError(f"{role!r} is the owner role this command runs as: the runtime role must be another")
        r, s = qn(role), qn(schema)
        statements = [
            f"GRANT CONNECT ON DATABASE {qn(database)} TO {r}",
            f"GRANT USAGE ON SCHEMA {s} TO {r}",
            f"REVOKE CREATE ON SCHEMA {s} FROM {r}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {qn(owner)} IN SCHEMA {s} "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {qn(owner)} IN SCHEMA {s} "
            f"GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {r}",
        ]
        tables = protected_tables(connection)
        for table in tables:
            statements += [f"REVOKE ALL ON TABLE {qn(table)} FROM {r}",
                           f"GRANT SELECT, INSERT ON TABLE {qn(table)} TO {r}"]
            for sequence in _sequences_of(cursor, table):
                statements += [f"REVOKE ALL ON SEQUENCE {sequence} FROM {r}",
                               f"GRANT USAGE, SELECT ON SEQUENCE {sequence} TO {r}"]
        for statement in statements:
            cursor.execute(statement)
        # PUBLIC may still hold CREATE on the schema (PostgreSQL before 15, or a
        # schema made that way); only the schema's owner can take it away.
        cursor.execute("SELECT has_schema_privilege(%s, %s, 'CREATE')", [role, schema])
        if cursor.fetchone()[0]:
            raise RoleError(
                f"{role!r} can still create objects in schema {schema!r} (through PUBLIC): "
                f"run REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC as its owner"
            )
    return tables


def ensure_append_only_triggers(connection):
    """Put the second wall on every protected table (idempotent); return the tables.

    The migration creates the function and the triggers for the tables of its
    time; this also covers protected tables added later (a new audited model,
    the ledger checkpoints) as soon as they are migrated.
    """
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regproc(%s) IS NOT NULL", [REFUSE_FUNCTION])
        if not cursor.fetchone()[0]:
            return []  # migrated back past the migration that creates it
        tables = protected_tables(connection)
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname IN (%s, %s)",
            [ROW_TRIGGER, TRUNCATE_TRIGGER],
        )
        present = set(cursor.fetchall())
        # Only what is missing: creating a trigger locks the table against
        # writes, and this runs at every deployment, beside the live system.
        for table in tables:
            if (table, ROW_TRIGGER) not in present:
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {qn(table)} "
                    f"FOR EACH ROW EXECUTE FUNCTION {REFUSE_FUNCTION}()"
                )
            if (table, TRUNCATE_TRIGGER) not in present:
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {qn(table)} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {REFUSE_FUNCTION}()"
                )
    return tables
