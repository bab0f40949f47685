"""Signal receivers of the content app (connected in ContentConfig.ready())."""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models.signals import post_migrate, post_save
from django.dispatch import receiver

from content import flagging, library
from content.models import ClaimVersion
from content.search import install_fts_index


@receiver(post_save, sender=ClaimVersion, dispatch_uid="vetted_triage_new_version")
def triage_new_version(sender: Any, instance: ClaimVersion, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """On import and on every revision: flag the new version now, match it against the library after commit.

    Flags are written in the same transaction as the version, so a version never
    exists without its advice. Fixture loading (raw) writes its own rows.
    """
    if not created or raw:
        return
    flagging.record_flags(instance)
    library.record_wording(instance)
    library.queue_matching(instance)


@receiver(post_migrate, dispatch_uid="vetted_search_index")
def _install_search_index(sender: Any, using: str = "default", **kwargs: Any) -> None:
    # After content's own migrations: a table rebuilt by one of them lost its index triggers.
    if getattr(sender, "label", None) == "content":
        install_fts_index(connections[using])
