"""The judgement engine: is a measured residue within the standards in force on the sampling date?

``judge(food=…, analyte=…, value=…, unit=…, lod=…, loq=…, on_date=…)`` → ``Judgement``. It is pure (it writes
nothing) and fast: the standards are read once into an in-memory index, which is rebuilt when an import changes
them (in this process at once, in other processes within ``CHECK_SECONDS`` through ``StandardsRevision``).

Rules (docs/standards.md gives them in full):

1. Inputs are checked: unknown food or analyte, a negative or non-numeric value, a missing or unknown unit, a unit
   that does not fit the matrix (mg/L for anything but milk), a bad fat content or policy raise ``ValidationError``
   keyed by field.
2. The most specific limit in force wins, walking up the tree; exclusions belong to the limit row (瓜类蔬菜(节瓜除外)
   does not hold for 节瓜). 再残留限量 (EMRL) rows are judged like limits. An amendment overrides its edition.
3. Quantified above the limit fails whatever the LOD; reported below an LOD/LOQ above the limit is "method not fit"
   (not judgeable); below an LOD ≤ the limit is not detected (pass).
4. A substance banned for the use: judged against the limit, a detection flagged ``banned_detected`` (违禁检出);
   the strict policy fails any detection; with no limit in a complete edition, a detection fails citing the ban.
5. No limit: ``no_limit`` (complete edition), ``limit_not_loaded`` (partial edition), ``no_edition`` (none loaded
   for the date): not judgeable, saying so.

Editions in force on a date, per standard family: the latest full edition whose in-force date has come, plus the
amendments to it whose own in-force dates have come (a later full edition thereby replaces the editions and
amendments it supersedes).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import re
import threading
import time
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from nongan.registry import selectors as registry

from .choices import EditionKind, Flag, LimitBasis, LimitType, Policy, Rule, Verdict, Verification
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


# ------------------------------------------------------------------ the index
@dataclass(frozen=True)
class _Limit:
    edition_id: int
    limit: Decimal
    temporary: bool
    excludes: frozenset[int]
    limit_type: str
    basis: str
    source: str


@dataclass(frozen=True)
class _Ban:
    """A ban (all uses) or a restriction (some crops) that applies to the food on the date."""

    rule: str  # banned | restricted_scope
    announcement: str
    detail: str
    unverified: bool
    source: str


@dataclass(frozen=True)
class _Resolution:
    """Everything about a (food, analyte, date) that does not depend on the value."""

    kind: str  # mrl_food | mrl_group | emrl_food | emrl_group | no_limit | limit_not_loaded | no_edition | fat_needed
    limit: Decimal | None
    edition: str
    detail: str
    pass_tpl: str
    fail_tpl: str
    params: dict
    ban: _Ban | None = None
    source: str = ""
    basis: str = ""

    def __post_init__(self) -> None:
        # Everything but the value substituted once: a judgement only joins the value in.
        sentinel = "\x00"
        params = {k: str(v) for k, v in self.params.items()}
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
        self.exclude_unverified = bool(getattr(settings, "STANDARDS_EXCLUDE_UNVERIFIED", False))
        cats = list(registry.categories().values_list("id", "name", "parent_id", "kind", "aliases"))
        self.cat_name = {c[0]: c[1] for c in cats}
        self.cat_kind = {c[0]: c[3] for c in cats}
        parent = {c[0]: c[2] for c in cats}
        self.food_ids: dict[str, int] = {}
        for cid, _name, _p, _k, aliases in cats:
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

        self.analyte_ids: dict[str, int] = {}
        self.analyte_name: dict[int, str] = {}
        self.analyte_kind: dict[int, str] = {}
        analytes = list(Analyte.objects.values_list("id", "name_zh", "name_en", "aliases", "kind", "cas"))
        for aid, name_zh, name_en, aliases, kind, cas in analytes:
            self.analyte_name[aid] = name_zh
            self.analyte_kind[aid] = kind
            for alias in _split(aliases):
                self.analyte_ids.setdefault(alias, aid)
                self.analyte_ids.setdefault(alias.lower(), aid)
            if name_en:
                self.analyte_ids.setdefault(name_en.strip().lower(), aid)
            if cas:
                self.analyte_ids.setdefault(cas.strip(), aid)
        for aid, name_zh, *_rest in analytes:
            self.analyte_ids[name_zh] = aid

        self.editions = {e[0]: EditionInfo(*e) for e in Edition.objects.values_list(*EDITION_FIELDS)}
        self.partial = set(Edition.objects.filter(partial=True).values_list("id", flat=True))
        self.families = sorted({e.family for e in self.editions.values()})
        self.analyte_families: dict[int, set[str]] = {}
        self.limits: dict[tuple[int, int], list[_Limit]] = {}
        for (
            eid,
            aid,
            fid,
            limit,
            temporary,
            excludes,
            ltype,
            basis,
            sfile,
            srow,
            clause,
            table,
        ) in MaxResidueLimit.objects.values_list(
            "edition_id",
            "analyte_id",
            "food_id",
            "limit_mg_kg",
            "temporary",
            "excludes",
            "limit_type",
            "basis",
            "source_file",
            "source_row",
            "clause",
            "table_no",
        ):
            ex = frozenset(self.food_ids[n] for n in _split(excludes) if n in self.food_ids)
            source = ", ".join(
                p
                for p in (
                    f"{sfile}:{srow}" if sfile and srow else sfile,
                    " ".join(x for x in (clause, table) if x),
                )
                if p
            )
            self.limits.setdefault((aid, fid), []).append(
                _Limit(eid, limit, temporary, ex, ltype, basis, source)
            )
            self.analyte_families.setdefault(aid, set()).add(self.editions[eid].family)

        # Bans: a row superseded by a row that is itself in use is left out (the older row comes back when the
        # newer is set aside); unverified rows are left out when the setting says so.
        rows = list(
            BannedSubstance.objects.values_list(
                "id",
                "analyte_id",
                "announcement",
                "effective_from",
                "verification",
                "supersedes_id",
                "source_row",
            )
        )
        used = [r for r in rows if not (self.exclude_unverified and r[4] == Verification.UNVERIFIED)]
        superseded = {r[5] for r in used if r[5]}
        self.banned: dict[int, list[tuple[dt.date | None, str, bool, str]]] = {}
        for _id, aid, announcement, effective, verification, _sup, source_row in used:
            if _id in superseded:
                continue
            self.banned.setdefault(aid, []).append(
                (effective, announcement, verification == Verification.UNVERIFIED, source_row)
            )

        mapping: dict[str, set[int]] = {}
        for name, cid in ScopeMapping.objects.values_list("name", "categories"):
            if cid is not None:
                mapping.setdefault(name, set()).add(cid)
        self.scope_mapping = mapping
        self.restricted: dict[int, list[tuple[frozenset[int], str, str, dt.date | None, bool, str]]] = {}
        for (
            aid,
            banned_on,
            announcement,
            effective,
            verification,
            source_row,
        ) in RestrictedUse.objects.values_list(
            "analyte_id", "banned_on", "announcement", "effective_from", "verification", "source_row"
        ):
            if self.exclude_unverified and verification == Verification.UNVERIFIED:
                continue
            ids: set[int] = set()
            for name in _split(banned_on):
                ids |= self.scope_ids(name)
            self.restricted.setdefault(aid, []).append(
                (
                    frozenset(ids),
                    banned_on,
                    announcement,
                    effective,
                    verification == Verification.UNVERIFIED,
                    source_row,
                )
            )

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
    def ban_for(self, food_id: int, analyte_id: int, on_date: dt.date) -> _Ban | None:
        """The ban (all uses) or restriction (this crop) of the analyte in force on the date, if any."""
        analyte = self.analyte_name[analyte_id]
        for effective, announcement, unverified, source_row in self.banned.get(analyte_id, ()):
            if effective is None or effective <= on_date:
                source = announcement or _("list of banned pesticides")
                detail = _("%(analyte)s: banned substance (%(source)s)") % {
                    "analyte": analyte,
                    "source": source,
                }
                return _Ban(BANNED, source, detail, unverified, source_row)
        chain = self.chain[food_id]
        for ids, banned_on, announcement, effective, unverified, source_row in self.restricted.get(
            analyte_id, ()
        ):
            if (effective is None or effective <= on_date) and any(node in ids for node in chain):
                source = announcement or _("list of restricted pesticides")
                detail = _("%(analyte)s: banned on %(scope)s (%(source)s)") % {
                    "analyte": analyte,
                    "scope": banned_on,
                    "source": source,
                }
                return _Ban(RESTRICTED_SCOPE, source, detail, unverified, source_row)
        return None

    def resolve(self, food_id: int, analyte_id: int, on_date: dt.date, fat=None) -> _Resolution:
        food = self.cat_name[food_id]
        analyte = self.analyte_name[analyte_id]
        base = {"food": food, "analyte": analyte, "date": on_date.isoformat()}
        ban = self.ban_for(food_id, analyte_id, on_date)
        chain = self.chain[food_id]

        active = self.active(on_date)
        families = self.analyte_families.get(analyte_id)
        if not families:
            prefix = FAMILY_BY_KIND.get(self.analyte_kind[analyte_id])
            families = {f for f in self.families if prefix is None or f == prefix} or set(self.families)
        order = [eid for fam in sorted(families) for eid in active.get(fam, ())]
        rank = {eid: i for i, eid in enumerate(order)}
        skipped: list[str] = []
        for depth, node in enumerate(chain):
            rows = self.limits.get((analyte_id, node))
            if not rows:
                continue
            # Exclusions belong to the row: 瓜类蔬菜(节瓜除外) does not hold for 节瓜 (nor for anything below it).
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
            best = min(rank[r.edition_id] for r in candidates)
            candidates = [r for r in candidates if rank[r.edition_id] == best]
            bands = [r for r in candidates if r.basis in BANDS]
            if bands:
                if fat is None:
                    edition = self.edition_label(bands[0].edition_id)
                    tpl = _(
                        "The limit for %(node)s (%(edition)s) depends on the fat content: give the fat content of "
                        "the sample to judge it."
                    )
                    params = {**base, "node": self.cat_name[node], "edition": edition}
                    detail = f"{self.cat_name[node]} ({edition})"
                    return _Resolution(FAT_NEEDED, None, edition, detail, tpl, tpl, params, ban)
                want = LimitBasis.FAT_10_UP if fat >= 10 else LimitBasis.FAT_BELOW_10
                candidates = [r for r in bands if r.basis == want] or candidates
            row = candidates[0]
            edition = self.edition_label(row.edition_id)
            limit_text = fmt(row.limit) + ("*" if row.temporary else "")
            basis_text = BASIS_TEXT.get(row.basis, "")
            emrl = row.limit_type == LimitType.EMRL
            kind_text = "EMRL " if emrl else ""
            detail = f"{self.cat_name[node]} {kind_text}{limit_text} mg/kg{basis_text} ({edition})"
            if row.source:
                detail += f" [{row.source}]"
            params = {
                **base,
                "node": self.cat_name[node],
                "limit": limit_text + basis_text,
                "edition": edition,
                "kind": _("extraneous limit (EMRL)") if emrl else _("limit"),
            }
            if depth == 0:
                rule = EMRL_FOOD if emrl else MRL_FOOD
                pass_tpl = _(
                    "%(value)s mg/kg is within the %(kind)s of %(limit)s mg/kg for %(food)s (%(edition)s)."
                )
                fail_tpl = _(
                    "%(value)s mg/kg exceeds the %(kind)s of %(limit)s mg/kg for %(food)s (%(edition)s)."
                )
            else:
                rule = EMRL_GROUP if emrl else MRL_GROUP
                pass_tpl = _(
                    "%(value)s mg/kg is within the %(kind)s of %(limit)s mg/kg for %(node)s, the group of "
                    "%(food)s (%(edition)s)."
                )
                fail_tpl = _(
                    "%(value)s mg/kg exceeds the %(kind)s of %(limit)s mg/kg for %(node)s, the group of "
                    "%(food)s (%(edition)s)."
                )
            return _Resolution(
                rule, row.limit, edition, detail, pass_tpl, fail_tpl, params, ban, row.source, row.basis
            )

        edition = "/".join(
            self.editions[eid].code for fam in sorted(families) for eid in reversed(active.get(fam, ()))
        )
        groups = "、".join(skipped)
        if not order:
            loaded = sorted(
                (e for e in self.editions.values() if e.family in families and e.kind == EditionKind.FULL),
                key=lambda e: e.in_force,
            )
            first = loaded[0] if loaded else None
            if first is not None and on_date < first.in_force:
                tpl = _(
                    "No edition loaded is in force on %(date)s: the earliest loaded, %(first)s, is in force from "
                    "%(first_date)s. Load the edition in force on that date to judge the result."
                )
                params = {**base, "first": first.code, "first_date": first.in_force.isoformat()}
            else:
                tpl = _("No edition of the standard is loaded, so the result cannot be judged.")
                params = base
            detail = _("no edition loaded for %(date)s") % base
            return _Resolution(NO_EDITION, None, "", detail, tpl, tpl, params, ban)
        if skipped:
            detail = _("no limit for %(food)s (excluded from %(groups)s)") % {"food": food, "groups": groups}
        else:
            detail = _("no limit for %(food)s or its groups") % {"food": food}
        partial = [self.editions[eid].code for eid in order if eid in self.partial]
        if partial:
            tpl = _(
                "%(partial)s is loaded only in part (an excerpt): no limit for %(analyte)s in %(food)s is loaded, "
                "so the result cannot be judged; this does not mean the standard sets none."
            )
            return _Resolution(
                LIMIT_NOT_LOADED,
                None,
                edition,
                detail,
                tpl,
                tpl,
                {**base, "partial": "、".join(partial)},
                ban,
            )
        tpl = _(
            "There is no limit for %(analyte)s in %(food)s in %(edition)s (in force on %(date)s), so "
            "the result cannot be judged."
        )
        if skipped:
            tpl += _(" %(food)s is excluded from the entry for %(groups)s.")
        return _Resolution(
            NO_LIMIT, None, edition, detail, tpl, tpl, {**base, "edition": edition, "groups": groups}, ban
        )


# Formulation words of a product name: "毒死蜱乳油", "40%毒死蜱微乳剂", "chlorpyrifos 40% EC".
_FORMULATION = re.compile(
    r"\d+(?:\.\d+)?\s*%|乳油|可湿性粉剂|水分散粒剂|悬浮剂|微乳剂|水乳剂|颗粒剂|水剂|粉剂|原药|母药|可溶液剂|"
    r"\b(?:EC|WP|SC|WG|WDG|GR|SL|EW|ME|TC)\b",
    re.IGNORECASE,
)


def resolve_analyte(index: _Index, text: str) -> int | None:
    """The analyte a name, other name, CAS number or product name stands for (None when none does): exact first,
    then without formulation words, then the longest analyte name or other name the text contains."""
    name = (text or "").strip()
    if not name:
        return None
    aid = index.analyte_ids.get(name) or index.analyte_ids.get(name.lower())
    if aid is not None:
        return aid
    bare = _FORMULATION.sub(" ", name).strip()
    aid = index.analyte_ids.get(bare) or index.analyte_ids.get(bare.lower())
    if aid is not None:
        return aid
    lowered = name.lower()
    best = None
    for key, candidate in index.analyte_ids.items():
        if len(key) >= 2 and key in lowered and (best is None or len(key) > len(best[0])):
            best = (key, candidate)
    return best[1] if best else None


def _split(text: str | None) -> list[str]:
    if not text:
        return []
    return [p.strip() for p in text.replace("；", ";").split(";") if p.strip()]


def _read_token() -> str:
    token = StandardsRevision.objects.order_by("-pk").values_list("token", flat=True).first() or ""
    return f"{token}:{registry.categories().count()}"


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
    *,
    food: str,
    analyte: str,
    value,
    unit: str,
    lod=None,
    loq=None,
    on_date: dt.date | None = None,
    policy: str = POLICY_MRL,
    fat=None,
) -> Judgement:
    """Judge one measured value of an analyte in a food against the standards in force on ``on_date``
    (default: today, Asia/Shanghai). ``lod``/``loq`` are in the same unit as ``value``. ``policy`` is the plan's
    policy for banned substances (``mrl``: judged against the limit and flagged; ``strict``: any detection fails);
    ``fat`` the fat content in % where a limit depends on it."""
    index = get_index()
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
    if ban is not None and (kind == NO_LIMIT or (detected and policy == POLICY_STRICT)):
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
