"""Forms for the reviewer pages: the review itself and the queue filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from content.limits import MAX_ID
from review.actions import MAX_WORDING_LENGTH, ReviewInput
from review.models import DEFAULT_MEANING, REJECT_MEANING, Decision, EvidenceGrade, EvidenceType, NuanceTag


class TagChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        tag: NuanceTag = obj
        return f"{tag.name} (high risk: needs two signatures)" if tag.high_risk else tag.name


class ReviewForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    evidence_grade = forms.ChoiceField(choices=EvidenceGrade.choices, widget=forms.RadioSelect)
    evidence_type = forms.ChoiceField(choices=[("", "—"), *EvidenceType.choices], required=False)
    nuance_tags = TagChoiceField(
        queryset=NuanceTag.objects.filter(active=True), required=False, widget=forms.CheckboxSelectMultiple
    )
    nuance_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "accesskey": "n"}),
        required=False,
        help_text="Markdown. The author sees it and gets it by e-mail.",
    )
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    signature_meaning = forms.CharField(
        max_length=300,
        initial=DEFAULT_MEANING,
        # static/review.js swaps between these when the decision changes.
        # Read-only: the meaning is the decision's, chosen by the server, not typed.
        widget=forms.TextInput(
            attrs={"readonly": True, "data-approve-meaning": DEFAULT_MEANING, "data-reject-meaning": REJECT_MEANING}
        ),
        required=False,
        help_text=f"What your signature means. To reject, sign “{REJECT_MEANING}”.",
    )
    # Asked for at the first signature of a login session only (review.signing); the page shows it then.
    username = forms.CharField(
        label="User ID",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
        help_text="Your first signature in this session needs your user ID as well as your password.",
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "accesskey": "p"}),
        required=False,
        help_text="Approving or rejecting is an e-signature: enter your password now.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One box per tag with a template, holding the wording that ticking the tag publishes:
        # the reviewer adapts it to this claim, or empties it when it does not fit.
        self.worded_tags = [t for t in self.fields["nuance_tags"].queryset if t.required_wording.strip()]  # type: ignore[attr-defined]
        for tag in self.worded_tags:
            self.fields[self.wording_field(tag)] = forms.CharField(
                # Not naming the tag: its checkbox keeps the only label with the tag's name.
                label="Wording this tag adds to what is published",
                initial=tag.required_wording,
                required=False,
                max_length=MAX_WORDING_LENGTH,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Adapt it to this claim, or empty it if it does not apply.",
            )

    @staticmethod
    def wording_field(tag: NuanceTag) -> str:
        return f"wording_{tag.pk}"

    def tag_rows(self) -> list[tuple[Any, Any]]:
        """Each tag's checkbox with its wording box (None for a tag that adds no wording), in order."""
        boxes = {str(box.data["value"]): box for box in self["nuance_tags"]}
        worded = {str(t.pk): self[self.wording_field(t)] for t in self.worded_tags}
        return [(box, worded.get(value)) for value, box in boxes.items()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ticked = {t.pk for t in data.get("nuance_tags") or ()}
        # The wording signed is what the boxes of the ticked tags hold now, never the templates behind them.
        data["required_wording"] = [data.get(self.wording_field(t)) or "" for t in self.worded_tags if t.pk in ticked]
        decision = data.get("decision")
        if decision in (Decision.APPROVE, Decision.REJECT) and not data.get("password"):
            self.add_error("password", "Your password is needed to sign.")
        if (
            decision == Decision.REQUEST_CHANGES
            and not (data.get("nuance_note") or "").strip()
            and not data.get("nuance_tags")
        ):
            self.add_error("nuance_note", "Tell the author what to change: write a note or tick a nuance tag.")
        if decision and data.get("evidence_grade"):
            try:
                ReviewInput.of({"version": data.get("version") or 0, **data}).validate()
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
        return data


class QueueFilterForm(forms.Form):
    """The queue's filters. Unknown values are an error (400 in the API), never silently ignored."""

    article = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    grade = forms.ChoiceField(choices=[("", "Any grade"), *EvidenceGrade.choices], required=False)
    tag = forms.SlugField(required=False)
    older_than_days = forms.IntegerField(required=False, min_value=0, max_value=3650)
    # triage: "risk" puts the claims with the most open risk flags first.
    sort = forms.ChoiceField(choices=[("", "Oldest first"), ("risk", "Most risk flags first")], required=False)

    def clean_tag(self) -> str:
        slug: str = self.cleaned_data.get("tag") or ""
        if slug and not NuanceTag.objects.filter(slug=slug).exists():
            raise ValidationError(f"No nuance tag “{slug}”.")
        return slug

    def narrows(self) -> bool:
        """Whether a valid filter (anything but the sort) leaves some in-review claims out."""
        return any(value not in (None, "") for name, value in self.cleaned_data.items() if name != "sort")
