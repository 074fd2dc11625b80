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
            return json.loads(text, parse_constant=parse_constant)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
        except (ValueError, LookupError) as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None


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
    """Per token (per user for the session, per address for the anonymous).

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

    def get_cache_key(self, request, view):
        auth = getattr(request, "auth", None)
        if auth is not None and getattr(auth, "digest", None):
            ident = f"token:{auth.digest}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
