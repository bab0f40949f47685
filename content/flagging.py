"""Storing and reading triage flags (the rules themselves are pure, in content.triage)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any, Protocol

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from content import triage
from content.models import Claim, ClaimFlag, ClaimVersion, Reference


def as_cited(ref: Reference) -> triage.Cited:
    """What triage needs to know of one cited work, with its current status."""
    return triage.Cited(label=ref.label, year=ref.year, status=ref.status, reason=ref.status_reason)


def cited_works(version: ClaimVersion) -> list[triage.Cited]:
    """The works a version cites, with their current status (a retraction after the fact counts)."""
    ids = [int(c["id"]) for c in version.citations if isinstance(c, dict) and c.get("id")]
    refs = {r.pk: r for r in Reference.objects.filter(pk__in=ids)}
    return [as_cited(ref) for ref in (refs.get(pk) for pk in ids) if ref is not None]


def flag_reason(version: int) -> str:
    """The change reason of the flags the rules raise on a version."""
    return f"Triage rules v{triage.RULES_VERSION} on version {version}"


class Advice(Protocol):
    """A raised flag: a triage.Flag, or advice the import raises itself (an unresolved citation)."""

    @property
    def code(self) -> Enum: ...
    @property
    def evidence(self) -> str: ...
    @property
    def why(self) -> str: ...


def new_flag(flag: Advice, *, version: int, **claim: Any) -> ClaimFlag:
    """An unsaved ClaimFlag row for one raised flag; `claim` is claim= or claim_id=."""
    return ClaimFlag(
        **claim,
        version=version,
        code=flag.code.value,
        evidence=flag.evidence,
        why=flag.why,
        rules_version=triage.RULES_VERSION,
    )


# record_flags() default: attribute flags to the version's writer.
_WRITER: Any = object()


def save_flag(claim_id: int, version: int, flag: Advice, *, actor: Any, reason: str) -> ClaimFlag | None:
    """Record one flag unless the same advice is already on this version (then None)."""
    if ClaimFlag.objects.filter(claim_id=claim_id, version=version, code=flag.code, evidence=flag.evidence).exists():
        return None
    row = new_flag(flag, version=version, claim_id=claim_id)
    row._history_user = actor  # type: ignore[attr-defined]
    row._change_reason = reason  # type: ignore[attr-defined]
    row.save()
    return row


def record_flags(version: ClaimVersion, *, actor: Any = _WRITER) -> list[ClaimFlag]:
    """Run the triage rules on a claim version and store what they raise (advice; never blocks).

    The flags are attributed to whoever wrote the version unless `actor` is
    given (a backfill passes None: the audit trail then names the system user).
    """
    flags = triage.assess(version.text, cited_works(version), year=timezone.now().year)
    reason = flag_reason(version.version)
    by = version.changed_by if actor is _WRITER else actor
    saved = [save_flag(version.claim_id, version.version, f, actor=by, reason=reason) for f in flags]
    return [row for row in saved if row is not None]


# --- Reading ----------------------------------------------------------------------------------------------------


def open_flags_prefetch() -> Prefetch[Any]:
    """Open flags of every version, in one query for a whole list; filter to the current version in Python."""
    return Prefetch("flags", queryset=ClaimFlag.objects.open().order_by("id"), to_attr="open_flags")


def current_open_flags(claim: Claim) -> list[ClaimFlag]:
    """Undismissed flags on the claim's current version (uses open_flags_prefetch() when it ran)."""
    flags: Iterable[ClaimFlag] | None = getattr(claim, "open_flags", None)
    if flags is None:
        flags = ClaimFlag.objects.open().filter(claim=claim).order_by("id")
    return [f for f in flags if f.version == claim.version]


def with_risk(qs: QuerySet[Claim]) -> QuerySet[Claim]:
    """Annotate `risk`: the number of undismissed flags on each claim's current version (a subquery, no join)."""
    open_on_current = (
        ClaimFlag.objects.open()
        .filter(claim=OuterRef("pk"), version=OuterRef("version"))
        .order_by()
        .values("claim")
        .annotate(n=Count("id"))
        .values("n")
    )
    return qs.annotate(risk=Coalesce(Subquery(open_on_current, output_field=IntegerField()), 0))


def advice_prefetches() -> list[Prefetch[Any]]:
    """What the claim JSON's risk_flags and library_matches read: two queries for a whole list."""
    from content.library import live_matches_prefetch

    return [open_flags_prefetch(), live_matches_prefetch()]
