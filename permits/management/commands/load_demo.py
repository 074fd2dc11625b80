"""Load the demonstration data set (idempotent) and print the demo logins."""

from django.core.management.base import BaseCommand

from permits.demo import load_demo


class Command(BaseCommand):
    help = (
        "Load the Turkey/WESCAM case, the Canada/Saudi Arabia LAV case, a few hundred "
        "ordinary permits and one demo user per role. Running it twice changes nothing."
    )

    def handle(self, *args, **options):
        report = load_demo()
        for line in report.messages:
            self.stdout.write(line)
        for username, password, role in report.logins:
            self.stdout.write(f"demo login: {username} / {password} ({role})")
