from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from review.models import Notification


def unread(request: HttpRequest) -> dict[str, Any]:
    """The header's unread count, counted only on pages that show it (one indexed query)."""
    if not request.user.is_authenticated:
        return {}
    user = request.user
    return {"unread_notifications": SimpleLazyObject(lambda: Notification.objects.for_user(user).unread().count())}
