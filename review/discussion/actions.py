"""Commenting on a claim's words and suggesting wording: the checks and the writes.

Who: anyone who may see the claim and discusses it (content.roles.may_comment) comments
and replies; reviewers mark a thread blocking and suggest wording; the article's author
accepts or declines a suggestion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from content import roles
from content.exceptions import InvalidTransition, NotAllowed, StaleVersion
from content.locking import lock_chain
from content.models import Claim, ClaimStatus, ClaimVersion, content_hash, unstorable
from review import notifications
from review.actions import UNAPPROVABLE_GRADES, CitesRetracted, check_signer, intact_approvals, retracted_citations
from review.discussion.anchoring import span_problem
from review.models import (
    Comment,
    Decision,
    EvidenceGrade,
    Review,
    Signature,
    Suggestion,
    SuggestionStatus,
    meaning_for,
    signatures_required,
)
from review.models.discussion import Closed

MAX_BODY = 10_000


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def _text_problem(name: str, text: str, *, required: bool = True) -> None:
    if required and not text.strip():
        raise ValidationError({name: "This cannot be empty."})
    if len(text) > MAX_BODY:
        raise ValidationError({name: f"At most {MAX_BODY} characters."})
    if problem := unstorable(text):
        raise ValidationError({name: problem})


def _current_version(claim: Claim, version: int) -> ClaimVersion:
    """The claim's current version, which is the one people discuss (409 for an older one)."""
    if claim.status == ClaimStatus.RETIRED:
        raise InvalidTransition("discuss", claim.status)
    if claim.version != version:
        raise StaleVersion(claim, version)
    found = ClaimVersion.objects.filter(claim=claim, version=version).first()
    if found is None:
        raise StaleVersion(claim, version)
    return found


def comment(
    *,
    claim: Claim,
    by: Any,
    body: str,
    version: int | None = None,
    start: int | None = None,
    end: int | None = None,
    quote: str | None = None,
    blocking: bool = False,
    parent: int | None = None,
) -> Comment:
    """Start a thread on a span of the current version, or reply to a thread (`parent`).

    1. Validate the body (400).
    2. Lock the claim: it is not retired and `version` is current (409); `by` may comment (403),
       and only a reviewer marks a thread blocking (403).
    3. A thread's span must be the version's words: 0 <= start < end <= length, and `quote`
       when given is exactly text[start:end] (400). A reply joins an open thread of this claim.
    """
    body = body.strip()
    _text_problem("body", body)
    with transaction.atomic():
        lock_chain()
        locked = Claim.objects.select_for_update().select_related("article").get(pk=claim.pk)
        if not roles.may_comment(by, locked):
            raise NotAllowed("You may read this claim's discussion, not add to it.")
        if parent is not None:
            thread = Comment.objects.threads().filter(claim=locked, pk=parent).first()
            if thread is None:
                raise ValidationError({"parent": "No such thread on this claim."})
            if not thread.is_open:
                raise Closed("reply", "resolved", "This thread is resolved; start a new one.")
            if blocking:
                raise ValidationError({"blocking": "A reply cannot be blocking; the thread it joins is."})
            reply = Comment(
                claim=locked, claim_version=thread.claim_version, parent=thread, body=body, author=by, quote=""
            )
            reply._history_user = by  # type: ignore[attr-defined]
            reply._change_reason = f"Replied in thread {thread.pk}"  # type: ignore[attr-defined]
            reply.save()
            return reply
        if version is None or start is None or end is None:
            raise ValidationError({"version": "A new thread needs the version, start and end of the words."})
        current = _current_version(locked, version)
        if problem := span_problem(current.text, start, end, None):
            raise ValidationError({"start": problem})
        if quote is not None and (problem := span_problem(current.text, start, end, quote)):
            raise ValidationError({"quote": problem})
        if blocking and not roles.is_reviewer(by):
            raise NotAllowed("Only medical reviewers mark a comment blocking.")
        thread = Comment(
            claim=locked,
            claim_version=version,
            start=start,
            end=end,
            quote=current.text[start:end],
            body=body,
            author=by,
            blocking=blocking,
        )
        thread._history_user = by  # type: ignore[attr-defined]
        thread._change_reason = (  # type: ignore[attr-defined]
            f"{'Blocking comment' if blocking else 'Comment'} on version {version}: “{thread.quote[:200]}”"
        )
        thread.save()
        return thread


@dataclass(frozen=True)
class Signing:
    """ "Approve as suggested": what the reviewer signs the suggested text with."""

    password: str = field(repr=False)
    signature_meaning: str
    evidence_grade: str = ""


def _grade_for(claim: Claim, reviewer: Any, given: str) -> str:
    """The evidence grade the signature carries: the one given, else the reviewer's latest on this claim."""
    grade = given or (
        Review.objects.filter(claim=claim, reviewer=reviewer.pk)
        .order_by("-created_at", "-id")
        .values_list("evidence_grade", flat=True)
        .first()
        or ""
    )
    if grade not in EvidenceGrade.values:
        raise ValidationError({"evidence_grade": "Grade the evidence to approve as suggested."})
    if grade in UNAPPROVABLE_GRADES:
        raise ValidationError({"evidence_grade": "Evidence that does not support the claim cannot approve it."})
    return grade


def suggest(
    *, claim: Claim, by: Any, version: int, start: int, end: int, text: str, sign: Signing | None = None
) -> Suggestion:
    """A reviewer proposes exact wording for text[start:end] (0 and the length: the whole claim).

    1. Validate the span and the wording; the result must differ from the version (400).
    2. Only reviewers suggest (403); the version must be current and the claim not retired (409).
    3. Signed: the meaning must be an approval's (400); the signer's checks run as for an
       approval (throttle, separation of duties, password: 403, recorded as refusals), and
       the signature is sealed to the content hash the new text will have.
    """
    _text_problem("text", text, required=False)
    if not roles.is_reviewer(by):
        raise NotAllowed("Only medical reviewers suggest wording.")
    current = _current_version(Claim.objects.get(pk=claim.pk), version)
    if problem := span_problem(current.text, start, end, None):
        raise ValidationError({"start": problem})
    proposed = (current.text[:start] + text + current.text[end:]).strip()
    if not proposed:
        raise ValidationError({"text": "The suggested claim would be empty."})
    if proposed == current.text.strip():
        raise ValidationError({"text": "The suggestion changes nothing."})
    if problem := unstorable(proposed):
        raise ValidationError({"text": problem})
    grade = ""
    if sign is not None:
        meaning = meaning_for(Decision.APPROVE, sign.signature_meaning)
        if meaning is None:
            raise ValidationError({"signature_meaning": f"Sign with “{Decision.APPROVE}”'s meaning: accurate."})
        grade = _grade_for(claim, by, sign.evidence_grade)
        if retracted := retracted_citations(claim, version):
            raise CitesRetracted(retracted)
        check_signer(claim, version, by, sign.password)  # records its own refusals
    with transaction.atomic():
        lock_chain()
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        _current_version(locked, version)
        suggestion = Suggestion(
            claim=locked,
            claim_version=version,
            start=start,
            end=end,
            quote=current.text[start:end],
            text=text,
            proposed_text=proposed,
            proposed_hash=content_hash(proposed, locked.citation_keys()),
            by=by,
        )
        if sign is not None:
            meaning = meaning_for(Decision.APPROVE, sign.signature_meaning)
            assert meaning is not None
            suggestion.evidence_grade = grade
            suggestion.printed_name = _name(by)
            suggestion.meaning, suggestion.meaning_code = meaning.label, meaning.value
            suggestion.signed_at = timezone.now()
            suggestion.signed_round = locked.review_round
            suggestion.seal = suggestion.compute_seal()
        suggestion._history_user = by  # type: ignore[attr-defined]
        kind = "Signed suggestion" if sign else "Suggestion"
        suggestion._change_reason = (  # type: ignore[attr-defined]
            f"{kind} on version {version}: “{suggestion.quote[:200]}” -> “{text[:200]}”"
        )
        suggestion.save()
        return suggestion


def accept(*, suggestion: Suggestion, by: Any) -> Claim:
    """The author takes the suggested wording as it is: version n+1 with exactly that text.

    1. Lock the suggestion: it must be open (409); only the article's author accepts (403).
    2. Revise the claim to the proposed text, reason "accepted suggestion from <name>"
       (Claim.revise refuses a claim in review or moved on: 409).
    3. Signed, with the seal intact, the signer still a reviewer and no new review round since
       (a cited work retracted or superseded): the new version's hash
       must be the one signed; it is submitted and the signature becomes an approving review
       of it, so it is approved once that signature meets its bar. A blocking thread still
       open refuses the whole acceptance (409): accepting would approve over it.
    """
    with transaction.atomic():
        lock_chain()
        locked = Suggestion.objects.select_for_update().select_related("claim__article", "by").get(pk=suggestion.pk)
        if locked.status != SuggestionStatus.OPEN:
            raise Closed("accept", locked.status, f"This suggestion is {locked.get_status_display().lower()}.")
        claim = locked.claim
        if not roles.can_edit_claim(by, claim):
            raise NotAllowed("Only the article's author accepts or declines suggestions.")
        # A signature counts as signed: intact, by someone still a reviewer, in the round it was given in.
        counts = (
            locked.signed
            and locked.is_intact()
            and roles.is_reviewer(locked.by)
            and locked.signed_round == claim.review_round
        )
        if counts and (blocking := Comment.objects.blocking().filter(claim=claim).first()):
            raise Closed(
                "accept",
                claim.status,
                f"A blocking comment on “{blocking.quote[:80]}” is open: a reviewer resolves it before "
                "a signed suggestion can approve the claim.",
            )
        signer = _name(locked.by)
        new_version = locked.claim_version + 1
        locked.status = SuggestionStatus.ACCEPTED
        locked.accepted_version = new_version
        locked.decided_by, locked.decided_at = by, timezone.now()
        locked._history_user = by  # type: ignore[attr-defined]
        locked._change_reason = f"Accepted as version {new_version}"  # type: ignore[attr-defined]
        locked.save()
        claim.revise(
            text=locked.proposed_text,
            expected_version=locked.claim_version,
            reason=f"accepted suggestion from {signer}",
            by=by,
        )
        if counts:
            if claim.content_hash != locked.proposed_hash:
                # The text was stored differently from what was signed: the seal must not move to it.
                raise Closed("accept", claim.status, "The new version is not the text that was signed.")
            claim.submit(by=by)
            review = _count_signature(locked, by)
            transaction.on_commit(lambda: notifications.review_recorded(review.pk))
    claim.refresh_from_db()
    return claim


def _count_signature(suggestion: Suggestion, by: Any) -> Review:
    """The suggestion's signature as an approval of the version it became, sealed as signed."""
    claim = Claim.objects.select_for_update().get(pk=suggestion.claim_id)
    version = claim.version
    assert suggestion.signed_at is not None
    review = Review(
        claim=claim,
        version=version,
        round=claim.review_round,
        content_hash=claim.content_hash,
        reviewer=suggestion.by,
        evidence_grade=suggestion.evidence_grade,
        nuance_note="Approved as suggested: this signature was given to the suggested wording, accepted unchanged.",
        decision=Decision.APPROVE,
    )
    review._history_user = by  # type: ignore[attr-defined]
    review._change_reason = (  # type: ignore[attr-defined]
        f"Approval of version {version}: {suggestion.printed_name}'s signature on suggestion {suggestion.pk}"
    )
    review.save()
    signature = Signature(
        review=review,
        signer=suggestion.by,
        printed_name=suggestion.printed_name,
        meaning=suggestion.meaning,
        meaning_code=suggestion.meaning_code,
        signed_at=suggestion.signed_at,
        claim_version=version,
        content_hash=suggestion.proposed_hash,
    )
    signature.seal = signature.compute_seal()
    signature._history_user = by  # type: ignore[attr-defined]
    signature._change_reason = f"Signed as suggested (suggestion {suggestion.pk})"  # type: ignore[attr-defined]
    signature.save()
    claim.approve(
        by=by,
        version=version,
        signatures=intact_approvals(claim),
        needed=signatures_required(suggestion.evidence_grade, []),
    )
    return review
