"""JSON API for triage and the claims library.

GET  /api/v1/library/?q=TEXT  approved claims: claim, version, text, evidence_grade, tags, channels, used_in
     (paginated; 403 for users who read no claims).
POST /api/v1/claims/{id}/flags/{flag_id}/dismiss/ {"reason"}  200 with the flag; 400 no reason;
     403 not a reviewer; 404 claim not visible or flag not on it; 409 already dismissed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from content.models import Claim, ClaimFlag
from content.permissions import get_claim_for_user
from content.roles import reads_claims
from review.library.entries import library_entry, library_queryset


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
