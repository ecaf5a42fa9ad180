"""The handling of unqualified samples (follow-ups): opened on a failed verdict, updated, closed
(``FOLLOW_UP_WORKFLOW``: open → handled)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nongan.core import audit, ledger, versions
from nongan.core.scoping import in_jurisdiction
from nongan.core.workflow import Transition, Workflow
from nongan.standards.choices import Flag

from ..choices import FollowUpStatus, Verdict
from ..events import certified_sample_failed
from ..models import Sample, UnqualifiedFollowUp
from .common import FOLLOW_UP_ROLES, _event, _require_role, current_results

BANNED_DETECTED = Flag.BANNED_DETECTED.value


def follow_up_open(*, actor, sample: Sample) -> UnqualifiedFollowUp:
    """Open the handling of an unqualified sample: notice to the township, key-target flag, and the event
    ``certified_sample_failed`` when the sample names its lot's certificate."""
    from nongan.registry.services import producer_flag_key_target

    results = current_results(sample)
    failing = ", ".join(
        list(results.filter(verdict=Verdict.FAIL).values_list("analyte", flat=True))
        + [
            _("%(analyte)s: banned substance detected (违禁检出)") % {"analyte": a}
            for a in results.exclude(verdict=Verdict.FAIL)
            .filter(flags__contains=BANNED_DETECTED)
            .values_list("analyte", flat=True)
        ]
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
    _ledger(actor, fu, "monitoring.follow_up_opened", {"notice": fu.notice})
    return fu


def _ledger(actor, fu: UnqualifiedFollowUp, kind: str, payload: dict) -> None:
    ledger.append(
        kind=kind,
        ref=fu.sample.code,
        payload={"sample": fu.sample.code, **payload},
        actor=actor,
        region=fu.sample.producer.region,
        records=[UnqualifiedFollowUp.objects.get(pk=fu.pk)],
    )


def _ledger_entry(step, result: dict) -> dict:
    payload = {"sample": step.obj.sample.code, "from_state": step.source, "to_state": step.target}
    if step.reason:
        payload["reason"] = step.reason
    if step.action != "reject_close":
        payload.update(
            trace_note=step.obj.trace_note, measures=step.obj.measures, case_number=step.obj.case_number
        )
    return {"ref": step.obj.sample.code, "payload": payload, "region": step.obj.sample.producer.region}


def _check_follow_up_actor(actor, fu: UnqualifiedFollowUp) -> None:
    _require_role(actor, FOLLOW_UP_ROLES, _("Your role may not handle unqualified results."))
    if not actor.is_superuser and not in_jurisdiction(actor, fu.sample.producer.region):
        raise ValidationError(_("This producer is outside your jurisdiction."))


# Measures taken, as a proposal to close states them: at least this many letters, digits or characters.
MIN_MEASURES_CHARS = 10


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
    if UnqualifiedFollowUp.objects.filter(pk=follow_up.pk, status=FollowUpStatus.PROPOSED).exists():
        raise ValidationError(
            _(
                "Closing has been proposed: the record cannot change while it is reviewed; the reviewer may "
                "send it back."
            )
        )
    before = audit.snapshot(follow_up)
    for key, value in (("trace_note", trace_note), ("measures", measures), ("case_number", case_number)):
        if value is not None:
            setattr(follow_up, key, value.strip())
    follow_up.save()
    if audit.record_update(actor, follow_up, before) is not None:
        _ledger(
            actor,
            follow_up,
            "monitoring.follow_up_updated",
            {
                "trace_note": follow_up.trace_note,
                "measures": follow_up.measures,
                "case_number": follow_up.case_number,
            },
        )
    return follow_up


def _guard_propose(actor, fu: UnqualifiedFollowUp, ctx) -> None:
    """A proposal to close states the trace and real measures (not "." or "已处理")."""
    errors = {}
    if not fu.trace_note.strip():
        errors["trace_note"] = _("Record the trace to the producer's records first.")
    if sum(ch.isalnum() for ch in fu.measures) < MIN_MEASURES_CHARS:
        errors["measures"] = _(
            "Describe the measures taken (at least %(n)s characters, saying what was done)."
        ) % {"n": MIN_MEASURES_CHARS}
    if errors:
        raise ValidationError(errors)


def _effect_propose(actor, fu: UnqualifiedFollowUp, ctx) -> None:
    fu.proposed_by = actor if getattr(actor, "pk", None) else None
    fu.proposed_at = timezone.now()
    fu.save(update_fields=["proposed_by", "proposed_at"])


def _second_person(actor, fu: UnqualifiedFollowUp) -> None:
    if fu.proposed_by_id is not None and fu.proposed_by_id == getattr(actor, "pk", None):
        raise ValidationError(_("The closing must be approved by someone other than its proposer."))


def _guard_close(actor, fu: UnqualifiedFollowUp, ctx) -> None:
    if fu.status == FollowUpStatus.OPEN:
        raise ValidationError(_("One person proposes closing first; another approves it."))
    _second_person(actor, fu)


def _guard_reject(actor, fu: UnqualifiedFollowUp, ctx) -> None:
    _second_person(actor, fu)


def _effect_close(actor, fu: UnqualifiedFollowUp, ctx) -> None:
    fu.handled_by = actor
    fu.handled_at = timezone.now()
    fu.save(update_fields=["handled_by", "handled_at"])


def _effect_reject(actor, fu: UnqualifiedFollowUp, ctx) -> None:
    fu.proposed_by = None
    fu.proposed_at = None
    fu.save(update_fields=["proposed_by", "proposed_at"])


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
            "propose_close",
            gettext_lazy("Propose closing"),
            (FollowUpStatus.OPEN,),
            FollowUpStatus.PROPOSED,
            guard=_guard_propose,
            effect=_effect_propose,
            refusal=gettext_lazy("This follow-up is “%(state)s”: closing cannot be proposed now."),
            ledger_kind="monitoring.follow_up_proposed",
        ),
        Transition(
            "close",
            gettext_lazy("Approve closing"),
            (FollowUpStatus.OPEN, FollowUpStatus.PROPOSED),
            FollowUpStatus.HANDLED,
            guard=_guard_close,
            effect=_effect_close,
            refusal=gettext_lazy("This follow-up is already handled."),
            ledger_kind="monitoring.follow_up_closed",
        ),
        Transition(
            "reject_close",
            gettext_lazy("Send the closing back"),
            (FollowUpStatus.PROPOSED,),
            FollowUpStatus.OPEN,
            needs_reason=True,
            destructive=True,
            guard=_guard_reject,
            effect=_effect_reject,
            refusal=gettext_lazy("This follow-up is “%(state)s”: there is no proposal to send back."),
            ledger_kind="monitoring.follow_up_reopened",
        ),
    ],
    record_event=_record_event,
    ledger=_ledger_entry,
    permission=_check_follow_up_actor,
)


def follow_up_propose_close(*, actor, follow_up: UnqualifiedFollowUp) -> UnqualifiedFollowUp:
    """Propose closing (four eyes, first pair): needs the trace and the measures taken; the record is then
    frozen until a second person approves or sends it back."""
    return FOLLOW_UP_WORKFLOW.run(actor=actor, obj=follow_up, action="propose_close")


def follow_up_close(*, actor, follow_up: UnqualifiedFollowUp) -> UnqualifiedFollowUp:
    """Approve a proposed closing (four eyes, second pair): anyone of the follow-up roles of the producer's
    jurisdiction but the proposer — a district administrator where a township has one supervisor."""
    return FOLLOW_UP_WORKFLOW.run(actor=actor, obj=follow_up, action="close")


def follow_up_reject_close(*, actor, follow_up: UnqualifiedFollowUp, reason: str) -> UnqualifiedFollowUp:
    """Send a proposed closing back (open again), with the reason."""
    return FOLLOW_UP_WORKFLOW.run(actor=actor, obj=follow_up, action="reject_close", reason=reason)
