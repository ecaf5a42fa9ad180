"""Issue certificates: the gates (intervals, substances, producer status, quantities, the linked test
record), the signed token, the event rows, audit and one ledger entry per issue."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from nongan.core import audit, ledger
from nongan.monitoring import selectors as monitoring

from .. import qrsign
from ..choices import INDIVIDUAL_TYPES, PROMISE_TEXT, Basis, PromiseForm
from ..models import Certificate, CertificateEvent, ProductionBatch
from .batches import certified_quantity, harvested_quantity, issue_blockers
from .common import _decimal, _require_act_for, _unit
from .keys import active_signer
from .numbering import _district_code, allocate_numbers

if TYPE_CHECKING:
    from nongan.registry.models import Producer

MAX_BATCH_ISSUE = 10000
PAYLOAD_PRODUCT_CHARS = 16


def _payload(signer: qrsign.Signer, c: Certificate) -> qrsign.Payload:
    local = timezone.localtime(c.issued_at)
    return qrsign.Payload(
        kid=signer.kid,
        number=c.number,
        product=c.product_name[:PAYLOAD_PRODUCT_CHARS],
        quantity=format(c.quantity.normalize(), "f"),
        unit=c.unit,
        origin=c.origin.code,
        issued=f"{local:%Y%m%d}",
        issuer=c.producer.code,
    )


def _create_certificates(*, actor, signer, template: dict, count: int, parents=None) -> list[Certificate]:
    producer = template["producer"]
    year = timezone.localtime(template["issued_at"]).year
    numbers = allocate_numbers(_district_code(producer), year, count)
    certs = []
    for number in numbers:
        c = Certificate(number=number, kid=signer.kid, **template)
        c.token = signer.token(_payload(signer, c))
        certs.append(c)
    Certificate.objects.bulk_create(certs, batch_size=1000)
    certs = list(
        Certificate.objects.filter(number__in=numbers)
        .select_related("producer", "origin", "product", "batch__product", "issued_by")
        .order_by("number")
    )
    actor_user = actor if getattr(actor, "pk", None) else None
    CertificateEvent.objects.bulk_create(
        [CertificateEvent(certificate=c, kind="issued", to_status=c.status, actor=actor_user) for c in certs],
        batch_size=1000,
    )
    audit.record_create_many(actor, certs)
    # One ledger entry per issue: the common content and, per certificate, its number and the
    # SHA-256 of its signed token (ref = the number, or "first…last" for a batch issue).
    first = certs[0]
    ledger.append(
        region=producer.region,
        kind="certificate.issue",
        ref=first.number if len(certs) == 1 else f"{first.number}…{certs[-1].number}",
        payload={
            "producer": producer.code,
            "product": first.product_name,
            "quantity": str(first.quantity),
            "unit": first.unit,
            "origin": first.origin.code,
            "issued_at": first.issued_at.isoformat(),
            "basis": first.basis,
            **({"basis_sample": first.basis_sample.code} if first.basis_sample_id else {}),
            **({"basis_rapid_test": first.basis_rapid_test_id} if first.basis_rapid_test_id else {}),
            "batch": first.batch.code if first.batch_id else None,
            "parents": parents or [],
            "kid": first.kid,
            "certificates": [[c.number, hashlib.sha256(c.token.encode()).hexdigest()] for c in certs],
        },
        actor=actor,
        records=certs,
    )
    return certs


def _promise_fields(
    producer: Producer, promise_form: str, basis: str, test_record: str, promiser: str, contact: str
):
    errors = {}
    if promise_form not in PromiseForm.values:
        errors["promise_form"] = _("Choose the producer or the buyer form of the promise.")
    if basis not in Basis.values:
        errors["basis"] = _("Choose the basis of the promise.")
    if errors:
        raise ValidationError(errors)
    return {
        "promise_form": promise_form,
        "promise_text": PROMISE_TEXT[promise_form],
        "basis": basis,
        "test_record": (test_record or "").strip()[:255],
        "promiser": (
            promiser or (producer.legal_rep if producer.type in INDIVIDUAL_TYPES else producer.name)
        )[:128],
        "contact": (contact or producer.phone)[:32],
    }


TESTED_BASES = (Basis.SELF_TEST, Basis.ENTRUSTED_TEST)


def _record_fits(found, field: str, label: str, product, issued_at: dt.datetime) -> None:
    """The test record is of the certificate's product (or a product inside a declared mixture) and was
    made within ``NONGAN_BASIS_MAX_DAYS`` days before the issue."""
    if product is not None and not found.product.path.startswith(product.path):
        raise ValidationError(
            {
                field: _(
                    "%(record)s is of %(record_product)s, not of this certificate's product %(product)s."
                )
                % {"record": label, "record_product": found.product.name, "product": product.name}
            }
        )
    days = settings.NONGAN_BASIS_MAX_DAYS
    if not issued_at - dt.timedelta(days=days) <= found.tested_at <= issued_at:
        raise ValidationError(
            {
                field: _(
                    "%(record)s was not made within the %(days)s days before the issue and cannot back this promise."
                )
                % {"record": label, "days": days}
            }
        )


def _basis_records(
    actor, producer: Producer, basis: str, basis_sample, basis_rapid_test, product=None, issued_at=None
) -> dict:
    """Check the test record a 自行检测合格 / 委托检测合格 promise needs: present, same producer, in the actor's
    scope, a pass (a verified or published qualified sample, or a negative rapid test), of the same product
    and made within ``NONGAN_BASIS_MAX_DAYS`` days before the issue."""
    issued_at = issued_at or timezone.now()
    if basis_sample in (None, "") and basis_rapid_test in (None, ""):
        if basis in TESTED_BASES:
            raise ValidationError(
                {
                    "basis": _(
                        "A self-test or lab-test basis needs its test record: enter the number of a qualified "
                        "sample or of a negative rapid test."
                    )
                }
            )
        return {"basis_sample": None, "basis_rapid_test": None}
    if basis not in TESTED_BASES:
        raise ValidationError(
            {"basis": _("A test record can only be linked to a self-test or lab-test basis.")}
        )
    if basis_sample not in (None, "") and basis_rapid_test not in (None, ""):
        raise ValidationError({"basis_sample": _("Link either a sample or a rapid test, not both.")})
    if basis_sample not in (None, ""):
        found = monitoring.qualified_sample_for_basis(actor, basis_sample)
        if found is None:
            raise ValidationError({"basis_sample": _("No sample with this number in your scope.")})
        if found.producer_id != producer.pk:
            raise ValidationError({"basis_sample": _("This sample was taken from another producer.")})
        if not found.qualified:
            raise ValidationError(
                {
                    "basis_sample": _(
                        "Sample %(code)s is not a verified qualified result (%(verdict)s) and cannot back the promise."
                    )
                    % {"code": found.record.code, "verdict": found.status}
                }
            )
        _record_fits(
            found, "basis_sample", _("Sample %(code)s") % {"code": found.record.code}, product, issued_at
        )
        return {"basis_sample": found.record, "basis_rapid_test": None}
    found = monitoring.negative_rapid_test_for_basis(actor, basis_rapid_test)
    if found is None:
        raise ValidationError({"basis_rapid_test": _("No rapid test with this number in your scope.")})
    if found.producer_id != producer.pk:
        raise ValidationError({"basis_rapid_test": _("This rapid test was made for another producer.")})
    if not found.qualified:
        raise ValidationError(
            {
                "basis_rapid_test": _("Rapid test %(id)s is %(outcome)s and cannot back the promise.")
                % {"id": found.record.pk, "outcome": found.status}
            }
        )
    _record_fits(
        found, "basis_rapid_test", _("Rapid test %(id)s") % {"id": found.record.pk}, product, issued_at
    )
    return {"basis_sample": None, "basis_rapid_test": found.record}


@transaction.atomic
def certificate_issue(
    *,
    actor,
    batch: ProductionBatch,
    quantity,
    unit: str,
    count: int = 1,
    basis: str = Basis.CONTROL,
    test_record: str = "",
    promiser: str = "",
    contact: str = "",
    issued_at: dt.datetime | None = None,
    is_demo: bool = False,
    basis_sample=None,
    basis_rapid_test=None,
) -> list[Certificate]:
    """Issue ``count`` certificates of ``quantity`` each for a production batch (one per package or
    vehicle). Refused, with every reason, inside a pre-harvest interval or withdrawal period, after
    a banned or restricted input, or when the producer's status forbids it."""
    producer = batch.producer
    _require_act_for(actor, producer)
    # The batch row is locked before its certified total is read: concurrent issues for one batch take
    # turns until each commits, so together they never certify more than was harvested.
    batch = (
        ProductionBatch.objects.select_for_update(of=("self",))
        .select_related("producer__region", "product", "origin")
        .get(pk=batch.pk)
    )
    producer = batch.producer
    issued_at = issued_at or timezone.now()
    errors: dict[str, list[str]] = {}
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= MAX_BATCH_ISSUE:
        errors["count"] = [_("Issue between 1 and %(max)s certificates at once.") % {"max": MAX_BATCH_ISSUE}]
    try:
        quantity = _decimal(quantity, "quantity")
        unit = _unit(unit)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    records = {}
    try:
        records = _basis_records(
            actor, producer, basis, basis_sample, basis_rapid_test, batch.product, issued_at
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    blockers = issue_blockers(batch, timezone.localtime(issued_at).date())
    if blockers:
        errors["__all__"] = blockers
    if not errors:
        harvested = harvested_quantity(batch, unit)
        if harvested is not None:
            wanted = quantity * count
            already = certified_quantity(batch, unit)
            if already + wanted > harvested:
                errors["quantity"] = [
                    _(
                        "Quantities do not add up: %(wanted)s %(unit)s asked, %(already)s %(unit)s already certified, "
                        "%(harvested)s %(unit)s harvested."
                    )
                    % {"wanted": wanted, "already": already, "harvested": harvested, "unit": unit}
                ]
    if errors:
        raise ValidationError(errors)
    template = {
        "producer": producer,
        "batch": batch,
        "product": batch.product,
        "product_name": batch.product.name,
        "quantity": quantity,
        "unit": unit,
        "origin": batch.origin,
        "issued_at": issued_at,
        "is_demo": is_demo,
        "issued_by": actor if getattr(actor, "pk", None) else None,
        **_promise_fields(producer, PromiseForm.PRODUCER, basis, test_record, promiser, contact),
        **records,
    }
    return _create_certificates(actor=actor, signer=active_signer(), template=template, count=count)


@transaction.atomic
def certificates_mark_printed(*, actor, certificates) -> None:
    ids = [c.pk for c in certificates]
    Certificate.objects.filter(pk__in=ids).update(print_count=F("print_count") + 1)
    actor_user = actor if getattr(actor, "pk", None) else None
    CertificateEvent.objects.bulk_create(
        [CertificateEvent(certificate_id=i, kind="printed", actor=actor_user) for i in ids]
    )
