"""Registry pages. Thin: scope through selectors, validate through forms, write through services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from nongan.core import audit, imports
from nongan.core.excel import XLSX_CONTENT_TYPE
from nongan.core.exports import Col, xlsx_response
from nongan.core.forms import errors_to_form, refuse_stale
from nongan.core.idempotency import idempotent_view
from nongan.core.scoping import can_edit_registry
from nongan.core.validators import mask_id_number
from nongan.core.versions import StaleVersion
from nongan.core.views import import_upload

from . import selectors, services
from .filtersets import ProducerFilterSet, StaffFilterSet
from .forms import BaseForm, CertificationForm, ContactForm, ProducerForm, StaffForm
from .imports import PRODUCER_SHEET, PRODUCERS
from .models import Base, Certification, Contact, Producer, StaffMember
from .privacy import may_export_basic, sees_personal_data

PAGE_SIZE = 50


def _require_editor(user):
    if not can_edit_registry(user):
        raise PermissionDenied(_("Your role may not change the registry."))


def _filter_params(request):
    """The query string without empty values (an empty select means "all")."""
    params = request.GET.copy()
    for key in list(params.keys()):
        values = [v for v in params.getlist(key) if v != ""]
        if values:
            params.setlist(key, values)
        else:
            del params[key]
    params.pop("page", None)
    return params or None


def _filterset(request):
    fs = ProducerFilterSet(_filter_params(request), queryset=selectors.producer_list(request.user))
    towns = selectors.townships_in_scope(request.user)
    fs.form.fields["township"].queryset = towns
    fs.form.fields["village"].queryset = fs.form.fields["village"].queryset.filter(parent__in=towns)
    return fs


def _filtered(fs):
    """Filtered rows; a filter value outside the user's choices (e.g. another township) matches nothing."""
    if not fs.is_bound:
        return fs.queryset
    return fs.qs if fs.is_valid() else fs.queryset.none()


@login_required
def producer_list(request):
    fs = _filterset(request)
    qs = _filtered(fs)
    page = Paginator(qs.order_by("code"), PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {
        "section": "registry",
        "filter": fs,
        "page_obj": page,
        "producers": page.object_list,
        "can_edit": can_edit_registry(request.user),
        "can_export": bool(export_columns_for(request.user)),
        "villages": _villages(request),
    }
    template = (
        "registry/_producer_table.html"
        if request.htmx and request.htmx.target == "producer-table"
        else "registry/producer_list.html"
    )
    return render(request, template, ctx)


EXPORT_COLUMNS = [
    ("code", _lazy("Registry number")),
    ("name", _lazy("Name")),
    ("type", _lazy("Type")),
    ("credit_code", _lazy("Unified social credit code")),
    ("legal_rep", _lazy("Legal representative / head")),
    ("phone", _lazy("Mobile phone")),
    ("township", _lazy("Township")),
    ("village", _lazy("Village")),
    ("address", _lazy("Address")),
    ("is_scale", _lazy("Scale producer")),
    ("tier", _lazy("Supervision tier")),
    ("status", _lazy("Status")),
    ("products", _lazy("Products")),
]


def _township(p):
    town = p.region if p.region.level == "township" else p.region.parent
    return town.name if town else ""


# What each column of the producer export holds (nongan.core.exports); a user gets ``export_columns_for`` of them.
PRODUCER_VALUES = {
    key: Col(label, value)
    for (key, label), value in zip(
        EXPORT_COLUMNS,
        [
            lambda p: p.code,
            lambda p: p.name,
            lambda p: p.get_type_display(),
            lambda p: p.credit_code or "",
            lambda p: p.legal_rep,
            lambda p: p.phone,
            _township,
            lambda p: p.region.name if p.region.level == "village" else "",
            lambda p: p.address,
            lambda p: _("yes") if p.is_scale else _("no"),
            lambda p: p.tier,
            lambda p: p.get_status_display(),
            lambda p: "、".join(pl.category.name for pl in p.product_lines.all()),
        ],
        strict=True,
    )
}


def _villages(request):
    """Villages of the chosen township (inside the user's scope), for the village filter."""
    code = request.GET.get("township")
    if not code:
        return []
    return selectors.villages_of(request.user, code)


@login_required
def village_options(request):
    return render(request, "registry/_village_options.html", {"villages": _villages(request)})


# Which columns of the producer export a user gets: all for those who see personal data, the basic register
# for samplers and market checkers, nothing (403) for anyone else (the one rule: ``registry.privacy``).
EXPORT_BASIC = ("code", "name", "type", "township", "village", "is_scale", "status", "products")
EXPORT_FULL = tuple(k for k, _label in EXPORT_COLUMNS)


def export_columns_for(user) -> tuple[str, ...]:
    """The producer-export columns ``user`` may have (empty: no export)."""
    if sees_personal_data(user):
        return EXPORT_FULL
    return EXPORT_BASIC if may_export_basic(user) else ()


@login_required
def producer_export(request):
    keys = export_columns_for(request.user)
    if not keys:
        raise PermissionDenied
    fs = _filterset(request)
    qs = (
        (fs.qs if fs.is_bound and fs.is_valid() else fs.queryset)
        .order_by("code")
        .prefetch_related("product_lines__category")
    )

    columns = [PRODUCER_VALUES[k] for k, _label in EXPORT_COLUMNS if k in keys]
    return xlsx_response(qs, columns, title=_("Producers"), filename="producers")


@login_required
def producer_template(request):
    response = HttpResponse(PRODUCER_SHEET.template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="producer-import-template.xlsx"'
    return response


@login_required
@idempotent_view()
def producer_import(request):
    _require_editor(request.user)
    if request.method == "POST":
        try:
            return import_upload(request, PRODUCERS.kind, request.FILES.get("file"))
        except ValidationError as e:
            messages.error(request, e.messages[0])
            return redirect("registry:producer_import")
    jobs = imports.jobs_for(request.user, PRODUCERS.kind)[:10]
    return render(request, "registry/producer_import.html", {"section": "registry", "jobs": jobs})


@login_required
def producer_detail(request, pk):
    producer = selectors.producer_get(request.user, pk)
    tab = request.GET.get("tab", "overview")
    ctx = {
        "section": "registry",
        "producer": producer,
        "tab": tab,
        "can_edit": can_edit_registry(request.user),
        "bases": selectors.bases_of(request.user, producer),
        "certifications": selectors.certifications_of(request.user, producer),
        "contacts": selectors.contacts_of(request.user, producer),
        "masked_id": mask_id_number(producer.id_number),
        # Contact and identity data only for those who keep or enforce the registry (registry.privacy).
        "personal": sees_personal_data(request.user),
    }
    # Tabs the higher apps contribute (their samples, certificates, follow-ups …), each read through its
    # app's scoped selectors (registry.tabs); the registry names none of those apps.
    contributed = selectors.producer_tabs(request.user)
    ctx["contributed"] = [(t, t.count(request.user, producer) if t.count else None) for t in contributed]
    active = next((t for t in contributed if t.key == tab), None)
    if active is not None:
        ctx["active_tab"] = active
        ctx["tab_data"] = active.context(request.user, producer)
    if tab == "history":
        ctx["history"] = _history(producer)
    return render(request, "registry/producer_detail.html", ctx)


def _history(producer):
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q

    from nongan.core.models import AuditLog

    q = Q(content_type=ContentType.objects.get_for_model(Producer), object_id=str(producer.pk))
    for model, ids in (
        (Base, producer.bases.values_list("pk", flat=True)),
        (Certification, producer.certifications.values_list("pk", flat=True)),
        (Contact, producer.contacts.values_list("pk", flat=True)),
    ):
        q |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=[str(i) for i in ids])
    entries = list(AuditLog.objects.filter(q).select_related("content_type").order_by("-time", "-id")[:200])
    return _mask_history(entries)


def _mask_history(entries):
    """ID numbers in the history are masked as on the overview (the full number is only in the edit form)."""
    for e in entries:
        change = e.changes.get("id_number") if isinstance(e.changes, dict) else None
        if isinstance(change, list):
            e.changes["id_number"] = [mask_id_number(v) if isinstance(v, str) else v for v in change]
    return entries


@login_required
def producer_create(request):
    _require_editor(request.user)
    form = ProducerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "products"}
        try:
            producer = services.producer_create(
                actor=request.user, products=form.cleaned_data["products"], **data
            )
        except ValidationError as e:
            errors_to_form(e, form, request)
        else:
            messages.success(
                request,
                _("Producer %(name)s registered as %(code)s.")
                % {"name": producer.name, "code": producer.code},
            )
            return redirect("registry:producer_detail", pk=producer.pk)
    return render(request, "registry/producer_form.html", {"section": "registry", "form": form})


@login_required
def producer_edit(request, pk):
    _require_editor(request.user)
    producer = selectors.producer_get(request.user, pk)
    form = ProducerForm(request.POST or None, instance=producer, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("products", "version")}
        try:
            services.producer_update(
                actor=request.user,
                producer=producer,
                products=form.cleaned_data["products"],
                expected_version=form.cleaned_data.get("version"),
                **data,
            )
        except StaleVersion as e:
            producer = selectors.producer_get(request.user, pk)
            form = refuse_stale(form, e, ProducerForm(instance=producer, user=request.user))
        except ValidationError as e:
            errors_to_form(e, form, request)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("registry:producer_detail", pk=producer.pk)
    return render(
        request, "registry/producer_form.html", {"section": "registry", "form": form, "producer": producer}
    )


CHILDREN = {
    "base": (Base, BaseForm, "bases", _lazy("production base")),
    "certification": (Certification, CertificationForm, "certifications", _lazy("certification")),
    "contact": (Contact, ContactForm, "contacts", _lazy("contact")),
}


@login_required
def child_edit(request, pk, kind, child_pk=None):
    """Create or edit a base, certification or contact of a producer."""
    _require_editor(request.user)
    if kind not in CHILDREN:
        raise PermissionDenied
    model, form_class, tab, label = CHILDREN[kind]
    producer = selectors.producer_get(request.user, pk)
    instance = (
        selectors.child_get(request.user, model, child_pk, producer) if child_pk else model(producer=producer)
    )
    kwargs = {"user": request.user} if form_class is BaseForm else {}
    form = form_class(request.POST or None, instance=instance, **kwargs)
    if request.method == "POST" and form.is_valid():
        obj = form.instance
        obj.producer = producer
        version = form.cleaned_data.get("version")
        try:
            if kind == "base":
                services.base_save(
                    actor=request.user,
                    base=obj,
                    products=form.cleaned_data["products"],
                    expected_version=version,
                )
            elif kind == "certification":
                services.certification_save(actor=request.user, certification=obj, expected_version=version)
            else:
                services.contact_save(actor=request.user, contact=obj, expected_version=version)
        except StaleVersion as e:
            fresh = selectors.child_get(request.user, model, child_pk, producer)
            form = refuse_stale(form, e, form_class(instance=fresh, **kwargs))
        except ValidationError as e:
            errors_to_form(e, form, request)
        else:
            messages.success(request, _("Saved."))
            return redirect(f"{producer_url(producer)}?tab={tab}")
    return render(
        request,
        "registry/child_form.html",
        {"section": "registry", "form": form, "producer": producer, "label": label, "kind": kind},
    )


@login_required
@require_POST
def child_delete(request, pk, kind, child_pk):
    _require_editor(request.user)
    if kind not in CHILDREN:
        raise PermissionDenied
    model, _form, tab, _label = CHILDREN[kind]
    producer = selectors.producer_get(request.user, pk)
    obj = selectors.child_get(request.user, model, child_pk, producer)
    services.child_delete(actor=request.user, obj=obj, reason=request.POST.get("reason", ""))
    messages.success(request, _("Deleted."))
    return redirect(f"{producer_url(producer)}?tab={tab}")


def producer_url(producer):
    from django.urls import reverse

    return reverse("registry:producer_detail", args=[producer.pk])


@login_required
def staff_list(request):
    if request.user.is_entity_role:
        raise PermissionDenied
    fs = StaffFilterSet(_filter_params(request), queryset=selectors.staff_list(request.user))
    fs.form.fields["township"].queryset = selectors.townships_in_scope(request.user)
    qs = _filtered(fs)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "registry/staff_list.html",
        {"section": "staff", "filter": fs, "page_obj": page, "can_edit": can_edit_registry(request.user)},
    )


@login_required
def staff_edit(request, pk=None):
    _require_editor(request.user)
    from nongan.core.scoping import get_scoped_or_404

    instance = get_scoped_or_404(request.user, StaffMember.objects.all(), pk=pk) if pk else StaffMember()
    form = StaffForm(request.POST or None, instance=instance, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_save(
                actor=request.user, staff=form.instance, expected_version=form.cleaned_data.get("version")
            )
        except StaleVersion as e:
            instance = get_scoped_or_404(request.user, StaffMember.objects.all(), pk=pk)
            form = refuse_stale(form, e, StaffForm(instance=instance, user=request.user))
        except ValidationError as e:
            errors_to_form(e, form, request)
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:staff_list")
    history = audit.history_for(instance)[:50] if instance.pk else []
    return render(
        request,
        "registry/staff_form.html",
        {"section": "staff", "form": form, "staff": instance, "history": history},
    )
