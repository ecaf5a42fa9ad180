"""Yearly monitoring plans and their quotas."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nongan.core import audit, ledger, versions
from nongan.core.choices import RegionLevel, Role
from nongan.core.models import Region
from nongan.core.scoping import can_manage, in_jurisdiction
from nongan.core.workflow import Transition, Workflow

from ..choices import PlanState, QuotaKind, Sector
from ..models import MonitoringPlan, PlanQuota
from .common import ADMINS

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
    coverage_reason: str = "",
    **values,
) -> MonitoringPlan:
    """Create or update the year's plan of a district with its quotas (the whole set replaces the old one).
    ``expected_version`` is the version of the plan the user started from (``nongan.core.versions``).

    A published plan's change is checked again against the standards: a change that leaves focus pairs
    uncovered that were covered before is refused unless ``coverage_reason`` says why (it then replaces the
    plan's reason); the change is ledgered (``monitoring.plan_changed``) with the plan as it now stands."""
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
    published = plan is not None and plan.state == PlanState.PUBLISHED
    old_gaps = _gap_keys(plan) if published else set()
    old_values = {f: getattr(plan, f) for f in PLAN_FIELDS} if published else {}
    old_products = sorted(plan.focus_products.values_list("name", flat=True)) if published else []
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
    if published:
        _recheck_published(actor, plan, old_gaps, coverage_reason)
    if before is None:
        audit.record_create(actor, plan)
    else:
        audit.record_update(actor, plan, before)
    if published:
        changes = {
            f: [str(old_values[f]), str(getattr(plan, f))]
            for f in PLAN_FIELDS
            if old_values[f] != getattr(plan, f)
        }
        products = sorted(plan.focus_products.values_list("name", flat=True))
        if products != old_products:
            changes["focus_products"] = [old_products, products]
        _ledger_change(actor, plan, {"changes": changes})
    return plan


def _gap_keys(plan: MonitoringPlan) -> set[tuple[str, str]]:
    from ..selectors import plan_coverage

    return {(str(g.food), str(g.analyte)) for g in plan_coverage(plan).gaps}


def _recheck_published(actor, plan: MonitoringPlan, old_gaps: set, reason: str) -> None:
    """A published plan changed: refuse (the caller's transaction rolls back) when focus pairs are uncovered now
    that were not before, unless a reason is given; the reason then replaces the plan's."""
    from ..selectors import plan_coverage

    gaps = plan_coverage(plan).gaps
    new = [g for g in gaps if (str(g.food), str(g.analyte)) not in old_gaps]
    reason = (reason or "").strip()
    if new and not reason:
        raise _gaps_refusal(plan, new, "coverage_reason")
    if new:
        plan.coverage_reason = reason
        plan.save(update_fields=["coverage_reason"])


def _ledger_change(actor, plan: MonitoringPlan, extra: dict) -> None:
    """A published plan changed (its fields, focus products or quotas): the plan as it now stands, ledgered."""
    plan.refresh_from_db()
    payload = {**_plan_content(plan), **extra}
    if plan.coverage_reason:
        payload["coverage_reason"] = plan.coverage_reason
    ledger.append(
        kind="monitoring.plan_changed",
        ref=plan_ref(plan),
        payload=payload,
        actor=actor,
        region=plan.region,
        records=[plan],
    )


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
    if plan.state == PlanState.PUBLISHED:
        _ledger_change(actor, plan, {"village_shares_of": township.code})
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


def _plan_permission(actor, plan: MonitoringPlan) -> None:
    if not may_publish(actor, plan):
        raise ValidationError(_("Only the district administration may publish the monitoring plan."))


def _gaps_refusal(plan: MonitoringPlan, gaps, field: str) -> ValidationError:
    return ValidationError(
        {
            field: _(
                "%(n)d focus pairs have no limit in force over %(year)d (e.g. %(pair)s): give the reason "
                "for testing them to publish the plan."
            )
            % {"n": len(gaps), "year": plan.year, "pair": f"{gaps[0].food} × {gaps[0].analyte}"}
        }
    )


def _guard_publish(actor, plan: MonitoringPlan, ctx: dict) -> None:
    from ..selectors import plan_coverage

    coverage = plan_coverage(plan)
    if coverage.gaps and not ctx["reason"].strip():
        raise _gaps_refusal(plan, coverage.gaps, "reason")
    ctx["coverage"] = coverage


def _effect_publish(actor, plan: MonitoringPlan, ctx: dict) -> dict:
    coverage = ctx["coverage"]
    plan.published = timezone.now()
    plan.published_by = actor if getattr(actor, "pk", None) else None
    plan.coverage_reason = ctx["reason"].strip() if coverage.gaps else ""
    plan.save(update_fields=["published", "published_by", "coverage_reason"])
    return {"focus_pairs": len(coverage.rows), "uncovered": len(coverage.gaps)}


def _plan_content(plan: MonitoringPlan) -> dict:
    """What a plan's ledger entry states beside its hashed fields: the focus products and the quotas."""
    quotas = plan.quotas.select_related("township", "village").order_by(
        "kind", "sector", "township__code", "village__code"
    )
    return {
        "year": plan.year,
        "focus_products": sorted(plan.focus_products.values_list("name", flat=True)),
        "focus_analytes": plan.analyte_list,
        "quotas": [
            [
                q.kind,
                q.sector,
                q.township.code if q.township_id else "",
                q.village.code if q.village_id else "",
                q.planned,
            ]
            for q in quotas
        ],
    }


def _plan_ledger(step, result: dict) -> dict:
    plan = step.obj
    payload = {**_plan_content(plan), **result}
    if plan.coverage_reason:
        payload["coverage_reason"] = plan.coverage_reason
    return {"ref": plan_ref(plan), "payload": payload, "region": plan.region}


def plan_ref(plan: MonitoringPlan) -> str:
    """The ledger's reference of a plan: ``JH2026-320707`` (year and district code)."""
    return f"JH{plan.year}-{plan.region.code}"


PLAN_WORKFLOW = Workflow(
    model=MonitoringPlan,
    field="state",
    transitions=[
        Transition(
            "publish",
            gettext_lazy("Publish the plan"),
            (PlanState.DRAFT,),
            PlanState.PUBLISHED,
            roles=frozenset(ADMINS),
            guard=_guard_publish,
            effect=_effect_publish,
            ledger_kind="monitoring.plan_published",
            refusal=gettext_lazy("The plan is already published."),
            role_refusal=gettext_lazy("Only the district administration may publish the monitoring plan."),
            confirm=gettext_lazy(
                "Publishing puts the plan in the ledger; it cannot be withdrawn, and every later change of the "
                "plan is ledgered as a change."
            ),
        ),
    ],
    permission=_plan_permission,
    ledger=_plan_ledger,
)


@transaction.atomic
def plan_publish(*, actor, plan: MonitoringPlan, reason: str = "", expected_version=None) -> MonitoringPlan:
    """Publish the plan (the district administration; ``PLAN_WORKFLOW``, ledgered as
    ``monitoring.plan_published``). Refused while a focus pair has no limit in force over the plan's year
    (``selectors.plan_coverage``: no limit, limit not loaded, unknown) unless ``reason`` says why the plan tests
    it anyway; the reason is kept on the plan, audited, ledgered, and shown on the coverage page."""
    locked = MonitoringPlan.objects.select_for_update().get(pk=plan.pk)
    versions.expect(locked, expected_version)
    return PLAN_WORKFLOW.run(actor=actor, obj=locked, action="publish", reason=reason or "")
