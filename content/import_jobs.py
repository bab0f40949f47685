"""Large imports off the request: above a size the form and the API hand the text to the task worker.

Parsing and storing a 2 MB article takes a minute or more (README "Benchmark"). Held in a
request it would occupy a server thread that long and outlive a proxy's timeout, so above
`settings.VETTED_BACKGROUND_IMPORT_BYTES` the request only records an ImportJob and answers at
once; `manage.py db_worker` runs `run_import_job`, which imports through the same
`import_article` (one transaction, nothing half-written) as the author who asked.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django_tasks import task

from content.actions import ImportResult, find_duplicate, import_article
from content.exceptions import DuplicateImport, NotAllowed
from content.importing import ImportRejected, parsed_size
from content.locking import contention
from content.models import ImportJob, ImportJobStatus, source_fingerprint, unstorable
from content.roles import can_import

logger = logging.getLogger(__name__)


def runs_in_background(text: str, fmt: str) -> bool:
    """Above the threshold of text to split (a web page's article, not its markup), import in the worker."""
    return parsed_size(text, fmt) > settings.VETTED_BACKGROUND_IMPORT_BYTES


def start_import(*, text: str, fmt: str, author: Any, title: str | None = None, force: bool = False) -> ImportJob:
    """Record an import job and queue it for the worker.

    The refusals that cost nothing come now, as for a small import: not an author (403), text
    the database cannot store (400), text the author already imported (409 unless `force`).
    The job row and its task row are written in one transaction (the task backend is this
    database), so a job is never left without a task or a task without its job. No audit
    event is appended here, so the chain lock is not needed.
    """
    if not can_import(author):
        raise NotAllowed("Only authors may import articles.")
    if problem := unstorable(text):
        raise ImportRejected(problem)
    if not force and (same := find_duplicate(author, source_fingerprint(text))) is not None:
        raise DuplicateImport(same.pk, same.title)
    with transaction.atomic():
        job = ImportJob.objects.create(owner=author, title=title or "", format=fmt, force=force, source_text=text)
        run_import_job.enqueue(job.pk)
    return job


def _finish(job: ImportJob, status: str, *, reason: str = "", **fields: Any) -> str:
    job.status = status
    job.reason = reason
    job.finished_at = timezone.now()
    for name, value in fields.items():
        setattr(job, name, value)
    job.save()
    return status


@task()
def run_import_job(job_id: int) -> str:
    """Import one job's text as its owner.

    1. Claim the job (pending -> running) under a row lock: a duplicate task does nothing.
    2. Parse, note the claim count on the job (the progress page shows it), then write the
       article in import_article's one transaction. A write that loses a lock race is tried
       once more, as a request would be.
    3. Record done with the article, or failed with the reason; a failed import wrote nothing.
    """
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("owner").filter(pk=job_id).first()
        if job is None or job.status != ImportJobStatus.PENDING:
            return "skipped"
        job.status = ImportJobStatus.RUNNING
        job.started_at = timezone.now()
        job.save()

    def parsed(total: int) -> None:
        job.claims_total = total
        job.save(update_fields=["claims_total"])

    try:
        result = _import_retrying_once(
            text=job.source_text,
            fmt=job.format,
            title=job.title or None,
            author=job.owner,
            force=job.force,
            on_parsed=parsed,
        )
    except (ImportRejected, DuplicateImport, NotAllowed) as exc:
        return _finish(job, ImportJobStatus.FAILED, reason=str(exc))
    except ValidationError as exc:
        return _finish(job, ImportJobStatus.FAILED, reason=" ".join(exc.messages))
    except Exception as exc:
        if why := contention(exc):
            reason = f"The database was busy ({why}); nothing was saved. Import the article again."
            return _finish(job, ImportJobStatus.FAILED, reason=reason)
        _finish(job, ImportJobStatus.FAILED, reason="The import failed on the server; nothing was saved.")
        raise  # the task's result keeps the traceback
    # The article keeps the source text; the job need not hold a second copy.
    return _finish(job, ImportJobStatus.DONE, article=result.article, claims_total=result.claim_count, source_text="")


def _import_retrying_once(**kwargs: Any) -> ImportResult:
    """import_article, once more when it lost a lock race (its transaction was rolled back whole)."""
    try:
        return import_article(**kwargs)
    except DatabaseError as exc:
        if (why := contention(exc)) is None:
            raise
        logger.warning("An import met %s; trying once more", why)
    return import_article(**kwargs)
