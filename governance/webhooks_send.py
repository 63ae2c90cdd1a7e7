"""Outgoing webhooks, the send side: sign, POST, record, retry, replay.

A send task (`deliver`) leases its delivery with a conditional UPDATE, so a task that
Redis hands out twice, or two workers, never send the same delivery twice at once; a
sent or given-up delivery is not sent again. The POST goes to the registered URL and
nowhere else: plain http.client, no proxy, no redirect followed (a 3xx is a failure), a
short timeout, never inside a database transaction. Every attempt is logged
(WebhookAttempt). A failure waits 1, 2, 4 … 64 minutes (`retry_delay`); after
MAX_ATTEMPTS the delivery is given up. No retry waits in Redis: the beat's
`requeue_due` queues again what is due, and what a lost message left behind.

The signature: `X-Ninety-Signature: t=<unix seconds>,v1=<hex>`, where v1 is
HMAC-SHA256, keyed with the endpoint's secret, of `<t>.` followed by the raw body. A
receiver recomputes it over the bytes it received, compares in constant time, and
refuses a `t` more than five minutes from its clock (README, "Webhooks").
"""

import hashlib
import hmac
import http.client
import json
import logging
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from governance.webhooks_models import WebhookAttempt, WebhookDelivery, validate_webhook_url

log = logging.getLogger(__name__)
Status = WebhookDelivery.Status

MAX_ATTEMPTS = 8
# A send holds its delivery this long at most; its task is stopped well before, softly at
# 30 s and for good at 45 s (governance.tasks.send_webhook).
LEASE = timedelta(seconds=60)
# At most this many deliveries are queued again by one beat run; the next takes the rest.
REQUEUE_LIMIT = 5000
# The receiver's answer is read (so the connection ends cleanly) but never kept.
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Ninety-Webhooks/1"


def retry_delay(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 1, 2, 4, 8, 16, 32, 64 minutes."""
    return timedelta(minutes=2 ** (attempts - 1))


def requeue_after() -> timedelta:
    """A delivery queued this long ago and still unsent is queued again: its message was
    lost. Longer than the broker's visibility timeout, as for reminders."""
    return timedelta(seconds=settings.NINETY_REMINDER_REQUEUE_SECONDS)


# --- Signing and posting ------------------------------------------------------------------


def body_of(payload: dict) -> bytes:
    """The bytes sent: the same for every attempt of a delivery."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def headers_for(delivery: WebhookDelivery, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Ninety-Event": delivery.event_kind,
        "X-Ninety-Event-Id": delivery.event_id,
        "X-Ninety-Delivery": str(delivery.uuid),
        "X-Ninety-Signature": signature(delivery.endpoint.secret, timestamp, body),
    }


@dataclass(frozen=True)
class Response:
    status: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str]) -> Response:
    """One POST to exactly this URL. http.client follows no redirect and reads no proxy
    setting; the timeout bounds the connection and each read."""
    parts = urlsplit(url)
    timeout = float(settings.NINETY_WEBHOOK_TIMEOUT_SECONDS)
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    started = time.perf_counter()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        status, error = response.status, ""
        if not 200 <= status < 300:
            error = f"HTTP {status} {response.reason}".strip()
            if 300 <= status < 400:
                error += " (redirects are not followed)"
    except Exception as exc:  # refused, timed out, TLS, a soft time limit: all recorded
        status, error = None, f"{type(exc).__name__}: {exc}"[:2000]
    finally:
        connection.close()
    return Response(status, error, round((time.perf_counter() - started) * 1000))


# --- Delivering -----------------------------------------------------------------------------


def _lease(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    """Take the delivery for sending, unless it is sent, given up, waiting out its backoff,
    or held by another send whose lease still runs."""
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    takeable = (Q(status=Status.QUEUED) & free) | Q(status=Status.FAILED, next_attempt_at__lte=now)
    taken = WebhookDelivery.objects.filter(takeable, pk=delivery_id).update(
        status=Status.QUEUED, lease_until=now + LEASE, attempts=F("attempts") + 1
    )
    if not taken:
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def deliver(delivery_id: int, now: datetime | None = None) -> str:
    """Send one delivery. Returns "sent", "failed" (retried later), "gave up", or "not
    mine" (sent already, waiting out its backoff, or being sent by another task)."""
    now = now or timezone.now()
    delivery = _lease(delivery_id, now)
    if delivery is None:
        return "not mine"
    endpoint = delivery.endpoint
    if delivery.attempts > MAX_ATTEMPTS:
        # Sends kept dying without recording anything (a crash each time).
        return _record(delivery, now, Response(None, "no attempt finished", 0), give_up=True)
    if not endpoint.is_active:
        return _record(delivery, now, Response(None, "the endpoint is switched off", 0), True)
    try:
        validate_webhook_url(endpoint.url)
    except ValidationError as exc:
        return _record(delivery, now, Response(None, " ".join(exc.messages), 0), give_up=True)
    body = body_of(delivery.payload)
    response = post(endpoint.url, body, headers_for(delivery, body, int(now.timestamp())))
    return _record(delivery, now, response)


def _record(
    delivery: WebhookDelivery, now: datetime, response: Response, give_up: bool = False
) -> str:
    """Log the attempt and set the delivery's state: sent, failed with its next attempt,
    or given up. Releases the lease."""
    if response.ok:
        outcome, next_attempt = Status.SENT, None
    elif give_up or delivery.attempts >= MAX_ATTEMPTS:
        outcome, next_attempt = Status.GAVE_UP, None
    else:
        outcome, next_attempt = Status.FAILED, now + retry_delay(delivery.attempts)
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            replay=delivery.replays,
            attempted_at=now,
            outcome=outcome,
            status_code=response.status,
            error=response.error,
            duration_ms=response.duration_ms,
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=outcome,
            lease_until=None,
            next_attempt_at=next_attempt,
            last_status_code=response.status,
            last_error=response.error,
            last_duration_ms=response.duration_ms,
            sent_at=timezone.now() if outcome == Status.SENT else None,
        )
    if outcome == Status.FAILED:
        log.warning(
            "Webhook %s failed (attempt %s): %s", delivery.pk, delivery.attempts, response.error
        )
    elif outcome == Status.GAVE_UP:
        log.error("Webhook %s given up after %s attempts", delivery.pk, delivery.attempts)
    return {Status.SENT: "sent", Status.FAILED: "failed", Status.GAVE_UP: "gave up"}[outcome]


# --- The beat's requeue, and replays from the admin ----------------------------------------


def requeue_due(now: datetime | None = None) -> list[int]:
    """Queue again, after commit, each delivery due: failed and past its backoff; queued
    but unsent after the broker's visibility timeout (a lost message); or held by a send
    whose lease ran out (a crashed worker). Stamped queued now, so the next run leaves
    them alone while they wait; SKIP LOCKED leaves rows a parallel run holds."""
    from governance.tasks import send_webhook

    now = now or timezone.now()
    again = (
        Q(status=Status.FAILED, next_attempt_at__lte=now)
        | Q(status=Status.QUEUED, lease_until__lt=now)
        | Q(status=Status.QUEUED, lease_until__isnull=True, queued_at__lt=now - requeue_after())
    )
    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(again)
            .order_by()
            .values_list("pk", flat=True)[:REQUEUE_LIMIT]
        )
        if ids:
            WebhookDelivery.objects.filter(again, pk__in=ids).update(
                status=Status.QUEUED, queued_at=now, lease_until=None
            )
            transaction.on_commit(lambda: [send_webhook.delay(pk) for pk in ids])
    return ids


def webhook_replay(*, delivery_ids: list[int], now: datetime | None = None) -> list[int]:
    """Send these deliveries again, whatever their state, with a fresh budget of attempts;
    the attempts so far stay in the log. A delivery being sent right now is left alone.
    Returns the ids queued."""
    from governance.tasks import send_webhook

    now = now or timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.select_for_update()
            .filter(free, pk__in=delivery_ids)
            .values_list("pk", flat=True)
        )
        WebhookDelivery.objects.filter(pk__in=ids).update(
            status=Status.QUEUED,
            attempts=0,
            replays=F("replays") + 1,
            next_attempt_at=None,
            lease_until=None,
            queued_at=now,
        )
        transaction.on_commit(lambda: [send_webhook.delay(pk) for pk in ids])
    return ids
