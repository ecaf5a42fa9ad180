"""What every part of the monitoring services shares: the role sets, limits, role checks, number
parsing, the event row, a sample's current results and their roll-up, and what the services take from
lower apps at call time (``get_judge``, ``_selections_for_round``).

The siblings call those two through this module (``common.get_judge()``), so a test puts a fake in their
place with ``monkeypatch.setattr(services.common, "get_judge", …)``."""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from nongan.core.choices import RegionLevel, Role
from nongan.core.models import Region
from nongan.draws.selectors import selections_for_round
from nongan.standards.choices import (
    SPECIES_FOOD_KINDS,
    SPECIES_TISSUES,
    Species,
    Tissue,
    species_of,
    tissue_of,
)
from nongan.standards.services import judge

from ..choices import KIND_SECTOR, Sector, Verdict
from ..models import MonitoringEvent, Sample

if TYPE_CHECKING:
    from nongan.registry.models import ProductCategory

ADMINS = {Role.DISTRICT_ADMIN, Role.PROVINCE_ADMIN}
SAMPLER_ROLES = ADMINS | {Role.SAMPLER, Role.ENFORCEMENT}
LAB_ROLES = ADMINS | {Role.ANALYST}
RAPID_ROLES = ADMINS | {Role.TOWNSHIP_SUPERVISOR, Role.SAMPLER, Role.ANALYST}
FOLLOW_UP_ROLES = ADMINS | {Role.TOWNSHIP_SUPERVISOR, Role.ENFORCEMENT}
DEFAULT_ENZYME_THRESHOLD = Decimal(str(getattr(settings, "NONGAN_ENZYME_THRESHOLD", "50")))
CLOCK_SKEW = dt.timedelta(minutes=10)
# Nothing is sampled or tested before this (older times are typing errors; they would not even print).
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def get_judge():
    """The standards app's judgement function (``nongan.standards.services.judge``); tests replace it here."""
    return judge


def _selections_for_round(round_id: int) -> list[dict]:
    """The producers and inspectors a draw round selected (``nongan.draws.selectors``); tests replace it here."""
    return selections_for_round(round_id)


def _has_role(user, roles) -> bool:
    return bool(user is not None and (user.is_superuser or user.role in roles))


def _require_role(user, roles, message: str) -> None:
    if not _has_role(user, roles):
        raise ValidationError(message)


def sector_of(category: "ProductCategory") -> str:
    return KIND_SECTOR.get(category.kind, Sector.CROP)


def township_of(region: Region) -> Region:
    return region if region.level == RegionLevel.TOWNSHIP else region.parent


def parse_decimal(value: Any, *, field_label: str, allow_negative: bool = False) -> Decimal:
    """A decimal from user input, or a ValidationError in Chinese."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError(_("%(field)s is required.") % {"field": field_label})
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            _("%(field)s must be a number, not “%(value)s”.") % {"field": field_label, "value": value}
        ) from None
    if not number.is_finite():
        raise ValidationError(
            _("%(field)s must be a number, not “%(value)s”.") % {"field": field_label, "value": value}
        )
    if number < 0 and not allow_negative:
        raise ValidationError(_("%(field)s cannot be negative.") % {"field": field_label})
    return number


def animal_fields(species, tissue, fat, *, product=None, errors: dict) -> dict:
    """The species, tissue and fat content of a sample (or result row) of animal origin, checked: codes or Chinese
    names (猪, 肌肉), both or neither, a tissue the species has, a product of animal origin that comes from the
    species, a fat content over 0 and up to 100 %. Errors go into ``errors`` by field; returns the cleaned values
    ({"species": code or "", "tissue": code or "", "fat_content": Decimal or None})."""
    out: dict = {"species": "", "tissue": "", "fat_content": None}
    species_text, tissue_text = str(species or "").strip(), str(tissue or "").strip()
    if species_text or tissue_text:
        code = species_of(species_text)
        if not species_text:
            errors["species"] = _("Enter the animal species (e.g. 猪).")
        elif code is None:
            errors["species"] = _(
                "“%(name)s” is not an animal species of the standards (猪, 牛, 羊, 家禽, 鸡, 鸭, 兔, 鱼, 虾)."
            ) % {"name": species_text}
        elif code == Species.ALL:
            errors["species"] = _("Name the animal the sample comes from, not all food-producing animals.")
        else:
            out["species"] = code
        tissue_code = tissue_of(tissue_text)
        if not tissue_text:
            errors["tissue"] = _("Enter the tissue (e.g. 肌肉).")
        elif tissue_code is None:
            errors["tissue"] = _(
                "“%(name)s” is not a tissue of the standards (肌肉, 脂肪, 肝, 肾, 皮+脂, 奶, 蛋, 皮+肉)."
            ) % {"name": tissue_text}
        elif out["species"] and tissue_code not in SPECIES_TISSUES[out["species"]]:
            errors["tissue"] = _("%(species)s have no %(tissue)s: choose one of %(tissues)s.") % {
                "species": Species(out["species"]).label,
                "tissue": Tissue(tissue_code).label,
                "tissues": "、".join(str(Tissue(t).label) for t in SPECIES_TISSUES[out["species"]]),
            }
        else:
            out["tissue"] = tissue_code
        if product is not None and out["species"]:
            if product.kind == "plant":
                errors["species"] = _(
                    "%(food)s is not a food of animal origin; species and tissue apply to animal products only."
                ) % {"food": product.name}
            elif product.kind not in SPECIES_FOOD_KINDS.get(out["species"], (product.kind,)):
                errors["species"] = _("%(food)s does not come from %(species)s.") % {
                    "food": product.name,
                    "species": Species(out["species"]).label,
                }
    if fat not in (None, ""):
        try:
            number = parse_decimal(fat, field_label=_("Fat content"))
        except ValidationError as e:
            errors["fat_content"] = e.messages[0]
        else:
            if not (0 < number <= 100) or number.as_tuple().exponent < -2:
                errors["fat_content"] = _(
                    "A fat content lies between 0 and 100%%; “%(value)s” is not one."
                ) % {"value": fat}
            else:
                out["fat_content"] = number
    return out


def _event(
    *,
    actor,
    action: str,
    from_state: str,
    to_state: str,
    reason: str = "",
    sample=None,
    task=None,
    subject: str = "sample",
) -> MonitoringEvent:
    return MonitoringEvent.objects.create(
        subject=subject,
        sample=sample,
        task=task,
        action=action,
        from_state=from_state or "",
        to_state=to_state,
        reason=(reason or "")[:255],
        actor=actor if getattr(actor, "pk", None) else None,
    )


def current_results(sample: Sample):
    return sample.results.filter(is_current=True)


def roll_up(verdicts) -> str:
    """Sample verdict from its current results: any fail → fail; any not judgeable → not judgeable; else pass."""
    verdicts = list(verdicts)
    if not verdicts:
        return ""
    if Verdict.FAIL in verdicts:
        return Verdict.FAIL
    if Verdict.NOT_JUDGEABLE in verdicts:
        return Verdict.NOT_JUDGEABLE
    return Verdict.PASS
