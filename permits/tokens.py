"""API token lifetimes (knox tokens): one place that says how long a token lives.

A token expires after ``API_TOKEN_TTL_DAYS`` days unless asked otherwise (at
most ``API_TOKEN_MAX_DAYS``). A token whose user can record ministerial
decisions lives 24 hours at most: when it is made, and again when it is used,
so that a user who gains the role later cannot record decisions with an older
token. Tokens of either kind are audited (created, revoked) by the trigger on
the token table (permits.models.AuditedAuthToken).
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken

from .core.errors import InvalidInput
from .core.roles import DECISION_MAKER, has_role


def can_record_decisions(user):
    """Decision makers and superusers (who hold every role)."""
    return has_role(user, DECISION_MAKER)


def token_lifetime(user, *, days=None):
    """How long a new token of ``user`` lives: ``days`` (default API_TOKEN_TTL_DAYS), capped for deciders."""
    if days is None:
        days = settings.API_TOKEN_TTL_DAYS
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise InvalidInput({"expires_in_days": [
            _("A whole number of days from 1 to %(max)d.") % {"max": settings.API_TOKEN_MAX_DAYS}]})
    lifetime = dt.timedelta(days=days)
    if can_record_decisions(user):
        lifetime = min(lifetime, settings.API_TOKEN_DECIDER_TTL)
    return lifetime


def create_token(*, user, days=None):
    """A new token of ``user``: (the AuthToken row, the key shown once to its holder)."""
    return AuthToken.objects.create(user=user, expiry=token_lifetime(user, days=days))


def token_refusal(auth_token, user, *, now=None):
    """Why a token whose digest matched may not be used now (a message), or None.

    Knox itself refuses tokens past their ``expiry``. Here: a token of a user
    who can record decisions is refused once it is older than 24 hours, whatever
    its expiry says (the role may have come after the token); a token stored
    without an expiry (made before tokens expired by default) is refused after
    the longest lifetime a token may have.
    """
    now = now or timezone.now()
    age = now - auth_token.created
    if can_record_decisions(user) and age > settings.API_TOKEN_DECIDER_TTL:
        return _("This token is more than 24 hours old and its user can record decisions: "
                 "create a new one.")
    if auth_token.expiry is None and age > dt.timedelta(days=settings.API_TOKEN_MAX_DAYS):
        return _("Token has expired.")
    return None
