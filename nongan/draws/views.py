"""Pages of the draws app: thin views over selectors and services."""

import json
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from nongan.core.exports import Col, cn_date, xlsx_response
from nongan.core.forms import errors_to_form
from nongan.core.scoping import can_manage
from nongan.core.views import confirmation_needed
from nongan.registry import selectors as registry

from . import selectors, services
from .choices import RoundStatus
from .export import round_export
from .filtersets import DrawRoundFilterSet
from .forms import CommitForm, ConflictForm, DrawForm, ReasonForm, RoundForm

ALGORITHM_FILE = Path(__file__).with_name("algorithm.py")


def _staff_only(user) -> None:
    if user.is_entity_role:
        raise PermissionDenied


def _rounds(request):
    """The round list's filter; its ``qs`` holds the rows the page and its export show."""
    fs = DrawRoundFilterSet(request.GET or None, queryset=selectors.rounds_for(request.user))
    for f in fs.form.fields.values():
        f.widget.attrs.setdefault(
            "class", "form-select form-select-sm" if hasattr(f, "choices") else "form-control form-control-sm"
        )
    return fs


ROUND_COLUMNS = [
    Col(_lazy("Round number"), lambda r: r.code),
    Col(_lazy("Title"), lambda r: r.title),
    Col(_lazy("Purpose"), lambda r: r.get_purpose_display()),
    Col(_lazy("Jurisdiction"), lambda r: r.region.name),
    Col(_lazy("Candidates"), lambda r: r.candidate_count),
    Col(_lazy("Status"), lambda r: r.get_status_display()),
    Col(_lazy("Created on"), lambda r: cn_date(r.created)),
]


@login_required
def rounds_export(request):
    _staff_only(request.user)
    return xlsx_response(_rounds(request).qs, ROUND_COLUMNS, title=_("Double-random draws"), filename="draws")


@login_required
def index(request):
    _staff_only(request.user)
    fs = _rounds(request)
    page = Paginator(fs.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "draws/index.html",
        {"section": "draws", "filter": fs, "page_obj": page, "can_manage": can_manage(request.user)},
    )


@login_required
def create(request):
    if not can_manage(request.user):
        raise PermissionDenied
    form = RoundForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            rnd = services.round_create(
                actor=request.user,
                title=d["title"],
                purpose=d["purpose"],
                year=d["year"],
                region=d["region"],
                filter_spec=form.filter_spec(),
                count=d.get("count"),
                ratio=d.get("ratio"),
                strata=d["strata"],
                inspectors_per_object=d["inspectors_per_object"],
                inspectors=list(d["inspectors"]),
            )
        except ValidationError as exc:
            errors_to_form(exc, form)
        else:
            messages.success(request, _("Round %(code)s created as a draft.") % {"code": rnd.code})
            return redirect("draws:detail", pk=rnd.pk)
    return render(request, "draws/form.html", {"section": "draws", "form": form})


@login_required
def detail(request, pk):
    _staff_only(request.user)
    rnd = selectors.round_for(request.user, pk)
    strata = list(
        rnd.candidates.values("stratum", "stratum_label").annotate(n=Count("id")).order_by("stratum")
    )
    drawn = {row["stratum"]: row["n"] for row in rnd.selections.values("stratum").annotate(n=Count("id"))}
    for row in strata:
        row["drawn"] = drawn.get(row["stratum"], 0)
    # The next steps are the workflow's: what this user may do with the round in its state now.
    actions = {t.name: t for t in services.ROUND_WORKFLOW.available(request.user, rnd)}
    names = dict(rnd.pool.values_list("user_id", "name"))
    witnesses = [(names.get(e["inspector"], e["inspector"]), e["value"]) for e in rnd.witness_entropy or []]
    return render(
        request,
        "draws/detail.html",
        {
            "section": "draws",
            "round": rnd,
            "strata": strata,
            "selections": selectors.selections_with_inspectors(rnd),
            "pool": rnd.pool.select_related("user"),
            "exclusions": rnd.exclusions.select_related("inspector"),
            "events": rnd.events.select_related("actor"),
            "actions": actions,
            "commit_form": CommitForm(),
            "draw_form": DrawForm(rnd=rnd),
            "earliest_draw": services.earliest_draw(rnd),
            "witnesses": witnesses,
            "delay_hours": format(services.min_delay().total_seconds() / 3600, "g"),
            "cancel_form": ReasonForm(),
            "filter_text": selectors.describe_filter(rnd.filter_spec),
        },
    )


@login_required
@require_POST
def action(request, pk, name):
    rnd = selectors.round_for(request.user, pk)
    if not can_manage(request.user):
        raise PermissionDenied
    form_classes = {"commit": CommitForm, "draw": DrawForm, "cancel": ReasonForm}
    if name not in services.TRANSITIONS:
        raise Http404
    kwargs = {}
    if name in form_classes:
        form = form_classes[name](request.POST, **({"rnd": rnd} if name == "draw" else {}))
        if not form.is_valid():
            for errors in form.errors.values():
                for e in errors:
                    messages.error(request, e)
            return redirect("draws:detail", pk=rnd.pk)
        kwargs = form.service_kwargs() if name == "draw" else form.cleaned_data
    asking = confirmation_needed(
        request,
        services.TRANSITIONS[name],
        subject=str(rnd),
        back_url=reverse("draws:detail", args=[rnd.pk]),
    )
    if asking is not None:
        return asking
    calls = {
        "freeze": services.round_freeze,
        "commit": services.round_commit_seed,
        "draw": services.round_draw,
        "publish": services.round_publish,
        "cancel": services.round_cancel,
    }
    try:
        rnd = calls[name](actor=request.user, rnd=rnd, **kwargs)
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(
            request,
            _("Round %(code)s: %(status)s.") % {"code": rnd.code, "status": RoundStatus(rnd.status).label},
        )
    return redirect("draws:detail", pk=rnd.pk)


@login_required
def export(request, pk):
    _staff_only(request.user)
    rnd = selectors.round_for(request.user, pk)
    return _json_download(round_export(rnd, reveal=True), rnd.code)


def _json_download(data: dict, code: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n", content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{code}.json"'
    return response


@login_required
def conflicts(request):
    _staff_only(request.user)
    manager = can_manage(request.user)
    form = ConflictForm(request.POST or None, user=request.user, manager=manager)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        producer = registry.producer_by_code(request.user, d["producer_code"])
        if producer is None:
            form.add_error("producer_code", _("No producer with this registry number in your jurisdiction."))
        else:
            try:
                services.conflict_declare(
                    actor=request.user,
                    inspector=d.get("inspector") or request.user,
                    producer=producer,
                    kind=d["kind"],
                    reason=d["reason"],
                )
            except ValidationError as exc:
                errors_to_form(exc, form)
            else:
                messages.success(request, _("Conflict declared: %(name)s.") % {"name": producer.name})
                return redirect("draws:conflicts")
    rows = selectors.conflicts_for(request.user)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "draws/conflicts.html",
        {
            "section": "draws",
            "form": form,
            "page_obj": page,
            "withdraw_form": ReasonForm(),
            "manager": manager,
        },
    )


@login_required
@require_POST
def conflict_withdraw(request, pk):
    conflict = get_object_or_404(selectors.conflicts_for(request.user), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for withdrawing."))
        return redirect("draws:conflicts")
    try:
        services.conflict_withdraw(actor=request.user, conflict=conflict, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(request, _("Conflict withdrawn."))
    return redirect("draws:conflicts")


# ---------------------------------------------------------------- public (no login)
def public_index(request):
    page = Paginator(selectors.public_rounds(), 50).get_page(request.GET.get("page"))
    return render(request, "draws/public_index.html", {"page_obj": page})


def public_detail(request, code):
    rnd = selectors.public_round(code) if "\x00" not in code else None  # PostgreSQL compares no NUL
    if rnd is None:
        raise Http404
    data = round_export(rnd, reveal=rnd.status in selectors.REVEALED_STATUSES)
    candidates = Paginator(data["candidates"], 200).get_page(request.GET.get("page"))
    names = {i["id"]: i["name"] for i in data["inspectors"]}
    witnesses = [(names.get(e["inspector"], e["inspector"]), e["value"]) for e in data["entropy"]]
    return render(
        request,
        "draws/public_detail.html",
        {
            "round": rnd,
            "data": data,
            "page_obj": candidates,
            "filter_text": selectors.describe_filter(rnd.filter_spec),
            "witnesses": witnesses,
            "earliest_draw": services.earliest_draw(rnd),
        },
    )


def public_export(request, code):
    rnd = selectors.public_round(code) if "\x00" not in code else None
    if rnd is None:
        raise Http404
    return _json_download(round_export(rnd, reveal=rnd.status in selectors.REVEALED_STATUSES), rnd.code)


def verify_script(request):
    response = HttpResponse(
        ALGORITHM_FILE.read_text(encoding="utf-8"), content_type="text/x-python; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="draw_verify.py"'
    return response
