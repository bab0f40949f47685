"""Author pages: import, read, revise, split/merge, submit, recall, retire and history."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from content import diffing, flagging
from content.actions import import_article, merge_with_next, merge_with_previous, split_claim_into
from content.exceptions import DuplicateImport, NotAllowed, StaleVersion
from content.forms import ImportForm, MergeForm, RenameForm, RetireForm, ReviseForm, SplitForm, split_parts
from content.import_jobs import runs_in_background, start_import
from content.importing import ImportRejected
from content.models import Claim, ClaimStatus, FlagCode, ImportJob
from content.permissions import get_article_for_user, get_claim_for_user, get_import_job_for_user, visible_articles
from content.roles import can_edit_article, can_edit_claim, can_import


@require_GET
@login_required
def article_list(request: HttpRequest) -> HttpResponse:
    # Archived articles (imports put away before review) only when asked for.
    archived = request.GET.get("archived") == "1"
    articles = (
        visible_articles(request.user)
        .filter(archived_at__isnull=not archived)
        .select_related("owner")
        .annotate(
            claim_count=Count("claims", filter=~Q(claims__status=ClaimStatus.RETIRED)),
            approved_count=Count("claims", filter=Q(claims__status=ClaimStatus.APPROVED)),
            review_count=Count("claims", filter=Q(claims__status=ClaimStatus.IN_REVIEW)),
        )
        .order_by("-created_at")
    )
    return render(
        request,
        "content/article_list.html",
        {"articles": articles, "can_import": can_import(request.user), "archived": archived},
    )


@require_http_methods(["GET", "POST"])
@login_required
def article_import(request: HttpRequest) -> HttpResponse:
    if not can_import(request.user):
        raise NotAllowed("Only authors import articles.")
    form = ImportForm(request.POST or None, request.FILES or None)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        big = runs_in_background(form.cleaned_data["text"], form.cleaned_data["format"])
        job_or_import = start_import if big else import_article
        try:
            outcome = job_or_import(
                text=form.cleaned_data["text"],
                fmt=form.cleaned_data["format"],
                title=form.cleaned_data["title"],
                author=request.user,
                force=form.cleaned_data["force"],
            )
        except ImportRejected as exc:
            form.add_error(None, str(exc))
        except DuplicateImport as exc:
            # The text again (an upload's too), so "import anyway" needs no second upload.
            duplicate = exc
            form = ImportForm(initial={**form.cleaned_data, "upload": None, "force": False})
        else:
            if isinstance(outcome, ImportJob):
                return redirect("import_job", pk=outcome.pk)
            messages.success(request, f"Imported {outcome.claim_count} claims.")
            return redirect("article_detail", pk=outcome.article.pk)
    status = 409 if duplicate else 400 if form.errors else 200
    return render(request, "content/article_import.html", {"form": form, "duplicate": duplicate}, status=status)


@require_GET
@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """How a background import is going; htmx asks again every few seconds until it has finished."""
    job = get_import_job_for_user(request.user, pk)
    # request.htmx: set by django_htmx.middleware.HtmxMiddleware.
    template = "content/import_job_status.html" if getattr(request, "htmx", False) else "content/import_job.html"
    return render(request, template, {"job": job})


@require_GET
@login_required
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article_for_user(request.user, pk)
    # `risk` on each claim: its open risk flags (info flags are one click away, on the claim page).
    claims = flagging.with_risk(Claim.objects.live()).order_by("position").prefetch_related("citations")
    claims = flagging.with_flag(claims, FlagCode.HARMS_OMITTED)
    sections = list(article.sections.order_by("position").prefetch_related(Prefetch("claims", queryset=claims)))
    counts = dict(article.claims.values_list("status").annotate(n=Count("id")).order_by())
    return render(
        request,
        "content/article_detail.html",
        {
            "article": article,
            "sections": sections,
            "counts": [(s, counts.get(s.value, 0)) for s in ClaimStatus if counts.get(s.value)],
            "can_edit": can_edit_article(request.user, article),
            # Offered while every claim is a draft (or retired); Article.archive also refuses one
            # whose claims were submitted and recalled, which the counts cannot tell.
            "can_archive": can_edit_article(request.user, article)
            and not article.is_archived
            and set(counts) <= {ClaimStatus.DRAFT, ClaimStatus.RETIRED},
            # An article-level rule, raised on the claims it concerns: shown once, above them.
            "harms_omitted": any(getattr(c, "has_flag", False) for section in sections for c in section.claims.all()),
        },
    )


@require_POST
@login_required
def article_rename(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article_for_user(request.user, pk)
    if not can_edit_article(request.user, article):
        raise NotAllowed("Only the article's author may rename it.")
    form = RenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, "An article needs a title (at most 300 characters).")
        return redirect("article_detail", pk=pk)
    try:
        article.rename(title=form.cleaned_data["title"], by=request.user, reason=form.cleaned_data["change_reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Renamed the article.")
    return redirect("article_detail", pk=pk)


class ArchiveForm(forms.Form):
    reason = forms.CharField(max_length=500)


@require_POST
@login_required
def article_archive(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article_for_user(request.user, pk)
    if not can_edit_article(request.user, article):
        raise NotAllowed("Only the article's author may archive it.")
    form = ArchiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Say why you are archiving “{article.title}”.")
        return redirect("article_detail", pk=pk)
    article.archive(by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, f"Archived “{article.title}” and retired its claims; its history stays.")
    return redirect("article_list")


@require_POST
@login_required
def article_submit_all(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article_for_user(request.user, pk)
    if not can_edit_article(request.user, article):
        raise NotAllowed("Only the author submits.")
    with transaction.atomic():  # all drafts or none
        drafts = list(article.claims.filter(status=ClaimStatus.DRAFT).order_by("position"))
        for claim in drafts:
            claim.submit(by=request.user)
    if drafts:
        messages.success(request, f"Submitted {len(drafts)} claims for review.")
    else:
        messages.info(request, "There are no drafts to submit.")
    return redirect("article_detail", pk=pk)


def _rebase(form: forms.Form, claim: Claim, conflict: StaleVersion) -> forms.Form:
    """After a stale save: the user's input again, now based on the current version.

    Nothing is lost: the page shows both texts and the user re-applies theirs.
    """
    claim.refresh_from_db()
    return type(form)(initial={**form.cleaned_data, "expected_version": conflict.current_version})


@require_http_methods(["GET", "POST"])
@login_required
def claim_edit(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    if not can_edit_claim(request.user, claim):
        raise NotAllowed("Only the article's author may revise its claims.")
    form: forms.Form = ReviseForm(request.POST or None, initial={"text": claim.text, "expected_version": claim.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            claim.revise(
                text=form.cleaned_data["text"],
                expected_version=form.cleaned_data["expected_version"],
                reason=form.cleaned_data["change_reason"],
                by=request.user,
            )
        except StaleVersion as exc:
            conflict, form = exc, _rebase(form, claim, exc)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Saved version {claim.version}.")
            return redirect("article_detail", pk=claim.article_id)
    status = 409 if conflict else 400 if form.errors else 200
    return render(
        request,
        "content/claim_edit.html",
        {"claim": claim, "form": form, "conflict": conflict, "feedback": claim.latest_feedback()},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def claim_split(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    if not can_edit_claim(request.user, claim):
        raise NotAllowed("Only the article's author may split its claims.")
    form: forms.Form = SplitForm(request.POST or None, initial={"text": claim.text, "expected_version": claim.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            created = split_claim_into(
                claim,
                split_parts(form.cleaned_data["text"]),
                expected_version=form.cleaned_data["expected_version"],
                reason=form.cleaned_data["change_reason"],
                by=request.user,
            )
        except StaleVersion as exc:
            conflict, form = exc, _rebase(form, claim, exc)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            claim.refresh_from_db()
            numbers = ", ".join(f"#{c.pk}" for c in created)
            messages.success(request, f"Split {_named(claim)} into {len(created) + 1} claims: it and {numbers}.")
            return redirect("article_detail", pk=claim.article_id)
    status = 409 if conflict else 400 if form.errors else 200
    return render(
        request, "content/claim_split.html", {"claim": claim, "form": form, "conflict": conflict}, status=status
    )


@require_POST
@login_required
def claim_merge(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    if not can_edit_claim(request.user, claim):
        raise NotAllowed("Only the article's author may merge its claims.")
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Say why you are merging {_named(claim)}.")
        return redirect("article_detail", pk=claim.article_id)
    merged = _named(claim)
    into_previous = form.cleaned_data["direction"] == "previous"
    merge = merge_with_previous if into_previous else merge_with_next
    try:
        kept = merge(
            claim,
            expected_version=form.cleaned_data["expected_version"],
            reason=form.cleaned_data["change_reason"],
            by=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if into_previous:
            messages.success(request, f"Merged {merged} into the previous claim, {_named(kept)} (now v{kept.version}).")
        else:
            messages.success(request, f"Merged the claim with the next one: {_named(kept)} is now v{kept.version}.")
    return redirect("article_detail", pk=claim.article_id)


@require_POST
@login_required
def claim_submit(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    claim.submit(by=request.user)
    messages.success(request, f"Claim #{claim.pk} v{claim.version} is in review.")
    return redirect("article_detail", pk=claim.article_id)


def _named(claim: Claim) -> str:
    """How a flash message names a claim: its number and the start of its text."""
    text = " ".join(claim.text.split())
    return f"claim #{claim.pk} “{text[:60]}{'…' if len(text) > 60 else ''}”"


@require_POST
@login_required
def claim_retire(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    if not can_edit_claim(request.user, claim):
        raise NotAllowed("Only the article's author may retire its claims.")
    form = RetireForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Say why you are retiring {_named(claim)}.")
        return redirect("article_detail", pk=claim.article_id)
    try:
        claim.retire(by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Retired {_named(claim)}; its history stays.")
    return redirect("article_detail", pk=claim.article_id)


@require_POST
@login_required
def claim_recall(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    claim.recall(by=request.user)
    messages.success(request, f"Recalled {_named(claim)} from review; v{claim.version} is a draft again.")
    return redirect("claim_detail", pk=claim.pk)


@require_GET
@login_required
def claim_history(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    versions = list(claim.versions.select_related("changed_by").order_by("version"))
    by_number = {v.version: v for v in versions}
    try:
        new = int(request.GET.get("b", claim.version))
        old = int(request.GET.get("a", max(new - 1, 1)))
    except ValueError:
        new, old = claim.version, max(claim.version - 1, 1)
    if old not in by_number or new not in by_number:
        old, new = max(claim.version - 1, 1), claim.version
    diff = diffing.word_diff(by_number[old].text, by_number[new].text)
    return render(
        request,
        "content/claim_history.html",
        {"claim": claim, "versions": versions, "old": by_number[old], "new": by_number[new], "diff": diff},
    )
