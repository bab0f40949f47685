"""The page forms for commenting and suggesting; the API's serializers take the same fields."""

from __future__ import annotations

from typing import Any

from django import forms

from content.limits import MAX_ID
from review.discussion.actions import MAX_BODY
from review.models import EvidenceGrade

MAX_OFFSET = 1_000_000


class CommentForm(forms.Form):
    version = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False, widget=forms.HiddenInput)
    start = forms.IntegerField(min_value=0, max_value=MAX_OFFSET, required=False, widget=forms.HiddenInput)
    end = forms.IntegerField(min_value=0, max_value=MAX_OFFSET, required=False, widget=forms.HiddenInput)
    quote = forms.CharField(required=False, strip=False, max_length=MAX_BODY, widget=forms.HiddenInput)
    body = forms.CharField(max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 3}))
    blocking = forms.BooleanField(required=False)
    parent = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("parent") is None and (data.get("start") is None or data.get("end") is None):
            raise forms.ValidationError("Select the words you are commenting on first.")
        return data

    def action_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        if data.get("parent") is not None:
            return {"body": data["body"], "parent": data["parent"], "blocking": data["blocking"]}
        return {
            "body": data["body"],
            "version": data["version"],
            "start": data["start"],
            "end": data["end"],
            "quote": data["quote"] or None,
            "blocking": data["blocking"],
        }


class SuggestionForm(forms.Form):
    version = forms.IntegerField(min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    start = forms.IntegerField(min_value=0, max_value=MAX_OFFSET, widget=forms.HiddenInput)
    end = forms.IntegerField(min_value=0, max_value=MAX_OFFSET, widget=forms.HiddenInput)
    text = forms.CharField(required=False, strip=False, max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 3}))
    sign = forms.BooleanField(required=False)
    evidence_grade = forms.ChoiceField(
        choices=[("", "(my last grade of this claim)"), *EvidenceGrade.choices], required=False
    )
    password = forms.CharField(required=False, strip=False, widget=forms.PasswordInput)


class DeclineForm(forms.Form):
    reason = forms.CharField(max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 2}))


def form_problems(form: forms.Form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)
