"""Structured (JSON) logs carrying a request id, in web processes and tasks.

One JSON object per line: time, level, logger, message, request_id, and for
failures the traceback. The request id comes from the incoming X-Request-ID
header (when it is well-formed) or is made up, is echoed in the response, and
travels with the tasks a request queues, so that one id ties the request to
its background work.

What never reaches the logs: the request object Django attaches to its own
records (it would bring the query string and headers), and the values of
extra fields whose names suggest a secret.
"""

import contextvars
import logging
import re
import uuid

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_SECRET_NAMES = re.compile(r"pass|secret|token|key|auth|cookie|session|csrf|otp", re.I)
# Attributes of a LogRecord that are not "extra" fields.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

request_id_var = contextvars.ContextVar("request_id", default=None)

# Path segments that are secrets: Django's password-reset links (/reset/<uid>/<token>/).
_SECRET_PATH = re.compile(r"(/reset/)[^/\s]+/[^/\s]+")


def redact_path(path):
    """``path`` with any secret-bearing segments blanked (for logs)."""
    return _SECRET_PATH.sub(r"\1[redacted]/[redacted]", path or "")


def new_request_id():
    return uuid.uuid4().hex


def clean_request_id(value):
    """The caller's id if it is safe to log and echo, else None."""
    if value and _VALID_ID.match(value):
        return value
    return None


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        # Django logs a failed response after the middleware has returned; the
        # request it passes along still knows its id.
        request = record.__dict__.get("request")
        record.request_id = getattr(request, "request_id", None) or request_id_var.get()
        return True


class RedactFilter(logging.Filter):
    """Keep only the method and (redacted) path of a request; blank extras named like secrets."""

    def filter(self, record):
        request = record.__dict__.get("request")  # left out of the output by json_formatter
        if request is not None and not hasattr(record, "http_method"):
            record.http_method = getattr(request, "method", None)
            record.http_path = redact_path(getattr(request, "path", None))  # path only, never the query
        if isinstance(record.args, tuple):
            # Django's "Not Found: %s" and the like carry the path as an argument.
            record.args = tuple(redact_path(a) if isinstance(a, str) else a for a in record.args)
        for name in list(record.__dict__):
            if name not in _STANDARD and _SECRET_NAMES.search(name) and name != "request_id":
                record.__dict__[name] = "[redacted]"
        return True


def json_formatter():
    from pythonjsonlogger.core import RESERVED_ATTRS
    from pythonjsonlogger.json import JsonFormatter

    # "time" is ISO 8601 in UTC, whatever TIME_ZONE says. The request object
    # Django attaches is never written out (query string, headers, cookies).
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s %(request_id)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        reserved_attrs=[*RESERVED_ATTRS, "request"],
    )


class JsonHandler(logging.StreamHandler):
    """A stream handler (stderr by default) writing one redacted JSON object per record."""

    def __init__(self, stream=None):
        super().__init__(stream)
        self.setFormatter(json_formatter())
        self.addFilter(RequestIdFilter())
        self.addFilter(RedactFilter())


def logging_config(*, level="INFO"):
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"console": {"class": "config.logging.JsonHandler"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own handlers would print a second, unstructured copy.
            "django": {"handlers": ["console"], "level": level, "propagate": False},
            "django.server": {"handlers": ["console"], "level": level, "propagate": False},
            "celery": {"handlers": ["console"], "level": level, "propagate": False},
        },
    }


# --- Celery: the request id travels in the message headers ---------------------

def _before_publish(headers=None, **kwargs):
    current = request_id_var.get()
    if headers is not None and current and "request_id" not in headers:
        headers["request_id"] = current


def _task_prerun(task=None, **kwargs):
    request = getattr(task, "request", None)
    incoming = getattr(request, "request_id", None) or (getattr(request, "headers", None) or {}).get(
        "request_id"
    )
    # A task run in-process (eager) keeps the id of the request it runs in.
    request_id = clean_request_id(incoming) or request_id_var.get() or getattr(request, "id", None)
    token = request_id_var.set(request_id or new_request_id())
    if request is not None:
        request._request_id_token = token


def _task_postrun(task=None, **kwargs):
    token = getattr(getattr(task, "request", None), "_request_id_token", None)
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # set in another context (eager tasks); nothing to undo
            pass


def connect_celery_signals():
    from celery import signals

    signals.before_task_publish.connect(_before_publish, weak=False)
    signals.task_prerun.connect(_task_prerun, weak=False)
    signals.task_postrun.connect(_task_postrun, weak=False)
