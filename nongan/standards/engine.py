"""The judgement engine: is a measured residue within the standards in force on the sampling date?

``judge(food=…, analyte=…, value=…, unit=…, lod=…, loq=…, on_date=…)`` → ``Judgement``. It is pure (it writes
nothing) and fast: the standards are read once into an in-memory index, which is rebuilt when an import changes
them (in this process at once, in other processes within ``CHECK_SECONDS`` through ``StandardsRevision``).

Rules, in order:

1. Inputs are checked: an unknown food or analyte, a negative or non-numeric value, a missing or unknown unit
   raise ``ValidationError`` keyed by field (food / analyte / value / unit / lod / loq).
2. Units: mg/kg (= ppm = μg/g), μg/kg (also written ug/kg and µg/kg; = ppb) are converted to mg/kg. mg/L and
   μg/L are accepted for raw milk only and taken as mg/kg and μg/kg, as GB 2763 / GB 31650 do for milk.
3. A value below the LOD (or 0 when no LOD is given) is "not detected": pass, rule ``not_detected``.
4. A banned substance (in force on the date) fails on any detection at or above the LOD.
5. A restricted-scope substance fails when detected on a food in its banned scope.
6. Otherwise the most specific limit in force wins: the food itself, then the nearest group up the tree, skipping a
   group that excludes the food (瓜类蔬菜 excludes 节瓜). Within one node an amendment in force overrides the
   edition it amends. value ≤ limit passes.
7. No limit anywhere up the tree: "not_judgeable" with the reason, never a silent pass.

Editions in force on a date, per standard family: the latest full edition whose in-force date has come, plus the
amendments to it whose own in-force dates have come (a later full edition thereby replaces the editions and
amendments it supersedes).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import threading
import time
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from nongan.registry.models import ProductCategory

from .choices import EditionKind, Rule, Verdict
from .inforce import EDITION_FIELDS, EditionInfo, active_editions
from .models import (
    Analyte,
    BannedSubstance,
    Edition,
    MaxResidueLimit,
    RestrictedUse,
    ScopeMapping,
    StandardsRevision,
)

# How often another process's import is looked for, in seconds (one tiny query).
CHECK_SECONDS = 1.0
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

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
    rule: str  # Rule: mrl_food | mrl_group | banned | restricted_scope | no_limit | not_detected
    rule_detail: str  # which row / group / announcement was used

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
        }


_new = object.__new__


def _judgement(verdict, reason, limit, value, edition, rule, detail) -> Judgement:
    """Judgement(...) without the frozen dataclass's seven object.__setattr__ calls (the hot path)."""
    j = _new(Judgement)
    d = j.__dict__
    d["verdict"] = verdict
    d["reason"] = reason
    d["limit_mg_kg"] = limit
    d["value_mg_kg"] = value
    d["edition"] = edition
    d["rule"] = rule
    d["rule_detail"] = detail
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


# ------------------------------------------------------------------ the index
@dataclass(frozen=True)
class _Limit:
    edition_id: int
    limit: Decimal
    temporary: bool
    excludes: frozenset[int]


@dataclass(frozen=True)
class _Resolution:
    """Everything about a (food, analyte, date) that does not depend on the value."""

    kind: str  # banned | restricted_scope | mrl_food | mrl_group | no_limit
    limit: Decimal | None
    edition: str
    detail: str
    pass_tpl: str
    fail_tpl: str
    params: dict

    def __post_init__(self) -> None:
        # Everything but the value substituted once: a judgement only joins the value in.
        sentinel = "\x00"
        params = {k: str(v).replace("%", "%%") for k, v in self.params.items()}
        params = {k: v.replace("%%", "%") for k, v in params.items()}
        for name, tpl in (("pass_parts", self.pass_tpl), ("fail_parts", self.fail_tpl)):
            object.__setattr__(
                self, name, (tpl % {**params, "value": sentinel}).split(sentinel) if tpl else [""]
            )
        object.__setattr__(
            self,
            "nd_tpl",
            _("Not detected: %(value)s mg/kg is below the limit of detection of %(lod)s mg/kg."),
        )
        object.__setattr__(self, "nd_zero", _("Not detected (0 mg/kg)."))


class _Index:
    """The standards read once into dictionaries."""

    def __init__(self) -> None:
        self.token = _read_token()
        cats = list(
            ProductCategory.objects.values_list("id", "name", "parent_id", "kind", "aliases", "excludes")
        )
        self.cat_name = {c[0]: c[1] for c in cats}
        self.cat_kind = {c[0]: c[3] for c in cats}
        parent = {c[0]: c[2] for c in cats}
        self.food_ids: dict[str, int] = {}
        for cid, _name, _p, _k, aliases, _e in cats:
            for alias in _split(aliases):
                self.food_ids.setdefault(alias, cid)
        for cid, name, *_rest in cats:
            self.food_ids[name] = cid  # names win over other names
        self.chain: dict[int, tuple[int, ...]] = {}
        for cid in parent:
            chain, node = [], cid
            while node is not None and node not in chain:
                chain.append(node)
                node = parent.get(node)
            self.chain[cid] = tuple(chain)
        self.group_excludes: dict[int, frozenset[int]] = {}
        for cid, _name, _p, _k, _a, excludes in cats:
            ids = frozenset(self.food_ids[n] for n in _split(excludes) if n in self.food_ids)
            if ids:
                self.group_excludes[cid] = ids

        self.analyte_ids: dict[str, int] = {}
        self.analyte_name: dict[int, str] = {}
        self.analyte_kind: dict[int, str] = {}
        analytes = list(Analyte.objects.values_list("id", "name_zh", "name_en", "aliases", "kind"))
        for aid, name_zh, name_en, aliases, kind in analytes:
            self.analyte_name[aid] = name_zh
            self.analyte_kind[aid] = kind
            for alias in _split(aliases):
                self.analyte_ids.setdefault(alias, aid)
                self.analyte_ids.setdefault(alias.lower(), aid)
            if name_en:
                self.analyte_ids.setdefault(name_en.strip().lower(), aid)
        for aid, name_zh, *_rest in analytes:
            self.analyte_ids[name_zh] = aid

        self.editions = {e[0]: EditionInfo(*e) for e in Edition.objects.values_list(*EDITION_FIELDS)}
        self.families = sorted({e.family for e in self.editions.values()})
        self.analyte_families: dict[int, set[str]] = {}
        self.limits: dict[tuple[int, int], list[_Limit]] = {}
        for eid, aid, fid, limit, temporary, excludes in MaxResidueLimit.objects.values_list(
            "edition_id", "analyte_id", "food_id", "limit_mg_kg", "temporary", "excludes"
        ):
            ex = frozenset(self.food_ids[n] for n in _split(excludes) if n in self.food_ids)
            self.limits.setdefault((aid, fid), []).append(_Limit(eid, limit, temporary, ex))
            self.analyte_families.setdefault(aid, set()).add(self.editions[eid].family)

        self.banned: dict[int, list[tuple[dt.date | None, str]]] = {}
        for aid, announcement, effective in BannedSubstance.objects.values_list(
            "analyte_id", "announcement", "effective_from"
        ):
            self.banned.setdefault(aid, []).append((effective, announcement))

        mapping: dict[str, set[int]] = {}
        for name, cid in ScopeMapping.objects.values_list("name", "categories"):
            if cid is not None:
                mapping.setdefault(name, set()).add(cid)
        self.scope_mapping = mapping
        self.restricted: dict[int, list[tuple[frozenset[int], str, str, dt.date | None]]] = {}
        for aid, banned_on, announcement, effective in RestrictedUse.objects.values_list(
            "analyte_id", "banned_on", "announcement", "effective_from"
        ):
            ids: set[int] = set()
            for name in _split(banned_on):
                ids |= self.scope_ids(name)
            self.restricted.setdefault(aid, []).append((frozenset(ids), banned_on, announcement, effective))

        self.active_cache: dict[dt.date, dict[str, tuple[int, ...]]] = {}
        self.resolutions: dict[tuple, _Resolution] = {}

    def scope_ids(self, name: str) -> set[int]:
        name = name.strip()
        if name in self.scope_mapping:
            return set(self.scope_mapping[name])
        if name in self.food_ids:
            return {self.food_ids[name]}
        return set()

    # editions in force -------------------------------------------------------
    def active(self, on_date: dt.date) -> dict[str, tuple[int, ...]]:
        """family → edition ids in force on the date, amendments (newest first) before their base."""
        hit = self.active_cache.get(on_date)
        if hit is not None:
            return hit
        result = active_editions(self.editions.values(), on_date, self.families)
        if len(self.active_cache) > 4096:
            self.active_cache.clear()
        self.active_cache[on_date] = result
        return result

    def edition_label(self, edition_id: int) -> str:
        info = self.editions[edition_id]
        if info.kind == EditionKind.AMENDMENT and info.amends_id in self.editions:
            return f"{self.editions[info.amends_id].code}/{info.code}"
        return info.code

    # resolution -------------------------------------------------------------
    def resolve(self, food_id: int, analyte_id: int, on_date: dt.date) -> _Resolution:
        food = self.cat_name[food_id]
        analyte = self.analyte_name[analyte_id]
        base = {"food": food, "analyte": analyte, "date": on_date.isoformat()}

        for effective, announcement in self.banned.get(analyte_id, ()):
            if effective is None or effective <= on_date:
                source = announcement or _("list of banned pesticides")
                detail = _("%(analyte)s: banned substance (%(source)s)") % {
                    "analyte": analyte,
                    "source": source,
                }
                return _Resolution(
                    BANNED,
                    None,
                    announcement,
                    detail,
                    "",
                    _(
                        "%(analyte)s is a banned substance (%(source)s): any detection at or above the limit of "
                        "detection fails; found %(value)s mg/kg in %(food)s."
                    ),
                    {**base, "source": source},
                )

        chain = self.chain[food_id]
        for ids, banned_on, announcement, effective in self.restricted.get(analyte_id, ()):
            if (effective is None or effective <= on_date) and any(node in ids for node in chain):
                source = announcement or _("list of restricted pesticides")
                detail = _("%(analyte)s: banned on %(scope)s (%(source)s)") % {
                    "analyte": analyte,
                    "scope": banned_on,
                    "source": source,
                }
                return _Resolution(
                    RESTRICTED_SCOPE,
                    None,
                    announcement,
                    detail,
                    "",
                    _(
                        "%(analyte)s is banned on %(scope)s (%(source)s) and was found in %(food)s at %(value)s mg/kg."
                    ),
                    {**base, "scope": banned_on, "source": source},
                )

        active = self.active(on_date)
        families = self.analyte_families.get(analyte_id)
        if not families:
            prefix = FAMILY_BY_KIND.get(self.analyte_kind[analyte_id])
            families = {f for f in active if prefix is None or f == prefix} or set(active)
        order = [eid for fam in sorted(families) for eid in active.get(fam, ())]
        rank = {eid: i for i, eid in enumerate(order)}
        skipped: list[str] = []
        for depth, node in enumerate(chain):
            excluded_by_group = self.group_excludes.get(node, frozenset())
            if depth and any(below in excluded_by_group for below in chain[:depth]):
                skipped.append(self.cat_name[node])
                continue
            rows = self.limits.get((analyte_id, node))
            if not rows:
                continue
            candidates = [
                r
                for r in rows
                if r.edition_id in rank
                and not (depth and any(below in r.excludes for below in chain[:depth]))
            ]
            if not candidates:
                if any(r.edition_id in rank for r in rows):
                    skipped.append(self.cat_name[node])
                continue
            row = min(candidates, key=lambda r: rank[r.edition_id])
            edition = self.edition_label(row.edition_id)
            limit_text = fmt(row.limit) + ("*" if row.temporary else "")
            detail = f"{self.cat_name[node]} {limit_text} mg/kg ({edition})"
            params = {**base, "node": self.cat_name[node], "limit": limit_text, "edition": edition}
            if depth == 0:
                rule = MRL_FOOD
                pass_tpl = _(
                    "%(value)s mg/kg is within the limit of %(limit)s mg/kg for %(food)s (%(edition)s)."
                )
                fail_tpl = _(
                    "%(value)s mg/kg exceeds the limit of %(limit)s mg/kg for %(food)s (%(edition)s)."
                )
            else:
                rule = MRL_GROUP
                pass_tpl = _(
                    "%(value)s mg/kg is within the limit of %(limit)s mg/kg for %(node)s, the group of "
                    "%(food)s (%(edition)s)."
                )
                fail_tpl = _(
                    "%(value)s mg/kg exceeds the limit of %(limit)s mg/kg for %(node)s, the group of "
                    "%(food)s (%(edition)s)."
                )
            return _Resolution(rule, row.limit, edition, detail, pass_tpl, fail_tpl, params)

        edition = "/".join(
            self.editions[eid].code for fam in sorted(families) for eid in reversed(active.get(fam, ()))
        )
        if skipped:
            detail = _("no limit for %(food)s (excluded from %(groups)s)") % {
                "food": food,
                "groups": "、".join(skipped),
            }
        else:
            detail = _("no limit for %(food)s or its groups") % {"food": food}
        if order:
            tpl = _(
                "There is no limit for %(analyte)s in %(food)s in %(edition)s (in force on %(date)s), so "
                "the result cannot be judged."
            )
        else:
            tpl = _("No residue standard was in force on %(date)s, so the result cannot be judged.")
        if skipped:
            tpl += _(" %(food)s is excluded from the entry for %(groups)s.")
        return _Resolution(
            NO_LIMIT,
            None,
            edition,
            detail,
            tpl,
            tpl,
            {**base, "edition": edition, "groups": "、".join(skipped)},
        )


def _split(text: str | None) -> list[str]:
    if not text:
        return []
    return [p.strip() for p in text.replace("；", ";").split(";") if p.strip()]


def _read_token() -> str:
    token = StandardsRevision.objects.order_by("-pk").values_list("token", flat=True).first() or ""
    return f"{token}:{ProductCategory.objects.count()}"


# ------------------------------------------------------------------ the active language, cheaply
def _language_slow():
    return translation.get_language()


def _make_language_reader():
    """Django keeps the active translation in an asgiref Local, whose attribute access takes a lock and, when no
    language is active, raises and catches an exception: microseconds, half of a judgement. The reader below
    goes to the context variable underneath (asgiref ≥ 3.8 layout) and returns the active translation object
    itself (or None for the default language) as the cache key; with any other layout it falls back to
    ``translation.get_language()``. ``test_engine`` checks both agree."""
    from django.utils.translation import trans_real

    try:
        local = trans_real._active
        storage = object.__getattribute__(local, "_storage")
        cvar = object.__getattribute__(storage, "_data")
        if not isinstance(cvar, contextvars.ContextVar):
            return _language_slow
    except AttributeError:
        return _language_slow
    get_ident = threading.get_ident

    def reader():
        st = cvar.get(None)
        if st is None or st.thread_id != get_ident():
            return None
        return st.data.get("value")

    return reader


_language = _make_language_reader()


# ------------------------------------------------------------------ index lifecycle
_lock = threading.Lock()
_state = {"index": None, "checked": 0.0, "today": None, "today_until": 0.0}


def invalidate() -> None:
    """Drop the in-memory index now; the next judgement rebuilds it."""
    _state["index"] = None
    _state["checked"] = 0.0


def invalidate_on_commit() -> None:
    invalidate()
    transaction.on_commit(invalidate)


def get_index() -> _Index:
    index = _state["index"]
    now = time.monotonic()
    if index is not None and now - _state["checked"] < CHECK_SECONDS:
        return index
    with _lock:
        index = _state["index"]
        if index is not None and index.token != _read_token():
            index = None
        if index is None:
            index = _Index()
            _state["index"] = index
        _state["checked"] = time.monotonic()
        return index


def _today() -> dt.date:
    now = time.monotonic()
    if now < _state["today_until"]:
        return _state["today"]
    today = dt.datetime.now(SHANGHAI).date()
    _state["today"], _state["today_until"] = today, now + 1.0
    return today


def editions_in_force(on_date: dt.date, family: str | None = None):
    """The Edition rows in force on a date (all families, or one)."""
    active = get_index().active(on_date)
    ids = [eid for fam, eids in active.items() if family is None or fam == family for eid in eids]
    return list(Edition.objects.filter(pk__in=ids))


# ------------------------------------------------------------------ judge
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
    *, food: str, analyte: str, value, unit: str, lod=None, loq=None, on_date: dt.date | None = None
) -> Judgement:
    """Judge one measured value of an analyte in a food against the standards in force on ``on_date``
    (default: today, Asia/Shanghai). ``lod``/``loq`` are in the same unit as ``value``."""
    index = get_index()
    # Fast path: exact names, a plain unit, a clean number, no LOD/LOQ.
    number = None
    factor = _RAW_UNITS.get(unit) if type(unit) is str else None
    food_id = index.food_ids.get(food) if type(food) is str else None
    analyte_id = index.analyte_ids.get(analyte) if type(analyte) is str else None
    if factor is not None and food_id is not None and analyte_id is not None and lod is None and loq is None:
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
    if number is None:
        food_id, analyte_id, number, factor, lod = _checked(index, food, analyte, value, unit, lod, loq)
    elif factor is not ONE:
        number = number * factor
    return _judge(index, food_id, analyte_id, number, lod, on_date)


def _checked(index: _Index, food, analyte, value, unit, lod, loq):
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
    if errors:
        raise ValidationError(errors)

    factor = factor_liquid[0]
    if not factor_liquid[1] and isinstance(unit, str) and len(_RAW_UNITS) < 256:
        _RAW_UNITS[unit] = factor
    if factor is not ONE:
        number = number * factor
        if lod_n is not None:
            lod_n = lod_n * factor
    return food_id, analyte_id, number, factor, lod_n


def _judge(
    index: _Index, food_id: int, analyte_id: int, number: Decimal, lod_n: Decimal | None, on_date
) -> Judgement:
    day = on_date if on_date is not None else _today()
    if type(day) is not dt.date:
        day = parse_date(day) or _today()  # a datetime (its Shanghai date) or text such as "2023-06-01"

    key = (food_id, analyte_id, day, _language())
    res = index.resolutions.get(key)
    if res is None:
        res = index.resolve(food_id, analyte_id, day)
        if len(index.resolutions) > 200_000:
            index.resolutions.clear()
        index.resolutions[key] = res

    if not number or (lod_n is not None and number < lod_n):
        if number:
            reason = res.nd_tpl % {"value": fmt_fast(number), "lod": fmt_fast(lod_n)}
        else:
            reason = res.nd_zero
        return _judgement(PASS, reason, res.limit, number, res.edition, NOT_DETECTED, res.detail)

    kind = res.kind
    if kind == NO_LIMIT:
        return _judgement(NOT_JUDGEABLE, res.fail_parts[0], None, number, res.edition, kind, res.detail)
    if kind == BANNED or kind == RESTRICTED_SCOPE:
        return _judgement(
            FAIL, fmt_fast(number).join(res.fail_parts), None, number, res.edition, kind, res.detail
        )
    if number <= res.limit:
        return _judgement(
            PASS, fmt_fast(number).join(res.pass_parts), res.limit, number, res.edition, kind, res.detail
        )
    return _judgement(
        FAIL, fmt_fast(number).join(res.fail_parts), res.limit, number, res.edition, kind, res.detail
    )
