"""Everyone's inbox: the notices the review verbs send, in the app as well as by e-mail."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from rest_framework.test import APIClient

from config.settings import email_settings
from content.models import Claim
from review.audit.anchor import write_anchor
from review.audit.verify import verify_chain
from review.models import AuditEvent, Notification, NotificationKind
from tests import review_helpers
from tests.conftest import client_for
from tests.review_helpers import approve, request_changes

pytestmark = pytest.mark.django_db

claim = review_helpers.claim
immediate_tasks = review_helpers.immediate_tasks


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def sent_back(claim: Claim, reviewer: User, immediate_tasks: None, django_capture_on_commit_callbacks: Any) -> Claim:
    """The author's claim, sent back with a note: one notification in alice's inbox."""
    with django_capture_on_commit_callbacks(execute=True):
        request_changes(claim, reviewer, note="Say for whom this holds.")
    return claim


def only_note(user: User) -> Notification:
    [note] = Notification.objects.filter(recipient=user)
    return note


# --- what lands in the inbox ---------------------------------------------------------------


def test_it_puts_a_sent_back_claim_in_the_authors_inbox_with_the_reviewers_note(sent_back: Claim, author: User) -> None:
    note = only_note(author)
    assert (note.kind, note.claim, note.article) == (NotificationKind.SENT_BACK, sent_back, sent_back.article)
    assert "Say for whom this holds." in note.text


def test_it_mails_the_same_text_with_a_link_to_the_claim(sent_back: Claim, author: User, settings: Any) -> None:
    [message] = mail.outbox
    assert message.body.startswith(only_note(author).text)
    assert f"{settings.SITE_URL}/claims/{sent_back.pk}/" in message.body


def test_it_notifies_people_without_an_e_mail_address_in_the_app(
    claim: Claim, reviewer: User, author: User, immediate_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    author.email = ""
    author.save()
    with django_capture_on_commit_callbacks(execute=True):
        approve(claim, reviewer)
    assert only_note(author).kind == NotificationKind.DECISION
    assert mail.outbox == []


def test_it_tells_the_earlier_reviewer_a_revision_is_waiting_with_a_link_to_review_it(
    sent_back: Claim, author: User, reviewer: User, django_capture_on_commit_callbacks: Any
) -> None:
    sent_back.revise(
        by=author, text="Adults under 65 who sleep well live longer.", reason="Said for whom.", expected_version=1
    )
    with django_capture_on_commit_callbacks(execute=True):
        Claim.objects.get(pk=sent_back.pk).submit(by=author)
    note = only_note(reviewer)
    assert (note.kind, note.link) == (NotificationKind.RESUBMITTED, f"/claims/{sent_back.pk}/review/")


def test_it_records_each_notification_in_the_chained_trail(sent_back: Claim, author: User) -> None:
    note = only_note(author)
    assert AuditEvent.objects.filter(type="notification.created", object_id=str(note.pk)).count() == 1
    write_anchor()  # on commit in production; the test's transaction never commits
    assert verify_chain().ok


# --- the header and the inbox page ---------------------------------------------------------


def test_it_shows_the_unread_count_in_the_header(sent_back: Claim, author: User) -> None:
    page = client_for(author).get("/").content.decode()
    assert 'Inbox <span class="count">1<span class="visually-hidden"> unread</span>' in page


def test_it_lists_the_inbox_newest_first_with_the_text(sent_back: Claim, author: User) -> None:
    page = client_for(author).get("/inbox/").content.decode()
    assert "Say for whom this holds." in page
    assert f'id="notification-{only_note(author).pk}"' in page


def test_it_shows_no_one_elses_notifications(sent_back: Claim, other_author: User) -> None:
    assert "Say for whom this holds." not in client_for(other_author).get("/inbox/").content.decode()


def test_it_marks_one_read_from_the_page(sent_back: Claim, author: User) -> None:
    note = only_note(author)
    response = client_for(author).post(f"/inbox/{note.pk}/read/")
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.is_read


def test_it_opens_what_the_notification_is_about_and_marks_it_read(sent_back: Claim, author: User) -> None:
    note = only_note(author)
    response = client_for(author).post(f"/inbox/{note.pk}/read/", {"open": "1"})
    assert response["Location"] == f"/claims/{sent_back.pk}/"
    assert Notification.objects.get(pk=note.pk).is_read


def test_it_records_who_read_it_in_the_trail(sent_back: Claim, author: User) -> None:
    note = only_note(author)
    client_for(author).post(f"/inbox/{note.pk}/read/")
    event = AuditEvent.objects.get(type="notification.read", object_id=str(note.pk))
    assert event.actor == author


def test_it_marks_all_read(
    sent_back: Claim, author: User, reviewer: User, django_capture_on_commit_callbacks: Any
) -> None:
    other = Claim.objects.filter(article=sent_back.article).exclude(pk=sent_back.pk).order_by("position")[0]
    other.submit(by=author)
    with django_capture_on_commit_callbacks(execute=True):
        approve(Claim.objects.get(pk=other.pk), reviewer)
    response = client_for(author).post("/inbox/read/", follow=True)
    assert "Marked 2 notifications read." in response.content.decode()
    assert not Notification.objects.filter(recipient=author).unread().exists()


def test_it_refuses_to_mark_someone_elses_notification(sent_back: Claim, author: User, other_author: User) -> None:
    note = only_note(author)
    assert client_for(other_author).post(f"/inbox/{note.pk}/read/").status_code == 404
    assert not Notification.objects.get(pk=note.pk).is_read


def test_it_marks_read_by_post_only(sent_back: Claim, author: User) -> None:
    assert client_for(author).get(f"/inbox/{only_note(author).pk}/read/").status_code == 405


def test_it_sends_anonymous_visitors_to_log_in(db: None) -> None:
    assert Client().get("/inbox/").status_code == 302


# --- the API -------------------------------------------------------------------------------


def test_it_lists_the_unread_notifications_in_the_api(sent_back: Claim, author: User) -> None:
    note = only_note(author)
    body = api_for(author).get("/api/v1/inbox/?unread=1").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert {k: row[k] for k in ("id", "kind", "claim", "article", "read")} == {
        "id": note.pk,
        "kind": "sent_back",
        "claim": sent_back.pk,
        "article": sent_back.article_id,
        "read": False,
    }
    assert "Say for whom this holds." in row["text"] and row["created"]


def test_it_leaves_read_ones_out_of_the_unread_list(sent_back: Claim, author: User) -> None:
    only_note(author).mark_read(by=author)
    client = api_for(author)
    assert client.get("/api/v1/inbox/?unread=1").json()["count"] == 0
    assert client.get("/api/v1/inbox/").json()["count"] == 1


def test_it_marks_read_through_the_api(sent_back: Claim, author: User) -> None:
    note = only_note(author)
    response = api_for(author).post(f"/api/v1/inbox/{note.pk}/read/")
    assert (response.status_code, response.json()["read"]) == (200, True)


def test_it_answers_404_to_anyone_but_the_owner_in_the_api(sent_back: Claim, author: User, reviewer: User) -> None:
    note = only_note(author)
    assert api_for(reviewer).post(f"/api/v1/inbox/{note.pk}/read/").status_code == 404


def test_it_answers_405_to_get_on_the_read_endpoint(sent_back: Claim, author: User) -> None:
    assert api_for(author).get(f"/api/v1/inbox/{only_note(author).pk}/read/").status_code == 405


def test_it_documents_the_inbox_in_the_schema(author: User) -> None:
    schema = api_for(author).get("/api/schema/?format=json").json()
    assert {"/api/v1/inbox/", "/api/v1/inbox/{id}/read/"} <= set(schema["paths"])


# --- mail settings from the environment ----------------------------------------------------


def test_it_reads_an_smtp_url_with_starttls_and_a_quoted_password() -> None:
    got = email_settings({"EMAIL_URL": "smtp://vetted%40example.org:p%3Ass@mail.example.org:587?tls=1"})
    assert {k: got[k] for k in ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD")} == {
        "EMAIL_HOST": "mail.example.org",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "vetted@example.org",
        "EMAIL_HOST_PASSWORD": "p:ss",
    }
    assert (got["EMAIL_USE_TLS"], got["EMAIL_USE_SSL"]) == (True, False)


def test_it_reads_smtps_as_implicit_tls_on_465() -> None:
    got = email_settings({"EMAIL_URL": "smtps://u:p@mail.example.org"})
    assert (got["EMAIL_PORT"], got["EMAIL_USE_SSL"], got["EMAIL_USE_TLS"]) == (465, True, False)


def test_it_reads_the_separate_email_host_settings() -> None:
    got = email_settings(
        {"EMAIL_HOST": "mail.example.org", "EMAIL_HOST_USER": "u", "EMAIL_HOST_PASSWORD": "p", "EMAIL_USE_TLS": "1"}
    )
    assert (got["EMAIL_BACKEND"], got["EMAIL_PORT"], got["EMAIL_USE_TLS"]) == (
        "django.core.mail.backends.smtp.EmailBackend",
        587,
        True,
    )


def test_it_reads_a_file_url_for_development() -> None:
    got = email_settings({"EMAIL_URL": "file:///tmp/vetted-mail"})
    assert got == {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": "/tmp/vetted-mail",
    }


def test_it_prints_mail_to_the_console_with_no_settings() -> None:
    assert email_settings({}) == {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}


@pytest.mark.parametrize(
    "environ",
    [{"EMAIL_URL": "imap://mail.example.org"}, {"EMAIL_URL": "smtp://"}, {"EMAIL_HOST": "m", "EMAIL_PORT": "x"}],
)
def test_it_refuses_to_start_on_bad_mail_settings(environ: dict[str, str]) -> None:
    with pytest.raises(ImproperlyConfigured):
        email_settings(environ)


def test_it_writes_notices_to_files_with_the_file_backend(
    claim: Claim,
    reviewer: User,
    immediate_tasks: None,
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        request_changes(claim, reviewer, note="Name the harms.")
    [written] = list(tmp_path.iterdir())
    assert "Name the harms." in written.read_text()


class SMTPSink(socketserver.StreamRequestHandler):
    """Just enough of SMTP (RFC 5321) to accept one session and keep what it was sent."""

    received: list[str]

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 sink ready")
        while line := self.rfile.readline().decode():
            verb = line[:4].upper()
            if verb == "EHLO":
                self.reply("250 sink")
            elif verb == "DATA":
                self.reply("354 end with .")
                lines = []
                while (data := self.rfile.readline().decode()) not in (".\r\n", ""):
                    lines.append(data)
                self.server.received.append("".join(lines))  # type: ignore[attr-defined]
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def smtp_sink() -> Iterator[Any]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SMTPSink)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_it_sends_notices_over_smtp_from_an_email_url(
    claim: Claim,
    reviewer: User,
    immediate_tasks: None,
    settings: Any,
    smtp_sink: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    for name, value in email_settings({"EMAIL_URL": f"smtp://127.0.0.1:{smtp_sink.server_address[1]}"}).items():
        setattr(settings, name, value)
    with django_capture_on_commit_callbacks(execute=True):
        request_changes(claim, reviewer, note="Name the harms.")
    [message] = smtp_sink.received
    assert "To: alice@example.org" in message and "Name the harms." in message


def test_it_skips_deactivated_people(
    claim: Claim, reviewer: User, author: User, immediate_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    author.is_active = False
    author.save()
    with django_capture_on_commit_callbacks(execute=True):
        request_changes(claim, reviewer)
    assert not Notification.objects.filter(recipient=author).exists()
