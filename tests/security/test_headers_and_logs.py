"""Response headers (CSP, framing), the request id, and what the logs may contain."""

import io
import json
import logging

import pytest

from config.logging import JsonHandler

pytestmark = pytest.mark.django_db


def _csp(response):
    header = response.headers["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:]
        for part in (p.strip() for p in header.split(";")) if part
    }


@pytest.mark.parametrize("path", ["/healthz", "/admin/login/", "/accounts/2fa/"])
def test_csp_allows_nothing_inline_and_no_framing(client, make_user, path):
    client.force_login(make_user("official"))
    response = client.get(path)
    assert response.status_code == 200
    policy = _csp(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_request_id_is_made_up_when_absent(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_a_well_formed_request_id_is_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-2f1c.77:abc")
    assert response.headers["X-Request-ID"] == "lb-2f1c.77:abc"


@pytest.mark.parametrize("hostile", ["a" * 65, "<script>", "id with spaces", "x\u202eevil", "ok%0d%0aSet-Cookie:x=1"])
def test_a_malformed_request_id_is_replaced(client, hostile):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=hostile)
    assert response.headers["X-Request-ID"] != hostile
    assert len(response.headers["X-Request-ID"]) == 32


@pytest.fixture
def json_log():
    stream = io.StringIO()
    handler = JsonHandler(stream)
    # Django's loggers do not propagate to the root (see config.logging).
    loggers = [logging.getLogger(), logging.getLogger("django")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for logger, level in zip(loggers, levels):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_log_lines_are_json_with_the_request_id(client, json_log):
    response = client.get("/no-such-page/?email=someone@example.org", HTTP_X_REQUEST_ID="trace-42")
    assert response.status_code == 404
    records = [r for r in json_log() if r["logger"] == "django.request"]
    assert records, json_log()
    record = records[0]
    assert record["request_id"] == "trace-42"
    assert record["level"] == "WARNING"
    assert record["http_method"] == "GET" and record["http_path"] == "/no-such-page/"
    assert "someone@example.org" not in json.dumps(json_log())


def test_failed_sign_in_logs_no_password_user_name_or_session(client, json_log, make_user):
    make_user("official", username="o.fficial", email="o.fficial@example.org")
    client.post("/admin/login/", {"username": "o.fficial", "password": "Wrong-Secret-9f2k"})
    client.get("/no-such-page/", HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef",
               HTTP_COOKIE="sessionid=s3cr3tsessionvalue")
    text = json.dumps(json_log())
    for secret in ("Wrong-Secret-9f2k", "o.fficial", "0123456789abcdef0123456789abcdef", "s3cr3tsessionvalue"):
        assert secret not in text


def test_extra_fields_named_like_secrets_are_redacted(json_log):
    logging.getLogger("tests").info("calling out", extra={"api_token": "abc123", "password": "pw", "permit": "EXP-1"})
    (record,) = [r for r in json_log() if r["logger"] == "tests"]
    assert record["api_token"] == "[redacted]" and record["password"] == "[redacted]"
    assert record["permit"] == "EXP-1"
