"""State changes of an issued certificate: revocation (``CERTIFICATE_WORKFLOW`` on the core workflow runner),
and the promise contradicted by a failed sample (a flag and an event, not a state)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nongan.core import audit, ledger
from nongan.core.workflow import Transition, Workflow

from ..choices import CertificateStatus
from ..models import Certificate, CertificateEvent
from .common import _require_act_for
from .lookup import certificate_by_number


def _permission(actor, c: Certificate) -> None:
    _require_act_for(actor, c.producer)


def _effect_revoke(actor, c: Certificate, ctx) -> None:
    c.revoked_at = timezone.now()
    c.revoke_reason = ctx["reason"][:255]
    c.save(update_fields=["revoked_at", "revoke_reason"])


def _record_event(step) -> None:
    CertificateEvent.objects.create(
        certificate=step.obj,
        kind=EVENT_KINDS[step.action],
        from_status=step.source,
        to_status=step.target,
        reason=step.reason,
        actor=step.actor if getattr(step.actor, "pk", None) else None,
    )


def _ledger_entry(step, result: dict) -> dict:
    c = step.obj
    return {
        "ref": c.number,
        "payload": {"number": c.number, "reason": step.reason},
        "region": c.producer.region,
    }


# The certificate's event row names the step by what happened to it.
EVENT_KINDS = {"revoke": "revoked"}
CERTIFICATE_WORKFLOW = Workflow(
    model=Certificate,
    field="status",
    transitions=[
        Transition(
            "revoke",
            gettext_lazy("Revoke"),
            (CertificateStatus.VALID,),
            CertificateStatus.REVOKED,
            needs_reason=True,
            destructive=True,
            effect=_effect_revoke,
            ledger_kind="certificate.revoke",
            confirm=gettext_lazy(
                "Scanning this certificate will show it revoked from now on: revoking cannot be undone, and the "
                "reason is written to the ledger."
            ),
            refusal=gettext_lazy("This certificate is already revoked."),
            reason_refusal=gettext_lazy("Give the reason for the change."),
        ),
    ],
    record_event=_record_event,
    ledger=_ledger_entry,
    permission=_permission,
    wrong_state=gettext_lazy("A certificate that is %(status)s cannot be changed this way."),
    select_related=("producer",),
)
# The certificate's transitions by name.
TRANSITIONS = CERTIFICATE_WORKFLOW.transitions


def certificate_revoke(*, actor, certificate: Certificate, reason: str) -> Certificate:
    """Revoke a certificate (wrong data, lot withdrawn); it stays on record, verification shows it revoked."""
    c = CERTIFICATE_WORKFLOW.run(actor=actor, obj=certificate, action="revoke", reason=reason)
    certificate.revoked_at, certificate.revoke_reason = c.revoked_at, c.revoke_reason
    return c


@transaction.atomic
def certificate_promise_contradicted(*, actor, number: str, sample_code: str) -> Certificate | None:
    """A sample of a certified lot failed (承诺与抽检结果不符): mark the certificate and make its issuer a
    key supervision target. Called by the monitoring app when it opens the follow-up of an unqualified
    sample; returns the certificate, or None (and changes nothing) when the sample's certificate number is
    mistyped or unknown, so the monitoring follow-up is not blocked by it."""
    from nongan.registry.services import producer_flag_key_target

    try:
        c = certificate_by_number(number)
    except ValidationError:
        return None
    c = Certificate.objects.select_for_update().get(pk=c.pk)
    if c.contradicted_by == sample_code:
        return c
    before = audit.snapshot(c)
    c.contradicted_by = sample_code[:64]
    c.save(update_fields=["contradicted_by"])
    reason = _("Promise contradicted by the unqualified sample %(sample)s (certificate %(number)s).") % {
        "sample": sample_code,
        "number": c.number,
    }
    CertificateEvent.objects.create(
        certificate=c, kind="contradicted", reason=reason, actor=actor if getattr(actor, "pk", None) else None
    )
    audit.record_update(actor, c, before, reason=reason)
    ledger.append(
        kind="certificate.contradicted",
        ref=c.number,
        payload={"number": c.number, "sample": sample_code},
        actor=actor,
        region=c.producer.region,
        records=[c],
    )
    producer_flag_key_target(actor=actor, producer=c.producer, reason=reason)
    return c
