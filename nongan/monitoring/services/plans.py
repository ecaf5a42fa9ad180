"""Yearly monitoring plans and their quotas."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from nongan.core import audit, versions
from nongan.core.choices import RegionLevel
from nongan.core.models import Region
from nongan.core.scoping import can_manage, in_jurisdiction

from ..choices import QuotaKind, Sector
from ..models import MonitoringPlan, PlanQuota

PLAN_FIELDS = [
    "title",
    "quantitative_target",
    "pass_rate_target",
    "district_rapid_target",
    "township_rapid_target",
    "focus_analytes",
    "notes",
]


def _validate_quotas(
    plan_values: dict, sector_quotas: dict, township_quantitative: dict, township_rapid: dict
) -> None:
    errors = {}
    for key, values in (
        ("sector_quotas", sector_quotas),
        ("township_quantitative", township_quantitative),
        ("township_rapid", township_rapid),
    ):
        for k, v in values.items():
            if v is None or int(v) < 0:
                errors[key] = _("Planned numbers cannot be negative.")
            if key == "sector_quotas" and k not in Sector.values:
                errors[key] = _("Unknown sector “%(sector)s”.") % {"sector": k}
    rapid_total = sum(int(v) for v in township_rapid.values())
    if township_rapid and rapid_total != int(plan_values["township_rapid_target"]):
        errors["township_rapid"] = _(
            "The township rapid-test split adds up to %(sum)d, but the township total is %(total)d."
        ) % {"sum": rapid_total, "total": int(plan_values["township_rapid_target"])}
    sector_total = sum(int(v) for v in sector_quotas.values())
    if sector_quotas and sector_total < int(plan_values["quantitative_target"]):
        errors["sector_quotas"] = _(
            "The sector quotas add up to %(sum)d, less than the total of %(total)d."
        ) % {"sum": sector_total, "total": int(plan_values["quantitative_target"])}
    rate = plan_values.get("pass_rate_target")
    if rate is not None and not (Decimal(0) <= Decimal(str(rate)) <= Decimal(100)):
        errors["pass_rate_target"] = _("A pass rate lies between 0 and 100%.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def plan_save(
    *,
    actor,
    year: int,
    region: Region,
    sector_quotas: dict[str, int] | None = None,
    township_quantitative: dict[Region, int] | None = None,
    township_rapid: dict[Region, int] | None = None,
    focus_products=None,
    expected_version=None,
    **values,
) -> MonitoringPlan:
    """Create or update the year's plan of a district with its quotas (the whole set replaces the old one).
    ``expected_version`` is the version of the plan the user started from (``nongan.core.versions``)."""
    if not can_manage(actor):
        raise ValidationError(_("Only the district administration may set the monitoring plan."))
    if region.level not in (RegionLevel.DISTRICT, RegionLevel.CITY, RegionLevel.PROVINCE):
        raise ValidationError({"region": _("A monitoring plan belongs to a district.")})
    if not actor.is_superuser and not in_jurisdiction(actor, region):
        raise ValidationError({"region": _("This region is outside your jurisdiction.")})
    if not (2000 <= int(year) <= 2100):
        raise ValidationError({"year": _("Enter a year between 2000 and 2100.")})
    sector_quotas = sector_quotas or {}
    township_quantitative = township_quantitative or {}
    township_rapid = township_rapid or {}
    plan = MonitoringPlan.objects.select_for_update().filter(region=region, year=year).first()
    if plan is not None:
        versions.expect(plan, expected_version)
    merged = {
        f: getattr(plan, f) if plan else MonitoringPlan._meta.get_field(f).get_default() for f in PLAN_FIELDS
    }
    merged.update({k: v for k, v in values.items() if k in PLAN_FIELDS})
    if not merged.get("title"):
        merged["title"] = _("%(year)d monitoring plan of %(region)s") % {
            "year": int(year),
            "region": region.name,
        }
    _validate_quotas(merged, sector_quotas, township_quantitative, township_rapid)
    for town in [*township_quantitative, *township_rapid]:
        if town.level != RegionLevel.TOWNSHIP or not town.path.startswith(region.path):
            raise ValidationError(
                {"township": _("%(name)s is not a township of this district.") % {"name": town.name}}
            )
    if plan is None:
        plan = MonitoringPlan(year=year, region=region, created_by=actor, **merged)
        plan.save()
        before = None
    else:
        before = audit.snapshot(plan)
        for k, v in merged.items():
            setattr(plan, k, v)
        plan.save()
    if focus_products is not None:
        plan.focus_products.set(focus_products)
    plan.quotas.all().delete()
    rows = [
        PlanQuota(plan=plan, kind=QuotaKind.QUANTITATIVE, sector=s, planned=int(n))
        for s, n in sector_quotas.items()
    ]
    rows += [
        PlanQuota(plan=plan, kind=QuotaKind.QUANTITATIVE, township=t, planned=int(n))
        for t, n in township_quantitative.items()
    ]
    rows += [
        PlanQuota(plan=plan, kind=QuotaKind.RAPID, township=t, planned=int(n))
        for t, n in township_rapid.items()
    ]
    PlanQuota.objects.bulk_create(rows)
    if before is None:
        audit.record_create(actor, plan)
    else:
        audit.record_update(actor, plan, before)
    return plan


def split_evenly(total: int, towns: list) -> dict:
    """Split ``total`` over ``towns`` as evenly as whole numbers allow (the first ones get the remainder)."""
    if not towns:
        return {}
    base, extra = divmod(int(total), len(towns))
    return {t: base + (1 if i < extra else 0) for i, t in enumerate(towns)}


def plan_for(region: Region, on_date: dt.date) -> MonitoringPlan | None:
    """The plan of the district that contains ``region`` for the year of ``on_date``."""
    codes = [c for c in region.path.strip("/").split("/") if c]
    return (
        MonitoringPlan.objects.filter(year=on_date.year, region__code__in=codes)
        .order_by("-region__path")
        .first()
    )
