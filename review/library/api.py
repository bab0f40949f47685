"""JSON API for triage and the claims library.

GET  /api/v1/library/?q=TEXT  approved claims: claim, version, text, evidence_grade, tags, channels, used_in
     (paginated; 403 for users who read no claims).
POST /api/v1/claims/{id}/flags/{flag_id}/dismiss/ {"reason"}  200 with the flag; 400 no reason;
     403 not a reviewer; 404 claim not visible or flag not on it; 409 already dismissed.
POST /api/v1/references/{id}/status/ {"status": "retracted" | "superseded" | "active", "reason"}
     200 with what the cascade did (review.retraction); 400 bad status or no reason;
     403 not a medical reviewer; 404 for users who read no claims; 409 already so.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from content.models import Claim, ClaimFlag, Reference, ReferenceStatus
from content.permissions import get_claim_for_user
from content.roles import may_mark, reads_claims
from review.library.entries import library_entry, library_queryset
from review.retraction import RetractionResult, set_reference_status


class UsedInSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()


class LibraryEntrySerializer(serializers.Serializer[Any]):
    claim = serializers.IntegerField()
    version = serializers.IntegerField()
    text = serializers.CharField()
    evidence_grade = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    channels = serializers.ListField(child=serializers.CharField())
    used_in = UsedInSerializer(many=True)

    def to_representation(self, claim: Any) -> dict[str, Any]:
        entry = library_entry(claim)
        return {
            "claim": entry.claim.pk,
            "version": entry.version,
            "text": entry.text,
            "evidence_grade": entry.evidence_grade,
            "tags": [slug for slug, _ in entry.tags],
            "channels": [slug for slug, _ in entry.channels],
            "used_in": [{"id": pk, "title": title} for pk, title in entry.used_in],
        }


class LibraryList(generics.ListAPIView[Claim]):
    serializer_class = LibraryEntrySerializer

    @extend_schema(parameters=[OpenApiParameter("q", str, description="Text the approved wording contains.")])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Claim]:
        if not reads_claims(self.request.user):
            raise PermissionDenied("The claims library is for authors, reviewers and publishers.")
        return library_queryset(self.request.query_params.get("q", ""))


class FlagSerializer(serializers.ModelSerializer[ClaimFlag]):
    dismissed_by = serializers.SerializerMethodField()

    class Meta:
        model = ClaimFlag
        fields = [
            "id",
            "claim",
            "version",
            "code",
            "evidence",
            "why",
            "rules_version",
            "created_at",
            "dismissed_by",
            "dismissed_at",
            "dismissed_reason",
        ]
        read_only_fields = fields

    def get_dismissed_by(self, flag: ClaimFlag) -> str | None:
        return flag.dismissed_by.get_username() if flag.dismissed_by else None


class DismissSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(allow_blank=True, default="", max_length=2000)


class FlagDismiss(APIView):
    @extend_schema(request=DismissSerializer, responses=FlagSerializer)
    def post(self, request: Request, pk: int, flag_id: int) -> Response:
        claim = get_claim_for_user(request.user, pk)
        flag = ClaimFlag.objects.filter(claim=claim, pk=flag_id).first()
        if flag is None:
            raise Http404("No such flag on this claim.")
        data = DismissSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        flag.dismiss(by=request.user, reason=data.validated_data["reason"])
        return Response(FlagSerializer(ClaimFlag.objects.select_related("dismissed_by").get(pk=flag.pk)).data)


class ReferenceStatusSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=ReferenceStatus.choices)
    reason = serializers.CharField(max_length=2000, trim_whitespace=True)


class ReferenceStatusResult(serializers.Serializer[Any]):
    """What marking the work did: its status now, the claims flagged and sent back, the publications withdrawn."""

    id = serializers.IntegerField(source="reference.pk")
    # The metaclass takes declared fields off the class, so this does not shadow Field.label.
    label = serializers.CharField(source="reference.label")  # type: ignore[assignment]
    status = serializers.CharField(source="reference.status")
    reason = serializers.CharField(source="reference.status_reason")
    flagged_claims = serializers.SerializerMethodField()
    returned_to_review = serializers.SerializerMethodField()
    withdrawn_publications = serializers.SerializerMethodField()

    def get_flagged_claims(self, result: RetractionResult) -> list[int]:
        return [claim.pk for claim in result.flagged]

    def get_returned_to_review(self, result: RetractionResult) -> list[int]:
        return [claim.pk for claim in result.returned]

    @extend_schema_field(
        {"type": "array", "items": {"type": "object", "properties": {"id": {}, "claim": {}, "channel": {}}}}
    )
    def get_withdrawn_publications(self, result: RetractionResult) -> list[dict[str, Any]]:
        return [{"id": pub.pk, "claim": pub.claim_id, "channel": pub.channel.slug} for pub in result.withdrawn]


class ReferenceStatusView(APIView):
    """Mark a cited work retracted, superseded or active again (medical reviewers), with the cascade of
    review.retraction: 200 with what it did; 400 bad status or no reason; 403 not a reviewer; 409 already so."""

    @extend_schema(request=ReferenceStatusSerializer, responses=ReferenceStatusResult)
    def post(self, request: Request, pk: int) -> Response:
        reference = Reference.objects.filter(pk=pk).first() if reads_claims(request.user) else None
        if reference is None:
            raise Http404("No such cited work.")
        if not may_mark(request.user):
            raise PermissionDenied("Only medical reviewers mark cited works retracted, superseded or active.")
        data = ReferenceStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = set_reference_status(
            reference, status=data.validated_data["status"], reason=data.validated_data["reason"], by=request.user
        )
        return Response(ReferenceStatusResult(result).data)
