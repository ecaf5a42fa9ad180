"""Core pages: login, the home dashboard, API token, import progress, the ledger."""

from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from . import ledger
from .excel import XLSX_CONTENT_TYPE, error_report
from .models import ImportJob, LedgerEntry
from .scoping import can_manage, scoped


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@login_required
def home(request):
    """The dashboard; it reads from every app (nothing reads from it)."""
    from nongan.registry.choices import ProducerType
    from nongan.registry.models import Certification, Producer
    from nongan.registry.selectors import counts_by_township

    user = request.user
    if user.is_entity_role and user.producer_id:
        return redirect("registry:producer_detail", pk=user.producer_id)
    rows = counts_by_township(user)
    towns: list[str] = []
    for r in rows:
        if r["township"] not in towns:
            towns.append(r["township"])
    types = [t for t in ProducerType.values if any(r["type"] == t for r in rows)]
    labels = dict(ProducerType.choices)
    series = []
    for t in types:
        by_town = {r["township"]: r["n"] for r in rows if r["type"] == t}
        series.append(
            {
                "name": str(labels[t]),
                "type": "bar",
                "stack": "all",
                "data": [by_town.get(x, 0) for x in towns],
            }
        )
    producers = scoped(user, Producer.objects.all())

    today = timezone.localdate()
    stats = {
        "total": producers.count(),
        "scale": producers.filter(is_scale=True).count(),
        "key_targets": producers.filter(key_target=True).count(),
        "expiring": scoped(
            user,
            Certification.objects.filter(valid_until__gte=today, valid_until__lte=today + timedelta(days=90)),
        ).count(),
    }
    type_totals = [{"label": str(labels[t]), "n": sum(r["n"] for r in rows if r["type"] == t)} for t in types]
    town_totals = [{"name": x, "n": sum(r["n"] for r in rows if r["township"] == x)} for x in towns]
    chart = {"towns": towns, "series": series}
    return render(
        request,
        "core/home.html",
        {
            "section": "home",
            "stats": stats,
            "chart": chart,
            "type_totals": type_totals,
            "town_totals": town_totals,
            **_capability_summaries(user),
        },
    )


def _capability_summaries(user) -> dict:
    """This year's monitoring and certificate figures for the dashboard (dashboards read from every app)."""
    from nongan.certificates import selectors as certificates
    from nongan.monitoring import selectors as monitoring

    year = timezone.localdate().year
    out: dict = {"year": year}
    plan = monitoring.plans_for(user).filter(year=year).order_by("region__path").first()
    if plan is not None:
        out["progress"] = monitoring.plan_progress(user, plan)
    # The coverage page's headline (scale producers that issued a certificate this year), in three counts.
    start = timezone.make_aware(datetime(year, 1, 1))
    scale = (
        certificates.producers_for(user).filter(is_scale=True).exclude(type__in=["buyer", "wholesale_market"])
    )
    this_year = certificates.certificates_for(user).filter(
        issued_at__gte=start, issued_at__lt=start.replace(year=year + 1)
    )
    total = scale.count()
    issued = scale.filter(pk__in=this_year.values("producer_id")).count()
    flagged = certificates.certificates_for(user).filter(Q(suspicious=True) | ~Q(contradicted_by="")).count()
    out["coverage"] = {
        "total": total,
        "issued": issued,
        "share": round(100 * issued / total, 1) if total else 0.0,
        "flagged": flagged,
    }
    return out


@login_required
def token(request):
    if request.method == "POST":
        Token.objects.filter(user=request.user).delete()
        tok = Token.objects.create(user=request.user)
        messages.success(request, _("A new API token was created; the old one no longer works."))
    else:
        tok = Token.objects.filter(user=request.user).first()
    return render(request, "core/token.html", {"token": tok})


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
    entries = LedgerEntry.objects.order_by("-seq")
    if not request.user.is_superuser:
        jurisdiction = request.user.jurisdiction
        entries = entries.filter(scope_path__startswith=jurisdiction.path) if jurisdiction else entries.none()
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "core/ledger.html", {"section": "audit", "page_obj": page, "result": result})
