"""API for review operations: re-certify an approved claim, and what falls due."""

from __future__ import annotations

import re
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from content.api import RefusalSerializer
from content.permissions import get_claim_for_user
from content.roles import can_see_publishing
from review.operations.recertification import recertify
from review.publishing.feeds import DueItem, due_for_review

MAX_WITHIN_DAYS = 3660


class RecertifyRequestSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class RecertificationSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    claim = serializers.IntegerField()
    version = serializers.IntegerField()
    round = serializers.IntegerField(help_text="The claim's review round this re-certification opened.")
    reason = serializers.CharField()
    started_by = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    outcome = serializers.ChoiceField(choices=["open", "approved", "changes_requested", "rejected"])
    closed_at = serializers.DateTimeField(allow_null=True)


class ClaimRecertify(APIView):
    @extend_schema(
        summary="Re-certify an approved claim unchanged",
        description=(
            "Opens a new review round on the claim's approved version, without an edit. Its live "
            "publications stay up until the approval expires; a new approval in the round extends every "
            "one of them; a request for changes or a rejection lets them expire on their old date."
        ),
        request=RecertifyRequestSerializer,
        responses={
            201: RecertificationSerializer,
            400: OpenApiResponse(description="The reason is not text, or too long."),
            403: OpenApiResponse(description="Not a medical reviewer."),
            404: OpenApiResponse(description="No such claim, or not one you may read."),
            409: OpenApiResponse(RefusalSerializer, description="Not approved, or a later version waits."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        claim = get_claim_for_user(request.user, pk)
        data = RecertifyRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recertification = recertify(claim, by=request.user, reason=data.validated_data.get("reason", ""))
        return Response(recertification.as_json(), status=status.HTTP_201_CREATED)


class DueItemSerializer(serializers.Serializer[DueItem]):
    publication = serializers.IntegerField(source="publication.pk")
    claim = serializers.IntegerField(source="publication.claim_id")
    article = serializers.IntegerField(source="publication.claim.article_id")
    version = serializers.IntegerField(source="publication.version")
    channel = serializers.CharField(source="publication.channel.slug")
    approved_at = serializers.DateTimeField()
    due = serializers.DateTimeField()
    overdue = serializers.BooleanField(help_text="Expired: the channel no longer serves it.")


class DueList(generics.ListAPIView[Any]):
    serializer_class = DueItemSerializer

    @extend_schema(
        summary="Approvals falling due",
        description=(
            "Live publications whose approval has expired (they are off their channel) or expires within "
            "`within` days, soonest first."
        ),
        parameters=[OpenApiParameter("within", int, description="Days ahead (default 30).")],
        responses={
            200: DueItemSerializer(many=True),
            400: OpenApiResponse(description="`within` is not a number of days."),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        user = self.request.user
        if not can_see_publishing(user):
            raise PermissionDenied("The due list is for publishers, reviewers and compliance.")
        raw = self.request.query_params.get("within", "30")
        if not re.fullmatch(r"[0-9]{1,5}", raw) or int(raw) > MAX_WITHIN_DAYS:
            raise ValidationError({"within": f"A whole number of days from 0 to {MAX_WITHIN_DAYS}."})
        return due_for_review(user, timezone.now(), int(raw))
