from django.core.management.base import BaseCommand, CommandError

from permits.events import webhooks
from ...core.errors import InvalidInput


class Command(BaseCommand):
    help = ("Register a webhook endpoint. Prints its signing secret as the last line: "
            "it is shown this once (rotate it in the admin to get a new one).")

    def add_arguments(self, parser):
        parser.add_argument("url")
        parser.add_argument("--events", default="", help="Comma-separated event types (default: all).")
        parser.add_argument("--description", default="")

    def handle(self, *args, url, events, description, **options):
        try:
            endpoint, secret = webhooks.create_endpoint(
                url=url, event_types=events.split(",") if events else (), description=description)
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        types = ", ".join(endpoint.event_types) or "all event types"
        self.stdout.write(f"Webhook endpoint {endpoint.pk} for {endpoint.url} ({types}). Its secret:")
        self.stdout.write(secret)
