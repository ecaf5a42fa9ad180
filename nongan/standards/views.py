"""Pages of the standards: editions, the limit table, the banned and restricted lists, imports, a judge form."""

import re
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from nongan.core import imports
from nongan.core.excel import XLSX_CONTENT_TYPE
from nongan.core.exports import Col, xlsx_response
from nongan.core.forms import errors_to_form, refuse_stale, with_version
from nongan.core.idempotency import idempotent_view
from nongan.core.versions import StaleVersion
from nongan.core.views import import_upload

from . import selectors, services
from .choices import ImportKind, scope_label
from .engine import get_index, judge
from .filtersets import LimitFilterSet, VetLimitFilterSet
from .forms import AnalyteForm, EditionPartialForm, ImportForm, JudgeForm
from .imports import official_template_xlsx
from .models import Analyte, Edition


def _reader(request):
    if not selectors.may_read(request.user):
        raise PermissionDenied
    return request.user


def _page(request, qs, per_page=50):
    page = Paginator(qs, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def _index(request, *, partial_form=None, partial_pk=None, status=200):
    user = _reader(request)
    current = selectors.current_edition_ids()
    return render(
        request,
        "standards/index.html",
        {
            "section": "standards",
            "editions": selectors.editions(user),
            "current": current,
            "today": timezone.localdate(),
            "counts": {
                "limits": selectors.limits(user).count(),
                "vet_limits": selectors.vet_limits(user).count(),
                "analytes": selectors.analytes(user).count(),
                "banned": selectors.banned(user).count(),
                "restricted": selectors.restricted(user).count(),
            },
            "can_manage": selectors.may_manage(user),
            "mappings": selectors.scope_mappings(user),
            "partial_form": partial_form,
            "partial_pk": partial_pk,
        },
        status=status,
    )


@login_required
def index(request):
    return _index(request)


@login_required
def limit_list(request):
    user = _reader(request)
    filterset = LimitFilterSet(request.GET or None, queryset=selectors.limits(user))
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else selectors.limits(user)
    page, query = _page(request, qs)
    return render(
        request,
        "standards/limit_list.html",
        {
            "section": "standards",
            "filter": filterset,
            "page_obj": page,
            "query": query,
            "current": selectors.current_edition_ids(),
            "total": qs.count(),
        },
    )


def _vet_limits(request):
    """The veterinary drug limits the page shows (every page of them) with its filters: the page and its export."""
    user = _reader(request)
    params = request.GET.copy()
    params.pop("page", None)
    for key in list(params.keys()):
        if not any(params.getlist(key)):
            del params[key]
    filterset = VetLimitFilterSet(params or None, queryset=selectors.vet_limits(user))
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else selectors.vet_limits(user)
    return filterset, qs


def vet_limit_text(m) -> str:
    """The limit as published, "100 μg/kg", with its basis where it is not as is: "40 μg/kg（以脂肪计）"."""
    text = f"{m.limit_published.normalize():f} {m.unit_published}"
    if m.basis and m.basis != "as_is":
        text += f"（{m.get_basis_display()}）"
    return text


VET_LIMIT_COLUMNS = [
    Col(_lazy("Drug"), lambda m: m.analyte.name_zh),
    Col(_lazy("Marker residue"), lambda m: m.marker),
    Col(_lazy("Animal species"), lambda m: m.species_text or m.get_species_display()),
    Col(_lazy("Target tissue"), lambda m: m.get_tissue_display()),
    Col(_lazy("Limit"), vet_limit_text),
    Col(_lazy("Standard"), lambda m: m.edition.code),
    Col(_lazy("Source"), lambda m: f"{m.source_file}:{m.source_row}" if m.source_row else m.source_file),
]


@login_required
def vet_limit_list(request):
    filterset, qs = _vet_limits(request)
    page, query = _page(request, qs)
    page.object_list = list(page.object_list)
    for m in page.object_list:
        m.limit_text = vet_limit_text(m)
    return render(
        request,
        "standards/vet_limit_list.html",
        {
            "section": "standards",
            "filter": filterset,
            "page_obj": page,
            "query": query,
            "current": selectors.current_edition_ids(),
            "total": qs.count(),
        },
    )


@login_required
def vet_limit_export(request):
    qs = _vet_limits(request)[1]
    return xlsx_response(qs, VET_LIMIT_COLUMNS, title=_("Veterinary drug limits"), filename="vet-drug-limits")


@login_required
@require_POST
def edition_partial(request):
    """Mark the edition ``edition=<id>`` (POST) loaded in part or complete (district administrators), with a
    reason, from its row on the editions page."""
    if not selectors.may_manage(request.user):
        raise PermissionDenied
    pk = request.POST.get("edition", "")
    if not re.fullmatch(r"[0-9]{1,18}", pk):
        raise Http404
    edition = get_object_or_404(Edition, pk=int(pk))
    form = EditionPartialForm(request.POST)
    if form.is_valid():
        try:
            services.edition_mark_partial(
                actor=request.user,
                edition=edition,
                partial=form.cleaned_data["partial"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            errors_to_form(exc, form)
        else:
            message = (
                _("%(code)s is marked loaded in part.")
                if form.cleaned_data["partial"]
                else _("%(code)s is marked complete.")
            )
            messages.success(request, message % {"code": edition.code})
            return redirect("standards:index")
    return _index(request, partial_form=form, partial_pk=edition.pk, status=400)


@login_required
def analyte_list(request):
    user = _reader(request)
    qs = (
        selectors.search_analytes(user, request.GET.get("q", ""))
        .annotate(
            limit_count=selectors.limit_count(Analyte),
            ban_count=selectors.count_of(Analyte, "bans"),
            restriction_count=selectors.count_of(Analyte, "restrictions"),
        )
        .order_by("name_zh")
    )
    page, query = _page(request, qs)
    return render(
        request,
        "standards/analyte_list.html",
        {
            "section": "standards",
            "page_obj": page,
            "query": query,
            "q": request.GET.get("q", ""),
            "can_manage": selectors.may_manage(user),
        },
    )


@login_required
def analyte_edit(request):
    """Edit the analyte ``?id=`` (district administrators): English name, CAS number, kind, other names; the
    Chinese name only while nothing refers to it."""
    if not selectors.may_manage(request.user):
        raise PermissionDenied
    pk = request.GET.get("id", "")
    if not re.fullmatch(r"[0-9]{1,18}", pk):
        raise Http404
    analyte = get_object_or_404(Analyte, pk=int(pk))
    locked = analyte.limits.exists() or analyte.bans.exists() or analyte.restrictions.exists()
    form = with_version(AnalyteForm(request.POST or None, analyte=analyte, locked=locked), analyte)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.analyte_update(
                actor=request.user, analyte=analyte, expected_version=form.cleaned_data.get("version"), **data
            )
        except StaleVersion as exc:
            analyte = get_object_or_404(Analyte, pk=int(pk))
            form = refuse_stale(form, exc, with_version(AnalyteForm(analyte=analyte, locked=locked), analyte))
        except ValidationError as exc:
            errors_to_form(exc, form)
        else:
            messages.success(request, _("Analyte %(name)s saved.") % {"name": form.cleaned_data["name_zh"]})
            return redirect(f"{reverse('standards:analytes')}?q={quote(form.cleaned_data['name_zh'])}")
    return render(
        request,
        "standards/analyte_form.html",
        {"section": "standards", "form": form, "analyte": analyte, "locked": locked},
    )


@login_required
def banned_list(request):
    user = _reader(request)
    return render(
        request, "standards/banned_list.html", {"section": "standards", "rows": selectors.banned(user)}
    )


@login_required
def restricted_list(request):
    user = _reader(request)
    index = get_index()
    rows = []
    for r in selectors.restricted(user):
        covered = []
        for name in r.scope_names:
            ids = index.scope_ids(name)
            nodes = sorted(index.cat_name[i] for i in ids)
            covered.append((scope_label(name), "、".join(nodes) if nodes != [name] else ""))
        rows.append((r, covered))
    return render(request, "standards/restricted_list.html", {"section": "standards", "rows": rows})


@login_required
def judge_page(request):
    _reader(request)
    form = JudgeForm(request.GET or None)
    judgement = None
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        try:
            judgement = judge(
                food=d["food"],
                analyte=d["analyte"],
                value=d["value"],
                unit=d["unit"],
                lod=d["lod"] or None,
                on_date=d["date"],
                fat=d["fat"] or None,
                species=d["species"] or None,
                tissue=d["tissue"] or None,
                decision_limit=d["decision_limit"] or None,
            )
        except ValidationError as exc:
            errors_to_form(exc, form)
    return render(
        request, "standards/judge.html", {"section": "standards", "form": form, "judgement": judgement}
    )


@login_required
@idempotent_view()
def import_page(request):
    if not selectors.may_manage(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        edition = form.cleaned_data["edition"]
        kind = form.cleaned_data["kind"]
        options = {"edition": edition.code} if edition else {}
        if kind == ImportKind.OFFICIAL:
            options["complete"] = bool(form.cleaned_data["complete"])
        try:
            return import_upload(request, f"standards.{kind}", form.cleaned_data["file"], options=options)
        except ValidationError as exc:
            errors_to_form(exc, form)
    jobs = imports.jobs_for(request.user, "standards.*")[:20]
    return render(request, "standards/import.html", {"section": "standards", "form": form, "jobs": jobs})


@login_required
def official_template(request):
    """The official table's template: the header, an example compound (which no analyte bears, so the example
    imported unchanged is refused) and the instructions."""
    if not selectors.may_manage(request.user):
        raise PermissionDenied
    response = HttpResponse(official_template_xlsx(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="official-limit-table.xlsx"'
    return response


def _job(request, pk):
    if not selectors.may_manage(request.user):
        raise PermissionDenied
    job = imports.job_get(request.user, pk)
    if not job.kind.startswith("standards."):
        raise Http404
    return job


@login_required
def import_result(request, pk):
    """Kept at its address: the job's page is the import pipeline's one page."""
    return redirect("core:import_job", pk=_job(request, pk).pk)


@login_required
def import_errors(request, pk):
    return redirect("core:import_errors", pk=_job(request, pk).pk)
