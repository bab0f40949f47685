"""Search across articles and claims: the engine (one interface over PostgreSQL full-text search,
SQLite FTS5 and a LIKE fallback), the search page and its API."""

from content.search.engine import (
    STATUSES,
    TYPES,
    Hit,
    Results,
    SearchError,
    fts5_available,
    install_fts_index,
    search,
)

__all__ = ["STATUSES", "TYPES", "Hit", "Results", "SearchError", "fts5_available", "install_fts_index", "search"]
