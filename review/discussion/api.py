"""JSON API for comment threads and suggested wording.

- `GET /api/v1/claims/{id}/comments/?version=`: the version's threads (default: the current one), replies nested.
- `POST /api/v1/claims/{id}/comments/` `{"version", "start", "end", "body", "blocking"?, "parent"?, "quote"?}`:
  201; a reply names its thread in `parent` and needs no span.
- `POST /api/v1/comments/{id}/resolve/`: 200.
- `POST /api/v1/claims/{id}/suggestions/` `{"version", "start", "end", "text", "sign"?: {"password",
  "signature_meaning", "evidence_grade"?}}`: 201. `GET` lists the claim's suggestions.
- `POST /api/v1/suggestions/{id}/accept/`: 200 with the claim as it now is; `.../decline/` `{"reason"}`: 200.

Refusals as everywhere: 400 bad input (a span that is not the version's words), 403 the wrong
person, 404 a claim you may not see, 409 the wrong state (a stale version, a resolved thread,
a suggestion no longer open, approving over a blocking thread).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from content.limits import MAX_ID
from content.permissions import get_claim_for_user
from review.discussion import actions
from review.models import Comment, EvidenceGrade, Suggestion
from review.permissions import get_comment_for_user, get_suggestion_for_user

MAX_OFFSET = 1_000_000


def _who(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


class ReplySerializer(serializers.ModelSerializer[Comment]):
    author = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "body", "author", "created_at"]

    def get_author(self, comment: Comment) -> str:
        return _who(comment.author)


class CommentSerializer(serializers.ModelSerializer[Comment]):
    version = serializers.IntegerField(source="claim_version")
    author = serializers.SerializerMethodField()
    resolved = serializers.SerializerMethodField()
    resolved_by = serializers.SerializerMethodField()
    parent: Any = serializers.IntegerField(source="parent_id", allow_null=True)
    replies = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = [
            "id",
            "claim",
            "version",
            "start",
            "end",
            "quote",
            "body",
            "author",
            "parent",
            "blocking",
            "outdated",
            "resolved",
            "resolved_by",
            "resolved_at",
            "created_at",
            "replies",
        ]
        read_only_fields = fields

    def get_author(self, comment: Comment) -> str:
        return _who(comment.author)

    def get_resolved(self, comment: Comment) -> bool:
        return comment.resolved_at is not None

    def get_resolved_by(self, comment: Comment) -> str | None:
        return _who(comment.resolved_by) if comment.resolved_by else None

    @extend_schema(responses=ReplySerializer(many=True))  # type: ignore[misc]
    def get_replies(self, comment: Comment) -> list[Any]:
        if comment.parent_id is not None:
            return []
        return list(ReplySerializer(comment.replies.all(), many=True).data)


class CommentCreateSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    start = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, required=False)
    end = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, required=False)
    quote = serializers.CharField(required=False, trim_whitespace=False, max_length=actions.MAX_BODY)
    body = serializers.CharField(max_length=actions.MAX_BODY)
    blocking = serializers.BooleanField(required=False, default=False)
    parent: Any = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if "parent" not in data:
            missing = [name for name in ("version", "start", "end") if name not in data]
            if missing:
                raise serializers.ValidationError({name: "A new thread needs this." for name in missing})
        return data


class SignSerializer(serializers.Serializer[Any]):
    password = serializers.CharField(trim_whitespace=False, write_only=True, max_length=4096)
    signature_meaning = serializers.CharField(max_length=300)
    evidence_grade = serializers.ChoiceField(choices=EvidenceGrade.choices, required=False, default="")


class SuggestionCreateSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    start = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET)
    end = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET)
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=actions.MAX_BODY)
    sign = SignSerializer(required=False)


class SuggestionSerializer(serializers.ModelSerializer[Suggestion]):
    version = serializers.IntegerField(source="claim_version")
    by = serializers.SerializerMethodField()
    signed = serializers.BooleanField()
    signature_meaning = serializers.CharField(source="meaning")

    class Meta:
        model = Suggestion
        fields = [
            "id",
            "claim",
            "version",
            "start",
            "end",
            "quote",
            "text",
            "proposed_text",
            "proposed_hash",
            "by",
            "status",
            "reason",
            "accepted_version",
            "signed",
            "signed_at",
            "signature_meaning",
            "evidence_grade",
            "created_at",
        ]
        read_only_fields = fields

    def get_by(self, suggestion: Suggestion) -> str:
        return _who(suggestion.by)


class DeclineSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=actions.MAX_BODY)


class AcceptedSerializer(serializers.Serializer[Any]):
    suggestion = SuggestionSerializer()
    claim = serializers.DictField(help_text="id, version, status and approved_version of the claim after acceptance.")


def _threads(claim_id: int, version: int) -> Any:
    return (
        Comment.objects.threads()
        .filter(claim_id=claim_id, claim_version=version)
        .select_related("author", "resolved_by")
        .prefetch_related("replies__author")
        .order_by("start", "created_at", "id")
    )


class ClaimComments(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("version", int, description="The version's threads (default: current).")],
        responses=CommentSerializer(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        claim = get_claim_for_user(request.user, pk)
        raw = request.query_params.get("version", "")
        if raw and not (raw.isdigit() and 1 <= int(raw) <= MAX_ID):
            raise ValidationError({"version": "A version number."})
        version = int(raw) if raw else claim.version
        return Response(CommentSerializer(_threads(claim.pk, version), many=True).data)

    @extend_schema(request=CommentCreateSerializer, responses={201: CommentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        claim = get_claim_for_user(request.user, pk)
        data = CommentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = actions.comment(claim=claim, by=request.user, **data.validated_data)
        found = Comment.objects.select_related("author", "resolved_by").get(pk=created.pk)
        return Response(CommentSerializer(found).data, status=status.HTTP_201_CREATED)


class CommentResolve(APIView):
    @extend_schema(request=None, responses=CommentSerializer)
    def post(self, request: Request, pk: int) -> Response:
        thread = get_comment_for_user(request.user, pk)
        resolved = thread.resolve(by=request.user)
        return Response(CommentSerializer(resolved).data)


class ClaimSuggestions(APIView):
    @extend_schema(responses=SuggestionSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        claim = get_claim_for_user(request.user, pk)
        rows = Suggestion.objects.filter(claim=claim).select_related("by").order_by("created_at", "id")
        return Response(SuggestionSerializer(rows, many=True).data)

    @extend_schema(request=SuggestionCreateSerializer, responses={201: SuggestionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        claim = get_claim_for_user(request.user, pk)
        data = SuggestionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = dict(data.validated_data)
        sign = given.pop("sign", None)
        created = actions.suggest(
            claim=claim, by=request.user, sign=actions.Signing(**sign) if sign is not None else None, **given
        )
        return Response(SuggestionSerializer(created).data, status=status.HTTP_201_CREATED)


class SuggestionAccept(APIView):
    @extend_schema(request=None, responses=AcceptedSerializer)
    def post(self, request: Request, pk: int) -> Response:
        suggestion = get_suggestion_for_user(request.user, pk)
        claim = actions.accept(suggestion=suggestion, by=request.user)
        suggestion.refresh_from_db()
        return Response(
            {
                "suggestion": SuggestionSerializer(suggestion).data,
                "claim": {
                    "id": claim.pk,
                    "version": claim.version,
                    "status": claim.status,
                    "approved_version": claim.approved_version,
                },
            }
        )


class SuggestionDecline(APIView):
    @extend_schema(request=DeclineSerializer, responses=SuggestionSerializer)
    def post(self, request: Request, pk: int) -> Response:
        suggestion = get_suggestion_for_user(request.user, pk)
        data = DeclineSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        declined = suggestion.decline(by=request.user, reason=data.validated_data["reason"])
        return Response(SuggestionSerializer(declined).data)
