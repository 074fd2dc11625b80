"""Token authentication for the API (knox: tokens stored hashed, revocable, optional expiry)."""

import binascii
import re

from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.signals import token_expired
from rest_framework import exceptions

_TOKEN_RE = re.compile(r"^[A-Za-z0-9_\-]{1,200}$")


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox tokens (stored as a hash), refusing malformed keys with 401 before any query."""

    def authenticate_credentials(self, token):
        try:
            text = token.decode("utf-8")
        except (UnicodeDecodeError, AttributeError):
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        if not _TOKEN_RE.match(text):
            raise exceptions.AuthenticationFailed("Invalid token.")
        try:
            return super().authenticate_credentials(token)
        except (TypeError, ValueError, binascii.Error):
            raise exceptions.AuthenticationFailed("Invalid token.") from None


    def _cleanup_token(self, auth_token):
        """Refuse (and delete) the presented token if it has expired.

        Knox also sweeps the user's other expired tokens here, one query on
        every request; an expired token is deleted when it is next presented,
        so the sweep buys nothing on the hot path of the API.
        """
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False
