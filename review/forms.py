from __future__ import annotations

from typing import Any

from django import forms

from review.models import DEFAULT_MEANING, SIGNED_DECISIONS, Decision, EvidenceGrade, EvidenceType, NuanceTag


class ReviewForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    evidence_grade = forms.ChoiceField(choices=EvidenceGrade.choices, widget=forms.RadioSelect)
    evidence_type = forms.ChoiceField(choices=[("", "—"), *EvidenceType.choices], required=False)
    nuance_tags = forms.ModelMultipleChoiceField(
        queryset=NuanceTag.objects.filter(active=True), required=False, widget=forms.CheckboxSelectMultiple
    )
    nuance_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="Markdown. The author sees it."
    )
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    signature_meaning = forms.CharField(max_length=300, initial=DEFAULT_MEANING, required=False)
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        required=False,
        help_text="Approving or rejecting is an e-signature: enter your password.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") in SIGNED_DECISIONS:
            if not data.get("password"):
                self.add_error("password", "Your password is needed to sign.")
            if not (data.get("signature_meaning") or "").strip():
                self.add_error("signature_meaning", "A signature needs its meaning.")
        if data.get("decision") == Decision.REQUEST_CHANGES and not (data.get("nuance_note") or "").strip():
            self.add_error("nuance_note", "Tell the author what to change.")
        return data
