"""Core pages: login, import progress, the ledger (accounts: account_views; the home page is the dashboard app's)."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from . import ledger
from .excel import XLSX_CONTENT_TYPE, error_report
from .models import ImportJob, LedgerEntry
from .scoping import can_manage, scoped


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def _job_for(request, pk) -> ImportJob:
    job = get_object_or_404(ImportJob, pk=pk)
    if job.created_by_id != request.user.pk and not request.user.is_superuser:
        raise Http404
    return job


@login_required
def import_job(request, pk):
    job = _job_for(request, pk)
    template = "core/_import_progress.html" if request.htmx else "core/import_job.html"
    return render(request, template, {"job": job, "section": "registry"})


@login_required
def import_errors(request, pk):
    job = _job_for(request, pk)
    response = HttpResponse(error_report(job.errors), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="import-errors-{job.pk}.xlsx"'
    return response


@login_required
def ledger_view(request):
    if not can_manage(request.user):
        raise PermissionDenied
    result = None
    if request.method == "POST":
        count, problems = ledger.verify()
        result = {"count": count, "problems": problems}
    entries = scoped(request.user, LedgerEntry.objects.order_by("-seq"))
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "core/ledger.html", {"section": "audit", "page_obj": page, "result": result})
