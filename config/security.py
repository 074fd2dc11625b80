"""Middleware for the request id and for two-factor sign-in."""

from urllib.parse import urlencode

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponseBadRequest, HttpResponseRedirect, JsonResponse

from permits.admin_site import ADMITTED_ROLES
from permits.core.roles import has_role

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
    """Every role the admin admits (decision makers, auditors; superusers) signs in with a second factor."""
    return bool(user and user.is_authenticated and (user.is_superuser or has_role(user, *ADMITTED_ROLES)))


def hostile_text(text):
    """True when ``text`` holds a NUL byte or a lone surrogate.

    PostgreSQL refuses NUL in text, and a lone surrogate cannot be encoded
    as UTF-8 (a JSON renderer or a template that echoes it fails): neither is
    ever part of a legitimate value.
    """
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


HOSTILE_TEXT_MESSAGE = "The request contains a NUL character or an invalid (lone surrogate) character."


class HostileTextMiddleware:
    """400 for a NUL byte or a lone surrogate anywhere in the path, the query or a form body.

    One check at the door instead of one in every view, filter, form and admin
    list that would otherwise hand the value to the database (a 500). JSON
    bodies are checked by the API's parser (config.rest.BoundedJSONParser),
    which names the field.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        errors = self._hostile(request)
        if errors:
            if request.path.startswith("/api/"):
                # Like any validation error of the API: field (parameter) -> messages.
                return JsonResponse(errors, status=400)
            return HttpResponseBadRequest(HOSTILE_TEXT_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _hostile(request):
        """{name: [message]} for the query parameters (or "detail" for the path) that carry such text."""
        if hostile_text(request.path):
            return {"detail": HOSTILE_TEXT_MESSAGE}
        errors = {}
        for key, values in request.GET.lists():
            if hostile_text(key):
                return {"detail": HOSTILE_TEXT_MESSAGE}
            if any(hostile_text(v) for v in values):
                errors[key] = [HOSTILE_TEXT_MESSAGE]
        if not errors and hostile_text(request.META.get("QUERY_STRING", "")):
            errors["detail"] = HOSTILE_TEXT_MESSAGE
        if not errors and request.method == "POST" and not request.path.startswith("/api/"):
            # Pages' and the admin's forms (the API accepts JSON only: 415 for forms).
            for key, values in request.POST.lists():
                if hostile_text(key) or any(hostile_text(v) for v in values):
                    errors[key if not hostile_text(key) else "detail"] = [HOSTILE_TEXT_MESSAGE]
                    break
        return errors


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
