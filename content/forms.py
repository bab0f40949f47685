from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from content import importing
from content.importing import ImportRejected
from content.limits import MAX_ID

FORMAT_CHOICES = [
    ("auto", "Detect automatically"),
    ("text", "Plain text"),
    ("markdown", "Markdown"),
    ("html", "Saved web page (HTML)"),
]


class ImportForm(forms.Form):
    title = forms.CharField(max_length=300, required=False, help_text="Leave empty to use the article's own title.")
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 14}), required=False, strip=False, label="Paste the article"
    )
    upload = forms.FileField(required=False, label="…or upload a file (.txt, .md, .html)")
    format = forms.ChoiceField(choices=FORMAT_CHOICES, initial="auto")
    force = forms.BooleanField(required=False, label="Import anyway, as a second article")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("upload")
        filename = ""
        if upload:
            if upload.size > settings.VETTED_IMPORT_MAX_BYTES:
                raise forms.ValidationError(f"File is larger than 2 MB ({upload.size} bytes).")
            try:
                data["text"] = importing.decode(upload.read())
            except ImportRejected as exc:
                raise forms.ValidationError(str(exc)) from None
            filename = upload.name
        if not (data.get("text") or "").strip():
            raise forms.ValidationError("Paste the article text or upload a file.")
        if data.get("format", "auto") == "auto":
            data["format"] = importing.detect_format(data["text"], filename)
        return data


class RenameForm(forms.Form):
    title = forms.CharField(max_length=300, label="Title")
    change_reason = forms.CharField(max_length=500, required=False, label="Why (optional)")


class ReviseForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), strip=True)
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    change_reason = forms.CharField(
        max_length=500, label="Why are you changing it?", help_text="Required: reviewers and auditors read it."
    )


class SplitForm(forms.Form):
    first = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="This claim keeps")
    second = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="New claim after it")
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    change_reason = forms.CharField(max_length=500, label="Why split it?")


class MergeForm(forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    change_reason = forms.CharField(max_length=500, label="Why merge it with the next claim?")


class RetireForm(forms.Form):
    reason = forms.CharField(max_length=500)
