"""Database helpers: server-side prepared statements for the API's few hot
reads, and the trigger setting for transactions that write many audited rows.

Django's cursors bind parameters on the client (the values are written into
the SQL text), so PostgreSQL parses and plans every statement anew; for the
token check and the status endpoint, which customs calls at every crossing,
planning costs more than running the statement. ``prepared_cursor()`` gives a
Django cursor (query logging and execute wrappers as usual) over a psycopg
cursor that binds on the server; psycopg prepares its statements once per
connection (``prepare_threshold`` in settings). Django's own cursors never
prepare, whatever that setting says.

Behind a connection pooler in transaction mode, prepared statements need
PgBouncer 1.21 or later with ``max_prepared_statements`` set.
"""

from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


class _DebugWrapper(CursorDebugWrapper):
    """Query logging (DEBUG, tests) for prepared statements.

    psycopg keeps no query text for a prepared execution, so the statement is
    logged as written, placeholders and all, rather than with its values.
    """

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)


def prepared_cursor():
    """A cursor whose statements are prepared on the server (use as a context manager)."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = ServerBindingCursor(connection.connection)
    return _DebugWrapper(raw, connection) if connection.queries_logged else connection.make_cursor(raw)


def define_trigger_ignore_list():
    """Give this transaction an empty ``pgtrigger.ignore`` list unless it has one.

    Every audit and protection trigger (django-pgtrigger) first reads that
    setting inside a PL/pgSQL exception block; when it is undefined the read
    raises, and each row then pays for an aborted subtransaction, which grows
    worse than linearly in a large transaction (40,000 decisions: 28 s instead
    of 5 s). Defining it as the empty list changes no trigger's behaviour; a
    list set by ``pgtrigger.ignore()`` is left as it is. Call it before writing
    many rows of an audited table in one transaction.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pgtrigger.ignore', '{}', true) "
            "WHERE coalesce(current_setting('pgtrigger.ignore', true), '') = ''"
        )
