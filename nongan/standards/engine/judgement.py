"""The verdict of a judgement: the rule, verdict and unit constants, ``Judgement`` and the number formats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from ..choices import Flag, LimitBasis, Policy, Rule, Verdict

ONE = Decimal(1)
MILLI = Decimal("0.001")
ZERO = Decimal(0)

# Units accepted, normalised (lower case, no spaces, µ/μ → u) → (factor to mg/kg, liquid-only).
UNITS: dict[str, tuple[Decimal, bool]] = {
    "mg/kg": (ONE, False),
    "ppm": (ONE, False),
    "ug/g": (ONE, False),
    "毫克/千克": (ONE, False),
    "毫克每千克": (ONE, False),
    "ug/kg": (MILLI, False),
    "ppb": (MILLI, False),
    "ng/g": (MILLI, False),
    "微克/千克": (MILLI, False),
    "微克每千克": (MILLI, False),
    "mg/l": (ONE, True),
    "毫克/升": (ONE, True),
    "ug/l": (MILLI, True),
    "微克/升": (MILLI, True),
}
# Where limits of an analyte with no limit rows at all would be looked for.
FAMILY_BY_KIND = {"pesticide": "GB 2763", "vet_drug": "GB 31650"}
# Plain strings (not enum members) in every Judgement, so it compares, hashes and serialises as text.
PASS, FAIL, NOT_JUDGEABLE = Verdict.PASS.value, Verdict.FAIL.value, Verdict.NOT_JUDGEABLE.value
MRL_FOOD, MRL_GROUP, BANNED = Rule.MRL_FOOD.value, Rule.MRL_GROUP.value, Rule.BANNED.value
RESTRICTED_SCOPE, NO_LIMIT, NOT_DETECTED = (
    Rule.RESTRICTED_SCOPE.value,
    Rule.NO_LIMIT.value,
    Rule.NOT_DETECTED.value,
)
EMRL_FOOD, EMRL_GROUP, LIMIT_NOT_LOADED = (
    Rule.EMRL_FOOD.value,
    Rule.EMRL_GROUP.value,
    Rule.LIMIT_NOT_LOADED.value,
)
NO_EDITION, METHOD_UNFIT, FAT_NEEDED = (
    Rule.NO_EDITION.value,
    Rule.METHOD_UNFIT.value,
    Rule.FAT_CONTENT_NEEDED.value,
)
POLICY_MRL, POLICY_STRICT = Policy.MRL.value, Policy.STRICT.value
BANNED_DETECTED, BASIS_UNVERIFIED = Flag.BANNED_DETECTED.value, Flag.BASIS_UNVERIFIED.value
BANDS = {LimitBasis.FAT_BELOW_10.value, LimitBasis.FAT_10_UP.value}
BASIS_TEXT = {
    LimitBasis.AS_IS.value: "（以原样计）",
    LimitBasis.FAT.value: "（以脂肪计）",
    LimitBasis.FAT_BELOW_10.value: "（脂肪含量10%以下，以原样计）",
    LimitBasis.FAT_10_UP.value: "（脂肪含量10%及以上，以脂肪计）",
}
# Exact unit strings already seen (not the litre ones, which depend on the food) → factor.
_RAW_UNITS: dict[str, Decimal] = {"mg/kg": ONE, "μg/kg": MILLI, "µg/kg": MILLI, "ug/kg": MILLI}
# Product-tree kinds for which litre units are taken as kilogram units (GB 2763 / GB 31650 practice for milk).
LIQUID_KINDS = {"milk"}


@dataclass(frozen=True)
class Judgement:
    verdict: str  # "pass" | "fail" | "not_judgeable"  (Verdict)
    reason: str  # human-readable, translated (Chinese by default)
    limit_mg_kg: Decimal | None
    value_mg_kg: Decimal | None
    edition: str  # e.g. "GB 2763-2026" (+ "/GB 2763.1-2022" when an amendment's row was used)
    rule: str  # Rule: mrl_food | mrl_group | emrl_* | banned | restricted_scope | no_limit | not_detected | …
    rule_detail: str  # which row / group / announcement was used
    policy: str = POLICY_MRL  # Policy: how a banned substance below its limit was judged
    flags: tuple[str, ...] = ()  # Flag: banned_detected (违禁检出), basis_unverified
    source: str = ""  # the source row of the limit or ban used ("gb2763_2026_excerpt.csv:835, 4.125 表 125")

    @property
    def passed(self) -> bool:
        return self.verdict == PASS

    def as_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "limit_mg_kg": None if self.limit_mg_kg is None else fmt(self.limit_mg_kg),
            "value_mg_kg": None if self.value_mg_kg is None else fmt(self.value_mg_kg),
            "edition": self.edition,
            "rule": self.rule,
            "rule_detail": self.rule_detail,
            "policy": self.policy,
            "flags": list(self.flags),
            "source": self.source,
        }


_new = object.__new__


def _judgement(
    verdict, reason, limit, value, edition, rule, detail, policy=POLICY_MRL, flags=(), source=""
) -> Judgement:
    """Judgement(...) without the frozen dataclass's object.__setattr__ calls (the hot path)."""
    j = _new(Judgement)
    d = j.__dict__
    d["verdict"] = verdict
    d["reason"] = reason
    d["limit_mg_kg"] = limit
    d["value_mg_kg"] = value
    d["edition"] = edition
    d["rule"] = rule
    d["rule_detail"] = detail
    d["policy"] = policy
    d["flags"] = flags
    d["source"] = source
    return j


def fmt(value: Decimal) -> str:
    """0.8 → "0.8", 5.000000 → "5", 1E+2 → "100"."""
    text = format(value.normalize(), "f")
    return text


def fmt_fast(value: Decimal) -> str:
    text = str(value)
    if "E" in text or ("." in text and text[-1] == "0"):
        return fmt(value)
    return text


def normalise_unit(unit: str) -> str:
    return unit.strip().lower().replace(" ", "").replace("µ", "u").replace("μ", "u").replace("／", "/")


def _number(value, field: str, errors: dict) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        errors[field] = _("Enter a number.")
        return None
    try:
        number = (
            value
            if isinstance(value, Decimal)
            else Decimal(value.strip() if isinstance(value, str) else str(value))
        )
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = _("“%(value)s” is not a number.") % {"value": value}
        return None
    if not number.is_finite():
        errors[field] = _("“%(value)s” is not a number.") % {"value": value}
        return None
    if number < 0:
        errors[field] = _("A concentration cannot be negative (%(value)s).") % {"value": value}
        return None
    return number
