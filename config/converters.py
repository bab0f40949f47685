"""The `<id:...>` URL converter: Django's `int`, bounded to what a database id can be."""

from __future__ import annotations

from django.urls.converters import IntConverter

from content.limits import MAX_ID


class IdConverter(IntConverter):
    """Digits up to 2**63 - 1; a larger number matches no URL (404) instead of overflowing SQLite (500)."""

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            # A ValueError from to_python is how a converter says "not this pattern".
            raise ValueError(f"{value} is beyond any id")
        return number
