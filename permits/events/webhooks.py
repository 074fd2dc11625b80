"""Webhook endpoints and their deliveries (Standard Webhooks 1.0).

The database is the source of truth: a delivery row exists for every (endpoint,
event) owed, written with the event (``outbox.fan_out``). Workers are woken by
the broker (a doorbell) and by the periodic sweep, claim an endpoint with one
conditional UPDATE (a lease, so one worker per endpoint and endpoints in
parallel), and deliver its pending rows in seq order. A worker that dies
leaves its lease to run out; the sweep then wakes another.
"""

import base64
import datetime as dt
import email.utils
import ipaddress
import json
import logging
import random
import secrets as random_secrets
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from requests.adapters import HTTPAdapter
from standardwebhooks.webhooks import Webhook

from ..core.errors import DomainError, InvalidInput
from .models import EVENT_TYPES, Delivery, DeliveryAttempt, DeliveryState, WebhookEndpoint, WebhookSecret
from .outbox import ring_after_commit

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
RESPONSE_BODY_LIMIT = 4096
LEASE_SECONDS = 60
BATCH = 100


class UnsafeURL(DomainError):
    """The endpoint's URL is refused (scheme, or an address it must not reach)."""


# --- Secrets -----------------------------------------------------------------

def _fernet():
    # Derived, not SECRET_KEY itself: the key does one job. Changing SECRET_KEY
    # makes the stored secrets unreadable (rotate them afterwards).
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"permits.webhook-secrets").derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def new_secret():
    return "whsec_" + base64.b64encode(random_secrets.token_bytes(32)).decode()


def _store_secret(endpoint, secret):
    WebhookSecret.objects.create(endpoint=endpoint, ciphertext=_fernet().encrypt(secret.encode()).decode())


def signing_secrets(endpoint, *, now=None):
    """The secrets that sign now: the newest, and during an overlap the previous ones."""
    now = now or timezone.now()
    rows = endpoint.secrets.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).order_by("-id")
    fernet = _fernet()
    found = []
    for row in rows:
        try:
            found.append(fernet.decrypt(row.ciphertext.encode()).decode())
        except InvalidToken:
            logger.error("Webhook secret %s of endpoint %s cannot be decrypted (SECRET_KEY changed?)",
                         row.pk, endpoint.pk)
    return found


def sign(secrets, *, msg_id, timestamp, body):
    """The three Standard Webhooks headers; one signature per secret, space-separated."""
    signature = " ".join(Webhook(secret).sign(msg_id, timestamp, body) for secret in secrets)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": signature, "content-type": "application/json"}


# --- The SSRF guard ----------------------------------------------------------

def _refused_address(address):
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified or not ip.is_global)


def check_url(url):
    """Resolve ``url``'s host and return the addresses it may be reached at.

    With SECURE_HTTPS the URL must be https://, and (unless WEBHOOK_ALLOW_PRIVATE)
    every address it resolves to must be public: a host that resolves to one
    public and one private address is refused, so the address connected to is
    always one that was checked. Raises UnsafeURL.
    """
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL("The URL must be http:// or https:// with a host name.")
    if parts.username or parts.password:
        raise UnsafeURL("The URL must not carry credentials.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURL("The URL's port is not a number from 1 to 65535.") from exc
    if settings.SECURE_HTTPS and parts.scheme != "https":
        raise UnsafeURL("The URL must be https://.")
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"The host {parts.hostname!r} does not resolve.") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if settings.SECURE_HTTPS and not settings.WEBHOOK_ALLOW_PRIVATE:
        refused = [a for a in addresses if _refused_address(a)]
        if refused:
            raise UnsafeURL(
                f"The host {parts.hostname!r} resolves to a loopback, private or link-local address "
                f"({', '.join(refused)})."
            )
    return addresses


class _PinnedHostAdapter(HTTPAdapter):
    """Connects to the checked address while TLS still checks the URL's host name
    (urllib3's server_hostname / assert_hostname, through requests' public hook)."""

    def __init__(self, hostname, **kwargs):
        self._hostname = hostname
        super().__init__(**kwargs)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs.update(server_hostname=self._hostname, assert_hostname=self._hostname)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


def post(url, address, body, headers):
    """POST to ``address`` (checked) for ``url``; return (status, body text, Retry-After header).

    No redirect is followed, the body is read up to RESPONSE_BODY_LIMIT bytes,
    and connecting or waiting for an answer gives up after 10 s.
    """
    parts = urlsplit(url)
    literal = f"[{address}]" if ":" in address else address
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = f"{parts.scheme}://{literal}:{port}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
    with requests.Session() as session:
        session.trust_env = False  # a proxy from the environment would bypass the checked address
        if parts.scheme == "https":
            session.mount("https://", _PinnedHostAdapter(parts.hostname))
        response = session.post(target, data=body.encode(), headers={**headers, "Host": parts.netloc},
                                timeout=TIMEOUT_SECONDS, allow_redirects=False, stream=True)
        try:
            text = response.raw.read(RESPONSE_BODY_LIMIT, decode_content=True) or b""
        finally:
            response.close()
    return response.status_code, text.decode("utf-8", "replace"), response.headers.get("Retry-After")


# --- Endpoints ---------------------------------------------------------------

def _check_types(event_types):
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput({"events": f"Unknown event type(s): {', '.join(unknown)}. "
                                      f"Known: {', '.join(EVENT_TYPES)}."})


def create_endpoint(*, url, event_types=(), description=""):
    """Register an endpoint; return (endpoint, secret). The secret is shown this once."""
    event_types = sorted({t.strip() for t in event_types if t.strip()})
    _check_types(event_types)
    if len(url or "") > 2000:
        raise InvalidInput({"url": "At most 2,000 characters."})
    try:
        check_url(url)
    except UnsafeURL as exc:
        raise InvalidInput({"url": str(exc)}) from exc
    secret = new_secret()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(url=url, event_types=event_types,
                                                  description=description or "")
        _store_secret(endpoint, secret)
    return endpoint, secret


def rotate_secret(*, endpoint):
    """A new secret (returned, shown once); the previous ones keep signing for
    WEBHOOK_SECRET_OVERLAP_HOURS, so receivers can switch without losing events."""
    secret = new_secret()
    until = timezone.now() + dt.timedelta(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS)
    with transaction.atomic():
        endpoint.secrets.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=until)).update(expires_at=until)
        _store_secret(endpoint, secret)
    return secret


def disable_endpoint(*, endpoint, reason):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False, disabled_reason=reason[:500])
    endpoint.is_active, endpoint.disabled_reason = False, reason[:500]


def enable_endpoint(*, endpoint):
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=True, disabled_reason="",
                                                              consecutive_failures=0)
        ring_after_commit([endpoint.pk])
    endpoint.is_active = True


def replay_deliveries(*, delivery_ids):
    """Send these deliveries again (whatever their state), as soon as a worker can."""
    with transaction.atomic():
        endpoints = set(
            Delivery.objects.filter(pk__in=delivery_ids).values_list("endpoint_id", flat=True)
        )
        Delivery.objects.filter(pk__in=delivery_ids).update(
            state=DeliveryState.PENDING, next_attempt_at=timezone.now(), created_at=timezone.now())
        ring_after_commit(endpoints)


def replay_since(*, endpoint, after_seq):
    """Owe the endpoint every event it wants with seq > after_seq again (one statement)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO permits_delivery (endpoint_id, event_id, state, attempts, created_at,
                                          next_attempt_at, last_error)
            SELECT %s, e.seq, 'pending', 0, now(), now(), ''
              FROM permits_event e
             WHERE e.seq > %s AND (cardinality(%s::varchar[]) = 0 OR e.type = ANY(%s::varchar[]))
            ON CONFLICT (endpoint_id, event_id)
            DO UPDATE SET state = 'pending', next_attempt_at = now(), created_at = now()
            """,
            [endpoint.pk, after_seq, endpoint.event_types, endpoint.event_types],
        )
        count = cursor.rowcount
        ring_after_commit([endpoint.pk])
    return count


def queue_depth(endpoint):
    return endpoint.deliveries.filter(state=DeliveryState.PENDING).count()


def is_failing(endpoint):
    return endpoint.consecutive_failures >= settings.WEBHOOK_FAILING_AFTER


# --- Delivering ----------------------------------------------------------------

def backoff_seconds(attempts):
    """Exponential, capped, with jitter (half fixed, half random: retries of many
    deliveries spread out instead of arriving together)."""
    delay = min(settings.WEBHOOK_RETRY_MAX_SECONDS, settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1))
    return delay / 2 + random.uniform(0, delay / 2)


def retry_after_seconds(value, now):
    """Retry-After as seconds (a number of seconds, or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0, (when - now).total_seconds())


def _claim(endpoint_id):
    """The endpoint's lease, with one conditional UPDATE; False if another worker holds it."""
    return bool(WebhookEndpoint.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=timezone.now()), pk=endpoint_id, is_active=True,
    ).update(lease_until=timezone.now() + dt.timedelta(seconds=LEASE_SECONDS)))


def _release(endpoint_id):
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(lease_until=None)


@dataclass
class RunResult:
    delivered: int = 0
    retry_in: float | None = None  # seconds until the first pending delivery is due


def deliver_endpoint(endpoint_id):
    """Deliver the endpoint's pending deliveries in seq order, while they succeed.

    Steps: claim the endpoint (else return: its holder delivers); take pending
    rows in seq order; stop at the first not yet due (order is kept) or the first
    failure; release; look again (a delivery added while we released is not left
    to the sweep). Returns a RunResult; the caller schedules ``retry_in``.
    """
    result = RunResult()
    while _claim(endpoint_id):
        try:
            more = _deliver_claimed(endpoint_id, result)
        finally:
            _release(endpoint_id)
        if not more:
            break
    return result


def _deliver_claimed(endpoint_id, result):
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    secrets = signing_secrets(endpoint)
    while True:
        pending = list(
            Delivery.objects.filter(endpoint_id=endpoint_id, state=DeliveryState.PENDING)
            .select_related("event").order_by("event_id")[:BATCH]
        )
        if not pending:
            return False
        for delivery in pending:
            now = timezone.now()
            if delivery.next_attempt_at > now:
                result.retry_in = (delivery.next_attempt_at - now).total_seconds()
                return False
            outcome = _attempt(endpoint, delivery, secrets)
            if outcome != "delivered":
                if outcome == "retry":
                    result.retry_in = (delivery.next_attempt_at - timezone.now()).total_seconds()
                return outcome == "gave_up"  # the next one may go at once
            result.delivered += 1
            # Renewed after every attempt: one slow receiver (10 s each) must not
            # outlast the lease and let a second worker in beside this one.
            WebhookEndpoint.objects.filter(pk=endpoint_id).update(
                lease_until=timezone.now() + dt.timedelta(seconds=LEASE_SECONDS))


def _attempt(endpoint, delivery, secrets):
    """One POST of one delivery, recorded; returns delivered, retry, gave_up or disabled."""
    started_at = timezone.now()
    body = json.dumps(delivery.event.payload(), separators=(",", ":"), ensure_ascii=False)
    headers = sign(secrets, msg_id=delivery.event.event_id, timestamp=started_at, body=body)
    status = retry_after = None
    text = error = ""
    clock = time.monotonic()
    try:
        if not secrets:
            raise UnsafeURL("The endpoint has no readable signing secret: rotate it.")
        address = check_url(endpoint.url)[0]
        status, text, retry_after = post(endpoint.url, address, body, headers)
    except UnsafeURL as exc:
        error = str(exc)
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
    duration_ms = int((time.monotonic() - clock) * 1000)
    now = timezone.now()
    DeliveryAttempt.objects.create(delivery=delivery, at=started_at, status_code=status,
                                   duration_ms=duration_ms, error=error, response_body=text)
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_duration_ms, delivery.last_error = status, duration_ms, error
    if status is not None and 200 <= status < 300:
        delivery.state, delivery.delivered_at, outcome = DeliveryState.DELIVERED, now, "delivered"
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0, last_success_at=now)
    elif status == 410:
        delivery.state, outcome = DeliveryState.FAILED, "disabled"
        delivery.last_error = "The endpoint answered 410 Gone: it is disabled."
        disable_endpoint(endpoint=endpoint, reason=f"Answered 410 Gone at {now.isoformat()}.")
    else:
        give_up_at = delivery.created_at + dt.timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
        wait = max(backoff_seconds(delivery.attempts), retry_after_seconds(retry_after, now) or 0)
        # Retry-After is honoured, but never postpones past a day.
        delivery.next_attempt_at = now + dt.timedelta(seconds=min(wait, 86400))
        if delivery.next_attempt_at > give_up_at:
            delivery.state, outcome = DeliveryState.FAILED, "gave_up"
        else:
            outcome = "retry"
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            consecutive_failures=endpoint.consecutive_failures + 1, last_failure_at=now)
        endpoint.consecutive_failures += 1
    delivery.save(update_fields=["state", "attempts", "delivered_at", "next_attempt_at",
                                 "last_status_code", "last_duration_ms", "last_error"])
    return outcome


def due_endpoint_ids(now=None):
    """Active endpoints, free of a lease, with a pending delivery due (for the sweep)."""
    now = now or timezone.now()
    return list(
        WebhookEndpoint.objects.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now), is_active=True)
        .filter(deliveries__state=DeliveryState.PENDING, deliveries__next_attempt_at__lte=now)
        .values_list("id", flat=True).distinct()
    )

