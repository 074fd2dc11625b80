"""The product's Celery app with a short visibility timeout, for worker-kill tests.

Production keeps an hour (a long task must not be handed out twice while it
runs); here a message whose worker died comes back within seconds, so the
test can watch the redelivered task complete.
"""

from config.celery import app

app.conf.broker_transport_options = {
    **app.conf.broker_transport_options,
    "visibility_timeout": 4,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
