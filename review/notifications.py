"""E-mail notices about reviews, delivered in the background by django-tasks."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task


@task()
def send_review_notice(review_id: int) -> int:
    """Tell the claim's author (and the article owner) what the reviewer decided, note included."""
    from review.models import Review

    review = Review.objects.select_related("claim__article__owner", "claim__author", "reviewer").get(pk=review_id)
    claim = review.claim
    recipients = sorted({u.email for u in (claim.author, claim.article.owner) if u.email})
    if not recipients:
        return 0
    tags = ", ".join(t.name for t in review.nuance_tags.all()) or "none"
    body = (
        f"{review.reviewer.get_full_name() or review.reviewer.get_username()} reviewed claim #{claim.pk} "
        f"version {review.version} in “{claim.article.title}”.\n\n"
        f"Decision: {review.get_decision_display()}\n"
        f"Evidence: {review.get_evidence_grade_display()}\n"
        f"Nuance tags: {tags}\n\n"
        f"Claim:\n{claim.text}\n\n"
        f"Reviewer's note:\n{review.nuance_note or '(none)'}\n"
    )
    subject = f"[Vetted] {review.get_decision_display()}: claim #{claim.pk} v{review.version}"
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def review_recorded(review_id: int) -> None:
    send_review_notice.enqueue(review_id)
