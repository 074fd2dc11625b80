"""Strict parsing of settings from the environment.

Every reader raises ``ImproperlyConfigured`` naming the variable, so that a
typo in a deployment stops start-up instead of silently taking a default.
"""

import os
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
_RATE = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")


def _raw(name, environ):
    value = (environ if environ is not None else os.environ).get(name)
    if value is None:
        return None
    return value.strip()


def env_bool(name, default, environ=None):
    value = _raw(name, environ)
    if value is None or value == "":
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean: use true/false/1/0/yes/no"
    )


def env_list(name, default, environ=None):
    value = _raw(name, environ)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a comma-separated list of non-empty values"
        )
    return items


def env_str(name, default=None, environ=None):
    value = _raw(name, environ)
    if value is None or value == "":
        return default
    return value


def env_time_zone(name, default, environ=None):
    value = env_str(name, default, environ)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not a known time zone") from exc
    return value


def env_throttle_rate(name, default, environ=None):
    """A DRF rate such as ``600/min``; ``off`` disables throttling (returns None)."""
    value = env_str(name, default, environ)
    if value.lower() == "off":
        return None
    if not _RATE.match(value):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate like 600/min (or 'off')"
        )
    return value


def env_url(name, schemes, environ=None):
    value = env_str(name, None, environ)
    if value is None:
        return None
    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name}={value!r} must be a URL with one of the schemes {sorted(schemes)}"
        )
    return value


def env_int(name, default, *, minimum=None, maximum=None, environ=None):
    """A whole number (digits only, optional sign) within [minimum, maximum]."""
    value = env_str(name, None, environ)
    if value is None:
        return default
    if not re.match(r"^[+-]?\d{1,18}$", value):
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number")
    number = int(value)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        bounds = f"from {minimum}" + (f" to {maximum}" if maximum is not None else " up")
        raise ImproperlyConfigured(f"{name}={value!r} is out of range: use a whole number {bounds}")
    return number
