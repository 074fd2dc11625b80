"""Thin tasks: take an endpoint id, call the service, ring again when a retry is due."""

from celery import shared_task

from . import webhooks


@shared_task(name="permits.tasks.deliver_webhooks", ignore_result=True)
def deliver_webhooks(endpoint_id):
    """Deliver what is due to one endpoint (idempotent: delivered rows are not sent again)."""
    result = webhooks.deliver_endpoint(endpoint_id)
    # In-process tasks (no broker) would run the retry at once, again and again:
    # there the retry waits for the next doorbell instead.
    if result.retry_in is not None and not deliver_webhooks.app.conf.task_always_eager:
        # The doorbell for the retry; should it be lost, the sweep rings instead.
        deliver_webhooks.apply_async((endpoint_id,), countdown=max(0.0, result.retry_in))
    return result.delivered


@shared_task(name="permits.tasks.sweep_webhook_deliveries", ignore_result=True)
def sweep_webhook_deliveries():
    """Periodic: wake a worker for every endpoint with a delivery due (a lost
    message, a dead worker, a broker that was down at commit)."""
    endpoint_ids = webhooks.due_endpoint_ids()
    for endpoint_id in endpoint_ids:
        deliver_webhooks.delay(endpoint_id)
    return len(endpoint_ids)
