"""JSON API for articles, claims and their versions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from content import markdown
from content.actions import import_article
from content.exceptions import DuplicateImport, InvalidTransition, StaleVersion
from content.flagging import advice_prefetches, current_open_flags, rule_stats
from content.import_jobs import runs_in_background, start_import
from content.importing import FORMATS, ImportRejected
from content.library import current_matches
from content.limits import MAX_ID, is_id
from content.models import (
    Article,
    Claim,
    ClaimStatus,
    ClaimVersion,
    FlagSeverity,
    ImportJob,
    ImportJobStatus,
    Reference,
)
from content.permissions import (
    get_article_for_user,
    get_claim_for_user,
    get_import_job_for_user,
    visible_articles,
    visible_claims,
)
from content.roles import READ_ALL


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map domain refusals to HTTP: wrong state/stale -> 409, wrong person -> 403, bad input -> 400."""
    if isinstance(exc, StaleVersion):
        return Response(
            {
                "detail": str(exc),
                "current_version": exc.current_version,
                "current_text": exc.current_text,
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DuplicateImport):
        return Response({"detail": str(exc), "article": exc.article_id}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, InvalidTransition):
        return Response({"detail": str(exc), "status": exc.status}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ImportRejected):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied) and not isinstance(exc, Http404):
        return Response({"detail": str(exc) or "Not allowed."}, status=status.HTTP_403_FORBIDDEN)
    return drf_exception_handler(exc, context)


class CitationSerializer(serializers.ModelSerializer[Reference]):
    class Meta:
        model = Reference
        fields = ["id", "label", "authors", "year"]


# Advice on each claim's current version: its open triage flags and live library matches.
class RiskFlagSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="What POST /api/v1/claims/{id}/flags/{flag_id}/dismiss/ takes.")
    code = serializers.CharField()
    severity = serializers.ChoiceField(
        choices=FlagSeverity.choices, help_text="risk: a reviewer should stop here; info: context, folded away."
    )
    evidence = serializers.CharField()
    why = serializers.CharField()


class LibraryMatchSerializer(serializers.Serializer[Any]):
    claim = serializers.IntegerField()
    version = serializers.IntegerField()
    similarity = serializers.FloatField()


class ClaimSerializer(serializers.ModelSerializer[Claim]):
    html = serializers.SerializerMethodField()
    citations = CitationSerializer(many=True, read_only=True)
    author = serializers.CharField(source="author.username", read_only=True)
    risk_flags = serializers.SerializerMethodField()
    library_matches = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id",
            "article",
            "section",
            "position",
            "text",
            "html",
            "status",
            "version",
            "content_hash",
            "citations",
            "author",
            "approved_version",
            "approvals_needed",
            "risk_flags",
            "library_matches",
        ]
        read_only_fields = fields

    def get_html(self, claim: Claim) -> str:
        return markdown.render(claim.text)

    # Undismissed flags and live library matches of the current version. Lists prefetch
    # them with advice_prefetches(); a single claim without the prefetch costs two small queries.
    @extend_schema_field(RiskFlagSerializer(many=True))
    def get_risk_flags(self, claim: Claim) -> list[dict[str, Any]]:
        return [
            {"id": f.pk, "code": f.code, "severity": f.severity, "evidence": f.evidence, "why": f.why}
            for f in current_open_flags(claim)
        ]

    @extend_schema_field(LibraryMatchSerializer(many=True))
    def get_library_matches(self, claim: Claim) -> list[dict[str, Any]]:
        return [
            {"claim": m.matched_claim_id, "version": m.matched_version, "similarity": m.similarity}
            for m in current_matches(claim)
        ]


class SectionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    heading = serializers.CharField()
    position = serializers.IntegerField()


class ArticleSerializer(serializers.ModelSerializer[Article]):
    sections = SectionSerializer(many=True, read_only=True)
    claims = serializers.SerializerMethodField()
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Article
        fields = ["id", "title", "slug", "format", "owner", "created_at", "archived_at", "sections", "claims"]
        read_only_fields = fields

    @extend_schema(responses=ClaimSerializer(many=True))
    def get_claims(self, article: Article) -> list[dict[str, Any]]:
        # Uses the prefetched live claims (see article_queryset()).
        claims = article.live_claims  # type: ignore[attr-defined]
        return list(ClaimSerializer(claims, many=True).data)


class ArticleImportSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(trim_whitespace=False, allow_blank=True)
    format = serializers.ChoiceField(choices=FORMATS, default="text")
    title = serializers.CharField(required=False, allow_blank=True, max_length=300)
    force = serializers.BooleanField(default=False, help_text="Import even if you already imported this text.")


class ArticlePatchSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=300, allow_blank=True, trim_whitespace=True)
    change_reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class DuplicateSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    article = serializers.IntegerField(help_text="The article already imported from this text.")


class ImportJobSerializer(serializers.ModelSerializer[ImportJob]):
    url = serializers.SerializerMethodField(help_text="Where to ask how the import is going.")
    status = serializers.ChoiceField(choices=ImportJobStatus.choices, help_text="pending, running, done or failed.")
    claims_total = serializers.IntegerField(
        allow_null=True, help_text="Claims the parser found (known once the worker has parsed the text)."
    )
    article = serializers.IntegerField(
        source="article_id", allow_null=True, help_text="The imported article, once the status is done."
    )
    reason = serializers.CharField(help_text="Why it failed, when the status is failed; nothing was saved then.")

    class Meta:
        model = ImportJob
        fields = ["id", "url", "status", "claims_total", "article", "reason", "created_at", "finished_at"]
        read_only_fields = fields

    def get_url(self, job: ImportJob) -> str:
        return self.context["request"].build_absolute_uri(reverse("api_import_job", args=[job.pk]))


class ImportJobDetail(APIView):
    @extend_schema(responses={200: ImportJobSerializer, 404: OpenApiResponse(description="Not your import, or none.")})
    def get(self, request: Request, pk: int) -> Response:
        job = get_import_job_for_user(request.user, pk)
        return Response(ImportJobSerializer(job, context={"request": request}).data)


class ArticleListSerializer(serializers.ModelSerializer[Article]):
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Article
        fields = ["id", "title", "slug", "format", "owner", "created_at"]


def article_queryset(qs: QuerySet[Article]) -> QuerySet[Article]:
    live = (
        Claim.objects.live()
        .order_by("position")
        .select_related("author")
        .prefetch_related("citations", *advice_prefetches())
    )
    return qs.select_related("owner").prefetch_related(
        "sections", Prefetch("claims", queryset=live, to_attr="live_claims")
    )


class ArticleList(generics.ListAPIView[Article]):
    serializer_class = ArticleListSerializer

    def get_queryset(self) -> QuerySet[Article]:
        return visible_articles(self.request.user).select_related("owner")

    @extend_schema(
        request=ArticleImportSerializer,
        responses={
            201: ArticleSerializer,
            202: OpenApiResponse(
                ImportJobSerializer,
                description="More text than the background threshold: the import runs in the worker. "
                "Poll the job's `url` (also the Location header) until its status is done or failed.",
            ),
            409: OpenApiResponse(DuplicateSerializer, description="You already imported this text; send force."),
        },
    )
    def post(self, request: Request) -> Response:
        data = ArticleImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        what = {
            "text": data.validated_data["text"],
            "fmt": data.validated_data["format"],
            "title": data.validated_data.get("title"),
            "author": request.user,
            "force": data.validated_data["force"],
        }
        if runs_in_background(what["text"], what["fmt"]):
            job = start_import(**what)
            body = ImportJobSerializer(job, context={"request": request}).data
            return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})
        result = import_article(**what)
        article = article_queryset(Article.objects.filter(pk=result.article.pk)).get()
        return Response(ArticleSerializer(article).data, status=status.HTTP_201_CREATED)


class ArticleDetail(generics.RetrieveAPIView[Article]):
    http_method_names = ["get", "patch", "head", "options"]
    serializer_class = ArticleSerializer

    def get_object(self) -> Article:
        article = article_queryset(visible_articles(self.request.user).filter(pk=self.kwargs["pk"])).first()
        if article is None:
            raise Http404("No such article.")  # outsiders learn nothing about what exists
        return article

    @extend_schema(
        request=ArticlePatchSerializer,
        responses={
            200: ArticleSerializer,
            400: OpenApiResponse(description="A blank or over-long title."),
            403: OpenApiResponse(description="Not the article's author."),
        },
    )
    def patch(self, request: Request, pk: int) -> Response:
        article = get_article_for_user(request.user, pk)
        data = ArticlePatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        article.rename(
            title=data.validated_data["title"], by=request.user, reason=data.validated_data.get("change_reason", "")
        )
        return Response(ArticleSerializer(self.get_object()).data)


class ClaimPatchSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(trim_whitespace=False)
    expected_version = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    change_reason = serializers.CharField(allow_blank=True, trim_whitespace=True)
    citations = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False)

    def validate_change_reason(self, value: str) -> str:
        if not value.strip():
            raise ValidationError("Say why you are changing this claim.")
        return value


class StaleSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    current_version = serializers.IntegerField()
    current_text = serializers.CharField()


# What `mine` accepts: the usual spellings of a boolean in a query string.
FLAG_VALUES = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False, "": False}


@extend_schema_view(
    get=extend_schema(
        summary="List claims you may read",
        parameters=[
            OpenApiParameter("article", OpenApiTypes.INT, description="Only this article's claims."),
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=ClaimStatus.values,
                description="Only claims in this status, e.g. `rejected`; any other value is a 400.",
            ),
            OpenApiParameter(
                "mine",
                OpenApiTypes.BOOL,
                description="`1`: only claims of articles you own (with `status=rejected`: what you have to fix).",
            ),
        ],
        responses={200: ClaimSerializer(many=True), 400: OpenApiResponse(description="A bad filter value.")},
    )
)
class ClaimList(generics.ListAPIView[Claim]):
    serializer_class = ClaimSerializer

    def get_queryset(self) -> QuerySet[Claim]:
        qs = (
            visible_claims(self.request.user)
            .for_list()
            .prefetch_related(*advice_prefetches())
            .order_by("article_id", "position")
        )
        article = self.request.query_params.get("article")
        if article is not None:
            if not is_id(article):
                raise ValidationError({"article": "Must be an article id."})
            qs = qs.filter(article_id=int(article))
        wanted = self.request.query_params.get("status")
        if wanted is not None:
            if wanted not in ClaimStatus.values:
                raise ValidationError({"status": f"Must be one of {', '.join(ClaimStatus.values)}."})
            qs = qs.filter(status=wanted)
        mine = self.request.query_params.get("mine")
        if mine is not None:
            if mine.lower() not in FLAG_VALUES:
                raise ValidationError({"mine": "Must be 1 or 0."})
            if FLAG_VALUES[mine.lower()]:
                qs = qs.filter(article__owner=self.request.user.pk)
        return qs


class ClaimDetail(APIView):
    @extend_schema(responses=ClaimSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ClaimSerializer(get_claim_for_user(request.user, pk)).data)

    @extend_schema(
        request=ClaimPatchSerializer,
        responses={
            200: ClaimSerializer,
            400: OpenApiResponse(description="Invalid input, e.g. no change_reason; the body names each field."),
            409: OpenApiResponse(StaleSerializer, description="The claim moved on (stale) or is in the wrong state."),
        },
    )
    def patch(self, request: Request, pk: int) -> Response:
        claim = get_claim_for_user(request.user, pk)
        data = ClaimPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        citations = None
        if "citations" in data.validated_data:
            wanted = set(data.validated_data["citations"])
            citations = list(Reference.objects.filter(pk__in=wanted))
            if len(citations) != len(wanted):
                raise ValidationError({"citations": "Unknown reference id."})
        claim.revise(
            text=data.validated_data["text"],
            expected_version=data.validated_data["expected_version"],
            reason=data.validated_data["change_reason"],
            by=request.user,
            citations=citations,
        )
        return Response(ClaimSerializer(Claim.objects.for_list().get(pk=pk)).data)


class ClaimVersionSerializer(serializers.ModelSerializer[ClaimVersion]):
    changed_by = serializers.CharField(source="changed_by.username")

    class Meta:
        model = ClaimVersion
        fields = ["version", "text", "content_hash", "citations", "changed_by", "changed_at", "change_reason"]


class ClaimVersions(generics.ListAPIView[ClaimVersion]):
    serializer_class = ClaimVersionSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[ClaimVersion]:
        claim = get_claim_for_user(self.request.user, self.kwargs["pk"])
        return claim.versions.select_related("changed_by").order_by("version")


class ClaimSubmit(APIView):
    @extend_schema(request=None, responses=ClaimSerializer)
    def post(self, request: Request, pk: int) -> Response:
        claim = get_claim_for_user(request.user, pk)
        claim.submit(by=request.user)
        return Response(ClaimSerializer(Claim.objects.for_list().get(pk=pk)).data)


class RetireSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500, help_text="Why the claim is taken out of use; kept in its history.")


class RefusalSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    status = serializers.CharField(help_text="The claim's status when it was refused.")


class ClaimRetire(APIView):
    @extend_schema(
        summary="Retire a claim",
        description="Takes the claim out of use for good (any status but retired); its history stays.",
        request=RetireSerializer,
        responses={
            200: ClaimSerializer,
            400: OpenApiResponse(description="No reason given."),
            403: OpenApiResponse(description="Not the article's author."),
            404: OpenApiResponse(description="No such claim, or not one you may read."),
            409: OpenApiResponse(RefusalSerializer, description="Already retired."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        claim = get_claim_for_user(request.user, pk)
        data = RetireSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim.retire(by=request.user, reason=data.validated_data["reason"])
        return Response(ClaimSerializer(Claim.objects.for_list().get(pk=pk)).data)


class ArchiveSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500, help_text="Why the article is put away; kept in its history.")


class ArticleArchive(APIView):
    @extend_schema(
        summary="Archive an article",
        description=(
            "Puts away an article none of whose claims was ever submitted (an import made by mistake): "
            "its live claims are retired, it leaves the article list, its history stays."
        ),
        request=ArchiveSerializer,
        responses={
            200: ArticleSerializer,
            400: OpenApiResponse(description="No reason given."),
            403: OpenApiResponse(description="Not the article's author."),
            404: OpenApiResponse(description="No such article, or not one you may read."),
            409: OpenApiResponse(RefusalSerializer, description="Already archived, or a claim of it was submitted."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        article = get_article_for_user(request.user, pk)
        data = ArchiveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        article.archive(by=request.user, reason=data.validated_data["reason"])
        return Response(ArticleSerializer(article_queryset(Article.objects.filter(pk=pk)).get()).data)


class ClaimRecall(APIView):
    @extend_schema(
        summary="Recall a submission",
        description="Takes a claim in review back to draft, while no reviewer has opened or reviewed it.",
        request=None,
        responses={
            200: ClaimSerializer,
            403: OpenApiResponse(description="Not the article's author."),
            404: OpenApiResponse(description="No such claim, or not one you may read."),
            409: OpenApiResponse(RefusalSerializer, description="Not in review, or a reviewer already opened it."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        claim = get_claim_for_user(request.user, pk)
        claim.recall(by=request.user)
        return Response(ClaimSerializer(Claim.objects.for_list().get(pk=pk)).data)


# --- Triage feedback: how often each rule's flags are dismissed ------------------------------------------------------


class RuleStatsSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField(help_text="The rule's human name.")
    raised = serializers.IntegerField()
    dismissed = serializers.IntegerField()
    share_dismissed = serializers.FloatField(allow_null=True, help_text="dismissed / raised; null when none raised.")


class RuleStatsQuerySerializer(serializers.Serializer[Any]):
    since = serializers.DateTimeField(required=False, help_text="Flags raised at or after this time (ISO 8601).")
    until = serializers.DateTimeField(required=False, help_text="Flags raised before this time (ISO 8601).")


class TriageRules(APIView):
    """GET /api/v1/triage/rules/?since=&until=: per rule code, flags raised, dismissed and the share dismissed.

    Reviewers and compliance read it to see which rule cries wolf; like the dashboard, it is for staff
    who may read every article (counts cross articles, so an author sees only a 403).
    """

    @extend_schema(
        parameters=[RuleStatsQuerySerializer],
        responses={200: RuleStatsSerializer(many=True), 403: OpenApiResponse(description="Not a reviewer.")},
    )
    def get(self, request: Request) -> Response:
        if not request.user.has_perm(READ_ALL):
            raise PermissionDenied("Only staff who read every article see rule statistics.")
        query = RuleStatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        stats = rule_stats(query.validated_data.get("since"), query.validated_data.get("until"))
        data = [
            {
                "code": r.code,
                "name": r.label,
                "raised": r.raised,
                "dismissed": r.dismissed,
                "share_dismissed": r.share_dismissed,
            }
            for r in stats
        ]
        return Response(RuleStatsSerializer(data, many=True).data)
