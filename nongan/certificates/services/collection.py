"""Collection by buyers (purchase with quantity-conserving lineage) and the re-issue of a mixed or
repacked lot as one new certificate whose parents are the collected ones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from nongan.core import audit, ledger
from nongan.core.models import Region
from nongan.registry.choices import ProducerType

from ..choices import Basis, CertificateStatus, PromiseForm
from ..models import Certificate, Collection, Lineage
from .common import _decimal, _require_act_for, _unit, convert
from .issue import _basis_records, _create_certificates, _promise_fields
from .keys import active_signer
from .lookup import certificate_by_qr

if TYPE_CHECKING:
    from nongan.registry.models import Producer


def _collector_ok(collector: Producer) -> None:
    if collector.type not in (
        ProducerType.BUYER,
        ProducerType.WHOLESALE_MARKET,
        ProducerType.SLAUGHTERHOUSE,
        ProducerType.ENTERPRISE,
        ProducerType.COOPERATIVE,
    ):
        raise ValidationError(
            _(
                "Only buyers, collectors, markets, slaughterhouses, enterprises and cooperatives collect certificates."
            )
        )


def _product_errors(declared, parents) -> list[str]:
    """Product conservation of a re-issue: the parents' products, and the declared product when given."""
    names = sorted({p.name for p in parents})
    if declared is None:
        if len({p.pk for p in parents}) > 1:
            return [
                _(
                    "The collected certificates are of different products (%(products)s): declare the mixture as "
                    "a category that contains them all (such as their common parent category)."
                )
                % {"products": "、".join(names)}
            ]
        return []
    outside = sorted({p.name for p in parents if not p.path.startswith(declared.path)})
    if outside:
        return [
            _("The declared product %(product)s does not contain %(products)s of the collected certificates.")
            % {"product": declared.name, "products": "、".join(outside)}
        ]
    return []


def _common_region(regions):
    """The smallest region that holds all ``regions`` (their common ancestor, or the one region)."""
    first = regions[0]
    if all(r.pk == first.pk for r in regions):
        return first
    paths = [[c for c in r.path.strip("/").split("/") if c] for r in regions]
    common = []
    for codes in zip(*paths, strict=False):
        if len(set(codes)) != 1:
            break
        common.append(codes[0])
    return Region.objects.get(code=common[-1]) if common else first


@transaction.atomic
def purchase_record(
    *,
    actor,
    collector: Producer,
    lot: str,
    items,
    collected_at: dt.datetime | None = None,
    is_demo: bool = False,
) -> list[Collection]:
    """Record a purchased lot with the certificates collected for it: ``items`` = [(QR text, quantity, unit)]
    where the QR text is what a scan of the label yields (the whole address, or the bare signed token).
    A number alone is refused (anyone can read it off a label or the public page); so is a purchase
    without a certificate, and collecting more than a certificate has left (the message never names the
    certificate's producer or another collector)."""
    _require_act_for(actor, collector)
    _collector_ok(collector)
    lot = (lot or "").strip()
    errors = []
    if not lot:
        errors.append(_("Name the purchase lot."))
    items = list(items or [])
    if not items:
        errors.append(
            _(
                "A purchase needs at least one certificate: record the certificate number of every lot you buy."
            )
        )
    lines = []
    for i, (qr, quantity, unit) in enumerate(items, start=1):
        try:
            c = certificate_by_qr(qr)
            q = _decimal(quantity, "quantity")
            u = _unit(unit)
        except ValidationError as exc:
            errors += [_("Line %(line)s: %(message)s") % {"line": i, "message": m} for m in exc.messages]
            continue
        lines.append((i, c.pk, q, u))
    # Every certificate of the purchase is locked (in one order, so two purchases never deadlock) before
    # its collected total is read: concurrent collections take turns and never exceed what was issued.
    locked_certs = {
        c.pk: c
        for c in Certificate.objects.select_for_update(of=("self",))
        .filter(pk__in={pk for _i, pk, _q, _u in lines})
        .order_by("pk")
    }
    parsed = []
    seen = {}
    for i, pk, q, u in lines:
        c = locked_certs[pk]
        if c.status != CertificateStatus.VALID:
            errors.append(
                _("Line %(line)s: certificate %(number)s is revoked.") % {"line": i, "number": c.number}
            )
            continue
        if c.producer_id == collector.pk:
            errors.append(
                _("Line %(line)s: certificate %(number)s is your own.") % {"line": i, "number": c.number}
            )
            continue
        in_cert_unit = convert(q, u, c.unit)
        if in_cert_unit is None:
            errors.append(
                _("Line %(line)s: the unit %(unit)s does not convert to the certificate's unit %(cunit)s.")
                % {"line": i, "unit": u, "cunit": c.unit}
            )
            continue
        seen[c.pk] = seen.get(c.pk, Decimal("0")) + in_cert_unit
        left = c.quantity - c.collected_quantity
        if seen[c.pk] > left:
            if left <= 0:
                errors.append(
                    _(
                        "Line %(line)s: certificate %(number)s is already fully used (%(quantity)s %(unit)s collected)."
                    )
                    % {"line": i, "number": c.number, "quantity": c.collected_quantity, "unit": c.unit}
                )
            else:
                errors.append(
                    _("Line %(line)s: certificate %(number)s has only %(left)s %(unit)s left to collect.")
                    % {"line": i, "number": c.number, "left": left, "unit": c.unit}
                )
            continue
        parsed.append((c, q, u, in_cert_unit))
    if errors:
        raise ValidationError(errors)
    when = collected_at or timezone.now()
    out = []
    for c, q, u, in_cert_unit in parsed:
        col = Collection.objects.create(
            collector=collector,
            certificate=c,
            lot=lot[:64],
            quantity=q,
            unit=u,
            collected_at=when,
            recorded_by=actor if getattr(actor, "pk", None) else None,
            is_demo=is_demo,
        )
        Certificate.objects.filter(pk=c.pk).update(collected_quantity=F("collected_quantity") + in_cert_unit)
        audit.record_create(actor, col)
        out.append(col)
    ledger.append(
        kind="certificate.collected",
        ref=lot[:64],
        payload={
            "collector": collector.code,
            "lot": lot[:64],
            "certificates": [
                {"number": col.certificate.number, "quantity": str(col.quantity), "unit": col.unit}
                for col in out
            ],
        },
        actor=actor,
        region=collector.region,
        records=list(Collection.objects.filter(pk__in=[col.pk for col in out]).order_by("pk")),
    )
    return out


@transaction.atomic
def certificate_reissue(
    *,
    actor,
    collector: Producer,
    draws,
    quantity,
    unit: str,
    loss=0,
    product=None,
    basis: str = Basis.CONTROL,
    test_record: str = "",
    issued_at: dt.datetime | None = None,
    is_demo: bool = False,
    basis_sample=None,
    basis_rapid_test=None,
) -> Certificate:
    """A buyer mixes or repacks collected lots and issues one new certificate whose parents are the
    collected ones (EPCIS transformation). ``draws`` = [(collection, quantity drawn, in the collection's
    unit)]. Conservation: drawn (in ``unit``) = issued quantity + declared loss, and of product: every
    parent is of the certificate's product — without ``product``, all parents are of one product; a mixture
    is declared as a ``product`` category that contains every parent's product. The origin is the growers':
    the smallest region holding every parent's origin (the page, label and public page list each of them),
    never the buyer's own village. A tested basis needs its record, as for an issue."""
    _require_act_for(actor, collector)
    _collector_ok(collector)
    errors = []
    if not collector.may_issue_certificates:
        errors.append(
            _("The producer's status (%(status)s) does not allow issuing certificates.")
            % {"status": collector.get_status_display()}
        )
    try:
        quantity = _decimal(quantity, "quantity")
        unit = _unit(unit)
        loss = _decimal(loss or 0, "loss", allow_zero=True)
    except ValidationError as exc:
        raise ValidationError(exc.messages) from None
    draws = list(draws or [])
    if not draws:
        errors.append(_("Choose the collected certificates this lot is made of."))
    total = Decimal("0")
    parsed = []
    draws = [(int(getattr(col, "pk", col)), q) for col, q in draws]
    # The collections drawn from are locked (in one order) before what is left of them is read.
    locked_cols = {
        c.pk: c
        for c in Collection.objects.select_for_update(of=("self",))
        .select_related("certificate")
        .filter(pk__in={pk for pk, _q in draws})
        .order_by("pk")
    }
    for pk, q in draws:
        col = locked_cols[pk]
        if col.collector_id != collector.pk:
            errors.append(_("Collection %(lot)s belongs to another collector.") % {"lot": col.lot})
            continue
        try:
            q = _decimal(q, "quantity")
        except ValidationError as exc:
            errors += exc.messages
            continue
        if q > col.remaining_quantity:
            errors.append(
                _("Only %(left)s %(unit)s of certificate %(number)s (lot %(lot)s) are left to use.")
                % {
                    "left": col.remaining_quantity,
                    "unit": col.unit,
                    "number": col.certificate.number,
                    "lot": col.lot,
                }
            )
            continue
        converted = convert(q, col.unit, unit)
        if converted is None:
            errors.append(
                _("The unit %(unit)s does not convert to the certificate's unit %(cunit)s.")
                % {"unit": col.unit, "cunit": unit}
            )
            continue
        total += converted
        parsed.append((col, q))
    if not errors and quantity + loss != total:
        errors.append(
            _(
                "Quantities do not add up: %(total)s %(unit)s drawn from collected certificates, "
                "%(quantity)s %(unit)s issued plus %(loss)s %(unit)s declared loss."
            )
            % {"total": total, "quantity": quantity, "loss": loss, "unit": unit}
        )
    if not errors:
        errors += _product_errors(product, [col.certificate.product for col, _q in parsed])
    if errors:
        raise ValidationError(errors)
    if product is None:
        product = parsed[0][0].certificate.product
    issued_at = issued_at or timezone.now()
    records = _basis_records(actor, collector, basis, basis_sample, basis_rapid_test, product, issued_at)
    template = {
        "producer": collector,
        "batch": None,
        "product": product,
        "product_name": product.name,
        "quantity": quantity,
        "unit": unit,
        "origin": _common_region([col.certificate.origin for col, _q in parsed]),
        "issued_at": issued_at,
        "loss_quantity": loss,
        "is_demo": is_demo,
        "issued_by": actor if getattr(actor, "pk", None) else None,
        **_promise_fields(collector, PromiseForm.BUYER, basis, test_record, "", ""),
        **records,
    }
    parents_payload = [
        {"number": col.certificate.number, "quantity": str(q), "unit": col.unit} for col, q in parsed
    ]
    [child] = _create_certificates(
        actor=actor, signer=active_signer(), template=template, count=1, parents=parents_payload
    )
    for col, q in parsed:
        Lineage.objects.create(child=child, collection=col, parent=col.certificate, quantity=q)
        Collection.objects.filter(pk=col.pk).update(used_quantity=F("used_quantity") + q)
    return child
