from typing import Any

from django.http import HttpRequest

from content.roles import navigation


def roles(request: HttpRequest) -> dict[str, Any]:
    """Which parts of the navigation this user gets."""
    if not request.user.is_authenticated:
        return {}
    return {"role": navigation(request.user)}
