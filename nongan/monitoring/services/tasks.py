"""Sampling tasks: by hand, from a double-random draw, cancelled, a sampler assigned; ``TASK_WORKFLOW`` moves
their status (open → sampled when a sample is registered for the task, open → cancelled by hand, → cancelled
when the task's sample is cancelled; "assign" is a step open → open that adds a sampler and "unassign" one that
removes one (with a reason), so that they run on the
same runner: row lock, role and guard checks, event row, audit of the samplers before → after)."""

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nongan.core import audit
from nongan.core.workflow import Transition, Workflow
from nongan.registry import selectors as registry

from ..choices import TaskSource, TaskStatus
from ..models import SamplingTask
from . import common
from .common import ADMINS, SAMPLER_ROLES, _event, _require_role
from .plans import plan_for

if TYPE_CHECKING:
    from nongan.registry.models import Producer


def _record_event(step) -> None:
    _event(
        actor=step.actor,
        action=step.action,
        from_state=step.source,
        to_state=step.target,
        reason=step.reason,
        task=step.obj,
        subject="task",
    )


def _guard_assign(actor, task, ctx):
    """The task must be the actor's to manage, and the sampler an active sampler whose area covers the
    task's producer (a sampler of the district, of the producer's township or of its village)."""
    if not registry.producer_in_scope(actor, task.producer):
        raise ValidationError(_("This task is outside your jurisdiction."))
    sampler = ctx.get("sampler")
    if sampler is None:
        raise ValidationError({"sampler": _("Choose a sampler.")})
    if not (sampler.is_active and (sampler.is_superuser or sampler.role in SAMPLER_ROLES)):
        raise ValidationError({"sampler": _("%(name)s is not a sampler.") % {"name": str(sampler)}})
    region = task.producer.region
    if not sampler.is_superuser and not (
        sampler.jurisdiction_id and region.path.startswith(sampler.jurisdiction.path)
    ):
        raise ValidationError(
            {"sampler": _("%(name)s works outside this producer's region.") % {"name": str(sampler)}}
        )
    if task.samplers.filter(pk=sampler.pk).exists():
        raise ValidationError(
            {"sampler": _("%(name)s is already assigned to this task.") % {"name": str(sampler)}}
        )


def _effect_assign(actor, task, ctx):
    task.samplers.add(ctx["sampler"])


def _guard_unassign(actor, task, ctx):
    """The task must be the actor's to manage and ``sampler`` one of its samplers."""
    if not registry.producer_in_scope(actor, task.producer):
        raise ValidationError(_("This task is outside your jurisdiction."))
    sampler = ctx.get("sampler")
    if sampler is None:
        raise ValidationError({"sampler": _("Choose a sampler.")})
    if not task.samplers.filter(pk=sampler.pk).exists():
        raise ValidationError(
            {"sampler": _("%(name)s is not assigned to this task.") % {"name": str(sampler)}}
        )


def _effect_unassign(actor, task, ctx):
    task.samplers.remove(ctx["sampler"])


T = TaskStatus
TASK_WORKFLOW = Workflow(
    model=SamplingTask,
    field="status",
    transitions=[
        # sample_register: a sample was taken for the task (its own role and jurisdiction checks apply).
        Transition(
            "sample",
            gettext_lazy("Sampled"),
            (T.OPEN,),
            T.SAMPLED,
            internal=True,
            refusal=gettext_lazy("This task is no longer open."),
        ),
        Transition(
            "cancel",
            gettext_lazy("Cancel the task"),
            (T.OPEN,),
            T.CANCELLED,
            roles=frozenset(SAMPLER_ROLES),
            needs_reason=True,
            destructive=True,
            refusal=gettext_lazy("Only an open task can be cancelled."),
            role_refusal=gettext_lazy("You may not cancel sampling tasks."),
        ),
        # A sampler joins an open task (the administration assigns the tasks nobody holds): the status stays.
        Transition(
            "assign",
            gettext_lazy("Assign a sampler"),
            (T.OPEN,),
            T.OPEN,
            roles=frozenset(ADMINS),
            guard=_guard_assign,
            effect=_effect_assign,
            refusal=gettext_lazy("Only an open task can be assigned."),
            role_refusal=gettext_lazy("You may not assign samplers to tasks."),
        ),
        # A sampler leaves an open task (ill, moved to other work): the task stays open, back on the list of
        # tasks without a sampler if it was the last one.
        Transition(
            "unassign",
            gettext_lazy("Remove the sampler"),
            (T.OPEN,),
            T.OPEN,
            roles=frozenset(ADMINS),
            needs_reason=True,
            guard=_guard_unassign,
            effect=_effect_unassign,
            refusal=gettext_lazy("Only an open task's samplers can be changed."),
            role_refusal=gettext_lazy("You may not remove samplers from tasks."),
        ),
        # The sample taken for the task was cancelled (by the sampler or the lab): the task ends with it.
        Transition(
            "sample_cancelled",
            gettext_lazy("Cancelled with its sample"),
            (T.OPEN, T.SAMPLED),
            T.CANCELLED,
            internal=True,
        ),
    ],
    record_event=_record_event,
)


@transaction.atomic
def task_create(
    *,
    actor,
    producer: "Producer",
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
        if not registry.producer_in_scope(actor, producer):
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
    selections = common._selections_for_round(round_id)  # at call time: tests replace it on common
    if not selections:
        raise ValidationError(_("This draw round selected no producers."))
    # Every drawn producer must lie in the actor's scope: a township's staff may not make tasks from
    # another township's (or the whole district's) round.
    ids = {s["producer_id"] for s in selections}
    if actor is not None and registry.producers_in_scope(actor).filter(pk__in=ids).count() != len(ids):
        raise ValidationError({"round_id": _("No draw round with this number in your jurisdiction.")})
    from django.contrib.auth import get_user_model

    User = get_user_model()
    producers = registry.producers().in_bulk([s["producer_id"] for s in selections])
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


def task_cancel(*, actor, task: SamplingTask, reason: str) -> SamplingTask:
    """Cancel an open task (samplers, enforcement officers, administrators), with a reason."""
    _require_role(actor, SAMPLER_ROLES, _("You may not cancel sampling tasks."))
    return TASK_WORKFLOW.run(actor=actor, obj=task, action="cancel", reason=reason)


def task_assign(*, actor, task: SamplingTask, sampler) -> SamplingTask:
    """Assign ``sampler`` to the open ``task`` (administrators, within their jurisdiction); refuses with a
    clear message and changes nothing otherwise."""
    return TASK_WORKFLOW.run(actor=actor, obj=task, action="assign", sampler=sampler)


def task_unassign(*, actor, task: SamplingTask, sampler, reason: str) -> SamplingTask:
    """Take ``sampler`` off the open ``task`` (administrators, within their jurisdiction), with a reason: an
    event row and the audit of the samplers before → after; refuses with a clear message and changes nothing
    otherwise."""
    return TASK_WORKFLOW.run(actor=actor, obj=task, action="unassign", sampler=sampler, reason=reason)
