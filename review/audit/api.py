"""Audit API: the event timeline, streamed exports, chain verification, a claim as of a moment.

Compliance staff (`review.view_auditevent`) read everything. Authors, reviewers
and publishers may list the events of claims they can see and read a claim as
of a moment, but not the exports or the verification (403). Anyone else: 403,
or 404 for a claim they cannot see.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import Func, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import StreamingHttpResponse
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.db_router import use_replica
from content.exceptions import NotAllowed
from content.locking import lock_chain
from content.permissions import get_claim_for_user, visible_claims
from content.roles import READ_ALL, is_compliance
from review import audit
from review.audit.export import CsvCell, csv_chunks
from review.models import AuditEvent, AuditVerification

FILTER_PARAMETERS = [
    OpenApiParameter("claim", int, description="Events of this claim."),
    OpenApiParameter("article", int, description="Events of this article, its sections and claims."),
    OpenApiParameter("actor", str, description="Username (or user id) of who acted."),
    OpenApiParameter("channel", str, description="Channel slug (or id): its settings and publications."),
    OpenApiParameter("type", str, description="Event type, or a prefix: `claim`, `claim.status`."),
    OpenApiParameter("since", str, description="ISO 8601 date or date-time (UTC if no offset)."),
    OpenApiParameter("until", str, description="ISO 8601 date or date-time; a bare date includes that day."),
]
CSV_COLUMNS = ["id", "at", "actor", "type", "object_type", "object_id", "changes", "reason", "hash", "prev_hash"]


def _require_compliance(user: Any) -> None:
    if not is_compliance(user):
        raise NotAllowed("Only compliance staff may export or verify the audit trail.")


def _filtered(request: Request, events: QuerySet[AuditEvent] | None = None) -> QuerySet[AuditEvent]:
    try:
        return audit.filter_events(request.query_params, events)
    except audit.FilterError as exc:
        raise ValidationError({"detail": str(exc)}) from None


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    actor = serializers.CharField(source="actor_username")

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor", "type", "object_type", "object_id", "changes", "reason", "hash", "prev_hash"]

    def to_representation(self, instance: AuditEvent) -> dict[str, Any]:
        return audit.event_json(instance)


class EventPagination(PageNumberPagination):
    """Pages cut from the ids alone, then only the page's rows read (review.audit.page_ids)."""

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any] | None:
        ids = super().paginate_queryset(audit.page_ids(queryset), request, view)
        return None if ids is None else audit.rows_of(queryset, ids)


@extend_schema(parameters=FILTER_PARAMETERS)
@method_decorator(use_replica, name="get")
class AuditEvents(generics.ListAPIView[AuditEvent]):
    """The audit timeline in chain order, paginated."""

    serializer_class = AuditEventSerializer
    pagination_class = EventPagination

    def get_queryset(self) -> QuerySet[AuditEvent]:
        user = self.request.user
        if is_compliance(user):
            scope = AuditEvent.objects.all()
        elif user.has_perm("content.view_claim") or user.has_perm(READ_ALL):
            scope = AuditEvent.objects.filter(claim_id__in=visible_claims(user).values("pk"))
        else:
            raise NotAllowed("Only compliance staff and people working on claims read the audit trail.")
        return _filtered(self.request, scope)


class _IsoText(Func):
    """`at` as the text audit.iso gives (UTC, microseconds, +00:00), formatted by the database.

    Parsing a million datetimes into Python objects and formatting them again was most of the
    export's cost. SQLite keeps Django's `YYYY-MM-DD HH:MM:SS[.ffffff]` in UTC (no fraction when
    it is zero); PostgreSQL formats the timestamp itself.
    """

    output_field = TextField()
    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = (
            "replace(CASE WHEN length(%(expressions)s) = 19 THEN %(expressions)s || '.000000' "
            "ELSE %(expressions)s END, ' ', 'T') || '+00:00'"
        )
        return self.as_sql(compiler, connection, template=template, **extra)


# The export's cells in CSV_COLUMNS order: "actor" is the username kept on the event, "at" and
# "changes" are text from the database. `changes` is the JSON as the database keeps it (the same
# value as event_json's; key order and spacing are the database's own), written as is instead
# of parsed and serialised again row by row. Free text is formula-guarded.
CSV_CELLS = [
    CsvCell("id", verbatim=True),
    CsvCell(_IsoText("at"), verbatim=True),
    CsvCell("actor_username", formula_guard=True),
    CsvCell("type", formula_guard=True),
    CsvCell("object_type", formula_guard=True),
    CsvCell("object_id", formula_guard=True),
    CsvCell(Cast("changes", TextField()), formula_guard=True),
    CsvCell("reason", formula_guard=True),
    CsvCell("hash", verbatim=True),
    CsvCell("prev_hash", verbatim=True),
]
CSV_HEADER = (",".join(CSV_COLUMNS) + "\r\n").encode()


def csv_lines(events: QuerySet[AuditEvent]) -> Iterator[bytes]:
    """The export as CSV (excel dialect, CRLF), built by the database in chunks (review.audit.export)."""
    yield CSV_HEADER
    yield from csv_chunks(events, CSV_CELLS)


def json_chunks(events: QuerySet[AuditEvent]) -> Iterator[str]:
    yield "["
    separator = "\n"
    for event in events.iterator(chunk_size=2000):
        yield separator + json.dumps(audit.event_json(event), ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


EXPORT_FILTERS = [p.name for p in FILTER_PARAMETERS]


def _recorded_export(request: Request, fmt: str) -> QuerySet[AuditEvent]:
    """The filtered events up to the head now, after recording who exported them, how filtered, how many rows.

    An export is a read that leaves the system, so it is an event of its own (a GET that
    writes only this record). Pinned to the head before the event is appended, so the file
    holds exactly the rows the event counts and never the export's own event.
    """
    events = _filtered(request)
    head = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    events = events.filter(id__lte=head)
    filters = {name: request.query_params[name] for name in EXPORT_FILTERS if request.query_params.get(name)}
    rows = events.count()
    with transaction.atomic():
        lock_chain()
        audit.record(
            request.user,
            "audit.exported",
            None,
            {"format": [None, fmt], "filters": [None, filters], "rows": [None, rows], "head": [None, head]},
            f"Exported {rows} audit events as {fmt.upper()}",
            object_type="audit_export",
        )
    return events


@extend_schema(parameters=FILTER_PARAMETERS, responses={(200, "text/csv"): OpenApiTypes.STR})
class ExportCSV(APIView):
    """The filtered timeline as CSV, streamed (constant memory however long)."""

    def get(self, request: Request) -> StreamingHttpResponse:
        _require_compliance(request.user)
        lines = csv_lines(_recorded_export(request, "csv"))
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-events.csv"'
        return response


@extend_schema(parameters=FILTER_PARAMETERS, responses={(200, "application/json"): OpenApiTypes.OBJECT})
class ExportJSON(APIView):
    """The filtered timeline as a JSON array, streamed."""

    def get(self, request: Request) -> StreamingHttpResponse:
        _require_compliance(request.user)
        chunks = json_chunks(_recorded_export(request, "json"))
        response = StreamingHttpResponse(chunks, content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="audit-events.json"'
        return response


VERIFICATION_FIELDS: dict[str, serializers.Field[Any, Any, Any, Any]] = {
    "ok": serializers.BooleanField(),
    "events_checked": serializers.IntegerField(),
    "first_broken": serializers.IntegerField(allow_null=True),
    "head": serializers.CharField(),
}


class Verify(APIView):
    """GET: the latest recorded verification, without running one. POST: check the whole chain now and record it.

    Running is a POST because it writes (the recorded run): a GET must change nothing,
    or any page a compliance officer visits could trigger runs from another site.
    """

    @extend_schema(
        responses={
            200: inline_serializer(
                "LatestAuditVerification", {**VERIFICATION_FIELDS, "at": serializers.DateTimeField()}
            ),
            404: OpenApiResponse(description="No verification has been run yet."),
        }
    )
    def get(self, request: Request) -> Response:
        _require_compliance(request.user)
        latest = AuditVerification.objects.order_by("-at", "-id").first()
        if latest is None:
            return Response({"detail": "No verification has been run yet; POST here to run one."}, status=404)
        return Response(
            {
                "ok": latest.ok,
                "events_checked": latest.events_checked,
                "first_broken": latest.first_broken,
                "head": latest.head,
                "at": audit.iso(latest.at),
            }
        )

    @extend_schema(request=None, responses=inline_serializer("AuditVerification", VERIFICATION_FIELDS))
    def post(self, request: Request) -> Response:
        _require_compliance(request.user)
        result, _ = audit.run_verification(request.user)
        return Response(result.as_json())


@method_decorator(use_replica, name="get")
class ClaimAsOf(APIView):
    """A claim as it stood at `at`: 400 for a bad date, 404 if it did not exist yet."""

    @extend_schema(
        parameters=[OpenApiParameter("at", str, required=True, description="ISO 8601 date-time (UTC if no offset).")],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, pk: int) -> Response:
        claim = get_claim_for_user(request.user, pk)
        at_text = request.query_params.get("at", "").strip()
        if not at_text:
            raise ValidationError({"at": "Say when: ?at=2026-01-31T09:30:00Z."})
        try:
            at = audit.parse_moment(at_text, end_of_day=True)
        except audit.FilterError as exc:
            raise ValidationError({"at": str(exc)}) from None
        snapshot = audit.claim_as_of(claim.pk, at)
        if snapshot is None:
            return Response({"detail": f"Claim #{claim.pk} did not exist yet at {at.isoformat()}."}, status=404)
        return Response(snapshot)
