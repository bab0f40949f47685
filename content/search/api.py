"""JSON API of search.

GET /api/v1/search/?q=&type=claim|article&status=&owner=  what the caller may see that matches
    (paginated): type, id, title (articles) or text (claims), article, status. 400 on an unknown
    type or status.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from content.search.engine import MAX_QUERY, STATUSES, TYPES, Hit, SearchError, search


class HitSerializer(serializers.Serializer[Hit]):
    type = serializers.ChoiceField(choices=TYPES)
    id = serializers.IntegerField()
    title = serializers.CharField(required=False, help_text="Articles: the title.")
    text = serializers.CharField(required=False, help_text="Claims: the current text (Markdown).")
    article = serializers.IntegerField(help_text="The article (for an article, itself).")
    status = serializers.CharField(help_text="Claims: the claim's status; articles: active or archived.")

    def to_representation(self, hit: Hit) -> dict[str, Any]:
        body: dict[str, Any] = {"type": hit.type, "id": hit.id}
        body.update({"title": hit.title} if hit.type == "article" else {"text": hit.text})
        body.update({"article": hit.article, "status": hit.status})
        return body


class Search(GenericAPIView[Any]):
    serializer_class = HitSerializer

    @extend_schema(
        summary="Search articles and claims",
        description=(
            "Every word must match (article titles, claim texts; stemmed on PostgreSQL and on SQLite with FTS5). "
            "Only what you may read. Articles first, then claims, each best match first."
        ),
        parameters=[
            OpenApiParameter("q", str, description=f"Words, at most {MAX_QUERY} characters; empty: everything."),
            OpenApiParameter("type", str, enum=list(TYPES), description="Only articles or only claims."),
            OpenApiParameter("status", str, enum=list(STATUSES), description="A claim or article status."),
            OpenApiParameter("owner", str, description="Username of the articles' owner."),
        ],
        responses={200: HitSerializer(many=True), 400: OpenApiResponse(description="Unknown type or status.")},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        try:
            results = search(
                request.user,
                params.get("q", ""),
                type=params.get("type", ""),
                status=params.get("status", ""),
                owner=params.get("owner", ""),
            )
        except SearchError as exc:
            raise ValidationError({exc.field: [str(exc)]}) from exc
        page = self.paginate_queryset(results)  # type: ignore[arg-type]  # Results pages like a QuerySet
        return self.get_paginated_response(HitSerializer(page, many=True).data)  # type: ignore[arg-type]
