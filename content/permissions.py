"""Who may see and change articles and claims.

Outsiders get 404 (they learn nothing about what exists); people who may read
but not write get 403.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from content.models import Article, Claim, ClaimQuerySet, ImportJob
from content.roles import AUTHOR, READ_ALL


def visible_articles(user: Any) -> QuerySet[Article]:
    if not user.is_authenticated or not user.is_active:
        return Article.objects.none()
    if user.has_perm(READ_ALL):
        return Article.objects.all()
    if user.has_perm(AUTHOR):
        return Article.objects.filter(owner=user)
    return Article.objects.none()


def visible_claims(user: Any) -> ClaimQuerySet:
    if not user.is_authenticated or not user.is_active:
        return Claim.objects.none()
    if user.has_perm(READ_ALL):
        return Claim.objects.all()
    if user.has_perm(AUTHOR):
        return Claim.objects.filter(article__owner=user)
    return Claim.objects.none()


def get_article_for_user(user: Any, pk: int) -> Article:
    article = visible_articles(user).select_related("owner").filter(pk=pk).first()
    if article is None:
        raise Http404("No such article.")
    return article


def get_claim_for_user(user: Any, pk: int) -> Claim:
    claim = visible_claims(user).select_related("article", "section", "author").filter(pk=pk).first()
    if claim is None:
        raise Http404("No such claim.")
    return claim


def get_import_job_for_user(user: Any, pk: int) -> ImportJob:
    """An import job is its author's alone: anyone else gets 404."""
    job = ImportJob.objects.filter(pk=pk, owner=user.pk).select_related("article").first() if user.is_active else None
    if job is None:
        raise Http404("No such import.")
    return job
