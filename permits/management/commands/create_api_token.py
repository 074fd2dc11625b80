"""Print a new API token for a user; the token is the last line of the output.

The token is shown once: only its hash is stored. It expires after
API_TOKEN_TTL_DAYS days (90 unless configured), or --expires-in-days N (at
most 365); a token of a user who can record decisions lives 24 hours at most.
Revoke it by deleting it in the admin (Knox › Auth tokens), or all of a user's
tokens with --revoke-all. Both creating and revoking appear in the audit trail.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from knox.models import AuthToken

from permits import tokens
from ...core.errors import InvalidInput


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it (last line of the output)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--expires-in-days", type=int, default=None, metavar="N",
                            help="Token lifetime in days, 1 to %d (default: API_TOKEN_TTL_DAYS); "
                                 "24 hours at most for users who can record decisions."
                                 % settings.API_TOKEN_MAX_DAYS)
        parser.add_argument("--revoke-all", action="store_true",
                            help="Delete the user's existing tokens first.")

    def handle(self, *args, username, expires_in_days, revoke_all, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive.")
        try:
            tokens.token_lifetime(user, days=expires_in_days)
        except InvalidInput as exc:
            raise CommandError(f"--expires-in-days: {' '.join(exc.errors['expires_in_days'])}") from None
        with transaction.atomic():
            if revoke_all:
                deleted, _ = AuthToken.objects.filter(user=user).delete()
                self.stdout.write(f"Revoked {deleted} existing token(s) of {username}.")
            instance, token = tokens.create_token(user=user, days=expires_in_days)
        capped = " (24 hours at most: this user can record decisions)" if tokens.can_record_decisions(user) else ""
        self.stdout.write(f"Token for {username} (expires: {instance.expiry.isoformat()}{capped}); "
                          "it is shown only this once:")
        self.stdout.write(token)
