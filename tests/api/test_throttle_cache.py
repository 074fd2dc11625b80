"""The throttle's counters live in the shared cache; a dead cache must not stop the API."""

import pytest
from django.test import override_settings
from knox.models import AuthToken

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
