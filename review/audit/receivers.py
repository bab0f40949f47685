"""Signal receivers: history rows, refusals, logins, account changes and migrations into audit events."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import connections
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.authtoken.models import Token, TokenProxy
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from content import signals as content_signals
from content.exceptions import NotAllowed
from content.models import ClaimVersion
from review.audit.chain import system_user
from review.audit.events import record, record_histories, record_history, record_version
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
def _bulk_history_to_events(
    sender: Any, records: list[tuple[Any, Any]], versions: Sequence[ClaimVersion] = (), **kwargs: Any
) -> None:
    record_histories(
        [(row, instance) for row, instance in records if is_governed(type(row).instance_type)], versions=versions
    )


@receiver(post_save, sender=ClaimVersion, dispatch_uid="vetted_audit_claim_version")
def _version_to_event(sender: Any, instance: ClaimVersion, created: bool, **kwargs: Any) -> None:
    # Versions are never updated (ClaimVersion.save refuses), so every save here is a new one,
    # loaddata's raw saves included.
    if created:
        record_version(instance)


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


def attempted_name(attempted: str) -> tuple[str, dict[str, list[Any]]]:
    """The object id and changes an event about a login attempt may keep of the typed username.

    People type their password into the username field: the trail, which is kept for
    years and shown to compliance staff, must never hold what an unknown name was. A known
    user is named by id (and name); an unknown name only by a keyed hash (HMAC-SHA256 under
    AUDIT_KEY), enough to see that the same name was tried again, useless to read back.
    """
    user_model = get_user_model()
    known = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: attempted}).first() if attempted else None
    if known is not None:
        # Exactly an existing account's name, so not a mistyped password: readable in the timeline.
        return str(known.pk), {"username": [None, known.get_username()]}
    if not attempted:
        return "", {}
    digest = hmac.new(settings.AUDIT_KEY.encode(), attempted.encode(), hashlib.sha256).hexdigest()[:32]
    return "", {"unknown_username_hmac": [None, digest]}


@receiver(user_login_failed, dispatch_uid="vetted_audit_login_failed")
def _record_login_failure(sender: Any, credentials: Mapping[str, Any], request: Any = None, **kwargs: Any) -> None:
    user_model = get_user_model()
    attempted = str(credentials.get(user_model.USERNAME_FIELD) or credentials.get("username") or "")[:150]
    object_id, changes = attempted_name(attempted)
    record(
        system_user(),
        "auth.login_failed",
        None,
        changes,
        "Wrong username or password",
        object_type="user",
        object_id=object_id,
    )


@receiver(user_logged_out, dispatch_uid="vetted_audit_logout")
def _record_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # Logging out with no session (an expired one) is no one's logout.
    if user is not None and user.pk:
        record(user, "auth.logout", user)


def request_user() -> Any:
    """Who is acting in this request (simple-history's middleware keeps the request), else None."""
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _m2m_labels(model: Any, pks: set[Any]) -> dict[Any, str]:
    if model is Permission:
        rows = Permission.objects.filter(pk__in=pks).select_related("content_type")
        return {p.pk: f"{p.content_type.app_label}.{p.codename}" for p in rows}
    return {g.pk: g.name for g in model._default_manager.filter(pk__in=pks)}


def _record_grants(field: str, kind: str, instance: Any, reverse: bool, model: Any, pks: set[Any], added: bool) -> None:
    """One event per user: the groups (roles) or permissions granted or taken away, by name."""
    if not pks:
        return
    if reverse:  # group.user_set.add(user): the instance is the group or permission, the pks are users
        names = [_m2m_labels(type(instance), {instance.pk})[instance.pk]]
        pairs = [(user, names) for user in model._default_manager.filter(pk__in=pks).order_by("pk")]
    else:
        pairs = [(instance, sorted(_m2m_labels(model, pks).values()))]
    for user, granted in pairs:
        change = [None, granted] if added else [granted, None]
        record(request_user(), f"auth.{kind}_{'added' if added else 'removed'}", user, {field: change})


def _grants_receiver(field: str, kind: str) -> Any:
    def receive(
        sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: set[Any] | None, **kwargs: Any
    ) -> None:
        if action == "pre_clear":
            # post_clear no longer knows what was there: name it before it goes.
            if reverse:
                instance._vetted_audit_cleared = set(instance.user_set.values_list("pk", flat=True))
            else:
                instance._vetted_audit_cleared = set(getattr(instance, field).values_list("pk", flat=True))
        elif action == "post_clear":
            _record_grants(
                field, kind, instance, reverse, model, getattr(instance, "_vetted_audit_cleared", set()), added=False
            )
        elif action in {"post_add", "post_remove"}:
            _record_grants(field, kind, instance, reverse, model, set(pk_set or ()), added=action == "post_add")

    return receive


_record_group_grants = _grants_receiver("groups", "group")
_record_permission_grants = _grants_receiver("user_permissions", "permission")
m2m_changed.connect(_record_group_grants, sender=get_user_model().groups.through, dispatch_uid="vetted_audit_groups")
m2m_changed.connect(
    _record_permission_grants, sender=get_user_model().user_permissions.through, dispatch_uid="vetted_audit_perms"
)


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="vetted_audit_user_before")
def _remember_account_state(
    sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    """Before a user is saved, what activation and password were, for the events after it."""
    if raw or instance.pk is None or (update_fields is not None and not {"is_active", "password"} & set(update_fields)):
        return  # a login's last_login update reads nothing
    before = sender._default_manager.filter(pk=instance.pk).values("is_active", "password").first()
    instance._vetted_audit_before = before


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="vetted_audit_user_after")
def _record_account_changes(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    before = instance.__dict__.pop("_vetted_audit_before", None)
    if created or raw or before is None:
        return
    actor = request_user()
    if before["is_active"] != instance.is_active:
        kind = "activated" if instance.is_active else "deactivated"
        record(actor, f"auth.user_{kind}", instance, {"is_active": [before["is_active"], instance.is_active]})
    # set_password() leaves the raw password in _password until the save ends; a login that
    # upgrades the hasher saves a new hash of the same password with _password cleared
    # (Django's own test for "changed", the one its password validators use).
    if before["password"] != instance.password and getattr(instance, "_password", None) is not None:
        # Never the hash or the password: only that it changed, by whom.
        record(actor, "auth.password_changed", instance, {})


@receiver(post_save, sender=Token, dispatch_uid="vetted_audit_token_created")
@receiver(post_save, sender=TokenProxy, dispatch_uid="vetted_audit_token_proxy_created")
def _record_token_created(sender: Any, instance: Token, created: bool, raw: bool = False, **kwargs: Any) -> None:
    # The admin saves through TokenProxy, which is its own sender. The key is the token's
    # primary key and its secret: the event names the user only.
    if created and not raw:
        record(request_user() or instance.user, "auth.token_created", instance.user, {}, object_type="token")


# By sender, never for every model: a post_delete receiver for all senders turns off
# Django's fast (one-query) deletes everywhere.
@receiver(post_delete, sender=Token, dispatch_uid="vetted_audit_token_deleted")
@receiver(post_delete, sender=TokenProxy, dispatch_uid="vetted_audit_token_proxy_deleted")
def _record_token_deleted(sender: Any, instance: Token, **kwargs: Any) -> None:
    record(request_user() or instance.user, "auth.token_deleted", instance.user, {}, object_type="token")


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="vetted_audit_user_delete")
def _refuse_user_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    raise NotAllowed("Users are never deleted: deactivate the account, so names on old records stay readable.")


@receiver(user_locked_out, dispatch_uid="vetted_audit_lockout")
def audit_lockout(sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any) -> None:
    """Every lockout is an audit event (the audit trail records logins and failures itself)."""
    object_id, changes = attempted_name((username or "")[:150])
    # The log line, like the event, never carries an unknown typed name (it may be a password).
    logger.warning("login locked out", extra={"user_id": object_id, "known_user": bool(object_id)})
    record(
        system_user(),
        "auth.locked_out",
        None,
        changes,
        "Too many failed logins",
        object_type="user",
        object_id=object_id,
    )
