"""Names for the ids an audit event's changes hold: "Pat Publisher (#5)" rather than 5.

The trail keeps ids (they never change; names do). A page of the timeline or a dossier
reads the names of every id its events mention in one query per related model, and shows
the name beside the id, so the record reads as a record and can still be matched to the rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

from content.models import Claim
from review.audit.guards import GOVERNED_APPS
from review.models import AuditEvent


@cache
def related_fields(object_type: str) -> dict[str, type[models.Model]]:
    """The foreign-key and many-to-many fields of the governed model named `object_type`, by field name."""
    for label in GOVERNED_APPS:
        try:
            model = apps.get_model(label, object_type)
        except LookupError:
            continue
        # A claim is shown by its number already, linked to its dossier.
        return {
            f.name: f.related_model
            for f in model._meta.get_fields()
            if f.is_relation
            and not f.auto_created
            and isinstance(f.related_model, type)
            and f.related_model is not Claim
        }
    return {}


def _label(obj: Any) -> str:
    if isinstance(obj, get_user_model()):
        return str(obj.get_full_name() or obj.get_username())
    for attribute in ("label", "name", "title"):
        if isinstance(value := getattr(obj, attribute, None), str) and value:
            return value
    return str(obj)


def _ids(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def names_for(events: Iterable[AuditEvent]) -> dict[tuple[type[models.Model], int], str]:
    """The name of every related object the events' changes mention, by (model, id)."""
    wanted: dict[type[models.Model], set[int]] = {}
    for event in events:
        related = related_fields(event.object_type)
        for name, pair in (event.changes or {}).items():
            if name in related and isinstance(pair, list):
                for value in pair:
                    wanted.setdefault(related[name], set()).update(_ids(value))
    found: dict[tuple[type[models.Model], int], str] = {}
    for model, ids in wanted.items():
        for obj in model._base_manager.filter(pk__in=ids):
            found[(model, obj.pk)] = _label(obj)
    return found


def named(event: AuditEvent, field: str, value: Any, names: dict[tuple[type[models.Model], int], str]) -> Any:
    """`value` of `field` with each id shown as "name (#id)"; anything else as it is."""
    model = related_fields(event.object_type).get(field)
    if model is None or value is None:
        return value
    ids = _ids(value)
    if not ids:
        return value
    shown = [f"{names[(model, pk)]} (#{pk})" if (model, pk) in names else f"#{pk}" for pk in ids]
    return ", ".join(shown) if isinstance(value, list) else shown[0]
