"""Load the demonstration data set (idempotent) and print the demo logins."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reviews.demo import load_demo


class Command(BaseCommand):
    help = (
        "Load the Turkey/WESCAM case, the Canada/Saudi Arabia LAV case, a few hundred "
        "ordinary permits and one demo user per role. Running it twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true",
            help="Load even with production settings (SECURE_HTTPS=true).",
        )

    def handle(self, *args, force=False, **options):
        # The demo users' passwords are published: never create them on a
        # deployment by accident.
        if settings.SECURE_HTTPS and not force:
            raise CommandError(
                "Refusing to load demo data (users with published passwords) with production "
                "settings (SECURE_HTTPS=true); pass --force if this really is a demonstration."
            )
        report = load_demo()
        for line in report.messages:
            self.stdout.write(line)
        for username, password, role in report.logins:
            self.stdout.write(f"demo login: {username} / {password} ({role})")
