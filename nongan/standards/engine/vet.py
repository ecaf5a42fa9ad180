"""Veterinary drugs: a result in one tissue of one animal species judged against GB 31650 limits and the list of
compounds prohibited in food animals (农业农村部公告第250号).

``judge(…, species="猪", tissue="肌肉")`` comes here. The rules (docs/standards.md, "Veterinary drugs"):

1. Inputs: species and tissue are codes or Chinese names (猪 / pig, 肌肉 / muscle); an unknown one, a tissue the
   species does not have (蛋 of 猪), a litre unit for anything but milk, a food that is not of animal origin or
   does not come from the species raise ``ValidationError`` keyed by field, in Chinese.
2. Prohibited (公告第250号, in force on the date): any confirmed detection at or above the method's decision limit
   (``decision_limit``, CCα; else the LOD) fails, rule ``prohibited``, whatever any limit says. A marker residue
   (AOZ, AMOZ, AHD, SEM) stands for its parent drug (呋喃唑酮, 呋喃它酮, 呋喃妥因, 呋喃西林).
3. Limits: the row for the species, then its groups (鸡 → 家禽 → 所有食品动物), in the editions of GB 31650 in
   force; rule ``vet_species`` / ``vet_group``. A residue defined as a sum (恩诺沙星 = 恩诺沙星 + 环丙沙星) is judged
   on the sum of the component results given (``parts``) or on the single value reported as the sum. A
   component judged alone (环丙沙星) fails when it alone exceeds the sum's limit, and is otherwise not judgeable
   (rule ``sum_component``). A limit on a fat basis needs the fat content (the value is divided by it).
4. No limit: ``no_limit`` / ``limit_not_loaded`` / ``no_edition`` as for pesticides.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from ..choices import (
    SPECIES_FOOD_KINDS,
    SPECIES_PARENTS,
    SPECIES_TISSUES,
    LimitBasis,
    Policy,
    Rule,
    Species,
    Tissue,
    species_of,
    tissue_of,
)
from .index import _Index, _VetLimit
from .judgement import (
    _RAW_UNITS,
    BANNED_DETECTED,
    BASIS_UNVERIFIED,
    FAIL,
    FAT_NEEDED,
    LIMIT_NOT_LOADED,
    METHOD_UNFIT,
    NO_EDITION,
    NO_LIMIT,
    NOT_DETECTED,
    NOT_JUDGEABLE,
    ONE,
    PASS,
    UNITS,
    Judgement,
    _judgement,
    _number,
    fmt,
    normalise_unit,
)
from .language import _language

VET_FAMILY = "GB 31650"
POLICIES = frozenset(Policy.values)
_translated: dict[tuple, str] = {}


def _(text: str) -> str:
    """gettext, remembered per active language: a judgement's reason templates are looked up once."""
    key = (_language(), text)
    hit = _translated.get(key)
    if hit is None:
        hit = _translated[key] = gettext(text)
    return hit


THOUSAND = Decimal(1000)
HUNDRED = Decimal(100)
VET_SPECIES, VET_GROUP = Rule.VET_SPECIES.value, Rule.VET_GROUP.value
PROHIBITED, SUM_COMPONENT = Rule.PROHIBITED.value, Rule.SUM_COMPONENT.value


def ug(value: Decimal) -> str:
    """mg/kg → the μg/kg figure GB 31650 writes."""
    return fmt(value * THOUSAND)


@dataclass(frozen=True)
class _VetResolution:
    """Everything about an (analyte, species, tissue, date) that does not depend on the value."""

    kind: (
        str  # vet_species | vet_group | sum_component | prohibited | no_limit | limit_not_loaded | no_edition
    )
    row: _VetLimit | None
    edition: str
    detail: str
    params: dict
    ban: tuple | None = None  # (announcement, unverified, source_row)


def _species_label(code: str) -> str:
    return str(Species(code).label)


def _tissue_label(code: str) -> str:
    return str(Tissue(code).label)


def checked_vet(
    index: _Index, *, food, analyte, value, unit, lod, loq, policy, fat, species, tissue, dl, parts
):
    """Check every input of a veterinary judgement; returns the parsed values (mg/kg) or raises ValidationError."""
    errors: dict = {}
    species_code = species_of(species)
    if species_code is None:
        if not str(species or "").strip():
            errors["species"] = _("Enter the animal species (e.g. 猪).")
        else:
            errors["species"] = _(
                "“%(name)s” is not an animal species of the standards (猪, 牛, 羊, 家禽, 鸡, 鸭, 兔, 鱼, 虾)."
            ) % {"name": species}
    elif species_code == Species.ALL:
        errors["species"] = _("Name the animal the sample comes from, not all food-producing animals.")
    tissue_code = tissue_of(tissue)
    if tissue_code is None:
        if not str(tissue or "").strip():
            errors["tissue"] = _("Enter the tissue (e.g. 肌肉).")
        else:
            errors["tissue"] = _(
                "“%(name)s” is not a tissue of the standards (肌肉, 脂肪, 肝, 肾, 皮+脂, 奶, 蛋, 皮+肉)."
            ) % {"name": tissue}
    elif species_code and species_code != Species.ALL and tissue_code not in SPECIES_TISSUES[species_code]:
        errors["tissue"] = _("%(species)s have no %(tissue)s: choose one of %(tissues)s.") % {
            "species": _species_label(species_code),
            "tissue": _tissue_label(tissue_code),
            "tissues": "、".join(_tissue_label(t) for t in SPECIES_TISSUES[species_code]),
        }
    food_id = None
    food_key = food.strip() if isinstance(food, str) else ""
    if food_key:
        food_id = index.food_ids.get(food_key)
        if food_id is None:
            errors["food"] = _("“%(name)s” is not a food of the product classification.") % {"name": food_key}
        else:
            kind = index.cat_kind.get(food_id)
            if kind == "plant":
                errors["food"] = _(
                    "%(food)s is not a food of animal origin; species and tissue apply to animal products only."
                ) % {"food": index.cat_name[food_id]}
            elif species_code in SPECIES_FOOD_KINDS and kind not in SPECIES_FOOD_KINDS[species_code]:
                errors["food"] = _("%(food)s does not come from %(species)s.") % {
                    "food": index.cat_name[food_id],
                    "species": _species_label(species_code),
                }
    analyte_key = analyte.strip() if isinstance(analyte, str) else ""
    analyte_id = index.analyte_ids.get(analyte_key) or index.analyte_ids.get(analyte_key.lower())
    if analyte_id is None:
        if not analyte_key:
            errors["analyte"] = _("Enter the substance tested for (e.g. 腐霉利).")
        else:
            errors["analyte"] = _("“%(name)s” is not a known pesticide, veterinary drug or compound.") % {
                "name": analyte_key
            }
    unit_key = normalise_unit(unit) if isinstance(unit, str) else ""
    factor_liquid = UNITS.get(unit_key)
    if factor_liquid is None:
        if not unit_key:
            errors["unit"] = _("Enter the unit (mg/kg or μg/kg).")
        else:
            errors["unit"] = _("Unknown unit “%(unit)s”; use mg/kg or μg/kg.") % {"unit": unit}
    elif factor_liquid[1] and tissue_code and tissue_code != Tissue.MILK:
        errors["unit"] = _(
            "%(unit)s is accepted for milk only; give the value in %(tissue)s in mg/kg or μg/kg."
        ) % {
            "unit": unit,
            "tissue": _tissue_label(tissue_code),
        }
    part_values: dict[int, Decimal] = {}
    if parts:
        if not isinstance(parts, dict):
            errors["parts"] = _("Give the component results as name: value pairs.")
        else:
            for name, raw in parts.items():
                key = str(name or "").strip()
                pid = index.analyte_ids.get(key) or index.analyte_ids.get(key.lower())
                if pid is None:
                    errors["parts"] = _(
                        "“%(name)s” is not a known pesticide, veterinary drug or compound."
                    ) % {"name": key}
                    break
                number = _number(raw, "parts", errors)
                if number is None:
                    errors.setdefault("parts", _("Enter the measured value."))
                    break
                part_values[pid] = number
    number = _number(value, "value", errors)
    if number is None and not part_values and "value" not in errors:
        errors["value"] = _("Enter the measured value.")
    lod_n = _number(lod, "lod", errors)
    loq_n = _number(loq, "loq", errors)
    dl_n = _number(dl, "decision_limit", errors)
    if lod_n is not None and loq_n is not None and loq_n < lod_n:
        errors["loq"] = _("The limit of quantification cannot be below the limit of detection.")
    fat_n = _number(fat, "fat", errors)
    if fat_n is not None and (fat_n > 100 or fat_n == 0):
        errors["fat"] = _("A fat content lies between 0 and 100%%; “%(value)s” is not one.") % {"value": fat}
    if policy not in POLICIES:
        errors["policy"] = _("Unknown policy “%(value)s”: mrl or strict.") % {"value": policy}
    if errors:
        raise ValidationError(errors)
    factor = factor_liquid[0]

    def conv(x):
        return None if x is None else x * factor

    parts_n = {pid: v * factor for pid, v in part_values.items()}
    return (
        analyte_id,
        species_code,
        tissue_code,
        conv(number),
        conv(lod_n),
        conv(loq_n),
        conv(dl_n),
        fat_n,
        parts_n,
    )


def resolve_vet(
    index: _Index, analyte_id: int, species: str, tissue: str, on_date: dt.date
) -> _VetResolution:
    analyte = index.analyte_name[analyte_id]
    parent = index.marker_of.get(analyte_id)
    base = {
        "analyte": analyte,
        "species": _species_label(species),
        "tissue": _tissue_label(tissue),
        "date": on_date.isoformat(),
    }
    for aid in (analyte_id, parent):
        for effective, announcement, unverified, source_row in (
            index.banned_animal.get(aid, ()) if aid else ()
        ):
            if effective is None or effective <= on_date:
                if parent:
                    what = _("%(marker)s (marker residue of %(drug)s)") % {
                        "marker": analyte,
                        "drug": index.analyte_name[parent],
                    }
                else:
                    what = analyte
                detail = _("%(what)s: prohibited in food animals (%(source)s)") % {
                    "what": what,
                    "source": announcement,
                }
                return _VetResolution(
                    PROHIBITED,
                    None,
                    announcement,
                    detail,
                    {**base, "what": what},
                    (announcement, unverified, source_row),
                )

    active = index.active(on_date)
    order = list(active.get(VET_FAMILY, ()))
    rank = {eid: i for i, eid in enumerate(order)}
    chain = (species, *SPECIES_PARENTS[species])

    def find(aid):
        for depth, sp in enumerate(chain):
            rows = [r for r in index.vet_limits.get((aid, sp, tissue), ()) if r.edition_id in rank]
            if rows:
                return depth, sp, min(rows, key=lambda r: rank[r.edition_id])
        return None

    found = find(analyte_id)
    kind = None
    if found is None:
        for definition in sorted(index.vet_component_of.get(analyte_id, ())):
            hit = find(definition)
            if hit is not None:
                found, kind = hit, SUM_COMPONENT
                base["definition"] = index.analyte_name[definition]
                break
    if found is not None:
        depth, sp, row = found
        edition = index.edition_label(row.edition_id)
        kind = kind or (VET_SPECIES if depth == 0 else VET_GROUP)
        basis = "（以脂肪计）" if row.basis == LimitBasis.FAT else ""
        published = f"{fmt(row.published)} {row.unit}"
        detail = f"{_species_label(sp)} {_tissue_label(tissue)} {published}{basis} ({edition})"
        if row.components:
            detail += " " + _("sum of %(names)s") % {
                "names": "+".join(index.analyte_name[c] for c in row.components)
            }
        if row.source:
            detail += f" [{row.source}]"
        params = {
            **base,
            "node": _species_label(sp),
            "limit": ug(row.limit) + basis,
            "edition": edition,
        }
        return _VetResolution(kind, row, edition, detail, params)

    families_loaded = [e for e in index.editions.values() if e.family == VET_FAMILY]
    if not order:
        detail = _("no edition loaded for %(date)s") % base
        return _VetResolution(NO_EDITION, None, "", detail, {**base, "families": len(families_loaded)})
    edition = "/".join(index.editions[eid].code for eid in reversed(order))
    detail = _("no limit for %(analyte)s in %(species)s %(tissue)s") % base
    partial = [index.editions[eid].code for eid in order if eid in index.partial]
    if partial:
        return _VetResolution(
            LIMIT_NOT_LOADED, None, edition, detail, {**base, "partial": "、".join(partial)}
        )
    return _VetResolution(NO_LIMIT, None, edition, detail, {**base, "edition": edition})


def judge_vet(
    index: _Index,
    *,
    food,
    analyte,
    value,
    unit,
    lod,
    loq,
    on_date: dt.date,
    policy: str,
    fat,
    species,
    tissue,
    decision_limit,
    parts,
) -> Judgement:
    # Fast path: species and tissue as codes that fit, an exact analyte name, a plain unit, a clean number and
    # nothing else to check.
    number = None
    factor = _RAW_UNITS.get(unit) if type(unit) is str else None
    analyte_id = index.analyte_ids.get(analyte) if type(analyte) is str else None
    if (
        factor is not None
        and analyte_id is not None
        and not food
        and not parts
        and lod is None
        and loq is None
        and decision_limit is None
        and fat is None
        and policy in POLICIES
        and type(species) is str
        and species in SPECIES_TISSUES
        and species != Species.ALL
        and type(tissue) is str
        and tissue in SPECIES_TISSUES[species]
    ):
        kind = type(value)
        if kind is Decimal:
            number = value
        elif kind is str or kind is int:
            try:
                number = Decimal(value)
            except (InvalidOperation, ValueError):
                number = None
        if number is not None and (not number.is_finite() or number < 0):
            number = None
    if number is not None:
        if factor is not ONE:
            number = number * factor
        sp, ti, lod_n, loq_n, dl_n, fat_n, parts_n = species, tissue, None, None, None, None, {}
    else:
        analyte_id, sp, ti, number, lod_n, loq_n, dl_n, fat_n, parts_n = _checked(
            index,
            food,
            analyte,
            value,
            unit,
            lod,
            loq,
            policy,
            fat,
            species,
            tissue,
            decision_limit,
            parts,
        )
    return _judge_vet(index, analyte_id, sp, ti, number, lod_n, loq_n, dl_n, fat_n, parts_n, on_date, policy)


def _checked(index, food, analyte, value, unit, lod, loq, policy, fat, species, tissue, dl, parts):
    return checked_vet(
        index,
        food=food,
        analyte=analyte,
        value=value,
        unit=unit,
        lod=lod,
        loq=loq,
        policy=policy,
        fat=fat,
        species=species,
        tissue=tissue,
        dl=dl,
        parts=parts,
    )


def _judge_vet(
    index, analyte_id, sp, ti, number, lod_n, loq_n, dl_n, fat_n, parts_n, on_date, policy
) -> Judgement:
    key = ("vet", analyte_id, sp, ti, on_date, _language())
    res = index.resolutions.get(key)
    if res is None:
        res = resolve_vet(index, analyte_id, sp, ti, on_date)
        if len(index.resolutions) > 200_000:
            index.resolutions.clear()
        index.resolutions[key] = res
    p = res.params

    summed = ""
    if parts_n:
        components = res.row.components if res.row is not None and res.kind != SUM_COMPONENT else ()
        if not components:
            raise ValidationError(
                {"parts": _("%(analyte)s is not a residue defined as a sum; give its value alone.") % p}
            )
        stray = [index.analyte_name[pid] for pid in parts_n if pid not in components]
        if stray:
            raise ValidationError(
                {
                    "parts": _("%(names)s is not part of the residue definition of %(analyte)s (%(sum)s).")
                    % {
                        "names": "、".join(stray),
                        "analyte": p["analyte"],
                        "sum": "+".join(index.analyte_name[c] for c in components),
                    }
                }
            )
        number = sum(parts_n.values(), Decimal(0))
        summed = _(" (sum of %(parts)s)") % {
            "parts": " + ".join(f"{index.analyte_name[pid]} {ug(v)}" for pid, v in parts_n.items())
        }
    elif res.row is not None and res.row.components and res.kind != SUM_COMPONENT:
        summed = _(" (reported as the sum %(sum)s)") % {
            "sum": "+".join(index.analyte_name[c] for c in res.row.components)
        }

    if res.kind == PROHIBITED:
        announcement, unverified, source_row = res.ban
        threshold = dl_n if dl_n is not None else lod_n
        detected = bool(number) and (threshold is None or number >= threshold)
        flags: tuple[str, ...] = ()
        if detected:
            flags = (BANNED_DETECTED, BASIS_UNVERIFIED) if unverified else (BANNED_DETECTED,)
            reason = _(
                "%(what)s is prohibited in food animals (%(source)s): any confirmed detection at or above the "
                "method's decision limit fails; found %(value)s μg/kg in %(species)s %(tissue)s."
            ) % {**p, "source": announcement, "value": ug(number)}
            if threshold is not None:
                reason += _(" Decision limit %(dl)s μg/kg.") % {"dl": ug(threshold)}
            if unverified:
                reason += _(
                    " The basis of this ban is unverified (not checked against a primary or secondary source)."
                )
            return _judgement(
                FAIL, reason, None, number, announcement, PROHIBITED, res.detail, policy, flags, source_row
            )
        if number:
            reason = _("Not detected: %(value)s μg/kg is below the decision limit of %(dl)s μg/kg.") % {
                "value": ug(number),
                "dl": ug(threshold),
            }
        else:
            reason = _("Not detected (0 mg/kg).")
        return _judgement(
            PASS, reason, None, number, announcement, NOT_DETECTED, res.detail, policy, (), source_row
        )

    row = res.row
    if row is None:
        if res.kind == NO_EDITION:
            reason = _("No edition of GB 31650 is in force on %(date)s, so the result cannot be judged.") % p
        elif res.kind == LIMIT_NOT_LOADED:
            reason = (
                _(
                    "%(partial)s is loaded only in part: no limit for %(analyte)s in %(species)s %(tissue)s is loaded, "
                    "so the result cannot be judged; this does not mean the standard sets none."
                )
                % p
            )
        else:
            reason = (
                _(
                    "There is no limit for %(analyte)s in %(species)s %(tissue)s in %(edition)s (in force on "
                    "%(date)s), so the result cannot be judged."
                )
                % p
            )
        return _judgement(NOT_JUDGEABLE, reason, None, number, res.edition, res.kind, res.detail, policy)

    limit = row.limit
    judged = number
    fat_text = ""
    if row.basis == LimitBasis.FAT:
        if fat_n is None:
            reason = (
                _(
                    "The limit for %(species)s %(tissue)s (%(edition)s) is on a fat basis: give the fat content of the "
                    "sample to judge it."
                )
                % p
            )
            return _judgement(
                NOT_JUDGEABLE,
                reason,
                limit,
                number,
                res.edition,
                FAT_NEEDED,
                res.detail,
                policy,
                (),
                row.source,
            )
        judged = number * HUNDRED / fat_n
        fat_text = _(" (%(value)s μg/kg in the fat at %(fat)s%% fat)") % {
            "value": ug(judged),
            "fat": fmt(fat_n),
        }

    if res.kind == SUM_COMPONENT:
        if judged > limit:
            reason = _(
                "%(value)s μg/kg of %(analyte)s alone exceeds the limit of %(limit)s μg/kg for the sum %(definition)s "
                "in %(species)s %(tissue)s (%(edition)s)."
            ) % {**p, "value": ug(judged)}
            return _judgement(
                FAIL, reason, limit, judged, res.edition, SUM_COMPONENT, res.detail, policy, (), row.source
            )
        reason = _(
            "%(analyte)s is part of the residue of %(definition)s, whose limit of %(limit)s μg/kg in %(species)s "
            "%(tissue)s (%(edition)s) is for the sum: judge the sum of the components (%(sum)s)."
        ) % {**p, "sum": "+".join(index.analyte_name[c] for c in row.components)}
        return _judgement(
            NOT_JUDGEABLE,
            reason,
            limit,
            judged,
            res.edition,
            SUM_COMPONENT,
            res.detail,
            policy,
            (),
            row.source,
        )

    values = {**p, "value": f"{ug(number)} μg/kg{summed}{fat_text}"}
    if judged > limit:
        reason = (
            _("%(value)s exceeds the limit of %(limit)s μg/kg for %(species)s %(tissue)s (%(edition)s).")
            % values
        )
        return _judgement(
            FAIL, reason, limit, judged, res.edition, res.kind, res.detail, policy, (), row.source
        )
    unfit = [t for t in (lod_n, loq_n) if t is not None and number < t and t > limit]
    if unfit:
        reason = _(
            "The method cannot show compliance: %(value)s μg/kg is reported below a limit of detection or "
            "quantification of %(threshold)s μg/kg, above the limit of %(limit)s μg/kg (%(edition)s)."
        ) % {**values, "value": ug(number), "threshold": ug(max(unfit))}
        return _judgement(
            NOT_JUDGEABLE,
            reason,
            limit,
            judged,
            res.edition,
            METHOD_UNFIT,
            res.detail,
            policy,
            (),
            row.source,
        )
    if not number or (lod_n is not None and number < lod_n):
        if number:
            reason = _("Not detected: %(value)s μg/kg is below the limit of detection of %(lod)s μg/kg.") % {
                "value": ug(number),
                "lod": ug(lod_n),
            }
        else:
            reason = _("Not detected (0 mg/kg).")
        return _judgement(
            PASS, reason, limit, judged, res.edition, NOT_DETECTED, res.detail, policy, (), row.source
        )
    reason = (
        _("%(value)s is within the limit of %(limit)s μg/kg for %(species)s %(tissue)s (%(edition)s).")
        % values
    )
    return _judgement(PASS, reason, limit, judged, res.edition, res.kind, res.detail, policy, (), row.source)
