"""What an audit event seals of the row it was written for: the row's digest.

Every history row of a governed model and every ClaimVersion gets exactly one event whose
`object_type` names the model and whose `history_id` is the row's id (a history row's
`history_id`, a version's `id`); its `digest` is SHA-256 over every column of the row (and a
history row's m2m snapshot), so the event's HMAC seal covers the row too. A row INSERTed
around the app has no event; a row edited or deleted with the triggers dropped no longer
matches its event, or leaves the event pointing at nothing. `verify` checks both directions
with `sealed_rows`, one streamed query per table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.db import models
from simple_history.utils import get_m2m_reverse_field_name

from content.models import ClaimVersion
from review.audit.chain import jsonable
from review.audit.guards import governed_models, history_model

CHUNK = 2000


def digest(table: type[models.Model], values: Mapping[str, Any], m2m: Mapping[str, Sequence[Any]]) -> str:
    """SHA-256 of one row: `values` by attname (every concrete column), `m2m` targets by field name.

    Each value goes through its field's `to_python` first, so a row digested in memory at
    write time ("3" assigned to an integer field) and read back from the database agree.
    """
    row = {f.attname: jsonable(f.to_python(values.get(f.attname))) for f in table._meta.concrete_fields}
    payload = {
        "table": table._meta.db_table,
        "row": row,
        # An empty set and no snapshot read alike: only targets count.
        "m2m": {name: sorted(jsonable(list(targets))) for name, targets in m2m.items() if targets},
    }
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def m2m_fields(hist: Any) -> list[Any]:
    return list(getattr(hist, "_history_m2m_fields", []))


def history_digest(row: Any, m2m: Mapping[str, Sequence[Any]] | None = None) -> str:
    """The digest of a simple-history row in memory; its m2m snapshot is read when not given."""
    hist = type(row)
    if m2m is None:
        m2m = {
            field.name: list(
                getattr(hist, field.name)
                .model._default_manager.filter(history_id=row.history_id)
                .values_list(get_m2m_reverse_field_name(field), flat=True)
            )
            for field in m2m_fields(hist)
        }
    return digest(hist, {f.attname: getattr(row, f.attname) for f in hist._meta.concrete_fields}, m2m)


def version_digest(version: ClaimVersion) -> str:
    return digest(
        ClaimVersion, {f.attname: getattr(version, f.attname) for f in ClaimVersion._meta.concrete_fields}, {}
    )


def sealed_tables() -> list[tuple[str, Any]]:
    """(object_type of its events, row model) for every table whose rows each have an event."""
    tables = [(model._meta.model_name or "", history_model(model)) for model in governed_models()]
    return [*tables, (ClaimVersion._meta.model_name or "", ClaimVersion)]


def sealed_rows(table: Any) -> Iterator[tuple[int, str]]:
    """(row id, digest) of every row of `table`, in id order: one streamed query, plus one per m2m snapshot."""
    pk = table._meta.pk.attname
    attnames = [f.attname for f in table._meta.concrete_fields]
    snapshots = [(field.name, _snapshots(table, field)) for field in m2m_fields(table)]
    pending: dict[str, tuple[int, Any] | None] = {name: next(rows, None) for name, rows in snapshots}
    for values in table._default_manager.order_by(pk).values(*attnames).iterator(chunk_size=CHUNK):
        row_id = values[pk]
        m2m: dict[str, list[Any]] = {}
        for name, rows in snapshots:
            targets = m2m.setdefault(name, [])
            # Both streams are in history_id order; a snapshot row of a missing history row is skipped.
            while (head := pending[name]) is not None and head[0] <= row_id:
                if head[0] == row_id:
                    targets.append(head[1])
                pending[name] = next(rows, None)
        yield row_id, digest(table, values, m2m)


def _snapshots(hist: Any, field: Any) -> Iterator[tuple[int, Any]]:
    snapshot = getattr(hist, field.name).model
    target = get_m2m_reverse_field_name(field)
    rows = snapshot._default_manager.order_by("history_id", target).values_list("history_id", target)
    return rows.iterator(chunk_size=CHUNK)
