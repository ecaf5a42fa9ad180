"""Core pages: login, import progress, the ledger (accounts: account_views; the home page is the dashboard app's)."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from . import imports, ledger
from .choices import ImportStatus
from .excel import XLSX_CONTENT_TYPE, error_report
from .exports import Col, cn_datetime, xlsx_response
from .kek import KeyUnavailable, _b64u
from .models import LedgerCheckpoint, LedgerEntry
from .scoping import can_manage, scoped


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@login_required
def import_job(request, pk):
    """The one page of an import job, for every kind: progress, the preview with confirm / discard, the errors
    (an htmx request gets the partial, polled while the job runs)."""
    job = imports.job_get(request.user, pk)
    if job.is_running and imports.reclaim(job=job):
        job.refresh_from_db()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "confirm":
                job = imports.job_confirm(actor=request.user, job=job)
            elif action == "discard":
                job = imports.job_discard(actor=request.user, job=job)
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as e:
            messages.error(request, e.messages[0])
        return redirect("core:import_job", pk=job.pk)
    try:
        importer = imports.importer_for(job.kind)
    except ImproperlyConfigured:
        importer = None
    ctx = {
        "job": job,
        "importer": importer,
        "transitions": imports.JOB_WORKFLOW.available(request.user, job),
        "section": "imports",
    }
    template = "core/_import_progress.html" if request.htmx else "core/import_job.html"
    return render(request, template, ctx)


@login_required
def import_list(request):
    """The imports a user may see, the ones that ask for work first: waiting for confirmation, then failed or
    rejected (``?status=checked`` / ``?status=failed`` for those alone; the workbench links here)."""
    page = Paginator(_import_jobs(request), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/import_list.html",
        {"section": "imports", "page_obj": page, "status": request.GET.get("status")},
    )


def _import_jobs(request):
    """The imports the list shows with its filter, in its order; its export holds the same."""
    jobs = imports.jobs_for(request.user).select_related("created_by")
    status = request.GET.get("status")
    if status == "checked":
        jobs = jobs.filter(status=ImportStatus.CHECKED, created_by=request.user)
    elif status == "failed":
        jobs = jobs.filter(status__in=(ImportStatus.FAILED, ImportStatus.INVALID))
    return imports.awaiting_first(jobs)


IMPORT_COLUMNS = [
    Col(_lazy("Status"), lambda j: j.get_status_display()),
    Col(_lazy("file name"), lambda j: j.original_name),
    Col(_lazy("uploaded by"), lambda j: j.created_by.get_full_name() or j.created_by.username),
    Col(_lazy("uploaded"), lambda j: cn_datetime(j.created)),
]


@login_required
def import_list_export(request):
    return xlsx_response(_import_jobs(request), IMPORT_COLUMNS, title=_("Imports"), filename="imports")


@login_required
def import_errors(request, pk):
    job = imports.job_get(request.user, pk)
    response = HttpResponse(error_report(job.errors), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="import-errors-{job.pk}.xlsx"'
    return response


def _ledger_entries(request):
    """The ledger entries the page lists (the user's jurisdiction), newest first; its export holds the same."""
    return scoped(request.user, LedgerEntry.objects.order_by("-seq"))


LEDGER_COLUMNS = [
    Col("#", lambda e: e.seq),
    Col(_lazy("Time"), lambda e: cn_datetime(e.time, seconds=True)),
    Col(_lazy("Kind"), lambda e: str(ledger.kind_label(e.kind))),
    Col(_lazy("Reference"), lambda e: e.ref),
    Col(_lazy("Actor"), lambda e: str(ledger.actor_label(e.actor_repr or ""))),
    Col(_lazy("Hash"), lambda e: e.hash),
]


@login_required
def ledger_export(request):
    if not can_manage(request.user):
        raise PermissionDenied
    return xlsx_response(_ledger_entries(request), LEDGER_COLUMNS, title=_("Audit ledger"), filename="ledger")


@login_required
def ledger_view(request):
    if not can_manage(request.user):
        raise PermissionDenied
    result = None
    if request.method == "POST" and request.POST.get("action") == "checkpoint":
        try:
            cp = ledger.checkpoint_create(actor=request.user)
        except KeyUnavailable:
            messages.error(
                request, _("No checkpoint was made: the key-encryption key of this installation is missing.")
            )
        else:
            messages.success(
                request,
                _("Checkpoint #%(id)s signed: ledger entry #%(seq)s, audit row #%(audit)s.")
                % {"id": cp.pk, "seq": cp.ledger_seq, "audit": cp.audit_seq},
            )
        return redirect("core:ledger")
    if request.method == "POST":
        report = ledger.verify_all(incremental=request.POST.get("action") == "incremental")
        # a record named in a problem is shown only to those whose jurisdiction holds its entry
        named = [p for p in report.problems if p.msgid in (ledger.RECORD_CHANGED, ledger.RECORD_DELETED)]
        visible = set(
            scoped(request.user, LedgerEntry.objects.filter(seq__in=[p.seq for p in named])).values_list(
                "seq", flat=True
            )
        )
        problems = [
            ledger.problem(p.seq, ledger.ELSEWHERE) if p in named and p.seq not in visible else p
            for p in report.problems
        ]
        result = {"report": report, "problems": problems}
    entries = _ledger_entries(request)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    for e in page:
        e.kind_label = ledger.kind_label(e.kind)
    latest = LedgerCheckpoint.objects.order_by("-id").first()
    return render(
        request,
        "core/ledger.html",
        {"section": "audit", "page_obj": page, "result": result, "latest": latest},
    )


def ledger_checkpoints(request):
    """The signed checkpoints, public (no login): a page, and the same as JSON (``?format=json`` or
    ``checkpoints.json``) for anyone to keep a copy of and compare later."""
    checkpoints = LedgerCheckpoint.objects.order_by("-id")
    keys = {kid: _b64u(raw) for kid, raw in ledger.trusted_keys().items()}
    if request.GET.get("format") == "json" or request.path.endswith(".json"):
        data = {
            "algorithm": "Ed25519",
            "keys": keys,
            "statement": "UTF-8 bytes of the 'statement' field; it is canonical JSON of the other fields",
            "checkpoints": [ledger.checkpoint_export(cp) for cp in checkpoints],
        }
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1})
        if request.GET.get("download"):
            response["Content-Disposition"] = 'attachment; filename="ledger-checkpoints.json"'
        return response
    page = Paginator(checkpoints, 100).get_page(request.GET.get("page"))
    return render(request, "core/ledger_checkpoints.html", {"page_obj": page, "keys": keys})


def import_upload(request, kind: str, upload, options: dict | None = None):
    """The upload step every import page shares: start (or find again) the job and go to its page; a refused
    file comes back as a ``ValidationError`` for the page's form, with nothing stored."""
    job = imports.job_upload(actor=request.user, kind=kind, upload=upload, options=options)
    if job.reused:
        messages.info(request, _("This file was uploaded before; here is its import."))
    return redirect("core:import_job", pk=job.pk)


def confirmation_needed(request, transition, *, subject: str, back_url: str):
    """The confirmation step before an irreversible transition (one with ``confirm``): ``None`` when the POST
    carries ``confirmed=1`` (or the step needs no confirmation), otherwise the page that asks. That page
    repeats every posted field and adds ``confirmed=1``, so it works without JavaScript; "Back" changes nothing.
    """
    if transition is None or not transition.confirm or request.POST.get("confirmed") == "1":
        return None
    fields = [
        (k, v)
        for k in request.POST
        for v in request.POST.getlist(k)
        if k not in ("csrfmiddlewaretoken", "confirmed")
    ]
    return render(
        request,
        "includes/confirm.html",
        {
            "label": transition.label,
            "message": transition.confirm,
            "subject": subject,
            "fields": fields,
            "action": request.get_full_path(),
            "back_url": back_url,
            "destructive": transition.destructive,
        },
    )
