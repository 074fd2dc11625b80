from celery import shared_task

from . import services


@shared_task(name="permits.tasks.expire_permits")
def expire_permits():
    """Daily: record ``expire`` for permits past their validity (idempotent)."""
    result = services.expire_due_permits()
    return result.affected if result else 0
