"""Settings come from the environment and refuse bad values at start-up.

Each case starts a real Python process (`django.setup()` or `manage.py
check`), because a refused value must stop start-up, naming the variable.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

STRONG_KEY = "k8Jm2vQx7Pz4Rt9Lw3Nb6Hy1Fd5Gs0Ac-Ue2Oi8Yr4Tp7Wq3Zx9Vb1Nm6Lk5Jh0"

# Everything the settings read, so that nothing leaks in from the test run.
CONTRACT_VARIABLES = (
    "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "TIME_ZONE",
    "SECURE_HTTPS", "API_THROTTLE_RATES", "EMAIL_URL", "EMAIL_HOST", "EMAIL_PORT",
    "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "EMAIL_USE_SSL",
    "DEFAULT_FROM_EMAIL", "LOG_LEVEL", "CI", "MIGRATE_DATABASE_URL", "LEDGER_SIGNING_KEY", "LEDGER_CHECKPOINT_DIR",
    "LEDGER_CHECKPOINT_S3_BUCKET", "LEDGER_CHECKPOINT_S3_ENDPOINT_URL", "LEDGER_CHECKPOINT_S3_REGION",
    "LEDGER_CHECKPOINT_S3_PREFIX",
    "DEFAULT_FROM_EMAIL", "LOG_LEVEL", "CI", "API_TOKEN_TTL_DAYS", "TRUSTED_PROXY_HOPS",
)

BASE_ENV = {
    # Never connected to: setup and checks do not open a connection.
    "DATABASE_URL": "postgres://permits@127.0.0.1:1/permits",
    "SECRET_KEY": STRONG_KEY,
    "LEDGER_SIGNING_KEY": "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=",
    "LEDGER_CHECKPOINT_DIR": "/tmp/ledger-checkpoints-settings-test",
}

SETUP = "import django; django.setup()"


def run_python(env_vars, *args):
    env = {k: v for k, v in os.environ.items() if k not in CONTRACT_VARIABLES}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the test run, refused by check --deploy
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


BAD_VALUES = [
    ("DEBUG", "maybe"),
    ("DEBUG", "on"),
    ("SECURE_HTTPS", "sometimes"),
    ("ALLOWED_HOSTS", "example.org,,other.org"),
    ("ALLOWED_HOSTS", ","),
    ("TIME_ZONE", "Mars/Olympus_Mons"),
    ("API_THROTTLE_RATES", "fast"),
    ("API_THROTTLE_RATES", "600/fortnight"),
    ("DATABASE_URL", "mysql://root@127.0.0.1/permits"),
    ("DATABASE_URL", "not a url"),
    ("REDIS_URL", "http://127.0.0.1:6379/0"),
    ("EMAIL_URL", "ftp://mail.example.org"),
    ("EMAIL_URL", "smtp://mail.example.org:notaport"),
    ("CI", "perhaps"),
    ("LEDGER_SIGNING_KEY", "not base64 at all!"),
    ("LEDGER_SIGNING_KEY", "c2hvcnQ="),  # valid base64 of 5 bytes: not a 32-byte key
    ("LEDGER_CHECKPOINT_DIR", "relative/checkpoints"),
    ("API_TOKEN_TTL_DAYS", "0"),
    ("API_TOKEN_TTL_DAYS", "366"),
    ("API_TOKEN_TTL_DAYS", "ninety"),
    ("API_TOKEN_TTL_DAYS", "30.5"),
    ("TRUSTED_PROXY_HOPS", "-1"),
    ("TRUSTED_PROXY_HOPS", "one"),
    ("TRUSTED_PROXY_HOPS", "1,2"),
]


def test_a_bucket_for_checkpoints_is_a_storage_alias():
    show = ("from django.conf import settings as s; "
            "print(repr(s.STORAGES.get('ledger_checkpoints')))")
    result = run_python(BASE_ENV, "-c", SETUP + "; " + show)
    assert result.stdout.strip().splitlines()[-1] == "None"
    result = run_python({**BASE_ENV, "LEDGER_CHECKPOINT_S3_BUCKET": "witness-bucket",
                         "LEDGER_CHECKPOINT_S3_ENDPOINT_URL": "https://s3.example.org"}, "-c", SETUP + "; " + show)
    assert result.returncode == 0, result.stderr
    storage = eval(result.stdout.strip().splitlines()[-1])  # a repr of plain values we printed
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "witness-bucket"
    assert storage["OPTIONS"]["endpoint_url"] == "https://s3.example.org"
    assert storage["OPTIONS"]["file_overwrite"] is False
    bad = run_python({**BASE_ENV, "LEDGER_CHECKPOINT_S3_BUCKET": "b",
                      "LEDGER_CHECKPOINT_S3_ENDPOINT_URL": "ftp://x"}, "-c", SETUP)
    assert bad.returncode != 0 and "LEDGER_CHECKPOINT_S3_ENDPOINT_URL" in bad.stderr


def test_the_bucket_options_are_ones_django_storages_accepts():
    pytest.importorskip("storages", reason="the optional extra '.[s3]' is not installed")
    from storages.backends.s3 import S3Storage

    options = {"bucket_name": "witness-bucket", "endpoint_url": "https://s3.example.org", "region_name": None,
               "location": "ledger-checkpoints", "file_overwrite": False}
    storage = S3Storage(**options)  # no request is made until a file is touched
    assert (storage.bucket_name, storage.location, storage.file_overwrite) == (
        "witness-bucket", "ledger-checkpoints", False)


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_a_bad_value_stops_start_up_naming_the_variable(name, value):
    result = run_python({**BASE_ENV, name: value}, "-c", SETUP)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr.strip().splitlines()[-1]


def test_a_bad_email_port_names_the_variable():
    result = run_python({**BASE_ENV, "EMAIL_HOST": "mail.example.org", "EMAIL_PORT": "twenty-five"}, "-c", SETUP)
    assert result.returncode != 0
    assert "EMAIL_PORT" in result.stderr.strip().splitlines()[-1]


def test_database_url_is_required():
    result = run_python({"SECRET_KEY": STRONG_KEY}, "-c", SETUP)
    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stderr


def test_database_url_is_required_under_ci():
    result = run_python({"SECRET_KEY": STRONG_KEY, "CI": "true"}, "-c", SETUP)
    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stderr
    assert "CI=true" in result.stderr


def test_secret_key_is_required_unless_debug():
    result = run_python({"DATABASE_URL": BASE_ENV["DATABASE_URL"]}, "-c", SETUP)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("name", ["LEDGER_SIGNING_KEY", "LEDGER_CHECKPOINT_DIR"])
def test_ledger_settings_are_required_unless_debug(name):
    env = {k: v for k, v in BASE_ENV.items() if k != name}
    result = run_python(env, "-c", SETUP)
    assert result.returncode != 0
    assert f"{name} is not set" in result.stderr.strip().splitlines()[-1]
    assert run_python({**env, "DEBUG": "true"}, "-c", SETUP).returncode == 0


def test_a_bad_signing_key_is_not_echoed():
    value = "B" * 40  # valid base64 of 30 bytes
    result = run_python({**BASE_ENV, "LEDGER_SIGNING_KEY": value}, "-c", SETUP)
    assert result.returncode != 0
    assert "LEDGER_SIGNING_KEY" in result.stderr and value not in result.stderr


PRINT = (
    "from django.conf import settings as s; "
    "print(repr((s.DEBUG, s.SECURE_SSL_REDIRECT, s.ALLOWED_HOSTS, s.TIME_ZONE, "
    "s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['api'], s.CELERY_TASK_ALWAYS_EAGER, "
    "s.CELERY_BROKER_URL, s.EMAIL_BACKEND.rsplit('.', 1)[-1], getattr(s, 'EMAIL_PORT', None), "
    "s.DATABASES['default']['NAME'])))"
)


def settings_tuple(env_vars):
    result = run_python({**BASE_ENV, **env_vars}, "-c", PRINT)
    assert result.returncode == 0, result.stderr
    return eval(result.stdout.strip().splitlines()[-1])  # a repr of plain values we printed


def test_good_values_are_accepted_in_any_case():
    debug, redirect, hosts, tz, rate, eager, broker, email, port, db = settings_tuple({
        "DEBUG": "No",
        "SECURE_HTTPS": "YES",
        "ALLOWED_HOSTS": "permits.example.org, .example.gc.ca",
        "TIME_ZONE": "Europe/Berlin",
        "API_THROTTLE_RATES": "100/hour",
        "REDIS_URL": "redis://127.0.0.1:6379/3",
        "EMAIL_URL": "submission://user:p%40ss@mail.example.org",
    })
    assert (debug, redirect) == (False, True)
    assert hosts == ["permits.example.org", ".example.gc.ca"]
    assert tz == "Europe/Berlin"
    assert rate == "100/hour"
    assert (eager, broker) == (False, "redis://127.0.0.1:6379/3")
    assert (email, port) == ("EmailBackend", 587)
    assert db == "permits"


def test_defaults():
    debug, redirect, hosts, tz, rate, eager, broker, email, port, db = settings_tuple({"DEBUG": "1"})
    assert debug is True
    assert redirect is False  # SECURE_HTTPS defaults to false under DEBUG
    assert tz == "America/Toronto"
    assert rate == "600/min"
    assert (eager, broker) == (True, "memory://")  # no broker: tasks run in-process
    assert "localhost" in hosts


def test_throttling_can_be_switched_off():
    assert settings_tuple({"API_THROTTLE_RATES": "OFF"})[4] is None


def test_usual_email_settings_are_read():
    *_, email, port, _db = settings_tuple({
        "EMAIL_HOST": "mail.example.org", "EMAIL_PORT": "2525", "EMAIL_USE_TLS": "true",
    })
    assert (email, port) == ("EmailBackend", 2525)


def test_manage_check_passes_with_good_values():
    result = run_python({**BASE_ENV, "DEBUG": "false", "SECURE_HTTPS": "false"}, "manage.py", "check")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_reports_nothing_with_production_settings():
    result = run_python(
        {**BASE_ENV, "DEBUG": "false", "SECURE_HTTPS": "true", "ALLOWED_HOSTS": "permits.example.org"},
        "manage.py", "check", "--deploy", "--fail-level", "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)" in result.stdout


def test_check_deploy_complains_about_a_weak_secret_key():
    """The deploy check is live: the same run with a weak key is refused."""
    result = run_python(
        {**BASE_ENV, "SECRET_KEY": "short", "DEBUG": "false", "SECURE_HTTPS": "true"},
        "manage.py", "check", "--deploy", "--fail-level", "WARNING",
    )
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


TOKEN_AND_PROXY = (
    "from django.conf import settings as s; "
    "print(repr((s.API_TOKEN_TTL_DAYS, s.REST_KNOX['TOKEN_TTL'].days, s.TRUSTED_PROXY_HOPS)))"
)


@pytest.mark.parametrize(("env_vars", "expected"), [
    ({}, (90, 90, 0)),
    ({"API_TOKEN_TTL_DAYS": "1", "TRUSTED_PROXY_HOPS": "0"}, (1, 1, 0)),
    ({"API_TOKEN_TTL_DAYS": " 365 ", "TRUSTED_PROXY_HOPS": "2"}, (365, 365, 2)),
])
def test_token_lifetime_and_proxy_hops(env_vars, expected):
    result = run_python({**BASE_ENV, **env_vars}, "-c", TOKEN_AND_PROXY)
    assert result.returncode == 0, result.stderr
    assert eval(result.stdout.strip().splitlines()[-1]) == expected
