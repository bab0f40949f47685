"""JSON API for reviews and the review queue.

POST /api/v1/claims/{id}/reviews/ records a review through review.actions.submit_review:
201 with the review; 400 bad input (missing grade, missing signature meaning, a missing or
wrong `username` where the signature needs the user ID: review.signing);
403 not a reviewer, separation of duties, wrong password or signing locked;
409 wrong state (with "status") or a stale version (with "current_version").
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from content.api import ClaimSerializer
from content.flagging import advice_prefetches
from content.limits import MAX_ID
from content.models import Claim
from content.permissions import get_claim_for_user
from content.roles import is_reviewer
from review import signing
from review.actions import MAX_WORDING_LENGTH, MAX_WORDING_SENTENCES, ReviewInput, submit_review
from review.forms import QueueFilterForm
from review.models import (
    DEFAULT_MEANING,
    SIGNED_DECISIONS,
    Decision,
    EvidenceGrade,
    EvidenceType,
    NuanceTag,
    Review,
    Signature,
)
from review.queue import queue_queryset


class ReviewSerializer(serializers.ModelSerializer[Review]):
    reviewer = serializers.CharField(source="reviewer.username")
    nuance_tags: Any = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    signed_at = serializers.SerializerMethodField()
    signature_meaning = serializers.SerializerMethodField()
    signed_by = serializers.SerializerMethodField()
    required_wording = serializers.ListField(
        child=serializers.CharField(),
        source="signed_wording",
        read_only=True,
        help_text="The wording signed to accompany this version wherever it is published.",
    )

    class Meta:
        model = Review
        fields = [
            "id",
            "claim",
            "version",
            "content_hash",
            "reviewer",
            "evidence_grade",
            "evidence_type",
            "nuance_tags",
            "nuance_note",
            "required_wording",
            "decision",
            "signed_at",
            "signature_meaning",
            "signed_by",
            "created_at",
            # The claim's review round it belongs to: a retracted citation starts a new one, and only
            # approvals of the claim's current round count (review.retraction).
            "round",
        ]

    def _signature(self, review: Review) -> Any:
        return getattr(review, "signature", None)

    def get_signed_at(self, review: Review) -> str | None:
        sig = self._signature(review)
        return sig.signed_at.isoformat() if sig else None

    def get_signature_meaning(self, review: Review) -> str | None:
        sig = self._signature(review)
        return sig.meaning if sig else None

    def get_signed_by(self, review: Review) -> str | None:
        sig = self._signature(review)
        return sig.printed_name if sig else None


class ReviewCreateSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    evidence_grade = serializers.ChoiceField(choices=EvidenceGrade.choices)
    evidence_type = serializers.ChoiceField(choices=EvidenceType.choices, required=False, allow_blank=True, default="")
    nuance_tags = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=NuanceTag.objects.filter(active=True), required=False
    )
    nuance_note = serializers.CharField(required=False, allow_blank=True, default="")
    # No default: leaving it out signs the selected tags' templates, [] signs no wording at all.
    required_wording = serializers.ListField(
        child=serializers.CharField(max_length=MAX_WORDING_LENGTH),
        required=False,
        max_length=MAX_WORDING_SENTENCES,
        help_text="The sentences to publish with this version, adapted to the claim; "
        "when omitted, the selected tags' templates.",
    )
    decision = serializers.ChoiceField(choices=Decision.choices)
    password = serializers.CharField(
        required=False, allow_blank=True, default="", write_only=True, trim_whitespace=False
    )
    # The signer's user ID: needed with the password unless this login session signed before
    # (review.signing; a request with an API token always gives it).
    username = serializers.CharField(required=False, allow_blank=True, default="", max_length=150, write_only=True)
    # The column's length: a longer meaning would reach PostgreSQL and fail there (a 500).
    signature_meaning = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=Signature._meta.get_field("meaning").max_length
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data["decision"] != Decision.REQUEST_CHANGES and not data["signature_meaning"].strip():
            raise serializers.ValidationError(
                {"signature_meaning": f"A signature needs its meaning, e.g. “{DEFAULT_MEANING}”."}
            )
        return data


class ClaimReviews(generics.ListAPIView[Review]):
    serializer_class = ReviewSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Review]:
        claim = get_claim_for_user(self.request.user, self.kwargs["pk"])
        return claim.reviews.for_list().order_by("created_at", "id")  # type: ignore[attr-defined,no-any-return]

    @extend_schema(request=ReviewCreateSerializer, responses={201: ReviewSerializer})
    def post(self, request: Request, pk: int) -> Response:
        claim = get_claim_for_user(request.user, pk)
        data = ReviewCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submitted = ReviewInput.of(data.validated_data)
        review = submit_review(
            claim=claim,
            reviewer=request.user,
            submitted=submitted,
            user_id_required=signing.user_id_required(request),
        )
        if review.decision in SIGNED_DECISIONS:
            signing.remember_signed(request)
        return Response(
            ReviewSerializer(Review.objects.for_list().get(pk=review.pk)).data, status=status.HTTP_201_CREATED
        )


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter("article", int, description="Only claims of this article."),
            OpenApiParameter("grade", str, enum=EvidenceGrade.values, description="An earlier review gave this grade."),
            OpenApiParameter("tag", str, description="An earlier review carried this nuance tag (slug)."),
            OpenApiParameter("older_than_days", int, description="Submitted at least this many days ago."),
        ]
    )
)
class ReviewQueue(generics.ListAPIView[Claim]):
    """In-review claims, oldest first; filters: article, grade, tag, older_than_days. Reviewers only."""

    serializer_class = ClaimSerializer

    def get_queryset(self) -> QuerySet[Claim]:
        if not is_reviewer(self.request.user):
            raise PermissionDenied("The review queue is for medical reviewers.")
        filters = QueueFilterForm(self.request.query_params)
        if not filters.is_valid():
            raise ValidationError({field: [str(e) for e in errors] for field, errors in filters.errors.items()})
        # The claim JSON includes triage advice; prefetch it so the page costs the same for any length.
        return queue_queryset(self.request.user, filters.cleaned_data).prefetch_related(*advice_prefetches())
