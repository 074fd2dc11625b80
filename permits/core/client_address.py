"""The client's address: the one definition the lockout, the throttles and the audit trail use.

Behind ``TRUSTED_PROXY_HOPS`` reverse proxies, each proxy appends the address
it was connected from to ``X-Forwarded-For``; the client is therefore the
entry that many places from the right. Anything further left was written by
the client itself and proves nothing. With no trusted proxies (0, the
default) the header is ignored and the address is the TCP peer
(``REMOTE_ADDR``). A header shorter than the number of hops, or an entry
that is not an IP address, means the request did not come through the
proxies as configured: the TCP peer is used then too, never the header.
"""

import ipaddress

from django.conf import settings


def _address(text):
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request):
    """The client address of ``request`` (a string), or None when even the peer is unknown."""
    meta = request.META
    peer = _address(meta.get("REMOTE_ADDR") or "")
    hops = getattr(settings, "TRUSTED_PROXY_HOPS", 0)
    if hops <= 0:
        return peer
    forwarded = [part for part in (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if part.strip()]
    if len(forwarded) < hops:
        return peer
    return _address(forwarded[-hops]) or peer


def axes_client_ip(request, *args, **kwargs):
    """django-axes' AXES_CLIENT_IP_CALLABLE (it passes the request)."""
    return client_ip(request)
