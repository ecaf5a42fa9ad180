"""Every write of the certificates app: production records, issue with its gates, revocation, scans,
collections with quantity-conserving lineage, market checks. Atomic, validated, audited."""

import datetime as dt
import hashlib
import json
import math
import os
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from nongan.core import audit, ledger
from nongan.core.choices import REGISTRY_EDITOR_ROLES, Role
from nongan.core.scoping import in_jurisdiction, scoped
from nongan.registry.choices import ProducerType
from nongan.registry.models import Producer

from . import keystore, qrsign
from .choices import (
    FAILED_CHECKS,
    INDIVIDUAL_TYPES,
    INTERVAL_KINDS,
    MASS_IN_KG,
    PROMISE_TEXT,
    Basis,
    BatchStatus,
    CertificateStatus,
    CheckResult,
    HarvestKind,
    InputKind,
    PromiseForm,
    ScanResult,
    Unit,
)
from .models import (
    Certificate,
    CertificateEvent,
    Collection,
    HarvestEvent,
    InputUse,
    Lineage,
    MarketCheck,
    NumberSequence,
    ProductionBatch,
    Scan,
    SigningKey,
)
from .substances import substance_status

# An input use entered more than this many days after its date needs a reason (no silent back-dating).
LATE_ENTRY_DAYS = 3
# Retention of production records and certificates, in years (DOMAIN.md: ≥ 2 years).
RETENTION_YEARS = 2
# Counterfeit signals: more scans than the quantity explains, or scans too far apart too fast.
SCANS_BASE = 20
SCANS_PER_KG = Decimal("0.2")  # one consumer pack of 5 kg
SCANS_PER_PIECE = 3
IMPLAUSIBLE_KMH = 200
IMPLAUSIBLE_MIN_KM = 100
MAX_PLACES_PER_DAY = 5
MAX_BATCH_ISSUE = 10000
PAYLOAD_PRODUCT_CHARS = 16
QUANT = Decimal("0.01")

TRANSITIONS = {
    # (from, to): guard description; effects are in the service functions
    (CertificateStatus.VALID, CertificateStatus.REVOKED): "revoke",
}


def public_base_url() -> str:
    return (
        getattr(settings, "NONGAN_PUBLIC_URL", None)
        or os.environ.get("NONGAN_PUBLIC_URL")
        or "http://127.0.0.1:8000"
    )


# ================================================================ permissions
def may_act_for(actor, producer: Producer) -> bool:
    """The producer's own account, or a registry editor (district, township, village) whose
    jurisdiction contains the producer; ``None`` is the system (demo, imports)."""
    if actor is None:
        return True
    if not actor.is_authenticated or not actor.is_active:
        return False
    if actor.is_superuser:
        return True
    if actor.role == Role.PRODUCER:
        return actor.producer_id == producer.pk
    if actor.role in REGISTRY_EDITOR_ROLES:
        return in_jurisdiction(actor, producer.region)
    return False


def _require_act_for(actor, producer: Producer) -> None:
    if not may_act_for(actor, producer):
        raise ValidationError(_("You may not record data for this producer."))


def _decimal(value, field: str, *, positive: bool = True, allow_zero: bool = False) -> Decimal:
    try:
        d = Decimal(str(value)).quantize(QUANT)
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: _("Enter a number.")}) from None
    if not d.is_finite() or d < 0 or (positive and not allow_zero and d == 0):
        raise ValidationError({field: _("Enter a quantity greater than zero.")})
    return d


def _unit(value: str, field: str = "unit") -> str:
    if value not in Unit.values:
        raise ValidationError({field: _("Unknown unit.")})
    return value


def convert(quantity: Decimal, unit: str, to_unit: str) -> Decimal | None:
    """Quantity in another unit (mass units convert; others only to themselves); None if impossible."""
    if unit == to_unit:
        return quantity
    if unit in MASS_IN_KG and to_unit in MASS_IN_KG:
        return (quantity * Decimal(str(MASS_IN_KG[unit])) / Decimal(str(MASS_IN_KG[to_unit]))).quantize(QUANT)
    return None


# ================================================================ signing keys
def _new_kid() -> str:
    today = timezone.localdate()
    base = f"k{today:%y%m%d}"
    n = SigningKey.objects.filter(kid__startswith=base).count()
    return base + (chr(ord("a") + n) if n < 26 else str(n))


@transaction.atomic
def signing_key_rotate(*, actor) -> SigningKey:
    """Create a new active Ed25519 key and retire the current one (which stays published)."""
    now = timezone.now()
    for old in SigningKey.objects.select_for_update().filter(active=True):
        before = audit.snapshot(old)
        old.active = False
        old.retired = now
        old.save(update_fields=["active", "retired"])
        audit.record_update(actor, old, before, reason="rotate")
    raw = qrsign.generate_private_key()
    kid = _new_kid()
    key = SigningKey.objects.create(
        kid=kid,
        public_key=qrsign.b64u_encode(qrsign.public_key_of(raw)),
        private_key_encrypted=keystore.encrypt_private(raw, kid),
        active=True,
    )
    audit.record_create(actor, key)
    _forget_keys()
    transaction.on_commit(_forget_keys)
    transaction.on_commit(lambda: public_keys_write())
    return key


def active_signer() -> qrsign.Signer:
    key = SigningKey.objects.filter(active=True).order_by("-created").first()
    if key is None:
        key = signing_key_rotate(actor=None)
    return qrsign.Signer(key.kid, keystore.decrypt_private(key.private_key_encrypted, key.kid))


def public_keys() -> dict:
    """The JWK set published at /v/keys.json: every key ever used, active or retired."""
    return {
        "issuer": "农安 Nongan",
        "format": "nongan-cert-qr-v1",
        "keys": [
            qrsign.jwk(
                k.kid,
                qrsign.b64u_decode(k.public_key),
                status="active" if k.active else "retired",
                created=k.created.isoformat(),
                retired=k.retired.isoformat() if k.retired else None,
            )
            for k in SigningKey.objects.order_by("created")
        ],
    }


_KEYS_CACHE: dict = {"keys": None, "at": 0.0}
KEYS_CACHE_SECONDS = 60


def public_keys_map(*, kid: str | None = None) -> dict[str, bytes]:
    """{kid: public key}, cached in the process for a minute (reloaded at once for an unknown kid)."""
    import time

    cached = _KEYS_CACHE["keys"]
    fresh = time.monotonic() - _KEYS_CACHE["at"] < KEYS_CACHE_SECONDS
    if cached is not None and fresh and (kid is None or kid in cached):
        return cached
    keys = {k: qrsign.b64u_decode(v) for k, v in SigningKey.objects.values_list("kid", "public_key")}
    _KEYS_CACHE.update(keys=keys, at=time.monotonic())
    return keys


def _token_kid(token: str) -> str | None:
    try:
        return qrsign.decode_payload(qrsign.b64u_decode(token)[:-64]).kid
    except (ValueError, UnicodeDecodeError):
        return None


def _forget_keys() -> None:
    _KEYS_CACHE.update(keys=None, at=0.0)


def public_keys_write(path: Path | None = None) -> Path:
    """Write the JWK set to VAR_DIR/keys/public-keys.json (what `nongan verify-qr` reads by default)."""
    path = path or Path(settings.VAR_DIR) / "keys" / "public-keys.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(public_keys(), ensure_ascii=False, indent=2), encoding="utf-8")
    return path


# ================================================================ production records
def _batch_code(producer: Producer) -> str:
    prefix = f"B{producer.code[-8:]}{timezone.localdate():%y}"
    n = ProductionBatch.objects.filter(code__startswith=prefix).count() + 1
    code = f"{prefix}{n:04d}"
    while ProductionBatch.objects.filter(code=code).exists():
        n += 1
        code = f"{prefix}{n:04d}"
    return code


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
def input_use_update(*, actor, use: InputUse, reason: str, **data) -> InputUse:
    """Correct an input record; the reason is required and goes into the audit log with before → after."""
    _require_act_for(actor, use.batch.producer)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the change.")})
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
        for name in {use.active_ingredient.strip(), use.product_name.strip()} - {""}:
            status = substance_status(name, batch.product)
            if status == "banned":
                problems.append(_("%(input)s is a banned substance.") % {"input": name})
            elif status == "restricted":
                problems.append(
                    _("%(input)s may not be used on %(food)s.") % {"input": name, "food": batch.product.name}
                )
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
    if batch.status == BatchStatus.GROWING:
        before = audit.snapshot(batch)
        batch.status = BatchStatus.HARVESTED
        batch.save(update_fields=["status"])
        audit.record_update(actor, batch, before)
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


# ================================================================ certificates
def _district_code(producer: Producer) -> str:
    return producer.region.code[:6]


def allocate_numbers(district: str, year: int, count: int) -> list[str]:
    """``count`` new certificate numbers (locks the district/year sequence row)."""
    NumberSequence.objects.get_or_create(district=district, year=year)
    seq = NumberSequence.objects.select_for_update().get(district=district, year=year)
    first = seq.last + 1
    seq.last += count
    seq.save(update_fields=["last"])
    return [qrsign.make_number(district, year, first + i) for i in range(count)]


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


def _basis_records(actor, producer: Producer, basis: str, basis_sample, basis_rapid_test) -> dict:
    """Check the test record linked to a 自行检测合格 / 委托检测合格 promise: same producer, in the actor's
    scope, and a pass (a verified or published qualified sample, or a negative rapid test)."""
    from nongan.monitoring.choices import RapidOutcome, SampleState, Verdict
    from nongan.monitoring.models import RapidTest, Sample

    if basis_sample in (None, "") and basis_rapid_test in (None, ""):
        return {"basis_sample": None, "basis_rapid_test": None}
    if basis not in TESTED_BASES:
        raise ValidationError(
            {"basis": _("A test record can only be linked to a self-test or lab-test basis.")}
        )
    if basis_sample not in (None, "") and basis_rapid_test not in (None, ""):
        raise ValidationError({"basis_sample": _("Link either a sample or a rapid test, not both.")})
    if basis_sample not in (None, ""):
        sample = basis_sample
        if not isinstance(sample, Sample):
            sample = scoped(actor, Sample.objects.all()).filter(code=str(sample).strip().upper()).first()
        elif not scoped(actor, Sample.objects.filter(pk=sample.pk)).exists():
            sample = None
        if sample is None:
            raise ValidationError({"basis_sample": _("No sample with this number in your scope.")})
        if sample.producer_id != producer.pk:
            raise ValidationError({"basis_sample": _("This sample was taken from another producer.")})
        if sample.verdict != Verdict.PASS or sample.state not in (
            SampleState.VERIFIED,
            SampleState.PUBLISHED,
        ):
            raise ValidationError(
                {
                    "basis_sample": _(
                        "Sample %(code)s is not a verified qualified result (%(verdict)s) and cannot back the promise."
                    )
                    % {
                        "code": sample.code,
                        "verdict": sample.get_verdict_display() or sample.get_state_display(),
                    }
                }
            )
        return {"basis_sample": sample, "basis_rapid_test": None}
    rapid = basis_rapid_test
    if not isinstance(rapid, RapidTest):
        try:
            rapid_pk = int(str(rapid).strip())
        except (TypeError, ValueError):
            rapid_pk = None
        rapid = scoped(actor, RapidTest.objects.all()).filter(pk=rapid_pk).first() if rapid_pk else None
    elif not scoped(actor, RapidTest.objects.filter(pk=rapid.pk)).exists():
        rapid = None
    if rapid is None:
        raise ValidationError({"basis_rapid_test": _("No rapid test with this number in your scope.")})
    if rapid.producer_id != producer.pk:
        raise ValidationError({"basis_rapid_test": _("This rapid test was made for another producer.")})
    if rapid.outcome != RapidOutcome.NEGATIVE or rapid.confirmed_positive:
        raise ValidationError(
            {
                "basis_rapid_test": _("Rapid test %(id)s is %(outcome)s and cannot back the promise.")
                % {"id": rapid.pk, "outcome": rapid.get_outcome_display()}
            }
        )
    return {"basis_sample": None, "basis_rapid_test": rapid}


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
        records = _basis_records(actor, producer, basis, basis_sample, basis_rapid_test)
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


def certificate_by_number(number: str) -> Certificate:
    """The certificate with this number, or a ValidationError saying the number is mistyped or unknown.
    A scanned QR text (the whole URL) is accepted too; its signature must then be valid."""
    text = (number or "").strip()
    if "/v/" in text:
        try:
            url_number, token = qrsign.split_qr_text(text)
        except ValueError:
            url_number, token = None, ""
        if url_number is None:
            raise ValidationError(
                _(
                    "The QR code cannot be read: it is not a certificate QR of this platform, or it is incomplete."
                )
            )
        v = qrsign.verify_token(token, public_keys_map(kid=_token_kid(token)), url_number=url_number)
        if not v.ok:
            raise ValidationError(
                _(
                    "Invalid signature: the QR content was altered or the signature forged. Do not trust this certificate."
                )
            )
        number = url_number
    n = qrsign.normalize_number(number)
    if not qrsign.number_is_valid(n):
        raise ValidationError(
            _("The certificate number %(number)s is not valid: check the characters you typed.")
            % {"number": number}
        )
    try:
        return Certificate.objects.select_related("producer", "origin", "product").get(number=n)
    except Certificate.DoesNotExist:
        raise ValidationError(_("No certificate with the number %(number)s.") % {"number": n}) from None


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


@transaction.atomic
def certificates_mark_printed(*, actor, certificates) -> None:
    ids = [c.pk for c in certificates]
    Certificate.objects.filter(pk__in=ids).update(print_count=F("print_count") + 1)
    actor_user = actor if getattr(actor, "pk", None) else None
    CertificateEvent.objects.bulk_create(
        [CertificateEvent(certificate_id=i, kind="printed", actor=actor_user) for i in ids]
    )


# ================================================================ scans
def expected_scans(c: Certificate) -> int:
    kg = convert(c.quantity, c.unit, "kg")
    if kg is not None:
        return SCANS_BASE + int(kg * SCANS_PER_KG)
    return SCANS_BASE + int(c.quantity) * SCANS_PER_PIECE


def _km(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(a))


def _coarse(value, limit) -> Decimal | None:
    try:
        d = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return d if d.is_finite() and abs(d) <= limit else None


@transaction.atomic
def scan_record(
    *, certificate: Certificate, number: str, result: str, place: str = "", latitude=None, longitude=None
) -> Scan:
    """Log a public scan. Coordinates are kept to 0.01° (about 1 km). Flags a possible counterfeit when
    the code is scanned far more often than its quantity explains, or in places too far apart too fast."""
    if connection.vendor == "postgresql":
        # A scan log is not ledger data: do not wait for the WAL flush (PostgreSQL only; at most the
        # last few hundred milliseconds of scans are lost if the server crashes).
        with connection.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit TO OFF")
    lat = _coarse(latitude, 90) if latitude not in (None, "") else None
    lon = _coarse(longitude, 180) if longitude not in (None, "") else None
    if lat is None or lon is None:
        lat = lon = None
    scan = Scan(
        certificate=certificate,
        number=number[:40],
        result=result,
        place=(place or "")[:64],
        latitude=lat,
        longitude=lon,
    )
    reasons = []
    if result == ScanResult.BAD_SIGNATURE:
        reasons.append(_("A QR code with this number carries an invalid signature."))
    if result in (ScanResult.GENUINE, ScanResult.UNSIGNED, ScanResult.REVOKED):
        Certificate.objects.filter(pk=certificate.pk).update(scan_count=F("scan_count") + 1)
        certificate.scan_count += 1  # as read with the page; concurrent scans may add a few more
        limit = expected_scans(certificate)
        if certificate.scan_count > limit:
            reasons.append(
                _("Scanned %(count)s times, more than its quantity explains (%(limit)s).")
                % {"count": certificate.scan_count, "limit": limit}
            )
    if lat is not None:
        last = (
            Scan.objects.filter(certificate=certificate, latitude__isnull=False)
            .order_by("-time", "-id")
            .values_list("latitude", "longitude", "time")
            .first()
        )
        if last is not None:
            km = _km(last[0], last[1], lat, lon)
            hours = max((timezone.now() - last[2]).total_seconds() / 3600, 1 / 60)
            if km >= IMPLAUSIBLE_MIN_KM and km / hours > IMPLAUSIBLE_KMH:
                reasons.append(
                    _("Scanned %(km)s km from the previous scan within %(minutes)s minutes.")
                    % {"km": int(km), "minutes": int(hours * 60)}
                )
    if scan.place:
        since = timezone.now() - dt.timedelta(hours=24)
        places = set(
            Scan.objects.filter(certificate=certificate, time__gte=since)
            .exclude(place="")
            .values_list("place", flat=True)
            .distinct()[: MAX_PLACES_PER_DAY + 1]
        )
        places.add(scan.place)
        if len(places) > MAX_PLACES_PER_DAY:
            reasons.append(
                _("Scanned in %(count)s different places within 24 hours.") % {"count": len(places)}
            )
    if reasons:
        scan.flagged = True
        scan.flag_reason = "；".join(str(r) for r in reasons)[:255]
        if not certificate.suspicious:
            Certificate.objects.filter(pk=certificate.pk).update(
                suspicious=True, suspicious_reason=scan.flag_reason
            )
            CertificateEvent.objects.create(
                certificate=certificate, kind="suspicious", reason=scan.flag_reason
            )
            certificate.suspicious, certificate.suspicious_reason = True, scan.flag_reason
    scan.save()
    return scan


# ================================================================ collection and lineage
def _collector_ok(collector: Producer) -> None:
    if collector.type not in (
        ProducerType.BUYER,
        ProducerType.WHOLESALE_MARKET,
        ProducerType.SLAUGHTERHOUSE,
        ProducerType.ENTERPRISE,
        ProducerType.COOPERATIVE,
    ):
        raise ValidationError(
            _(
                "Only buyers, collectors, markets, slaughterhouses, enterprises and cooperatives collect certificates."
            )
        )


@transaction.atomic
def purchase_record(
    *,
    actor,
    collector: Producer,
    lot: str,
    items,
    collected_at: dt.datetime | None = None,
    is_demo: bool = False,
) -> list[Collection]:
    """Record a purchased lot with the certificates collected for it: ``items`` = [(number, quantity, unit)].
    A purchase without a certificate is refused; so is collecting more than a certificate has left."""
    _require_act_for(actor, collector)
    _collector_ok(collector)
    lot = (lot or "").strip()
    errors = []
    if not lot:
        errors.append(_("Name the purchase lot."))
    items = list(items or [])
    if not items:
        errors.append(
            _(
                "A purchase needs at least one certificate: record the certificate number of every lot you buy."
            )
        )
    parsed = []
    seen = {}
    for i, (number, quantity, unit) in enumerate(items, start=1):
        try:
            c = certificate_by_number(number)
            q = _decimal(quantity, "quantity")
            u = _unit(unit)
        except ValidationError as exc:
            errors += [_("Line %(line)s: %(message)s") % {"line": i, "message": m} for m in exc.messages]
            continue
        if c.status != CertificateStatus.VALID:
            errors.append(
                _("Line %(line)s: certificate %(number)s is revoked.") % {"line": i, "number": c.number}
            )
            continue
        if c.producer_id == collector.pk:
            errors.append(
                _("Line %(line)s: certificate %(number)s is your own.") % {"line": i, "number": c.number}
            )
            continue
        in_cert_unit = convert(q, u, c.unit)
        if in_cert_unit is None:
            errors.append(
                _("Line %(line)s: the unit %(unit)s does not convert to the certificate's unit %(cunit)s.")
                % {"line": i, "unit": u, "cunit": c.unit}
            )
            continue
        seen[c.pk] = seen.get(c.pk, Decimal("0")) + in_cert_unit
        locked = Certificate.objects.select_for_update().get(pk=c.pk)
        left = locked.quantity - locked.collected_quantity
        if seen[c.pk] > left:
            if left <= 0:
                errors.append(
                    _(
                        "Line %(line)s: certificate %(number)s is already fully used (%(quantity)s %(unit)s collected)."
                    )
                    % {"line": i, "number": c.number, "quantity": locked.collected_quantity, "unit": c.unit}
                )
            else:
                errors.append(
                    _("Line %(line)s: certificate %(number)s has only %(left)s %(unit)s left to collect.")
                    % {"line": i, "number": c.number, "left": left, "unit": c.unit}
                )
            continue
        parsed.append((c, q, u, in_cert_unit))
    if errors:
        raise ValidationError(errors)
    when = collected_at or timezone.now()
    out = []
    for c, q, u, in_cert_unit in parsed:
        col = Collection.objects.create(
            collector=collector,
            certificate=c,
            lot=lot[:64],
            quantity=q,
            unit=u,
            collected_at=when,
            recorded_by=actor if getattr(actor, "pk", None) else None,
            is_demo=is_demo,
        )
        Certificate.objects.filter(pk=c.pk).update(collected_quantity=F("collected_quantity") + in_cert_unit)
        audit.record_create(actor, col)
        out.append(col)
    return out


@transaction.atomic
def certificate_reissue(
    *,
    actor,
    collector: Producer,
    draws,
    quantity,
    unit: str,
    loss=0,
    product=None,
    basis: str = Basis.CONTROL,
    test_record: str = "",
    issued_at: dt.datetime | None = None,
    is_demo: bool = False,
) -> Certificate:
    """A buyer mixes or repacks collected lots and issues one new certificate whose parents are the
    collected ones (EPCIS transformation). ``draws`` = [(collection, quantity drawn, in the collection's
    unit)]. Conservation: drawn (in ``unit``) = issued quantity + declared loss."""
    _require_act_for(actor, collector)
    _collector_ok(collector)
    errors = []
    if not collector.may_issue_certificates:
        errors.append(
            _("The producer's status (%(status)s) does not allow issuing certificates.")
            % {"status": collector.get_status_display()}
        )
    try:
        quantity = _decimal(quantity, "quantity")
        unit = _unit(unit)
        loss = _decimal(loss or 0, "loss", allow_zero=True)
    except ValidationError as exc:
        raise ValidationError(exc.messages) from None
    draws = list(draws or [])
    if not draws:
        errors.append(_("Choose the collected certificates this lot is made of."))
    total = Decimal("0")
    parsed = []
    products = set()
    for col, q in draws:
        col = Collection.objects.select_for_update().select_related("certificate").get(pk=col.pk)
        if col.collector_id != collector.pk:
            errors.append(_("Collection %(lot)s belongs to another collector.") % {"lot": col.lot})
            continue
        try:
            q = _decimal(q, "quantity")
        except ValidationError as exc:
            errors += exc.messages
            continue
        if q > col.remaining_quantity:
            errors.append(
                _("Only %(left)s %(unit)s of certificate %(number)s (lot %(lot)s) are left to use.")
                % {
                    "left": col.remaining_quantity,
                    "unit": col.unit,
                    "number": col.certificate.number,
                    "lot": col.lot,
                }
            )
            continue
        converted = convert(q, col.unit, unit)
        if converted is None:
            errors.append(
                _("The unit %(unit)s does not convert to the certificate's unit %(cunit)s.")
                % {"unit": col.unit, "cunit": unit}
            )
            continue
        total += converted
        products.add(col.certificate.product_id)
        parsed.append((col, q))
    if not errors and quantity + loss != total:
        errors.append(
            _(
                "Quantities do not add up: %(total)s %(unit)s drawn from collected certificates, "
                "%(quantity)s %(unit)s issued plus %(loss)s %(unit)s declared loss."
            )
            % {"total": total, "quantity": quantity, "loss": loss, "unit": unit}
        )
    if errors:
        raise ValidationError(errors)
    if product is None:
        product = parsed[0][0].certificate.product
    template = {
        "producer": collector,
        "batch": None,
        "product": product,
        "product_name": product.name,
        "quantity": quantity,
        "unit": unit,
        "origin": parsed[0][0].certificate.origin
        if len({c.certificate.origin_id for c, _q in parsed}) == 1
        else collector.region,
        "issued_at": issued_at or timezone.now(),
        "loss_quantity": loss,
        "is_demo": is_demo,
        "issued_by": actor if getattr(actor, "pk", None) else None,
        **_promise_fields(collector, PromiseForm.BUYER, basis, test_record, "", ""),
    }
    parents_payload = [
        {"number": col.certificate.number, "quantity": str(q), "unit": col.unit} for col, q in parsed
    ]
    [child] = _create_certificates(
        actor=actor, signer=active_signer(), template=template, count=1, parents=parents_payload
    )
    for col, q in parsed:
        Lineage.objects.create(child=child, collection=col, parent=col.certificate, quantity=q)
        Collection.objects.filter(pk=col.pk).update(used_quantity=F("used_quantity") + q)
    return child


# ================================================================ market checks
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
    """Record an incoming lot at a market. No number → "missing"; a number that is mistyped, unknown or
    revoked → "invalid"/"revoked". A failed check of a known producer makes it a key supervision target."""
    from nongan.registry.services import producer_flag_key_target

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
    cert = None
    number = (number or "").strip()
    if not number:
        result = CheckResult.MISSING
    else:
        try:
            cert = certificate_by_number(number)
            result = CheckResult.VALID if cert.status == CertificateStatus.VALID else CheckResult.REVOKED
        except ValidationError:
            result = CheckResult.INVALID
    if cert is not None:
        seller = seller or cert.producer
    check = MarketCheck.objects.create(
        region=region,
        market=market.strip()[:128],
        checked_at=checked_at or timezone.now(),
        product_name=product_name.strip()[:64],
        quantity=q,
        unit=unit if q is not None else "",
        number_entered=number[:40],
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
        producer_flag_key_target(actor=actor, producer=seller, reason=str(reason))
    return check
