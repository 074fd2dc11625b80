"""The operators' screen: superusers rotate, disable, replay; auditors only read."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from permits import services
from permits.events import webhooks
from permits.events.models import Delivery, DeliveryState, WebhookEndpoint
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db

LIST = "admin:permits_webhookendpoint_changelist"


@pytest.fixture
def endpoint(decision_maker):
    PermitFactory(number="EXP-ADM-1")
    PermitFactory(number="EXP-ADM-2")
    endpoint, secret = webhooks.create_endpoint(url="http://127.0.0.1:9/hook", event_types=["permit.suspended"])
    services.record_blanket_decision(destination="TR", kind="suspend", reason="r",
                                     effective_on=dt.date(2020, 10, 5), decided_by=decision_maker)
    return endpoint


@pytest.fixture
def root(make_user):
    return make_user(None, username="root", is_superuser=True, is_staff=True)


def test_superuser_sees_health_and_queue_depth(client, root, endpoint):
    client.force_login(root)
    page = client.get(reverse(LIST)).content.decode()
    assert "http://127.0.0.1:9/hook" in page and "healthy" in page
    assert '<td class="field-queue_depth">2</td>' in page
    deliveries = client.get(reverse("admin:permits_delivery_changelist")).content.decode()
    assert deliveries.count("field-state") >= 2


def test_superuser_rotates_the_secret_and_sees_it_once(client, root, endpoint):
    client.force_login(root)
    response = client.post(reverse(LIST), {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
                           follow=True)
    (secret,) = re.findall(r"whsec_[A-Za-z0-9+/=]+", response.content.decode())
    assert webhooks.signing_secrets(endpoint)[0] == secret
    assert len(webhooks.signing_secrets(endpoint)) == 2  # the overlap
    again = client.get(reverse("admin:permits_webhookendpoint_change", args=[endpoint.pk])).content.decode()
    assert "whsec_" not in again


def test_superuser_disables_and_replays_since_a_seq(client, root, endpoint):
    client.force_login(root)
    Delivery.objects.update(state=DeliveryState.DELIVERED)
    first = Delivery.objects.order_by("event_id").first().event_id
    response = client.post(reverse(LIST), {"action": "replay_since", "after_seq": first - 1,
                                           "_selected_action": [endpoint.pk]}, follow=True)
    assert "2 event(s) queued again" in response.content.decode(), response.content.decode()[-3000:]
    assert Delivery.objects.filter(state=DeliveryState.PENDING).count() == 2
    client.post(reverse(LIST), {"action": "disable", "_selected_action": [endpoint.pk]})
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "root" in endpoint.disabled_reason


def test_superuser_replays_one_delivery(client, root, endpoint):
    client.force_login(root)
    Delivery.objects.update(state=DeliveryState.FAILED)
    one = Delivery.objects.order_by("pk").first()
    client.post(reverse("admin:permits_delivery_changelist"), {"action": "replay", "_selected_action": [one.pk]})
    assert list(Delivery.objects.filter(state=DeliveryState.PENDING)) == [one]


def test_auditor_reads_but_cannot_act(client, make_user, endpoint):
    auditor = make_user("auditor", username="auditor")
    client.force_login(auditor)
    page = client.get(reverse(LIST))
    assert page.status_code == 200 and "http://127.0.0.1:9/hook" in page.content.decode()
    assert "rotate_secret" not in page.content.decode()
    client.post(reverse(LIST), {"action": "disable", "_selected_action": [endpoint.pk]})
    assert WebhookEndpoint.objects.get().is_active
    assert client.get(reverse("admin:permits_delivery_changelist")).status_code == 200


def test_decision_maker_does_not_see_the_webhooks(client, decision_maker, endpoint):
    client.force_login(decision_maker)
    assert client.get(reverse(LIST)).status_code == 403
