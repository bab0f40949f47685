"""The home page's figures: each person's open work, and the reviewer/compliance charts.

Every function here costs a fixed number of queries whatever the amount of data,
so the home page stays as fast with 50,000 claims as with 5 (tests/test_dashboard.py
holds it to that).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.safestring import SafeString

from content.models import Article, Claim, ClaimStatus
from content.permissions import visible_articles, visible_claims
from review.dashboard.charts import Bar, bar_chart, line_chart
from review.models import (
    GRADE_RANK,
    AuditEvent,
    AuditVerification,
    Decision,
    EvidenceGrade,
    NuanceTag,
    Publication,
    Review,
)
from review.publishing.feeds import DueItem, due_for_review

# The periods a reader can pick for the charts that look back in time.
PERIODS = {4: "4 weeks", 12: "12 weeks", 26: "26 weeks"}
DEFAULT_WEEKS = 12
DUE_WEEKS = 8  # how far ahead the due-for-re-review chart looks
LIST_LIMIT = 8  # rows of each "my work" list; the count says how many there are in all


@dataclass(frozen=True)
class Figure:
    """One chart and the numbers it draws, so the figures stand beside the picture."""

    key: str
    title: str
    svg: SafeString
    rows: list[tuple[str, str]]
    columns: tuple[str, str]
    note: str = ""
    empty: str = ""  # set when there is nothing to draw: what to say instead


# --- charts ---------------------------------------------------------------------------------------


def status_counts(claims: QuerySet[Claim]) -> list[Bar]:
    counts = dict(claims.values_list("status").annotate(n=Count("id")).order_by())
    return [Bar(s.label, counts.get(s.value, 0), s.value) for s in ClaimStatus]


def grade_counts(claims: QuerySet[Claim]) -> list[Bar]:
    """Live claims by the grade of their latest review (unreviewed claims are left out)."""
    latest = Review.objects.filter(claim=OuterRef("pk")).order_by("-created_at", "-id").values("evidence_grade")[:1]
    counts = dict(
        claims.exclude(status=ClaimStatus.RETIRED)
        .annotate(grade=Subquery(latest))
        .exclude(grade=None)
        .values_list("grade")
        .annotate(n=Count("id"))
        .order_by()
    )
    ordered = sorted(EvidenceGrade, key=lambda g: -GRADE_RANK[g])
    short = {EvidenceGrade.UNSUPPORTED: "Unsupported", EvidenceGrade.CONTRADICTED: "Contradicted"}
    return [Bar(g.label, counts.get(g.value, 0), f"grade-{g.value}", short.get(g, "")) for g in ordered]


def cycle_times(weeks: int = DEFAULT_WEEKS, now: datetime | None = None) -> list[tuple[str, float | None]]:
    """Median days from submission to the decision that ended the round, per week (None: no decision).

    A round ends with a request for changes, a rejection or an approval; the
    submission time is read from the claim's history row for the reviewed
    version, as it stood when the review was recorded.
    """
    now = now or timezone.now()
    start = now - timedelta(weeks=weeks)
    decided = Review.objects.filter(
        created_at__gte=start,
        decision__in=[Decision.REQUEST_CHANGES, Decision.REJECT, Decision.APPROVE],
    )
    submitted = (
        Claim.history.filter(  # type: ignore[attr-defined]
            id=OuterRef("claim_id"),
            version=OuterRef("version"),
            status=ClaimStatus.IN_REVIEW,
            history_date__lte=OuterRef("created_at"),
        )
        .order_by("-history_date")
        .values("submitted_at")[:1]
    )
    rows = decided.annotate(submitted=Subquery(submitted)).values_list("created_at", "submitted")
    by_week: dict[int, list[float]] = {}
    for decided_at, submitted_at in rows.iterator(chunk_size=2000):
        if submitted_at is None:
            continue
        week = (now - decided_at).days // 7
        by_week.setdefault(week, []).append((decided_at - submitted_at).total_seconds() / 86400)
    points: list[tuple[str, float | None]] = []
    for week in range(weeks - 1, -1, -1):
        label = (now - timedelta(weeks=week)).strftime("%d %b")
        values = by_week.get(week)
        points.append((label, round(median(values), 1) if values else None))
    return points


def reviewer_workload(weeks: int = DEFAULT_WEEKS, now: datetime | None = None) -> list[Bar]:
    since = (now or timezone.now()) - timedelta(weeks=weeks)
    rows = (
        Review.objects.filter(created_at__gte=since)
        .values("reviewer__first_name", "reviewer__last_name", "reviewer__username")
        .annotate(n=Count("id"))
        .order_by("-n", "reviewer__username")[:10]
    )
    return [
        Bar(f"{r['reviewer__first_name']} {r['reviewer__last_name']}".strip() or r["reviewer__username"], r["n"])
        for r in rows
    ]


def top_tags(weeks: int = DEFAULT_WEEKS, limit: int = 8, now: datetime | None = None) -> list[Bar]:
    since = (now or timezone.now()) - timedelta(weeks=weeks)
    recent = Q(reviews__created_at__gte=since)
    tags = NuanceTag.objects.annotate(n=Count("reviews", filter=recent)).filter(n__gt=0).order_by("-n", "name")[:limit]
    return [Bar(t.name, t.n) for t in tags]


def _bar_figure(
    key: str, title: str, bars: list[Bar], columns: tuple[str, str], note: str = "", empty: str = ""
) -> Figure:
    rows = [(b.label, f"{b.value:g}") for b in bars]
    nothing = empty or "Nothing to show for this period yet."
    return Figure(
        key, title, bar_chart(title, bars), rows, columns, note, "" if any(b.value for b in bars) else nothing
    )


def due_buckets(due: list[DueItem], now: datetime) -> list[Bar]:
    """Live publications whose approval is overdue, then those falling due in each coming week."""
    bars = [Bar("Overdue", sum(1 for d in due if d.overdue), "overdue")]
    for week in range(DUE_WEEKS):
        start, end = now + timedelta(weeks=week), now + timedelta(weeks=week + 1)
        n = sum(1 for d in due if not d.overdue and start <= d.due < end)
        bars.append(Bar(f"By {end:%d %b}", n, "due"))
    return bars


def upcoming_due(user: Any, now: datetime) -> list[DueItem]:
    """What the due list and the due chart both read: two queries."""
    return due_for_review(user, now, DUE_WEEKS * 7)


def figures(
    user: Any, weeks: int = DEFAULT_WEEKS, now: datetime | None = None, due: list[DueItem] | None = None
) -> list[Figure]:
    """Every dashboard chart: five queries in all, plus two for `due` when it is not given."""
    now = now or timezone.now()
    due = upcoming_due(user, now) if due is None else due
    claims = visible_claims(user)
    span = PERIODS.get(weeks, f"{weeks} weeks")
    cycle = cycle_times(weeks, now)
    cycle_title = f"Review cycle time: median days from submission to decision, by week (last {span})"
    decided_weeks = [v for _, v in cycle if v is not None]
    return [
        _bar_figure("status", "Claims by status", status_counts(claims), ("Status", "Claims"), empty="No claims yet."),
        _bar_figure(
            "grades",
            "Claims by evidence grade",
            grade_counts(claims),
            ("Grade", "Claims"),
            "Grade of each live claim's latest review.",
            "No claim has been reviewed yet.",
        ),
        Figure(
            "cycle",
            cycle_title,
            line_chart(cycle_title, cycle, " d"),
            [(label, _days(v)) for label, v in cycle if v is not None],  # the note counts the empty weeks
            ("Week of", "Median"),
            f"Weeks start on the date shown. {len(decided_weeks)} of {len(cycle)} weeks had decisions.",
            "" if decided_weeks else "No review decided in this period yet.",
        ),
        _bar_figure(
            "workload",
            f"Reviews recorded per reviewer (last {span})",
            reviewer_workload(weeks, now),
            ("Reviewer", "Reviews"),
        ),
        _bar_figure("tags", f"Most-used nuance tags (last {span})", top_tags(weeks, now=now), ("Tag", "Reviews")),
        _bar_figure(
            "due",
            f"Claims due for re-review (next {DUE_WEEKS} weeks)",
            due_buckets(due, now),
            ("Approval expires", "Publications"),
            "One row per claim and channel it is live on; overdue ones are off their channel until re-approved.",
            f"No live approval expires in the next {DUE_WEEKS} weeks.",
        ),
    ]


def _days(value: float) -> str:
    return "under 0.1 d" if value < 0.05 else f"{value:g} d"


def parse_weeks(value: str | None) -> int:
    """The chart period from the query string; anything unknown falls back to the default."""
    try:
        weeks = int(value or DEFAULT_WEEKS)
    except ValueError:
        return DEFAULT_WEEKS
    return weeks if weeks in PERIODS else DEFAULT_WEEKS


# --- each person's open work ----------------------------------------------------------------------


# What counts as sent back: the author has to act on it (revise it; a rejected claim may also be retired).
SENT_BACK = [ClaimStatus.CHANGES_REQUESTED, ClaimStatus.REJECTED]


def author_work(user: Any) -> dict[str, Any]:
    """Claims sent back to me (changes asked or rejected) with the reviewer's latest note, and my articles with drafts.

    Still three queries: the rejections join the same list and counts by status, not new ones.
    """
    asked = Review.objects.filter(
        claim=OuterRef("pk"), version=OuterRef("version"), decision__in=[Decision.REQUEST_CHANGES, Decision.REJECT]
    ).order_by("-created_at", "-id")
    mine = visible_claims(user).filter(Q(article__owner=user) | Q(author=user))
    changes = (
        mine.filter(status__in=SENT_BACK)
        .select_related("article")
        .annotate(
            note=Subquery(asked.values("nuance_note")[:1]),
            asked_by_first=Subquery(asked.values("reviewer__first_name")[:1]),
            asked_by_last=Subquery(asked.values("reviewer__last_name")[:1]),
            asked_at=Subquery(asked.values("created_at")[:1]),
        )
        .order_by("updated_at", "id")
    )
    articles: QuerySet[Article] = (
        visible_articles(user)
        .filter(owner=user)
        .annotate(
            drafts=Count("claims", filter=Q(claims__status=ClaimStatus.DRAFT)),
            in_review=Count("claims", filter=Q(claims__status=ClaimStatus.IN_REVIEW)),
            approved=Count("claims", filter=Q(claims__status=ClaimStatus.APPROVED)),
            sent_back=Count("claims", filter=Q(claims__status__in=SENT_BACK)),
        )
        .order_by("-drafts", "-created_at")[:LIST_LIMIT]
    )
    return {
        "changes": list(changes[:LIST_LIMIT]),
        "changes_count": changes.count(),
        "articles": list(articles),
    }


def queue_work(queue: QuerySet[Claim]) -> dict[str, Any]:
    """The head of the review queue that still needs my signature (`queue` from views.queue_queryset)."""
    waiting = queue.filter(signed_by_me=False)  # type: ignore[misc]  # an annotation of queue_queryset
    return {"queue": list(waiting[:LIST_LIMIT]), "queue_count": waiting.count()}


def due_work(upcoming: list[DueItem], now: datetime) -> dict[str, Any]:
    """The re-review list: what is overdue or expires within 30 days (`upcoming` from upcoming_due)."""
    due = [d for d in upcoming if d.due <= now + timedelta(days=30)]
    return {"due": due[:LIST_LIMIT], "due_count": len(due), "overdue_count": sum(1 for d in due if d.overdue)}


def publisher_work(user: Any) -> dict[str, Any]:
    """Approved versions that no channel carries yet: the publisher's to-do list."""
    live = Publication.objects.filter(
        claim=OuterRef("pk"), version=OuterRef("approved_version"), withdrawn_at__isnull=True
    )
    ready = (
        visible_claims(user)
        .filter(approved_version__isnull=False)
        .exclude(status=ClaimStatus.RETIRED)
        .exclude(Exists(live))
        .select_related("article")
        .order_by("updated_at", "id")
    )
    return {"unpublished": list(ready[:LIST_LIMIT]), "unpublished_count": ready.count()}


def compliance_state() -> dict[str, Any]:
    """Recent events and whether the chain was verified since the last of them."""
    recent = list(AuditEvent.objects.select_related("actor").order_by("-id")[:LIST_LIMIT])
    last = AuditVerification.objects.select_related("run_by").first()
    # Event ids are gap-free from 1 (review.audit allocates them), so the newest id is the count.
    total = recent[0].pk if recent else 0
    unverified = total - last.events_checked if last else total
    return {"recent_events": recent, "event_total": total, "verification": last, "unverified": max(unverified, 0)}
