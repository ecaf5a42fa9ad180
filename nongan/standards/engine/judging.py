"""``judge``: the inputs checked, the most specific limit in force found, the verdict given."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..choices import Policy
from .cache import SHANGHAI, _today, get_index
from .index import _Ban, _Index, _Resolution
from .judgement import (
    _RAW_UNITS,
    BANNED,
    BANNED_DETECTED,
    BASIS_UNVERIFIED,
    FAIL,
    LIQUID_KINDS,
    METHOD_UNFIT,
    NO_LIMIT,
    NOT_DETECTED,
    NOT_JUDGEABLE,
    ONE,
    PASS,
    POLICY_MRL,
    POLICY_STRICT,
    UNITS,
    Judgement,
    _judgement,
    _number,
    fmt,
    fmt_fast,
    normalise_unit,
)
from .language import _language
from .vet import judge_vet


def parse_date(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(SHANGHAI).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        y, m, d = (int(p) for p in text.split("-"))
        return dt.date(y, m, d)
    except (ValueError, TypeError):
        raise ValidationError(
            {"date": _("“%(value)s” is not a date; write it as 2026-11-28.") % {"value": value}}
        ) from None


def judge(
    *,
    food: str | None = None,
    analyte: str,
    value,
    unit: str,
    lod=None,
    loq=None,
    on_date: dt.date | None = None,
    policy: str = POLICY_MRL,
    fat=None,
    species=None,
    tissue=None,
    decision_limit=None,
    parts=None,
) -> Judgement:
    """Judge one measured value of an analyte in a food against the standards in force on ``on_date``
    (default: today, Asia/Shanghai). ``lod``/``loq`` are in the same unit as ``value``. ``policy`` is the plan's
    policy for banned substances (``mrl``: judged against the limit and flagged; ``strict``: any detection fails);
    ``fat`` the fat content in % where a limit depends on it. ``species`` and ``tissue`` (猪, 肌肉) make it a
    veterinary judgement (``engine.vet``), with ``decision_limit`` (the method's CCα) for prohibited substances
    and ``parts`` ({component: value}) for a residue defined as a sum."""
    index = get_index()
    if species is not None or tissue is not None or decision_limit is not None or parts:
        day = on_date if on_date is not None else _today()
        if type(day) is not dt.date:
            day = parse_date(day) or _today()
        return judge_vet(
            index,
            food=food,
            analyte=analyte,
            value=value,
            unit=unit,
            lod=lod,
            loq=loq,
            on_date=day,
            policy=policy,
            fat=fat,
            species=species,
            tissue=tissue,
            decision_limit=decision_limit,
            parts=parts,
        )
    # Fast path: exact names, a plain unit, a clean number, no LOD/LOQ.
    number = None
    factor = _RAW_UNITS.get(unit) if type(unit) is str else None
    food_id = index.food_ids.get(food) if type(food) is str else None
    analyte_id = index.analyte_ids.get(analyte) if type(analyte) is str else None
    if (
        factor is not None
        and food_id is not None
        and analyte_id is not None
        and lod is None
        and loq is None
        and fat is None
        and policy == POLICY_MRL
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
    loq_n = fat_n = None
    if number is None:
        food_id, analyte_id, number, factor, lod, loq_n, fat_n = _checked(
            index, food, analyte, value, unit, lod, loq, policy, fat
        )
    elif factor is not ONE:
        number = number * factor
    return _judge(index, food_id, analyte_id, number, lod, on_date, loq_n, policy, fat_n)


def _checked(index: _Index, food, analyte, value, unit, lod, loq, policy=POLICY_MRL, fat=None):
    """Check every input (the slow path); return ids, the value and the LOD in mg/kg, and the factor."""
    errors: dict = {}
    food_key = food.strip() if isinstance(food, str) else ""
    food_id = index.food_ids.get(food_key)
    if food_id is None:
        if not food_key:
            errors["food"] = _("Enter the food (e.g. 黄瓜).")
        else:
            errors["food"] = _("“%(name)s” is not a food of the product classification.") % {"name": food_key}
    analyte_key = analyte.strip() if isinstance(analyte, str) else ""
    analyte_id = index.analyte_ids.get(analyte_key)
    if analyte_id is None:
        analyte_id = index.analyte_ids.get(analyte_key.lower())
        if analyte_id is None:
            if not analyte_key:
                errors["analyte"] = _("Enter the substance tested for (e.g. 腐霉利).")
            else:
                errors["analyte"] = _("“%(name)s” is not a known pesticide, veterinary drug or compound.") % {
                    "name": analyte_key
                }
    number = _number(value, "value", errors)
    if number is None and "value" not in errors:
        errors["value"] = _("Enter the measured value.")
    unit_key = normalise_unit(unit) if isinstance(unit, str) else ""
    factor_liquid = UNITS.get(unit_key)
    if factor_liquid is None:
        if not unit_key:
            errors["unit"] = _("Enter the unit (mg/kg or μg/kg).")
        else:
            errors["unit"] = _("Unknown unit “%(unit)s”; use mg/kg or μg/kg.") % {"unit": unit}
    elif factor_liquid[1] and food_id is not None and index.cat_kind.get(food_id) not in LIQUID_KINDS:
        errors["unit"] = _(
            "%(unit)s is accepted for milk only; give the value of %(food)s in mg/kg or μg/kg."
        ) % {"unit": unit, "food": index.cat_name[food_id]}
    lod_n = _number(lod, "lod", errors)
    loq_n = _number(loq, "loq", errors)
    if lod_n is not None and loq_n is not None and loq_n < lod_n:
        errors["loq"] = _("The limit of quantification cannot be below the limit of detection.")
    fat_n = _number(fat, "fat", errors)
    if fat_n is not None and fat_n > 100:
        errors["fat"] = _("A fat content lies between 0 and 100%%; “%(value)s” is not one.") % {"value": fat}
    if policy not in Policy.values:
        errors["policy"] = _("Unknown policy “%(value)s”: mrl or strict.") % {"value": policy}
    if errors:
        raise ValidationError(errors)

    factor = factor_liquid[0]
    if not factor_liquid[1] and isinstance(unit, str) and len(_RAW_UNITS) < 256:
        _RAW_UNITS[unit] = factor
    if factor is not ONE:
        number = number * factor
        if lod_n is not None:
            lod_n = lod_n * factor
        if loq_n is not None:
            loq_n = loq_n * factor
    return food_id, analyte_id, number, factor, lod_n, loq_n, fat_n


def _judge(
    index: _Index,
    food_id: int,
    analyte_id: int,
    number: Decimal,
    lod_n: Decimal | None,
    on_date,
    loq_n: Decimal | None = None,
    policy: str = POLICY_MRL,
    fat: Decimal | None = None,
) -> Judgement:
    day = on_date if on_date is not None else _today()
    if type(day) is not dt.date:
        day = parse_date(day) or _today()  # a datetime (its Shanghai date) or text such as "2023-06-01"

    key = (food_id, analyte_id, day, _language(), None if fat is None else fat >= 10)
    res = index.resolutions.get(key)
    if res is None:
        res = index.resolve(food_id, analyte_id, day, fat)
        if len(index.resolutions) > 200_000:
            index.resolutions.clear()
        index.resolutions[key] = res

    kind = res.kind
    limit = res.limit
    ban = res.ban
    detected = bool(number) and (lod_n is None or number >= lod_n)
    flags: tuple[str, ...] = ()
    if ban is not None and detected:
        # 违禁检出, and whether the ban it rests on is unverified
        flags = (BANNED_DETECTED, BASIS_UNVERIFIED) if ban.unverified else (BANNED_DETECTED,)

    if limit is not None:
        if number > limit:  # quantified above the limit: fails whatever the LOD says
            return _judgement(
                FAIL,
                fmt_fast(number).join(res.fail_parts),
                limit,
                number,
                res.edition,
                kind,
                res.detail,
                policy,
                flags,
                res.source,
            )
        unfit = [t for t in (lod_n, loq_n) if t is not None and number < t and t > limit]
        if unfit:  # reported below an LOD/LOQ above the limit: the method cannot show compliance
            reason = _(
                "The method cannot show compliance: %(value)s mg/kg is reported below a limit of detection or "
                "quantification of %(threshold)s mg/kg, above the limit of %(limit)s mg/kg (%(edition)s)."
            ) % {
                "value": fmt_fast(number),
                "threshold": fmt_fast(max(unfit)),
                "limit": fmt(limit),
                "edition": res.edition,
            }
            return _judgement(
                NOT_JUDGEABLE,
                reason,
                limit,
                number,
                res.edition,
                METHOD_UNFIT,
                res.detail,
                policy,
                flags,
                res.source,
            )
        if not detected:
            return _judgement(
                PASS,
                _nd_reason(res, number, lod_n),
                limit,
                number,
                res.edition,
                NOT_DETECTED,
                res.detail,
                policy,
                flags,
                res.source,
            )
        if ban is not None:
            if policy == POLICY_STRICT:
                reason = _(
                    "%(analyte)s is banned for this use (%(source)s); under the plan's strict policy any detection "
                    "fails: found %(value)s mg/kg in %(food)s (limit %(limit)s mg/kg)."
                ) % {
                    "analyte": res.params["analyte"],
                    "source": ban.announcement,
                    "value": fmt_fast(number),
                    "food": res.params["food"],
                    "limit": fmt(limit),
                }
                return _judgement(
                    FAIL,
                    reason + _unverified(ban),
                    limit,
                    number,
                    ban.announcement,
                    ban.rule,
                    ban.detail,
                    policy,
                    flags,
                    ban.source,
                )
            reason = fmt_fast(number).join(res.pass_parts) + _(
                " %(analyte)s is banned for this use (%(source)s): the detection is flagged (违禁检出) for follow-up."
            ) % {"analyte": res.params["analyte"], "source": ban.announcement}
            return _judgement(
                PASS,
                reason + _unverified(ban),
                limit,
                number,
                res.edition,
                kind,
                res.detail,
                policy,
                flags,
                res.source,
            )
        return _judgement(
            PASS,
            fmt_fast(number).join(res.pass_parts),
            limit,
            number,
            res.edition,
            kind,
            res.detail,
            policy,
            flags,
            res.source,
        )

    # No limit to judge against. A banned substance detected fails citing the ban where the edition in force has no
    # limit for it (or the plan's policy is strict); where the limit is not loaded or needs the fat content, the
    # result stays not judgeable, flagged.
    if ban is not None and (kind == NO_LIMIT or (detected and (policy == POLICY_STRICT or ban.prohibited))):
        if not detected:
            return _judgement(
                PASS,
                _nd_reason(res, number, lod_n),
                None,
                number,
                ban.announcement,
                NOT_DETECTED,
                ban.detail,
                policy,
                flags,
                ban.source,
            )
        if ban.rule == BANNED:
            reason = _(
                "%(analyte)s is a banned substance (%(source)s) with no limit in force for %(food)s: any detection "
                "at or above the limit of detection fails; found %(value)s mg/kg."
            )
        else:
            reason = _(
                "%(analyte)s is banned on %(food)s (%(source)s) and has no limit in force for it: the detection of "
                "%(value)s mg/kg fails."
            )
        reason %= {
            "analyte": res.params["analyte"],
            "source": ban.announcement,
            "food": res.params["food"],
            "value": fmt_fast(number),
        }
        return _judgement(
            FAIL,
            reason + _unverified(ban),
            None,
            number,
            ban.announcement,
            ban.rule,
            ban.detail,
            policy,
            flags,
            ban.source,
        )
    if not detected and (kind == NO_LIMIT or ban is not None):
        return _judgement(
            PASS,
            _nd_reason(res, number, lod_n),
            None,
            number,
            res.edition,
            NOT_DETECTED,
            res.detail,
            policy,
            flags,
        )
    return _judgement(
        NOT_JUDGEABLE, res.fail_parts[0], None, number, res.edition, kind, res.detail, policy, flags
    )


def _nd_reason(res: _Resolution, number: Decimal, lod_n: Decimal | None) -> str:
    if number:
        return res.nd_tpl % {"value": fmt_fast(number), "lod": fmt_fast(lod_n)}
    return res.nd_zero


def _unverified(ban: _Ban) -> str:
    if not ban.unverified:
        return ""
    return _(" The basis of this ban is unverified (not checked against a primary or secondary source).")
