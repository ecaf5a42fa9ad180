"""Pages of the certificates app (thin: forms → services, reads → selectors)."""

import io
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DataError
from django.db.models import Case, Value, When
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from nongan.core.excel import safe_row, write_csv
from nongan.core.exports import Col, cn_date, cn_datetime, xlsx_response
from nongan.core.forms import errors_to_form, refuse_stale, with_version
from nongan.core.idempotency import idempotent_view
from nongan.core.scoping import get_scoped_or_404, regions_for, scoped
from nongan.core.validators import public_producer_name
from nongan.core.versions import StaleVersion
from nongan.core.views import confirmation_needed
from nongan.registry import selectors as registry

from . import labels, selectors, services
from .choices import Basis, ProposalStatus
from .filtersets import CertificateFilterSet
from .forms import (
    BatchForm,
    HarvestForm,
    InputEditForm,
    InputUseForm,
    IssueForm,
    LabelForm,
    MarketCheckForm,
    MarketScanForm,
    PurchaseForm,
    RevokeForm,
)
from .models import Certificate, Collection, InputUse, KeyTargetProposal, ProductionBatch

SECTION = {"section": "certificates"}


def _page(request, qs, per=50):
    return Paginator(qs, per).get_page(request.GET.get("page"))


@login_required
def index(request):
    qs = CertificateFilterSet(request.GET, queryset=selectors.certificates_for(request.user)).qs
    q = request.GET.get("q", "").strip()
    if q:
        qs = (
            qs.filter(number__startswith=q.upper())
            | qs.filter(producer__name__contains=q)
            | qs.filter(product_name__contains=q)
        )
    status = request.GET.get("status", "")
    if status:
        qs = qs.filter(status=status)
    return render(
        request,
        "certificates/index.html",
        {**SECTION, "page_obj": _page(request, qs), "q": q, "status": status},
    )


# ---------------------------------------------------------------- production records
@login_required
def batch_list(request):
    qs = selectors.batches_for(request.user)
    return render(request, "certificates/batch_list.html", {**SECTION, "page_obj": _page(request, qs)})


BATCH_COLUMNS = [
    Col(_lazy("Batch number"), lambda b: b.code),
    Col(_lazy("Producer"), lambda b: str(b.producer)),
    Col(_lazy("Product"), lambda b: str(b.product)),
    Col(_lazy("Plot / greenhouse / pen"), lambda b: b.plot),
    Col(_lazy("Planted / stocked on"), lambda b: cn_date(b.started)),
    Col(_lazy("Status"), lambda b: b.get_status_display()),
]


@login_required
def batch_list_export(request):
    """The production batches the page lists (the user's scope), every page of them."""
    qs = selectors.batches_for(request.user).select_related("producer", "product")
    return xlsx_response(qs, BATCH_COLUMNS, title=_("Production batches"), filename="batches")


@login_required
def batch_create(request):
    producers = selectors.producers_for(request.user)
    form = BatchForm(request.POST or None, producers=producers)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.batch_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(exc, form)
        else:
            messages.success(request, _("Batch %(code)s recorded.") % {"code": batch.code})
            return redirect("certificates:batch_detail", code=batch.code)
    return render(
        request, "certificates/form.html", {**SECTION, "form": form, "title": _("New production batch")}
    )


@login_required
@idempotent_view()
def batch_detail(request, code):
    batch = get_scoped_or_404(
        request.user, ProductionBatch.objects.select_related("producer", "product", "origin"), code=code
    )
    forms = {
        "input_form": InputUseForm(prefix="in"),
        "harvest_form": HarvestForm(prefix="hv", initial={"unit": batch.unit, "date": timezone.localdate()}),
        "issue_form": IssueForm(prefix="is", initial={"unit": batch.unit, "basis": Basis.CONTROL}),
    }
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "input":
                f = forms["input_form"] = InputUseForm(request.POST, prefix="in")
                if f.is_valid():
                    services.input_use_add(actor=request.user, batch=batch, **f.cleaned_data)
                    messages.success(request, _("Input use recorded."))
                    return redirect("certificates:batch_detail", code=code)
            elif action == "harvest":
                f = forms["harvest_form"] = HarvestForm(request.POST, prefix="hv")
                if f.is_valid():
                    services.harvest_record(actor=request.user, batch=batch, **f.cleaned_data)
                    messages.success(request, _("Harvest recorded."))
                    return redirect("certificates:batch_detail", code=code)
            elif action == "issue":
                f = forms["issue_form"] = IssueForm(request.POST, prefix="is")
                if f.is_valid():
                    certs = services.certificate_issue(actor=request.user, batch=batch, **f.cleaned_data)
                    messages.success(request, _("%(count)s certificates issued.") % {"count": len(certs)})
                    if len(certs) == 1:
                        return redirect("certificates:detail", number=certs[0].number)
                    return redirect("certificates:batch_detail", code=code)
            else:
                raise Http404
        except ValidationError as exc:
            errors_to_form(exc, f)
    blockers = services.issue_blockers(batch, timezone.localdate())
    return render(
        request,
        "certificates/batch_detail.html",
        {
            **SECTION,
            **forms,
            "batch": batch,
            "blockers": blockers,
            "inputs": batch.inputs.all(),
            "harvests": batch.harvests.all(),
            "certificates": batch.certificates.all()[:200],
            "may_act": services.may_act_for(request.user, batch.producer),
        },
    )


@login_required
def input_edit(request, pk):
    use = get_scoped_or_404(request.user, InputUse.objects.select_related("batch"), pk=pk)
    initial = {f: getattr(use, f) for f in services.INPUT_FIELDS}
    form = with_version(InputEditForm(request.POST or None, initial=initial), use)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        version = data.pop("version", None)
        try:
            services.input_use_update(
                actor=request.user, use=use, reason=reason, expected_version=version, **data
            )
        except StaleVersion as exc:
            use = get_scoped_or_404(request.user, InputUse.objects.select_related("batch"), pk=pk)
            fresh = InputEditForm(initial={f: getattr(use, f) for f in services.INPUT_FIELDS})
            form = refuse_stale(form, exc, with_version(fresh, use))
        except ValidationError as exc:
            errors_to_form(exc, form)
        else:
            messages.success(request, _("Input use corrected."))
            return redirect("certificates:batch_detail", code=use.batch.code)
    return render(
        request, "certificates/form.html", {**SECTION, "form": form, "title": _("Correct an input record")}
    )


# ---------------------------------------------------------------- certificates
def _cert_or_404(request, number):
    return get_scoped_or_404(request.user, selectors.certificates_for(request.user), number=number)


@login_required
def detail(request, number):
    c = _cert_or_404(request, number)
    revoke_form = RevokeForm(request.POST or None)
    if request.method == "POST" and revoke_form.is_valid():
        asking = confirmation_needed(
            request,
            services.TRANSITIONS["revoke"],
            subject=f"{c.number} {c.producer.name}",
            back_url=reverse("certificates:detail", args=[c.number]),
        )
        if asking is not None:
            return asking
        try:
            services.certificate_revoke(
                actor=request.user, certificate=c, reason=revoke_form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            errors_to_form(exc, revoke_form)
        else:
            messages.success(request, _("Certificate revoked."))
            return redirect("certificates:detail", number=number)
    return render(
        request,
        "certificates/detail.html",
        {
            **SECTION,
            "c": c,
            "qr_svg": labels.qr_svg(c),
            "qr_text": labels.qr_text_of(c),
            "revoke_form": revoke_form,
            "events": c.events.select_related("actor"),
            "scans": c.scans.select_related("region")[:50],
            "parents": c.inputs.select_related("parent", "collection"),
            "collections": c.collections.select_related("collector"),
            "label_form": LabelForm(),
            # The certificate's next steps are its workflow's (revoke while valid, for who may act).
            "actions": {t.name: t for t in services.CERTIFICATE_WORKFLOW.available(request.user, c)},
        },
    )


@login_required
def qr_image(request, number):
    c = _cert_or_404(request, number)
    if request.GET.get("format") == "png":
        return HttpResponse(labels.qr_png(c), content_type="image/png")
    return HttpResponse(labels.qr_code(c).svg_inline(scale=4), content_type="image/svg+xml")


def _certs_for_labels(request, data=None):
    data = request.GET if data is None else data
    qs = selectors.certificates_for(request.user).select_related("origin__parent")
    numbers = [n for n in data.getlist("n") if n][:2000]
    batch = data.get("batch", "")
    if numbers:
        qs = qs.filter(number__in=numbers)
    elif batch:
        qs = qs.filter(batch__code=batch)
    else:
        raise Http404
    try:
        certs = list(qs.order_by("number")[:2000])
    except (ValueError, DataError):  # a NUL in a number or batch code (PostgreSQL)
        raise Http404 from None
    if not certs:
        raise Http404
    return certs


def _label_options(data) -> tuple[str, str]:
    form = LabelForm(data)
    form.is_valid()
    return form.cleaned_data.get("size") or labels.DEFAULT_SIZE, form.cleaned_data.get("sheet") or "label"


@login_required
def labels_page(request):
    """The labels to print from the browser. Opening the page changes nothing; its print button POSTs to
    ``labels_printed`` (which counts the print) and then opens the print dialog."""
    certs = _certs_for_labels(request)
    size_key, sheet = _label_options(request.GET)
    items = [{"c": c, "svg": labels.qr_svg(c, scale=2), "lines": labels.label_lines(c)} for c in certs]
    return render(
        request,
        "certificates/labels.html",
        {
            **SECTION,
            "items": items,
            "size": labels.SIZES[size_key],
            "sheet": sheet,
            "numbers": [c.number for c in certs] if request.GET.getlist("n") else [],
            "batch": "" if request.GET.getlist("n") else request.GET.get("batch", ""),
        },
    )


@login_required
@require_POST
def labels_printed(request):
    """Count a print of these labels (the print button of the labels page)."""
    certs = _certs_for_labels(request, request.POST)
    services.certificates_mark_printed(actor=request.user, certificates=certs)
    if request.headers.get("X-Requested-With") == "fetch":
        return JsonResponse({"printed": len(certs)})
    messages.success(request, _("%(n)d labels counted as printed.") % {"n": len(certs)})
    query = (
        {"n": [c.number for c in certs]} if request.POST.getlist("n") else {"batch": request.POST["batch"]}
    )
    query.update({"size": request.POST.get("size", ""), "sheet": request.POST.get("sheet", "")})
    return redirect(reverse("certificates:labels") + "?" + urlencode(query, doseq=True))


@login_required
def labels_pdf(request):
    """The labels as PDF. A POST (the PDF buttons) counts the print; a plain GET only shows the file."""
    data = request.POST if request.method == "POST" else request.GET
    certs = _certs_for_labels(request, data)
    size_key, sheet = _label_options(data)
    pdf = labels.labels_pdf(certs, size_key, sheet)
    if request.method == "POST":
        services.certificates_mark_printed(actor=request.user, certificates=certs)
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="certificates-{certs[0].number}.pdf"'
    return resp


# ---------------------------------------------------------------- collection and re-issue
def _parse_lines(text: str):
    items, errors = [], []
    for i, line in enumerate((text or "").splitlines(), start=1):
        parts = line.replace("，", " ").replace(",", " ").split()
        if not parts:
            continue
        if len(parts) != 3:
            errors.append(
                _("Line %(line)s: write the scanned QR code, the quantity and the unit.") % {"line": i}
            )
            continue
        items.append(tuple(parts))
    return items, errors


@login_required
@idempotent_view()
def collect(request):
    producers = selectors.producers_for(request.user).filter(
        type__in=["buyer", "wholesale_market", "slaughterhouse", "enterprise", "cooperative"]
    )
    form = PurchaseForm(request.POST or None, producers=producers)
    if request.method == "POST" and form.is_valid():
        items, errors = _parse_lines(form.cleaned_data["lines"])
        if errors:
            form.add_error("lines", errors)
        else:
            try:
                cols = services.purchase_record(
                    actor=request.user,
                    collector=form.cleaned_data["collector"],
                    lot=form.cleaned_data["lot"],
                    items=items,
                )
            except ValidationError as exc:
                form.add_error("lines", exc.messages)
            else:
                messages.success(request, _("%(count)s certificates collected.") % {"count": len(cols)})
                return redirect("certificates:collections")
    return render(
        request,
        "certificates/form.html",
        {**SECTION, "form": form, "title": _("Record a purchase"), "idempotent": True},
    )


@login_required
def collections(request):
    qs = selectors.collections_for(request.user)
    return render(request, "certificates/collections.html", {**SECTION, "page_obj": _page(request, qs)})


@login_required
@idempotent_view()
def reissue(request):
    qs = selectors.collections_for(request.user)
    open_cols = [c for c in qs.order_by("collector_id", "-collected_at")[:500] if c.remaining_quantity > 0]
    error_list = []
    if request.method == "POST":
        draws = []
        collector = None
        for col in open_cols:
            raw = request.POST.get(f"draw_{col.pk}", "").strip()
            if raw:
                try:
                    draws.append((col, Decimal(raw)))
                except ArithmeticError:
                    error_list.append(_("Enter a number."))
                collector = collector or col.collector
        if collector is None:
            error_list.append(_("Choose the collected certificates this lot is made of."))
        product = None
        declared = request.POST.get("product", "").strip()
        if declared:
            product = registry.category_by_code_or_name(declared)
            if product is None:
                error_list.append(_("No product category “%(name)s”.") % {"name": declared[:64]})
        if not error_list:
            try:
                child = services.certificate_reissue(
                    actor=request.user,
                    collector=collector,
                    draws=draws,
                    quantity=request.POST.get("quantity", ""),
                    unit=request.POST.get("unit", ""),
                    loss=request.POST.get("loss") or 0,
                    product=product,
                )
            except ValidationError as exc:
                error_list += exc.messages
            else:
                messages.success(request, _("Certificate %(number)s issued.") % {"number": child.number})
                return redirect("certificates:detail", number=child.number)
    from .choices import Unit

    return render(
        request,
        "certificates/reissue.html",
        {
            **SECTION,
            "collections": open_cols,
            "errors": error_list,
            "units": Unit.choices,
            "post": request.POST,
        },
    )


# ---------------------------------------------------------------- market checks
@login_required
def market_checks(request):
    """A market check as a flow: scan (camera, paste or type) → the certificate shown → confirm and save.
    A mistyped number stops at the first step with its error; nothing is saved before the confirmation."""
    region = request.user.jurisdiction
    step = request.POST.get("step", "") if request.method == "POST" else ""
    scan_form = MarketScanForm(request.POST if step == "look" else None)
    form = preview = None
    if step in ("look", "none", "save"):
        number = "" if step == "none" else request.POST.get("number", "").strip()
        try:
            preview = services.market_check_preview(number)
        except ValidationError as exc:
            scan_form = MarketScanForm({"number": number})
            scan_form.is_valid()
            errors_to_form(exc, scan_form)
        else:
            if step == "save":
                form = MarketCheckForm(request.POST)
            else:
                product = preview.certificate.product_name if preview.certificate else ""
                form = MarketCheckForm(
                    initial={
                        "number": number,
                        "market": selectors.last_market(request.user),
                        "product_name": product,
                        "quantity": preview.certificate.quantity if preview.certificate else None,
                        "unit": preview.certificate.unit if preview.certificate else "",
                    }
                )
    if step == "save" and form is not None and form.is_valid():
        if region is None:
            form.add_error(None, _("Only staff with a jurisdiction record market checks."))
        else:
            try:
                check = services.market_check_record(actor=request.user, region=region, **form.cleaned_data)
            except ValidationError as exc:
                errors_to_form(exc, form)
            else:
                messages.success(
                    request, _("Check recorded: %(result)s.") % {"result": check.get_result_display()}
                )
                return redirect("certificates:market_checks")
    qs = selectors.market_checks_for(request.user)
    cert = preview.certificate if preview else None
    return render(
        request,
        "certificates/market_checks.html",
        {
            **SECTION,
            "scan_form": scan_form,
            "form": form,
            "preview": preview,
            "issuer": (
                public_producer_name(
                    cert.producer.name, kind=cert.producer.type, person=cert.producer.legal_rep
                )
                if cert
                else ""
            ),
            "page_obj": _page(request, qs),
            "can_record": bool(regions_for(request.user).exists()),
        },
        status=400 if scan_form.errors or (form is not None and form.errors) else 200,
    )


MARKET_CHECK_COLUMNS = [
    Col(_lazy("Checked at"), lambda m: cn_datetime(m.checked_at)),
    Col(_lazy("Market"), lambda m: m.market),
    Col(_lazy("Product"), lambda m: m.product_name),
    Col(_lazy("Certificate"), lambda m: m.number_entered),
    Col(_lazy("Seller"), lambda m: str(m.seller) if m.seller_id else m.seller_name),
    Col(_lazy("Result"), lambda m: m.get_result_display()),
]


@login_required
def market_checks_export(request):
    """The market checks the page lists (the user's scope), every page of them."""
    qs = selectors.market_checks_for(request.user)
    return xlsx_response(qs, MARKET_CHECK_COLUMNS, title=_("Market checks"), filename="market-checks")


def _proposals(request):
    """The key-target proposals of the user's scope as the page orders them (its export holds the same): the
    ones awaiting a decision first, the oldest first; the decided ones after them, newest first."""
    qs = scoped(
        request.user, KeyTargetProposal.objects.select_related("producer", "market_check", "decided_by")
    )
    waiting = Case(When(status=ProposalStatus.PROPOSED, then=Value(0)), default=Value(1))
    return qs.annotate(waiting=waiting).order_by(
        "waiting", Case(When(status=ProposalStatus.PROPOSED, then="created")), "-created"
    )


PROPOSAL_COLUMNS = [
    Col(_lazy("proposed at"), lambda p: cn_datetime(p.created)),
    Col(_lazy("producer"), lambda p: p.producer.name),
    Col(_lazy("reason"), lambda p: p.reason),
    Col(_lazy("status"), lambda p: p.get_status_display()),
    Col(_lazy("decided by"), lambda p: str(p.decided_by) if p.decided_by_id else ""),
    Col(_lazy("reason for rejection"), lambda p: p.decision_reason),
]


@login_required
def key_target_proposals_export(request):
    """The proposals the page lists (the user's scope), every page of them, in its order."""
    return xlsx_response(
        _proposals(request),
        PROPOSAL_COLUMNS,
        title=_("Key-target proposals"),
        filename="key-target-proposals",
    )


@login_required
def key_target_proposals(request):
    """Failed market checks' proposals to flag a producer, for the supervisors of its jurisdiction."""
    qs = _proposals(request)
    error = None
    if request.method == "POST":
        proposal = get_scoped_or_404(request.user, qs, pk=request.POST.get("proposal") or 0)
        try:
            if request.POST.get("action") == "accept":
                services.key_target_proposal_accept(actor=request.user, proposal=proposal)
            else:
                services.key_target_proposal_reject(
                    actor=request.user, proposal=proposal, reason=request.POST.get("reason", "")
                )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("The decision was recorded."))
            return redirect("certificates:key_target_proposals")
    page = _page(request, qs)
    rows = [(p, services.KEY_TARGET_WORKFLOW.available_names(request.user, p)) for p in page.object_list]
    return render(
        request,
        "certificates/key_target_proposals.html",
        {**SECTION, "page_obj": page, "rows": rows, "error": error},
    )


# ---------------------------------------------------------------- trace
def _trace_from_request(request):
    params = {k: request.GET.get(k, "").strip() for k in ("number", "batch", "producer", "sample")}
    if params["number"]:
        params["number"] = params["number"].upper()
    roots = selectors.trace_roots(request.user, **params)
    return params, roots, (selectors.trace(roots, viewer=request.user) if roots else None)


@login_required
def trace(request):
    params, roots, t = _trace_from_request(request)
    asked = any(params.values())
    return render(
        request,
        "certificates/trace.html",
        {
            **SECTION,
            "params": params,
            "asked": asked,
            "trace": t,
            "table": selectors.trace_table(t)[:2000] if t else [],
            "columns": [c[1] for c in selectors.TRACE_COLUMNS],
            "query": request.GET.urlencode(),
        },
    )


@login_required
def trace_export(request, fmt):
    _params, roots, t = _trace_from_request(request)
    if t is None:
        raise Http404
    header = [c[1] for c in selectors.TRACE_COLUMNS]
    rows = selectors.trace_table(t)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        buf = io.StringIO()
        buf.write("\ufeff")
        write_csv(buf, header, rows)
        resp = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
        resp["Content-Disposition"] = f'attachment; filename="trace-{stamp}.csv"'
        return resp
    if fmt == "xlsx":
        resp = HttpResponse(
            trace_xlsx(header, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        resp["Content-Disposition"] = f'attachment; filename="trace-{stamp}.xlsx"'
        return resp
    raise Http404


def trace_xlsx(header, rows) -> bytes:
    """The trace as a sortable sheet: header row frozen, auto-filter over every column (streamed)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("追溯")
    for col, width in zip("ABCDEFGHIJK", (12, 6, 16, 18, 20, 28, 14, 10, 6, 14, 30), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:K{len(rows) + 1}"
    ws.append(safe_row(header))
    for r in rows:
        ws.append(safe_row(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- coverage
@login_required
def coverage(request):
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    data = selectors.coverage(request.user, year)
    return render(request, "certificates/coverage.html", {**SECTION, "cov": data})


@login_required
@require_POST
def keys_rotate(request):
    from nongan.core.scoping import can_manage

    if not can_manage(request.user):
        raise Http404
    key = services.signing_key_rotate(actor=request.user)
    messages.success(request, _("New signing key %(kid)s is active.") % {"kid": key.kid})
    return redirect("certificates:index")


__all__ = ["Certificate", "Collection"]


@login_required
def suspected(request):
    """Certificates of the jurisdiction whose scans raise counterfeit signals (and those confirmed), for staff to
    confirm or clear with a reason. Only a confirmed certificate carries a warning on its public page."""
    if not services.can_review(request.user):
        raise PermissionDenied(_("Only supervision staff may review counterfeit signals."))
    return render(
        request,
        "certificates/suspected.html",
        {**SECTION, "suspects": services.suspected_certificates(request.user)},
    )


@login_required
@require_POST
def suspicion_review(request, number):
    c = _cert_or_404(request, number)
    try:
        services.certificate_suspicion_review(
            actor=request.user,
            certificate=c,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as e:
        for message in e.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Review recorded."))
    return redirect("certificates:suspected")
