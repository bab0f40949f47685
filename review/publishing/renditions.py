"""Renditions: the exact bytes a channel serves for a publication, written once when it goes live.

`issue` renders and stores them inside the publishing transaction: the text with the appended
wording, the feed item JSON, the public page's HTML fragment, and its provenance as JSON (signers
with credentials, cited works, review dates). The read side sends the stored bytes after `intact`
has checked them against their SHA-256, so what a reader gets is what was sealed at publication,
and "as of" can recall it byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils.http import quote_etag

from content import markdown
from content.governance import save_as
from content.locking import lock_chain
from content.models import Claim, Reference, cited_ids, credentials_of
from review.models import ArticlePublication, Channel, Publication, Rendition
from review.publishing.facts import VersionFacts, channel_text, grade_label, policy_of, version_facts
from review.publishing.policy import approved_at, lowest_grade, review_due

logger = logging.getLogger(__name__)


def item_json(item: dict[str, Any]) -> str:
    """The one serialisation of a feed item: compact, keys in contract order, UTF-8 as is."""
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"))


def _references(facts: VersionFacts) -> list[dict[str, Any]]:
    """The cited works as the public page cites them: the version's snapshot, completed from the work's record."""
    works = {r.pk: r for r in Reference.objects.filter(pk__in=cited_ids(facts.citations))}
    refs = []
    for cited in facts.citations:
        work = works.get(int(cited.get("id") or 0))
        refs.append(
            {
                "label": cited.get("label", ""),
                "title": work.title if work else "",
                "journal": work.journal if work else "",
                "authors": (work.authors if work else "") or cited.get("authors", ""),
                "year": (work.year if work else None) or cited.get("year"),
                "doi": work.doi if work else "",
                "url": work.url if work else "",
            }
        )
    return refs


def build(pub: Publication, claim: Claim, facts: VersionFacts, channel: Channel, now: datetime) -> Rendition:
    """Render the bytes a channel serves for `pub` (unsaved), sealed with their hashes."""
    text = channel_text(facts, policy_of(channel))
    approved = approved_at(facts.signers)
    due = review_due(approved, channel.review_interval_days)
    signers = sorted(facts.signers, key=lambda s: s.signed_at)
    html_body = markdown.render(text)
    # Keys in the order of the feed item contract; keep these names exactly.
    item = {
        "claim": claim.pk,
        "article": claim.article_id,
        "version": pub.version,
        "text": text,
        "html": html_body,
        "evidence_grade": lowest_grade(facts.grades),
        "required_wording": facts.wording,
        "approved_by": [{"name": s.name, "signed_at": s.signed_at.isoformat()} for s in signers],
        "published_at": pub.published_at.isoformat(),
        "review_due": due.isoformat() if due else None,
        "content_hash": pub.content_hash,
    }
    credentials = credentials_of({s.user_id for s in signers})
    provenance = {
        "reviewed_by": [
            {"name": s.name, "credentials": credentials.get(s.user_id, ""), "signed_at": s.signed_at.isoformat()}
            for s in signers
        ],
        "citations": _references(facts),
        "evidence_grade": lowest_grade(facts.grades),
        "last_reviewed": approved.isoformat() if approved else None,
        "review_due": due.isoformat() if due else None,
    }
    fragment = render_to_string(
        "public/claim_fragment.html",
        {
            "claim_id": claim.pk,
            "version": pub.version,
            "content_hash": pub.content_hash,
            "body": html_body,
            "grade_label": grade_label(lowest_grade(facts.grades)),
            "approved_at": approved,
            "review_due": due,
            "reviewers": provenance["reviewed_by"],
            "references": provenance["citations"],
        },
    )
    rendition = Rendition(
        claim=claim,
        version=pub.version,
        channel=channel,
        created_at=now,
        text=text,
        item=item_json(item),
        html=fragment,
        provenance=item_json(provenance),
    )
    rendition.seal()
    return rendition


def issue(pub: Publication, claim: Claim, facts: VersionFacts, channel: Channel, *, by: Any, now: datetime) -> None:
    """Store the rendition of `pub` as it goes live and point the publication at it (the caller saves `pub`).

    Saved before the publication, in the same transaction, so the chain holds the rendition's
    hashes first and then the publication event naming it.
    """
    rendition = build(pub, claim, facts, channel, now)
    save_as(rendition, by, f"Rendered claim {claim.pk} version {pub.version} for {channel.name}")
    pub.rendition = rendition


# How long a worker keeps an assembled feed page in the shared cache. A body is fixed by its ETag,
# so a cached one is never stale; this only bounds the memory a page no one asks for holds.
FEED_CACHE_SECONDS = 3600

# Part of every feed ETag: change it when the envelope around the items changes.
FEED_FORMAT = "feed-1"


def feed_body(head: dict[str, Any], items: list[str]) -> str:
    """A feed page as JSON text, the stored items embedded unchanged (so each is sent as sealed)."""
    count, next_link, previous = head["count"], json.dumps(head["next"]), json.dumps(head["previous"])
    return f'{{"count":{count},"next":{next_link},"previous":{previous},"items":[{",".join(items)}]}}'


def _policy_parts(channel: Channel) -> list[str]:
    return [
        str(channel.pk),
        channel.min_grade,
        str(channel.signatures_required),
        ",".join(sorted(t.slug for t in channel.blocking_tags.all())),
        str(channel.max_length),
        str(channel.review_interval_days),
        str(channel.append_required_wording),
    ]


def _publication_part(pub: Publication) -> str:
    rendition = pub.rendition
    digests = ":".join(getattr(rendition, f"{part}_sha256") for part in Rendition.PARTS) if rendition else ""
    return f"{pub.pk}:{pub.rendition_id}:{digests}:{pub.claim.approved_version}:{pub.claim.status}"


def _etag(parts: list[str]) -> str:
    return quote_etag(hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:40])


def article_etag(kind: str, channel: Channel, ap: ArticlePublication, pubs: list[Publication], *extra: str) -> str:
    """A strong ETag for an assembled article (`kind`: its API JSON or its public page), without building it.

    Beside what decides each claim's bytes (as for a feed), the article's own live publication,
    its title and the section headings are in the page; `extra` is anything else the body holds
    (the public page's own address).
    """
    parts = [FEED_FORMAT, kind, *_policy_parts(channel), str(ap.pk), ap.published_at.isoformat(), ap.article.title]
    for pub in pubs:
        section = pub.claim.section
        parts.append(f"{_publication_part(pub)}:{pub.claim.position}:{section.pk}:{section.heading}")
    return _etag([*parts, *extra])


def feed_etag(channel: Channel, head: dict[str, Any], page: list[Publication]) -> str:
    """A strong ETag for a feed page from what decides its bytes, computed without building them.

    That is the channel's policy, the page's envelope, and per publication its rendition's hash
    with the claim's approved version and status (which the read-time re-check looks at). The
    live set itself comes from the query, so a withdrawal or an expiry changes the tag at once.
    """
    parts = [FEED_FORMAT, *_policy_parts(channel), json.dumps(head, sort_keys=True)]
    return _etag([*parts, *(_publication_part(pub) for pub in page)])


def renew(pub: Publication, *, by: Any, now: datetime) -> None:
    """Render `pub` again after a new approval of its version (the caller saves `pub`)."""
    vf = version_facts([(pub.claim_id, pub.version)]).get((pub.claim_id, pub.version))
    if vf is not None:
        issue(pub, pub.claim, vf, pub.channel, by=by, now=now)


def intact(rendition: Rendition | None, *, publication: int | None = None) -> bool:
    """Whether a rendition's stored bytes still match their hashes; a mismatch is logged and not served."""
    if rendition is None:
        logger.error("Publication %s has no rendition: left out of what the channel serves.", publication)
        return False
    if broken := rendition.broken_parts():
        logger.error(
            "Rendition %s does not match its SHA-256 (%s): left out of what the channel serves.",
            rendition.pk,
            ", ".join(broken),
        )
        return False
    return True


def backfill(*, by: Any, now: datetime) -> int:
    """Render every live publication that has no rendition yet (written before renditions existed).

    A system act, so no role check. The bytes are dated now: before this, nothing was sealed, so
    "as of" an earlier moment recalls no rendition for them.
    """
    with transaction.atomic():
        lock_chain()
        pubs = list(
            Publication.objects.select_for_update()
            .filter(withdrawn_at__isnull=True, rendition__isnull=True)
            .select_related("claim", "channel")
            .order_by("pk")
        )
        facts = version_facts((p.claim_id, p.version) for p in pubs)
        done = 0
        for pub in pubs:
            vf = facts.get((pub.claim_id, pub.version))
            if vf is None:
                logger.error("Publication %s pins a missing version: not rendered.", pub.pk)
                continue
            issue(pub, pub.claim, vf, pub.channel, by=by, now=now)
            save_as(pub, by, "Rendered what the channel serves (publications from before renditions)")
            done += 1
    return done
