"""Samples: registration, the sampled party's confirmation, and ``SAMPLE_WORKFLOW``, the sample's
states and transitions (guards and effects) on the core workflow runner."""

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nongan.core import audit
from nongan.core.scoping import can_manage
from nongan.core.workflow import Transition, Workflow
from nongan.registry import selectors as registry

from ..choices import FollowUpStatus, SampleState, TaskStatus, Verdict
from ..models import Sample, SamplingTask, UnqualifiedFollowUp
from ..numbering import SAMPLE
from .common import (
    ADMINS,
    CLOCK_SKEW,
    EARLIEST,
    LAB_ROLES,
    SAMPLER_ROLES,
    _event,
    _require_role,
    animal_fields,
    current_results,
    parse_decimal,
    roll_up,
    sector_of,
    township_of,
)
from .followups import BANNED_DETECTED, follow_up_open
from .photos import _photo_save, photo_check
from .plans import plan_for
from .tasks import TASK_WORKFLOW

if TYPE_CHECKING:
    from nongan.registry.models import Producer, ProductCategory

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
    producer: "Producer",
    product: "ProductCategory",
    task: SamplingTask | None = None,
    base=None,
    photos=(),
    co_samplers=(),
    **data,
) -> Sample:
    """Register a sample taken by ``actor``: validates everything first, then writes the sample, its photos,
    the event row and the audit record; a task it fulfils becomes 'sampled'."""
    _require_role(actor, SAMPLER_ROLES, _("Only samplers may register samples."))
    errors: dict[str, str] = {}
    if not registry.producer_in_scope(actor, producer):
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
    co_samplers = [u for u in co_samplers if u.pk != getattr(actor, "pk", None)]
    for u in co_samplers:
        if not (u.is_active and (u.is_superuser or u.role in SAMPLER_ROLES)):
            errors["co_samplers"] = _("%(name)s is not a sampler.") % {"name": str(u)}
        elif (
            not u.is_superuser
            and u.jurisdiction_id
            and not (
                producer.region.path.startswith(u.jurisdiction.path)
                or u.jurisdiction.path.startswith(producer.region.path)
            )
        ):
            errors["co_samplers"] = _("%(name)s works outside this producer's region.") % {"name": str(u)}
    animal = animal_fields(
        data.pop("species", None),
        data.pop("tissue", None),
        data.pop("fat_content", None),
        product=product,
        errors=errors,
    )
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
        code=SAMPLE.next(year=local_date.year),
        task=task,
        plan=(task.plan if task and task.plan else None) or plan_for(producer.region, local_date),
        producer=producer,
        base=base,
        product=product,
        sector=sector_of(product),
        township=township_of(producer.region),
        sampler=actor,
        party_confirmed_at=sampled_at if fields["party_confirmed"] else None,  # signed on site
        **animal,
        **fields,
    )
    sample.save()
    if co_samplers:
        sample.co_samplers.set(co_samplers)
    for f, ext in zip(photos, photo_formats, strict=True):
        _photo_save(sample, f, ext, caption=getattr(f, "name", "") or "")
    _event(actor=actor, action="register", from_state="", to_state=SampleState.REGISTERED, sample=sample)
    audit.record_create(actor, sample)  # with its co-samplers (set above)
    if task is not None:
        TASK_WORKFLOW.run(actor=actor, obj=task, action="sample")
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


def _guard_submit(actor, sample, ctx):
    if not current_results(sample).exists():
        raise ValidationError(_("Enter at least one result before submitting."))


def _guard_verify(actor, sample, ctx):
    analysts = set(current_results(sample).values_list("analyst_id", flat=True))
    if not analysts:
        raise ValidationError(_("There are no results to verify."))
    if actor.pk in analysts:
        raise ValidationError(
            _(
                "You entered results of this sample; results must be verified by someone other than their analyst."
            )
        )


def _effect_verify(actor, sample, ctx):
    now = timezone.now()
    current_results(sample).update(verified_by=actor, verified_at=now)
    sample.verdict = roll_up(current_results(sample).values_list("verdict", flat=True))
    sample.save(update_fields=["verdict"])
    # A failing sample, or a banned substance detected even within its limit (违禁检出), is followed up.
    flagged = current_results(sample).filter(flags__contains=BANNED_DETECTED).exists()
    if (sample.verdict == Verdict.FAIL or flagged) and not UnqualifiedFollowUp.objects.filter(
        sample=sample
    ).exists():
        follow_up_open(actor=actor, sample=sample)


def _guard_publish(actor, sample, ctx):
    if not can_manage(actor):
        raise ValidationError(_("Only the district administration may publish results."))


def _effect_publish(actor, sample, ctx) -> dict:
    """Publish: the time, and the ledger entry's payload (the results as published)."""
    sample.published_at = timezone.now()
    sample.save(update_fields=["published_at"])
    return {
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


def _guard_cancel(actor, sample, ctx):
    if sample.results.exists():
        raise ValidationError(
            _(
                "Results have been entered for this sample: it cannot be cancelled, only voided by a district "
                "administrator with a reason."
            )
        )


def _guard_void(actor, sample, ctx):
    if not can_manage(actor):
        raise ValidationError(_("Only a district administrator may void a sample."))


def _effect_void(actor, sample, ctx) -> dict:
    """A voided sample ends its task; a failing result keeps (or opens) its follow-up; the ledger entry
    carries the results as they stood."""
    task = sample.task
    if task is not None and task.status != TaskStatus.CANCELLED:
        TASK_WORKFLOW.run(actor=actor, obj=task, action="sample_cancelled", reason=ctx["reason"])
    results = list(current_results(sample).select_related("analyst", "verified_by"))
    failing = any(r.verdict == Verdict.FAIL for r in results) or sample.verdict == Verdict.FAIL
    if failing and not UnqualifiedFollowUp.objects.filter(sample=sample).exists():
        follow_up_open(actor=actor, sample=sample)
    return {
        "sample": sample.code,
        "producer": sample.producer.code,
        "product": sample.product.name,
        "reason": ctx["reason"],
        "verdict": sample.verdict,
        "results": [
            {"analyte": r.analyte, "value": str(r.value), "unit": r.unit, "verdict": r.verdict}
            for r in results
        ],
    }


def _effect_cancel(actor, sample, ctx):
    """A cancelled sample ends the task it was taken for."""
    task = sample.task
    if task is not None and task.status != TaskStatus.CANCELLED:
        TASK_WORKFLOW.run(actor=actor, obj=task, action="sample_cancelled", reason=ctx["reason"])


def _record_event(step) -> None:
    _event(
        actor=step.actor,
        action=step.action,
        from_state=step.source,
        to_state=step.target,
        reason=step.reason,
        sample=step.obj,
    )


def _ledger_entry(step, result: dict) -> dict:
    if step.action == "void":
        result = {**result, "from_state": step.source}
    elif step.action != "publish":
        result = {
            **result,
            "sample": step.obj.code,
            "from_state": step.source,
            "to_state": step.target,
            **({"reason": step.reason} if step.reason else {}),
        }
    entry = {"ref": step.obj.code, "payload": result, "region": step.obj.producer.region}
    if step.action == "verify":  # the results carry who verified them and when
        entry["records"] = list(current_results(step.obj).order_by("pk"))
    return entry


S = SampleState
SAMPLE_WORKFLOW = Workflow(
    model=Sample,
    field="state",
    transitions=[
        Transition(
            "receive",
            gettext_lazy("Receive"),
            (S.REGISTERED,),
            S.RECEIVED,
            frozenset(LAB_ROLES),
            ledger_kind="monitoring.received",
        ),
        Transition(
            "reject",
            gettext_lazy("Reject the sample"),
            (S.REGISTERED,),
            S.REJECTED,
            frozenset(LAB_ROLES),
            needs_reason=True,
            destructive=True,
            ledger_kind="monitoring.rejected",
        ),
        Transition(
            "submit",
            gettext_lazy("Submit results"),
            (S.RECEIVED,),
            S.RESULTS_SUBMITTED,
            frozenset(LAB_ROLES),
            guard=_guard_submit,
            ledger_kind="monitoring.submitted",
        ),
        Transition(
            "send_back",
            gettext_lazy("Send back to the lab"),
            (S.RESULTS_SUBMITTED,),
            S.RECEIVED,
            frozenset(LAB_ROLES),
            needs_reason=True,
            destructive=True,
            ledger_kind="monitoring.sent_back",
        ),
        Transition(
            "verify",
            gettext_lazy("Verify"),
            (S.RESULTS_SUBMITTED,),
            S.VERIFIED,
            frozenset(LAB_ROLES),
            guard=_guard_verify,
            effect=_effect_verify,
            ledger_kind="monitoring.verified",
        ),
        Transition(
            "publish",
            gettext_lazy("Publish"),
            (S.VERIFIED,),
            S.PUBLISHED,
            frozenset(ADMINS),
            guard=_guard_publish,
            effect=_effect_publish,
            ledger_kind="monitoring.result",
            confirm=gettext_lazy(
                "The verdict and the results become public and are written to the ledger: publishing cannot be "
                "undone (only voided, with a reason, which stays visible)."
            ),
        ),
        Transition(
            "cancel",
            gettext_lazy("Cancel the sample"),
            (S.REGISTERED, S.RECEIVED, S.RESULTS_SUBMITTED),
            S.CANCELLED,
            frozenset(SAMPLER_ROLES | LAB_ROLES),
            needs_reason=True,
            destructive=True,
            guard=_guard_cancel,
            effect=_effect_cancel,
            ledger_kind="monitoring.cancelled",
        ),
        Transition(
            "void",
            gettext_lazy("Void the sample"),
            (S.RECEIVED, S.RESULTS_SUBMITTED, S.VERIFIED, S.PUBLISHED),
            S.VOIDED,
            frozenset(ADMINS),
            needs_reason=True,
            destructive=True,
            guard=_guard_void,
            effect=_effect_void,
            ledger_kind="monitoring.void",
            confirm=gettext_lazy(
                "The sample and its results stop counting: voiding cannot be undone, and the reason stays "
                "visible on the sample and in the ledger."
            ),
        ),
    ],
    record_event=_record_event,
    ledger=_ledger_entry,
    wrong_state=gettext_lazy("A sample that is “%(state)s” cannot do this."),
)
# The sample's transitions by name (the API's action choices).
TRANSITIONS = SAMPLE_WORKFLOW.transitions


ACTION_LABELS = {
    **{name: t.label for name, t in TRANSITIONS.items()},
    "register": gettext_lazy("Register"),
    "create": gettext_lazy("Create"),
    "sample": TASK_WORKFLOW["sample"].label,
    "sample_cancelled": TASK_WORKFLOW["sample_cancelled"].label,
    "assign": TASK_WORKFLOW["assign"].label,
    "follow_up_open": gettext_lazy("Follow-up opened"),
    "follow_up_close": gettext_lazy("Follow-up handled"),
}
STATE_LABELS = {
    **dict(SampleState.choices),
    **{k: v for k, v in TaskStatus.choices if k not in SampleState.values},
    **dict(FollowUpStatus.choices),
}


def available_transitions(user, sample: Sample) -> list[Transition]:
    """What ``user`` may do with ``sample`` now: the buttons of the sample's page (no "cancel" once a
    result is entered: such a sample is only voided)."""
    found = SAMPLE_WORKFLOW.available(user, sample)
    if any(t.name == "cancel" for t in found) and sample.results.exists():
        found = [t for t in found if t.name != "cancel"]
    return found


def sample_transition(*, actor, sample: Sample, action: str, reason: str = "") -> Sample:
    """Move a sample through its workflow; refuses with a clear message and changes nothing otherwise."""
    return SAMPLE_WORKFLOW.run(actor=actor, obj=sample, action=action, reason=reason)
