"""Publisher pages: channels and what is live on them, publishing a claim or an article, withdrawing,
the re-review list, and the public website page of a published article."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.db_router import use_replica
from config.errors import back, error_page
from content.exceptions import NotAllowed
from content.models import Claim, ClaimStatus
from content.permissions import get_article_for_user, get_claim_for_user, visible_claims
from content.roles import can_publish, can_see_publishing
from review.models import Audience, Channel
from review.permissions import get_article_publication_for_user, get_publication_for_user
from review.publishing.actions import (
    PolicyRefused,
    publish_article,
    publish_claim,
    withdraw_article_publication,
    withdraw_publication,
)
from review.publishing.conditional import not_modified, revalidated
from review.publishing.facts import channels_with_policy, offered_version, version_facts
from review.publishing.feeds import (
    ServedArticle,
    article_verdicts,
    assemble,
    claim_verdicts,
    due_for_review,
    live_article,
    servable_publications,
    serve,
)
from review.publishing.preview import article_previews, claim_previews
from review.publishing.renditions import FEED_CACHE_SECONDS, article_etag

# The channel whose published articles anyone may read on this site, without logging in.
PUBLIC_CHANNEL = "website"


class PublishForm(forms.Form):
    # Several at once from the preview's confirm step; one from the API-shaped forms and tests.
    channel = forms.MultipleChoiceField(choices=[], error_messages={"required": "Choose a channel."})
    confirm_superseded = forms.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channels = {c.slug: c for c in channels_with_policy()}
        self.fields["channel"].choices = [(slug, c.name) for slug, c in self.channels.items()]  # type: ignore[attr-defined]

    def chosen(self) -> list[Channel]:
        return [self.channels[slug] for slug in self.cleaned_data["channel"]]


class WithdrawForm(forms.Form):
    reason = forms.CharField(max_length=2000, error_messages={"required": "Say why this is withdrawn."})
    next = forms.CharField(required=False)


def _publish_posted(
    request: HttpRequest, publish: Callable[[Channel, bool], tuple[int, str]], done_url: str
) -> HttpResponse | PolicyRefused:
    """The POST half of the claim and article publish pages: role, channels, then the policy.

    Every chosen channel or none: a refusal on one rolls back the others, so what the publisher
    confirmed goes out as a whole. Returns the response to send, or the refusal, which the page
    shows with its reasons (409).
    """
    if not can_publish(request.user):
        raise NotAllowed("Only publishers publish to channels.")
    form = PublishForm(request.POST)
    if not form.is_valid():
        return error_page(request, 400, "Choose a channel.")
    try:
        with transaction.atomic():
            done = [publish(channel, form.cleaned_data["confirm_superseded"]) for channel in form.chosen()]
    except PolicyRefused as exc:
        return exc
    for level, message in done:
        messages.add_message(request, level, message)
    return redirect(done_url)


@require_GET
@login_required
def channel_list(request: HttpRequest) -> HttpResponse:
    """Publishing home: every channel with what it serves, and approved claims ready to go out."""
    if not can_see_publishing(request.user):
        raise NotAllowed("Channels are for publishers, reviewers and compliance.")
    now = timezone.now()
    # One count per channel: a handful of channels, however many publications.
    channels = [(c, servable_publications(c, now).count()) for c in channels_with_policy()]
    approved = (
        visible_claims(request.user)
        .filter(approved_version__isnull=False)
        .exclude(status=ClaimStatus.RETIRED)
        .select_related("article")
        .order_by("-updated_at")[:50]
    )
    return render(
        request,
        "review/channel_list.html",
        {"channels": channels, "approved": approved, "due_count": len(due_for_review(request.user, now, 0))},
    )


@require_GET
@login_required
def channel_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """What one channel serves now, with withdraw buttons for publishers."""
    if not can_see_publishing(request.user):
        raise NotAllowed("Channels are for publishers, reviewers and compliance.")
    channel = get_object_or_404(channels_with_policy(), slug=slug)
    now = timezone.now()
    pubs = servable_publications(channel, now).select_related("claim__article", "published_by")[:200]
    live_articles = channel.article_publications.filter(withdrawn_at__isnull=True).select_related(
        "article", "published_by"
    )
    return render(
        request,
        "review/channel_detail.html",
        {
            "channel": channel,
            "served": serve(pubs, channel, now),
            "live_articles": live_articles,
            "can_publish": can_publish(request.user),
            "public_channel": PUBLIC_CHANNEL,
        },
    )


def _publish_page(
    request: HttpRequest, publish: Callable[[Channel, bool], tuple[int, str]], done_url: str
) -> tuple[PolicyRefused | None, int] | HttpResponse:
    """The shared half of the claim and article publish pages: GET shows them; POST publishes.

    Returns the response to send after a publish, or (the policy's refusal or None, status) for
    the page to render: 200, or 409 with the refusal's reasons.
    """
    if not can_see_publishing(request.user):
        raise NotAllowed("Publishing is for publishers.")
    if request.method != "POST":
        return None, 200
    outcome = _publish_posted(request, publish, done_url)
    if isinstance(outcome, HttpResponse):
        return outcome
    return outcome, 409


@require_http_methods(["GET", "POST"])
@login_required
def claim_publish(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)

    def publish(channel: Channel, confirm_superseded: bool) -> tuple[int, str]:
        pub, created = publish_claim(claim, channel, by=request.user, confirm_superseded=confirm_superseded)
        if created:
            return messages.SUCCESS, f"Published version {pub.version} to {channel.name}."
        return messages.INFO, f"Version {pub.version} was already live on {channel.name}."

    outcome = _publish_page(request, publish, reverse("claim_publish", args=[claim.pk]))
    if isinstance(outcome, HttpResponse):
        return outcome
    refusal, status = outcome
    claim = Claim.objects.select_related("article", "section").get(pk=claim.pk)
    version = offered_version(claim)
    facts = version_facts([(claim.pk, version)], retractions=True).get((claim.pk, version))
    context = {
        "claim": claim,
        "version": version,
        "facts": facts,
        "verdicts": claim_verdicts(claim, timezone.now()),
        "can_publish": can_publish(request.user),
        "refusal": refusal,
    }
    return render(request, "review/publish_claim.html", context, status=status)


@require_GET
@login_required
def claim_publish_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Step one of publishing: the exact text each chosen channel would serve, then a confirm button.

    Changes nothing. The confirm form posts to `claim_publish` only the channels that would take
    the claim, with the superseded-work confirmation when a cited work asks for one.
    """
    claim = get_claim_for_user(request.user, pk)
    if not can_see_publishing(request.user):
        raise NotAllowed("Publishing is for publishers.")
    form = PublishForm(request.GET)
    if not form.is_valid():
        return error_page(request, 400, "Choose at least one channel to preview.")
    claim = Claim.objects.select_related("article").get(pk=claim.pk)
    previews = claim_previews(claim, form.chosen(), timezone.now())
    context = {
        "claim": claim,
        "previews": previews,
        "publishable": [p for p in previews if p.publishable],
        "superseded": next((p.superseded for p in previews if p.superseded), []),
        "can_publish": can_publish(request.user),
    }
    return render(request, "review/publish_preview.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def article_publish(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article_for_user(request.user, pk)

    def publish(channel: Channel, confirm_superseded: bool) -> tuple[int, str]:
        _, changed = publish_article(article, channel, by=request.user, confirm_superseded=confirm_superseded)
        if changed:
            return messages.SUCCESS, f"Published “{article.title}” to {channel.name}."
        return messages.INFO, f"“{article.title}” was already live on {channel.name} as it is."

    outcome = _publish_page(request, publish, reverse("article_publish", args=[article.pk]))
    if isinstance(outcome, HttpResponse):
        return outcome
    refusal, status = outcome
    claims = list(article.claims.live().select_related("section").order_by("position"))
    context = {
        "article": article,
        "claims": claims,
        "verdicts": article_verdicts(article, timezone.now()),
        "can_publish": can_publish(request.user),
        "refusal": refusal,
        "public_channel": PUBLIC_CHANNEL,
    }
    return render(request, "review/publish_article.html", context, status=status)


def _withdraw_posted(request: HttpRequest, withdraw: Callable[[str], str], fallback: str) -> HttpResponse:
    """The shared half of both withdraw forms: role, reason, then the verb; back to where the form was."""
    if not can_publish(request.user):
        raise NotAllowed("Only publishers withdraw from channels.")
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return error_page(request, 400, "Say why this is withdrawn.")
    try:
        done = withdraw(form.cleaned_data["reason"])
    except ValidationError as exc:
        return error_page(request, 400, " ".join(exc.messages))
    messages.success(request, done)
    return back(request, fallback)


@require_GET
@login_required
def article_publish_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Step one of publishing an article: the title, headings and claim texts each chosen channel would serve."""
    article = get_article_for_user(request.user, pk)
    if not can_see_publishing(request.user):
        raise NotAllowed("Publishing is for publishers.")
    form = PublishForm(request.GET)
    if not form.is_valid():
        return error_page(request, 400, "Choose at least one channel to preview.")
    previews = article_previews(article, form.chosen(), timezone.now())
    context = {
        "article": article,
        "previews": previews,
        "publishable": [p for p in previews if p.publishable],
        "superseded": previews[0].superseded if previews else [],
        "can_publish": can_publish(request.user),
    }
    return render(request, "review/publish_article_preview.html", context)


@require_POST
@login_required
def publication_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    pub = get_publication_for_user(request.user, pk)

    def withdraw(reason: str) -> str:
        withdraw_publication(pub, by=request.user, reason=reason)
        return f"Withdrew claim #{pub.claim_id} version {pub.version} from {pub.channel.name}."

    return _withdraw_posted(request, withdraw, reverse("claim_publish", args=[pub.claim_id]))


@require_POST
@login_required
def article_publication_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    ap = get_article_publication_for_user(request.user, pk)

    def withdraw(reason: str) -> str:
        withdraw_article_publication(ap, by=request.user, reason=reason)
        return f"Withdrew “{ap.article.title}” from {ap.channel.name}."

    return _withdraw_posted(request, withdraw, reverse("article_publish", args=[ap.article_id]))


@require_GET
@login_required
def due_list(request: HttpRequest) -> HttpResponse:
    """Published claims whose approval has expired (already off their feeds) or expires within 30 days."""
    if not can_see_publishing(request.user):
        raise NotAllowed("The re-review list is for publishers, reviewers and compliance.")
    items = due_for_review(request.user, timezone.now())
    return render(
        request,
        "review/publish_due.html",
        {"overdue": [i for i in items if i.overdue], "soon": [i for i in items if not i.overdue]},
    )


def _json_ld(data: dict[str, Any]) -> SafeString:
    """JSON for a <script> element: <, > and & escaped so the text cannot close the element."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    escaped = text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")
    return mark_safe(escaped)  # noqa: S308


# schema.org's audience for each channel audience.
MEDICAL_AUDIENCE: dict[str, str] = {Audience.PATIENT: "Patient", Audience.PROFESSIONAL: "Clinician"}


def _creative_work(work: dict[str, Any]) -> dict[str, Any]:
    """A cited work as a schema.org CreativeWork: title, authors, year, journal and DOI where known."""
    node: dict[str, Any] = {"@type": "CreativeWork", "name": work["title"] or work["label"]}
    if work["authors"]:
        node["author"] = work["authors"]
    if work["year"]:
        node["datePublished"] = str(work["year"])
    if work["journal"]:
        node["isPartOf"] = {"@type": "Periodical", "name": work["journal"]}
    if work["doi"]:
        node["sameAs"] = f"https://doi.org/{work['doi']}"
    elif work["url"]:
        node["url"] = work["url"]
    return node


def _structured(request: HttpRequest, article: ServedArticle) -> dict[str, Any]:
    """The page as schema.org MedicalWebPage JSON-LD, made of the provenance sealed in its renditions."""
    reviewers = []
    for person in article.credits:
        node = {"@type": "Person", "name": person["name"]}
        if person["credentials"]:
            node["jobTitle"] = person["credentials"]
        reviewers.append(node)
    return {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "name": article.title,
        "headline": article.title,
        "url": request.build_absolute_uri(),
        "datePublished": article.publication.published_at.date().isoformat(),
        "lastReviewed": article.last_reviewed.date().isoformat() if article.last_reviewed else None,
        "reviewedBy": reviewers,
        "medicalAudience": {
            "@type": "MedicalAudience",
            "audienceType": MEDICAL_AUDIENCE.get(article.channel.audience, "Patient"),
        },
        "citation": [_creative_work(work) for work in article.citations],
    }


@use_replica
@require_GET
def public_article(request: HttpRequest, pk: int) -> HttpResponse:
    """The website's page for a published article: no login, only what the website channel serves.

    The ETag comes from the live publications and their renditions before anything is rendered,
    so a revalidation costs two queries; a page another worker rendered for the same ETag comes
    from the shared cache. Caches may keep it but must revalidate on every visit, so a withdrawal
    or an expiry never lingers.
    """
    channel = Channel.objects.prefetch_related("blocking_tags").filter(slug=PUBLIC_CHANNEL).first()
    if channel is None:
        raise Http404("No website channel.")
    now = timezone.now()
    live = live_article(pk, channel, now)
    if live is None or not live[1]:
        raise Http404("This article is not published.")
    etag = article_etag("page", channel, *live, request.build_absolute_uri())
    if (unchanged := not_modified(request, etag, public=True)) is not None:
        return unchanged
    key = f"vetted:public-page:{etag}"
    page = cache.get(key)
    if page is None:
        article = assemble(*live, channel, now)
        if article is None:
            raise Http404("This article is not published.")
        context = {"served": article, "json_ld": _json_ld(_structured(request, article))}
        page = render_to_string("public/article.html", context, request=request)
        cache.set(key, page, FEED_CACHE_SECONDS)
    return revalidated(HttpResponse(page), etag, public=True)
