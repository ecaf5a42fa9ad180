"""The one import pipeline: every spreadsheet import of the platform goes through it.

An app declares one :class:`Importer` per kind of file and registers it from its ``AppConfig.ready``
(``imports.register(ProducerImporter())``); the pipeline does the rest, the same for every kind:

1. **upload** (:func:`job_upload`): size and type checked from the content (``excel.check_upload``: an .xlsx's
   unpacked parts too) before anything is stored; the file's SHA-256 recorded; the same file uploaded again by
   the same user for the same kind (and options) while a job for it is live or done returns that job; the
   file is kept under a random name (``MEDIA_ROOT`` is served by no URL). The job (``core.ImportJob``) starts ``pending``.
2. **check** (``pending → validating → checked | invalid``): the rows are streamed (``excel.raw_rows``; counted
   as read, never from the file's own <dimension>), at most ``Importer.max_rows``, every cell's length bounded;
   ``Importer.check`` validates the whole file and writes nothing. Any bad row makes the job ``invalid`` with
   every problem [{row, column, message}] (downloadable as .xlsx); otherwise the job holds the preview: counts of
   new / changed / unchanged rows and, for rows that replace data, a field diff.
3. **confirm** (``checked → confirmed``) by the uploader, a POST on the job's page (or **discard**).
4. **apply** (``confirmed → applying → done | failed``): the file is read and checked again (the data may have
   changed since), then ``Importer.apply`` writes everything in one transaction, and the job's ``finish`` step is
   part of that transaction: all or nothing.

Small files (at most ``NONGAN_IMPORT_SYNC_ROWS`` rows, counted by streaming) run each stage inside the request;
larger ones are run by the django-tasks worker (``run_import_job``). While a stage runs the job records a
heartbeat; :func:`reclaim` fails a running job whose heartbeat is older than ``NONGAN_IMPORT_STALE_SECONDS``
("worker stopped", nothing half-applied: the apply's transaction died with the worker) and a queued job nobody
picked up within ``NONGAN_IMPORT_QUEUE_SECONDS``. The worker reclaims before each stage, the progress page for
its job, and ``nongan reclaim-jobs`` for all.

Who sees a job: its uploader and the administrators of the uploader's jurisdiction (``ImportJob.SCOPE_OWNER``,
through ``scoping.scoped``); only the uploader confirms or discards it. The state moves only through
``JOB_WORKFLOW`` (``nongan.core.workflow``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import OperationalError, connection, transaction
from django.db.models import Case, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django_tasks import task

from . import audit, excel, todo
from .choices import ImportStatus as S
from .models import ImportJob
from .scoping import get_scoped_or_404, scoped
from .workflow import Transition, Workflow

log = logging.getLogger(__name__)

__all__ = [
    "Importer",
    "JOB_WORKFLOW",
    "Plan",
    "importer_for",
    "job_confirm",
    "job_discard",
    "job_get",
    "job_upload",
    "awaiting_first",
    "jobs_for",
    "reclaim",
    "register",
    "run_import_job",
    "todo_items",
]

MAX_DIFFS = 200  # rows with a field diff kept on the job for the preview


# ------------------------------------------------------------------------------------------ the contract
@dataclass
class Plan:
    """What ``Importer.check`` found: the rows ready to apply (``items``, any shape the importer's ``apply``
    reads), the problems, and the preview: counts of new / changed / unchanged rows, and for changed rows a diff
    ``{"row": 7, "record": "CY202600001 毒死蜱", "fields": [[label, before, after], …]}``; an importer that
    replaces a whole table also gives the rows it removes (``removed``) and lines for the preview (``notes``)."""

    items: Any = None
    errors: list[dict] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    diffs: list[dict] = field(default_factory=list)
    removed: int = 0  # rows the apply removes (an importer that replaces a whole table)
    notes: list[str] = field(default_factory=list)  # lines the preview shows above the counts


class Importer:
    """One kind of import. Subclass, set the attributes, implement ``check`` and ``apply``, register.

    * ``kind``: stored on the job (``"producers"``, ``"monitoring.results"``, …);
    * ``label``: what the file holds, for pages; ``upload_url``: URL name of the upload page (the "back" link);
    * ``sheet``: the ``excel.Sheet`` whose header row the file must carry (or override ``rows``);
    * ``formats``: ``("xlsx",)`` or ``("xlsx", "csv")``; ``max_rows``: the most data rows one file may hold;
    * ``may_import(user)``: who may upload (the refusal is ``refusal``);
    * ``check(job, rows) -> Plan``: validate every row, write nothing (rows are ``[(row number, {key: text})]``;
      ``job.created_by`` is the actor, ``job.options`` the upload's options);
    * ``apply(job, plan) -> {"created", "updated", "message"}``: write, inside the pipeline's transaction.
    """

    kind: str = ""
    label: Any = ""
    upload_url: str = ""
    sheet: excel.Sheet | None = None
    formats: tuple[str, ...] = ("xlsx",)
    max_rows: int = excel.MAX_ROWS
    refusal: Any = gettext_lazy("You may not import this kind of file.")

    def may_import(self, user) -> bool:
        return False

    def rows(self, raw: Iterator[tuple[int, list]], errors: list[dict]) -> Iterator[tuple[int, dict]]:
        """(row number, {key: text}) for each data row of the streamed file; a header problem raises."""
        return excel.sheet_rows(raw, self.sheet, errors)

    def check(self, job: ImportJob, rows: list[tuple[int, dict]]) -> Plan:
        raise NotImplementedError

    def apply(self, job: ImportJob, plan: Plan) -> dict:
        raise NotImplementedError


_IMPORTERS: dict[str, Importer] = {}


def register(importer: Importer) -> Importer:
    """Declare an importer (from the app's ``AppConfig.ready``)."""
    if not importer.kind:
        raise ImproperlyConfigured(f"{type(importer).__name__} has no kind.")
    if importer.kind in _IMPORTERS and type(_IMPORTERS[importer.kind]) is not type(importer):
        raise ImproperlyConfigured(f"Two importers of kind {importer.kind!r}.")
    _IMPORTERS[importer.kind] = importer
    return importer


def importer_for(kind: str) -> Importer:
    try:
        return _IMPORTERS[kind]
    except KeyError:
        raise ImproperlyConfigured(f"No importer of kind {kind!r} is registered.") from None


def importers() -> dict[str, Importer]:
    return dict(_IMPORTERS)


# ------------------------------------------------------------------------------------------ the job's workflow
def _only_the_uploader(actor, job) -> None:
    if actor is None or actor.is_superuser or actor.pk == job.created_by_id:
        return
    raise ValidationError(_("Only the person who uploaded the file may confirm or discard it."))


def _set_fields(actor, job, ctx) -> None:
    values = ctx.get("fields") or {}
    for name, value in values.items():
        setattr(job, name, value)
    if values:
        job.save(update_fields=list(values))


_RUNNING = (S.VALIDATING, S.APPLYING)
_QUEUED = (S.PENDING, S.CONFIRMED)
_LIVE = (S.PENDING, S.VALIDATING, S.CHECKED, S.CONFIRMED, S.APPLYING, S.DONE)

JOB_WORKFLOW = Workflow(
    model=ImportJob,
    field="status",
    transitions=[
        Transition(
            "check", gettext_lazy("Check"), (S.PENDING,), S.VALIDATING, effect=_set_fields, internal=True
        ),
        Transition(
            "checked", gettext_lazy("Checked"), (S.VALIDATING,), S.CHECKED, effect=_set_fields, internal=True
        ),
        Transition(
            "reject", gettext_lazy("Reject"), (S.VALIDATING,), S.INVALID, effect=_set_fields, internal=True
        ),
        Transition(
            "confirm", gettext_lazy("Confirm and import"), (S.CHECKED,), S.CONFIRMED, effect=_set_fields
        ),
        Transition(
            "discard",
            gettext_lazy("Discard"),
            (S.CHECKED,),
            S.DISCARDED,
            effect=_set_fields,
            destructive=True,
        ),
        Transition(
            "start", gettext_lazy("Import"), (S.CONFIRMED,), S.APPLYING, effect=_set_fields, internal=True
        ),
        Transition(
            "finish", gettext_lazy("Finish"), (S.APPLYING,), S.DONE, effect=_set_fields, internal=True
        ),
        Transition(
            "fail",
            pgettext_lazy("import job", "Fail"),
            (S.PENDING, S.VALIDATING, S.CONFIRMED, S.APPLYING),
            S.FAILED,
            effect=_set_fields,
            internal=True,
        ),
    ],
    permission=_only_the_uploader,
)


# ------------------------------------------------------------------------------------------ who sees a job
def jobs_for(user, kind: str | None = None):
    """The jobs a user may see (their own; an administrator's also those of their jurisdiction's users)."""
    qs = scoped(user, ImportJob.objects.select_related("created_by"))
    if kind is not None:
        qs = qs.filter(kind__startswith=kind[:-1]) if kind.endswith("*") else qs.filter(kind=kind)
    return qs


def job_get(user, pk) -> ImportJob:
    return get_scoped_or_404(user, ImportJob.objects.select_related("created_by"), pk=pk)


# ------------------------------------------------------------------------------------------ upload
def _digest(upload) -> str:
    upload.seek(0)
    h = hashlib.sha256()
    while chunk := upload.read(1 << 20):
        h.update(chunk)
    upload.seek(0)
    return h.hexdigest()


def job_upload(*, actor, kind: str, upload, options: dict | None = None) -> ImportJob:
    """Check an upload and start its job (checked at once when small, else by the worker). The same file
    again (same user, kind and options) while its job is live or done returns that job (``job.reused``)."""
    importer = importer_for(kind)
    if not importer.may_import(actor):
        raise ValidationError(str(importer.refusal))
    if upload is None:
        raise ValidationError(_("Choose a file to upload."))
    fmt = excel.check_upload(upload, importer.formats)
    digest = _digest(upload)
    options = dict(options or {})
    for earlier in ImportJob.objects.filter(created_by=actor, kind=kind, sha256=digest, status__in=_LIVE):
        if earlier.options == options:
            earlier.reused = True
            return earlier
    try:
        small = excel.count_rows(upload, fmt, limit=settings.NONGAN_IMPORT_SYNC_ROWS) <= (
            settings.NONGAN_IMPORT_SYNC_ROWS
        )
    except ValidationError:
        small = True  # unreadable: the check says so at once
    upload.seek(0)
    with transaction.atomic():
        job = ImportJob(
            kind=kind,
            created_by=actor,
            original_name=(getattr(upload, "name", "") or "upload")[:255],
            file_format=fmt,
            sha256=digest,
            options=options,
            heartbeat=timezone.now(),
        )
        job.file.save("upload", upload, save=False)
        job.save()
        audit.record_create(actor, job)
    job.reused = False
    if small:
        _stage_check(job)
        job.refresh_from_db()
    else:
        job_id = job.pk
        transaction.on_commit(lambda: run_import_job.enqueue(job_id))
    return job


def job_confirm(*, actor, job: ImportJob) -> ImportJob:
    """The uploader confirms a checked job: applied at once when small, else by the worker."""
    JOB_WORKFLOW.run(
        actor=actor, obj=job, action="confirm", fields={"heartbeat": timezone.now(), "message": ""}
    )
    if job.total_rows <= settings.NONGAN_IMPORT_SYNC_ROWS:
        _stage_apply(job)
        job.refresh_from_db()
    else:
        job_id = job.pk
        transaction.on_commit(lambda: run_import_job.enqueue(job_id))
    return job


def job_discard(*, actor, job: ImportJob) -> ImportJob:
    return JOB_WORKFLOW.run(
        actor=actor,
        obj=job,
        action="discard",
        fields={"finished": timezone.now(), "message": _("Discarded; nothing was imported.")},
    )


# ------------------------------------------------------------------------------------------ stages
class _Heartbeat:
    """While a stage runs, a thread with its own database connection writes the job's heartbeat every
    third of the stale timeout (outside the stage's transaction, so it is seen while the apply runs)."""

    def __init__(self, pk: int):
        self.pk = pk
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name=f"import-job-{pk}-heartbeat")

    def _beat(self) -> None:
        interval = max(1.0, settings.NONGAN_IMPORT_STALE_SECONDS / 3)
        try:
            while not self.stop.wait(interval):
                try:
                    ImportJob.objects.filter(pk=self.pk, status__in=_RUNNING).update(heartbeat=timezone.now())
                except OperationalError:  # SQLite: the stage's own transaction holds the write lock
                    continue
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=5)


def _read(job: ImportJob, importer: Importer, errors: list[dict], progress: bool) -> list[tuple[int, dict]]:
    rows: list[tuple[int, dict]] = []
    with job.file.open("rb") as f:
        for row in importer.rows(excel.raw_rows(f, job.file_format), errors):
            rows.append(row)
            if len(rows) > importer.max_rows:
                raise ValidationError(
                    _("At most %(n)d rows can be imported at once.") % {"n": importer.max_rows}, code="rows"
                )
            if progress and len(rows) % 1000 == 0:
                ImportJob.objects.filter(pk=job.pk).update(processed_rows=len(rows), heartbeat=timezone.now())
    if not rows:
        raise ValidationError(_("The file has no data rows."), code="empty")
    return rows


def _problems(errors: list[dict]) -> tuple[list[dict], str]:
    errors = sorted(errors, key=lambda e: e.get("row") or 0)
    rows = len({e.get("row") for e in errors})
    message = _("%(n)d problems in %(rows)d rows; nothing was imported.") % {"n": len(errors), "rows": rows}
    limit = settings.NONGAN_IMPORT_MAX_ERRORS
    if len(errors) > limit:
        message += " " + _("The first %(n)d are listed.") % {"n": limit}
    return [{**e, "message": str(e.get("message", ""))[:500]} for e in errors[:limit]], message[:500]


def _file_problem(exc: ValidationError) -> tuple[list[dict], str]:
    messages = exc.messages
    return [{"row": 0, "column": "", "message": m} for m in messages[:20]], messages[0][:500]


def _stage_check(job: ImportJob) -> None:
    job = JOB_WORKFLOW.try_run(
        actor=None, obj=job, action="check", skip_locked=True, fields={"heartbeat": timezone.now()}
    )
    if job is None:
        return
    importer = importer_for(job.kind)
    errors: list[dict] = []
    try:
        with _Heartbeat(job.pk):
            rows = _read(job, importer, errors, progress=True)
            n = len(rows)
            ImportJob.objects.filter(pk=job.pk).update(
                total_rows=n, processed_rows=n, heartbeat=timezone.now()
            )
            plan = importer.check(job, rows)
            del rows  # the plan holds what the apply needs
    except ValidationError as exc:
        errs, message = _file_problem(exc)
        _end(job, "reject", errors=errs, message=message)
        return
    except Exception:
        log.exception("import job %s: the check stopped", job.pk)
        _end(job, "fail", message=_("The check stopped with an internal error; nothing was imported."))
        return
    errors += plan.errors
    if errors:
        errs, message = _problems(errors)
        _end(job, "reject", errors=errs, message=message)
        return
    summary = {
        "new": plan.new,
        "changed": plan.changed,
        "unchanged": plan.unchanged,
        "diffs": plan.diffs[:MAX_DIFFS],
    }
    if plan.removed or plan.notes:
        summary.update(removed=plan.removed, notes=[str(n)[:500] for n in plan.notes[:20]])
    JOB_WORKFLOW.try_run(
        actor=None,
        obj=job,
        action="checked",
        fields={
            "summary": summary,
            "errors": [],
            "message": _(
                "Checked: %(new)d new, %(changed)d changed, %(unchanged)d unchanged rows. Nothing is saved until "
                "you confirm."
            )
            % summary,
        },
    )


def _end(job: ImportJob, action: str, *, errors: list[dict] | None = None, message: str = "") -> None:
    fields = {"finished": timezone.now(), "message": message[:500]}
    if errors is not None:
        fields["errors"] = errors
    JOB_WORKFLOW.try_run(actor=None, obj=job, action=action, fields=fields)


class _Stale(Exception):
    """The job was moved (reclaimed) while the apply ran: roll everything back."""


def _stage_apply(job: ImportJob) -> None:
    job = JOB_WORKFLOW.try_run(
        actor=None, obj=job, action="start", skip_locked=True, fields={"heartbeat": timezone.now()}
    )
    if job is None:
        return
    importer = importer_for(job.kind)
    errors: list[dict] = []
    try:
        with _Heartbeat(job.pk):
            rows = _read(job, importer, errors, progress=False)
            n = len(rows)
            plan = importer.check(job, rows)
            del rows
            errors += plan.errors
            if errors:
                errs, message = _problems(errors)
                _end(
                    job,
                    "fail",
                    errors=errs,
                    message=_("The data changed since the check: %(m)s") % {"m": message},
                )
                return
            with transaction.atomic():
                result = importer.apply(job, plan)
                done = JOB_WORKFLOW.try_run(
                    actor=None,
                    obj=job,
                    action="finish",
                    fields={
                        "finished": timezone.now(),
                        "created_count": result.get("created", 0),
                        "updated_count": result.get("updated", 0),
                        "processed_rows": n,
                        "total_rows": n,
                        "message": str(result.get("message", ""))[:500],
                    },
                )
                if done is None:
                    raise _Stale
    except _Stale:
        log.warning("import job %s was reclaimed while it applied; rolled back", job.pk)
    except ValidationError as exc:
        errs, message = _file_problem(exc)
        _end(job, "fail", errors=errs, message=message)
    except Exception:
        log.exception("import job %s: the apply failed", job.pk)
        _end(job, "fail", message=_("The import failed with an internal error; nothing was imported."))


# ------------------------------------------------------------------------------------------ jobs that end
def reclaim(*, job: ImportJob | None = None, now=None) -> int:
    """Fail running jobs whose heartbeat is older than ``NONGAN_IMPORT_STALE_SECONDS`` (their worker stopped)
    and queued jobs no worker picked up within ``NONGAN_IMPORT_QUEUE_SECONDS``; returns how many."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.NONGAN_IMPORT_STALE_SECONDS)
    queued = now - dt.timedelta(seconds=settings.NONGAN_IMPORT_QUEUE_SECONDS)
    qs = ImportJob.objects.filter(
        Q(status__in=_RUNNING, heartbeat__lt=stale) | Q(status__in=_QUEUED, heartbeat__lt=queued)
    )
    if job is not None:
        qs = qs.filter(pk=job.pk)
    count = 0
    for candidate in qs.only("pk", "status"):
        running = candidate.status in _RUNNING
        if running:
            message = _(
                "The worker stopped: no sign of life for %(minutes)d minutes. Nothing was imported; upload the "
                "file again."
            ) % {"minutes": max(1, settings.NONGAN_IMPORT_STALE_SECONDS // 60)}
        else:
            message = _("No worker took the job up within %(hours)d hours. Nothing was imported.") % {
                "hours": max(1, settings.NONGAN_IMPORT_QUEUE_SECONDS // 3600)
            }
        try:
            moved = JOB_WORKFLOW.try_run(
                actor=None,
                obj=candidate,
                action="fail",
                reason=message,
                where={"heartbeat__lt": stale if running else queued},
                skip_locked=True,
                fields={"finished": now, "message": message[:500]},
            )
        except OperationalError:  # SQLite: a stage's transaction holds the lock; try again later
            continue
        count += moved is not None
    return count


@task()
def run_import_job(job_id: int) -> str:
    """Run the stage a job waits for (check or apply): the worker's side of the pipeline."""
    reclaim()
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return "missing"
    if job.status == S.PENDING:
        _stage_check(job)
    elif job.status == S.CONFIRMED:
        _stage_apply(job)
    return ImportJob.objects.filter(pk=job_id).values_list("status", flat=True).first() or "missing"


# ------------------------------------------------------------------------------------------ the to-do
FAILED_SHOWN_DAYS = 7  # a failed or rejected import stays on the to-do this long


def awaiting_first(qs):
    """Jobs in the order of the work they ask for: waiting for the uploader's confirmation (oldest first), then
    failed or rejected, then the rest (newest first)."""
    rank = Case(
        When(status=S.CHECKED, then=Value(0)),
        When(status__in=(S.FAILED, S.INVALID), then=Value(1)),
        default=Value(2),
    )
    return qs.annotate(work_rank=rank).order_by(
        "work_rank", Case(When(status=S.CHECKED, then="created")), "-created"
    )


def todo_items(user) -> list[todo.Item]:
    """Imports waiting for their uploader's confirmation, and recent failed or rejected imports (the uploader's;
    an administrator's also those of the jurisdiction's users)."""
    jobs = jobs_for(user)
    waiting = jobs.filter(status=S.CHECKED, created_by=user)
    failed = jobs.filter(
        status__in=(S.FAILED, S.INVALID),
        created__gte=timezone.now() - dt.timedelta(days=FAILED_SHOWN_DAYS),
    )
    url = reverse("core:import_list")
    oldest = waiting.order_by("created").values_list("created", flat=True).first()
    return [
        todo.Item(
            key="core.imports_to_confirm",
            title=_("Imports waiting for your confirmation"),
            count=waiting.count(),
            url=f"{url}?status=checked",
            kind=todo.Kind.APPROVAL,
            since=timezone.localdate(oldest) if oldest else None,
        ),
        todo.Item(
            key="core.imports_failed",
            title=_("Imports failed or rejected in the last 7 days"),
            count=failed.count(),
            url=f"{url}?status=failed",
            kind=todo.Kind.NOTICE,
        ),
    ]
