"""Print a new API token for a user; the token is the last line of the output.

The token is shown once: only its hash is stored. Revoke it by deleting it in
the admin (Knox › Auth tokens), or all of a user's tokens with --revoke-all.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it (last line of the output)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--expires-in-days", type=int, default=None,
                            help="Token lifetime in days (default: no expiry).")
        parser.add_argument("--revoke-all", action="store_true",
                            help="Delete the user's existing tokens first.")

    def handle(self, *args, username, expires_in_days, revoke_all, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive.")
        if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
            raise CommandError("--expires-in-days must be between 1 and 3650.")
        if revoke_all:
            deleted, _ = AuthToken.objects.filter(user=user).delete()
            self.stdout.write(f"Revoked {deleted} existing token(s) of {username}.")
        expiry = dt.timedelta(days=expires_in_days) if expires_in_days else None
        instance, token = AuthToken.objects.create(user=user, expiry=expiry)
        until = instance.expiry.isoformat() if instance.expiry else "never"
        self.stdout.write(f"Token for {username} (expires: {until}); it is shown only this once:")
        self.stdout.write(token)
