"""Point-in-time views: a claim, an article or a channel's feed as it stood at a moment, from history."""

from __future__ import annotations

from datetime import datetime
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q

from content.models import Article, Claim, ClaimVersion, Reference, Section
from review.audit.chain import iso
from review.audit.guards import history_model
from review.models import Channel, Publication


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
    """The claim versions a channel carried at `at` (published, not yet withdrawn), or None."""
    row = _record_as_of(Channel, channel_id, at)
    if row is None:
        return None
    publications = list(
        Publication.history.as_of(at)  # type: ignore[attr-defined]
        .filter(channel_id=channel_id, withdrawn_at__isnull=True)
        .order_by("-published_at")
    )
    texts: dict[tuple[int, int], str] = {}
    if publications:
        wanted = reduce(or_, [Q(claim_id=p.claim_id, version=p.version) for p in publications])
        texts = {(v.claim_id, v.version): v.text for v in ClaimVersion.objects.filter(wanted)}
    publishers = get_user_model()._default_manager.filter(pk__in={p.published_by_id for p in publications})
    users = {u.pk: u for u in publishers}
    items = [
        {
            "publication": p,
            "text": texts.get((p.claim_id, p.version), ""),
            "published_by": users.get(p.published_by_id),
        }
        for p in publications
    ]
    return {"channel": row, "items": items}
