"""The search page: the same filters as the API, results linked to their pages."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from content.models import ClaimStatus
from content.search.engine import MAX_QUERY, TYPES, Hit, SearchError, search

PAGE_SIZE = 25


class SearchForm(forms.Form):
    q = forms.CharField(label="Words", required=False, max_length=MAX_QUERY)
    type = forms.ChoiceField(
        label="Type", required=False, choices=[("", "Articles and claims"), *((t, f"{t.title()}s") for t in TYPES)]
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[
            ("", "Any"),
            ("Articles", [("active", "Active"), ("archived", "Archived")]),
            ("Claims", ClaimStatus.choices),
        ],
    )
    owner = forms.CharField(label="Owner (username)", required=False, max_length=150)


@require_GET
@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    page: Page[Hit] | None = None
    status = 200
    if form.is_valid() and any(form.cleaned_data.values()):
        try:
            results = search(request.user, **form.cleaned_data)
        except SearchError as exc:
            form.add_error(exc.field, str(exc))
            status = 400
        else:
            page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    elif not form.is_valid():
        status = 400
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "content/search.html", {"form": form, "page": page, "query": query.urlencode()}, status=status
    )
