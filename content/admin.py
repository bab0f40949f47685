from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

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


@admin.register(Reference)
class ReferenceAdmin(SimpleHistoryAdmin):
    list_display = ["label", "authors", "year", "status"]
    search_fields = ["label", "authors", "title", "doi"]


@admin.register(Profile)
class ProfileAdmin(SimpleHistoryAdmin):
    """Credentials an administrator records for a reviewer; public pages show them with the name."""

    list_display = ["user", "credentials"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "credentials"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
