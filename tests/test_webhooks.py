"""Webhooks: signed JSON POSTs to a real HTTP server on 127.0.0.1, with retries after failures."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from content.models import Claim
from review.models import Channel, DeliveryStatus, Publication, WebhookDelivery, WebhookEndpoint
from review.publishing import webhooks
from review.publishing.actions import publish_claim, withdraw_publication
from tests.test_publishing import approve, claims_of, load_channels, make_article


class Receiver:
    """A tiny webhook consumer: answers with the queued status codes (then 200) and records requests."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/vetted"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def channels(groups: None) -> dict[str, Channel]:
    return load_channels()


@pytest.fixture
def endpoint(channels: dict[str, Channel], receiver: Receiver) -> WebhookEndpoint:
    ep = WebhookEndpoint(channel=channels["website"], url=receiver.url, secret="s3cret-for-tests")
    ep.save()
    return ep


@pytest.fixture
def approved(author: User, reviewer: User, channels: dict[str, Channel]) -> Claim:
    return approve(claims_of(make_article(author))[0], reviewer)


def publish_now(claim: Claim, channel: Channel, publisher: User, capture: Any) -> Publication:
    with capture(execute=True):
        pub, _ = publish_claim(claim, channel, by=publisher)
    return pub


def queued(delivery: WebhookDelivery) -> list[DBTaskResult]:
    """The django-tasks jobs queued for this delivery, oldest first."""
    rows = DBTaskResult.objects.filter(task_path="review.publishing.webhooks.deliver_webhook").order_by("enqueued_at")
    return [r for r in rows if r.args_kwargs["args"][0] == delivery.pk]


def test_it_logs_and_queues_a_delivery_per_active_endpoint(
    approved: Claim,
    publisher: User,
    channels: dict[str, Channel],
    endpoint: WebhookEndpoint,
    django_capture_on_commit_callbacks: Any,
) -> None:
    WebhookEndpoint(channel=channels["website"], url="http://127.0.0.1:9/off", active=False).save()
    WebhookEndpoint(channel=channels["social"], url="http://127.0.0.1:9/other").save()
    publish_now(approved, channels["website"], publisher, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint, delivery.event, delivery.status) == (endpoint, "publication.published", "pending")
    assert delivery.payload["data"]["claim"] == approved.pk
    assert [job.args_kwargs["args"] for job in queued(delivery)] == [[delivery.pk, 1]]


def test_it_queues_nothing_when_the_publish_rolls_back(
    approved: Claim, publisher: User, channels: dict[str, Channel], endpoint: WebhookEndpoint
) -> None:
    # No commit (the test transaction is never committed): the job is only enqueued on commit.
    publish_claim(approved, channels["website"], by=publisher)
    assert not DBTaskResult.objects.exists()


# Committed for real: the worker takes its own (on SQLite, exclusive) transaction, which cannot nest in a test's.
@pytest.mark.django_db(transaction=True)
def test_it_delivers_a_signed_body_through_the_worker(
    approved: Claim,
    publisher: User,
    channels: dict[str, Channel],
    endpoint: WebhookEndpoint,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    publish_now(approved, channels["website"], publisher, django_capture_on_commit_callbacks)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=StringIO(), stderr=StringIO())
    [(headers, body)] = receiver.requests
    expected = "sha256=" + hmac.new(b"s3cret-for-tests", body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Vetted-Signature"], expected)
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["event"] == "publication.published"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None


def test_it_retries_after_a_failure_with_backoff(
    approved: Claim,
    publisher: User,
    channels: dict[str, Channel],
    endpoint: WebhookEndpoint,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    receiver.statuses = [500]
    publish_now(approved, channels["website"], publisher, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()

    assert webhooks.deliver_webhook.call(delivery.pk, 1) == "pending"
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.response_code) == (1, 500)
    assert delivery.last_error == "HTTP 500 Internal Server Error"
    retry = queued(delivery)[-1]
    assert retry.args_kwargs["args"] == [delivery.pk, 2]
    assert retry.run_after == delivery.next_attempt_at
    assert retry.run_after > timezone.now()

    # Run the retry (its run_after is in the future, so the worker would not pick it yet).
    assert webhooks.deliver_webhook.call(*retry.args_kwargs["args"]) == "delivered"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code, delivery.last_error) == (
        "delivered",
        2,
        200,
        "",
    )
    first, second = receiver.requests
    assert first[1] == second[1]
    signature = "sha256=" + hmac.new(b"s3cret-for-tests", second[1], hashlib.sha256).hexdigest()
    assert second[0]["X-Vetted-Signature"] == signature


def test_it_gives_up_after_the_last_attempt(
    approved: Claim,
    publisher: User,
    channels: dict[str, Channel],
    endpoint: WebhookEndpoint,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    receiver.statuses = [503] * webhooks.MAX_ATTEMPTS
    publish_now(approved, channels["website"], publisher, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
        webhooks.deliver_webhook.call(delivery.pk, attempt)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, webhooks.MAX_ATTEMPTS)
    assert len(queued(delivery)) == webhooks.MAX_ATTEMPTS  # the first job and four retries, no more


def test_it_records_a_connection_error(
    approved: Claim, publisher: User, channels: dict[str, Channel], django_capture_on_commit_callbacks: Any
) -> None:
    # Bind then close a socket to get a port nobody listens on.
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    WebhookEndpoint(channel=channels["website"], url=f"http://127.0.0.1:{port}/").save()
    publish_now(approved, channels["website"], publisher, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    webhooks.deliver_webhook.call(delivery.pk, 1)
    delivery.refresh_from_db()
    assert delivery.response_code is None
    assert delivery.last_error.startswith("ConnectionRefusedError")
    assert delivery.status == DeliveryStatus.PENDING


def test_it_ignores_a_stale_or_duplicate_job(
    approved: Claim,
    publisher: User,
    channels: dict[str, Channel],
    endpoint: WebhookEndpoint,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    publish_now(approved, channels["website"], publisher, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    webhooks.deliver_webhook.call(delivery.pk, 1)
    assert webhooks.deliver_webhook.call(delivery.pk, 1) == "skipped"
    assert len(receiver.requests) == 1


def test_it_announces_a_withdrawal(
    approved: Claim,
    publisher: User,
    channels: dict[str, Channel],
    endpoint: WebhookEndpoint,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    pub = publish_now(approved, channels["website"], publisher, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        withdraw_publication(pub, by=publisher, reason="Guidance changed")
    delivery = WebhookDelivery.objects.get(event="publication.withdrawn")
    webhooks.deliver_webhook.call(delivery.pk, 1)
    [body] = [b for b in receiver.bodies() if b["event"] == "publication.withdrawn"]
    assert body["data"]["withdraw_reason"] == "Guidance changed"
    assert body["channel"] == "website"


def test_it_shows_the_delivery_log_in_the_admin(
    approved: Claim,
    publisher: User,
    channels: dict[str, Channel],
    endpoint: WebhookEndpoint,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    receiver.statuses = [500]
    publish_now(approved, channels["website"], publisher, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    webhooks.deliver_webhook.call(delivery.pk, 1)
    admin = User.objects.create_superuser("root", "root@example.org", "x")
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/review/webhookdelivery/").content.decode()
    assert "publication.published" in page
    assert "500" in page
    detail = client.get(f"/admin/review/webhookdelivery/{delivery.pk}/change/").content.decode()
    assert "HTTP 500 Internal Server Error" in detail


# --- A worker that dies: the re-queue sweep (issue 9) ---------------------------------------------------------------

LONG_AGO = timedelta(minutes=10)


def died_mid_send(delivery: WebhookDelivery) -> None:
    """The row as a worker killed during its POST leaves it: attempt 1 claimed, no outcome, long ago."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=1, attempt_started_at=timezone.now() - LONG_AGO, created_at=timezone.now() - LONG_AGO
    )


def sweep(capture: Any) -> str:
    out = StringIO()
    with capture(execute=True):
        call_command("requeue_webhooks", stdout=out)
    return out.getvalue()


@pytest.fixture
def delivery(
    approved: Claim,
    publisher: User,
    channels: dict[str, Channel],
    endpoint: WebhookEndpoint,
    django_capture_on_commit_callbacks: Any,
) -> WebhookDelivery:
    publish_now(approved, channels["website"], publisher, django_capture_on_commit_callbacks)
    return WebhookDelivery.objects.get()


def test_it_requeues_a_delivery_whose_worker_died_mid_send(
    delivery: WebhookDelivery, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    died_mid_send(delivery)
    assert sweep(django_capture_on_commit_callbacks).startswith("Re-queued 1 stale webhook deliveries")
    assert [job.args_kwargs["args"] for job in queued(delivery)] == [[delivery.pk, 1], [delivery.pk, 2]]
    assert webhooks.deliver_webhook.call(delivery.pk, 2) == "delivered"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_it_requeues_a_delivery_whose_job_was_never_queued(
    delivery: WebhookDelivery, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    DBTaskResult.objects.all().delete()  # the process died between commit and enqueue
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - LONG_AGO)
    sweep(django_capture_on_commit_callbacks)
    assert [job.args_kwargs["args"] for job in queued(delivery)] == [[delivery.pk, 1]]


def test_it_requeues_a_retry_whose_job_was_lost(
    delivery: WebhookDelivery, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    receiver.statuses = [500]
    webhooks.deliver_webhook.call(delivery.pk, 1)
    DBTaskResult.objects.all().delete()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - LONG_AGO)
    sweep(django_capture_on_commit_callbacks)
    assert [job.args_kwargs["args"] for job in queued(delivery)] == [[delivery.pk, 2]]


def test_it_leaves_fresh_and_finished_deliveries_alone(
    delivery: WebhookDelivery, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    assert sweep(django_capture_on_commit_callbacks).startswith("Re-queued 0")  # just logged: its job is queued
    webhooks.deliver_webhook.call(delivery.pk, 1)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempt_started_at=timezone.now() - LONG_AGO)
    assert sweep(django_capture_on_commit_callbacks).startswith("Re-queued 0")  # delivered
    assert len(queued(delivery)) == 1


def test_it_requeues_once_however_often_the_sweep_runs(
    delivery: WebhookDelivery, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    died_mid_send(delivery)
    for _ in range(3):
        sweep(django_capture_on_commit_callbacks)
    assert len(queued(delivery)) == 2  # the original job and one re-queue


def test_it_delivers_once_when_a_duplicate_job_runs(
    delivery: WebhookDelivery, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    died_mid_send(delivery)
    sweep(django_capture_on_commit_callbacks)
    assert webhooks.deliver_webhook.call(delivery.pk, 2) == "delivered"
    assert webhooks.deliver_webhook.call(delivery.pk, 2) == "skipped"
    assert webhooks.deliver_webhook.call(delivery.pk, 1) == "skipped"  # the dead worker's job, if it ever ran
    assert len(receiver.requests) == 1


def test_it_sends_the_same_idempotency_key_on_every_attempt(
    delivery: WebhookDelivery, receiver: Receiver, channels: dict[str, Channel], endpoint: WebhookEndpoint
) -> None:
    receiver.statuses = [500]
    webhooks.deliver_webhook.call(delivery.pk, 1)
    webhooks.deliver_webhook.call(delivery.pk, 2)
    other = webhooks.enqueue_event(channels["website"].pk, "publication.published", {"claim": 0})[0]
    webhooks.deliver_webhook.call(other.pk, 1)
    keys = [headers["Idempotency-Key"] for headers, _ in receiver.requests]
    assert keys[0] == keys[1] != keys[2]


def test_it_gives_up_when_the_worker_died_during_the_last_attempt(
    delivery: WebhookDelivery, django_capture_on_commit_callbacks: Any
) -> None:
    died_mid_send(delivery)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=webhooks.MAX_ATTEMPTS)
    assert "1 out of attempts marked failed" in sweep(django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("failed", "The worker stopped during the last attempt.")


def test_it_refuses_a_stale_after_shorter_than_an_attempt() -> None:
    with pytest.raises(CommandError, match="at least 10 s"):
        call_command("requeue_webhooks", "--stale-after", "1")
