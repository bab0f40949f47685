"""The inbox page: newest first, unread ones marked; mark one or all read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from review.models import Notification, mark_all_read

PAGE_SIZE = 50


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    notes = Notification.objects.for_user(request.user).select_related("claim", "article")
    if unread_only:
        notes = notes.unread()
    page = Paginator(notes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "review/inbox.html", {"page": page, "unread_only": unread_only})


@require_POST
@login_required
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    # Someone else's notification is no more there than one that does not exist.
    note = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    note.mark_read(by=request.user)
    # "Open" marks it read and goes to what it is about: the stored link, never one from the form.
    return redirect(note.link if "open" in request.POST else "inbox")


@require_POST
@login_required
def read_all(request: HttpRequest) -> HttpResponse:
    count = mark_all_read(request.user)
    messages.success(request, f"Marked {count} notification{'' if count == 1 else 's'} read.")
    return redirect("inbox")
