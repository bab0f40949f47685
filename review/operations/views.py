"""Pages for review operations: opening a re-certification round."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from content.permissions import get_claim_for_user
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
