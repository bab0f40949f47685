"""Pages for review operations: opening a re-certification round, assigning reviews."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from content.exceptions import NotAllowed
from content.limits import MAX_ID
from content.models import Claim, ClaimStatus
from content.permissions import get_claim_for_user
from content.roles import is_reviewer
from review.models import Assignment
from review.operations.assignments import accept, assign, default_due, handover
from review.operations.recertification import recertify


class RecertifyForm(forms.Form):
    reason = forms.CharField(required=False, max_length=2000)


@require_POST
@login_required
def claim_recertify(request: HttpRequest, pk: int) -> HttpResponse:
    """Open the round and go to the review form; refusals (403, 409) are the refusal pages."""
    claim = get_claim_for_user(request.user, pk)
    form = RecertifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Keep the reason under 2,000 characters.")
        return redirect("claim_detail", pk=claim.pk)
    try:
        recertification = recertify(claim, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("claim_detail", pk=claim.pk)
    messages.success(
        request,
        f"Opened re-certification round {recertification.round} on claim #{claim.pk} v{recertification.version}; "
        "its live publications stay up until the approval expires.",
    )
    return redirect("claim_review", pk=claim.pk)


# --- assignments ---------------------------------------------------------------------------------


def reviewers() -> list[Any]:
    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__permissions__codename="add_review") | Q(user_permissions__codename="add_review"))
        .distinct()
        .order_by("first_name", "username")
    )


def reviewer_groups() -> list[Group]:
    return list(Group.objects.filter(permissions__codename="add_review").order_by("name"))


def assignment_context(claim: Claim, user: Any) -> dict[str, Any]:
    """What the claim page's assignment box needs (a claim's own task, else its article's)."""
    if not is_reviewer(user):
        return {}
    found = (
        Assignment.objects.open()
        .filter(Q(claim=claim) | Q(article=claim.article_id))
        .select_related("assignee", "group")
        .order_by("due")
        .first()
    )
    context: dict[str, Any] = {"assignment": found, "reviewers": reviewers()}
    if found is None:
        context |= {
            "may_assign": claim.status == ClaimStatus.IN_REVIEW,
            "reviewer_groups": reviewer_groups(),
            "default_due": default_due(timezone.now()),
        }
    else:
        context |= {
            "may_accept": found.group_id is not None and user.groups.filter(pk=found.group_id).exists(),
            "may_hand_over": user.pk in {found.assignee_id, found.assigned_by_id},
        }
    return context


class AssignForm(forms.Form):
    to = forms.RegexField(regex=r"^(user|group):[0-9]{1,12}$", error_messages={"invalid": "Choose who reviews it."})
    due = forms.DateField()
    note = forms.CharField(required=False, max_length=2000)


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(17, 0)))


@require_POST
@login_required
def claim_assign(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("claim_detail", pk=claim.pk)
    kind, _, raw_id = form.cleaned_data["to"].partition(":")
    assignee = get_user_model().objects.filter(pk=int(raw_id)).first() if kind == "user" else None
    group = Group.objects.filter(pk=int(raw_id)).first() if kind == "group" else None
    if assignee is None and group is None:
        messages.error(request, "Choose who reviews it.")
        return redirect("claim_detail", pk=claim.pk)
    try:
        made = assign(
            by=request.user,
            claim=claim,
            assignee=assignee,
            group=group,
            due=_end_of(form.cleaned_data["due"]),
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        who = made.assignee.get_full_name() or made.assignee.username if made.assignee else f"the {group} group"
        messages.success(request, f"Assigned claim #{claim.pk} to {who}, due {made.due:%d %b %Y}.")
    return redirect("claim_detail", pk=claim.pk)


def _back_to_its_page(assignment: Assignment) -> HttpResponse:
    if assignment.claim_id:
        return redirect("claim_detail", pk=assignment.claim_id)
    return redirect("article_detail", pk=assignment.article_id)


def _visible_assignment(user: Any, pk: int) -> Assignment:
    if not is_reviewer(user):
        raise NotAllowed("Assignments are for medical reviewers.")
    found = Assignment.objects.filter(pk=pk).first()
    if found is None:
        raise Http404("No such assignment.")
    return found


@require_POST
@login_required
def assignment_accept(request: HttpRequest, pk: int) -> HttpResponse:
    taken = accept(_visible_assignment(request.user, pk), by=request.user)
    messages.success(request, f"You have the review, due {taken.due:%d %b %Y}.")
    return _back_to_its_page(taken)


class HandoverForm(forms.Form):
    to = forms.IntegerField(min_value=1, max_value=MAX_ID)
    note = forms.CharField(max_length=2000)


@require_POST
@login_required
def assignment_handover(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _visible_assignment(request.user, pk)
    form = HandoverForm(request.POST)
    to = get_user_model().objects.filter(pk=form.cleaned_data["to"]).first() if form.is_valid() else None
    if to is None:
        messages.error(request, "Choose the reviewer and say why you are handing it over.")
        return _back_to_its_page(assignment)
    try:
        handed = handover(assignment, by=request.user, to=to, note=form.cleaned_data["note"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back_to_its_page(assignment)
    messages.success(request, f"Handed the review over to {to.get_full_name() or to.username}.")
    return _back_to_its_page(handed)
