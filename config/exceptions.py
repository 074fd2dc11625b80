"""The one place where errors become HTTP responses for the API.

Services raise domain errors; DRF raises its own; a few errors come from
what a client can send (nesting deep enough to exhaust the JSON parser's
recursion, data PostgreSQL refuses). None of them may become a 5xx.
"""

import logging

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from rest_framework import status
from rest_framework.response import Response

from permits.core.errors import NotStarted
from permits.core.errors import DomainError, InvalidInput, TransitionNotAllowed

logger = logging.getLogger(__name__)


def api_exception_handler(exc, context):
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, InvalidInput):
        return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, TransitionNotAllowed):
        return Response({"detail": exc.detail}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DomainError):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, NotStarted):
        return Response({"detail": str(exc)}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": "The request body is too large."},
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, RecursionError):
        return Response({"detail": "JSON parse error - nested too deeply."},
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DataError):
        # A value PostgreSQL refuses (out of range, NUL byte) that validation
        # let through: the client's input, so a 400, but worth a look.
        logger.warning("database refused client data", exc_info=True)
        return Response({"detail": "A value in the request is out of range or not allowed."},
                        status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
