"""JSON API for reviews and the review queue."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from content.api import ClaimSerializer
from content.models import Claim
from content.permissions import get_claim_for_user
from review.models import DEFAULT_MEANING, Decision, EvidenceGrade, EvidenceType, NuanceTag, Review, record_review
from review.views import queue_queryset


class ReviewSerializer(serializers.ModelSerializer[Review]):
    reviewer = serializers.CharField(source="reviewer.username")
    nuance_tags: Any = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    signed_at = serializers.SerializerMethodField()
    signature_meaning = serializers.SerializerMethodField()
    signed_by = serializers.SerializerMethodField()

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
            "decision",
            "signed_at",
            "signature_meaning",
            "signed_by",
            "created_at",
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
    version = serializers.IntegerField(min_value=1)
    evidence_grade = serializers.ChoiceField(choices=EvidenceGrade.choices)
    evidence_type = serializers.ChoiceField(choices=EvidenceType.choices, required=False, allow_blank=True)
    nuance_tags = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=NuanceTag.objects.filter(active=True), required=False
    )
    nuance_note = serializers.CharField(required=False, allow_blank=True, default="")
    decision = serializers.ChoiceField(choices=Decision.choices)
    password = serializers.CharField(required=False, allow_blank=True, default="", write_only=True)
    signature_meaning = serializers.CharField(required=False, allow_blank=True, default="")

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
        return claim.reviews.for_list().order_by("created_at")  # type: ignore[attr-defined,no-any-return]

    @extend_schema(request=ReviewCreateSerializer, responses={201: ReviewSerializer})
    def post(self, request: Request, pk: int) -> Response:
        claim = get_claim_for_user(request.user, pk)
        data = ReviewCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = record_review(claim=claim, reviewer=request.user, **data.validated_data)
        return Response(
            ReviewSerializer(Review.objects.for_list().get(pk=review.pk)).data, status=status.HTTP_201_CREATED
        )


class ReviewQueue(generics.ListAPIView[Claim]):
    serializer_class = ClaimSerializer

    def get_queryset(self) -> QuerySet[Claim]:
        return queue_queryset(self.request.user, self.request.query_params.dict())
