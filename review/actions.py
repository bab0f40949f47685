"""Recording a review: the checks and the write behind approve, request changes and reject."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone

from content.exceptions import InvalidTransition, NotAllowed
from content.locking import lock_chain
from content.models import Claim, ClaimStatus, ClaimVersion, Reference, ReferenceStatus, cited_ids
from content.roles import is_reviewer
from review import notifications
from review.models.channels import Publication
from review.models.discussion import Comment
from review.models.operations import open_recertification
from review.models.reviews import (
    MEANINGS,
    SIGNED_DECISIONS,
    AlreadySigned,
    Decision,
    EvidenceGrade,
    EvidenceType,
    NuanceTag,
    Review,
    Signature,
    meaning_for,
    once_each,
    signatures_required,
    suggested_wording,
)
from review.operations.assignments import complete_for_review
from review.signing import check_signer, check_user_id
from review.signing import signing_locked as signing_locked

# Grades that say the words are not backed: such a version may be sent back or rejected, never approved.
UNAPPROVABLE_GRADES = {EvidenceGrade.UNSUPPORTED, EvidenceGrade.CONTRADICTED}


class CitesRetracted(InvalidTransition):
    """The version cites a retracted work: it is revised, not approved (HTTP 409)."""

    def __init__(self, labels: list[str]) -> None:
        super().__init__("approve", "citing a retracted work")
        self.args = (f"This version cites {', '.join(labels)}, which was retracted: revise the claim first.",)


def retracted_citations(claim: Claim, version: int) -> list[str]:
    """Labels of the works this version cites (its snapshot) that are now marked retracted."""
    cv = ClaimVersion.objects.filter(claim=claim, version=version).only("citations").first()
    ids = cited_ids(cv.citations if cv else [])
    refs = Reference.objects.filter(pk__in=ids, status=ReferenceStatus.RETRACTED).order_by("label")
    return list(refs.values_list("label", flat=True))


def validate_review(*, decision: str, evidence_grade: str, evidence_type: str, signature_meaning: str) -> None:
    """Input checks shared by the form, the API and the verb (ValidationError -> 400)."""
    errors: dict[str, str] = {}
    if decision not in Decision.values:
        errors["decision"] = f"Must be one of {', '.join(Decision.values)}."
    if evidence_grade not in EvidenceGrade.values:
        errors["evidence_grade"] = f"Choose an evidence grade: {', '.join(EvidenceGrade.values)}."
    if evidence_type and evidence_type not in EvidenceType.values:
        errors["evidence_type"] = f"Must be one of {', '.join(EvidenceType.values)}."
    if decision == Decision.APPROVE and evidence_grade in UNAPPROVABLE_GRADES:
        errors["evidence_grade"] = (
            "An approval needs a grade of very low certainty or better; evidence that does not support the claim "
            "or contradicts it goes with request changes or reject."
        )
    if decision in SIGNED_DECISIONS and meaning_for(decision, signature_meaning) is None:
        choices = "; ".join(f"{m.value} (“{m.label}”)" for m in MEANINGS[Decision(decision)])
        errors["signature_meaning"] = (
            f"To {decision}, sign with one of these meanings, by code or exact text: {choices}."
        )
    if errors:
        raise ValidationError(errors)


# Required wording is a few sentences that go out with the claim, not a second article.
MAX_WORDING_SENTENCES = 10
MAX_WORDING_LENGTH = 1000


@dataclass(frozen=True)
class ReviewInput:
    """What a reviewer submitted for one claim version; the form and the serializer both build one."""

    version: int
    decision: str
    evidence_grade: str
    evidence_type: str = ""
    nuance_tags: tuple[NuanceTag, ...] = ()
    nuance_note: str = ""
    password: str = field(default="", repr=False)
    signature_meaning: str = ""
    # The signer's user ID, typed with the password (review.signing.check_user_id).
    username: str = ""
    # The wording the reviewer signs; None means "the selected tags' templates, as they are".
    required_wording: tuple[str, ...] | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> ReviewInput:
        """From a form's cleaned_data or a serializer's validated_data (extra keys are ignored)."""
        return cls(
            version=int(data["version"]),
            decision=data["decision"],
            evidence_grade=data["evidence_grade"],
            evidence_type=data.get("evidence_type") or "",
            nuance_tags=tuple(data.get("nuance_tags") or ()),
            nuance_note=(data.get("nuance_note") or "").strip(),
            password=data.get("password") or "",
            signature_meaning=(data.get("signature_meaning") or "").strip(),
            username=(data.get("username") or "").strip(),
            required_wording=None if data.get("required_wording") is None else tuple(data["required_wording"]),
        )

    @property
    def wording(self) -> list[str]:
        """The wording this review signs: as given (an empty list signs none), else the tags' templates."""
        if self.required_wording is None:
            return suggested_wording(self.nuance_tags)
        return once_each(self.required_wording)

    def validate(self) -> None:
        validate_review(
            decision=self.decision,
            evidence_grade=self.evidence_grade,
            evidence_type=self.evidence_type,
            signature_meaning=self.signature_meaning,
        )
        wording = self.wording
        if len(wording) > MAX_WORDING_SENTENCES or any(len(s) > MAX_WORDING_LENGTH for s in wording):
            raise ValidationError(
                {
                    "required_wording": f"At most {MAX_WORDING_SENTENCES} sentences of required wording, "
                    f"each at most {MAX_WORDING_LENGTH} characters."
                }
            )


def record_review(
    *,
    claim: Claim,
    version: int,
    reviewer: Any,
    decision: str,
    evidence_grade: str,
    nuance_tags: Sequence[NuanceTag] = (),
    nuance_note: str = "",
    evidence_type: str = "",
    password: str = "",
    signature_meaning: str = "",
    required_wording: Sequence[str] | None = None,
) -> Review:
    """`submit_review` with the input spelled out (commands, the demo seed and tests)."""
    submitted = ReviewInput.of(
        {
            "version": version,
            "decision": decision,
            "evidence_grade": evidence_grade,
            "nuance_tags": nuance_tags,
            "nuance_note": nuance_note,
            "evidence_type": evidence_type,
            "password": password,
            "signature_meaning": signature_meaning,
            "required_wording": required_wording,
        }
    )
    return submit_review(claim=claim, reviewer=reviewer, submitted=submitted)


def submit_review(*, claim: Claim, reviewer: Any, submitted: ReviewInput, user_id_required: bool = False) -> Review:
    """Judge one claim version: the verb behind approve, request_changes and reject.

    1. Validate the input (400), with the signer's user ID when `user_id_required`
       (the first signature of a session: review.signing).
    2. Check the state on a fresh read: in review, at the version judged (409).
    3. Check the person: the reviewer role (403); for approve/reject also the
       throttle, separation of duties and the password (403, review.signing.check_signer).
       These refusals are recorded as Refusal rows in their own transactions, so they
       survive. The password hash is slow on purpose, so it runs before the row lock.
    4. Lock the claim row and check the state again: another reviewer may have
       moved it while the password was checked (409, nothing written).
    5. Write the review (+ its signature sealed to the version hash) and move the
       claim: request_changes and reject end the round; approve counts the
       distinct approvals of this version and approves once enough have signed.
    """
    submitted.validate()
    version, decision = submitted.version, submitted.decision
    if decision in SIGNED_DECISIONS:
        check_user_id(reviewer, submitted.username, required=user_id_required)
    current = Claim.objects.get(pk=claim.pk)
    current.check_in_review(decision, version)
    if decision == Decision.APPROVE and (retracted := retracted_citations(current, version)):
        raise CitesRetracted(retracted)
    if not is_reviewer(reviewer):
        raise NotAllowed("Only medical reviewers review claims.")
    if decision in SIGNED_DECISIONS:
        check_signer(current, version, reviewer, submitted.password)

    try:
        with transaction.atomic():
            lock_chain()
            return _write_review(claim=current, reviewer=reviewer, submitted=submitted)
    except IntegrityError:
        # Belt and braces: the row lock already serialises approvals, but if two
        # approvals by one reviewer ever raced past it, the unique constraint
        # stops the second. Anything else is a real error.
        if decision == Decision.APPROVE and Review.objects.counting(current).filter(reviewer=reviewer.pk).exists():
            raise AlreadySigned(ClaimStatus.IN_REVIEW, version) from None
        raise


def _write_review(*, claim: Claim, reviewer: Any, submitted: ReviewInput) -> Review:
    version, decision, evidence_grade = submitted.version, submitted.decision, submitted.evidence_grade
    nuance_tags = list(submitted.nuance_tags)
    # The row lock makes concurrent reviews of one claim take turns, so each
    # sees the approvals committed before it and exactly one turns it approved.
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    locked.check_in_review(decision, version)
    if decision == Decision.APPROVE and Review.objects.counting(locked).filter(reviewer=reviewer.pk).exists():
        raise AlreadySigned(locked.status, version)
    if decision == Decision.APPROVE and (blocking := Comment.objects.blocking().filter(claim=locked).first()):
        # Read under the row lock: a thread opened meanwhile locked the same claim row first.
        raise InvalidTransition(
            "approve",
            locked.status,
            f"a blocking comment on “{blocking.quote[:80]}” is open; a reviewer resolves it first",
        )

    now = timezone.now()
    review = Review(
        claim=locked,
        version=version,
        round=locked.review_round,
        content_hash=locked.content_hash,
        reviewer=reviewer,
        evidence_grade=evidence_grade,
        evidence_type=submitted.evidence_type,
        nuance_note=submitted.nuance_note,
        required_wording=submitted.wording,
        decision=decision,
        created_at=now,
    )
    review._history_user = reviewer  # type: ignore[attr-defined]
    review._change_reason = f"{Decision(decision).label} of version {version}"  # type: ignore[attr-defined]
    review.save()
    review.nuance_tags.set(nuance_tags)
    complete_for_review(review)
    if decision in SIGNED_DECISIONS:
        signed_meaning = meaning_for(decision, submitted.signature_meaning)
        assert signed_meaning is not None  # validated by ReviewInput.validate
        signature = Signature(
            review=review,
            signer=reviewer,
            printed_name=reviewer.get_full_name() or reviewer.get_username(),
            meaning=signed_meaning.label,
            meaning_code=signed_meaning.value,
            signed_at=now,
            claim_version=version,
            content_hash=locked.content_hash,
        )
        signature.seal = signature.compute_seal()
        signature._history_user = reviewer  # type: ignore[attr-defined]
        signature._change_reason = f"Signed version {version}"  # type: ignore[attr-defined]
        signature.save()
    recertification = open_recertification(locked)
    if decision == Decision.APPROVE and recertification is None:
        _renew_publications(locked, version, reviewer, now)

    if decision == Decision.REQUEST_CHANGES:
        locked.request_changes(by=reviewer, version=version)
    elif decision == Decision.REJECT:
        locked.reject(by=reviewer, version=version)
    else:
        approved = locked.approve(
            by=reviewer,
            version=version,
            signatures=intact_approvals(locked),
            needed=signatures_required(evidence_grade, nuance_tags),
        )
        # A re-certification renews the live publications only once it has approved the version.
        if approved and recertification is not None:
            _renew_publications(locked, version, reviewer, now)
    if recertification is not None and (decision != Decision.APPROVE or locked.status == ClaimStatus.APPROVED):
        recertification.close(locked.status, by=reviewer, at=now)

    transaction.on_commit(lambda: notifications.review_recorded(review.pk))
    return review


# Sent as a new approval renews a live publication, before the publication is saved, with
# `publication`, `by` and `now`: publishing renders what the channel serves from now on (the
# approval's date and signers changed) and points the publication at it.
publication_renewed = Signal()


def _renew_publications(claim: Claim, version: int, by: Any, signed_at: Any) -> None:
    """A new approving signature on a version already published moves its live publications' approval time.

    This happens when a retraction's new round approves the same version again: the feed dates
    the approval from the latest signature, as `review.publishing.approved_at` does.
    """
    for pub in Publication.objects.filter(claim=claim, version=version, withdrawn_at__isnull=True):
        if pub.approved_at is None or pub.approved_at < signed_at:
            pub.approved_at = signed_at
            publication_renewed.send(sender=Publication, publication=pub, by=by, now=signed_at)
            pub._history_user = by  # type: ignore[attr-defined]
            pub._change_reason = f"Version {version} approved again"  # type: ignore[attr-defined]
            pub.save(update_fields=["approved_at", "rendition"])


def intact_approvals(claim: Claim) -> int:
    """Approvals counting towards the claim's current version whose signature seal verifies.

    A review and signature inserted around the app (no valid keyed seal) approve nothing.
    """
    counting = Review.objects.counting(claim).select_related("signature")
    return sum(1 for review in counting if getattr(review, "signature", None) and review.signature.is_intact())
