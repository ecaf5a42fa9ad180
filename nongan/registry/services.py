"""Every write to the registry: atomic, validated, audited.

Public interface (every write takes ``actor``, is audited and raises ``ValidationError``):
``producer_create``, ``producer_update``, ``producer_set_status`` (``PRODUCER_WORKFLOW``), ``producer_delete``,
``producer_flag_key_target`` (called by monitoring and certificates on an unqualified result), ``base_save``,
``certification_save``, ``contact_save``, ``staff_save``, ``child_delete``; the product tree:
``categories_load``, ``category_by_name``; the identifier check ``producer_identifier_errors``.
Number series: ``nongan.registry.numbering`` (``PRODUCER``)."""

import csv
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nongan.core import audit, ledger, versions
from nongan.core.scoping import in_jurisdiction
from nongan.core.text import pinyin_full, pinyin_initials
from nongan.core.validators import (
    normalize_id_number,
    normalize_uscc,
    validate_id_number,
    validate_mobile,
    validate_uscc,
)
from nongan.core.workflow import Transition, Workflow

from .choices import CREDIT_CODE_TYPES, CategoryKind, ProducerStatus, ProducerType, Tier
from .models import Base, Certification, Contact, Producer, ProducerProduct, ProductCategory, StaffMember
from .numbering import PRODUCER, township_part

DEFAULT_CATEGORIES_FILE = Path(__file__).parent / "data" / "product_categories.csv"


# ---------------------------------------------------------------- product categories
def categories_load(*, path: Path = DEFAULT_CATEGORIES_FILE) -> dict[str, int]:
    """Create or update the product tree from a CSV; the whole file is checked first."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    kinds = {k for k, _label in CategoryKind.choices}
    seen: set[str] = set()
    errors = []
    existing = set(ProductCategory.objects.values_list("code", flat=True))
    for i, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip()
        if not code or not (row.get("name") or "").strip():
            errors.append(_("row %(row)d: code and name are required") % {"row": i})
        if (row.get("kind") or "").strip() not in kinds:
            errors.append(_("row %(row)d: unknown kind “%(kind)s”") % {"row": i, "kind": row.get("kind")})
        parent = (row.get("parent_code") or "").strip()
        if parent and parent not in seen and parent not in existing:
            errors.append(
                _("row %(row)d: parent %(code)s is not above it in the file") % {"row": i, "code": parent}
            )
        if code in seen:
            errors.append(_("row %(row)d: code %(code)s appears twice") % {"row": i, "code": code})
        seen.add(code)
    if errors:
        raise ValidationError(errors)
    created = updated = 0
    with transaction.atomic():
        by_code = {c.code: c for c in ProductCategory.objects.all()}
        for order, row in enumerate(rows):
            code = row["code"].strip()
            parent = by_code.get((row.get("parent_code") or "").strip())
            values = {
                "name": row["name"].strip(),
                "parent": parent,
                "kind": row["kind"].strip(),
                "path": (parent.path if parent else "/") + code + "/",
                "depth": (parent.depth + 1) if parent else 0,
                "initials": pinyin_initials(row["name"].strip()),
                "aliases": (row.get("aliases") or "").strip(),
                "excludes": (row.get("excludes") or "").strip(),
                "certificate_scope": (row.get("certificate_scope") or "1").strip() in {"1", "true", "yes"},
                "sort_order": order,
            }
            cat = by_code.get(code)
            if cat is None:
                by_code[code] = ProductCategory.objects.create(code=code, **values)
                created += 1
            elif any(getattr(cat, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(cat, k, v)
                cat.save()
                updated += 1
    return {"created": created, "updated": updated}


def category_by_name(name: str) -> ProductCategory | None:
    """Find a category by its name or one of its other names."""
    name = (name or "").strip()
    if not name:
        return None
    cat = ProductCategory.objects.filter(name=name).first()
    if cat:
        return cat
    for c in ProductCategory.objects.filter(aliases__contains=name):
        if name in c.aliases.split(";"):
            return c
    return None


# ---------------------------------------------------------------- producers
def producer_identifier_errors(
    *,
    ptype,
    credit_code="",
    id_number="",
    phone=None,
    exclude_pk=None,
    check_required=True,
    check_duplicate=True,
) -> tuple[dict, dict[str, str]]:
    """Normalise and check a producer's identifiers; the one rule set of the form, the API and the import.

    Returns (normalised values, {field: message}). ``check_required=False`` skips the "missing" checks
    (a partial update that does not touch the field)."""
    values = {
        "credit_code": normalize_uscc(credit_code or "") or None,
        "id_number": normalize_id_number(id_number or ""),
    }
    errors: dict[str, str] = {}
    if values["credit_code"]:
        try:
            validate_uscc(values["credit_code"])
        except ValidationError as e:
            errors["credit_code"] = e.messages[0]
        else:
            clash = Producer.objects.filter(credit_code=values["credit_code"]).exclude(pk=exclude_pk)
            if check_duplicate and clash.exists():
                errors["credit_code"] = _("A producer with this credit code is already registered.")
    elif check_required and ptype in CREDIT_CODE_TYPES:
        errors["credit_code"] = _(
            "Enterprises, cooperatives, slaughterhouses and markets need a unified social credit code."
        )
    if values["id_number"]:
        try:
            validate_id_number(values["id_number"])
        except ValidationError as e:
            errors["id_number"] = e.messages[0]
    elif check_required and ptype == ProducerType.HOUSEHOLD:
        errors["id_number"] = _("A household needs the ID number of its head.")
    if phone is not None:
        values["phone"] = str(phone).strip()
        try:
            validate_mobile(values["phone"])
        except ValidationError as e:
            errors["phone"] = e.messages[0]
    return values, errors


def _search_text(p: Producer) -> str:
    region = p.region
    town = region if region.level == "township" else region.parent
    parts = [
        p.name,
        pinyin_full(p.name),
        p.name_initials,
        p.code or "",
        p.credit_code or "",
        p.legal_rep,
        region.name,
        region.initials,
        town.name if town else "",
        town.initials if town else "",
    ]
    return " ".join(x for x in parts if x).lower()


def _check_region(actor, region) -> None:
    if actor is not None and not in_jurisdiction(actor, region):
        raise ValidationError({"region": _("This region is outside your jurisdiction.")})
    if region.level not in ("township", "village"):
        raise ValidationError({"region": _("Choose a township or a village.")})


def _refresh_derived(p: Producer) -> None:
    p.name_initials = pinyin_initials(p.name)
    p.search_text = _search_text(p)


def _set_products(p: Producer, products) -> None:
    wanted = {c.pk for c in products}
    have = set(p.product_lines.values_list("category_id", flat=True))
    p.product_lines.filter(category_id__in=have - wanted).delete()
    ProducerProduct.objects.bulk_create([ProducerProduct(producer=p, category_id=c) for c in wanted - have])


PRODUCER_FIELDS = [
    "name",
    "type",
    "credit_code",
    "legal_rep",
    "id_number",
    "phone",
    "region",
    "address",
    "latitude",
    "longitude",
    "is_scale",
    "tier",
    "tier_reason",
    "status",
    "status_reason",
    "established",
    "notes",
]


def producer_create(*, actor, products=(), **data) -> Producer:
    """Register a producer. ``data`` holds PRODUCER_FIELDS; validation errors change nothing."""
    _check_region(actor, data["region"])
    with transaction.atomic():
        p = Producer(**{k: v for k, v in data.items() if k in PRODUCER_FIELDS})
        if not p.credit_code:
            p.credit_code = None
        p.code = PRODUCER.next(township=township_part(p.region))
        _refresh_derived(p)
        try:
            with transaction.atomic():
                p.save()
        except IntegrityError:
            raise ValidationError(
                {"credit_code": _("A producer with this credit code is already registered.")}
            ) from None
        _set_products(p, products)
        audit.record_create(actor, p)
    return p


def producer_update(
    *, actor, producer: Producer, products=None, reason: str = "", expected_version=None, **data
) -> Producer:
    """Change a producer's record. A new status moves through ``PRODUCER_WORKFLOW`` (its own audit record and
    state change row, with the status reason); the other fields are saved and audited together.
    ``expected_version`` is the version the user started from: another one refuses (``StaleVersion``), and
    the save itself is a compare-and-set (``nongan.core.versions``)."""
    if "region" in data:
        _check_region(actor, data["region"])
    with transaction.atomic():
        versions.expect(producer, expected_version)
        # The form may already have written its values onto ``producer``: compare with the stored row.
        before = audit.snapshot(Producer.objects.get(pk=producer.pk))
        for k, v in data.items():
            if k in PRODUCER_FIELDS:
                setattr(producer, k, v)
        status, status_reason = producer.status, producer.status_reason
        producer.refresh_from_db(
            fields=["status", "status_reason"]
        )  # the stored status: the workflow moves it
        if status == producer.status:
            producer.status_reason = status_reason
        if not producer.credit_code:
            producer.credit_code = None
        _refresh_derived(producer)
        try:
            with transaction.atomic():
                producer.save()
        except IntegrityError:
            raise ValidationError(
                {"credit_code": _("A producer with this credit code is already registered.")}
            ) from None
        if products is not None:
            _set_products(producer, products)
        audit.record_update(actor, producer, before, reason=reason)
        if status != producer.status:
            producer_set_status(actor=actor, producer=producer, status=status, reason=status_reason)
    return producer


@transaction.atomic
def producer_flag_key_target(*, actor, producer: Producer, reason: str) -> Producer:
    """Mark a producer as a key supervision target (重点监管对象), e.g. after an unqualified sample."""
    # Another event's copy of the producer may be older than the stored row: write on the locked row (the
    # version moves, so an edit form opened before the flag is stale), and the caller's copy follows.
    locked = Producer.objects.select_for_update().get(pk=producer.pk)
    version = locked.version
    before = audit.snapshot(locked)
    locked.key_target = True
    locked.key_target_reason = reason[:255]
    locked.tier = Tier.C
    locked.tier_reason = reason[:255]
    locked.save(update_fields=["key_target", "key_target_reason", "tier", "tier_reason", "updated"])
    audit.record_update(actor, locked, before, reason=reason)
    ledger.append(
        kind="producer.key_target",
        ref=locked.code,
        payload={"producer": locked.code, "tier": locked.tier, "reason": locked.key_target_reason},
        actor=actor,
        region=locked.region,
        records=[Producer.objects.get(pk=locked.pk)],
    )
    for name in ("key_target", "key_target_reason", "tier", "tier_reason", "updated"):
        setattr(producer, name, getattr(locked, name))
    if producer.version == version:
        producer.version = locked.version
    return producer


def _touch(actor, producer: Producer, ctx) -> None:
    # The runner has moved the version with the state already: only the time of the change is written here.
    producer.updated = timezone.now()
    Producer.objects.filter(pk=producer.pk).update(updated=producer.updated)


PS = ProducerStatus
# One transition per status; any other status may move to it (the registry's staff correct it either way).
STATUS_ACTIONS = {PS.ACTIVE: "activate", PS.SUSPENDED: "suspend", PS.REVOKED: "revoke", PS.CLOSED: "close"}
PRODUCER_WORKFLOW = Workflow(
    model=Producer,
    field="status",
    transitions=[
        Transition(
            STATUS_ACTIONS[target],
            label,
            tuple(s for s in PS.values if s != target),
            target,
            effect=_touch,
            ledger_kind="producer.status",
        )
        for target, label in (
            (PS.ACTIVE, gettext_lazy("Set active again")),
            (PS.SUSPENDED, gettext_lazy("Suspend")),
            (PS.REVOKED, gettext_lazy("Revoke certificate issuing")),
            (PS.CLOSED, gettext_lazy("Mark as closed down")),
        )
    ],
    reason_field="status_reason",
    ledger=lambda step, result: {
        "ref": step.obj.code,
        "payload": {
            "producer": step.obj.code,
            "from_state": step.source,
            "to_state": step.target,
            "reason": step.reason,
        },
        "region": step.obj.region,
    },
)


@transaction.atomic
def producer_set_status(*, actor, producer: Producer, status: str, reason: str) -> Producer:
    """Set a producer's status (with its reason) through ``PRODUCER_WORKFLOW``; the same status again only
    updates the reason."""
    if status not in ProducerStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    stored = Producer.objects.get(pk=producer.pk)
    if stored.status != status:
        PRODUCER_WORKFLOW.run(actor=actor, obj=producer, action=STATUS_ACTIONS[status], reason=reason)
        return producer
    before = audit.snapshot(stored)
    producer.refresh_from_db(fields=["status"])
    producer.status_reason = reason
    producer.save(update_fields=["status_reason", "updated"])
    audit.record_update(actor, producer, before, reason=reason)
    return producer


@transaction.atomic
def producer_delete(*, actor, producer: Producer, reason: str = "") -> None:
    audit.record_delete(actor, producer, reason=reason)
    producer.delete()


# ---------------------------------------------------------------- children of a producer
def _save_child(actor, obj, before=None, m2m: dict | None = None, expected_version=None):
    with transaction.atomic():
        if obj.pk:
            versions.expect(obj, expected_version)
        obj.full_clean()
        obj.save()
        for name, values in (m2m or {}).items():
            getattr(obj, name).set(values)
        if before is None:
            audit.record_create(actor, obj)
        else:
            audit.record_update(actor, obj, before)
    return obj


def base_save(*, actor, base: Base, products=None, expected_version=None) -> Base:
    if (
        actor is not None
        and not in_jurisdiction(actor, base.region)
        and not in_jurisdiction(actor, base.producer.region)
    ):
        raise ValidationError({"region": _("This region is outside your jurisdiction.")})
    before = audit.snapshot(Base.objects.get(pk=base.pk)) if base.pk else None
    return _save_child(
        actor,
        base,
        before,
        {"products": products} if products is not None else None,
        expected_version=expected_version,
    )


def certification_save(*, actor, certification: Certification, expected_version=None) -> Certification:
    if (
        certification.valid_until
        and certification.issued_on
        and certification.valid_until < certification.issued_on
    ):
        raise ValidationError({"valid_until": _("The end of validity is before the issue date.")})
    before = audit.snapshot(Certification.objects.get(pk=certification.pk)) if certification.pk else None
    try:
        return _save_child(actor, certification, before, expected_version=expected_version)
    except IntegrityError:
        raise ValidationError({"number": _("This certificate number is already registered.")}) from None


def contact_save(*, actor, contact: Contact, expected_version=None) -> Contact:
    before = audit.snapshot(Contact.objects.get(pk=contact.pk)) if contact.pk else None
    return _save_child(actor, contact, before, expected_version=expected_version)


def staff_save(*, actor, staff: StaffMember, expected_version=None) -> StaffMember:
    if actor is not None and not in_jurisdiction(actor, staff.region):
        raise ValidationError({"region": _("This region is outside your jurisdiction.")})
    before = audit.snapshot(StaffMember.objects.get(pk=staff.pk)) if staff.pk else None
    return _save_child(actor, staff, before, expected_version=expected_version)


@transaction.atomic
def child_delete(*, actor, obj, reason: str = "") -> None:
    audit.record_delete(actor, obj, reason=reason)
    obj.delete()
