"""Every write of the monitoring app: atomic, validated, audited; state changes go through the
transition table and write an event row."""

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nongan.core import audit, ledger
from nongan.core.choices import RegionLevel, Role
from nongan.core.models import Region
from nongan.core.scoping import can_manage, in_jurisdiction, scoped
from nongan.registry.models import Producer, ProductCategory

from .choices import (
    FALSE_POSITIVE_MATRICES,
    KIND_SECTOR,
    FollowUpStatus,
    HoldStatus,
    QuotaKind,
    RapidMethod,
    RapidOutcome,
    RapidSource,
    SampleState,
    Sector,
    TaskSource,
    TaskStatus,
    TLine,
    Verdict,
)
from .models import (
    LabResult,
    MonitoringEvent,
    MonitoringPlan,
    PlanQuota,
    RapidTest,
    SaleHold,
    Sample,
    SamplePhoto,
    SamplingTask,
    UnqualifiedFollowUp,
)

ADMINS = {Role.DISTRICT_ADMIN, Role.PROVINCE_ADMIN}
SAMPLER_ROLES = ADMINS | {Role.SAMPLER, Role.ENFORCEMENT}
LAB_ROLES = ADMINS | {Role.ANALYST}
RAPID_ROLES = ADMINS | {Role.TOWNSHIP_SUPERVISOR, Role.SAMPLER, Role.ANALYST}
FOLLOW_UP_ROLES = ADMINS | {Role.TOWNSHIP_SUPERVISOR, Role.ENFORCEMENT}
DEFAULT_ENZYME_THRESHOLD = Decimal(str(getattr(settings, "NONGAN_ENZYME_THRESHOLD", "50")))
CLOCK_SKEW = dt.timedelta(minutes=10)
# Nothing is sampled or tested before this (older times are typing errors; they would not even print).
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _has_role(user, roles) -> bool:
    return bool(user is not None and (user.is_superuser or user.role in roles))


def _require_role(user, roles, message: str) -> None:
    if not _has_role(user, roles):
        raise ValidationError(message)


def sector_of(category: ProductCategory) -> str:
    return KIND_SECTOR.get(category.kind, Sector.CROP)


def township_of(region: Region) -> Region:
    return region if region.level == RegionLevel.TOWNSHIP else region.parent


def parse_decimal(value: Any, *, field_label: str, allow_negative: bool = False) -> Decimal:
    """A decimal from user input, or a ValidationError in Chinese."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError(_("%(field)s is required.") % {"field": field_label})
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            _("%(field)s must be a number, not “%(value)s”.") % {"field": field_label, "value": value}
        ) from None
    if not number.is_finite():
        raise ValidationError(
            _("%(field)s must be a number, not “%(value)s”.") % {"field": field_label, "value": value}
        )
    if number < 0 and not allow_negative:
        raise ValidationError(_("%(field)s cannot be negative.") % {"field": field_label})
    return number


def _event(
    *,
    actor,
    action: str,
    from_state: str,
    to_state: str,
    reason: str = "",
    sample=None,
    task=None,
    subject: str = "sample",
) -> MonitoringEvent:
    return MonitoringEvent.objects.create(
        subject=subject,
        sample=sample,
        task=task,
        action=action,
        from_state=from_state or "",
        to_state=to_state,
        reason=(reason or "")[:255],
        actor=actor if getattr(actor, "pk", None) else None,
    )


# ---------------------------------------------------------------- plans and quotas
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
    **values,
) -> MonitoringPlan:
    """Create or update the year's plan of a district with its quotas (the whole set replaces the old one)."""
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


# ---------------------------------------------------------------- sampling tasks
def _selections_for_round(round_id: int) -> list[dict]:
    try:
        selectors = importlib.import_module("nongan.draws.selectors")
    except ImportError:
        raise ValidationError(_("Double-random draws are not available on this installation yet.")) from None
    fn = getattr(selectors, "selections_for_round", None)
    if fn is None:
        raise ValidationError(_("Double-random draws are not available on this installation yet."))
    return fn(round_id)


@transaction.atomic
def task_create(
    *,
    actor,
    producer: Producer,
    product=None,
    samplers=(),
    due=None,
    notes: str = "",
    plan=None,
    source: str = TaskSource.MANUAL,
    draw_round_id=None,
    stratum: str = "",
    rank=None,
) -> SamplingTask:
    """Create a sampling task by hand (or for a draw, a rapid-test positive)."""
    if source == TaskSource.MANUAL:
        _require_role(actor, SAMPLER_ROLES, _("You may not create sampling tasks."))
        if not scoped(actor, Producer.objects.filter(pk=producer.pk)).exists():
            raise ValidationError({"producer": _("This producer is outside your jurisdiction.")})
    for s in samplers if source == TaskSource.MANUAL else ():  # drawn inspectors come from the draw's pool
        if s.role not in SAMPLER_ROLES and not s.is_superuser:
            raise ValidationError({"samplers": _("%(name)s is not a sampler.") % {"name": str(s)}})
    task = SamplingTask.objects.create(
        plan=plan or plan_for(producer.region, timezone.localdate()),
        source=source,
        draw_round_id=draw_round_id,
        stratum=stratum or "",
        rank=rank,
        producer=producer,
        product=product,
        due=due,
        notes=notes,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    if samplers:
        task.samplers.set(samplers)
    _event(actor=actor, action="create", from_state="", to_state=TaskStatus.OPEN, task=task, subject="task")
    audit.record_create(actor, task)
    return task


@transaction.atomic
def tasks_from_draw(*, actor, round_id: int, due=None) -> list[SamplingTask]:
    """Create one task per producer selected by a double-random round, with its drawn inspectors as samplers.
    Running it twice creates nothing new."""
    _require_role(actor, SAMPLER_ROLES, _("You may not create sampling tasks."))
    selections = _selections_for_round(round_id)
    if not selections:
        raise ValidationError(_("This draw round selected no producers."))
    # Every drawn producer must lie in the actor's scope: a township's staff may not make tasks from
    # another township's (or the whole district's) round.
    ids = {s["producer_id"] for s in selections}
    if actor is not None and scoped(actor, Producer.objects.filter(pk__in=ids)).count() != len(ids):
        raise ValidationError({"round_id": _("No draw round with this number in your jurisdiction.")})
    from django.contrib.auth import get_user_model

    User = get_user_model()
    producers = Producer.objects.in_bulk([s["producer_id"] for s in selections])
    have = set(SamplingTask.objects.filter(draw_round_id=round_id).values_list("producer_id", flat=True))
    created = []
    for sel in selections:
        producer = producers.get(sel["producer_id"])
        if producer is None:
            raise ValidationError(
                _("The draw selected a producer that no longer exists (id %(id)s).")
                % {"id": sel["producer_id"]}
            )
        if producer.pk in have:
            continue
        samplers = list(User.objects.filter(pk__in=sel.get("inspector_ids") or []))
        created.append(
            task_create(
                actor=actor,
                producer=producer,
                samplers=samplers,
                due=due,
                source=TaskSource.DRAW,
                draw_round_id=round_id,
                stratum=str(sel.get("stratum") or "")[:64],
                rank=sel.get("rank"),
            )
        )
    return created


@transaction.atomic
def task_cancel(*, actor, task: SamplingTask, reason: str) -> SamplingTask:
    _require_role(actor, SAMPLER_ROLES, _("You may not cancel sampling tasks."))
    if task.status != TaskStatus.OPEN:
        raise ValidationError(_("Only an open task can be cancelled."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give a reason.")})
    before = audit.snapshot(task)
    task.status = TaskStatus.CANCELLED
    task.save(update_fields=["status"])
    _event(
        actor=actor,
        action="cancel",
        from_state=TaskStatus.OPEN,
        to_state=TaskStatus.CANCELLED,
        reason=reason,
        task=task,
        subject="task",
    )
    audit.record_update(actor, task, before, reason=reason)
    return task


# ---------------------------------------------------------------- samples
def _next_sample_code(year: int) -> str:
    prefix = f"CY{year}"
    last = (
        Sample.objects.filter(code__startswith=prefix)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    seq = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{seq:05d}"


SAMPLE_FIELDS = [
    "lot",
    "quantity",
    "quantity_unit",
    "place",
    "latitude",
    "longitude",
    "sampled_at",
    "seal_number",
    "party_name",
    "party_confirmed",
    "certificate_number",
    "notes",
]


@transaction.atomic
def sample_register(
    *,
    actor,
    producer: Producer,
    product: ProductCategory,
    task: SamplingTask | None = None,
    base=None,
    photos=(),
    **data,
) -> Sample:
    """Register a sample taken by ``actor``: validates everything first, then writes the sample, its photos,
    the event row and the audit record; a task it fulfils becomes 'sampled'."""
    _require_role(actor, SAMPLER_ROLES, _("Only samplers may register samples."))
    errors: dict[str, str] = {}
    if not scoped(actor, Producer.objects.filter(pk=producer.pk)).exists():
        errors["producer"] = _("This producer is outside your jurisdiction.")
    try:
        quantity = parse_decimal(data.get("quantity"), field_label=_("Quantity"))
        if quantity == 0:
            errors["quantity"] = _("Quantity must be greater than zero.")
        data["quantity"] = quantity
    except ValidationError as e:
        errors["quantity"] = e.messages[0]
    if not (data.get("quantity_unit") or "").strip():
        errors["quantity_unit"] = _("Give the unit of the quantity (e.g. kg).")
    if not (data.get("place") or "").strip():
        errors["place"] = _("Give the place of sampling.")
    sampled_at = data.get("sampled_at")
    if sampled_at is None:
        errors["sampled_at"] = _("Give the sampling time.")
    elif timezone.is_naive(sampled_at):
        sampled_at = data["sampled_at"] = timezone.make_aware(sampled_at)
    if sampled_at is not None and sampled_at > timezone.now() + CLOCK_SKEW:
        errors["sampled_at"] = _("The sampling time lies in the future.")
    elif sampled_at is not None and sampled_at < EARLIEST:
        errors["sampled_at"] = _("The sampling time lies before the year 2000.")
    for key, low, high in (("latitude", -90, 90), ("longitude", -180, 180)):
        v = data.get(key)
        if v not in (None, ""):
            try:
                d = parse_decimal(v, field_label=key, allow_negative=True)
                if not (low <= d <= high):
                    raise ValidationError("")
                data[key] = d
            except ValidationError:
                errors[key] = _("GPS coordinates are out of range.")
        else:
            data[key] = None
    if product.children.exists():
        errors["product"] = _("Choose a specific product, not the group “%(name)s”.") % {"name": product.name}
    if base is not None and base.producer_id != producer.pk:
        errors["base"] = _("This base belongs to another producer.")
    if task is not None:
        if task.status != TaskStatus.OPEN:
            errors["task"] = _("This task is no longer open.")
        elif task.producer_id != producer.pk:
            errors["task"] = _("The task is for another producer.")
    if data.get("party_confirmed") and not (data.get("party_name") or "").strip():
        errors["party_name"] = _("Give the name of the person of the sampled party who confirmed.")
    photo_formats = []
    for f in photos:
        try:
            photo_formats.append(photo_check(f))
        except ValidationError as e:
            errors["photos"] = e.messages[0]
            break
    if errors:
        raise ValidationError(errors)
    fields = {k: data[k] for k in SAMPLE_FIELDS if k in data}
    for k in ("lot", "seal_number", "party_name", "certificate_number", "notes"):
        fields[k] = (fields.get(k) or "").strip()
    fields["party_confirmed"] = bool(fields.get("party_confirmed"))
    local_date = timezone.localtime(sampled_at).date()
    sample = Sample(
        code=_next_sample_code(local_date.year),
        task=task,
        plan=(task.plan if task and task.plan else None) or plan_for(producer.region, local_date),
        producer=producer,
        base=base,
        product=product,
        sector=sector_of(product),
        township=township_of(producer.region),
        sampler=actor,
        party_confirmed_at=sampled_at if fields["party_confirmed"] else None,  # signed on site
        **fields,
    )
    sample.save()
    for f, ext in zip(photos, photo_formats, strict=True):
        _photo_save(sample, f, ext, caption=getattr(f, "name", "") or "")
    _event(actor=actor, action="register", from_state="", to_state=SampleState.REGISTERED, sample=sample)
    audit.record_create(actor, sample)
    if task is not None:
        before = audit.snapshot(task)
        task.status = TaskStatus.SAMPLED
        task.save(update_fields=["status"])
        _event(
            actor=actor,
            action="sample",
            from_state=TaskStatus.OPEN,
            to_state=TaskStatus.SAMPLED,
            task=task,
            subject="task",
        )
        audit.record_update(actor, task, before)
    return sample


@transaction.atomic
def sample_confirm_party(*, actor, sample: Sample, party_name: str) -> Sample:
    """The sampled party signs the sample record (on the sampler's device)."""
    if not (party_name or "").strip():
        raise ValidationError(
            {"party_name": _("Give the name of the person of the sampled party who confirmed.")}
        )
    if sample.party_confirmed:
        raise ValidationError(_("The sampled party has already confirmed this sample."))
    before = audit.snapshot(sample)
    sample.party_name = party_name.strip()
    sample.party_confirmed = True
    sample.party_confirmed_at = timezone.now()
    sample.save(update_fields=["party_name", "party_confirmed", "party_confirmed_at"])
    audit.record_update(actor, sample, before)
    return sample


def current_results(sample: Sample):
    return sample.results.filter(is_current=True)


def roll_up(verdicts) -> str:
    """Sample verdict from its current results: any fail → fail; any not judgeable → not judgeable; else pass."""
    verdicts = list(verdicts)
    if not verdicts:
        return ""
    if Verdict.FAIL in verdicts:
        return Verdict.FAIL
    if Verdict.NOT_JUDGEABLE in verdicts:
        return Verdict.NOT_JUDGEABLE
    return Verdict.PASS


@dataclass(frozen=True)
class Transition:
    """One row of the sample state table: allowed sources, target, who may, what must hold, what follows."""

    name: str
    label: str
    sources: tuple
    target: str
    roles: frozenset
    needs_reason: bool = False
    guard: Callable | None = None
    effect: Callable | None = None


def _guard_submit(actor, sample):
    if not current_results(sample).exists():
        raise ValidationError(_("Enter at least one result before submitting."))


def _guard_verify(actor, sample):
    analysts = set(current_results(sample).values_list("analyst_id", flat=True))
    if not analysts:
        raise ValidationError(_("There are no results to verify."))
    if actor.pk in analysts:
        raise ValidationError(
            _(
                "You entered results of this sample; results must be verified by someone other than their analyst."
            )
        )


def _effect_verify(actor, sample):
    now = timezone.now()
    current_results(sample).update(verified_by=actor, verified_at=now)
    sample.verdict = roll_up(current_results(sample).values_list("verdict", flat=True))
    sample.save(update_fields=["verdict"])
    if sample.verdict == Verdict.FAIL and not UnqualifiedFollowUp.objects.filter(sample=sample).exists():
        follow_up_open(actor=actor, sample=sample)


def _guard_publish(actor, sample):
    if not can_manage(actor):
        raise ValidationError(_("Only the district administration may publish results."))


def _effect_publish(actor, sample):
    sample.published_at = timezone.now()
    sample.save(update_fields=["published_at"])
    payload = {
        "sample": sample.code,
        "producer": sample.producer.code,
        "product": sample.product.name,
        "sampled_at": timezone.localtime(sample.sampled_at).isoformat(),
        "verdict": sample.verdict,
        "results": [
            {
                "analyte": r.analyte,
                "value": str(r.value),
                "unit": r.unit,
                "verdict": r.verdict,
                "limit_mg_kg": None if r.limit_mg_kg is None else str(r.limit_mg_kg),
                "edition": r.edition,
                "analyst": str(r.analyst),
                "verified_by": str(r.verified_by) if r.verified_by_id else "",
            }
            for r in current_results(sample).select_related("analyst", "verified_by")
        ],
    }
    ledger.append(
        kind="monitoring.result", ref=sample.code, payload=payload, actor=actor, region=sample.producer.region
    )


def _effect_cancel(actor, sample):
    if sample.task_id:
        SamplingTask.objects.filter(pk=sample.task_id).update(status=TaskStatus.CANCELLED)


S = SampleState
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition("receive", gettext_lazy("Receive"), (S.REGISTERED,), S.RECEIVED, frozenset(LAB_ROLES)),
        Transition(
            "reject",
            gettext_lazy("Reject the sample"),
            (S.REGISTERED,),
            S.REJECTED,
            frozenset(LAB_ROLES),
            needs_reason=True,
        ),
        Transition(
            "submit",
            gettext_lazy("Submit results"),
            (S.RECEIVED,),
            S.RESULTS_SUBMITTED,
            frozenset(LAB_ROLES),
            guard=_guard_submit,
        ),
        Transition(
            "send_back",
            gettext_lazy("Send back to the lab"),
            (S.RESULTS_SUBMITTED,),
            S.RECEIVED,
            frozenset(LAB_ROLES),
            needs_reason=True,
        ),
        Transition(
            "verify",
            gettext_lazy("Verify"),
            (S.RESULTS_SUBMITTED,),
            S.VERIFIED,
            frozenset(LAB_ROLES),
            guard=_guard_verify,
            effect=_effect_verify,
        ),
        Transition(
            "publish",
            gettext_lazy("Publish"),
            (S.VERIFIED,),
            S.PUBLISHED,
            frozenset(ADMINS),
            guard=_guard_publish,
            effect=_effect_publish,
        ),
        Transition(
            "cancel",
            gettext_lazy("Cancel the sample"),
            (S.REGISTERED, S.RECEIVED, S.RESULTS_SUBMITTED),
            S.CANCELLED,
            frozenset(SAMPLER_ROLES | LAB_ROLES),
            needs_reason=True,
            effect=_effect_cancel,
        ),
    ]
}


ACTION_LABELS = {
    **{name: t.label for name, t in TRANSITIONS.items()},
    "register": gettext_lazy("Register"),
    "create": gettext_lazy("Create"),
    "sample": gettext_lazy("Sampled"),
    "follow_up_open": gettext_lazy("Follow-up opened"),
    "follow_up_close": gettext_lazy("Follow-up handled"),
}
STATE_LABELS = {
    **dict(SampleState.choices),
    **{k: v for k, v in TaskStatus.choices if k not in SampleState.values},
    **dict(FollowUpStatus.choices),
}


def available_transitions(user, sample: Sample) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if sample.state in t.sources and _has_role(user, t.roles)]


# ---------------------------------------------------------------- sample photos
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}  # what Pillow reports → the stored extension


def photo_check(f) -> str:
    """Check an uploaded photo: not empty, at most 10 MB, and a JPEG, PNG or WebP image as Pillow reads it
    (the content decides, not the file name or the declared type). Returns the file extension to store."""
    from PIL import Image

    size = getattr(f, "size", None)
    if not size:
        raise ValidationError(_("The photo is empty."))
    if size > PHOTO_MAX_BYTES:
        raise ValidationError(
            _("The photo is larger than %(max)d MB.") % {"max": PHOTO_MAX_BYTES // (1024 * 1024)}
        )
    fmt = None
    try:
        f.seek(0)
        with Image.open(f) as im:
            fmt = im.format
            im.verify()
    except Exception:  # noqa: BLE001 - whatever Pillow cannot read is not a photo
        fmt = None
    finally:
        f.seek(0)
    if fmt not in PHOTO_FORMATS:
        raise ValidationError(_("The file is not a JPEG, PNG or WebP image."))
    return PHOTO_FORMATS[fmt]


def _photo_save(sample: Sample, f, ext: str, *, caption: str) -> SamplePhoto:
    n = sample.photos.count() + 1
    f.name = f"{sample.code}-{n}.{ext}"  # the stored name follows the content, whatever the upload was called
    return SamplePhoto.objects.create(sample=sample, image=f, caption=(caption or "").strip()[:128])


@transaction.atomic
def sample_photo_add(*, actor, sample: Sample, image, caption: str = "") -> SamplePhoto:
    """Add a photo to a sample in the actor's jurisdiction (samplers, enforcement officers, administrators).
    Checks size and content first (``photo_check``); nothing is stored on error. Audited."""
    _require_role(actor, SAMPLER_ROLES, _("Only samplers may add photos to samples."))
    if not scoped(actor, Sample.objects.filter(pk=sample.pk)).exists():
        raise ValidationError(_("This sample is outside your jurisdiction."))
    if image is None:
        raise ValidationError({"image": _("Choose a photo to upload.")})
    if len((caption or "").strip()) > 128:
        raise ValidationError({"caption": _("The caption is too long (at most 128 characters).")})
    try:
        ext = photo_check(image)
    except ValidationError as e:
        raise ValidationError({"image": e.messages}) from None
    photo = _photo_save(sample, image, ext, caption=caption or getattr(image, "name", "") or "")
    audit.record_create(actor, photo, reason=photo.image.name)
    return photo


@transaction.atomic
def sample_transition(*, actor, sample: Sample, action: str, reason: str = "") -> Sample:
    """Move a sample through the state table; refuses with a clear message and changes nothing otherwise."""
    t = TRANSITIONS.get(action)
    if t is None:
        raise ValidationError(_("Unknown action “%(action)s”.") % {"action": action})
    sample = Sample.objects.select_for_update().get(pk=sample.pk)
    if sample.state not in t.sources:
        raise ValidationError(
            _("A sample that is “%(state)s” cannot do this.") % {"state": sample.get_state_display()}
        )
    if not _has_role(actor, t.roles):
        raise ValidationError(_("Your role may not do this."))
    if t.needs_reason and not (reason or "").strip():
        raise ValidationError({"reason": _("Give a reason.")})
    if t.guard:
        t.guard(actor, sample)
    before = audit.snapshot(sample)
    from_state = sample.state
    sample.state = t.target
    sample.save(update_fields=["state"])
    _event(actor=actor, action=t.name, from_state=from_state, to_state=t.target, reason=reason, sample=sample)
    if t.effect:
        t.effect(actor, sample)
    audit.record_update(actor, sample, before, reason=reason)
    return sample


# ---------------------------------------------------------------- lab results
def get_judge():
    """nongan.standards.services.judge, looked up at call time (the standards app may land later)."""
    fn = None
    for name in ("nongan.standards.services", "nongan.standards.engine"):
        try:
            fn = getattr(importlib.import_module(name), "judge", None)
        except ImportError:
            fn = None
        if fn is not None:
            break
    if fn is None:
        raise ValidationError(_("The judgement engine (residue standards) is not available yet."))
    return fn


RESULT_LABELS = {
    "analyte": "Analyte",
    "value": "Value",
    "unit": "Unit",
    "lod": "Limit of detection",
    "loq": "Limit of quantification",
}


def _clean_result_row(sample: Sample, row: dict) -> dict:
    """Parse and judge one result row; raises ValidationError({field: message})."""
    errors: dict[str, str] = {}
    analyte = (row.get("analyte") or "").strip()
    unit = (row.get("unit") or "").strip()
    if not analyte:
        errors["analyte"] = _("Give the analyte.")
    if not unit:
        errors["unit"] = _("Give the unit of the value (e.g. mg/kg).")
    cleaned: dict[str, Any] = {"analyte": analyte, "unit": unit}
    for key, label in (
        ("value", _("Value")),
        ("lod", _("Limit of detection")),
        ("loq", _("Limit of quantification")),
    ):
        raw = row.get(key)
        if key != "value" and (raw is None or str(raw).strip() == ""):
            cleaned[key] = None
            continue
        try:
            cleaned[key] = parse_decimal(raw, field_label=label)
        except ValidationError as e:
            errors[key] = e.messages[0]
    for key in ("method", "instrument", "correction_reason"):
        cleaned[key] = (row.get(key) or "").strip()
    if errors:
        raise ValidationError(errors)
    judge = get_judge()
    try:
        j = judge(
            food=sample.product.name,
            analyte=analyte,
            value=cleaned["value"],
            unit=unit,
            lod=cleaned["lod"],
            loq=cleaned["loq"],
            on_date=timezone.localtime(sample.sampled_at).date(),
        )
    except ValidationError as e:
        if hasattr(e, "error_dict"):
            raise
        raise ValidationError({"analyte": " ".join(e.messages)}) from None
    cleaned.update(
        verdict=j.verdict,
        reason=(j.reason or "")[:255],
        limit_mg_kg=j.limit_mg_kg,
        value_mg_kg=j.value_mg_kg,
        edition=(j.edition or "")[:64],
        rule=(j.rule or "")[:64],
        rule_detail=(j.rule_detail or "")[:255],
    )
    return cleaned


def _check_result_guard(actor, sample: Sample) -> None:
    _require_role(actor, LAB_ROLES, _("Only lab analysts may enter results."))
    if sample.state == SampleState.CANCELLED:
        raise ValidationError(_("This sample was cancelled; no results can be entered for it."))
    if sample.state != SampleState.RECEIVED:
        raise ValidationError(
            _("Results can be entered only for a sample the lab has received and not yet submitted.")
        )


@transaction.atomic
def results_enter(*, actor, sample: Sample, rows: list[dict], submit: bool = False) -> list[LabResult]:
    """Enter results (one row per analyte), each judged at once; all rows are checked before any is saved.
    A row for an analyte that already has a current result supersedes it (needs a reason)."""
    sample = Sample.objects.select_for_update().get(pk=sample.pk)
    _check_result_guard(actor, sample)
    if not rows:
        raise ValidationError(_("Enter at least one result."))
    errors = []
    cleaned = []
    seen = set()
    current = {r.analyte: r for r in current_results(sample)}
    for row in rows:
        try:
            c = _clean_result_row(sample, row)
            if c["analyte"] in seen:
                raise ValidationError({"analyte": _("This analyte appears twice.")})
            if c["analyte"] in current and not c["correction_reason"]:
                raise ValidationError(
                    {
                        "analyte": _(
                            "This analyte already has a result; enter a retest or correction with its reason instead."
                        )
                    }
                )
            seen.add(c["analyte"])
            cleaned.append(c)
            errors.append({})
        except ValidationError as e:
            errors.append(e.message_dict if hasattr(e, "error_dict") else {"__all__": e.messages})
    if any(errors):
        raise ValidationError({"rows": [_row_error_text(i, e) for i, e in enumerate(errors) if e]})
    created = [_save_result(actor, sample, c, supersedes=current.get(c["analyte"])) for c in cleaned]
    if submit:
        sample_transition(actor=actor, sample=sample, action="submit")
    return created


def _row_error_text(index: int, err: dict) -> str:
    parts = []
    for msgs in err.values():
        parts.extend(msgs if isinstance(msgs, list) else [msgs])
    return _("row %(row)d: %(msg)s") % {"row": index + 1, "msg": " ".join(str(p) for p in parts)}


def _save_result(actor, sample, c: dict, supersedes: LabResult | None = None) -> LabResult:
    if supersedes is not None:
        LabResult.objects.filter(pk=supersedes.pk).update(is_current=False)
    r = LabResult.objects.create(sample=sample, analyst=actor, supersedes=supersedes, is_current=True, **c)
    audit.record_create(actor, r, reason=c.get("correction_reason", ""))
    return r


@transaction.atomic
def result_correct(*, actor, result: LabResult, reason: str, **row) -> LabResult:
    """A retest or correction: a new row linked to (and superseding) the old one; the old row is kept."""
    if not (reason or "").strip():
        raise ValidationError({"correction_reason": _("Give the reason for the retest or correction.")})
    sample = Sample.objects.select_for_update().get(pk=result.sample_id)
    _check_result_guard(actor, sample)
    result.refresh_from_db()
    if not result.is_current:
        raise ValidationError(_("This result has already been superseded."))
    data = {
        "analyte": result.analyte,
        "unit": result.unit,
        "method": result.method,
        "instrument": result.instrument,
        "lod": result.lod,
        "loq": result.loq,
    }
    data.update(row)
    data["analyte"] = result.analyte
    data["correction_reason"] = reason.strip()
    c = _clean_result_row(sample, data)
    return _save_result(actor, sample, c, supersedes=result)


# ---------------------------------------------------------------- unqualified results
def _certificate_hook():
    try:
        mod = importlib.import_module("nongan.certificates.services")
    except ImportError:
        return None
    return getattr(mod, "certificate_promise_contradicted", None)


def follow_up_open(*, actor, sample: Sample) -> UnqualifiedFollowUp:
    """Open the handling of an unqualified sample: notice to the township, key-target flag, certificate hook."""
    from nongan.registry.services import producer_flag_key_target

    failing = ", ".join(
        current_results(sample).filter(verdict=Verdict.FAIL).values_list("analyte", flat=True)
    )
    notice = _(
        "Sample %(code)s of %(product)s from %(producer)s, taken on %(date)s, is unqualified (%(analytes)s). "
        "Trace the lot, check the producer's records and report the measures taken."
    ) % {
        "code": sample.code,
        "product": sample.product.name,
        "producer": sample.producer.name,
        "date": timezone.localtime(sample.sampled_at).date().isoformat(),
        "analytes": failing,
    }
    fu = UnqualifiedFollowUp.objects.create(
        sample=sample, township=sample.township, notice=notice, noticed_at=timezone.now()
    )
    reason = _("Unqualified sample %(code)s (%(analytes)s)") % {"code": sample.code, "analytes": failing}
    producer_flag_key_target(actor=actor, producer=sample.producer, reason=reason)
    fu.key_target_flagged = True
    hook = _certificate_hook()
    if sample.certificate_number and hook is not None:
        # The hook returns None when no certificate has that number: then nothing was flagged.
        fu.certificate_flagged = (
            hook(actor=actor, number=sample.certificate_number, sample_code=sample.code) is not None
        )
    fu.save(update_fields=["key_target_flagged", "certificate_flagged"])
    _event(
        actor=actor,
        action="follow_up_open",
        from_state="",
        to_state=FollowUpStatus.OPEN,
        sample=sample,
        subject="follow_up",
    )
    audit.record_create(actor, fu)
    return fu


def _check_follow_up_actor(actor, fu: UnqualifiedFollowUp) -> None:
    _require_role(actor, FOLLOW_UP_ROLES, _("Your role may not handle unqualified results."))
    if not actor.is_superuser and not in_jurisdiction(actor, fu.sample.producer.region):
        raise ValidationError(_("This producer is outside your jurisdiction."))


@transaction.atomic
def follow_up_update(
    *, actor, follow_up: UnqualifiedFollowUp, trace_note=None, measures=None, case_number=None
) -> UnqualifiedFollowUp:
    _check_follow_up_actor(actor, follow_up)
    before = audit.snapshot(follow_up)
    for key, value in (("trace_note", trace_note), ("measures", measures), ("case_number", case_number)):
        if value is not None:
            setattr(follow_up, key, value.strip())
    follow_up.save()
    audit.record_update(actor, follow_up, before)
    return follow_up


@transaction.atomic
def follow_up_close(*, actor, follow_up: UnqualifiedFollowUp) -> UnqualifiedFollowUp:
    """Mark as handled: needs the trace and the measures taken."""
    _check_follow_up_actor(actor, follow_up)
    follow_up = UnqualifiedFollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if follow_up.status != FollowUpStatus.OPEN:
        raise ValidationError(_("This follow-up is already handled."))
    errors = {}
    if not follow_up.trace_note.strip():
        errors["trace_note"] = _("Record the trace to the producer's records first.")
    if not follow_up.measures.strip():
        errors["measures"] = _("Record the measures taken first.")
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(follow_up)
    follow_up.status = FollowUpStatus.HANDLED
    follow_up.handled_by = actor
    follow_up.handled_at = timezone.now()
    follow_up.save()
    _event(
        actor=actor,
        action="follow_up_close",
        from_state=FollowUpStatus.OPEN,
        to_state=FollowUpStatus.HANDLED,
        sample=follow_up.sample,
        subject="follow_up",
    )
    audit.record_update(actor, follow_up, before)
    return follow_up


# ---------------------------------------------------------------- rapid tests
def false_positive_risk(product: ProductCategory, method: str) -> bool:
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


def _find_product(value) -> ProductCategory | None:
    from nongan.registry.services import category_by_name

    if isinstance(value, ProductCategory):
        return value
    s = str(value or "").strip()
    return ProductCategory.objects.filter(code=s).first() or category_by_name(s)


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
            if isinstance(producer_ref, Producer)
            else Producer.objects.filter(code=str(producer_ref).strip()).first()
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


@transaction.atomic
def sale_hold_release(*, actor, hold: SaleHold, reason: str) -> SaleHold:
    _require_role(actor, FOLLOW_UP_ROLES, _("Your role may not release a held lot."))
    if hold.status != HoldStatus.HELD:
        raise ValidationError(_("This lot is not held."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give a reason.")})
    before = audit.snapshot(hold)
    hold.status = HoldStatus.RELEASED
    hold.released_at = timezone.now()
    hold.release_reason = reason.strip()[:255]
    hold.save()
    audit.record_update(actor, hold, before, reason=reason)
    return hold
