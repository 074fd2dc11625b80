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


def env_ed25519_key(name, environ=None):
    """An Ed25519 private key given as base64 of its raw 32 bytes; None when unset.

    The value is a secret: messages name the variable, never the value.
    """
    import base64
    import binascii

    value = env_str(name, None, environ)
    if value is None:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(
            f"{name} is not valid base64: give the raw 32-byte Ed25519 private key in base64 "
            "(`python manage.py ledger_public_key --generate` prints a new one)"
        ) from exc
    if len(raw) != 32:
        raise ImproperlyConfigured(
            f"{name} decodes to {len(raw)} bytes: an Ed25519 private key is exactly 32 bytes"
        )
    return raw


def env_path(name, default=None, environ=None):
    """An absolute directory path (not required to exist yet); ``default`` when unset."""
    from pathlib import Path

    value = env_str(name, None, environ)
    if value is None:
        return default
    path = Path(value)
    if not path.is_absolute():
        raise ImproperlyConfigured(f"{name}={value!r} must be an absolute path")
    if path.exists() and not path.is_dir():
        raise ImproperlyConfigured(f"{name}={value!r} exists and is not a directory")
    return path


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
