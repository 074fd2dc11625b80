"""grant_runtime_role ROLE: the runtime role's privileges (README, "Database roles")."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from permits.dbroles import RoleError, connected_as_owner, ensure_append_only_triggers, grant_runtime_role


class Command(BaseCommand):
    help = (
        "Give ROLE the privileges of the application (read and append on the record, ordinary DML "
        "elsewhere, also on tables created later) as the owner role of MIGRATE_DATABASE_URL. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="the role of DATABASE_URL (it must exist and own nothing)")

    def handle(self, *args, role, **options):
        with connected_as_owner() as connection:
            try:
                with transaction.atomic(using=connection.alias):
                    ensure_append_only_triggers(connection)
                    tables = grant_runtime_role(connection, role)
            except RoleError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(f"granted to {role}; read and append only: {', '.join(tables)}")
