"""Reconcile live rows with their latest history snapshot: catches raw SQL on live tables."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models

from review.audit.guards import governed_models, history_model


@dataclass
class Mismatch:
    model: str
    object_id: Any
    problem: str

    def __str__(self) -> str:
        return f"{self.model} #{self.object_id}: {self.problem}"


def reconcile() -> Iterator[Mismatch]:
    """Every governed row must equal its latest history snapshot (all tracked fields and m2m sets)."""
    for model in governed_models():
        yield from _reconcile_model(model)


def _latest_snapshots(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """From rows sorted by (object pk, history_id), the last row of each object."""
    last: tuple[Any, ...] | None = None
    for row in rows:
        if last is not None and row[0] != last[0]:
            yield last
        last = row
    if last is not None:
        yield last


def _reconcile_model(model: type[models.Model]) -> Iterator[Mismatch]:
    hist = history_model(model)
    label = model._meta.label
    pk = model._meta.pk.attname
    attnames = [pk] + [f.attname for f in hist.tracked_fields if f.attname != pk]
    live = model._base_manager.order_by(pk).values_list(*attnames).iterator(chunk_size=2000)
    snapshots = _latest_snapshots(
        hist._default_manager.order_by(pk, "history_id")
        .values_list(*attnames, "history_type", "history_id")
        .iterator(chunk_size=2000)
    )
    alive: dict[Any, int] = {}  # object pk -> latest history_id, for the m2m comparison
    row = next(live, None)
    snap = next(snapshots, None)
    while row is not None or snap is not None:
        if snap is None or (row is not None and row[0] < snap[0]):
            assert row is not None
            yield Mismatch(label, row[0], "has no history record (written without save())")
            row = next(live, None)
        elif row is None or snap[0] < row[0]:
            if snap[-2] != "-":
                yield Mismatch(label, snap[0], "is in its history but gone from the table (deleted without delete())")
            snap = next(snapshots, None)
        else:
            if snap[-2] == "-":
                yield Mismatch(label, row[0], "is deleted in its history but still in the table")
            for name, now, then in zip(attnames[1:], row[1:], snap[1:-2], strict=True):
                if now != then:
                    yield Mismatch(label, row[0], f"{name} is {now!r} but its latest history says {then!r}")
            alive[row[0]] = snap[-1]
            row, snap = next(live, None), next(snapshots, None)
    for field in hist._history_m2m_fields:
        yield from _reconcile_m2m(model, hist, field, alive)


def _reconcile_m2m(model: type[models.Model], hist: Any, field: Any, alive: dict[Any, int]) -> Iterator[Mismatch]:
    through = field.remote_field.through
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    live: dict[Any, list[Any]] = {}
    for src, dst in through._default_manager.values_list(source, target).iterator(chunk_size=2000):
        live.setdefault(src, []).append(dst)
    m2m_history = getattr(hist, field.name).model
    by_history = {history_id: obj for obj, history_id in alive.items()}
    recorded: dict[Any, list[Any]] = {}
    history_ids = list(by_history)
    for start in range(0, len(history_ids), 500):
        chunk = history_ids[start : start + 500]
        for history_id, dst in m2m_history._default_manager.filter(history_id__in=chunk).values_list(
            "history_id", target
        ):
            recorded.setdefault(by_history[history_id], []).append(dst)
    for obj in sorted(set(live) | set(recorded), key=str):
        now, then = sorted(live.get(obj, [])), sorted(recorded.get(obj, []))
        if now != then and obj in alive:
            yield Mismatch(model._meta.label, obj, f"{field.name} is {now} but its latest history says {then}")
        elif now and obj not in alive:
            yield Mismatch(model._meta.label, obj, f"{field.name} has rows for an object without history")
