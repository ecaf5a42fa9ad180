"""State changes of an issued certificate: revocation, and the promise contradicted by a failed sample."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nongan.core import audit, ledger

from ..choices import CertificateStatus
from ..models import Certificate, CertificateEvent
from .common import _require_act_for
from .lookup import certificate_by_number

TRANSITIONS = {
    # (from, to): guard description; effects are in the service functions
    (CertificateStatus.VALID, CertificateStatus.REVOKED): "revoke"
}


def _transition(actor, c: Certificate, to: str, reason: str, kind: str) -> None:
    if (c.status, to) not in TRANSITIONS:
        raise ValidationError(
            _("A certificate that is %(status)s cannot be changed this way.")
            % {"status": c.get_status_display()}
        )
    CertificateEvent.objects.create(
        certificate=c,
        kind=kind,
        from_status=c.status,
        to_status=to,
        reason=reason,
        actor=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic
def certificate_revoke(*, actor, certificate: Certificate, reason: str) -> Certificate:
    """Revoke a certificate (wrong data, lot withdrawn); it stays on record, verification shows it revoked."""
    c = Certificate.objects.select_for_update().get(pk=certificate.pk)
    _require_act_for(actor, c.producer)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the change.")})
    if c.status == CertificateStatus.REVOKED:
        raise ValidationError(_("This certificate is already revoked."))
    before = audit.snapshot(c)
    _transition(actor, c, CertificateStatus.REVOKED, reason, "revoked")
    c.status = CertificateStatus.REVOKED
    c.revoked_at = timezone.now()
    c.revoke_reason = reason[:255]
    c.save(update_fields=["status", "revoked_at", "revoke_reason"])
    audit.record_update(actor, c, before, reason=reason)
    ledger.append(
        kind="certificate.revoke",
        ref=c.number,
        payload={"number": c.number, "reason": reason},
        actor=actor,
        region=c.producer.region,
    )
    certificate.status, certificate.revoked_at, certificate.revoke_reason = (
        c.status,
        c.revoked_at,
        c.revoke_reason,
    )
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
    )
    producer_flag_key_target(actor=actor, producer=c.producer, reason=reason)
    return c
