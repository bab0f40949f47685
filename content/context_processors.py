from typing import Any

from django.http import HttpRequest


def roles(request: HttpRequest) -> dict[str, Any]:
    """Which parts of the navigation this user gets."""
    user = request.user
    if not user.is_authenticated:
        return {}
    return {
        "role": {
            "author": user.has_perm("content.add_article"),
            "reviewer": user.has_perm("review.add_review"),
            "publisher": user.has_perm("review.add_publication"),
            "compliance": user.has_perm("review.view_auditevent"),
        }
    }
