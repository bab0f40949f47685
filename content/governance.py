"""Guarded write paths for governed models (every model whose changes are audited).

`QuerySet.update()`, `bulk_update()`, `bulk_create()` and a queryset's
`.delete()` write rows without calling `save()`/`delete()` on each instance, so
django-simple-history records nothing and no audit event is derived: a change
nobody could reconstruct. They are refused on every governed model; change
rows one at a time, through their verbs, which record who and why.

Every model with a history manager in the content and review apps uses
`GovernedQuerySet` (or a subclass) for its default manager; a system check in
review.audit warns about one that does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn, TypeVar

from django.db import models

from content.exceptions import NotAllowed

_M = TypeVar("_M", bound=models.Model)


class GovernedQuerySet(models.QuerySet[_M]):
    def _refuse(self, what: str) -> NoReturn:
        raise NotAllowed(
            f"{what} on {self.model._meta.object_name} is blocked: it would bypass the audit trail. "
            "Change rows one at a time through their verbs."
        )

    def update(self, **kwargs: Any) -> int:
        self._refuse("QuerySet.update()")

    def bulk_update(self, objs: Iterable[_M], fields: Iterable[str], batch_size: int | None = None) -> int:
        self._refuse("bulk_update()")

    def bulk_create(self, objs: Iterable[_M], *args: Any, **kwargs: Any) -> list[_M]:
        self._refuse("bulk_create()")

    def delete(self) -> tuple[int, dict[str, int]]:
        self._refuse("QuerySet.delete()")


def bulk_insert_bypassing_audit(model: type[_M], objs: list[_M], batch_size: int | None = None) -> list[_M]:
    """INSERT rows of a governed model in bulk WITHOUT history rows or audit events.

    The sanctioned bypass for the two writers that write the matching history rows
    themselves, in the same transaction, and so the audit events: `content.bulk`
    (creating claims many at a time) and `generate_load_data` (load-test data).
    `reconcile_history` and `verify_audit` still pass. Any other caller would
    create rows nobody can reconstruct: don't.
    """
    plain: models.QuerySet[_M] = models.QuerySet(model=model)
    return plain.bulk_create(objs, batch_size=batch_size)


def save_as(obj: models.Model, by: Any, reason: str, **kwargs: Any) -> None:
    """Save a governed row with its history attribution: who (`by`) and why (`reason`).

    simple-history reads these two attributes when it writes the history row, and the
    audit event is derived from that row, so every verb saves through here.
    """
    obj._history_user = by  # type: ignore[attr-defined]
    obj._change_reason = reason  # type: ignore[attr-defined]
    obj.save(**kwargs)
