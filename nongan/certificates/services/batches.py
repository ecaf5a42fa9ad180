"""Production records: batches, input uses (pre-harvest intervals, banned substances), harvests, and the
quantities harvested / certified that the issue gate checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nongan.core import audit, versions
from nongan.core.workflow import Transition, Workflow

from ..choices import INTERVAL_KINDS, BatchStatus, CertificateStatus, HarvestKind, InputKind
from ..models import HarvestEvent, InputUse, ProductionBatch
from ..numbering import BATCH, producer_part
from ..substances import substance_status
from .common import _decimal, _require_act_for, _unit, convert

if TYPE_CHECKING:
    from nongan.registry.models import Producer

# An input use entered more than this many days after its date needs a reason (no silent back-dating).
LATE_ENTRY_DAYS = 3


def _batch_code(producer: Producer) -> str:
    """The next batch code of this producer and year (the "batch" series, nongan.core.numbering)."""
    return BATCH.next(producer=producer_part(producer), year=timezone.localdate().year)


def origin_villages(producer: Producer):
    """The villages a batch of this producer may come from (MOA Order 2025 No. 4: origin down to the
    village): its own village, or the villages of the township it is registered in."""
    from nongan.core.models import Region

    region = producer.region
    if region.level == "village":
        return Region.objects.filter(pk=region.pk)
    if region.level == "township":
        return Region.objects.filter(parent=region, level="village")
    return Region.objects.none()


def origin_allowed(producer: Producer, origin) -> bool:
    return origin.level == "village" and origin_villages(producer).filter(pk=origin.pk).exists()


@transaction.atomic
def batch_create(
    *,
    actor,
    producer: Producer,
    product,
    started: dt.date,
    origin=None,
    base=None,
    plot: str = "",
    expected_quantity=None,
    unit: str = "kg",
    notes: str = "",
    is_demo: bool = False,
) -> ProductionBatch:
    """Record a planting or breeding batch of one product."""
    _require_act_for(actor, producer)
    errors = {}
    if not product.certificate_scope:
        errors["product"] = _("This product is outside the certificate scope.")
    if started > timezone.localdate():
        errors["started"] = _("The date lies in the future.")
    if base is not None and base.producer_id != producer.pk:
        errors["base"] = _("This base belongs to another producer.")
    if origin is not None:
        if not origin_allowed(producer, origin):
            errors["origin"] = _(
                "The origin must be the producer's village or a village of its township (%(region)s)."
            ) % {"region": producer.region.name}
    else:
        origin = base.region if base is not None else producer.region
        if origin.level != "village" and producer.region.level == "village":
            origin = producer.region
    if errors:
        raise ValidationError(errors)
    batch = ProductionBatch.objects.create(
        code=_batch_code(producer),
        producer=producer,
        product=product,
        base=base,
        plot=plot,
        origin=origin,
        started=started,
        expected_quantity=_decimal(expected_quantity, "expected_quantity") if expected_quantity else None,
        unit=_unit(unit),
        notes=notes,
        is_demo=is_demo,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record_create(actor, batch)
    return batch


INPUT_FIELDS = [
    "kind",
    "product_name",
    "active_ingredient",
    "source",
    "dose",
    "dose_unit",
    "used_on",
    "plot",
    "interval_days",
    "purpose",
    "late_reason",
]


def _validate_input(use: InputUse, *, today: dt.date) -> None:
    errors = {}
    if use.dose in ("", None):
        use.dose = None
    else:
        try:
            use.dose = Decimal(str(use.dose)).quantize(Decimal("0.001"))
        except (InvalidOperation, ValueError):
            raise ValidationError({"dose": _("Enter a number.")}) from None
    try:
        use.interval_days = int(use.interval_days if use.interval_days not in ("", None) else 0)
    except (TypeError, ValueError):
        raise ValidationError({"interval_days": _("Give a number of days between 0 and 365.")}) from None
    if use.kind not in InputKind.values:
        errors["kind"] = _("Unknown kind of input.")
    if not (use.product_name or "").strip():
        errors["product_name"] = _("Name the input product.")
    if use.used_on > today:
        errors["used_on"] = _("The date lies in the future.")
    elif (today - use.used_on).days > LATE_ENTRY_DAYS and not (use.late_reason or "").strip():
        errors["late_reason"] = _(
            "This use is recorded more than %(days)s days after its date: give the reason for the late entry."
        ) % {"days": LATE_ENTRY_DAYS}
    if use.interval_days < 0 or use.interval_days > 365:
        errors["interval_days"] = _("Give a number of days between 0 and 365.")
    if use.dose is not None and use.dose < 0:
        errors["dose"] = _("Enter a quantity greater than zero.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def input_use_add(*, actor, batch: ProductionBatch, today: dt.date | None = None, **data) -> InputUse:
    """Record one input use. Banned inputs are recorded too (it is a record of fact); the
    certificate gate refuses them."""
    _require_act_for(actor, batch.producer)
    use = InputUse(batch=batch, recorded_by=actor if getattr(actor, "pk", None) else None)
    for k, v in data.items():
        if k in INPUT_FIELDS:
            setattr(use, k, v)
    _validate_input(use, today=today or timezone.localdate())
    use.save()
    audit.record_create(actor, use)
    return use


@transaction.atomic
def input_use_update(*, actor, use: InputUse, reason: str, expected_version=None, **data) -> InputUse:
    """Correct an input record; the reason is required and goes into the audit log with before → after."""
    _require_act_for(actor, use.batch.producer)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the change.")})
    versions.expect(use, expected_version)
    before = audit.snapshot(use)
    for k, v in data.items():
        if k in INPUT_FIELDS:
            setattr(use, k, v)
    _validate_input(use, today=use.recorded_at.astimezone(timezone.get_current_timezone()).date())
    use.save()
    audit.record_update(actor, use, before, reason=reason)
    return use


def interval_blockers(batch: ProductionBatch, on: dt.date) -> list[str]:
    """Why ``batch`` may not be harvested or certified on ``on``: pre-harvest interval or withdrawal period."""
    problems = []
    for use in batch.inputs.filter(kind__in=INTERVAL_KINDS).order_by("used_on"):
        free = use.used_on + dt.timedelta(days=use.interval_days)
        if use.used_on <= on < free:
            if use.kind == InputKind.VET_DRUG:
                msg = _(
                    "Inside the withdrawal period: %(input)s used on %(date)s, withdrawal period %(days)s days, "
                    "not before %(free)s."
                )
            else:
                msg = _(
                    "Inside the pre-harvest interval: %(input)s used on %(date)s, interval %(days)s days, "
                    "not before %(free)s."
                )
            problems.append(
                msg
                % {
                    "input": use.product_name,
                    "date": use.used_on.isoformat(),
                    "days": use.interval_days,
                    "free": free.isoformat(),
                }
            )
    return problems


def substance_blockers(batch: ProductionBatch) -> list[str]:
    problems = []
    for use in batch.inputs.all():
        # the active ingredient first; the product name (e.g. "40%毒死蜱乳油") only when the ingredient says
        # nothing, so that one input is reported once
        for name in dict.fromkeys(n for n in (use.active_ingredient.strip(), use.product_name.strip()) if n):
            status = substance_status(name, batch.product)
            if status is None:
                continue
            if status == "banned":
                problems.append(_("%(input)s is a banned substance.") % {"input": name})
            elif status == "restricted":
                problems.append(
                    _("%(input)s may not be used on %(food)s.") % {"input": name, "food": batch.product.name}
                )
            break
    return list(dict.fromkeys(problems))


def issue_blockers(batch: ProductionBatch, on: dt.date) -> list[str]:
    """Every reason the batch may not be certified on ``on`` (empty when it may)."""
    problems = []
    if not batch.producer.may_issue_certificates:
        problems.append(
            _("The producer's status (%(status)s) does not allow issuing certificates.")
            % {"status": batch.producer.get_status_display()}
        )
    problems += interval_blockers(batch, on)
    problems += substance_blockers(batch)
    return problems


# A batch's states: growing → harvested at its first harvest record (the batch's history: the core
# WorkflowEvent rows and the audit records).
BATCH_WORKFLOW = Workflow(
    model=ProductionBatch,
    field="status",
    transitions=[
        # harvest_record: the first harvest, slaughter or catch of the batch (its own checks apply).
        Transition(
            "harvest", gettext_lazy("Harvested"), (BatchStatus.GROWING,), BatchStatus.HARVESTED, internal=True
        ),
    ],
)


@transaction.atomic
def harvest_record(
    *, actor, batch: ProductionBatch, date: dt.date, quantity, unit: str, kind: str = HarvestKind.HARVEST
) -> HarvestEvent:
    """Record a harvest / slaughter / catch; refused inside a pre-harvest interval or withdrawal period."""
    _require_act_for(actor, batch.producer)
    if kind not in HarvestKind.values:
        raise ValidationError({"kind": _("Unknown kind of harvest.")})
    if date > timezone.localdate():
        raise ValidationError({"date": _("The date lies in the future.")})
    if date < batch.started:
        raise ValidationError({"date": _("The date lies before the start of the batch.")})
    quantity = _decimal(quantity, "quantity")
    unit = _unit(unit)
    problems = interval_blockers(batch, date)
    if problems:
        raise ValidationError({"date": problems})
    event = HarvestEvent.objects.create(
        batch=batch,
        kind=kind,
        date=date,
        quantity=quantity,
        unit=unit,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record_create(actor, event)
    if batch.status in BATCH_WORKFLOW["harvest"].sources:
        BATCH_WORKFLOW.run(actor=actor, obj=batch, action="harvest")
    return event


def harvested_quantity(batch: ProductionBatch, unit: str) -> Decimal | None:
    """Total harvested, in ``unit``; None when nothing was recorded (or units do not convert)."""
    total = Decimal("0")
    rows = list(batch.harvests.values_list("quantity", "unit"))
    if not rows:
        return None
    for q, u in rows:
        c = convert(q, u, unit)
        if c is None:
            return None
        total += c
    return total


def certified_quantity(batch: ProductionBatch, unit: str) -> Decimal:
    total = Decimal("0")
    for q, u in batch.certificates.exclude(status=CertificateStatus.REVOKED).values_list("quantity", "unit"):
        total += convert(q, u, unit) or Decimal("0")
    return total
