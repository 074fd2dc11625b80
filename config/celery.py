"""The Celery application. Periodic jobs are declared here, and only here."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id that queued a task is logged with the task's own lines.
from .logging import connect_celery_signals  # noqa: E402

connect_celery_signals()

app.conf.beat_schedule = {
    "expire-permits-daily": {
        "task": "permits.tasks.expire_permits",
        "schedule": crontab(hour=0, minute=5),
    },
    "verify-decision-ledger-daily": {
        "task": "permits.tasks.verify_decision_ledger",
        "schedule": crontab(hour=1, minute=15),
    },
    "sign-ledger-checkpoint-every-5-minutes": {
        "task": "permits.tasks.write_ledger_checkpoint",
        "schedule": 300.0,
        # Each run signs whatever head it finds: a stale queued run adds nothing.
        "options": {"expires": 290},
    },
    "sweep-exporter-notices-every-5-minutes": {
        "task": "permits.tasks.sweep_exporter_notices",
        "schedule": 300.0,
    },
    "sweep-webhook-deliveries-every-minute": {
        "task": "permits.tasks.sweep_webhook_deliveries",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "sweep-jobs-every-minute": {
        "task": "permits.tasks.sweep_jobs",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "reconcile-flagging-every-minute": {
        "task": "reviews.tasks.reconcile_flagging",
        "schedule": 60.0,
        # While no worker runs, beat keeps sending: stale runs are dropped.
        "options": {"expires": 55},
    },
}
