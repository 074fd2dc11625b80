"""The API throttles: per user, failed token authentication per address; a dead cache must not stop the API."""

import pytest
from django.test import override_settings
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@override_settings(CACHES=DEAD_REDIS, API_THROTTLE_RATE="2/min")
def test_requests_are_served_when_the_throttle_cache_is_down(client, reader):
    _, key = AuthToken.objects.create(reader)
    for _ in range(3):
        response = client.get("/api/v1/destinations/TR/", HTTP_AUTHORIZATION=f"Token {key}")
        assert response.status_code == 200
        assert response.json()["code"] == "TR"


@override_settings(API_THROTTLE_RATE="3/min")
def test_the_rate_counts_per_user_across_all_of_their_tokens(reader, official):
    keys = [AuthToken.objects.create(reader)[1] for _ in range(4)]
    answers = [
        APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/destinations/TR/").status_code
        for key in keys
    ]
    assert answers == [200, 200, 200, 429]
    # Another user is counted apart.
    _, other = AuthToken.objects.create(official)
    assert APIClient(HTTP_AUTHORIZATION=f"Token {other}").get("/api/v1/destinations/TR/").status_code == 200


@override_settings(API_TOKEN_FAILURE_RATE="3/min")
def test_failed_token_authentication_is_throttled_per_client_address(reader):
    _, key = AuthToken.objects.create(reader)
    attacker = APIClient(REMOTE_ADDR="203.0.113.50")
    for n in range(3):
        guess = f"{n:064x}"
        assert attacker.get("/api/v1/destinations/TR/", HTTP_AUTHORIZATION=f"Token {guess}").status_code == 401
    blocked = attacker.get("/api/v1/destinations/TR/", HTTP_AUTHORIZATION=f"Token {'f' * 64}")
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) >= 1
    assert "failed token" in blocked.json()["detail"]
    # Once blocked, the address gets no answer about any key, even a right one.
    assert attacker.get("/api/v1/destinations/TR/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 429
    # Another address, and requests without a token, are not affected.
    other = APIClient(REMOTE_ADDR="198.51.100.9", HTTP_AUTHORIZATION=f"Token {key}")
    assert other.get("/api/v1/destinations/TR/").status_code == 200
    assert attacker.get("/api/v1/destinations/TR/").status_code == 401


@override_settings(API_TOKEN_FAILURE_RATE="2/min", TRUSTED_PROXY_HOPS=1)
def test_behind_a_proxy_failures_count_for_the_forwarded_client(reader):
    _, key = AuthToken.objects.create(reader)
    proxy = "10.0.0.2"
    for _ in range(2):
        APIClient(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.50").get(
            "/api/v1/destinations/TR/", HTTP_AUTHORIZATION=f"Token {'0' * 64}")
    # A spoofed left-most entry does not move the attacker to another address.
    spoofed = APIClient(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.50")
    assert spoofed.get("/api/v1/destinations/TR/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 429
    honest = APIClient(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert honest.get("/api/v1/destinations/TR/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


@override_settings(CACHES=DEAD_REDIS, API_TOKEN_FAILURE_RATE="1/min")
def test_failed_token_counting_steps_aside_when_the_cache_is_down(reader):
    _, key = AuthToken.objects.create(reader)
    client = APIClient()
    for _ in range(3):
        assert client.get("/api/v1/destinations/TR/", HTTP_AUTHORIZATION=f"Token {'0' * 64}").status_code == 401
    assert client.get("/api/v1/destinations/TR/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
