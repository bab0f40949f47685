"""Storing and reading triage flags (the rules themselves are pure, in content.triage)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from content import triage
from content.models import Article, Claim, ClaimFlag, ClaimStatus, ClaimVersion, Reference, cited_ids


def as_cited(ref: Reference) -> triage.Cited:
    """What triage needs to know of one cited work, with its current status and title (for its design)."""
    return triage.Cited(label=ref.label, year=ref.year, status=ref.status, reason=ref.status_reason, title=ref.title)


def article_year(article: Article) -> int:
    """The article's own year for old_citation: from its metadata or byline, else the year it was imported."""
    return triage.article_year(article.source_text, article.created_at.year)


@dataclass(frozen=True)
class ArticleFacts:
    """What triage needs of a claim's article: its year, its own study design, and whether it mentions harms."""

    year: int
    context: triage.Context
    texts: tuple[str, ...]


def article_facts(article_id: int) -> ArticleFacts:
    """Read the article's year and its live claims' texts (two small queries)."""
    article = Article.objects.only("source_text", "created_at").get(pk=article_id)
    texts = tuple(
        Claim.objects.filter(article_id=article_id)
        .exclude(status=ClaimStatus.RETIRED)
        .order_by("position")
        .values_list("text", flat=True)
    )
    return ArticleFacts(article_year(article), triage.article_context(texts), texts)


def assess_version(version: ClaimVersion, facts: ArticleFacts, *, reviewed_evidence: str = "") -> list[triage.Flag]:
    """The triage flags of one version in its article: its own, plus harms_omitted when it claims a benefit."""
    flags = triage.assess(
        version.text,
        cited_works(version),
        year=facts.year,
        context=facts.context,
        reviewed_evidence=reviewed_evidence,
    )
    texts = facts.texts if version.text in facts.texts else (*facts.texts, version.text)
    omitted = triage.harms_omitted(texts)
    flags.extend(f for i, f in omitted.items() if texts[i] == version.text)
    return flags


def reviewed_evidence_types() -> dict[tuple[int, int], str]:
    """(claim id, version) -> the evidence type the latest review of that version recorded, where one did.

    Read through Claim's reverse relation by name, so content needs nothing imported from review.
    """
    rows = (
        Claim.objects.exclude(reviews__evidence_type="")
        .filter(reviews__isnull=False)
        .order_by("reviews__created_at")
        .values_list("pk", "reviews__version", "reviews__evidence_type")
    )
    return {(pk, version): kind for pk, version, kind in rows}  # later reviews overwrite earlier ones


def article_flags(
    claims: Sequence[Claim], works: Sequence[Sequence[triage.Cited]], *, year: int
) -> list[list[triage.Flag]]:
    """Flags of every claim of a newly imported article (content.bulk), in claim order."""
    return triage.assess_article(
        [triage.ArticleClaim(c.text, tuple(w)) for c, w in zip(claims, works, strict=True)], year=year
    )


def cited_works(version: ClaimVersion) -> list[triage.Cited]:
    """The works a version cites, with their current status (a retraction after the fact counts)."""
    ids = cited_ids(version.citations)
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
    def severity(self) -> Enum: ...
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
        severity=flag.severity.value,
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


def record_flags(
    version: ClaimVersion, *, actor: Any = _WRITER, facts: ArticleFacts | None = None, reviewed_evidence: str = ""
) -> list[ClaimFlag]:
    """Run the triage rules on a claim version and store what they raise (advice; never blocks).

    The flags are attributed to whoever wrote the version unless `actor` is
    given (a backfill passes None: the audit trail then names the system user).
    `facts` saves re-reading the article when many of its claims are triaged;
    `reviewed_evidence` is an evidence type a reviewer recorded for the claim.
    """
    if facts is None:
        facts = article_facts(Claim.objects.values_list("article_id", flat=True).get(pk=version.claim_id))
    flags = assess_version(version, facts, reviewed_evidence=reviewed_evidence)
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
    """Annotate `risk`: the number of undismissed risk flags on each claim's current version (a subquery, no join).

    Info flags are context a reviewer opens on demand, so they do not push a claim up the queue.
    """
    open_on_current = (
        ClaimFlag.objects.open()
        .risks()
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


# --- Feedback: how often reviewers dismiss each rule's flags ---------------------------------------------------


@dataclass(frozen=True)
class RuleStats:
    code: str
    label: str
    raised: int
    dismissed: int

    @property
    def share_dismissed(self) -> float | None:
        """Dismissed / raised, or None when the rule raised nothing (no evidence either way)."""
        return self.dismissed / self.raised if self.raised else None


def rule_stats(since: datetime | None = None, until: datetime | None = None) -> list[RuleStats]:
    """Per rule code, the flags raised in [since, until) and how many of them reviewers have dismissed.

    One grouped query. Every code appears, in the order of content.triage.Code, so a quiet rule shows as 0
    rather than vanishing; a rule whose flags are mostly dismissed is the one to fix.
    """
    qs = ClaimFlag.objects.all()
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    counts: dict[str, tuple[int, int]] = {
        r["code"]: (r["raised"], r["dismissed"])
        for r in qs.order_by()
        .values("code")
        .annotate(raised=Count("id"), dismissed=Count("id", filter=Q(dismissed_at__isnull=False)))
    }
    return [RuleStats(code.value, triage.LABELS[code], *counts.get(code.value, (0, 0))) for code in triage.Code]


def with_flag(qs: QuerySet[Claim], code: str) -> QuerySet[Claim]:
    """Annotate `has_flag`: whether the claim's current version carries an open flag of this code (a subquery)."""
    flagged = ClaimFlag.objects.open().filter(claim=OuterRef("pk"), version=OuterRef("version"), code=code)
    return qs.annotate(has_flag=Exists(flagged))
