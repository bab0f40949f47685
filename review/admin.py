from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from simple_history.admin import SimpleHistoryAdmin

from review.models import (
    ArticlePublication,
    Channel,
    ChannelToken,
    NuanceTag,
    Publication,
    WebhookDelivery,
    WebhookEndpoint,
)


@admin.register(NuanceTag)
class NuanceTagAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "high_risk", "active"]
    list_filter = ["high_risk", "active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Channel)
class ChannelAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "audience", "min_grade", "signatures_required", "max_length"]


class ReadOnlyAdmin(SimpleHistoryAdmin):
    """Rows written only by the publishing verbs (who and why recorded); the admin shows them."""

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ["claim", "version", "channel", "published_by", "published_at", "withdrawn_at", "withdraw_reason"]
    list_filter = ["channel", ("withdrawn_at", admin.EmptyFieldListFilter)]
    list_select_related = ["claim", "channel", "published_by"]


@admin.register(ArticlePublication)
class ArticlePublicationAdmin(ReadOnlyAdmin):
    list_display = ["article", "channel", "published_by", "published_at", "withdrawn_at", "withdraw_reason"]
    list_filter = ["channel", ("withdrawn_at", admin.EmptyFieldListFilter)]
    list_select_related = ["article", "channel", "published_by"]


@admin.register(ChannelToken)
class ChannelTokenAdmin(SimpleHistoryAdmin):
    """Keys are issued by `manage.py create_channel_token SLUG`; here they are named and revoked."""

    list_display = ["prefix", "channel", "name", "created_by", "created_at", "revoked_at"]
    list_filter = ["channel"]
    fields = ["channel", "name", "prefix", "created_by", "created_at", "revoked_at"]
    readonly_fields = ["channel", "prefix", "created_by", "created_at"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(SimpleHistoryAdmin):
    list_display = ["url", "channel", "active", "created_at"]
    list_filter = ["channel", "active"]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        # Deliveries keep pointing at it; deactivate instead.
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin[WebhookDelivery]):
    """The delivery log: what was sent where, how many attempts, and the last response or error."""

    list_display = ["id", "event", "endpoint", "status", "attempts", "response_code", "created_at", "delivered_at"]
    list_filter = ["status", "event", "endpoint__channel"]
    list_select_related = ["endpoint"]
    readonly_fields = [
        "endpoint",
        "event",
        "payload",
        "status",
        "attempts",
        "response_code",
        "last_error",
        "created_at",
        "next_attempt_at",
        "delivered_at",
    ]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


# Compliance (review.audit): users are deactivated, never deleted, so the names on old records stay readable.
# A pre_delete receiver refuses the deletion itself; this hides the button.
admin.site.unregister(User)


@admin.register(User)
class VettedUserAdmin(UserAdmin):
    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
