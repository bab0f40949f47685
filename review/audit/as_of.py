"""Point-in-time views: a claim, an article or a channel's feed as it stood at a moment, from history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models

from content.models import Article, Claim, Reference, Section
from review.audit.chain import iso
from review.audit.guards import history_model
from review.models import Channel, Publication, renditions_live_at


def _record_as_of(model: type[models.Model], pk: Any, at: datetime) -> Any:
    """The object's history row in force at `at`, or None if it did not exist then."""
    manager = history_model(model)._default_manager
    row = manager.filter(**{model._meta.pk.attname: pk}, history_date__lte=at).order_by("-history_date", "-history_id")
    found = row.select_related("history_user").first()
    return None if found is None or found.history_type == "-" else found


def claim_as_of(claim_id: int, at: datetime) -> dict[str, Any] | None:
    """A claim as it stood at `at` (text, status, version, citations), or None if it did not exist yet."""
    row = _record_as_of(Claim, claim_id, at)
    if row is None:
        return None
    reference_ids = list(row.citations.values_list("reference", flat=True))
    references = {r.pk: r for r in Reference.history.as_of(at).filter(id__in=reference_ids)}  # type: ignore[attr-defined]
    missing = set(reference_ids) - set(references)
    references.update({r.pk: r for r in Reference.objects.filter(pk__in=missing)})
    author = get_user_model()._default_manager.filter(pk=row.author_id).first()
    changed_by = row.history_user
    return {
        "id": claim_id,
        "as_of": iso(at),
        "article": row.article_id,
        "section": row.section_id,
        "position": row.position,
        "text": row.text,
        "status": row.status,
        "version": row.version,
        "content_hash": row.content_hash,
        "citations": [references[i].as_json() for i in sorted(reference_ids) if i in references],
        "author": author.get_username() if author else None,
        "approved_version": row.approved_version,
        "approvals_needed": row.approvals_needed,
        "changed_at": iso(row.history_date),
        "changed_by": changed_by.get_username() if changed_by else None,
        "change_reason": row.history_change_reason or "",
    }


def article_as_of(article_id: int, at: datetime) -> dict[str, Any] | None:
    """An article's title, sections and claims as they stood at `at`, or None if it did not exist yet."""
    row = _record_as_of(Article, article_id, at)
    if row is None:
        return None
    sections = {s.pk: s for s in Section.history.as_of(at).filter(article_id=article_id)}  # type: ignore[attr-defined]
    claims = list(Claim.history.as_of(at).filter(article_id=article_id).order_by("position"))  # type: ignore[attr-defined]
    outline: list[dict[str, Any]] = []
    for claim in claims:
        section = sections.get(claim.section_id)
        if not outline or outline[-1]["section_id"] != claim.section_id:
            heading = section.heading if section else ""
            outline.append({"section_id": claim.section_id, "heading": heading, "claims": []})
        outline[-1]["claims"].append(claim)
    return {"article": row, "sections": outline, "claim_count": len(claims)}


def channel_feed_as_of(channel_id: int, at: datetime) -> dict[str, Any] | None:
    """What a channel's feed served at `at`: the renditions live then, byte for byte, or None.

    The same renditions the feed API answers `?as_of=` with (review.models.renditions_live_at),
    so the page shows the text readers saw, appended wording included, not a rebuild of it.
    """
    row = _record_as_of(Channel, channel_id, at)
    if row is None:
        return None
    renditions = renditions_live_at(Channel(pk=channel_id), at)
    publications = {
        p.rendition_id: p
        for p in Publication.history.as_of(at).filter(  # type: ignore[attr-defined]
            rendition_id__in=[r.pk for r in renditions]
        )
    }
    publishers = get_user_model()._default_manager.filter(pk__in={p.published_by_id for p in publications.values()})
    users = {u.pk: u for u in publishers}
    items = []
    for rendition in renditions:
        pub = publications.get(rendition.pk)
        items.append(
            {
                "rendition": rendition,
                "item": rendition.item,
                "text": rendition.text,
                "published_at": pub.published_at if pub else None,
                "published_by": users.get(pub.published_by_id) if pub else None,
            }
        )
    return {"channel": row, "items": items}
