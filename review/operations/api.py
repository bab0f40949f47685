"""API for review operations: re-certify an approved claim, what falls due, and review assignments."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from content.api import RefusalSerializer
from content.limits import MAX_ID
from content.permissions import get_article_for_user, get_claim_for_user
from content.roles import can_see_publishing, is_reviewer
from review.models import Assignment, AssignmentState
from review.operations.assignments import accept, assign, handover
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


# --- assignments ---------------------------------------------------------------------------------


class AssignmentSerializer(serializers.Serializer[Assignment]):
    id = serializers.IntegerField()
    claim = serializers.IntegerField(source="claim_id", allow_null=True)
    article = serializers.IntegerField(source="article_id", allow_null=True)
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)
    group = serializers.CharField(source="group.name", allow_null=True, default=None)
    due = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=AssignmentState.values)
    overdue = serializers.BooleanField()
    note = serializers.CharField()
    assigned_by = serializers.IntegerField(source="assigned_by_id")
    created_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)


class AssignmentCreateSerializer(serializers.Serializer[Any]):
    claim = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    article = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    assignee = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="A reviewer's user id."
    )
    group = serializers.CharField(required=False, max_length=150, help_text="A reviewers' group, by name.")
    due = serializers.DateTimeField(required=False, help_text="Default: VETTED_ASSIGNMENT_DAYS working days.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class HandoverSerializer(serializers.Serializer[Any]):
    to = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The reviewer's user id.")
    note = serializers.CharField(max_length=2000)


def _reviewer_only(user: Any) -> None:
    if not is_reviewer(user):
        raise PermissionDenied("Assignments are for medical reviewers.")


def _assignment(pk: int) -> Assignment:
    found = Assignment.objects.select_related("group").filter(pk=pk).first()
    if found is None:
        raise NotFound("No such assignment.")
    return found


class Assignments(generics.ListAPIView[Assignment]):
    serializer_class = AssignmentSerializer

    @extend_schema(
        summary="Review assignments",
        description="Soonest due first. `assignee=me` (or a user id) and `state=open|done|cancelled` filter.",
        parameters=[
            OpenApiParameter("assignee", str, description="`me` or a user id."),
            OpenApiParameter("state", str, enum=AssignmentState.values),
        ],
        responses={200: AssignmentSerializer(many=True), 400: OpenApiResponse(description="A bad filter.")},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        user = self.request.user
        _reviewer_only(user)
        qs = Assignment.objects.select_related("group").order_by("due", "id")
        assignee = self.request.query_params.get("assignee", "")
        if assignee == "me":
            qs = qs.filter(assignee=user.pk)
        elif assignee:
            if not re.fullmatch(r"[0-9]{1,12}", assignee) or int(assignee) > MAX_ID:
                raise ValidationError({"assignee": "`me` or a user id."})
            qs = qs.filter(assignee=int(assignee))
        state = self.request.query_params.get("state", "")
        if state:
            if state not in AssignmentState.values:
                raise ValidationError({"state": f"One of {', '.join(AssignmentState.values)}."})
            qs = qs.filter(state=state)
        return qs

    @extend_schema(
        summary="Assign a review",
        description=(
            'A claim or an article in review, to a reviewer (`"assignee"`) or offered to a group (`"group"`, the '
            "first to accept takes it), due by a date."
        ),
        request=AssignmentCreateSerializer,
        responses={
            201: AssignmentSerializer,
            400: OpenApiResponse(description="Missing or conflicting fields, not a reviewer, a past due date."),
            403: OpenApiResponse(description="Not a medical reviewer."),
            404: OpenApiResponse(description="No such claim, article, user or group."),
            409: OpenApiResponse(RefusalSerializer, description="Not in review, or already assigned."),
        },
    )
    def post(self, request: Request) -> Response:
        _reviewer_only(request.user)
        data = AssignmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        claim = get_claim_for_user(request.user, fields["claim"]) if "claim" in fields else None
        article = get_article_for_user(request.user, fields["article"]) if "article" in fields else None
        assignee = _user(fields["assignee"]) if "assignee" in fields else None
        group = Group.objects.filter(name=fields["group"]).first() if "group" in fields else None
        if "group" in fields and group is None:
            raise NotFound("No such group.")
        created = assign(
            by=request.user,
            claim=claim,
            article=article,
            assignee=assignee,
            group=group,
            due=fields.get("due"),
            note=fields.get("note", ""),
        )
        return Response(AssignmentSerializer(created).data, status=status.HTTP_201_CREATED)


def _user(pk: int) -> Any:
    found = get_user_model().objects.filter(pk=pk).first()
    if found is None:
        raise NotFound("No such user.")
    return found


class AssignmentAccept(APIView):
    @extend_schema(
        summary="Take an offered assignment",
        request=None,
        responses={
            200: AssignmentSerializer,
            403: OpenApiResponse(description="Not in the group it is offered to."),
            404: OpenApiResponse(description="No such assignment."),
            409: OpenApiResponse(RefusalSerializer, description="Someone took it first, or it is closed."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        _reviewer_only(request.user)
        return Response(AssignmentSerializer(accept(_assignment(pk), by=request.user)).data)


class AssignmentHandover(APIView):
    @extend_schema(
        summary="Hand an assignment on",
        description="The assignee (or whoever assigned it) gives it to another reviewer, with a note.",
        request=HandoverSerializer,
        responses={
            200: AssignmentSerializer,
            400: OpenApiResponse(description="No note, or the person is not an active reviewer."),
            403: OpenApiResponse(description="Not the assignee or the assigner."),
            404: OpenApiResponse(description="No such assignment or user."),
            409: OpenApiResponse(RefusalSerializer, description="The assignment is closed."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        _reviewer_only(request.user)
        data = HandoverSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handed = handover(
            _assignment(pk), by=request.user, to=_user(data.validated_data["to"]), note=data.validated_data["note"]
        )
        return Response(AssignmentSerializer(handed).data)
