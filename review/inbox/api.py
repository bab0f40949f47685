"""JSON API of the inbox.

GET  /api/v1/inbox/?unread=1     the caller's notifications, newest first (paginated):
     id, kind, claim, article, text, created, read.
POST /api/v1/inbox/{id}/read/    200 with the notification, now read; 404 when it is not the caller's.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from review.models import Notification


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    created = serializers.DateTimeField(source="created_at")
    read = serializers.BooleanField(source="is_read")

    class Meta:
        model = Notification
        fields = ["id", "kind", "claim", "article", "subject", "text", "link", "created", "read"]
        read_only_fields = fields


class InboxList(generics.ListAPIView[Notification]):
    serializer_class = NotificationSerializer

    @extend_schema(
        summary="Your notifications",
        description="Review decisions, claims sent back, revisions waiting and retractions, newest first.",
        parameters=[OpenApiParameter("unread", str, enum=["1"], description="1: only the unread ones.")],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Notification]:
        notes = Notification.objects.for_user(self.request.user)
        return notes.unread() if self.request.query_params.get("unread") == "1" else notes


class InboxRead(APIView):
    @extend_schema(
        summary="Mark a notification read",
        description="Marking one already read changes nothing.",
        request=None,
        responses={
            200: NotificationSerializer,
            404: OpenApiResponse(description="No such notification, or not yours."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        note = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
        return Response(NotificationSerializer(note.mark_read(by=request.user)).data)
