"""The handling of unqualified samples (follow-ups): opened on a failed verdict, updated, closed
(``FOLLOW_UP_WORKFLOW``: open → handled)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nongan.core import audit, versions
from nongan.core.scoping import in_jurisdiction
from nongan.core.workflow import Transition, Workflow

from ..choices import FollowUpStatus, Verdict
from ..events import certified_sample_failed
from ..models import Sample, UnqualifiedFollowUp
from .common import FOLLOW_UP_ROLES, _event, _require_role, current_results


def follow_up_open(*, actor, sample: Sample) -> UnqualifiedFollowUp:
    """Open the handling of an unqualified sample: notice to the township, key-target flag, and the event
    ``certified_sample_failed`` when the sample names its lot's certificate."""
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
    if sample.certificate_number:
        # Receivers (the certificates app) answer None when no certificate has that number: nothing flagged.
        answers = certified_sample_failed.send(
            actor=actor, number=sample.certificate_number, sample_code=sample.code
        )
        fu.certificate_flagged = any(answer is not None for answer in answers)
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
    *,
    actor,
    follow_up: UnqualifiedFollowUp,
    trace_note=None,
    measures=None,
    case_number=None,
    expected_version=None,
) -> UnqualifiedFollowUp:
    _check_follow_up_actor(actor, follow_up)
    versions.expect(follow_up, expected_version)
    before = audit.snapshot(follow_up)
    for key, value in (("trace_note", trace_note), ("measures", measures), ("case_number", case_number)):
        if value is not None:
            setattr(follow_up, key, value.strip())
    follow_up.save()
    audit.record_update(actor, follow_up, before)
    return follow_up


def _guard_close(actor, fu: UnqualifiedFollowUp, ctx) -> None:
    errors = {}
    if not fu.trace_note.strip():
        errors["trace_note"] = _("Record the trace to the producer's records first.")
    if not fu.measures.strip():
        errors["measures"] = _("Record the measures taken first.")
    if errors:
        raise ValidationError(errors)


def _effect_close(actor, fu: UnqualifiedFollowUp, ctx) -> None:
    fu.handled_by = actor
    fu.handled_at = timezone.now()
    fu.save(update_fields=["handled_by", "handled_at"])


def _record_event(step) -> None:
    _event(
        actor=step.actor,
        action=f"follow_up_{step.action}",
        from_state=step.source,
        to_state=step.target,
        reason=step.reason,
        sample=step.obj.sample,
        subject="follow_up",
    )


FOLLOW_UP_WORKFLOW = Workflow(
    model=UnqualifiedFollowUp,
    field="status",
    transitions=[
        Transition(
            "close",
            gettext_lazy("Mark as handled"),
            (FollowUpStatus.OPEN,),
            FollowUpStatus.HANDLED,
            guard=_guard_close,
            effect=_effect_close,
            refusal=gettext_lazy("This follow-up is already handled."),
        ),
    ],
    record_event=_record_event,
    permission=_check_follow_up_actor,
)


def follow_up_close(*, actor, follow_up: UnqualifiedFollowUp) -> UnqualifiedFollowUp:
    """Mark as handled: needs the trace and the measures taken."""
    return FOLLOW_UP_WORKFLOW.run(actor=actor, obj=follow_up, action="close")
