"""Market checks: an incoming lot with or without a valid certificate number."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nongan.core import audit, ledger
from nongan.core.choices import Role
from nongan.core.scoping import in_jurisdiction
from nongan.core.workflow import Transition, Workflow

from .. import qrsign
from ..choices import FAILED_CHECKS, CertificateStatus, CheckResult, ProposalStatus
from ..models import Certificate, KeyTargetProposal, MarketCheck
from .common import _decimal, _unit
from .lookup import certificate_by_number

if TYPE_CHECKING:
    from nongan.registry.models import Producer


@dataclass(frozen=True)
class MarketPreview:
    """What a market check would record for a number or scanned text: the result and the certificate found."""

    result: str  # CheckResult
    number: str  # normalised ("" when none was given)
    certificate: Certificate | None = None
    problem: str = ""  # why the certificate is invalid (unknown number, forged signature), for the checker


def market_check_preview(number: str) -> MarketPreview:
    """The certificate a typed number or a scanned QR text names, and the result a check would record — shown
    to the checker before anything is saved. A typed number whose check character does not match (a typing
    error, as /v/ recognises it) or that is not a certificate number at all is a ``ValidationError`` on
    ``number``: a typo is never recorded against a seller as an invalid certificate. A well-formed number no
    certificate has, or a QR whose signature fails, is an invalid certificate."""
    text = (number or "").strip()
    if not text:
        return MarketPreview(CheckResult.MISSING, "")
    if "/v/" not in text:  # typed (or a scanner that gives the number only)
        n = qrsign.normalize_number(text)
        if not re.fullmatch(r"[0-9]{16}[0-9A-Z]", n):
            raise ValidationError(
                {
                    "number": _(
                        "“%(number)s” is not a certificate number: it has 16 digits and a check character "
                        "(17 characters). Check it and enter it again; nothing was saved."
                    )
                    % {"number": text[:40]}
                }
            )
        if not qrsign.number_is_valid(n):
            raise ValidationError(
                {
                    "number": _(
                        "The certificate number %(number)s does not match its check character: a character "
                        "was probably mistyped. Check it and enter it again; nothing was saved."
                    )
                    % {"number": n}
                }
            )
        text = n
    try:
        cert = certificate_by_number(text)
    except ValidationError as exc:
        shown = text if len(text) <= 40 else ""
        return MarketPreview(CheckResult.INVALID, shown, problem=" ".join(exc.messages))
    result = CheckResult.VALID if cert.status == CertificateStatus.VALID else CheckResult.REVOKED
    return MarketPreview(result, cert.number, cert)


@transaction.atomic
def market_check_record(
    *,
    actor,
    region,
    market: str,
    product_name: str,
    number: str = "",
    quantity=None,
    unit: str = "",
    seller: Producer | None = None,
    seller_name: str = "",
    note: str = "",
    checked_at: dt.datetime | None = None,
    is_demo: bool = False,
) -> MarketCheck:
    """Record an incoming lot at a market. No number → "missing"; a number (or scanned QR) that is unknown or
    forged → "invalid", revoked → "revoked"; a mistyped number is refused (``market_check_preview``). A failed
    check of a known producer proposes it as a key supervision target (``KeyTargetProposal``); only a supervisor
    of that producer's jurisdiction accepts it."""
    if actor is not None and not (actor.is_superuser or in_jurisdiction(actor, region)):
        raise ValidationError({"region": _("This region is outside your jurisdiction.")})
    errors = {}
    if not (market or "").strip():
        errors["market"] = _("Name the market.")
    if not (product_name or "").strip():
        errors["product_name"] = _("Name the product.")
    q = None
    if quantity not in (None, ""):
        try:
            q = _decimal(quantity, "quantity")
            unit = _unit(unit)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    number = (number or "").strip()
    preview = market_check_preview(number)  # a mistyped number: refused here, nothing written
    cert, result = preview.certificate, preview.result
    if cert is not None:
        seller = seller or cert.producer
    check = MarketCheck.objects.create(
        region=region,
        market=market.strip()[:128],
        checked_at=checked_at or timezone.now(),
        product_name=product_name.strip()[:64],
        quantity=q,
        unit=unit if q is not None else "",
        number_entered=(preview.number or number)[:40],
        certificate=cert,
        seller=seller,
        seller_name=(seller_name or "")[:128],
        result=result,
        note=(note or "")[:255],
        checker=actor if getattr(actor, "pk", None) else None,
        is_demo=is_demo,
    )
    audit.record_create(actor, check)
    if result in FAILED_CHECKS and seller is not None:
        reason = _("Market check at %(market)s: %(result)s (%(product)s).") % {
            "market": check.market,
            "result": check.get_result_display(),
            "product": check.product_name,
        }
        proposal = KeyTargetProposal.objects.create(
            market_check=check, producer=seller, reason=str(reason)[:255]
        )
        audit.record_create(actor, proposal)
    else:
        proposal = None
    ledger.append(
        kind="certificate.market_check",
        ref=check.number_entered or f"MC{check.pk}",
        payload={
            "market": check.market,
            "product": check.product_name,
            "number": check.number_entered,
            "result": check.result,
            "seller": seller.code if seller is not None else check.seller_name,
            "proposal": proposal.pk if proposal is not None else None,
        },
        actor=actor,
        region=region,
        records=[MarketCheck.objects.get(pk=check.pk)]
        + ([KeyTargetProposal.objects.get(pk=proposal.pk)] if proposal is not None else []),
    )
    return check


DECIDERS = frozenset({Role.TOWNSHIP_SUPERVISOR, Role.DISTRICT_ADMIN, Role.PROVINCE_ADMIN})


def _check_decider(actor, proposal: KeyTargetProposal) -> None:
    """Only a supervisor (or administrator) of the producer's own jurisdiction decides."""
    if actor is None or not (actor.is_superuser or actor.role in DECIDERS):
        raise ValidationError(_("Your role may not do this."))
    if not actor.is_superuser and not in_jurisdiction(actor, proposal.producer.region):
        raise ValidationError(_("This producer is outside your jurisdiction."))


def _effect_accept(actor, proposal: KeyTargetProposal, ctx) -> None:
    from nongan.registry.services import producer_flag_key_target

    proposal.decided_by = actor if getattr(actor, "pk", None) else None
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["decided_by", "decided_at"])
    producer_flag_key_target(actor=actor, producer=proposal.producer, reason=proposal.reason)


def _effect_reject(actor, proposal: KeyTargetProposal, ctx) -> None:
    proposal.decided_by = actor if getattr(actor, "pk", None) else None
    proposal.decided_at = timezone.now()
    proposal.decision_reason = ctx["reason"].strip()[:255]
    proposal.save(update_fields=["decided_by", "decided_at", "decision_reason"])


KEY_TARGET_WORKFLOW = Workflow(
    model=KeyTargetProposal,
    field="status",
    transitions=[
        Transition(
            "accept",
            gettext_lazy("Accept: key target, tier C"),
            (ProposalStatus.PROPOSED,),
            ProposalStatus.ACCEPTED,
            effect=_effect_accept,
            ledger_kind="certificate.key_target_accepted",
        ),
        Transition(
            "reject",
            gettext_lazy("Reject"),
            (ProposalStatus.PROPOSED,),
            ProposalStatus.REJECTED,
            needs_reason=True,
            destructive=True,
            effect=_effect_reject,
            ledger_kind="certificate.key_target_rejected",
        ),
    ],
    permission=_check_decider,
    wrong_state=gettext_lazy("This proposal is already decided (%(state)s)."),
    ledger=lambda step, result: {
        "ref": step.obj.producer.code,
        "payload": {
            "market_check": step.obj.market_check_id,
            "producer": step.obj.producer.code,
            "decision": step.target,
            **({"reason": step.reason} if step.reason else {}),
        },
        "region": step.obj.producer.region,
    },
)


def key_target_proposal_accept(*, actor, proposal: KeyTargetProposal) -> KeyTargetProposal:
    """Accept a market check's proposal: the producer becomes a key supervision target, tier C."""
    return KEY_TARGET_WORKFLOW.run(actor=actor, obj=proposal, action="accept")


def key_target_proposal_reject(*, actor, proposal: KeyTargetProposal, reason: str) -> KeyTargetProposal:
    """Reject a market check's proposal, with the reason; the producer is unchanged."""
    return KEY_TARGET_WORKFLOW.run(actor=actor, obj=proposal, action="reject", reason=reason)
