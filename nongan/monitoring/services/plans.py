"""Yearly monitoring plans and their quotas."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nongan.core import audit, versions
from nongan.core.choices import RegionLevel, Role
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
    town_total = sum(int(v) for v in township_quantitative.values())
    if town_total > int(plan_values["quantitative_target"]):
        errors["township_quantitative"] = _(
            "The townships' shares add up to %(sum)d, more than the district's %(total)d."
        ) % {"sum": town_total, "total": int(plan_values["quantitative_target"])}
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
    plan.quotas.filter(village__isnull=True).delete()  # the villages' shares stay, checked below
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
    _check_villages_fit(plan)
    if before is None:
        audit.record_create(actor, plan)
    else:
        audit.record_update(actor, plan, before)
    return plan


def _town_shares(plan: MonitoringPlan) -> dict[tuple[str, int], int]:
    return {
        (q.kind, q.township_id): q.planned
        for q in plan.quotas.filter(township__isnull=False, village__isnull=True, sector="")
    }


def _check_villages_fit(plan: MonitoringPlan) -> None:
    """Refuse (rolling the caller's transaction back) when a township's villages together hold more than
    the township's share of a kind, or hold a share of a kind the township has none of."""
    towns = _town_shares(plan)
    sums: dict[tuple[str, int], int] = {}
    for kind, town, n in plan.quotas.filter(village__isnull=False).values_list("kind", "township", "planned"):
        sums[(kind, town)] = sums.get((kind, town), 0) + n
    for (kind, town), total in sorted(sums.items()):
        if total > towns.get((kind, town), 0):
            name = Region.objects.get(pk=town).name
            raise ValidationError(
                {
                    "township_quantitative" if kind == QuotaKind.QUANTITATIVE else "township_rapid": _(
                        "The villages of %(town)s hold %(sum)d of %(kind)s, more than the township's share "
                        "of %(share)d."
                    )
                    % {
                        "town": name,
                        "sum": total,
                        "kind": QuotaKind(kind).label,
                        "share": towns.get((kind, town), 0),
                    }
                }
            )


def may_share(user, township: Region) -> bool:
    """Who divides a township's share among its villages: the district administration, and the township's
    own supervisor."""
    if can_manage(user):
        return user.is_superuser or in_jurisdiction(user, township)
    return (
        user.is_authenticated
        and user.role == Role.TOWNSHIP_SUPERVISOR
        and user.jurisdiction_id == getattr(township, "pk", None)
    )


@transaction.atomic
def village_shares_save(
    *,
    actor,
    plan: MonitoringPlan,
    township: Region,
    quantitative: dict[Region, int | None],
    rapid: dict[Region, int | None],
) -> list[PlanQuota]:
    """Set the shares of a township's villages in the plan (the given villages' rows replace the old ones;
    ``None`` or a missing village = no share). Together they may not exceed the township's share of each
    kind. Each row created, changed or removed is audited."""
    if not may_share(actor, township):
        raise ValidationError(_("Only the district administration or the township may divide its share."))
    if township.level != RegionLevel.TOWNSHIP or not township.path.startswith(plan.region.path):
        raise ValidationError(
            {"township": _("%(name)s is not a township of this district.") % {"name": township.name}}
        )
    plan = MonitoringPlan.objects.select_for_update().get(pk=plan.pk)
    towns = _town_shares(plan)
    errors: dict[str, list] = {}
    wanted: dict[tuple[str, int], tuple[Region, int]] = {}
    for field, kind, values in (
        ("quantitative", QuotaKind.QUANTITATIVE, quantitative),
        ("rapid", QuotaKind.RAPID, rapid),
    ):
        total = 0
        for village, n in values.items():
            if village.parent_id != township.pk or village.level != RegionLevel.VILLAGE:
                errors.setdefault(field, []).append(
                    _("%(name)s is not a village of %(town)s.")
                    % {"name": village.name, "town": township.name}
                )
                continue
            if n is None:
                continue
            if int(n) < 0:
                errors.setdefault(field, []).append(_("Planned numbers cannot be negative."))
                continue
            total += int(n)
            wanted[(kind, village.pk)] = (village, int(n))
        share = towns.get((kind, township.pk))
        if total and share is None:
            errors.setdefault(field, []).append(
                _("%(town)s has no share of %(kind)s to divide.")
                % {"town": township.name, "kind": kind.label}
            )
        elif share is not None and total > share:
            errors.setdefault(field, []).append(
                _("The villages' shares add up to %(sum)d, more than the township's %(share)d.")
                % {"sum": total, "share": share}
            )
    if errors:
        raise ValidationError(errors)
    old = {
        (q.kind, q.village_id): q
        for q in plan.quotas.filter(township=township, village__isnull=False).select_related("village")
    }
    out = []
    for key, row in old.items():
        if key not in wanted:
            audit.record_delete(actor, row)
            row.delete()
    for (kind, _pk), (village, n) in wanted.items():
        row = old.get((kind, village.pk))
        if row is None:
            row = PlanQuota.objects.create(
                plan=plan, kind=kind, township=township, village=village, planned=n
            )
            audit.record_create(actor, row)
        elif row.planned != n:
            before = audit.snapshot(row)
            row.planned = n
            row.save(update_fields=["planned"])
            audit.record_update(actor, row, before)
        out.append(row)
    return out


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


def may_publish(user, plan: MonitoringPlan) -> bool:
    """The district administration of the plan's district (or a superuser)."""
    return can_manage(user) and (user.is_superuser or in_jurisdiction(user, plan.region))


@transaction.atomic
def plan_publish(*, actor, plan: MonitoringPlan, reason: str = "", expected_version=None) -> MonitoringPlan:
    """Publish the plan (the district administration). Refused while a focus pair has no limit in force over
    the plan's year (``selectors.plan_coverage``: no limit, limit not loaded, unknown) unless ``reason`` says
    why the plan tests it anyway; the reason is kept on the plan, audited, and shown on the coverage page."""
    from ..selectors import plan_coverage

    if not may_publish(actor, plan):
        raise ValidationError(_("Only the district administration may publish the monitoring plan."))
    plan = MonitoringPlan.objects.select_for_update().get(pk=plan.pk)
    versions.expect(plan, expected_version)
    if plan.published is not None:
        raise ValidationError(_("The plan is already published."))
    reason = (reason or "").strip()
    gaps = plan_coverage(plan).gaps
    if gaps and not reason:
        raise ValidationError(
            {
                "reason": _(
                    "%(n)d focus pairs have no limit in force over %(year)d (e.g. %(pair)s): give the reason "
                    "for testing them to publish the plan."
                )
                % {"n": len(gaps), "year": plan.year, "pair": f"{gaps[0].food} × {gaps[0].analyte}"}
            }
        )
    before = audit.snapshot(plan)
    plan.published = timezone.now()
    plan.published_by = actor
    plan.coverage_reason = reason if gaps else ""
    plan.save()
    audit.record_update(actor, plan, before)  # the reason is in the changes (coverage_reason)
    return plan
