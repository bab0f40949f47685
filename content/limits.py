"""Input bounds the database imposes, stated once for forms, serializers and URLs."""

# The largest value a 64-bit signed integer column holds. SQLite raises OverflowError on a
# larger parameter (a 500), so ids and versions from outside are refused above it first.
MAX_ID = 2**63 - 1


def is_id(text: str) -> bool:
    """Whether `text` is digits naming a possible id: a larger number would overflow the query."""
    return text.isdigit() and int(text) <= MAX_ID
