"""Webhooks: tell a channel's subscribers about every publication and withdrawal.

Each event becomes one WebhookDelivery row per active endpoint (written in the same transaction
as the publication, so the log never misses an event) and a django-tasks job, enqueued after
commit, that POSTs it. The database backend runs jobs in `manage.py db_worker`.

A delivery is JSON, signed with the endpoint's secret:
    X-Vetted-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>
    Idempotency-Key: <the same on every attempt of one delivery>
Failures (non-2xx, timeouts, refused connections) are retried with exponential backoff by
re-enqueueing the job with `run_after`, up to MAX_ATTEMPTS attempts in all.

A worker can die between steps (SIGKILL, OOM, a host reboot): mid-send, or after logging a
delivery but before its job was queued. django-tasks' database backend never reclaims such a
job, so `manage.py requeue_webhooks` (cron, every minute; see README) re-enqueues every pending
delivery that has made no progress for STALE_AFTER. It is safe to run at any time and any number
of times: each job claims its attempt number under a row lock, so a duplicate job does nothing,
and a receiver that saw the dead attempt's POST recognises the retry by its Idempotency-Key.
Delivery is at-least-once; the key makes it effectively once for receivers that dedupe.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from review.models import ArticlePublication, DeliveryStatus, Publication, WebhookDelivery, WebhookEndpoint

PUBLISHED = "publication.published"
WITHDRAWN = "publication.withdrawn"
ARTICLE_PUBLISHED = "article.published"
ARTICLE_WITHDRAWN = "article.withdrawn"

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(seconds=30)
TIMEOUT_SECONDS = 5.0
# Read at most this much of a response: we only need its status.
MAX_RESPONSE_BYTES = 64 * 1024
# A pending delivery with no progress for this long has lost its job: far longer than one attempt
# (connect + read timeouts), so a slow but live attempt is never sent twice by the sweep.
STALE_AFTER = timedelta(minutes=2)


def backoff(attempt: int) -> timedelta:
    """Wait before attempt n+1 after attempt n failed: 30 s, 1 min, 2 min, 4 min."""
    return BACKOFF_BASE * (2 ** (attempt - 1))


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): the same for every attempt of a delivery."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def publication_event(pub: Publication, event: str) -> list[WebhookDelivery]:
    data = {
        "publication": pub.pk,
        "claim": pub.claim_id,
        "article": pub.claim.article_id,
        "version": pub.version,
        "content_hash": pub.content_hash,
        "published_at": pub.published_at.isoformat(),
        "withdrawn_at": pub.withdrawn_at.isoformat() if pub.withdrawn_at else None,
        "withdraw_reason": pub.withdraw_reason,
    }
    return enqueue_event(pub.channel_id, event, data)


def article_event(ap: ArticlePublication, event: str) -> list[WebhookDelivery]:
    data = {
        "article_publication": ap.pk,
        "article": ap.article_id,
        "published_at": ap.published_at.isoformat(),
        "withdrawn_at": ap.withdrawn_at.isoformat() if ap.withdrawn_at else None,
        "withdraw_reason": ap.withdraw_reason,
    }
    return enqueue_event(ap.channel_id, event, data)


def enqueue_event(channel_id: int, event: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """Log one delivery per active endpoint now; send each once the surrounding transaction commits."""
    deliveries = []
    for endpoint in WebhookEndpoint.objects.filter(channel_id=channel_id, active=True).select_related("channel"):
        payload = {
            "event": event,
            "channel": endpoint.channel.slug,
            "occurred_at": timezone.now().isoformat(),
            "data": data,
        }
        delivery = WebhookDelivery(endpoint=endpoint, event=event, payload=payload)
        delivery.save()
        deliveries.append(delivery)
        _enqueue_after_commit(delivery.pk, 1)
    return deliveries


def _enqueue_after_commit(delivery_id: int, attempt: int) -> None:
    # After commit: the worker must find the delivery row, and a rolled-back publish sends nothing.
    transaction.on_commit(lambda: deliver_webhook.enqueue(delivery_id, attempt))


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST once; returns (status code or None, error text). Redirects are not followed."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None, f"Unsupported webhook URL: {url}"
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        return response.status, "" if 200 <= response.status < 300 else f"HTTP {response.status} {response.reason}"
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()


@task()
def deliver_webhook(delivery_id: int, attempt: int) -> str:
    """Attempt `attempt` of one delivery.

    1. Claim the attempt under a row lock: a duplicate or stale job (the delivery moved on) does nothing.
    2. POST outside any transaction (never hold a lock across the network).
    3. Record the outcome under the lock again; on failure re-enqueue the next attempt with
       exponential backoff, or give up. If the sweep already handed the delivery to a newer
       attempt (this one was presumed dead), a success still counts and a failure is left to it.
    """
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").filter(pk=delivery_id).first()
        if delivery is None or delivery.status != DeliveryStatus.PENDING or delivery.attempts != attempt - 1:
            return "skipped"
        if not delivery.endpoint.active:
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = "The endpoint was deactivated."
            delivery.save()
            return str(delivery.status)
        delivery.attempts = attempt
        delivery.next_attempt_at = None
        delivery.attempt_started_at = timezone.now()
        delivery.save()

    body = body_of(delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Vetted-Webhooks/1",
        "X-Vetted-Event": delivery.event,
        "X-Vetted-Delivery": str(delivery.pk),
        "Idempotency-Key": delivery.idempotency_key,
        "X-Vetted-Signature": sign(delivery.endpoint.secret, body),
    }
    code, error = post(delivery.endpoint.url, body, headers)
    ok = code is not None and 200 <= code < 300

    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status != DeliveryStatus.PENDING or (delivery.attempts != attempt and not ok):
            return "superseded"
        delivery.response_code = code
        delivery.last_error = error
        if ok:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
        elif attempt >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.next_attempt_at = timezone.now() + backoff(attempt)
        delivery.save()
    if delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at is not None:
        deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk, attempt + 1)
    return str(delivery.status)


@dataclass
class SweepResult:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def stale(now: datetime, stale_after: timedelta = STALE_AFTER) -> Q:
    """Pending deliveries that made no progress for `stale_after`, by where their worker stopped."""
    cutoff = now - stale_after
    return Q(status=DeliveryStatus.PENDING) & (
        # Logged, but the job was never queued or never ran.
        Q(attempts=0, next_attempt_at__isnull=True, created_at__lte=cutoff)
        # An attempt began and never recorded its outcome: the worker died mid-send.
        | Q(attempts__gt=0, next_attempt_at__isnull=True, attempt_started_at__lte=cutoff)
        | Q(attempts__gt=0, next_attempt_at__isnull=True, attempt_started_at__isnull=True, created_at__lte=cutoff)
        # A retry (or an earlier sweep's job) was due long ago and never ran.
        | Q(next_attempt_at__lte=cutoff)
    )


def requeue_stale(now: datetime | None = None, stale_after: timedelta = STALE_AFTER) -> SweepResult:
    """Re-enqueue the next attempt of every stale pending delivery; give up on those out of attempts.

    Marks each re-queued delivery due now (next_attempt_at), so a second sweep within
    `stale_after` leaves it alone; the job is enqueued after commit, like every other.
    """
    now = now or timezone.now()
    result = SweepResult()
    with transaction.atomic():
        # skip_locked: a row locked right now belongs to a live attempt, so it is not stale.
        rows = WebhookDelivery.objects.select_for_update(skip_locked=True).filter(stale(now, stale_after))
        for delivery in rows.order_by("id"):
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
                delivery.last_error = delivery.last_error or "The worker stopped during the last attempt."
                delivery.save()
                result.failed.append(delivery.pk)
                continue
            delivery.next_attempt_at = now
            delivery.save()
            _enqueue_after_commit(delivery.pk, delivery.attempts + 1)
            result.requeued.append(delivery.pk)
    return result
