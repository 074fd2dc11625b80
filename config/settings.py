"""Settings, read from the environment only (see README, "Configuration")."""

import hashlib
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlparse

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from .env import (
    env_bool,
    env_ed25519_key,
    env_int,
    env_list,
    env_path,
    env_str,
    env_throttle_rate,
    env_time_zone,
    env_url,
)
from .logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
IN_CI = env_bool("CI", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: it is required unless DEBUG=true "
            "(`make run` and `make test` provide one)"
        )
    # DEBUG only: never used by a deployment.
    SECRET_KEY = "insecure-development-key-" + "x" * 40

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
TIME_ZONE = env_time_zone("TIME_ZONE", "America/Toronto")
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]

INSTALLED_APPS = [
    # The admin, with the site that admits users by role (see permits/admin_site.py).
    "permits.admin_apps.PermitsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_countries",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "pgtrigger",
    "pghistory",
    "permits",
    "reviews",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    # The request id first, so that every response (redirects included) carries it.
    "config.security.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # NUL bytes and lone surrogates in the path or query: 400 before anything reads them.
    "config.security.HostileTextMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Sets is_verified; the two-factor requirement reads it.
    "django_otp.middleware.OTPMiddleware",
    "config.security.TwoFactorRequiredMiddleware",
    # Who/which request for the audit trail (django-pghistory context); after auth.
    "permits.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # django-axes wants to be last: it turns a lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "permits.context_processors.roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env_url("DATABASE_URL", {"postgres", "postgresql", "pgsql"})
if DATABASE_URL is None:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. `make run` and `make test` start an embedded "
        "PostgreSQL for you; otherwise set DATABASE_URL=postgres://user@host:5432/name"
        + (" (required under CI=true)" if IN_CI else "")
    )
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
# Two roles (README, "Database roles"): DATABASE_URL is the runtime role, which
# owns nothing; MIGRATE_DATABASE_URL is the owner role that `migrate` and
# `grant_runtime_role` connect as. It is not a second DATABASES alias on
# purpose: an alias would get a test database of its own from the test runner
# and could be picked by mistake by any code that names it.
MIGRATE_DATABASE_URL = env_url("MIGRATE_DATABASE_URL", {"postgres", "postgresql", "pgsql"}) or DATABASE_URL
MIGRATE_DATABASE = dj_database_url.parse(MIGRATE_DATABASE_URL)
if MIGRATE_DATABASE["NAME"] != DATABASES["default"]["NAME"]:
    raise ImproperlyConfigured(
        f"MIGRATE_DATABASE_URL names the database {MIGRATE_DATABASE['NAME']!r} but DATABASE_URL "
        f"names {DATABASES['default']['NAME']!r}: both must be the same database"
    )
# The role `migrate` grants to afterwards: DATABASE_URL's user when it is not
# the owner's (one role for both means there is nothing to grant).
DATABASE_RUNTIME_ROLE = (
    DATABASES["default"]["USER"]
    if DATABASES["default"]["USER"] and DATABASES["default"]["USER"] != MIGRATE_DATABASE["USER"]
    else None
)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Only cursors from permits.core.db.prepared_cursor() prepare statements (on first
# use); Django's own cursors bind on the client and never do.
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Broker ---------------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", {"redis", "rediss", "unix"})
CELERY_BROKER_URL = REDIS_URL or "memory://"
# With no broker configured, tasks run in-process (development convenience).
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing happens after a commit that must never be undone by a broker
# outage: fail fast (measured: about 5 ms when Redis refuses connections,
# about 1 s when it hangs; reviews.services.queue_flagging then stops trying
# for a while), and the reconciliation job picks up what was not queued.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 0.5,
    "socket_timeout": 1,
    "max_retries": 1,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0}

# The API's throttle counters must be shared by every web process: with a
# broker configured they live in Redis (and fail open if it is down).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "permits",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }

# --- Auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = 8 * 60 * 60

# --- Static ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Only when present: a missing directory is a warning that fails `check --deploy`.
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Reverse proxies --------------------------------------------------------
# How many reverse proxies in front of the application append to
# X-Forwarded-For; the client address is taken exactly that many entries from
# the right (permits/core/client_address.py). 0: the header is ignored.
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0, minimum=0)

# --- HTTPS ----------------------------------------------------------------
SECURE_HTTPS = env_bool("SECURE_HTTPS", not DEBUG)
if SECURE_HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- REST API -------------------------------------------------------------
API_THROTTLE_RATE = env_throttle_rate("API_THROTTLE_RATES", "600/min")
REST_FRAMEWORK = {
    # Token first: a request without credentials gets 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.rest.BoundedJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "config.rest.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["config.rest.TokenThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": API_THROTTLE_RATE},
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
}
# Token lifetimes: API_TOKEN_TTL_DAYS by default (create_api_token may ask for
# up to 365 days); a token whose user can record decisions lives 24 hours at
# most (permits/tokens.py), checked again at each use.
# A blanket decision over more candidates than this runs as a background job (202).
SYNC_BATCH_LIMIT = env_int("SYNC_BATCH_LIMIT", 5000, minimum=1)
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 90, minimum=1, maximum=365)

# Webhooks (permits/events/webhooks.py). With SECURE_HTTPS an endpoint must be
# https:// and public; WEBHOOK_ALLOW_PRIVATE lifts the second rule (an
# intranet receiver). Retries: exponential from the base, capped, for hours.
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30, minimum=1, maximum=3600)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 3600, minimum=1, maximum=86400)
WEBHOOK_RETRY_HOURS = env_int("WEBHOOK_RETRY_HOURS", 24, minimum=24, maximum=24 * 14)
WEBHOOK_FAILING_AFTER = env_int("WEBHOOK_FAILING_AFTER", 5, minimum=1)
WEBHOOK_SECRET_OVERLAP_HOURS = env_int("WEBHOOK_SECRET_OVERLAP_HOURS", 24, minimum=0, maximum=24 * 30)
API_TOKEN_MAX_DAYS = 365
API_TOKEN_DECIDER_TTL = timedelta(hours=24)
# Failed token authentications per client address (then 429 with Retry-After):
# a key cannot be guessed one request at a time.
API_TOKEN_FAILURE_RATE = "20/min"
REST_KNOX = {"AUTH_HEADER_PREFIX": "Token", "TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS)}
SPECTACULAR_SETTINGS = {
    "TITLE": "Export permits API",
    "DESCRIPTION": (
        "REST API v1 of the export-permit register: permits and their status on any date, "
        "ministerial decisions (single and blanket), end-use assurances, diversion evidence and "
        "the flags it raises. Authenticate with `Authorization: Token <key>`. Tokens expire "
        "(API_TOKEN_TTL_DAYS, 90 days by default; 24 hours for users who can record decisions)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PermitStatusEnum": "permits.models.PermitStatus",
        "DecisionKindEnum": "permits.models.DecisionKind",
        "ClientDecisionKindEnum": ["amend", "cancel", "deny", "issue", "reinstate", "rescind", "suspend"],
        "BlanketDecisionKindEnum": ["cancel", "reinstate", "suspend"],
        "NewPermitStatusEnum": ["active", "pending"],
        "AssuranceKindEnum": "permits.models.AssuranceKind",
        "ComplianceEnum": "permits.models.Compliance",
        "FlagStatusEnum": "reviews.models.FlagStatus",
        "ResolutionEnum": ["cleared", "escalated"],
        "EvidenceStatusEnum": "reviews.models.EvidenceStatus",
        "FlaggingEnum": ["queued", "done"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.add_error_responses",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Signed checkpoints of the decision ledger ----------------------------
# The signing key lives outside the database, so that whoever can write the
# decisions table cannot also sign a rewritten chain.
LEDGER_SIGNING_KEY = env_ed25519_key("LEDGER_SIGNING_KEY")
if LEDGER_SIGNING_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured(
            "LEDGER_SIGNING_KEY is not set: it is required unless DEBUG=true "
            "(`make run` generates one; `python manage.py ledger_public_key --generate` prints a new one)"
        )
    # DEBUG only: derived from the (development) SECRET_KEY, so that every
    # process of one development set-up signs with the same key.
    LEDGER_SIGNING_KEY = hashlib.sha256(b"ledger-signing-key:" + SECRET_KEY.encode()).digest()
# Append-only files of the checkpoints, out of the database writers' reach.
LEDGER_CHECKPOINT_DIR = env_path("LEDGER_CHECKPOINT_DIR")
if LEDGER_CHECKPOINT_DIR is None:
    if not DEBUG:
        raise ImproperlyConfigured(
            "LEDGER_CHECKPOINT_DIR is not set: it is required unless DEBUG=true "
            "(an absolute path to a directory for the ledger's signed checkpoints)"
        )
    LEDGER_CHECKPOINT_DIR = BASE_DIR / ".data" / "ledger-checkpoints"
# Optionally a copy of each checkpoint file in an S3-compatible bucket (django-storages,
# `pip install '.[s3]'`); credentials the usual boto3 way (AWS_ACCESS_KEY_ID, ...).
LEDGER_CHECKPOINT_S3_BUCKET = env_str("LEDGER_CHECKPOINT_S3_BUCKET")
if LEDGER_CHECKPOINT_S3_BUCKET:
    STORAGES["ledger_checkpoints"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": LEDGER_CHECKPOINT_S3_BUCKET,
            "endpoint_url": env_url("LEDGER_CHECKPOINT_S3_ENDPOINT_URL", {"https", "http"}),
            "region_name": env_str("LEDGER_CHECKPOINT_S3_REGION"),
            "location": env_str("LEDGER_CHECKPOINT_S3_PREFIX", "ledger-checkpoints"),
            # An object that exists is never replaced (a new name is chosen instead).
            "file_overwrite": False,
        },
    }

# --- Attachments (evidence and review documents) -----------------------------
# Stored through Django's storage API under the alias "attachments": a local
# directory by default, an S3-compatible bucket (django-storages) when
# ATTACHMENTS_S3_BUCKET is set. Files are served only through the application
# (signed-in roles), never from a public URL.
ATTACHMENTS_DIR = env_path("ATTACHMENTS_DIR", BASE_DIR / ".data" / "attachments")
ATTACHMENT_MAX_MB = env_int("ATTACHMENT_MAX_MB", 25, minimum=1, maximum=1024)
ATTACHMENTS_S3_BUCKET = env_str("ATTACHMENTS_S3_BUCKET")
if ATTACHMENTS_S3_BUCKET:
    STORAGES["attachments"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ATTACHMENTS_S3_BUCKET,
            "endpoint_url": env_url("ATTACHMENTS_S3_ENDPOINT_URL", {"https", "http"}),
            "region_name": env_str("ATTACHMENTS_S3_REGION"),
            "location": env_str("ATTACHMENTS_S3_PREFIX", "attachments"),
            "file_overwrite": False,
            # Private objects: the application is the only way to read them.
            "default_acl": "private",
            "querystring_auth": True,
        },
    }
else:
    STORAGES["attachments"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # No base_url: the directory is not served by any web server.
        "OPTIONS": {"location": str(ATTACHMENTS_DIR), "base_url": None,
                    "file_permissions_mode": 0o640, "directory_permissions_mode": 0o750},
    }
# Uploads are streamed to a temporary file past this size (Django's default
# 2.5 MB), so a 25 MB document never sits whole in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- E-mail ---------------------------------------------------------------
def _email_from_url(url):
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme not in {"smtp", "smtps", "submission"}:
        raise ImproperlyConfigured(
            f"EMAIL_URL={url!r}: scheme must be smtp, smtps, submission, console or locmem"
        )
    try:
        port = parsed.port
    except ValueError as exc:
        raise ImproperlyConfigured(f"EMAIL_URL={url!r}: bad port") from exc
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": port or {"smtp": 25, "smtps": 465, "submission": 587}[scheme],
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_SSL": scheme == "smtps",
        "EMAIL_USE_TLS": scheme == "submission",
    }


_email_url = env_str("EMAIL_URL")
if _email_url:
    globals().update(_email_from_url(_email_url))
elif env_str("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env_str("EMAIL_HOST")
    try:
        EMAIL_PORT = int(env_str("EMAIL_PORT", "25"))
    except ValueError as exc:
        raise ImproperlyConfigured("EMAIL_PORT must be a whole number") from exc
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "export-controls@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Logging --------------------------------------------------------------
# Structured (JSON) logs with the request id, in web processes and tasks.
LOGGING = logging_config(level=env_str("LOG_LEVEL", "INFO").upper())
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Security: CSP, login lockout, two-factor sign-in, sessions -------------
# Content-Security-Policy: nothing inline, nothing from elsewhere, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Login lockout (django-axes): 5 failures for one user name from one address
# lock that pair out for an hour. Counting per (user, address) keeps an
# attacker from locking the real user out from elsewhere.
AUTHENTICATION_BACKENDS = [
    "config.security.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client address is the one permits/core/client_address.py computes (X-Forwarded-For
# exactly TRUSTED_PROXY_HOPS back, else the TCP peer), as for the throttles and
# the audit trail: five failures from one client behind the proxy lock out that
# client only.
AXES_CLIENT_IP_CALLABLE = "permits.core.client_address.axes_client_ip"
# Attempts are kept in the database (shown in the admin); axes' own log lines
# would put user names and addresses into the logs.
AXES_VERBOSE = False

# Two-factor sign-in (django-otp, TOTP): required for every role the admin
# admits (decision makers, auditors, superusers) on every page and the admin;
# API tokens are not affected.
OTP_TOTP_ISSUER = "Export permits"
# The admin never shows a TOTP secret again after set-up.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
TWO_FACTOR_URL = "/accounts/2fa/"

# Sessions: 8 h at most (SESSION_COOKIE_AGE above), and gone with the browser.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
