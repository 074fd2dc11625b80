"""Event, webhook endpoint, secret, delivery and attempt rows.

Imported by ``permits.models`` so that they belong to the ``permits`` app.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

EVENT_TYPES = (
    "permit.created", "permit.issued", "permit.denied", "permit.suspended", "permit.reinstated",
    "permit.cancelled", "permit.expired", "permit.amended", "decision.rescinded",
)


class Event(models.Model):
    """One change of a permit as the outside world hears it. A record: append-only.

    ``seq`` is drawn from its sequence only while the writer holds the ledger's
    advisory lock (see ``outbox``), so seq order is commit order.
    """

    seq = models.BigAutoField(primary_key=True)
    event_id = models.CharField(max_length=40, unique=True)
    type = models.CharField(max_length=32)
    time = models.DateTimeField()
    # Indexed by its (permit, seq) index. DO_NOTHING: the database's foreign
    # keys and the record's walls refuse the delete (a permission error, the
    # same as for a decision), not the ORM's collector.
    permit = models.ForeignKey("permits.Permit", on_delete=models.DO_NOTHING, related_name="+", db_index=False)
    # No database constraint to the decision: the ledger's own checks
    # (verify_decisions) catch a decision removed behind the application's
    # back; a constraint here would only make the event a second lock on it.
    decision = models.OneToOneField(
        "permits.Decision", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="event",
        db_constraint=False,
    )
    data = models.JSONField()

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["permit", "seq"], name="event_permit_seq")]
        constraints = [
            models.CheckConstraint(condition=Q(type__in=EVENT_TYPES), name="event_type_known"),
        ]

    def __str__(self):
        return f"{self.seq} {self.type}"

    def payload(self):
        """The event as the feed and the webhooks show it."""
        return {"seq": self.seq, "id": self.event_id, "type": self.type,
                "time": self.time.isoformat().replace("+00:00", "Z"), "data": self.data}


class WebhookEndpoint(models.Model):
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=500, blank=True)
    # Empty: every event type.
    event_types = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    # A worker delivering to this endpoint holds it until then (one worker per
    # endpoint keeps its deliveries in seq order; a dead worker's lease runs out).
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.url

    def wants(self, event_type):
        return not self.event_types or event_type in self.event_types


class WebhookSecret(models.Model):
    """A signing secret, encrypted with a key derived from SECRET_KEY (never shown again)."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="secrets")
    ciphertext = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Set at rotation: the old secret still signs until then (the overlap).
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]


class DeliveryState(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # given up after the retry window, or the endpoint answered 410


class Delivery(models.Model):
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.IntegerField(null=True, blank=True)
    last_duration_ms = models.IntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["event_id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="delivery_endpoint_event"),
        ]
        indexes = [
            models.Index(fields=["endpoint", "event"], condition=Q(state="pending"),
                         name="delivery_pending"),
        ]

    def __str__(self):
        return f"event {self.event_id} → endpoint {self.endpoint_id} ({self.state})"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_rows")
    at = models.DateTimeField()
    status_code = models.IntegerField(null=True, blank=True)
    duration_ms = models.IntegerField()
    error = models.TextField(blank=True)
    response_body = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
