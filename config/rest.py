"""API plumbing wired in through settings: parser, pagination, throttle."""

import json
import logging

from django.conf import settings
from django.core.paginator import Paginator as DjangoPaginator
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.utils import json as drf_json

from permits.core.client_address import client_ip

logger = logging.getLogger(__name__)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def max_body_bytes():
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440


class BoundedJSONParser(JSONParser):
    """JSON with a size limit and no way to crash the parser.

    The body is bounded at DATA_UPLOAD_MAX_MEMORY_SIZE (413). Django enforces it
    when DRF reads ``request.body`` (RequestDataTooBig, mapped to 413 in
    config.exceptions); the parser enforces it again for a stream read directly,
    since DRF may hand parsers the raw stream. Deep nesting makes ``json.loads``
    raise RecursionError, which becomes a 400.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_body_bytes()
        request = (parser_context or {}).get("request")
        if request is not None:
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > limit:
                raise RequestTooLarge(f"The request body is larger than {limit} bytes.")
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(f"The request body is larger than {limit} bytes.")
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
            parse_constant = drf_json.strict_constant if self.strict else None
            data = json.loads(text, parse_constant=parse_constant)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
        except (ValueError, LookupError) as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        where = _hostile_string(data)
        if where is not None:
            # Like any validation error: the field (its path, for nested ones) -> messages.
            raise exceptions.ValidationError({where or "non_field_errors": [
                "Contains a NUL character or a lone surrogate (\\ud800-\\udfff), which no field accepts."]})
        return data


def _hostile_string(data):
    """The path (e.g. ``items[0].description``) of the first key or string holding a NUL
    byte or a lone surrogate, "" for the top level, None when there is none.

    JSON may spell both (``\\u0000``, ``\\ud800``); no field can store them, and
    echoed back in an error message a lone surrogate breaks the JSON renderer.
    Iterative, so that nesting cannot exhaust the stack.
    """
    from .security import hostile_text

    stack = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if hostile_text(value):
                return path
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if hostile_text(key):
                    return path or ""
                stack.append((item, name))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(value))
    return None


class Pagination(PageNumberPagination):
    """``?page=N&page_size=M``; page_size from 1 to 200 (larger is clamped).

    A view that can count its list more cheaply than ``COUNT(*)`` over the
    filtered queryset sets ``count_hint`` before paginating.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    count_hint = None

    def django_paginator_class(self, object_list, per_page):
        paginator = DjangoPaginator(object_list, per_page)
        if self.count_hint is not None:
            paginator.count = self.count_hint
        return paginator


class TokenThrottle(SimpleRateThrottle):
    """Per user (all of a user's tokens and sessions together), per client address for the anonymous.

    Counting per token would let a user multiply the rate by making tokens.
    The rate is ``settings.API_THROTTLE_RATE`` (API_THROTTLE_RATES in the
    environment), read at each request; None turns throttling off.
    """

    scope = "api"

    def get_rate(self):
        return settings.API_THROTTLE_RATE

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except Exception:  # the shared cache (Redis) is down: serve rather than fail
            logger.warning("throttle cache unavailable; request allowed", exc_info=True)
            return True

    def get_ident(self, request):
        # The one definition of the client address (TRUSTED_PROXY_HOPS), not DRF's NUM_PROXIES.
        return client_ip(request) or "unknown"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class FailedTokenThrottle(SimpleRateThrottle):
    """Failed token authentications per client address (``settings.API_TOKEN_FAILURE_RATE``).

    Unlike a request throttle, checking and counting are separate: every token
    attempt is checked, only failures are counted. Like the request throttle,
    it steps aside when the shared cache is down.
    """

    scope = "token_failure"

    def get_rate(self):
        return settings.API_TOKEN_FAILURE_RATE

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}

    def _load(self, request):
        self.key = self.get_cache_key(request)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()

    def blocked_for(self, request):
        """Seconds to wait when the address has used up its failures, else None."""
        if self.rate is None:
            return None
        try:
            self._load(request)
        except Exception:
            logger.warning("throttle cache unavailable; token attempt allowed", exc_info=True)
            return None
        if len(self.history) >= self.num_requests:
            return self.wait() or 1
        return None

    def record_failure(self, request):
        if self.rate is None:
            return
        try:
            self._load(request)
            self.history.insert(0, self.now)
            self.cache.set(self.key, self.history, self.duration)
        except Exception:
            logger.warning("throttle cache unavailable; failed token attempt not counted", exc_info=True)
