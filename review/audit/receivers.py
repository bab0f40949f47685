"""Signal receivers that turn history rows, refusals, logins and migrations into audit events and triggers."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import connections
from django.db.models.signals import post_migrate, post_save, pre_delete
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from content import signals as content_signals
from content.exceptions import NotAllowed
from review.audit.chain import system_user
from review.audit.events import record, record_histories, record_history
from review.audit.guards import history_model, install_append_only_triggers, is_governed
from review.models import Refusal

logger = logging.getLogger(__name__)


@receiver(post_migrate, dispatch_uid="vetted_audit_triggers")
def _install_triggers_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    # Once per migrate run: review is the last governed app, so every history table exists by then.
    if getattr(sender, "label", None) == "review":
        install_append_only_triggers(connections[using])


@receiver(pre_create_historical_record, dispatch_uid="vetted_audit_history_user")
def _attribute_history(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    # The history row itself never has a null user either: outside a request it is the system user.
    if is_governed(sender.instance_type) and history_instance.history_user_id is None:
        history_instance.history_user = system_user()


@receiver(post_create_historical_record, dispatch_uid="vetted_audit_history_event")
def _history_to_event(sender: Any, instance: Any, history_instance: Any, **kwargs: Any) -> None:
    if is_governed(sender.instance_type):
        record_history(history_instance, instance)


@receiver(content_signals.history_created_in_bulk, dispatch_uid="vetted_audit_bulk_history_events")
def _bulk_history_to_events(sender: Any, records: list[tuple[Any, Any]], **kwargs: Any) -> None:
    record_histories([(row, instance) for row, instance in records if is_governed(type(row).instance_type)])


@receiver(post_save, dispatch_uid="vetted_audit_raw_save")
def _record_raw_save(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """loaddata saves with raw=True and simple-history records nothing: write the history row and event here."""
    if not raw or not is_governed(sender):
        return
    hist = history_model(sender)
    row = hist(
        history_date=timezone.now(),
        history_type="+" if created else "~",
        history_user=system_user(),
        history_change_reason="Loaded from a fixture (loaddata)",
        **{f.attname: getattr(instance, f.attname) for f in hist.tracked_fields},
    )
    row.save(using=kwargs.get("using"))
    record_history(row, instance)


@receiver(post_save, sender=Refusal, dispatch_uid="vetted_audit_refusal")
def _record_refusal(sender: Any, instance: Refusal, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:
        record(
            instance.user,
            f"review.refused.{instance.kind}",
            instance,
            {"version": [None, instance.version], "kind": [None, instance.kind]},
            instance.get_kind_display(),
            at=instance.at,
        )


@receiver(user_logged_in, dispatch_uid="vetted_audit_login")
def _record_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(user, "auth.login", user)


@receiver(user_login_failed, dispatch_uid="vetted_audit_login_failed")
def _record_login_failure(sender: Any, credentials: Mapping[str, Any], request: Any = None, **kwargs: Any) -> None:
    user_model = get_user_model()
    attempted = str(credentials.get(user_model.USERNAME_FIELD) or credentials.get("username") or "")[:150]
    known = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: attempted}).first() if attempted else None
    record(
        system_user(),
        "auth.login_failed",
        None,
        {"username": [None, attempted]},
        "Wrong username or password",
        object_type="user",
        object_id=str(known.pk) if known else "",
    )


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="vetted_audit_user_delete")
def _refuse_user_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    raise NotAllowed("Users are never deleted: deactivate the account, so names on old records stay readable.")


@receiver(user_locked_out, dispatch_uid="vetted_audit_lockout")
def audit_lockout(sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any) -> None:
    """Every lockout is an audit event (the audit trail records logins and failures itself)."""
    attempted = (username or "")[:150]
    user_model = get_user_model()
    known = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: attempted}).first() if attempted else None
    logger.warning("login locked out", extra={"username": attempted, "known_user": known is not None})
    record(
        system_user(),
        "auth.locked_out",
        None,
        {"username": [None, attempted]},
        "Too many failed logins",
        object_type="user",
        object_id=str(known.pk) if known else "",
    )
