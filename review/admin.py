from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from review.models import Channel, NuanceTag


@admin.register(NuanceTag)
class NuanceTagAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "high_risk", "active"]
    list_filter = ["high_risk", "active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Channel)
class ChannelAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "audience", "min_grade", "signatures_required", "max_length"]
