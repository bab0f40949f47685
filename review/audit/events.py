"""Audit events: one per history row of a governed model, plus business events (refusals, logins)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone
from simple_history.utils import get_m2m_reverse_field_name

from content.models import Article, Claim, ClaimVersion
from review.audit.chain import actor_or_system, append_to_chain, jsonable
from review.audit.rows import history_digest, version_digest
from review.models import AuditEvent, Channel


def record(
    actor: Any,
    type: str,
    obj: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
    reason: str = "",
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    at: datetime | None = None,
    history_id: int | None = None,
) -> AuditEvent:
    """Append one business event (login, refusal, ...). `changes` is `{field: [old, new]}`."""
    links: dict[str, int | None] = {"claim_id": None, "article_id": None, "channel_id": None}
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = str(obj.pk) if object_id is None else object_id
        links = event_links(obj.__class__, lambda attname: getattr(obj, attname, None), obj)
    return append_event(
        actor=actor_or_system(actor),
        type=type[:60],
        object_type=(object_type or "")[:60],
        object_id=(object_id or "")[:60],
        changes=dict(changes or {}),
        reason=reason or "",
        at=at or timezone.now(),
        history_id=history_id,
        **links,
    )


def append_event(*, actor: Any, changes: dict[str, Any], at: datetime, **fields: Any) -> AuditEvent:
    """Link one event to the head of the chain, inside the caller's transaction (see append_to_chain)."""
    event = AuditEvent(actor=actor, actor_username=actor.get_username(), changes=jsonable(changes), at=at, **fields)
    append_to_chain([event])
    return event


def _foreign_keys(model: type[models.Model]) -> list[Any]:
    # ForeignKey and OneToOneField (a Signature's review) alike.
    return [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]


def _fk_to(model: type[models.Model], target: type[models.Model]) -> Any:
    for field in _foreign_keys(model):
        if field.related_model is target:
            return field
    return None


def event_links(model: type[models.Model], get: Callable[[str], Any], instance: Any = None) -> dict[str, int | None]:
    """The claim, article and channel an object is or belongs to (for filtering the timeline)."""
    pk = get(model._meta.pk.attname)
    claim_id = pk if issubclass(model, Claim) else None
    article_id = pk if issubclass(model, Article) else None
    channel_id = pk if issubclass(model, Channel) else None
    fks = _foreign_keys(model)
    for fk in fks:
        value = get(fk.attname)
        if value is None:
            continue
        if fk.related_model is Claim and claim_id is None:
            claim_id = value
        elif fk.related_model is Article and article_id is None:
            article_id = value
        elif fk.related_model is Channel and channel_id is None:
            channel_id = value
    if claim_id is None:
        # One hop, e.g. Signature -> Review -> Claim.
        for fk in fks:
            related: Any = fk.related_model
            via = _fk_to(related, Claim)
            value = get(fk.attname)
            if via is None or value is None:
                continue
            cached = instance._state.fields_cache.get(fk.name) if instance is not None else None
            if cached is not None:
                claim_id = getattr(cached, via.attname)
            else:
                claim_id = related._base_manager.filter(pk=value).values_list(via.attname, flat=True).first()
            break
    if claim_id is not None and article_id is None:
        cached_claim = instance._state.fields_cache.get("claim") if instance is not None else None
        if isinstance(cached_claim, Claim):
            article_id = cached_claim.article_id
        else:
            article_id = Claim._base_manager.filter(pk=claim_id).values_list("article_id", flat=True).first()
    return {"claim_id": claim_id, "article_id": article_id, "channel_id": channel_id}


def _m2m_targets(field: Any, rows: Any) -> list[Any]:
    target = get_m2m_reverse_field_name(field)
    return sorted(row[target] for row in rows)


def derive_type(model_name: str, history_type: str, changes: Mapping[str, Any], m2m_names: set[str]) -> str:
    """A readable event type: claim.created, claim.revised, claim.status.in_review->approved, ..."""
    if history_type == "+":
        kind = "created"
    elif history_type == "-":
        kind = "deleted"
    elif "version" in changes:
        kind = "revised"  # a content revision (its status change, if any, is in the changes)
    elif "status" in changes:
        old, new = changes["status"]
        kind = f"status.{old}->{new}"
    elif stamped := [f for f, (old, new) in changes.items() if f.endswith("_at") and old is None and new]:
        kind = stamped[0][: -len("_at")]  # withdrawn_at set: publication.withdrawn
    elif len(changes) == 1 and next(iter(changes)) in m2m_names:
        kind = f"{next(iter(changes))}.changed"
    else:
        kind = "updated"
    return f"{model_name}.{kind}"[:60]


def history_changes(history_instance: Any) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for one history row, from `diff_against` its object's previous row."""
    hist = type(history_instance)
    model = hist.instance_type
    pk_attname = model._meta.pk.attname
    fields = [f for f in hist.tracked_fields if f.editable and not f.primary_key]
    m2m = {f.name: f for f in hist._history_m2m_fields}
    if history_instance.history_type == "-":
        return {f.name: [jsonable(getattr(history_instance, f.attname)), None] for f in fields}
    previous = None
    if history_instance.history_type == "~":
        # By history_id, not history_date: two saves in the same microsecond still have an order.
        previous = (
            hist._default_manager.filter(
                **{pk_attname: getattr(history_instance, pk_attname)}, history_id__lt=history_instance.history_id
            )
            .order_by("-history_id")
            .first()
        )
    if previous is None:
        return {f.name: [None, jsonable(getattr(history_instance, f.attname))] for f in fields}
    delta = history_instance.diff_against(previous)
    changes: dict[str, list[Any]] = {}
    for change in delta.changes:
        if change.field in m2m:
            old, new = _m2m_targets(m2m[change.field], change.old), _m2m_targets(m2m[change.field], change.new)
        else:
            old, new = change.old, change.new
        changes[change.field] = [jsonable(old), jsonable(new)]
    return changes


def _event(
    history_instance: Any, instance: Any, changes: dict[str, list[Any]], m2m: dict[str, list[Any]] | None = None
) -> AuditEvent:
    """The (unchained) AuditEvent of one simple-history row whose changes (and m2m snapshot, if read) are known."""
    hist = type(history_instance)
    model = hist.instance_type
    m2m_names = {f.name for f in hist._history_m2m_fields}
    links = event_links(model, lambda attname: getattr(history_instance, attname, None), instance)
    actor = actor_or_system(history_instance.history_user)
    return AuditEvent(
        actor=actor,
        actor_username=actor.get_username(),
        type=derive_type(model._meta.model_name, history_instance.history_type, changes, m2m_names)[:60],
        object_type=model._meta.model_name[:60],
        object_id=str(getattr(history_instance, model._meta.pk.attname))[:60],
        history_id=history_instance.history_id,
        digest=history_digest(history_instance, m2m),
        changes=changes,
        reason=history_instance.history_change_reason or "",
        at=history_instance.history_date,
        **links,
    )


def _version_event(version: ClaimVersion) -> AuditEvent:
    """The (unchained) AuditEvent of one ClaimVersion: what exactly was said, sealed when it was written."""
    links = event_links(ClaimVersion, lambda attname: getattr(version, attname, None), version)
    actor = actor_or_system(version.changed_by)
    return AuditEvent(
        actor=actor,
        actor_username=actor.get_username(),
        type="claimversion.created",
        object_type="claimversion",
        object_id=str(version.pk),
        history_id=version.pk,
        digest=version_digest(version),
        changes={"version": [None, version.version], "content_hash": [None, version.content_hash]},
        reason=version.change_reason,
        at=version.changed_at,
        **links,
    )


def record_version(version: ClaimVersion) -> AuditEvent:
    """The AuditEvent for one ClaimVersion."""
    event = _version_event(version)
    append_to_chain([event])
    return event


def record_history(history_instance: Any, instance: Any = None) -> AuditEvent:
    """The AuditEvent for one simple-history row."""
    event = _event(history_instance, instance, history_changes(history_instance))
    append_to_chain([event])
    return event


def _m2m_snapshots(rows: list[Any]) -> dict[tuple[int, str], list[Any]]:
    """The sorted m2m targets of each history row, by (history_id, field name): one query per table and chunk."""
    ids_of: dict[Any, list[int]] = {}
    for row in rows:
        ids_of.setdefault(type(row), []).append(row.history_id)
    targets: dict[tuple[int, str], list[Any]] = {}
    for hist, ids in ids_of.items():
        for field in hist._history_m2m_fields:
            snapshot = getattr(hist, field.name).model
            target = get_m2m_reverse_field_name(field)
            for start in range(0, len(ids), 500):  # under every backend's limit of query parameters
                chunk = snapshot.objects.filter(history_id__in=ids[start : start + 500])
                for history_id, value in chunk.values_list("history_id", target):
                    targets.setdefault((history_id, field.name), []).append(value)
    return {key: sorted(values) for key, values in targets.items()}


def _diff(row: Any, previous: Any, m2m: dict[tuple[int, str], list[Any]]) -> dict[str, list[Any]]:
    """history_changes of a "~" row against its previous row, both in memory: diff_against's fields and order."""
    hist = type(row)
    m2m_names = {f.name for f in hist._history_m2m_fields}
    names = {f.name for f in hist.tracked_fields if f.editable} | m2m_names
    changes: dict[str, list[Any]] = {}
    for name in sorted(names):
        if name in m2m_names:
            old, new = m2m.get((previous.history_id, name), []), m2m.get((row.history_id, name), [])
        else:
            field = hist._meta.get_field(name)
            old, new = field.value_from_object(previous), field.value_from_object(row)
        if old != new:
            changes[name] = [jsonable(old), jsonable(new)]
    return changes


def _with_versions(events: list[AuditEvent], versions: Sequence[ClaimVersion]) -> list[AuditEvent]:
    """`events` with each version's event after the last event of its claim (at the end if there is none)."""
    last_of: dict[int | None, int] = {event.claim_id: i for i, event in enumerate(events)}
    after: dict[int, list[AuditEvent]] = {}
    unplaced: list[AuditEvent] = []
    for version in versions:
        event = _version_event(version)
        if version.claim_id in last_of:
            after.setdefault(last_of[version.claim_id], []).append(event)
        else:
            unplaced.append(event)
    out: list[AuditEvent] = []
    for i, event in enumerate(events):
        out.append(event)
        out.extend(after.get(i, []))
    return out + unplaced


def record_histories(records: list[tuple[Any, Any]], versions: Sequence[ClaimVersion] = ()) -> list[AuditEvent]:
    """The AuditEvents of many (history row, object) pairs written together, chained in one step.

    A "~" row whose previous row of the same object is earlier in `records` is
    diffed in memory (its m2m snapshots read in one query per table); any other
    row goes through history_changes, as a row saved on its own does. Each of
    `versions` gets its event after the last event of its claim, where saving the
    version on its own puts it (after the triage flags its post_save raises).
    """
    m2m = _m2m_snapshots([row for row, _ in records if row._history_m2m_fields])
    last: dict[tuple[Any, Any], Any] = {}
    events = []
    for row, instance in records:
        key = (type(row), getattr(row, type(row).instance_type._meta.pk.attname))
        previous = last.get(key)
        if row.history_type == "~" and previous is not None:
            changes = _diff(row, previous, m2m)
        else:
            changes = history_changes(row)
        snapshot = {f.name: m2m.get((row.history_id, f.name), []) for f in row._history_m2m_fields}
        events.append(_event(row, instance, changes, snapshot))
        last[key] = row
    if versions:
        events = _with_versions(events, versions)
    append_to_chain(events)
    return events
