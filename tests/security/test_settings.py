"""Production settings pass Django's deployment check; sessions expire; bandit is clean."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

from tests.conftest import ROOT


def _manage(*args, **env):
    environment = dict(os.environ, **env)
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # a test-run convenience only
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
        capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_reports_nothing_with_production_settings():
    result = _manage(
        "check", "--deploy", "--fail-level", "DEBUG",
        DEBUG="false", SECURE_HTTPS="true", SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="permits.example.gc.ca",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_sessions_end_with_the_browser_and_after_eight_hours_at_most():
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    assert settings.SESSION_COOKIE_HTTPONLY is True


@pytest.mark.django_db
def test_session_cookie_is_a_browser_session_cookie(client, make_user):
    user = make_user("reader", username="reader")
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"] and not cookie["expires"]
    assert client.session.get_expiry_age() <= 8 * 60 * 60


def test_passwords_must_be_strong():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from django.contrib.auth import get_user_model

    for weak in ("short1!", "password1234", "123456789012"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    with pytest.raises(ValidationError):
        validate_password("jane.minister.ca", get_user_model()(username="jane.minister.ca"))
    validate_password("Ministerial-Review-2021")


def test_bandit_reports_nothing_of_medium_severity_or_above():
    bandit = os.path.join(os.path.dirname(sys.executable), "bandit")
    result = subprocess.run(
        [bandit, "-r", "config", "permits", "reviews", "-ll", "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
