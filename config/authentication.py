"""Token authentication for the API (knox: tokens stored hashed, revocable, optional expiry)."""

import binascii
import re
from functools import cache
from hmac import compare_digest

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header

from permits.core.db import prepared_cursor
from config.rest import FailedTokenThrottle
from permits.reference import ROLES
from permits.tokens import token_refusal

_TOKEN_RE = re.compile(r"^[A-Za-z0-9_\-]{1,200}$")


@cache
def _lookup_sql():
    """One statement: the candidate tokens, their users and the users' roles.

    Knox itself reads the token with its user, and the role check then reads
    the user's groups: two round trips and two ORM compilations on every API
    request. Here both come back in one row per candidate token.
    """
    Token, User = get_token_model(), get_user_model()
    q = connection.ops.quote_name
    token_fields = [f.column for f in Token._meta.concrete_fields]
    user_fields = [f.column for f in User._meta.concrete_fields]
    groups = User.groups.through._meta.db_table
    group_table = User.groups.field.related_model._meta.db_table
    # Identifiers come from the models' metadata; values are bound parameters.
    sql = (
        "SELECT {token_cols}, {user_cols}, ARRAY("  # nosec B608
        "SELECT g.name FROM {groups} ug JOIN {group_table} g ON g.id = ug.group_id "
        "WHERE ug.user_id = u.{user_pk} AND g.name = ANY(%s) ORDER BY g.name) "
        "FROM {token} t JOIN {user} u ON u.{user_pk} = t.{token_user} WHERE t.{token_key} = %s"
    ).format(
        token_cols=", ".join(f"t.{q(c)}" for c in token_fields),
        user_cols=", ".join(f"u.{q(c)}" for c in user_fields),
        groups=q(groups), group_table=q(group_table), token=q(Token._meta.db_table),
        user=q(User._meta.db_table), user_pk=q(User._meta.pk.column),
        token_user=q(Token._meta.get_field("user").column), token_key=q("token_key"),
    )
    return sql, len(token_fields)


def _candidates(token_key):
    """(AuthToken with its user attached, the user's roles preloaded) for each token with this key."""
    Token, User = get_token_model(), get_user_model()
    sql, split = _lookup_sql()
    token_attnames = [f.attname for f in Token._meta.concrete_fields]
    user_attnames = [f.attname for f in User._meta.concrete_fields]
    with prepared_cursor() as cursor:
        cursor.execute(sql, [list(ROLES), token_key])
        rows = cursor.fetchall()
    for row in rows:
        auth_token = Token.from_db(connection.alias, token_attnames, row[:split])
        user = User.from_db(connection.alias, user_attnames, row[split:-1])
        user._role_cache = set(row[-1])  # read by permits.core.roles.user_roles
        auth_token.user = user
        yield auth_token


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox tokens (stored as a hash), refusing malformed keys with 401 before any query.

    Behaves as knox's own authentication (expired tokens refused and deleted,
    constant-time digest comparison, optional auto-refresh, inactive users
    refused), reading token, user and roles in a single query. Tokens of users
    who can record decisions are refused after 24 hours (permits.tokens).

    Failed attempts are counted per client address: past
    ``API_TOKEN_FAILURE_RATE`` the address gets 429 (with Retry-After) before
    any token it sends is even looked at.
    """

    def authenticate(self, request):
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() != self.authenticate_header(request).encode().lower():
            return None  # no token offered: not ours to count
        throttle = FailedTokenThrottle()
        wait = throttle.blocked_for(request)
        if wait is not None:
            raise exceptions.Throttled(wait=wait, detail="Too many failed token authentications "
                                       "from this address.")
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle.record_failure(request)
            raise

    def authenticate_credentials(self, token):
        try:
            text = token.decode("utf-8")
        except (UnicodeDecodeError, AttributeError):
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        if not _TOKEN_RE.match(text):
            raise exceptions.AuthenticationFailed("Invalid token.")
        try:
            digest = hash_token(text)
        except (TypeError, ValueError, binascii.Error):
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        for auth_token in _candidates(text[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            if compare_digest(digest, auth_token.digest):
                refusal = token_refusal(auth_token, auth_token.user)
                if refusal:
                    raise exceptions.AuthenticationFailed(refusal)
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed("Invalid token.")

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
