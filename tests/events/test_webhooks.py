"""Signed deliveries to a real receiver on loopback: retries, 410, rotation, the SSRF guard."""

import datetime as dt
import io
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from permits import services
from permits.events import webhooks
from permits.events.models import Delivery, DeliveryAttempt, DeliveryState, Event, WebhookEndpoint
from permits.core.errors import InvalidInput
from tests.events.receiver import Receiver
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db


def suspend_all(decision_maker, destination="TR"):
    return services.record_blanket_decision(destination=destination, kind="suspend", reason="r",
                                            effective_on=dt.date(2020, 10, 5), decided_by=decision_maker)


def drain(endpoint, deadline=30):
    """Run the worker's service until nothing is pending, waiting out the backoff."""
    stop = time.time() + deadline
    while Delivery.objects.filter(endpoint=endpoint, state=DeliveryState.PENDING).exists():
        assert time.time() < stop, "deliveries still pending"
        result = webhooks.deliver_endpoint(endpoint.pk)
        endpoint.refresh_from_db()
        if not endpoint.is_active:
            return
        if result.retry_in:
            time.sleep(min(result.retry_in, 5))


def test_command_prints_the_secret_last_and_stores_it_encrypted():
    out = io.StringIO()
    call_command("create_webhook_endpoint", "http://127.0.0.1:9/x", "--events",
                 "permit.suspended,permit.cancelled", "--description", "Customs", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    assert secret.startswith("whsec_") and len(secret) > 40
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["permit.cancelled", "permit.suspended"]
    assert endpoint.description == "Customs"
    stored = endpoint.secrets.get().ciphertext
    assert secret not in stored and secret[6:] not in stored
    assert webhooks.signing_secrets(endpoint) == [secret]


def test_command_refuses_unknown_types_and_bad_urls():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown event type"):
        call_command("create_webhook_endpoint", "http://127.0.0.1:9/x", "--events", "permit.exploded")
    with pytest.raises(CommandError, match="http:// or https://"):
        call_command("create_webhook_endpoint", "ftp://example.org/x")
    assert not WebhookEndpoint.objects.exists()


def test_every_event_arrives_signed_in_seq_order_filtered_by_type(decision_maker):
    for i in range(3):
        PermitFactory(number=f"EXP-WH-{i}")
    with Receiver() as receiver:
        endpoint, secret = webhooks.create_endpoint(url=receiver.url, event_types=["permit.suspended"])
        receiver.secrets = [secret]
        PermitFactory(number="EXP-WH-NEW")  # created and issued: not wanted
        suspend_all(decision_maker)
        drain(endpoint)
    suspended = list(Event.objects.filter(type="permit.suspended").order_by("seq"))
    assert len(suspended) == 4
    assert [r[0] for r in receiver.received] == [e.event_id for e in suspended]
    assert all(r[2] == [True] for r in receiver.received)
    assert [r[3]["seq"] for r in receiver.received] == [e.seq for e in suspended]
    assert receiver.received[0][3] == {**suspended[0].payload(), "time": receiver.received[0][3]["time"]}
    assert Delivery.objects.filter(state=DeliveryState.DELIVERED).count() == 4
    endpoint.refresh_from_db()
    assert endpoint.last_success_at is not None and endpoint.consecutive_failures == 0


def test_failures_then_success_lose_nothing_and_repeat_only_the_same_id(decision_maker, settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 1
    for i in range(5):
        PermitFactory(number=f"EXP-RT-{i}")
    with Receiver(statuses=[500, 500, 503], headers={}) as receiver:
        endpoint, secret = webhooks.create_endpoint(url=receiver.url, event_types=["permit.suspended"])
        receiver.secrets = [secret]
        suspend_all(decision_maker)
        drain(endpoint)
    expected = list(Event.objects.filter(type="permit.suspended").order_by("seq").values_list("event_id", flat=True))
    assert receiver.accepted_ids() == expected  # each once, in order
    failed = [r for r in receiver.received if r[1] >= 500]
    assert len(failed) == 3 and {r[0] for r in failed} == {expected[0]}  # the same webhook-id retried
    assert all(r[2] == [True] for r in receiver.received)
    first = Delivery.objects.get(event__event_id=expected[0])
    assert first.attempts == 4 and first.state == DeliveryState.DELIVERED
    assert list(DeliveryAttempt.objects.filter(delivery=first).values_list("status_code", flat=True)) == [
        500, 500, 503, 200]


def test_retry_after_is_honoured(decision_maker):
    PermitFactory(number="EXP-RA-1")
    with Receiver(statuses=[429], headers={"Retry-After": "120"}) as receiver:
        endpoint, secret = webhooks.create_endpoint(url=receiver.url)
        suspend_all(decision_maker)
        result = webhooks.deliver_endpoint(endpoint.pk)
    delivery = Delivery.objects.get(event__type="permit.suspended")
    assert delivery.state == DeliveryState.PENDING and delivery.last_status_code == 429
    assert delivery.next_attempt_at >= timezone.now() + dt.timedelta(seconds=115)
    assert result.retry_in >= 115 and result.delivered == 0


def test_gone_disables_the_endpoint(decision_maker):
    PermitFactory(number="EXP-GONE-1")
    PermitFactory(number="EXP-GONE-2")
    with Receiver(statuses=[410]) as receiver:
        endpoint, secret = webhooks.create_endpoint(url=receiver.url, event_types=["permit.suspended"])
        suspend_all(decision_maker)
        webhooks.deliver_endpoint(endpoint.pk)
        webhooks.deliver_endpoint(endpoint.pk)
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "410" in endpoint.disabled_reason
    assert len(receiver.received) == 1
    assert Delivery.objects.filter(state=DeliveryState.PENDING).count() == 1


def test_repeated_failures_mark_the_endpoint_failing(decision_maker, settings):
    settings.WEBHOOK_FAILING_AFTER = 2
    PermitFactory(number="EXP-FAIL-1")
    endpoint, _secret = webhooks.create_endpoint(url="http://127.0.0.1:9/closed")
    suspend_all(decision_maker)
    for _ in range(2):
        Delivery.objects.update(next_attempt_at=timezone.now())
        webhooks.deliver_endpoint(endpoint.pk)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 2 and webhooks.is_failing(endpoint)
    assert "ConnectionError" in Delivery.objects.get(event__type="permit.suspended").last_error


def test_rotation_signs_with_both_secrets_during_the_overlap(decision_maker):
    PermitFactory(number="EXP-ROT-1")
    with Receiver() as receiver:
        endpoint, old = webhooks.create_endpoint(url=receiver.url, event_types=["permit.suspended"])
        new = webhooks.rotate_secret(endpoint=endpoint)
        receiver.secrets = [old, new]
        suspend_all(decision_maker)
        drain(endpoint)
    (received,) = receiver.received
    assert received[2] == [True, True] and len(received[4].split(" ")) == 2
    endpoint.secrets.exclude(expires_at=None).update(expires_at=timezone.now())
    assert webhooks.signing_secrets(endpoint) == [new]


def test_replay_since_a_seq_sends_again_with_the_same_ids(decision_maker):
    for i in range(3):
        PermitFactory(number=f"EXP-RP-{i}")
    with Receiver() as receiver:
        endpoint, secret = webhooks.create_endpoint(url=receiver.url, event_types=["permit.suspended"])
        suspend_all(decision_maker)
        drain(endpoint)
        first = Event.objects.filter(type="permit.suspended").order_by("seq").first()
        assert webhooks.replay_since(endpoint=endpoint, after_seq=first.seq) == 2
        drain(endpoint)
    ids = receiver.accepted_ids()
    assert len(ids) == 5 and ids[3:] == ids[1:3]


@pytest.mark.parametrize("url, message", [
    ("http://example.org/hook", "https://"),
    ("https://127.0.0.1/hook", "loopback, private or link-local"),
    ("https://localhost/hook", "loopback, private or link-local"),
    ("https://10.1.2.3/hook", "loopback, private or link-local"),
    ("https://169.254.169.254/latest/meta-data", "loopback, private or link-local"),
    ("https://[::1]/hook", "loopback, private or link-local"),
    ("https://[::ffff:192.168.0.1]/hook", "loopback, private or link-local"),
    ("https://user:pw@example.org/hook", "credentials"),
    ("https://no-such-host.invalid/hook", "does not resolve"),
])
def test_ssrf_guard_refuses_at_creation(settings, url, message):
    settings.SECURE_HTTPS = True
    with pytest.raises(InvalidInput, match=message):
        webhooks.create_endpoint(url=url)


def test_allow_private_lifts_only_the_address_rule(settings):
    settings.SECURE_HTTPS, settings.WEBHOOK_ALLOW_PRIVATE = True, True
    endpoint, _ = webhooks.create_endpoint(url="https://10.1.2.3/hook")
    assert endpoint.pk
    with pytest.raises(InvalidInput, match="https://"):
        webhooks.create_endpoint(url="http://10.1.2.3/hook")


def test_ssrf_guard_checks_again_at_each_delivery(decision_maker, settings):
    PermitFactory(number="EXP-SSRF-1")
    with Receiver() as receiver:
        endpoint, _ = webhooks.create_endpoint(url=receiver.url)
        suspend_all(decision_maker)
        settings.SECURE_HTTPS = True  # e.g. the host now resolves to a private address
        webhooks.deliver_endpoint(endpoint.pk)
    assert receiver.received == []
    delivery = Delivery.objects.filter(state=DeliveryState.PENDING).order_by("event_id").first()
    assert delivery.last_status_code is None and "https://" in delivery.last_error
