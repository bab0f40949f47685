"""The audit trail: who changed, judged, signed and published what, when and why, provably unaltered.

- `chain`: the HMAC hash chain and its lock; `anchor`: the signed checkpoint log outside the database;
  `verify`: every event and the anchor log checked.
- `events`: one event per governed history row, plus business events (`record`).
- `guards`: which models are governed; the append-only triggers.
- `receivers`: the signal receivers that write events (loaded by the app config).
- `reconcile`: live rows against their latest history snapshot.
- `timeline`, `as_of`, `export`: reading the trail; `views`, `api`, `urls`: compliance pages and API.

The names other modules use are re-exported here, so callers write `audit.record(...)`.
"""

from review.audit.anchor import AnchorError, anchor_path, read_anchor, write_anchor
from review.audit.as_of import article_as_of, channel_feed_as_of, claim_as_of
from review.audit.chain import (
    CHAIN_LOCK_KEY,
    GENESIS,
    SYSTEM_USERNAME,
    AuditUnavailable,
    actor_or_system,
    canonical,
    compute_hash,
    ensure_database_ready,
    iso,
    jsonable,
    system_user,
    user_by_name,
)
from review.audit.events import append_event, derive_type, event_links, record, record_histories, record_history
from review.audit.guards import (
    append_only_tables,
    check_governed_managers,
    drop_append_only_triggers,
    governed_models,
    history_model,
    install_append_only_triggers,
    is_governed,
)
from review.audit.reconcile import Mismatch, reconcile
from review.audit.timeline import FilterError, event_json, filter_events, page_ids, parse_moment, rows_of
from review.audit.verify import Verification, run_verification, verify_chain

__all__ = [
    "CHAIN_LOCK_KEY",
    "GENESIS",
    "SYSTEM_USERNAME",
    "AnchorError",
    "AuditUnavailable",
    "FilterError",
    "Mismatch",
    "Verification",
    "actor_or_system",
    "anchor_path",
    "append_event",
    "append_only_tables",
    "article_as_of",
    "canonical",
    "channel_feed_as_of",
    "check_governed_managers",
    "claim_as_of",
    "compute_hash",
    "derive_type",
    "drop_append_only_triggers",
    "ensure_database_ready",
    "event_json",
    "event_links",
    "filter_events",
    "governed_models",
    "history_model",
    "install_append_only_triggers",
    "is_governed",
    "iso",
    "jsonable",
    "page_ids",
    "parse_moment",
    "read_anchor",
    "reconcile",
    "record",
    "record_histories",
    "record_history",
    "rows_of",
    "run_verification",
    "system_user",
    "user_by_name",
    "verify_chain",
    "write_anchor",
]
