"""Uploads on the import page: the import job, checked and applied at once or by the background worker.

The background task ``import_standards`` is declared here, beside the service that enqueues it and the run it
calls, so that neither imports the other in a circle; ``nongan.standards.tasks`` re-exports it (the path the
worker and rows queued earlier name)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from nongan.core.choices import ImportStatus
from nongan.core.models import ImportJob

from ..choices import ImportKind
from ..models import Edition
from ..selectors import may_manage
from ..tables import Table, TableRejected, read_table
from .analytes import analytes_import
from .editions import editions_import
from .limits import mrl_import
from .lists import banned_import, restricted_import


def import_upload(
    *, actor, kind: str, upload, edition: Edition | None = None, background: bool | None = None
) -> ImportJob:
    """Record the upload as an ImportJob, read it, and check and apply it: at once when it is small, as a
    background task (``nongan db_worker``) when it has more rows than ``NONGAN_IMPORT_SYNC_ROWS``. A rejected
    table leaves the job FAILED with its per-row errors (downloadable as .xlsx) and nothing else changed."""
    if not may_manage(actor):
        raise ValidationError(_("Only a district administrator may import standards."))
    if kind not in ImportKind.values:
        raise ValidationError({"kind": _("Choose what the file holds.")})
    content = upload.read()
    upload.seek(0)
    job = ImportJob.objects.create(
        kind=f"standards.{kind}",
        created_by=actor,
        file=upload,
        original_name=upload.name[:255],
        status=ImportStatus.VALIDATING,
    )
    try:
        table = read_table(kind, content, upload.name)
    except ValidationError as exc:
        return _job_failed(
            job, [{"row": 0, "column": "", "message": m} for m in exc.messages], exc.messages[0]
        )
    job.total_rows = len(table.rows)
    if background is None:
        background = job.total_rows > settings.NONGAN_IMPORT_SYNC_ROWS
    if background:
        job.status = ImportStatus.PENDING
        job.message = _("Waiting for the background worker.")
        job.save(update_fields=["total_rows", "status", "message"])
        code = edition.code if edition else ""
        transaction.on_commit(lambda: import_standards.enqueue(job.pk, code))
        return job
    return import_job_run(job=job, table=table, edition=edition)


def _job_failed(job: ImportJob, errors: list[dict], message: str) -> ImportJob:
    job.status = ImportStatus.FAILED
    job.errors = errors
    job.message = message
    job.finished = timezone.now()
    job.save()
    return job


def import_job_run(
    *, job: ImportJob, table: Table | None = None, edition: Edition | None = None
) -> ImportJob:
    """Check and apply the table of an import job (in the request, or in the background task)."""
    kind = job.kind.split(".", 1)[1]
    actor = job.created_by
    if table is None:
        try:
            with job.file.open("rb") as f:
                table = read_table(kind, f.read(), job.original_name)
        except (ValidationError, OSError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            return _job_failed(job, [{"row": 0, "column": "", "message": m} for m in messages], messages[0])
    job.total_rows = len(table.rows)
    job.status = ImportStatus.APPLYING
    job.save(update_fields=["total_rows", "status"])
    try:
        if kind == ImportKind.MRL:
            result = mrl_import(actor=actor, table=table, edition=edition)
        elif kind == ImportKind.EDITIONS:
            result = editions_import(actor=actor, table=table)
        elif kind == ImportKind.BANNED:
            result = banned_import(actor=actor, table=table)
        elif kind == ImportKind.ANALYTES:
            result = analytes_import(actor=actor, table=table)
        else:
            result = restricted_import(actor=actor, table=table)
    except TableRejected as exc:
        return _job_failed(
            job,
            [e.as_dict() for e in exc.row_errors],
            _("%(n)d errors; nothing was imported.") % {"n": len(exc.row_errors)},
        )
    except ValidationError as exc:
        return _job_failed(
            job, [{"row": 0, "column": "", "message": m} for m in exc.messages], exc.messages[0]
        )
    job.status = ImportStatus.DONE
    job.processed_rows = job.total_rows
    job.created_count = result.get("created", 0)
    job.updated_count = result.get("updated", 0)
    job.message = _("%(n)d rows created.") % {"n": job.created_count}
    job.errors = []
    job.finished = timezone.now()
    job.save()
    return job


@task()
def import_standards(job_id: int, edition_code: str = "") -> str:
    """Check and apply a large uploaded table (run by ``nongan db_worker``; inline in tests)."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    edition = Edition.objects.filter(code=edition_code).first() if edition_code else None
    return import_job_run(job=job, edition=edition).status
