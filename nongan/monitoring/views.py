"""Monitoring pages. Thin: scope through selectors, collect through forms, write through services."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from nongan.core import batch, excel, imports
from nongan.core.choices import RegionLevel
from nongan.core.excel import XLSX_CONTENT_TYPE
from nongan.core.exports import (
    MAX_EXPORT_ROWS,
    Col,
    cn_date,
    cn_datetime,
    xlsx_response,
    xlsx_sheets_response,
)
from nongan.core.files import serve_file
from nongan.core.forms import errors_to_form, refuse_stale, with_version
from nongan.core.idempotency import idempotent_view
from nongan.core.models import Region
from nongan.core.scoping import can_manage, get_scoped_or_404
from nongan.core.services import root_region, townships
from nongan.core.versions import StaleVersion
from nongan.core.views import confirmation_needed, import_upload
from nongan.draws import selectors as draw_selectors
from nongan.registry import selectors as registry_selectors
from nongan.standards.choices import COVERED, Coverage

from . import selectors, services, todo
from .choices import FollowUpStatus, QuotaKind, RapidOutcome, SampleState, Sector, TaskStatus
from .filtersets import RapidTestFilter, SampleFilter
from .forms import (
    AssignForm,
    CorrectionForm,
    DrawTasksForm,
    FollowUpForm,
    PlanForm,
    PublishPlanForm,
    RapidTestForm,
    ResultFormSet,
    SampleForm,
    TaskForm,
    TransitionForm,
    UploadForm,
    VillageShareForm,
)
from .imports import RAPID, RAPID_SHEET, RESULT_SHEET, RESULTS
from .models import LabResult, SaleHold, Sample, SamplePhoto, SamplingTask, UnqualifiedFollowUp
from .pdf import sample_pdf, samples_pdf

PAGE_SIZE = 50


def _staff_only(user):
    if user.is_entity_role and not user.is_superuser:
        raise PermissionDenied(_("This page is for supervision staff."))


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


# ---------------------------------------------------------------- plans and progress
@login_required
def index(request):
    _staff_only(request.user)
    plan = (
        selectors.plans_for(request.user)
        .filter(year__lte=timezone.localdate().year)
        .order_by("-year")
        .first()
    )
    if plan is None:
        return render(
            request,
            "monitoring/no_plan.html",
            {"section": "monitoring", "can_manage": can_manage(request.user)},
        )
    return progress(request, plan.year)


@login_required
def progress(request, year):
    _staff_only(request.user)
    plan = selectors.plans_for(request.user).filter(year=year).order_by("-region__path").first()
    if plan is None:
        return redirect("monitoring:plan_list")
    p = selectors.progress_for(request.user, plan)
    own_town = p.region if p.region.level == RegionLevel.TOWNSHIP else None
    return render(
        request,
        "monitoring/progress.html",
        {
            "section": "monitoring",
            "plan": plan,
            "p": p,
            "can_manage": can_manage(request.user),
            "can_share_all": p.is_plan_region and can_manage(request.user),
            "village_share_url": reverse("monitoring:village_shares", args=[plan.year, own_town.code])
            if own_town is not None and services.may_share(request.user, own_town)
            else "",
            "analytes": plan.analyte_list,
            "focus": list(plan.focus_products.all()),
        },
    )


def _coverage_xlsx(c) -> HttpResponse:
    columns = [
        ("food", _("product")),
        ("analyte", _("analyte")),
        ("status", _("coverage")),
        ("limit", _("limit (mg/kg)")),
        ("edition", _("standard")),
        ("detail", _("detail")),
        ("on_date", _("as on")),
    ]
    rows = (
        [
            r.food,
            r.analyte,
            str(r.status_label),
            r.limit_text,
            r.edition,
            str(r.detail),
            r.on_date.isoformat(),
        ]
        for r in c.rows
    )
    response = HttpResponse(excel.export(columns, rows, _("Limit coverage")), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="plan-{c.plan.year}-coverage.xlsx"'
    return response


@login_required
def plan_coverage(request, year):
    """Before sampling: which of the plan's focus pairs a limit in force covers over its year, which rest on a
    temporary limit, which have none; the publishing of the plan (a reason required while pairs are
    uncovered). ``?format=xlsx`` downloads the table."""
    _staff_only(request.user)
    plan = selectors.plans_for(request.user).filter(year=year).order_by("-region__path").first()
    if plan is None:
        raise Http404
    c = selectors.plan_coverage(plan)
    if request.GET.get("format") == "xlsx":
        return _coverage_xlsx(c)
    may_publish = "publish" in services.PLAN_WORKFLOW.available_names(request.user, plan)
    form = with_version(PublishPlanForm(request.POST or None), plan) if may_publish else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("Only the district administration may publish the monitoring plan."))
        if form.is_valid() and (form.cleaned_data["reason"].strip() or not c.gaps):
            asking = confirmation_needed(
                request,
                services.PLAN_WORKFLOW["publish"],
                subject=plan.title,
                back_url=reverse("monitoring:plan_coverage", args=[plan.year]),
            )
            if asking is not None:
                return asking
        if form.is_valid():
            try:
                services.plan_publish(
                    actor=request.user,
                    plan=plan,
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data.get("version"),
                )
            except StaleVersion as e:
                form = refuse_stale(form, e, with_version(PublishPlanForm(), plan))
            except ValidationError as e:
                errors_to_form(e, form)
            else:
                messages.success(request, _("The monitoring plan was published."))
                return redirect("monitoring:plan_coverage", year=plan.year)
    status = 400 if request.method == "POST" else 200  # a POST that got here was refused
    return render(
        request,
        "monitoring/coverage.html",
        {
            "section": "monitoring",
            "plan": plan,
            "c": c,
            "form": form,
            "counts": [(key, label, c.counts[key]) for key, label in Coverage.choices],
            "covered_keys": [str(k) for k in COVERED],
        },
        status=status,
    )


def _pct(value) -> str:
    return "—" if value is None else f"{value}%"


def _progress_columns(first, last) -> list[Col]:
    return [
        Col(first, lambda r: r[0]),
        Col(_lazy("Done"), lambda r: r[1].done),
        Col(_lazy("planned"), lambda r: _("no share") if r[1].planned is None else r[1].planned),
        Col(_lazy("Progress"), lambda r: "" if r[1].planned is None else _pct(r[1].percent_done)),
        Col(_lazy("Expected by now"), lambda r: "—" if r[1].expected is None else int(round(r[1].expected))),
        Col(
            _lazy("Pace"),
            lambda r: "—" if r[1].on_pace is None else _("On pace") if r[1].on_pace else _("Behind"),
        ),
        *last,
    ]


def _pass_rate(row) -> str:
    if row.pass_rate is None:
        return "—"
    if row.wilson:
        return f"{row.pass_rate}% ({row.wilson_low}–{row.wilson_high}%)"
    return f"{row.pass_rate}%"


QUANTITATIVE_LAST = [
    Col(_lazy("Pass rate"), lambda r: _pass_rate(r[1])),
    Col(_lazy("Unqualified"), lambda r: r[1].failed),
]
RAPID_PROGRESS = _progress_columns(_lazy("station"), [Col(_lazy("Positives"), lambda r: r[1].positives)])


@login_required
def progress_export(request, year):
    """The tables of the plan-progress page, for the viewer's jurisdiction: by sector, by part, rapid tests."""
    _staff_only(request.user)
    plan = selectors.plans_for(request.user).filter(year=year).order_by("-region__path").first()
    if plan is None:
        raise Http404
    p = selectors.progress_for(request.user, plan)
    by_sector = [(r.label, r) for r in p.sectors] + [(_("Total"), p.total)]
    sheets = [
        (_("Quantitative samples by sector"), by_sector, _progress_columns(_("sector"), QUANTITATIVE_LAST))
    ]
    if p.parts:
        title, first = (
            (_("Quantitative samples by township"), _("township"))
            if p.is_plan_region
            else (_("Quantitative samples by village"), _("village"))
        )
        sheets.append((title, [(r.label, r) for r in p.parts], _progress_columns(first, QUANTITATIVE_LAST)))
    if p.is_plan_region:
        rapid = [(_("District lab"), p.rapid_district)] + [(r.label, r) for r in p.rapid_townships]
        rapid.append((_("Townships in total"), p.rapid_township_total))
    else:
        rapid = [(r.label, r) for r in p.rapid_parts] + [(_("Total"), p.rapid_total)]
    return xlsx_sheets_response(
        [*sheets, (_("Rapid tests"), rapid, RAPID_PROGRESS)],
        filename=f"progress-{plan.year}",
    )


@login_required
def village_shares(request, year, code):
    """A township's share of the plan divided among its villages (the district administration or the
    township's supervisor)."""
    _staff_only(request.user)
    plan = selectors.plans_for(request.user).filter(year=year).order_by("-region__path").first()
    town = Region.objects.filter(code=code, level=RegionLevel.TOWNSHIP).first()
    if plan is None or town is None or not town.path.startswith(plan.region.path):
        raise Http404
    if not services.may_share(request.user, town):
        raise PermissionDenied(_("Only the district administration or the township may divide its share."))
    villages = list(
        Region.objects.filter(parent=town, level=RegionLevel.VILLAGE).order_by("sort_order", "code")
    )
    shares = selectors.plan_shares(plan)
    initial = {}
    for v in villages:
        initial[f"q_{v.pk}"] = shares.get((QuotaKind.QUANTITATIVE, v.pk))
        initial[f"r_{v.pk}"] = shares.get((QuotaKind.RAPID, v.pk))
    form = VillageShareForm(request.POST or None, initial=initial, villages=villages)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.village_shares_save(
                actor=request.user,
                plan=plan,
                township=town,
                quantitative={v: d.get(f"q_{v.pk}") for v in villages},
                rapid={v: d.get(f"r_{v.pk}") for v in villages},
            )
        except ValidationError as e:
            errors_to_form(e, form)
        else:
            messages.success(request, _("The villages' shares were saved."))
            return redirect("monitoring:progress", year=plan.year)
    return render(
        request,
        "monitoring/village_shares.html",
        {
            "section": "monitoring",
            "plan": plan,
            "town": town,
            "form": form,
            "town_quantitative": shares.get((QuotaKind.QUANTITATIVE, town.pk)),
            "town_rapid": shares.get((QuotaKind.RAPID, town.pk)),
        },
    )


@login_required
def plan_list(request):
    _staff_only(request.user)
    return render(
        request,
        "monitoring/plan_list.html",
        {
            "section": "monitoring",
            "plans": selectors.plans_for(request.user),
            "can_manage": can_manage(request.user),
        },
    )


def _follow_up_initial(fu):
    return {"trace_note": fu.trace_note, "measures": fu.measures, "case_number": fu.case_number}


def _plan_initial(plan, towns, year):
    initial = {"year": year or timezone.localdate().year}
    if plan:
        q = {(x.kind, x.sector, x.township_id): x.planned for x in plan.quotas.all()}
        initial.update({f: getattr(plan, f) for f in services.PLAN_FIELDS if f != "notes"})
        initial.update({s: q.get((QuotaKind.QUANTITATIVE, s, None), 0) for s in Sector.values})
        initial["focus_products"] = list(plan.focus_products.all())
        for t in towns:
            initial[f"q_{t.pk}"] = q.get((QuotaKind.QUANTITATIVE, "", t.pk))
            initial[f"r_{t.pk}"] = q.get((QuotaKind.RAPID, "", t.pk))
    else:
        initial.update({f"q_{t.pk}": v for t, v in services.split_evenly(800, towns).items()})
        initial.update({f"r_{t.pk}": v for t, v in services.split_evenly(7200, towns).items()})
    return initial


@login_required
def plan_edit(request, year=None):
    if not can_manage(request.user):
        raise PermissionDenied(_("Only the district administration may set the monitoring plan."))
    district = request.user.jurisdiction if request.user.jurisdiction_id else root_region()
    towns = list(townships(district))
    plan = selectors.plans_for(request.user).filter(year=year, region=district).first() if year else None
    form = with_version(
        PlanForm(request.POST or None, initial=_plan_initial(plan, towns, year), towns=towns), plan
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            plan = services.plan_save(
                actor=request.user,
                year=d["year"],
                region=district,
                sector_quotas={s: d[s] or 0 for s in Sector.values},
                township_quantitative={t: d[f"q_{t.pk}"] for t in towns if d.get(f"q_{t.pk}") is not None},
                township_rapid={t: d[f"r_{t.pk}"] for t in towns if d.get(f"r_{t.pk}") is not None},
                focus_products=d["focus_products"],
                coverage_reason=d.get("coverage_reason") or "",
                expected_version=d.get("version"),
                **{
                    f: d[f]
                    for f in (
                        "title",
                        "quantitative_target",
                        "pass_rate_target",
                        "district_rapid_target",
                        "township_rapid_target",
                        "focus_analytes",
                    )
                },
            )
        except StaleVersion as e:
            plan = selectors.plans_for(request.user).filter(year=year, region=district).first()
            fresh = PlanForm(initial=_plan_initial(plan, towns, year), towns=towns)
            form = refuse_stale(form, e, with_version(fresh, plan))
        except ValidationError as e:
            errors_to_form(e, form, request)
        else:
            messages.success(request, _("The monitoring plan was saved."))
            return redirect("monitoring:progress", year=plan.year)
    return render(request, "monitoring/plan_form.html", {"section": "monitoring", "form": form, "plan": plan})


# ---------------------------------------------------------------- tasks
def _tasks(request):
    """The task list's rows with its filters (status, mine, unassigned, due), overdue first: the page and its
    export show the same."""
    return todo.tasks_work_order(selectors.tasks_filtered(request.user, request.GET))


TASK_COLUMNS = [
    Col(_lazy("producer"), lambda t: t.producer.name),
    Col(_lazy("product"), lambda t: t.product.name if t.product_id else "—"),
    Col(_lazy("source"), lambda t: f"{t.get_source_display()} {t.round_code}".strip()),
    Col(_lazy("stratum"), lambda t: f"{t.stratum} ({t.rank})" if t.rank else t.stratum),
    Col(_lazy("samplers"), lambda t: "、".join(str(s) for s in t.samplers.all())),
    Col(_lazy("due"), lambda t: cn_date(t.due)),
    Col(_lazy("status"), lambda t: t.get_status_display()),
]


@login_required
def task_export(request):
    _staff_only(request.user)
    tasks = list(_tasks(request)[:MAX_EXPORT_ROWS])
    codes = draw_selectors.round_codes(t.draw_round_id for t in tasks if t.draw_round_id)
    for t in tasks:
        t.round_code = codes.get(t.draw_round_id, "")
    return xlsx_response(tasks, TASK_COLUMNS, title=_("Sampling tasks"), filename="tasks")


@login_required
def task_list(request):
    _staff_only(request.user)
    today = timezone.localdate()
    page = _page(request, _tasks(request))
    page.object_list = list(page.object_list)
    can_create = services._has_role(request.user, services.SAMPLER_ROLES)
    codes = draw_selectors.round_codes(t.draw_round_id for t in page.object_list if t.draw_round_id)
    for t in page.object_list:  # the row's buttons are the task workflow's
        t.round_code = codes.get(t.draw_round_id, "")
        t.actions = {a.name: a for a in services.TASK_WORKFLOW.available(request.user, t)}
        t.can_sample = can_create and t.status in services.TASK_WORKFLOW["sample"].sources
        t.overdue = t.status == TaskStatus.OPEN and t.due is not None and t.due < today
    return render(
        request,
        "monitoring/task_list.html",
        {
            "section": "monitoring",
            "page_obj": page,
            # Two forms on one page: prefixes keep their fields' ids apart (task-due, draw-due).
            "task_form": TaskForm(user=request.user, prefix="task"),
            "draw_form": DrawTasksForm(user=request.user, prefix="draw"),
            "can_create": can_create,
            "can_assign": services._has_role(request.user, services.ADMINS),
            "assign_form": AssignForm(user=request.user, prefix="batch"),
            "query": request.GET.urlencode(),
            "batch_limit": batch.LIMIT,
        },
    )


@login_required
@require_POST
def task_create(request):
    form = TaskForm(request.POST, user=request.user, prefix="task")
    if form.is_valid():
        try:
            services.task_create(
                actor=request.user,
                samplers=[request.user] if request.user.role == "sampler" else [],
                **form.cleaned_data,
            )
            messages.success(request, _("The sampling task was created."))
        except ValidationError as e:
            errors_to_form(e, request=request)
    else:
        for errs in form.errors.values():
            for m in errs:
                messages.error(request, m)
    return redirect("monitoring:task_list")


@login_required
@require_POST
def tasks_from_draw(request):
    form = DrawTasksForm(request.POST, user=request.user, prefix="draw")
    if form.is_valid():
        rnd = form.cleaned_data["round"]
        try:
            made = services.tasks_from_draw(actor=request.user, round_id=rnd.pk, due=form.cleaned_data["due"])
        except ValidationError as e:
            errors_to_form(e, request=request)
        else:
            if made:
                messages.success(
                    request,
                    _("%(n)d sampling tasks were created from the draw %(code)s.")
                    % {"n": len(made), "code": rnd.code},
                )
            else:  # run before: nothing new, which is no success to report
                messages.warning(
                    request,
                    _("Nothing new was generated: every producer drawn in %(code)s already has its task.")
                    % {"code": rnd.code},
                )
    else:
        for errs in form.errors.values():
            for m in errs:
                messages.error(request, m)
    return redirect("monitoring:task_list")


@login_required
@require_POST
def task_cancel(request, pk):
    task = get_scoped_or_404(request.user, SamplingTask.objects.all(), pk=pk)
    try:
        services.task_cancel(actor=request.user, task=task, reason=request.POST.get("reason", ""))
        messages.success(request, _("The task was cancelled."))
    except ValidationError as e:
        errors_to_form(e, request=request)
    return redirect("monitoring:task_list")


# ---------------------------------------------------------------- batch actions (nongan.core.batch)
def _back(name: str, request):
    query = request.POST.get("query", "")
    return redirect(reverse(name) + (f"?{query}" if query else ""))


BATCH_SAMPLE_ACTIONS = ("receive", "verify")


@login_required
@require_POST
@idempotent_view()
def sample_batch(request):
    """The ticked samples of the list: received, verified (each by ``sample_transition``, as on its own page:
    checked, audited and ledgered one by one) or printed (one 抽样单 per page, in one PDF)."""
    _staff_only(request.user)
    action = request.POST.get("action", "")
    if action not in (*BATCH_SAMPLE_ACTIONS, "print"):
        messages.error(request, _("Choose what to do with the ticked samples."))
        return _back("monitoring:sample_list", request)
    try:
        ids = batch.ids_from(request)
    except ValidationError as e:
        errors_to_form(e, request=request)
        return _back("monitoring:sample_list", request)
    found = selectors.samples_for(request.user).in_bulk(ids)
    if action == "print":
        missing = [pk for pk in ids if pk not in found]
        if missing:
            messages.error(
                request,
                _("%(n)d of the ticked samples were not found in your jurisdiction; nothing was printed.")
                % {"n": len(missing)},
            )
            return _back("monitoring:sample_list", request)
        chosen = (
            selectors.samples_for(request.user)
            .filter(pk__in=ids)
            .select_related("producer", "product", "township", "base", "plan", "sampler")
            .prefetch_related("co_samplers")
            .in_bulk(ids)
        )
        response = HttpResponse(samples_pdf(chosen[pk] for pk in ids), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="samples-{len(ids)}.pdf"'
        return response
    done, refused = batch.run_each(
        ids,
        found,
        lambda s: services.sample_transition(actor=request.user, sample=s, action=action),
        lambda s: s.code,
    )
    done_text = {
        "receive": _("Received %(n)d."),
        "verify": _("Verified %(n)d."),
    }[action] % {"n": len(done)}
    batch.report(request, done_text, done, refused)
    return _back("monitoring:sample_list", request)


@login_required
@require_POST
@idempotent_view()
def task_assign(request, pk):
    """Assign a sampler to one task (its row on the task list)."""
    task = get_scoped_or_404(request.user, SamplingTask.objects.all(), pk=pk)
    form = AssignForm(request.POST, user=request.user)
    if form.is_valid():
        sampler = form.cleaned_data["sampler"]
        try:
            services.task_assign(actor=request.user, task=task, sampler=sampler)
            messages.success(
                request,
                _("%(name)s was assigned to the task of %(producer)s.")
                % {"name": sampler, "producer": task.producer.name},
            )
        except ValidationError as e:
            errors_to_form(e, request=request)
    else:
        for errs in form.errors.values():
            for m in errs:
                messages.error(request, m)
    return _back("monitoring:task_list", request)


@login_required
@require_POST
@idempotent_view()
def task_unassign(request, pk):
    """Take one sampler off a task (the × beside the sampler's name on the task list), with a reason."""
    task = get_scoped_or_404(request.user, SamplingTask.objects.all(), pk=pk)
    sampler = task.samplers.filter(pk=request.POST.get("sampler") or 0).first()
    if sampler is None:
        messages.error(request, _("Choose a sampler of this task."))
        return _back("monitoring:task_list", request)
    try:
        services.task_unassign(
            actor=request.user, task=task, sampler=sampler, reason=request.POST.get("reason", "")
        )
        messages.success(
            request,
            _("%(name)s was removed from the task of %(producer)s.")
            % {"name": sampler, "producer": task.producer.name},
        )
    except ValidationError as e:
        errors_to_form(e, request=request)
    return _back("monitoring:task_list", request)


@login_required
@require_POST
@idempotent_view()
def task_batch_assign(request):
    """Assign one sampler to the ticked tasks, each by ``task_assign`` as if alone."""
    _staff_only(request.user)
    form = AssignForm(request.POST, user=request.user, prefix="batch")
    try:
        ids = batch.ids_from(request)
    except ValidationError as e:
        errors_to_form(e, request=request)
        return _back("monitoring:task_list", request)
    if not form.is_valid():
        for errs in form.errors.values():
            for m in errs:
                messages.error(request, m)
        return _back("monitoring:task_list", request)
    sampler = form.cleaned_data["sampler"]
    found = selectors.tasks_for(request.user).select_related("producer__region").in_bulk(ids)
    done, refused = batch.run_each(
        ids,
        found,
        lambda t: services.task_assign(actor=request.user, task=t, sampler=sampler),
        lambda t: t.producer.name,
    )
    batch.report(
        request,
        _("%(name)s was assigned to %(n)d tasks.") % {"name": sampler, "n": len(done)},
        done,
        refused,
    )
    return _back("monitoring:task_list", request)


# ---------------------------------------------------------------- samples
def _samples(request):
    """The sample list's filter and rows (the page and its export show the same)."""
    fs = SampleFilter(request.GET or None, queryset=selectors.samples_for(request.user))
    qs = fs.qs if fs.is_bound and fs.is_valid() else fs.queryset
    if fs.is_bound and fs.is_valid():  # the lab's queues: the oldest waiting first
        qs = todo.samples_work_order(qs, fs.form.cleaned_data.get("state"))
    return fs, qs


SAMPLE_COLUMNS = [
    Col(_lazy("sample number"), lambda s: s.code),
    Col(_lazy("producer"), lambda s: s.producer.name),
    Col(_lazy("product"), lambda s: s.product.name),
    Col(_lazy("township"), lambda s: s.township.name if s.township_id else ""),
    Col(_lazy("sampling time"), lambda s: cn_date(s.sampled_at)),
    Col(_lazy("state"), lambda s: s.get_state_display()),
    Col(_lazy("verdict"), lambda s: s.get_verdict_display() if s.verdict else ""),
]


@login_required
def sample_export(request):
    _fs, qs = _samples(request)
    qs = qs.select_related("producer", "product", "township")
    return xlsx_response(qs, SAMPLE_COLUMNS, title=_("Samples"), filename="samples")


RESULT_COLUMNS = [
    Col(_lazy("sample number"), lambda r: r.sample.code),
    Col(_lazy("producer"), lambda r: r.sample.producer.name),
    Col(_lazy("product"), lambda r: r.sample.product.name),
    Col(_lazy("township"), lambda r: r.sample.township.name if r.sample.township_id else ""),
    Col(_lazy("sampling time"), lambda r: cn_date(r.sample.sampled_at)),
    Col(_lazy("analyte"), lambda r: r.analyte),
    Col(_lazy("value"), lambda r: r.value.normalize()),
    Col(_lazy("unit"), lambda r: r.unit),
    Col(_lazy("limit (mg/kg)"), lambda r: "—" if r.limit_mg_kg is None else r.limit_mg_kg.normalize()),
    Col(_lazy("verdict"), lambda r: r.get_verdict_display()),
    Col(_lazy("standard edition"), lambda r: r.edition),
    Col(_lazy("method"), lambda r: r.method),
]


@login_required
def results_export(request):
    """The current lab results of the samples the sample list shows with the same filters (one row per analyte);
    a producer gets those of its published samples only (the results' own scope)."""
    _fs, samples = _samples(request)
    qs = (
        selectors.results_for(request.user)
        .filter(is_current=True, sample__in=samples.order_by().values("pk"))
        .select_related("sample__producer", "sample__product", "sample__township")
        .order_by("sample__code", "analyte", "id")
    )
    return xlsx_response(qs, RESULT_COLUMNS, title=_("Lab results"), filename="lab-results")


@login_required
def sample_list(request):
    fs, qs = _samples(request)
    return render(
        request,
        "monitoring/sample_list.html",
        {
            "section": "monitoring",
            "filter": fs,
            "page_obj": _page(request, qs),
            "can_create": services._has_role(request.user, services.SAMPLER_ROLES),
            # the batch form: staff print the ticked 抽样单; the lab also receives and verifies them
            "can_batch": not request.user.is_entity_role or request.user.is_superuser,
            "can_lab": services._has_role(request.user, services.LAB_ROLES),
            "query": request.GET.urlencode(),
            "batch_limit": batch.LIMIT,
        },
    )


@login_required
def sample_create(request):
    task = None
    if request.GET.get("task") or request.POST.get("task"):
        task = get_scoped_or_404(
            request.user, SamplingTask.objects.all(), pk=request.GET.get("task") or request.POST.get("task")
        )
    initial = {"sampled_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "quantity_unit": "kg"}
    if task:  # the task's other drawn samplers are taken to be present; the sampler corrects it
        initial.update(
            producer=task.producer,
            product=task.product,
            co_samplers=[u.pk for u in task.samplers.all() if u.pk != request.user.pk],
        )
    form = SampleForm(
        request.POST or None, request.FILES or None, user=request.user, initial=initial, task=task
    )
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        d.pop("photos", None)
        try:
            sample = services.sample_register(
                actor=request.user, task=task, photos=request.FILES.getlist("photos"), **d
            )
        except ValidationError as e:
            errors_to_form(e, form, request)
        else:
            messages.success(request, _("Sample %(code)s was registered.") % {"code": sample.code})
            return redirect("monitoring:sample_detail", code=sample.code)
    return render(
        request, "monitoring/sample_form.html", {"section": "monitoring", "form": form, "task": task}
    )


@login_required
def sample_producer_options(request):
    """The producers in the user's scope matching the sample form's search (``q``), as <option>s for its
    producer field (htmx); at most 20, the first one empty so that choosing one is a change."""
    found = registry_selectors.producer_search(request.user, request.GET.get("q", ""))
    return render(request, "monitoring/_producer_options.html", {"producers": found})


@login_required
def sample_producer_parts(request):
    """The base and product fields of the sample form for the chosen producer (htmx): only its bases and
    products. A producer out of the user's scope gets empty fields, as no producer does."""
    form = SampleForm(initial={"producer": request.GET.get("producer")}, user=request.user)
    return render(request, "monitoring/_sample_producer_parts.html", {"form": form})


@login_required
def photo_file(request, pk):
    """A sample photo, to whoever may see its sample (``serve_file`` applies the scoping choke point)."""
    photo = SamplePhoto.objects.filter(pk=pk).first()
    if photo is None:
        raise Http404
    return serve_file(request, photo, "image")


@login_required
def sample_detail(request, code):
    sample = get_scoped_or_404(request.user, selectors.samples_for(request.user), code=code)
    results = sample.results.select_related("analyst", "verified_by", "supersedes").order_by("analyte", "id")
    return render(
        request,
        "monitoring/sample_detail.html",
        {
            "section": "monitoring",
            "sample": sample,
            "results": results,
            "events": [
                {
                    "e": e,
                    "action": services.ACTION_LABELS.get(e.action, e.action),
                    "from": services.STATE_LABELS.get(e.from_state, e.from_state),
                    "to": services.STATE_LABELS.get(e.to_state, e.to_state),
                }
                for e in sample.events.select_related("actor")
            ],
            "transitions": services.available_transitions(request.user, sample),
            "can_enter": sample.state == SampleState.RECEIVED
            and services._has_role(request.user, services.LAB_ROLES),
            "follow_up": UnqualifiedFollowUp.objects.filter(sample=sample).first(),
        },
    )


@login_required
@require_POST
def sample_transition(request, code):
    sample = get_scoped_or_404(request.user, Sample.objects.all(), code=code)
    form = TransitionForm(request.POST)
    if form.is_valid():
        asking = confirmation_needed(
            request,
            services.SAMPLE_WORKFLOW.transitions.get(form.cleaned_data["action"]),
            subject=f"{sample.code} {sample.producer.name} {sample.product}",
            back_url=reverse("monitoring:sample_detail", args=[sample.code]),
        )
        if asking is not None:
            return asking
        try:
            services.sample_transition(
                actor=request.user,
                sample=sample,
                action=form.cleaned_data["action"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("Done."))
        except ValidationError as e:
            errors_to_form(e, request=request)
    return redirect("monitoring:sample_detail", code=sample.code)


@login_required
@require_POST
def sample_confirm(request, code):
    sample = get_scoped_or_404(request.user, Sample.objects.all(), code=code)
    if not services._has_role(request.user, services.SAMPLER_ROLES):
        raise PermissionDenied(_("Only samplers may register samples."))
    try:
        services.sample_confirm_party(
            actor=request.user, sample=sample, party_name=request.POST.get("party_name", "")
        )
        messages.success(request, _("The sampled party's confirmation was recorded."))
    except ValidationError as e:
        errors_to_form(e, request=request)
    return redirect("monitoring:sample_detail", code=sample.code)


@login_required
def sample_print(request, code):
    sample = get_scoped_or_404(request.user, selectors.samples_for(request.user), code=code)
    response = HttpResponse(sample_pdf(sample), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="sample-{sample.code}.pdf"'
    return response


@login_required
def results_enter(request, code):
    sample = get_scoped_or_404(request.user, selectors.samples_for(request.user), code=code)
    formset = ResultFormSet(request.POST or None, prefix="r")
    if request.method == "POST" and formset.is_valid():
        rows = [
            f.cleaned_data for f in formset if f.cleaned_data.get("analyte") or f.cleaned_data.get("value")
        ]
        try:
            services.results_enter(
                actor=request.user, sample=sample, rows=rows, submit=bool(request.POST.get("submit"))
            )
        except ValidationError as e:
            errors_to_form(e, request=request)
        else:
            messages.success(request, _("The results were saved."))
            return redirect("monitoring:sample_detail", code=sample.code)
    return render(
        request,
        "monitoring/results_form.html",
        {"section": "monitoring", "sample": sample, "formset": formset},
    )


@login_required
def result_correct(request, pk):
    result = get_scoped_or_404(request.user, LabResult.objects.select_related("sample"), pk=pk)
    form = CorrectionForm(request.POST or None, initial={"value": result.value, "unit": result.unit})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.result_correct(
                actor=request.user, result=result, reason=d["reason"], value=d["value"], unit=d["unit"]
            )
        except ValidationError as e:
            errors_to_form(e, form, request)
        else:
            messages.success(request, _("The corrected result was saved; the old one is kept."))
            return redirect("monitoring:sample_detail", code=result.sample.code)
    return render(
        request, "monitoring/correct_form.html", {"section": "monitoring", "form": form, "result": result}
    )


@idempotent_view()
def _import_page(request, *, importer, template_url):
    _staff_only(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            return import_upload(request, importer.kind, form.cleaned_data["file"])
        except ValidationError as e:
            form.add_error("file", e.messages[0])
    return render(
        request,
        "monitoring/import.html",
        {
            "section": "monitoring",
            "form": form,
            "title": importer.label,
            "sheet": importer.sheet,
            "template_url": template_url,
            "jobs": imports.jobs_for(request.user, importer.kind)[:5],
        },
    )


@login_required
def results_import(request):
    return _import_page(request, importer=RESULTS, template_url="monitoring:results_template")


@login_required
def rapid_import(request):
    return _import_page(request, importer=RAPID, template_url="monitoring:rapid_template")


def _template_response(sheet, name):
    response = HttpResponse(sheet.template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def results_template(request):
    return _template_response(RESULT_SHEET, "lab-results-template.xlsx")


@login_required
def rapid_template(request):
    return _template_response(RAPID_SHEET, "rapid-tests-template.xlsx")


# ---------------------------------------------------------------- rapid tests
def _rapid_tests(request):
    """The rapid-test list's filter and rows (the page and its export show the same)."""
    fs = RapidTestFilter(request.GET or None, queryset=selectors.rapid_tests_for(request.user))
    return fs, (fs.qs if fs.is_bound and fs.is_valid() else fs.queryset)


def _rapid_reading(t) -> str:
    if t.method == "enzyme":
        return f"{t.inhibition}% (≥{floatformat(t.threshold, '-2')}%)"
    return f"C:{'✓' if t.c_line else '✗'} {t.get_t_line_display()}"


def _rapid_outcome(t) -> str:
    text = t.get_outcome_display()
    if t.outcome == RapidOutcome.POSITIVE and t.confirmed_positive:
        text += " · " + _("confirmed")
    if t.retest_of_id:
        text += " " + _("retest of") + f" #{t.retest_of_id}"
    return text


RAPID_COLUMNS = [
    Col("#", lambda t: t.pk),
    Col(_lazy("test time"), lambda t: cn_datetime(t.tested_at)),
    Col(_lazy("station"), lambda t: t.region.name),
    Col(_lazy("product"), lambda t: t.product.name),
    Col(_lazy("method"), lambda t: t.get_method_display()),
    Col(_lazy("reading"), _rapid_reading),
    Col(_lazy("outcome"), _rapid_outcome),
]


@login_required
def rapid_export(request):
    _staff_only(request.user)
    _fs, qs = _rapid_tests(request)
    return xlsx_response(qs, RAPID_COLUMNS, title=_("Rapid tests"), filename="rapid-tests")


@login_required
def rapid_list(request):
    _staff_only(request.user)
    fs, qs = _rapid_tests(request)
    holds = list(todo.holds_work_order(selectors.holds_for(request.user)))
    today = timezone.localdate()
    for h in holds:  # the release button is the hold workflow's
        h.actions = {a.name: a for a in services.HOLD_WORKFLOW.available(request.user, h)}
        h.due = h.task.due if h.task_id and h.task.status == TaskStatus.OPEN else None
        h.overdue = h.due is not None and h.due < today
    return render(
        request,
        "monitoring/rapid_list.html",
        {
            "section": "monitoring",
            "filter": fs,
            "page_obj": _page(request, qs),
            "holds": holds,
            "can_record": services._has_role(request.user, services.RAPID_ROLES),
        },
    )


@login_required
def rapid_create(request):
    _staff_only(request.user)
    original = None
    if request.GET.get("retest_of"):
        original = get_scoped_or_404(
            request.user, selectors.rapid_tests_for(request.user), pk=request.GET["retest_of"]
        )
    initial = {"tested_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "threshold": "50"}
    if original:
        initial.update(
            station=original.region.code,
            product=original.product.name,
            lot=original.lot,
            method=original.method,
            analyte=original.analyte,
            retest_of=original.pk,
            producer=original.producer.code if original.producer_id else "",
        )
    form = RapidTestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            [t] = services.rapid_tests_record(actor=request.user, items=[form.cleaned_data])
        except ValidationError as e:
            item_errors = getattr(e, "item_errors", None)
            if item_errors:  # the one item's field errors
                errors_to_form(ValidationError(item_errors[0]), form)
            else:
                errors_to_form(e, request=request)
        else:
            messages.success(
                request, _("The rapid test was recorded: %(outcome)s.") % {"outcome": t.get_outcome_display()}
            )
            if t.outcome == RapidOutcome.POSITIVE and not t.retest_of_id:
                messages.warning(request, _("Positive: retest the same lot."))
            return redirect("monitoring:rapid_list")
    return render(
        request, "monitoring/rapid_form.html", {"section": "monitoring", "form": form, "original": original}
    )


@login_required
@require_POST
def hold_release(request, pk):
    hold = get_scoped_or_404(request.user, SaleHold.objects.all(), pk=pk)
    try:
        services.sale_hold_release(actor=request.user, hold=hold, reason=request.POST.get("reason", ""))
        messages.success(request, _("The lot was released."))
    except ValidationError as e:
        errors_to_form(e, request=request)
    return redirect("monitoring:rapid_list")


@login_required
def integrity(request):
    _staff_only(request.user)
    return render(
        request,
        "monitoring/integrity.html",
        {
            "section": "monitoring",
            "signals": selectors.integrity_signals(request.user),
            "limits": {
                "perfect": selectors.PERFECT_MIN_TESTS,
                "late": selectors.LATE_HOURS,
                "burst": selectors.BURST_MIN,
                "repeat": selectors.REPEAT_MIN,
            },
        },
    )


# ---------------------------------------------------------------- follow-ups
def _follow_ups(request):
    """The follow-up list's status filter and rows, overdue first (the page and its export show the same)."""
    qs = selectors.follow_ups_for(request.user)
    status = request.GET.get("status")
    if status in FollowUpStatus.values:
        qs = qs.filter(status=status)
    return status, todo.follow_ups_work_order(qs)


def _follow_up_status(f) -> str:
    text = f.get_status_display()
    if f.sample.state == SampleState.VOIDED:
        text += f" ({_('Sample')} {f.sample.get_state_display()})"
    return text


FOLLOW_UP_COLUMNS = [
    Col(_lazy("sample"), lambda f: f.sample.code),
    Col(_lazy("producer"), lambda f: f.sample.producer.name),
    Col(_lazy("product"), lambda f: f.sample.product.name),
    Col(_lazy("township notified"), lambda f: f.township.name if f.township_id else ""),
    Col(
        _lazy("deadline"),
        lambda f: "" if f.status == FollowUpStatus.HANDLED else cn_date(todo.follow_up_deadline(f)),
    ),
    Col(_lazy("enforcement case number"), lambda f: f.case_number),
    Col(_lazy("status"), _follow_up_status),
]


@login_required
def follow_up_export(request):
    _staff_only(request.user)
    _status, qs = _follow_ups(request)
    return xlsx_response(qs, FOLLOW_UP_COLUMNS, title=_("Unqualified results"), filename="follow-ups")


@login_required
def follow_up_list(request):
    _staff_only(request.user)
    handled, total, rate = selectors.handling_rate(request.user)
    status, qs = _follow_ups(request)
    page = _page(request, qs)
    page.object_list = list(page.object_list)
    today = timezone.localdate()
    for f in page.object_list:  # a follow-up being handled shows its deadline
        if f.status != FollowUpStatus.HANDLED:
            f.deadline = todo.follow_up_deadline(f)
            f.overdue = f.deadline < today
    return render(
        request,
        "monitoring/follow_up_list.html",
        {
            "section": "monitoring",
            "status": status,
            "page_obj": page,
            "handled": handled,
            "total": total,
            "rate": rate,
        },
    )


@login_required
def follow_up_detail(request, pk):
    _staff_only(request.user)  # as the list: the notice, trace notes and case number are the bureau's
    fu = get_scoped_or_404(request.user, selectors.follow_ups_for(request.user), pk=pk)
    form = with_version(FollowUpForm(request.POST or None, initial=_follow_up_initial(fu)), fu)
    review_error = None
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action in ("close", "reject_close"):  # the second person's decision on a proposed closing
        try:
            if action == "close":
                services.follow_up_close(actor=request.user, follow_up=fu)
            else:
                services.follow_up_reject_close(
                    actor=request.user, follow_up=fu, reason=request.POST.get("reason", "")
                )
        except ValidationError as e:
            review_error = " ".join(e.messages)
        else:
            messages.success(request, _("The follow-up was saved."))
            return redirect("monitoring:follow_up_detail", pk=fu.pk)
    elif request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.follow_up_update(
                actor=request.user,
                follow_up=fu,
                trace_note=d["trace_note"],
                measures=d["measures"],
                case_number=d["case_number"],
                expected_version=d.get("version"),
            )  # a stale one refuses before anything is closed
            if d["close"]:
                services.follow_up_propose_close(actor=request.user, follow_up=fu)
        except StaleVersion as e:
            fu = get_scoped_or_404(request.user, selectors.follow_ups_for(request.user), pk=pk)
            form = refuse_stale(form, e, with_version(FollowUpForm(initial=_follow_up_initial(fu)), fu))
        except ValidationError as e:
            errors_to_form(e, form, request)
        else:
            messages.success(request, _("The follow-up was saved."))
            return redirect("monitoring:follow_up_detail", pk=fu.pk)
    available = services.FOLLOW_UP_WORKFLOW.available_names(request.user, fu)
    is_proposer = fu.proposed_by_id is not None and fu.proposed_by_id == request.user.pk
    return render(
        request,
        "monitoring/follow_up_detail.html",
        {
            "section": "monitoring",
            "fu": fu,
            "form": form,
            "can_close": "propose_close" in available,
            "can_review": fu.status == "proposed" and "close" in available and not is_proposer,
            "review_error": review_error,
        },
    )


# ---------------------------------------------------------------- public disclosure (no login)
def public(request):
    year = request.GET.get("year") or ""
    # a four-digit year (ASCII digits) or none: "99999", "²" or a NUL is simply no filter
    year = int(year) if re.fullmatch(r"[0-9]{4}", year) and 1900 <= int(year) <= 2999 else None
    page = _page(request, selectors.published_results(year))
    rows = [{"s": s, "name": selectors.public_name(s.producer)} for s in page.object_list]
    years = sorted(
        {d.year for d in Sample.objects.filter(state=SampleState.PUBLISHED).dates("sampled_at", "year")},
        reverse=True,
    )
    return render(
        request,
        "monitoring/public.html",
        {"page_obj": page, "rows": rows, "year": year, "years": years, "section": "public"},
    )
