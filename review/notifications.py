"""Notices about reviews, delivered in the background by django-tasks: in the inbox and by e-mail.

Every notice is a Notification in each recipient's inbox and one e-mail to those of them
with an address, the same text in both; the e-mail ends with a link to the thing it is about.

- A recorded review tells the claim's author and the article's owner what the
  reviewer decided, with the grade, the tags (and their required wording) and
  the note itself.
- A claim submitted again after a review tells the reviewers who reviewed its
  earlier versions that the revision is waiting, with their earlier note.
- A cited work marked retracted or superseded tells the publishers, the articles'
  owners and the signers of the voided approvals which claims went back to review and
  which channels they were withdrawn from or are still live on.

Tasks take ids, not objects, and read the rows when they run.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse
from django_tasks import task

from content.models import Claim, Reference
from content.roles import PUBLISHER
from review.models import NotificationKind, Publication, Review, notify


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def deliver(
    recipients: list[Any],
    *,
    kind: str,
    subject: str,
    body: str,
    link: str,
    claim: Claim | None = None,
    article: Any = None,
) -> int:
    """Put the notice in each active recipient's inbox and mail it to those with an address; mails sent."""
    notes = notify(recipients, kind=kind, subject=subject, text=body, link=link, claim=claim, article=article)
    emails = sorted({n.recipient.email for n in notes if n.recipient.email})
    if not emails:
        return 0
    return send_mail(
        subject, f"{body}\nOpen it in Vetted: {settings.SITE_URL}{link}\n", settings.DEFAULT_FROM_EMAIL, emails
    )


@task()
def send_review_notice(review_id: int) -> int:
    """Tell the claim's author (and the article owner) what the reviewer decided, note included."""
    review = (
        Review.objects.select_related("claim__article__owner", "claim__author", "reviewer", "signature")
        .prefetch_related("nuance_tags")
        .get(pk=review_id)
    )
    claim = review.claim
    tags = "".join(f"\n- {t.name}" for t in review.nuance_tags.all())
    wording = "".join(f"\n- {w}" for w in review.signed_wording)
    signature = getattr(review, "signature", None)
    signed = (
        f"Signed by {signature.printed_name} at {signature.signed_at:%Y-%m-%d %H:%M:%S} UTC: “{signature.meaning}”\n\n"
        if signature
        else ""
    )
    if claim.status == "in_review" and review.decision == "approve":
        outcome = "The claim needs another reviewer's signature before it is approved.\n\n"
    else:
        outcome = f"The claim is now {claim.get_status_display().lower()}.\n\n"
    body = (
        f"{_name(review.reviewer)} reviewed claim #{claim.pk} version {review.version} in “{claim.article.title}”.\n\n"
        f"Decision: {review.get_decision_display()}\n"
        f"Evidence: {review.get_evidence_grade_display()}"
        + (f" ({review.get_evidence_type_display()})" if review.evidence_type else "")
        + f"\nNuance tags:{tags or ' none'}\n"
        f"Required wording published with the claim:{wording or ' none'}\n\n"
        f"Reviewer's note:\n{review.nuance_note or '(none)'}\n\n"
        f"{signed}{outcome}"
        f"Claim (version {review.version}):\n{claim.text if claim.version == review.version else '(since revised)'}\n"
    )
    subject = f"[Vetted] {review.get_decision_display()}: claim #{claim.pk} v{review.version}"
    return deliver(
        [claim.author, claim.article.owner],
        kind=NotificationKind.DECISION if review.decision == "approve" else NotificationKind.SENT_BACK,
        subject=subject,
        body=body,
        link=reverse("claim_detail", args=[claim.pk]),
        claim=claim,
        article=claim.article,
    )


@task()
def send_resubmission_notice(claim_id: int, version: int) -> int:
    """Tell the reviewers of earlier versions that a revision is back in the queue."""
    claim = Claim.objects.select_related("article").get(pk=claim_id)
    earlier = list(
        Review.objects.filter(claim=claim, version__lt=version).select_related("reviewer").order_by("created_at")
    )
    last_note: dict[int, Review] = {}
    for review in earlier:
        last_note[review.reviewer_id] = review
    sent = 0
    for _, review in sorted(last_note.items()):
        body = (
            f"Claim #{claim.pk} in “{claim.article.title}” is back for review at version {version}; "
            f"you reviewed version {review.version} ({review.get_decision_display().lower()}).\n\n"
            f"Your note then:\n{review.nuance_note or '(none)'}\n\n"
            f"Version {version}:\n{claim.text}\n"
        )
        subject = f"[Vetted] Revised for review: claim #{claim.pk} v{version}"
        sent += deliver(
            [review.reviewer],
            kind=NotificationKind.RESUBMITTED,
            subject=subject,
            body=body,
            link=reverse("claim_review", args=[claim.pk]),
            claim=claim,
            article=claim.article,
        )
    return sent


@task()
def send_retraction_notice(reference_id: int, claim_ids: list[int]) -> int:
    """Tell the people who must act what a retraction (or supersession) of a cited work changed."""
    reference = Reference.objects.get(pk=reference_id)
    claims = list(Claim.objects.filter(pk__in=claim_ids).select_related("article__owner").order_by("pk"))
    pubs = Publication.objects.filter(claim_id__in=claim_ids).select_related("channel").order_by("channel__name")
    live: dict[int, list[str]] = {}
    pulled: dict[int, list[str]] = {}
    for pub in pubs:
        if pub.withdrawn_at is None:
            live.setdefault(pub.claim_id, []).append(f"{pub.channel.name} (v{pub.version})")
        elif pub.withdrawn_for_id == reference.pk:
            pulled.setdefault(pub.claim_id, []).append(pub.channel.name)
    lines = []
    for claim in claims:
        where = []
        if pulled.get(claim.pk):
            where.append("withdrawn from " + ", ".join(pulled[claim.pk]))
        if live.get(claim.pk):
            where.append("still live on " + ", ".join(live[claim.pk]))
        lines.append(
            f"- Claim #{claim.pk} (now {claim.get_status_display().lower()}): {'; '.join(where) or 'on no channel'}"
            f"\n  “{claim.article.title}”: {claim.text[:200]}"
        )
    signers = Review.objects.approvals().filter(claim_id__in=claim_ids).values("reviewer")
    app_label, codename = PUBLISHER.split(".")
    perm = {"permissions__codename": codename, "permissions__content_type__app_label": app_label}
    publishers = Q(**{f"groups__{k}": v for k, v in perm.items()}) | Q(**{f"user_{k}": v for k, v in perm.items()})
    people = list(get_user_model().objects.filter(Q(pk__in=signers) | publishers, is_active=True).distinct())
    if not claims:
        return 0
    body = (
        f"{reference.label} was marked {reference.get_status_display().lower()}: {reference.status_reason}\n\n"
        f"Every claim citing it is back in review and needs fresh signatures; earlier approvals no longer count.\n\n"
        + "\n".join(lines)
        + "\n"
    )
    subject = f"[Vetted] Cited work {reference.status}: {reference.label} ({len(claims)} claims)"
    return deliver(
        people + [c.article.owner for c in claims],
        kind=NotificationKind.RETRACTION,
        subject=subject,
        body=body,
        link=reverse("library_reference", args=[reference.pk]),
    )


def review_recorded(review_id: int) -> None:
    send_review_notice.enqueue(review_id)
