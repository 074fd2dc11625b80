"""Attach the request context to every audit event written while serving it."""

import pghistory
from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.wsgi import WSGIRequest

from permits.core.client_address import client_ip


def _actor(user):
    if user is not None and getattr(user, "is_authenticated", False):
        return {"user": user.pk, "username": user.get_username()}
    return {"user": None, "username": None}


class _AuditedRequest:
    # DRF authenticates (token, session) inside the view and then sets
    # request.user; keep the audit context's actor in step with it.
    def __setattr__(self, attr, value):
        if attr == "user":
            pghistory.context(**_actor(value))
        super().__setattr__(attr, value)


class _AuditedWSGIRequest(_AuditedRequest, WSGIRequest):
    pass


class _AuditedASGIRequest(_AuditedRequest, ASGIRequest):
    pass


class AuditContextMiddleware:
    """django-pghistory context: who (user id and name), url, method, request id, client address.

    Goes after AuthenticationMiddleware. The request id is the one
    config.security.RequestIdMiddleware gave the request (and echoed in the
    response and the logs), so that a complaint about a request can be matched
    to its events.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        context = {
            **_actor(getattr(request, "user", None)),
            "url": request.path,
            "method": request.method,
            "request_id": getattr(request, "request_id", None),
            "ip": client_ip(request),
        }
        with pghistory.context(**context):
            if isinstance(request, WSGIRequest):
                request.__class__ = _AuditedWSGIRequest
            elif isinstance(request, ASGIRequest):
                request.__class__ = _AuditedASGIRequest
            return self.get_response(request)
