"""Market checks: an incoming lot with or without a valid certificate number."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nongan.core import audit
from nongan.core.scoping import in_jurisdiction

from ..choices import FAILED_CHECKS, CertificateStatus, CheckResult
from ..models import MarketCheck
from .common import _decimal, _unit
from .lookup import certificate_by_number

if TYPE_CHECKING:
    from nongan.registry.models import Producer


@transaction.atomic
def market_check_record(
    *,
    actor,
    region,
    market: str,
    product_name: str,
    number: str = "",
    quantity=None,
    unit: str = "",
    seller: Producer | None = None,
    seller_name: str = "",
    note: str = "",
    checked_at: dt.datetime | None = None,
    is_demo: bool = False,
) -> MarketCheck:
    """Record an incoming lot at a market. No number → "missing"; a number that is mistyped, unknown or
    revoked → "invalid"/"revoked". A failed check of a known producer makes it a key supervision target."""
    from nongan.registry.services import producer_flag_key_target

    if actor is not None and not (actor.is_superuser or in_jurisdiction(actor, region)):
        raise ValidationError({"region": _("This region is outside your jurisdiction.")})
    errors = {}
    if not (market or "").strip():
        errors["market"] = _("Name the market.")
    if not (product_name or "").strip():
        errors["product_name"] = _("Name the product.")
    q = None
    if quantity not in (None, ""):
        try:
            q = _decimal(quantity, "quantity")
            unit = _unit(unit)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    cert = None
    number = (number or "").strip()
    if not number:
        result = CheckResult.MISSING
    else:
        try:
            cert = certificate_by_number(number)
            result = CheckResult.VALID if cert.status == CertificateStatus.VALID else CheckResult.REVOKED
        except ValidationError:
            result = CheckResult.INVALID
    if cert is not None:
        seller = seller or cert.producer
    check = MarketCheck.objects.create(
        region=region,
        market=market.strip()[:128],
        checked_at=checked_at or timezone.now(),
        product_name=product_name.strip()[:64],
        quantity=q,
        unit=unit if q is not None else "",
        number_entered=number[:40],
        certificate=cert,
        seller=seller,
        seller_name=(seller_name or "")[:128],
        result=result,
        note=(note or "")[:255],
        checker=actor if getattr(actor, "pk", None) else None,
        is_demo=is_demo,
    )
    audit.record_create(actor, check)
    if result in FAILED_CHECKS and seller is not None:
        reason = _("Market check at %(market)s: %(result)s (%(product)s).") % {
            "market": check.market,
            "result": check.get_result_display(),
            "product": check.product_name,
        }
        producer_flag_key_target(actor=actor, producer=seller, reason=str(reason))
    return check
