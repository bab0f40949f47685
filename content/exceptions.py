"""The two kinds of refusal, and the optimistic lock's conflict.

`InvalidTransition` and `StaleVersion` are wrong state (HTTP 409); `NotAllowed` is the wrong
person (HTTP 403). Views and the API map them the same way (config.errors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from content.models import Claim


class InvalidTransition(Exception):
    """The object is in the wrong state for this action (HTTP 409)."""

    def __init__(self, action: str, status: str, why: str = "", *, subject: str = "a claim") -> None:
        self.action = action
        self.status = status
        # `why` names what blocks the move when the status alone does not (e.g. a reviewer opened it).
        message = f"Cannot {action.replace('_', ' ')} {subject} that is {status.replace('_', ' ')}"
        super().__init__(f"{message}: {why}." if why else f"{message}.")


class NotAllowed(PermissionDenied):
    """The actor may not do this to this object (HTTP 403)."""


class StaleVersion(Exception):
    """Optimistic lock: the claim moved on since the editor loaded it (HTTP 409)."""

    def __init__(self, claim: Claim, expected_version: int) -> None:
        self.current_version = claim.version
        self.current_text = claim.text
        self.expected_version = expected_version
        super().__init__(
            f"This claim is at version {claim.version}; your edit started from version "
            f"{expected_version}. Nothing was saved."
        )


class DuplicateImport(Exception):
    """The author already imported this very text (HTTP 409): importing it again needs `force`."""

    def __init__(self, article_id: int, title: str) -> None:
        self.article_id = article_id
        self.title = title
        super().__init__(f"You already imported this text as “{title}”. Open it, or import again with force.")
