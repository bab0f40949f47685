"""JSON API for channels: what each serves (read side) and publishing to them (write side).

Read side: channel consumers authenticate with a per-channel key (`Authorization: Channel <key>`)
that opens that channel's feed and articles and nothing else; staff who may see publishing read
them with their normal session or token. Responses carry an ETag; a matching If-None-Match gets 304.

Write side: publishers publish a claim's last approved version or a whole article, and withdraw.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.decorators import method_decorator
from django.utils.http import quote_etag
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    TokenAuthentication,
    get_authorization_header,
)
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.db_router import use_replica
from content.exceptions import NotAllowed
from content.permissions import get_article_for_user, get_claim_for_user
from content.roles import can_see_publishing, is_compliance
from review.models import (
    ArticlePublication,
    Channel,
    ChannelToken,
    Publication,
    hash_channel_key,
    renditions_live_at,
    sha256_of,
)
from review.permissions import get_article_publication_for_user, get_publication_for_user
from review.publishing.actions import (
    PolicyRefused,
    SupersededNotConfirmed,
    publish_article,
    publish_claim,
    withdraw_article_publication,
    withdraw_publication,
)
from review.publishing.conditional import not_modified, revalidated
from review.publishing.facts import channels_with_policy
from review.publishing.feeds import assemble, live_article, servable_publications, serve
from review.publishing.preview import claim_previews
from review.publishing.renditions import FEED_CACHE_SECONDS, article_etag, feed_body, feed_etag

# --- channel keys --------------------------------------------------------------------------------


class ChannelTokenAuthentication(BaseAuthentication):
    """`Authorization: Channel <key>`: the request is anonymous, carrying only the key's channel in request.auth.

    Because the user stays anonymous, every other API view (which only knows session and user
    tokens and requires an authenticated user) refuses a channel key.
    """

    keyword = "Channel"

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ChannelToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Send the key as `Authorization: Channel <key>`.")
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid channel key.") from None
        token = (
            ChannelToken.objects.select_related("channel")
            .filter(key_hash=hash_channel_key(key), revoked_at__isnull=True)
            .first()
        )
        if token is None:
            raise AuthenticationFailed("Invalid or revoked channel key.")
        return AnonymousUser(), token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ChannelTokenScheme(OpenApiAuthenticationExtension):
    """Documents the channel key in the OpenAPI schema."""

    target_class = "review.publishing.api.ChannelTokenAuthentication"
    name = "channelKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Channel <key>` from `manage.py create_channel_token SLUG`; reads that channel only.",
        }


CHANNEL_READ_AUTH = [ChannelTokenAuthentication, SessionAuthentication, TokenAuthentication]


class CanReadChannel(BasePermission):
    """A channel key reads its own channel only; people read any channel if they may see publishing."""

    message = "You may not read this channel."

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth if isinstance(request.auth, ChannelToken) else None
        if token is not None:
            if token.channel.slug == view.kwargs.get("slug"):
                return True
            self.message = "This key is for another channel."
            return False
        return can_see_publishing(request.user)


# --- read side -----------------------------------------------------------------------------------


class ChannelSerializer(serializers.ModelSerializer[Channel]):
    blocking_tags: Any = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    # A plain string here: the grade enum is already named once in the schema (by the review API).
    min_grade = serializers.CharField(read_only=True, help_text="Lowest evidence grade accepted, e.g. moderate.")

    class Meta:
        model = Channel
        fields = [
            "name",
            "slug",
            "audience",
            "min_grade",
            "signatures_required",
            "blocking_tags",
            "max_length",
            "review_interval_days",
            "append_required_wording",
        ]
        read_only_fields = fields


class ChannelList(generics.ListAPIView[Channel]):
    """Every channel and its policy (people only; a channel key cannot list channels)."""

    serializer_class = ChannelSerializer

    def get_queryset(self) -> QuerySet[Channel]:
        return channels_with_policy()


class FeedPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_paginated_response(self, data: Any) -> Response:
        assert self.page is not None
        return Response(
            {
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "items": data,
            }
        )


_FEED_ITEM_FIELDS: dict[str, serializers.Field[Any, Any, Any, Any]] = {
    "claim": serializers.IntegerField(),
    "article": serializers.IntegerField(),
    "version": serializers.IntegerField(),
    "text": serializers.CharField(),
    "html": serializers.CharField(),
    "evidence_grade": serializers.CharField(),
    "required_wording": serializers.ListField(child=serializers.CharField()),
    "approved_by": serializers.ListField(child=serializers.DictField()),
    "published_at": serializers.DateTimeField(),
    "review_due": serializers.DateTimeField(),
    "content_hash": serializers.CharField(),
}


def _json_bytes(body: str) -> HttpResponse:
    return HttpResponse(body.encode("utf-8"), content_type="application/json")


def parse_as_of(value: str) -> datetime:
    """An ISO 8601 moment (naive means UTC); a bad one is a 400 naming the parameter."""
    text = value.strip().replace(" ", "+")  # an unencoded "+00:00" arrives as " 00:00"
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise serializers.ValidationError({"as_of": "Give an ISO 8601 date-time, e.g. 2026-01-31T09:30:00Z."})
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


@method_decorator(use_replica, name="get")
class ChannelFeed(APIView):
    """What a channel serves now (live, unexpired publications, newest first), or `as_of` a moment.

    Each item is the publication's rendition, byte for byte. The ETag is computed from the page's
    live set (publication, rendition hash, the claim's approval) and the channel's policy, before
    any body is built: a 304 costs the page query only, and a 200 for an ETag another worker has
    already served comes from the shared cache, since a body is fixed by its ETag.
    """

    authentication_classes = CHANNEL_READ_AUTH
    permission_classes = [CanReadChannel]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "as_of",
                OpenApiTypes.DATETIME,
                description="Compliance only: the renditions live at this moment (ISO 8601), byte for byte.",
            )
        ],
        responses={
            200: inline_serializer(
                "ChannelFeedPage",
                {
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "items": inline_serializer("FeedItem", _FEED_ITEM_FIELDS, many=True),
                },
            ),
            304: OpenApiResponse(description="Not modified (If-None-Match matched the ETag)."),
            400: OpenApiResponse(description="as_of is not an ISO 8601 date-time."),
            403: OpenApiResponse(description="as_of is for compliance staff."),
        },
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        channel = get_object_or_404(channels_with_policy(), slug=slug)
        if "as_of" in request.query_params:
            return self._as_of(request, channel)
        now = timezone.now()
        paginator = FeedPagination()
        page = paginator.paginate_queryset(servable_publications(channel, now), request, view=self) or []
        assert paginator.page is not None
        head = {
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
        }
        etag = feed_etag(channel, head, page)
        if (unchanged := not_modified(request, etag)) is not None:
            return unchanged
        key = f"vetted:feed:{etag}"
        body = cache.get(key)
        if body is None:
            body = feed_body(head, [served.item for served in serve(page, channel, now)])
            cache.set(key, body, FEED_CACHE_SECONDS)
        return revalidated(_json_bytes(body), etag)

    def _as_of(self, request: Request, channel: Channel) -> HttpResponse:
        if not is_compliance(request.user):
            raise PermissionDenied("A channel as of a moment is for compliance staff.")
        at = parse_as_of(request.query_params["as_of"])
        items = [r.item for r in renditions_live_at(channel, at)]
        body = feed_body({"count": len(items), "next": None, "previous": None}, items)
        etag = quote_etag(sha256_of(body)[:40])
        return not_modified(request, etag) or revalidated(_json_bytes(body), etag)


@method_decorator(use_replica, name="get")
class ChannelArticle(APIView):
    """An article as the channel serves it, assembled in order from its claims' published versions."""

    authentication_classes = CHANNEL_READ_AUTH
    permission_classes = [CanReadChannel]

    @extend_schema(
        responses={
            200: OpenApiResponse(description="The assembled article."),
            304: OpenApiResponse(description="Not modified (If-None-Match matched the ETag)."),
            404: None,
        }
    )
    def get(self, request: Request, slug: str, article_id: int) -> HttpResponse:
        channel = get_object_or_404(channels_with_policy(), slug=slug)
        now = timezone.now()
        live = live_article(article_id, channel, now)
        if live is None or not live[1]:
            return Response({"detail": "This article is not live on this channel."}, status=status.HTTP_404_NOT_FOUND)
        etag = article_etag("api", channel, *live)
        if (unchanged := not_modified(request, etag)) is not None:
            return unchanged
        key = f"vetted:article:{etag}"
        body = cache.get(key)
        if body is None:
            article = assemble(*live, channel, now)
            if article is None:
                return Response(
                    {"detail": "This article is not live on this channel."}, status=status.HTTP_404_NOT_FOUND
                )
            body = json.dumps(article.as_json(), ensure_ascii=False, separators=(",", ":"))
            cache.set(key, body, FEED_CACHE_SECONDS)
        return revalidated(_json_bytes(body), etag)


# --- write side ----------------------------------------------------------------------------------


class PublicationSerializer(serializers.ModelSerializer[Publication]):
    channel: Any = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    article = serializers.IntegerField(source="claim.article_id", read_only=True)
    published_by = serializers.CharField(source="published_by.username", read_only=True)
    withdrawn_by = serializers.CharField(source="withdrawn_by.username", read_only=True, allow_null=True)
    live = serializers.BooleanField(source="is_live", read_only=True)

    class Meta:
        model = Publication
        fields = [
            "id",
            "claim",
            "article",
            "version",
            "content_hash",
            "channel",
            "live",
            "published_by",
            "published_at",
            "withdrawn_at",
            "withdrawn_by",
            "withdraw_reason",
        ]
        read_only_fields = fields


class ArticlePublicationSerializer(serializers.ModelSerializer[ArticlePublication]):
    channel: Any = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    published_by = serializers.CharField(source="published_by.username", read_only=True)
    withdrawn_by = serializers.CharField(source="withdrawn_by.username", read_only=True, allow_null=True)
    live = serializers.BooleanField(source="is_live", read_only=True)

    class Meta:
        model = ArticlePublication
        fields = [
            "id",
            "article",
            "channel",
            "live",
            "published_by",
            "published_at",
            "withdrawn_at",
            "withdrawn_by",
            "withdraw_reason",
        ]
        read_only_fields = fields


class PublishSerializer(serializers.Serializer[Any]):
    channel = serializers.SlugRelatedField(slug_field="slug", queryset=Channel.objects.all())
    confirm_superseded = serializers.BooleanField(
        default=False,
        help_text="Confirms the publisher checked that works marked superseded still support what is published.",
    )


class WithdrawSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


_REFUSAL = inline_serializer(
    "PublishRefused",
    {
        "detail": serializers.CharField(),
        "failed_rules": serializers.ListField(child=serializers.CharField()),
        "superseded": serializers.ListField(
            child=serializers.CharField(), required=False, help_text="Superseded works to confirm."
        ),
    },
)


def refused(exc: PolicyRefused) -> Response:
    body: dict[str, Any] = {"detail": str(exc), "failed_rules": exc.failed_rules}
    if isinstance(exc, SupersededNotConfirmed):
        body["superseded"] = exc.superseded
    if exc.claims:
        body["claims"] = [{"claim": pk, "failed_rules": rules} for pk, rules in exc.claims.items()]
    return Response(body, status=status.HTTP_409_CONFLICT)


def _publications(qs: QuerySet[Publication]) -> QuerySet[Publication]:
    return qs.select_related("claim", "channel", "published_by", "withdrawn_by").order_by("-published_at", "-id")


def _published(
    request: Request, publish: Callable[[Channel, bool], tuple[Any, bool]], answer: Callable[[int], Any]
) -> Response:
    """The shared half of both publish endpoints: the channel, the verb, then 201 (new) or 200 (already live)."""
    data = PublishSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    try:
        published, created = publish(data.validated_data["channel"], data.validated_data["confirm_superseded"])
    except PolicyRefused as exc:
        return refused(exc)
    return Response(answer(published.pk), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _withdrawn(request: Request, withdraw: Callable[[str], Any], answer: Callable[[], Any]) -> Response:
    """The shared half of both withdraw endpoints: the reason, the verb, then the record as it is now."""
    data = WithdrawSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    withdraw(data.validated_data["reason"])
    return Response(answer())


def _publication_json(pk: int) -> Any:
    return PublicationSerializer(_publications(Publication.objects.filter(pk=pk)).get()).data


def _article_publication_json(pk: int) -> Any:
    return ArticlePublicationSerializer(_article_publications(ArticlePublication.objects.filter(pk=pk)).get()).data


class ClaimPublications(APIView):
    @extend_schema(responses=PublicationSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        claim = get_claim_for_user(request.user, pk)
        return Response(PublicationSerializer(_publications(Publication.objects.filter(claim=claim)), many=True).data)

    @extend_schema(
        request=PublishSerializer,
        responses={201: PublicationSerializer, 200: PublicationSerializer, 409: _REFUSAL},
    )
    def post(self, request: Request, pk: int) -> Response:
        claim = get_claim_for_user(request.user, pk)
        return _published(
            request,
            lambda channel, confirm: publish_claim(claim, channel, by=request.user, confirm_superseded=confirm),
            _publication_json,
        )


_PREVIEW = inline_serializer(
    "PublicationPreview",
    {
        "channel": serializers.CharField(),
        "version": serializers.IntegerField(),
        "text": serializers.CharField(help_text="Exactly what the channel would serve, required wording included."),
        "required_wording": serializers.ListField(child=serializers.CharField()),
        "length": serializers.IntegerField(help_text="Characters in `text`, as the channel's limit counts them."),
        "failed_rules": serializers.ListField(child=serializers.CharField()),
        "superseded": serializers.ListField(child=serializers.CharField()),
    },
)


class ClaimPublicationPreview(APIView):
    """What publishing the claim to a channel would serve, and every rule it fails there; changes nothing."""

    @extend_schema(
        parameters=[OpenApiParameter("channel", str, required=True, description="The channel's slug.")],
        responses={200: _PREVIEW, 400: OpenApiResponse(description="No such channel.")},
    )
    def get(self, request: Request, pk: int) -> Response:
        claim = get_claim_for_user(request.user, pk)
        if not can_see_publishing(request.user):
            raise NotAllowed("Publishing previews are for publishers, reviewers and compliance.")
        slug = request.query_params.get("channel", "")
        channel = channels_with_policy().filter(slug=slug).first() if slug else None
        if channel is None:
            raise ValidationError({"channel": "Name a channel by its slug, e.g. ?channel=website."})
        [shown] = claim_previews(claim, [channel], timezone.now())
        return Response(shown.as_json())


class PublicationWithdraw(APIView):
    @extend_schema(request=WithdrawSerializer, responses={200: PublicationSerializer})
    def post(self, request: Request, pk: int) -> Response:
        pub = get_publication_for_user(request.user, pk)
        return _withdrawn(
            request,
            lambda reason: withdraw_publication(pub, by=request.user, reason=reason),
            lambda: _publication_json(pub.pk),
        )


def _article_publications(qs: QuerySet[ArticlePublication]) -> QuerySet[ArticlePublication]:
    return qs.select_related("channel", "published_by", "withdrawn_by").order_by("-published_at", "-id")


class ArticlePublications(APIView):
    @extend_schema(responses=ArticlePublicationSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        article = get_article_for_user(request.user, pk)
        rows = _article_publications(ArticlePublication.objects.filter(article=article))
        return Response(ArticlePublicationSerializer(rows, many=True).data)

    @extend_schema(
        request=PublishSerializer,
        responses={201: ArticlePublicationSerializer, 200: ArticlePublicationSerializer, 409: _REFUSAL},
    )
    def post(self, request: Request, pk: int) -> Response:
        article = get_article_for_user(request.user, pk)
        return _published(
            request,
            lambda channel, confirm: publish_article(article, channel, by=request.user, confirm_superseded=confirm),
            _article_publication_json,
        )


class ArticlePublicationWithdraw(APIView):
    @extend_schema(request=WithdrawSerializer, responses={200: ArticlePublicationSerializer})
    def post(self, request: Request, pk: int) -> Response:
        ap = get_article_publication_for_user(request.user, pk)
        return _withdrawn(
            request,
            lambda reason: withdraw_article_publication(ap, by=request.user, reason=reason),
            lambda: _article_publication_json(ap.pk),
        )
