"""Shared by every part of the certificates services: limits, units and quantities, who may act for a
producer, the public base URL."""

from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from nongan.core.choices import REGISTRY_EDITOR_ROLES, Role
from nongan.core.scoping import in_jurisdiction

from ..choices import MASS_IN_KG, Unit

if TYPE_CHECKING:
    from nongan.registry.models import Producer

# Retention of production records and certificates, in years (DOMAIN.md: ≥ 2 years).
RETENTION_YEARS = 2


QUANT = Decimal("0.01")


def public_base_url() -> str:
    return (
        getattr(settings, "NONGAN_PUBLIC_URL", None)
        or os.environ.get("NONGAN_PUBLIC_URL")
        or "http://127.0.0.1:8000"
    )


# ================================================================ permissions
def may_act_for(actor, producer: Producer) -> bool:
    """The producer's own account, or a registry editor (district, township, village) whose
    jurisdiction contains the producer; ``None`` is the system (demo, imports)."""
    if actor is None:
        return True
    if not actor.is_authenticated or not actor.is_active:
        return False
    if actor.is_superuser:
        return True
    if actor.role == Role.PRODUCER:
        return actor.producer_id == producer.pk
    if actor.role in REGISTRY_EDITOR_ROLES:
        return in_jurisdiction(actor, producer.region)
    return False


def _require_act_for(actor, producer: Producer) -> None:
    if not may_act_for(actor, producer):
        raise ValidationError(_("You may not record data for this producer."))


def _decimal(value, field: str, *, positive: bool = True, allow_zero: bool = False) -> Decimal:
    try:
        d = Decimal(str(value)).quantize(QUANT)
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: _("Enter a number.")}) from None
    if not d.is_finite() or d < 0 or (positive and not allow_zero and d == 0):
        raise ValidationError({field: _("Enter a quantity greater than zero.")})
    return d


def _unit(value: str, field: str = "unit") -> str:
    if value not in Unit.values:
        raise ValidationError({field: _("Unknown unit.")})
    return value


def convert(quantity: Decimal, unit: str, to_unit: str) -> Decimal | None:
    """Quantity in another unit (mass units convert; others only to themselves); None if impossible."""
    if unit == to_unit:
        return quantity
    if unit in MASS_IN_KG and to_unit in MASS_IN_KG:
        return (quantity * Decimal(str(MASS_IN_KG[unit])) / Decimal(str(MASS_IN_KG[to_unit]))).quantize(QUANT)
    return None
