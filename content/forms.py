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
        if upload and (data.get("text") or "").strip():
            # Which one was meant cannot be guessed; importing either would surprise someone.
            raise forms.ValidationError(
                "You pasted text and chose a file: import one at a time. Clear the text box or remove the file."
            )
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


# A line holding only this marks where a new claim starts, in the split form's one text box.
SPLIT_MARK = "---"


def split_parts(text: str) -> list[str]:
    """The parts of a claim's text between split points (lines of just SPLIT_MARK), as typed."""
    parts: list[str] = []
    current: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.strip() == SPLIT_MARK:
            parts.append("\n".join(current))
            current = []
        else:
            current.append(line)
    parts.append("\n".join(current))
    return parts


class SplitForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "data-split": SPLIT_MARK}),
        strip=False,
        label="The claim, with a split point where each new claim starts",
        help_text=f"A split point is a line of just {SPLIT_MARK}; “Split here” puts one at the cursor. "
        "Several split points make several claims.",
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    change_reason = forms.CharField(max_length=500, label="Why split it?")


class MergeForm(forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    change_reason = forms.CharField(max_length=500, label="Why merge it with the next claim?")
    # Which neighbour: the next claim is merged into this one, or this one into the previous.
    direction = forms.ChoiceField(choices=[("next", "next"), ("previous", "previous")], required=False)


class RetireForm(forms.Form):
    reason = forms.CharField(max_length=500)
