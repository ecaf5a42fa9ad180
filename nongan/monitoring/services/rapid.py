"""Rapid tests (enzyme inhibition, colloidal gold): parsing, checking and recording a batch; a positive
confirmed by its retest holds the lot for sale and orders a confirmatory task; releasing a hold
(``HOLD_WORKFLOW``: held → released)."""

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nongan.core import audit, ledger
from nongan.core.choices import RegionLevel
from nongan.core.models import Region
from nongan.core.scoping import in_jurisdiction, scoped
from nongan.core.workflow import Transition, Workflow
from nongan.registry import selectors as registry

from ..choices import (
    FALSE_POSITIVE_MATRICES,
    HoldStatus,
    RapidMethod,
    RapidOutcome,
    RapidSource,
    TaskSource,
    TLine,
)
from ..models import RapidTest, SaleHold
from .common import (
    CLOCK_SKEW,
    DEFAULT_ENZYME_THRESHOLD,
    EARLIEST,
    FOLLOW_UP_ROLES,
    RAPID_ROLES,
    _has_role,
    _require_role,
    parse_decimal,
    sector_of,
)
from .tasks import task_create

if TYPE_CHECKING:
    from nongan.registry.models import ProductCategory


def false_positive_risk(product: "ProductCategory", method: str) -> bool:
    if method != RapidMethod.ENZYME:
        return False
    names = [product.name, *[a for a in (product.aliases or "").split(";") if a]]
    return any(m in n for n in names for m in FALSE_POSITIVE_MATRICES)


def rapid_outcome(*, method: str, inhibition=None, threshold=None, c_line=None, t_line: str = "") -> str:
    if method == RapidMethod.ENZYME:
        return RapidOutcome.POSITIVE if inhibition >= threshold else RapidOutcome.NEGATIVE
    if not c_line:
        return RapidOutcome.INVALID
    if t_line in (TLine.ABSENT, TLine.LIGHTER):
        return RapidOutcome.POSITIVE
    return RapidOutcome.NEGATIVE


BOOL_TRUE = {"1", "true", "yes", "y", "是", "有", "显色", "可见", "on"}
BOOL_FALSE = {"0", "false", "no", "n", "否", "无", "不显色", "不可见", "off"}
METHOD_NAMES = {
    "enzyme": RapidMethod.ENZYME,
    "酶抑制法": RapidMethod.ENZYME,
    "酶抑制": RapidMethod.ENZYME,
    "gold": RapidMethod.GOLD,
    "胶体金": RapidMethod.GOLD,
    "胶体金法": RapidMethod.GOLD,
}
TLINE_NAMES = {
    "absent": TLine.ABSENT,
    "无": TLine.ABSENT,
    "不显色": TLine.ABSENT,
    "lighter": TLine.LIGHTER,
    "浅于c线": TLine.LIGHTER,
    "浅于C线": TLine.LIGHTER,
    "浅": TLine.LIGHTER,
    "same_or_darker": TLine.SAME_OR_DARKER,
    "深于或等于c线": TLine.SAME_OR_DARKER,
    "深于或等于C线": TLine.SAME_OR_DARKER,
    "深": TLine.SAME_OR_DARKER,
    "等于或深于C线": TLine.SAME_OR_DARKER,
}


def _parse_bool(value):
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower() if value is not None else ""
    if s in BOOL_TRUE:
        return True
    if s in BOOL_FALSE:
        return False
    return None


def _parse_time(value):
    if isinstance(value, dt.datetime):
        return timezone.make_aware(value) if timezone.is_naive(value) else value
    if not value:
        return None
    from django.utils.dateparse import parse_datetime

    s = str(value).strip().replace("/", "-")
    try:
        parsed = parse_datetime(s if "T" in s or " " in s else s + " 00:00")
    except ValueError:  # well-formed but impossible, e.g. 2026-02-30
        return None
    if parsed is None:
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _id_or_zero(value) -> int:
    """A primary key typed by someone: ASCII digits that fit a bigint, else 0 (which matches nothing)."""
    s = str(value).strip()
    return int(s) if s.isascii() and s.isdigit() and len(s) <= 18 else 0


def _find_product(value) -> "ProductCategory | None":
    from nongan.registry.services import category_by_name

    if registry.is_category(value):
        return value
    s = str(value or "").strip()
    return registry.category_by_code(s) or category_by_name(s)


def _station_for(actor, value) -> Region | None:
    if isinstance(value, Region):
        return value
    s = str(value or "").strip()
    if not s:
        j = actor.jurisdiction if actor is not None else None
        return j if j is not None and j.level in (RegionLevel.TOWNSHIP, RegionLevel.DISTRICT) else None
    return (
        Region.objects.filter(code=s).first()
        or Region.objects.filter(name=s, level__in=[RegionLevel.TOWNSHIP, RegionLevel.DISTRICT]).first()
    )


def rapid_clean(*, actor, item: dict, now=None) -> dict:
    """Check one rapid-test reading; returns model field values or raises ValidationError({field: msg})."""
    now = now or timezone.now()
    # PostgreSQL cannot store or even look up a NUL character.
    nul = {
        k: _("This text contains a NUL character; remove it.") for k, v in item.items() if "\x00" in str(v)
    }
    if nul:
        raise ValidationError(nul)
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    station = _station_for(actor, item.get("station"))
    if station is None:
        errors["station"] = _("Unknown station; give the township (or district) division code.")
    elif station.level not in (RegionLevel.TOWNSHIP, RegionLevel.DISTRICT):
        errors["station"] = _("A rapid-test station is a township or the district lab.")
    elif not (actor.is_superuser or in_jurisdiction(actor, station)):
        errors["station"] = _("You may record rapid tests only for your own township.")
    else:
        out["region"] = station
        out["township"] = station if station.level == RegionLevel.TOWNSHIP else None
    product = _find_product(item.get("product"))
    if product is None:
        errors["product"] = _("Unknown product “%(name)s”.") % {"name": item.get("product") or ""}
    elif product.children.exists():
        errors["product"] = _("Choose a specific product, not the group “%(name)s”.") % {"name": product.name}
    else:
        out["product"] = product
        out["sector"] = sector_of(product)
    producer_ref = item.get("producer")
    out["producer"] = None
    if producer_ref not in (None, ""):
        producer = (
            producer_ref
            if registry.is_producer(producer_ref)
            else registry.producers().filter(code=str(producer_ref).strip()).first()
        )
        if producer is None:
            errors["producer"] = _("Unknown producer registry number “%(code)s”.") % {"code": producer_ref}
        elif "region" in out and not producer.region.path.startswith(out["region"].path):
            errors["producer"] = _("This producer is not in the station's area.")
        else:
            out["producer"] = producer
    method = METHOD_NAMES.get(str(item.get("method") or "").strip().lower()) or METHOD_NAMES.get(
        str(item.get("method") or "").strip()
    )
    if method is None:
        errors["method"] = _("Method must be enzyme inhibition or colloidal gold.")
    out["method"] = method
    out["inhibition"] = out["threshold"] = out["c_line"] = None
    out["t_line"] = ""
    if method == RapidMethod.ENZYME:
        try:
            inh = parse_decimal(item.get("inhibition"), field_label=_("Inhibition"))
            if inh > 100:
                raise ValidationError(_("Inhibition is a percentage between 0 and 100."))
            out["inhibition"] = inh
        except ValidationError as e:
            errors["inhibition"] = e.messages[0]
        raw_t = item.get("threshold")
        if raw_t in (None, ""):
            out["threshold"] = DEFAULT_ENZYME_THRESHOLD
        else:
            try:
                thr = parse_decimal(raw_t, field_label=_("Threshold"))
                if not (0 < thr <= 100):
                    raise ValidationError(_("The threshold is a percentage between 0 and 100."))
                out["threshold"] = thr
            except ValidationError as e:
                errors["threshold"] = e.messages[0]
    elif method == RapidMethod.GOLD:
        c_line = _parse_bool(item.get("c_line"))
        if c_line is None:
            errors["c_line"] = _("Say whether the C line shows.")
        out["c_line"] = c_line
        t_raw = str(item.get("t_line") or "").strip()
        t_line = TLINE_NAMES.get(t_raw) or TLINE_NAMES.get(t_raw.lower())
        if c_line and t_line is None:
            errors["t_line"] = _("Give the T line: absent, lighter than C, or as dark as C or darker.")
        out["t_line"] = t_line or ""
    tested_at = _parse_time(item.get("tested_at"))
    if tested_at is None:
        errors["tested_at"] = _("Give the test time (e.g. 2026-05-01 09:30).")
    elif tested_at > now + CLOCK_SKEW:
        errors["tested_at"] = _("The test time lies in the future.")
    elif tested_at < EARLIEST:
        errors["tested_at"] = _("The test time lies before the year 2000.")
    out["tested_at"] = tested_at
    out["lot"] = str(item.get("lot") or "").strip()[:64]
    out["analyte"] = str(item.get("analyte") or "").strip()[:64]
    out["instrument"] = str(item.get("instrument") or "").strip()[:64]
    retest_of = item.get("retest_of")
    out["retest_of"] = None
    if retest_of not in (None, ""):
        orig = (
            retest_of
            if isinstance(retest_of, RapidTest)
            else scoped(actor, RapidTest.objects.all()).filter(pk=_id_or_zero(retest_of)).first()
        )
        if orig is None:
            errors["retest_of"] = _("The test to be retested was not found.")
        elif orig.outcome == RapidOutcome.NEGATIVE:
            errors["retest_of"] = _("Only a positive or invalid test is retested.")
        elif orig.retest_of_id:
            errors["retest_of"] = _("Retest the original test, not a retest.")
        else:
            out["retest_of"] = orig
            if "product" in out and orig.product_id != out["product"].pk:
                errors["product"] = _("A retest is of the same product as the original test.")
    if errors:
        raise ValidationError(errors)
    out["outcome"] = rapid_outcome(
        method=method,
        inhibition=out["inhibition"],
        threshold=out["threshold"],
        c_line=out["c_line"],
        t_line=out["t_line"],
    )
    out["false_positive_risk"] = false_positive_risk(out["product"], method)
    return out


def rapid_validate(*, actor, items: list[dict]) -> tuple[list[dict], list[dict]]:
    """Check a whole batch; returns (cleaned rows, per-item error dicts — empty dicts where fine)."""
    if not _has_role(actor, RAPID_ROLES):
        raise ValidationError(_("Your role may not record rapid tests."))
    now = timezone.now()
    cleaned, errors = [], []
    for item in items:
        try:
            cleaned.append(rapid_clean(actor=actor, item=item if isinstance(item, dict) else {}, now=now))
            errors.append({})
        except ValidationError as e:
            cleaned.append({})
            errors.append({k: v for k, v in e.message_dict.items()})
    return cleaned, errors


@transaction.atomic
def rapid_tests_record(*, actor, items: list[dict], source: str = RapidSource.FORM) -> list[RapidTest]:
    """Record a batch of rapid tests: all checked first, none saved if any is wrong."""
    if not items:
        raise ValidationError(_("No rapid tests to record."))
    cleaned, errors = rapid_validate(actor=actor, items=items)
    if any(errors):
        err = ValidationError(_("Some rapid tests are wrong; nothing was saved."))
        err.item_errors = errors
        raise err
    rows = []
    for c in cleaned:
        t = RapidTest.objects.create(tester=actor, source=source, **c)
        audit.record_create(actor, t)
        ledger.append(
            kind="monitoring.rapid_test",
            ref=f"RT{t.pk}",
            payload={
                "lot": t.lot,
                "method": t.method,
                "analyte": t.analyte,
                "outcome": t.outcome,
                **({"retest_of": f"RT{t.retest_of_id}"} if t.retest_of_id else {}),
            },
            actor=actor,
            region=t.township or t.region,
            records=[RapidTest.objects.get(pk=t.pk)],
        )
        if t.retest_of_id:
            _after_retest(actor, t)
        rows.append(t)
    return rows


def _after_retest(actor, retest: RapidTest) -> None:
    """A positive confirmed by its retest: hold the lot and order a confirmatory quantitative sample."""
    original = RapidTest.objects.select_for_update().get(pk=retest.retest_of_id)
    if not (original.outcome == RapidOutcome.POSITIVE and retest.outcome == RapidOutcome.POSITIVE):
        return
    if original.confirmed_positive:
        return
    before = audit.snapshot(original)
    original.confirmed_positive = True
    original.save(update_fields=["confirmed_positive"])
    RapidTest.objects.filter(pk=retest.pk).update(confirmed_positive=True)
    audit.record_update(actor, original, before, reason="retest positive")
    task = None
    if original.producer_id:
        task = task_create(
            actor=actor,
            producer=original.producer,
            product=original.product,
            source=TaskSource.RAPID_POSITIVE,
            due=timezone.localdate() + dt.timedelta(days=3),
            notes=(
                _("Confirm rapid-test positive #%(id)s (lot %(lot)s)")
                % {"id": original.pk, "lot": original.lot or "-"}
            )[:255],
        )
    hold = SaleHold.objects.create(rapid_test=original, lot=original.lot, task=task)
    audit.record_create(actor, hold)
    ledger.append(
        kind="monitoring.sale_hold",
        ref=f"RT{original.pk}",
        payload={"lot": original.lot, "retest": f"RT{retest.pk}", "task": task.pk if task else None},
        actor=actor,
        region=original.township or original.region,
        records=[
            *RapidTest.objects.filter(pk__in=[original.pk, retest.pk]).order_by("pk"),
            SaleHold.objects.get(pk=hold.pk),
        ],
    )


def _effect_release(actor, hold: SaleHold, ctx) -> None:
    hold.released_at = timezone.now()
    hold.save(update_fields=["released_at"])


HOLD_WORKFLOW = Workflow(
    model=SaleHold,
    field="status",
    transitions=[
        Transition(
            "release",
            gettext_lazy("Release"),
            (HoldStatus.HELD,),
            HoldStatus.RELEASED,
            roles=frozenset(FOLLOW_UP_ROLES),
            needs_reason=True,
            effect=_effect_release,
            refusal=gettext_lazy("This lot is not held."),
            role_refusal=gettext_lazy("Your role may not release a held lot."),
            ledger_kind="monitoring.hold_released",
        ),
    ],
    # A hold's history: the core WorkflowEvent rows, and its audit records.
    reason_field="release_reason",
    ledger=lambda step, result: {
        "ref": f"RT{step.obj.rapid_test_id}",
        "payload": {"lot": step.obj.lot, "reason": step.reason},
        "region": step.obj.rapid_test.township or step.obj.rapid_test.region,
    },
)


def sale_hold_release(*, actor, hold: SaleHold, reason: str) -> SaleHold:
    """Release a held lot (township supervisors, enforcement officers, administrators), with a reason."""
    _require_role(actor, FOLLOW_UP_ROLES, _("Your role may not release a held lot."))
    return HOLD_WORKFLOW.run(actor=actor, obj=hold, action="release", reason=reason)
