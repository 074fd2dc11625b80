"""`migrate`, connected as the owner role, then the runtime role's grants.

Django's own command with two additions: the default connection is switched
to MIGRATE_DATABASE_URL's role for the run (the runtime role may not change
the schema), and afterwards the append-only walls are re-asserted and, when
DATABASE_URL names another role, that role is granted what it needs, so that
tables a migration adds are covered at once. Overriding the command (this app
comes before Django's in the search for commands) rather than adding a second
database alias keeps every other part of the code, and the test runner, on the
one ``default`` alias.
"""

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS, transaction

from permits.dbroles import RoleError, connected_as_owner, ensure_append_only_triggers, grant_runtime_role


class Command(migrate.Command):
    def handle(self, *args, **options):
        if options["database"] != DEFAULT_DB_ALIAS:
            return super().handle(*args, **options)
        with connected_as_owner() as connection:
            super().handle(*args, **options)
            if options["plan"] or options["check_unapplied"] or options["prune"]:
                return
            try:
                with transaction.atomic(using=connection.alias):
                    ensure_append_only_triggers(connection)
                    if settings.DATABASE_RUNTIME_ROLE:
                        grant_runtime_role(connection, settings.DATABASE_RUNTIME_ROLE)
            except RoleError as exc:
                raise CommandError(str(exc)) from exc
        if settings.DATABASE_RUNTIME_ROLE and options["verbosity"] >= 1:
            self.stdout.write(f"Granted the runtime role {settings.DATABASE_RUNTIME_ROLE}")
