from typing import Any

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from content.evidence import CORRECTABLE, correct_reference, guarding_claims
from content.models import Article, Claim, Profile, Reference


@admin.register(Claim)
class ClaimAdmin(SimpleHistoryAdmin):
    """Read-mostly: claims change only through revisions (reason + new version)."""

    list_display = ["id", "article", "position", "status", "version", "author", "updated_at"]
    list_filter = ["status"]
    search_fields = ["text"]
    list_select_related = ["article", "author"]
    readonly_fields = [f.name for f in Claim._meta.fields] + ["citations"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    list_display = ["title", "owner", "format", "created_at"]
    search_fields = ["title"]
    list_select_related = ["owner"]

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ReferenceForm(forms.ModelForm):  # type: ignore[type-arg]
    """The admin's form; for a work that signatures rest on, a change is a correction and needs its reason."""

    correction_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Claims whose approved or in-review version cites this work: a change here is a recorded "
        "correction that sends them back to review. Say what was wrong and where the correction comes from.",
    )
    url = forms.URLField(max_length=1000, required=False, assume_scheme="https")
    guarded = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        corrected = [f for f in self.changed_data if f in CORRECTABLE]
        if self.guarded and corrected and not (data.get("correction_reason") or "").strip():
            self.add_error("correction_reason", "This work is cited by signed claims: say why it is corrected.")
        return data


@admin.register(Reference)
class ReferenceAdmin(SimpleHistoryAdmin):
    """Works are described here; their status changes only through the mark (content.evidence), with its cascade.

    A work that an approved or in-review version cites is corrected, never silently edited:
    the change goes through content.evidence.correct_reference, which records it with its
    reason and sends the citing claims back to review.
    """

    list_display = ["label", "authors", "year", "status"]
    search_fields = ["label", "authors", "title", "doi"]
    form = ReferenceForm

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        locked = ["status", "status_reason"]
        if obj is not None and guarding_claims(obj):
            locked.append("key")  # its identity: what the versions' hashes cover
        return locked

    def get_form(self, request, obj=None, change=False, **kwargs):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change=change, **kwargs)
        guarded = obj is not None and bool(guarding_claims(obj))
        return type(form.__name__, (form,), {"guarded": guarded})

    def get_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        fields = list(super().get_fields(request, obj))
        if obj is None or not guarding_claims(obj):
            fields = [f for f in fields if f != "correction_reason"]
        return fields

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if not (change and form.guarded):
            super().save_model(request, obj, form, change)
            return
        changes = {f: form.cleaned_data[f] for f in form.changed_data if f in CORRECTABLE}
        if changes:
            original = Reference.objects.get(pk=obj.pk)
            correct_reference(original, changes=changes, reason=form.cleaned_data["correction_reason"], by=request.user)
            obj.refresh_from_db()


@admin.register(Profile)
class ProfileAdmin(SimpleHistoryAdmin):
    """Credentials an administrator records for a reviewer; public pages show them with the name."""

    list_display = ["user", "credentials"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "credentials"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
