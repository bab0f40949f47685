"""The home page: each person's open work first, then the figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from content.context_processors import roles
from content.flagging import rule_stats
from review.dashboard import figures as dashboard
from review.queue import queue_queryset


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each person's open work first, then (for reviewers and compliance) the charts.

    A person with several roles gets every section that applies. An htmx request
    for another chart period gets only the charts back.
    """
    user: Any = request.user
    role = roles(request).get("role", {})
    weeks = dashboard.parse_weeks(request.GET.get("weeks"))
    context: dict[str, Any] = {"weeks": weeks, "periods": dashboard.PERIODS}
    now = timezone.now()
    # Read once for both the re-review list and the chart of what falls due.
    sees_due = role.get("reviewer") or role.get("publisher") or role.get("compliance")
    due = dashboard.upcoming_due(user, now) if sees_due else []
    if role.get("reviewer") or role.get("compliance"):
        context["figures"] = dashboard.figures(user, weeks, now, due)
        if role.get("reviewer"):
            # Which triage rules reviewers keep dismissing over the same period: the ones to fix.
            context["rule_stats"] = rule_stats(since=now - timedelta(weeks=weeks), until=now)
        if getattr(request, "htmx", False):  # set by django_htmx.middleware.HtmxMiddleware
            return render(request, "review/home_charts.html", context)
    if role.get("author"):
        context |= dashboard.author_work(user)
    if role.get("reviewer"):
        context |= dashboard.queue_work(queue_queryset(user, {}))
    if role.get("reviewer") or role.get("publisher"):
        context |= dashboard.due_work(due, now)
    if role.get("publisher"):
        context |= dashboard.publisher_work(user)
    if role.get("compliance"):
        context |= dashboard.compliance_state()
    return render(request, "review/home.html", context)
