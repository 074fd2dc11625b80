"""Token authentication for the API (knox: tokens stored hashed, revocable, optional expiry)."""

import binascii
import re

from knox.auth import TokenAuthentication as KnoxTokenAuthentication
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

