"""Writes of core data: the region tree and user accounts.

Public interface (other apps, commands and the demo call these): ``regions_load`` (the region tree from
the reference file), ``user_create`` (an account with its role and jurisdiction); reads used with them:
``root_region``, ``townships``, ``region_depth``. The platform services beside it live in their own core
modules: ``audit``, ``ledger``, ``numbering``, ``workflow``, ``events``, ``imports``, ``excel``, ``scoping``."""

import csv
from pathlib import Path

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import audit
from .choices import LEVEL_DEPTH, RegionLevel, Role
from .models import Region, User, account_link
from .text import pinyin_full, pinyin_initials
from .validators import validate_division_code

DEFAULT_REGIONS_FILE = Path(__file__).parent / "data" / "regions_320707.csv"


def _read_region_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def regions_load(*, path: Path = DEFAULT_REGIONS_FILE, actor=None) -> dict[str, int]:
    """Create or update the region tree from a CSV (code, name, level, parent_code, is_demo).

    The whole file is checked before anything is written; codes are the keys, so loading twice
    changes nothing. Returns counts of created and updated regions.
    """
    rows = _read_region_rows(path)
    errors: list[str] = []
    levels = {v for v, _label in RegionLevel.choices}
    codes_in_file = set()
    for i, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip()
        try:
            validate_division_code(code)
        except ValidationError as e:
            errors.append(_("row %(row)d: %(msg)s") % {"row": i, "msg": e.messages[0]})
        if (row.get("level") or "").strip() not in levels:
            errors.append(_("row %(row)d: unknown level “%(level)s”") % {"row": i, "level": row.get("level")})
        if not (row.get("name") or "").strip():
            errors.append(_("row %(row)d: the name is empty") % {"row": i})
        if code in codes_in_file:
            errors.append(_("row %(row)d: code %(code)s appears twice") % {"row": i, "code": code})
        codes_in_file.add(code)
        parent = (row.get("parent_code") or "").strip()
        if parent and parent not in codes_in_file and not Region.objects.filter(code=parent).exists():
            errors.append(
                _("row %(row)d: parent %(code)s is not above it in the file") % {"row": i, "code": parent}
            )
    if errors:
        raise ValidationError(errors)

    created = updated = 0
    with transaction.atomic():
        by_code = {r.code: r for r in Region.objects.all()}
        for order, row in enumerate(rows):
            code = row["code"].strip()
            name = row["name"].strip()
            level = row["level"].strip()
            parent = by_code.get((row.get("parent_code") or "").strip())
            path = (parent.path if parent else "/") + code + "/"
            values = {
                "name": name,
                "level": level,
                "parent": parent,
                "path": path,
                "pinyin": pinyin_full(name),
                "initials": pinyin_initials(name),
                "is_demo": (row.get("is_demo") or "0").strip() in {"1", "true", "yes"},
                "sort_order": order,
            }
            region = by_code.get(code)
            if region is None:
                region = Region.objects.create(code=code, **values)
                by_code[code] = region
                created += 1
            else:
                before = audit.snapshot(region)
                changed = False
                for k, v in values.items():
                    if getattr(region, k) != v:
                        setattr(region, k, v)
                        changed = True
                if changed:
                    region.save()
                    audit.record_update(actor, region, before, reason="regions_load")
                    updated += 1
    return {"created": created, "updated": updated}


def root_region() -> Region | None:
    from django.conf import settings

    return Region.objects.filter(code=settings.NONGAN_ROOT_REGION).first()


def townships(under: Region | None = None):
    qs = Region.objects.filter(level=RegionLevel.TOWNSHIP)
    if under is not None:
        qs = qs.filter(path__startswith=under.path)
    return qs.order_by("sort_order")


@transaction.atomic
def user_create(
    *,
    actor,
    username: str,
    password: str,
    role: str,
    full_name: str = "",
    jurisdiction: Region | None = None,
    producer=None,
    phone: str = "",
    email: str = "",
) -> User:
    """Create an account. Jurisdiction roles need a region; producer accounts need a producer."""
    if role in (Role.PRODUCER, Role.INPUT_DEALER):
        if producer is None:
            raise ValidationError({"producer": _("A producer account must belong to a producer.")})
    elif jurisdiction is None:
        raise ValidationError({"jurisdiction": _("This role needs a jurisdiction.")})
    if role == Role.TOWNSHIP_SUPERVISOR and jurisdiction.level != RegionLevel.TOWNSHIP:
        raise ValidationError({"jurisdiction": _("A township supervisor's jurisdiction must be a township.")})
    if role == Role.VILLAGE_COORDINATOR and jurisdiction.level != RegionLevel.VILLAGE:
        raise ValidationError({"jurisdiction": _("A village coordinator's jurisdiction must be a village.")})
    user = User(
        username=username,
        role=role,
        full_name=full_name,
        jurisdiction=jurisdiction,
        phone=phone,
        email=email,
    )
    try:
        password_validation.validate_password(password, user)  # length ≥ 10, not common, not like the names
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    user.save()
    audit.record_create(actor, user)
    if producer is not None:
        account_link().set_producer(actor=actor, user=user, producer=producer)
    return user


def region_depth(level: str) -> int:
    return LEVEL_DEPTH[RegionLevel(level)]
