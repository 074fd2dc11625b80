"""Liveness and readiness probes for the orchestrator."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # any failure means "not ready"; the reason is logged by Django
        return False


def _broker_ok():
    if not settings.REDIS_URL:
        return True  # tasks run in-process: there is no broker to wait for
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        return bool(client.ping())
    except Exception:
        return False


@never_cache
@require_GET
def readyz(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        return JsonResponse(
            {"status": "unavailable", "failed": failed, "detail": f"not answering: {', '.join(failed)}"},
            status=503,
        )
    return JsonResponse({"status": "ok"})
