"""Figures for the reviewer and compliance dashboard, each in a fixed number of queries."""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import median
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from content.models import Claim, ClaimStatus
from review.charts import Bar, bar_chart, line_chart
from review.models import GRADE_RANK, Decision, EvidenceGrade, NuanceTag, Review

WEEKS = 12


def status_counts(claims: Any) -> list[Bar]:
    counts = dict(claims.values_list("status").annotate(n=Count("id")).order_by())
    return [Bar(s.label, counts.get(s.value, 0), s.value) for s in ClaimStatus]


def grade_counts(claims: Any) -> list[Bar]:
    """Claims by the grade of their latest review (unreviewed claims are left out)."""
    latest = Review.objects.filter(claim=OuterRef("pk")).order_by("-created_at", "-id").values("evidence_grade")[:1]
    counts = dict(
        claims.annotate(grade=Subquery(latest))
        .exclude(grade=None)
        .values_list("grade")
        .annotate(n=Count("id"))
        .order_by()
    )
    ordered = sorted(EvidenceGrade, key=lambda g: -GRADE_RANK[g])
    return [Bar(g.label, counts.get(g.value, 0), f"grade-{g.value}") for g in ordered]


def cycle_times(now: datetime | None = None) -> list[tuple[str, float]]:
    """Median days from submission to the decision that ended the round, per week."""
    now = now or timezone.now()
    start = now - timedelta(weeks=WEEKS)
    decided = Review.objects.filter(created_at__gte=start).filter(
        Q(decision__in=[Decision.REQUEST_CHANGES, Decision.REJECT]) | Q(decision=Decision.APPROVE)
    )
    submitted = Claim.history.filter(  # type: ignore[attr-defined]
        id=OuterRef("claim_id"),
        version=OuterRef("version"),
        status=ClaimStatus.IN_REVIEW,
        history_date__lte=OuterRef("created_at"),
    ).order_by("-history_date").values("submitted_at")[:1]
    rows = decided.annotate(submitted=Subquery(submitted)).values_list("created_at", "submitted")
    by_week: dict[int, list[float]] = {}
    for decided_at, submitted_at in rows.iterator(chunk_size=2000):
        if submitted_at is None:
            continue
        week = (now - decided_at).days // 7
        by_week.setdefault(week, []).append((decided_at - submitted_at).total_seconds() / 86400)
    points = []
    for week in range(WEEKS - 1, -1, -1):
        label = (now - timedelta(weeks=week)).strftime("%d %b")
        values = by_week.get(week)
        points.append((label, round(median(values), 1) if values else 0.0))
    return points


def reviewer_workload(days: int = 30) -> list[Bar]:
    since = timezone.now() - timedelta(days=days)
    rows = (
        Review.objects.filter(created_at__gte=since)
        .values("reviewer__first_name", "reviewer__last_name", "reviewer__username")
        .annotate(n=Count("id"))
        .order_by("-n")[:10]
    )
    return [
        Bar(f"{r['reviewer__first_name']} {r['reviewer__last_name']}".strip() or r["reviewer__username"], r["n"])
        for r in rows
    ]


def top_tags(limit: int = 8) -> list[Bar]:
    tags = NuanceTag.objects.annotate(n=Count("reviews")).filter(n__gt=0).order_by("-n", "name")[:limit]
    return [Bar(t.name, t.n) for t in tags]


def charts(claims: Any) -> dict[str, Any]:
    """Every dashboard chart, as (svg, numbers) so the figures stand beside the picture."""
    status = status_counts(claims)
    grades = grade_counts(claims)
    cycle = cycle_times()
    workload = reviewer_workload()
    tags = top_tags()
    return {
        "status": (bar_chart("Claims by status", status), status),
        "grades": (bar_chart("Claims by evidence grade (latest review)", grades), grades),
        "cycle": (line_chart("Median review cycle time in days, by week", cycle, " d"), cycle),
        "workload": (bar_chart("Reviews in the last 30 days, by reviewer", workload), workload),
        "tags": (bar_chart("Most-used nuance tags", tags), tags),
    }
