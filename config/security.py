"""Middleware for the request id and for two-factor sign-in."""

from urllib.parse import urlencode

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponseRedirect

from permits.roles import DECISION_MAKER, has_role

from .logging import REQUEST_ID_HEADER, clean_request_id, new_request_id, request_id_var


class RequestIdMiddleware:
    """Take the caller's X-Request-ID (if well-formed) or make one; echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = clean_request_id(request.headers.get(REQUEST_ID_HEADER)) or new_request_id()
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


def two_factor_required(user):
    """Decision makers and superusers must sign in with a second factor."""
    return bool(user and user.is_authenticated and (user.is_superuser or has_role(user, DECISION_MAKER)))


# Paths an unverified user may still reach: signing in and out, the second
# factor itself, static files, probes and the language switch.
_OPEN_PREFIXES = (
    "/accounts/login/", "/accounts/logout/", "/admin/login/", "/admin/logout/",
    "/static/", "/healthz", "/readyz", "/i18n/", "/favicon.ico",
)


class TwoFactorRequiredMiddleware:
    """Send users who need a second factor to /accounts/2fa/ until they give one.

    Pages and the admin redirect. The API never redirects: a browser session of
    such a user counts as no authentication there (401/403 from the API), while
    token authentication, which DRF performs in the view, is unaffected.
    Must come after django_otp's OTPMiddleware (which sets ``is_verified``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        path = request.path
        if (
            two_factor_required(user)
            and not user.is_verified()
            and not path.startswith(settings.TWO_FACTOR_URL)
            and not path.startswith(_OPEN_PREFIXES)
        ):
            if path.startswith("/api/"):
                request.user = AnonymousUser()
                request._cached_user = request.user
            else:
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{settings.TWO_FACTOR_URL}?{query}")
        return self.get_response(request)


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for sign-ins that come from a web request.

    Every sign-in form (ours, the admin's, DRF's) passes the request. Code that
    authenticates without one (management commands, the test client's
    ``login``) has no client to lock out, so the check steps aside instead of
    failing; the password is still checked by ModelBackend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
