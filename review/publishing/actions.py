"""Publishing: which approved claim versions go out to which channels, and what a channel serves.

Three layers, each usable on its own:

1. Policy (pure, no database): `check_policy(policy, candidate, now)` takes plain values and
   names every rule a claim version fails on a channel.
2. Facts: `version_facts(pairs)` reads what the policy needs about claim versions (text, hash,
   grades, signatures, tags) in a fixed number of queries, whatever the number of versions.
3. Verbs (`publish_claim`, `publish_article`, `withdraw_publication`, `withdraw_article_publication`)
   and the read side (`servable_publications`, `serve`, `served_article`, `due_for_review`).

A channel serves a publication only while it is live: not withdrawn, the claim not retired, and
the approval not expired. Expiry is decided at read time, so no scheduled job is needed for a
feed to drop an expired approval."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from content.exceptions import InvalidTransition, NotAllowed
from content.governance import save_as
from content.locking import lock_chain
from content.models import Article, Claim, ClaimStatus, Reference
from content.roles import can_publish
from review import audit
from review.models import (
    ArticlePublication,
    Channel,
    Publication,
    Withdrawable,
)
from review.publishing import renditions, webhooks
from review.publishing.facts import (
    VersionFacts,
    article_failures,
    contributors_of,
    flat_failures,
    offered_version,
    outline_of,
    policy_of,
    version_facts,
)
from review.publishing.policy import four_eyes
from review.publishing.preview import preview

W = TypeVar("W", bound=Withdrawable)


class PublishingConflict(InvalidTransition):
    """Wrong state for a publishing action (HTTP 409), with a message of its own."""

    def __init__(self, message: str, status: str) -> None:
        Exception.__init__(self, message)
        self.action = "publish"
        self.status = status


class PolicyRefused(PublishingConflict):
    """The version (or an article's claims) does not meet the channel's policy (HTTP 409)."""

    def __init__(self, message: str, failed_rules: list[str], claims: dict[int, list[str]] | None = None) -> None:
        super().__init__(message, "policy_failed")
        self.failed_rules = failed_rules
        self.claims = claims or {}


class SupersededNotConfirmed(PolicyRefused):
    """The version cites a superseded work and the publisher did not confirm they checked it (HTTP 409)."""

    def __init__(self, what: str, superseded: list[str]) -> None:
        rules = [f"it cites {label}, which was superseded: confirm it still supports the claim" for label in superseded]
        super().__init__(
            f"{what} cites {', '.join(superseded)}, which {'was' if len(superseded) == 1 else 'were'} superseded: "
            "check the newer work still supports it, then publish again confirming it (confirm_superseded).",
            rules,
        )
        self.superseded = superseded


def _require_publisher(user: Any) -> None:
    if not can_publish(user):
        raise NotAllowed("Only publishers publish to channels or withdraw from them.")


def _publish_version(
    claim: Claim, facts: VersionFacts, channel: Channel, by: Any, now: datetime
) -> tuple[Publication, bool]:
    """Pin a checked version to a channel (the caller holds the claim's row lock).

    1. The same version already live there: nothing to do.
    2. An older version live there: withdraw it as superseded (the one-live constraint needs this first).
    3. The same version published earlier and withdrawn: put that record back live (one record per
       version and channel); otherwise create the record.
    """
    rows = list(Publication.objects.select_for_update().filter(claim=claim, channel=channel))
    same = next((p for p in rows if p.version == facts.version), None)
    if same is not None and same.withdrawn_at is None:
        return same, False
    for old in rows:
        if old.withdrawn_at is None:
            _withdraw(old, by=by, reason=f"Superseded by version {facts.version}", now=now)
    if same is not None:
        pub = same
        pub.withdrawn_at = None
        pub.withdrawn_by = None
        pub.withdraw_reason = ""
        pub.withdrawn_for = None
        pub.published_by = by
        pub.published_at = now
        pub.content_hash = facts.content_hash
        pub.approved_at = facts.approved_at
        why = f"Published version {facts.version} to {channel.name} again"
    else:
        pub = Publication(
            claim=claim,
            version=facts.version,
            # The pinned version's hash, not the claim's current one (which may be a later draft).
            content_hash=facts.content_hash,
            channel=channel,
            published_by=by,
            published_at=now,
            # What the feed's expiry filter reads (see Publication.approved_at).
            approved_at=facts.approved_at,
        )
        why = f"Published version {facts.version} to {channel.name}"
    renditions.issue(pub, claim, facts, channel, by=by, now=now)
    save_as(pub, by, why)
    webhooks.publication_event(pub, webhooks.PUBLISHED)
    return pub, True


def _withdraw(pub: Publication, *, by: Any, reason: str, now: datetime, withdrawn_for: Reference | None = None) -> None:
    """Withdraw a publication whose row the caller has locked, and tell the channel's webhooks."""
    pub.withdrawn_for = withdrawn_for
    pub.withdraw(by=by, reason=reason, now=now)
    webhooks.publication_event(pub, webhooks.WITHDRAWN)


def _record_refused(target: Claim | Article, channel: Channel, by: Any, refused: Exception) -> None:
    """A refused publication is an event too: who tried to put what on which channel, and every rule it failed.

    In a transaction of its own, after the refused one rolled back, so the record survives the refusal.
    """
    changes = {"channel": [None, channel.slug], "failed_rules": [None, list(getattr(refused, "failed_rules", []))]}
    with transaction.atomic():
        lock_chain()
        links = audit.event_links(type(target), lambda attname: getattr(target, attname, None), target)
        audit.append_event(
            actor=audit.actor_or_system(by),
            type=f"{target._meta.model_name}.publication_refused",
            object_type=target._meta.model_name,
            object_id=str(target.pk),
            changes=changes,
            reason=str(refused)[:2000],
            at=timezone.now(),
            **(links | {"channel_id": channel.pk}),
        )


def publish_claim(
    claim: Claim, channel: Channel, *, by: Any, now: datetime | None = None, confirm_superseded: bool = False
) -> tuple[Publication, bool]:
    """Publish the claim's last approved version to a channel; returns (publication, created).

    Every refusal (the person, four eyes, the channel policy) is recorded before it is raised.
    """
    try:
        return _publish_claim(claim, channel, by=by, now=now, confirm_superseded=confirm_superseded)
    except (NotAllowed, PolicyRefused) as refused:
        _record_refused(claim, channel, by, refused)
        raise


def _publish_claim(
    claim: Claim, channel: Channel, *, by: Any, now: datetime | None, confirm_superseded: bool
) -> tuple[Publication, bool]:
    """publish_claim's steps:

    1. Check the person (publisher, 403).
    2. Lock the claim so a revision, approval or second publish waits for us.
    3. Check the channel policy against the last approved version (409 naming every failed rule),
       through the same `preview` the publisher was shown; a superseded citation needs
       `confirm_superseded` (409 otherwise).
    4. Pin it; re-publishing what is already live is a no-op (created=False).
    """
    _require_publisher(by)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            lock_chain()
            locked = Claim.objects.select_for_update().get(pk=claim.pk)
            version = offered_version(locked)
            facts = version_facts([(locked.pk, version)], retractions=True).get((locked.pk, version))
            if facts is None:
                raise PolicyRefused(f"Claim #{locked.pk} has no version {version}.", ["version is missing"])
            _check_four_eyes([locked], {(locked.pk, version): facts}, by)
            shown = preview(locked, facts, channel, now)
            if shown.failed_rules:
                failed = shown.failed_rules
                raise PolicyRefused(
                    f"Claim #{locked.pk} version {version} cannot go to {channel.name}: {'; '.join(failed)}.", failed
                )
            if shown.superseded and not confirm_superseded:
                raise SupersededNotConfirmed(f"Claim #{locked.pk} version {version}", shown.superseded)
            return _publish_version(locked, facts, channel, by, now)
    except IntegrityError:
        # A concurrent publish of the same version won the unique constraint: that is the no-op case.
        version = offered_version(Claim.objects.get(pk=claim.pk))
        existing = Publication.objects.filter(
            claim=claim, channel=channel, version=version, withdrawn_at__isnull=True
        ).first()
        if existing is None:
            raise
        return existing, False


def publish_article(
    article: Article, channel: Channel, *, by: Any, now: datetime | None = None, confirm_superseded: bool = False
) -> tuple[ArticlePublication, bool]:
    """Publish an article (_publish_article); every refusal is recorded before it is raised."""
    try:
        return _publish_article(article, channel, by=by, now=now, confirm_superseded=confirm_superseded)
    except (NotAllowed, PolicyRefused) as refused:
        _record_refused(article, channel, by, refused)
        raise


def _publish_article(
    article: Article, channel: Channel, *, by: Any, now: datetime | None, confirm_superseded: bool
) -> tuple[ArticlePublication, bool]:
    """Publish an article: every live claim's last approved version must meet the channel policy.

    1. Check the person (403).
    2. Lock the article's live claims; check each against the policy and refuse with every
       failing claim's reasons (409); a superseded citation needs `confirm_superseded` (409).
    3. Publish each claim's version (no-op where it is already live), then mark the article live
       with the title and headings it pins (updated when they changed since).
    Returns (article publication, whether anything changed).
    """
    _require_publisher(by)
    now = now or timezone.now()
    with transaction.atomic():
        lock_chain()
        claims = list(
            Claim.objects.select_for_update()
            .filter(article=article)
            .exclude(status=ClaimStatus.RETIRED)
            .order_by("position")
        )
        if not claims:
            raise PolicyRefused(f"“{article.title}” has no live claims to publish.", ["the article has no live claims"])
        facts = version_facts([(c.pk, offered_version(c)) for c in claims], retractions=True)
        _check_four_eyes(claims, facts, by)
        failures = article_failures(claims, facts, policy_of(channel), now)
        if failures:
            flat = flat_failures(failures)
            raise PolicyRefused(
                f"“{article.title}” cannot go to {channel.name}: "
                f"{len(failures)} of {len(claims)} claims fail its policy.",
                flat,
                failures,
            )
        superseded = [label for vf in facts.values() for label in vf.superseded]
        if superseded and not confirm_superseded:
            raise SupersededNotConfirmed(f"“{article.title}”", list(dict.fromkeys(superseded)))
        changed = False
        for claim in claims:
            _, created = _publish_version(claim, facts[(claim.pk, offered_version(claim))], channel, by, now)
            changed = changed or created
        title, headings = outline_of(article, claims)
        live = ArticlePublication.objects.select_for_update().filter(
            article=article, channel=channel, withdrawn_at__isnull=True
        )
        ap = live.first()
        if ap is None:
            ap = ArticlePublication(
                article=article, channel=channel, published_by=by, published_at=now, title=title, headings=headings
            )
            save_as(ap, by, f"Published the article to {channel.name} ({len(claims)} claims)")
        elif (ap.title, ap.headings) != (title, headings):
            # The title or a heading changed since: this publish is what puts the new words out.
            ap.title, ap.headings, ap.published_by, ap.published_at = title, headings, by, now
            save_as(ap, by, f"Published the article's current title and headings to {channel.name}")
        else:
            return ap, changed
        webhooks.article_event(ap, webhooks.ARTICLE_PUBLISHED)
        return ap, True


def _check_four_eyes(claims: list[Claim], facts: dict[tuple[int, int], VersionFacts], by: Any) -> None:
    """The publisher is neither an author nor the only signer of what they publish (403 with the reason)."""
    if not settings.VETTED_FOUR_EYES_PUBLICATION:
        return
    people = contributors_of(claims)
    for claim in claims:
        vf = facts.get((claim.pk, offered_version(claim)))
        if vf is not None and (problem := four_eyes(by.pk, people[claim.pk], vf.signers)):
            raise NotAllowed(f"Claim #{claim.pk} version {vf.version}: {problem}.")


def _lock_live(model: type[W], pk: int, what: str) -> W:
    """Lock a publication row for a withdrawal; withdrawing it twice is a conflict (409)."""
    locked = model._default_manager.select_for_update().select_related("channel").get(pk=pk)
    if locked.withdrawn_at is not None:
        raise PublishingConflict(
            f"{what} was already withdrawn on {locked.withdrawn_at:%Y-%m-%d %H:%M} UTC.", "withdrawn"
        )
    return locked


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this is withdrawn."})
    return reason


def withdraw_publication(
    pub: Publication,
    *,
    by: Any,
    reason: str,
    now: datetime | None = None,
    withdrawn_for: Reference | None = None,
    skip_permission_checks: bool = False,
) -> Publication:
    """Take a claim version off a channel at once. Reason required (400); twice is a conflict (409).

    `skip_permission_checks` is for system actions that are not a publisher's act (a retraction
    pulls every citing publication, whoever marked the work); `withdrawn_for` names that work.
    """
    if not skip_permission_checks:
        _require_publisher(by)
    reason = _clean_reason(reason)
    with transaction.atomic():
        lock_chain()
        locked = _lock_live(Publication, pub.pk, "This publication")
        _withdraw(locked, by=by, reason=reason, now=now or timezone.now(), withdrawn_for=withdrawn_for)
    return locked


def withdraw_article_publication(
    ap: ArticlePublication, *, by: Any, reason: str, now: datetime | None = None
) -> ArticlePublication:
    """Take an article off a channel, and with it its claims' live publications there."""
    _require_publisher(by)
    reason = _clean_reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        lock_chain()
        locked = _lock_live(ArticlePublication, ap.pk, "This article")
        locked.withdraw(by=by, reason=reason, now=now)
        webhooks.article_event(locked, webhooks.ARTICLE_WITHDRAWN)
        for pub in Publication.objects.select_for_update().filter(
            claim__article_id=locked.article_id, channel_id=locked.channel_id, withdrawn_at__isnull=True
        ):
            _withdraw(pub, by=by, reason=f"Article withdrawn: {reason}", now=now)
    return locked


def withdraw_retired_claim(claim: Claim, *, by: Any) -> int:
    """A retired claim leaves every channel. Not a publisher's act, so no role check."""
    now = timezone.now()
    count = 0
    with transaction.atomic():
        lock_chain()
        for pub in Publication.objects.select_for_update().filter(claim_id=claim.pk, withdrawn_at__isnull=True):
            _withdraw(pub, by=by, reason="Claim retired", now=now)
            count += 1
    return count
