"""The standards read once into dictionaries (``_Index``): limits, bans, restricted uses and the product tree,
and how an analyte name is resolved."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from nongan.registry import selectors as registry

from ..choices import FOOD_ANIMALS, AnalyteKind, EditionKind, LimitBasis, LimitType, Verification
from ..inforce import EDITION_FIELDS, EditionInfo, active_editions
from ..models import (
    Analyte,
    BannedSubstance,
    Edition,
    MaxResidueLimit,
    RestrictedUse,
    ScopeMapping,
    StandardsRevision,
    VetDrugLimit,
)
from .judgement import (
    BANDS,
    BANNED,
    BASIS_TEXT,
    EMRL_FOOD,
    EMRL_GROUP,
    FAMILY_BY_KIND,
    FAT_NEEDED,
    LIMIT_NOT_LOADED,
    MRL_FOOD,
    MRL_GROUP,
    NO_EDITION,
    NO_LIMIT,
    RESTRICTED_SCOPE,
    fmt,
)


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
class _VetLimit:
    """A veterinary drug limit row: in mg/kg, with the value and unit as published; ``components`` the analyte
    ids whose sum the residue definition is (empty for a single substance)."""

    edition_id: int
    limit: Decimal
    published: Decimal
    unit: str
    basis: str
    components: tuple[int, ...]
    marker: str
    source: str


@dataclass(frozen=True)
class _Ban:
    """A ban (all uses) or a restriction (some crops) that applies to the food on the date."""

    rule: str  # banned | restricted_scope
    announcement: str
    detail: str
    unverified: bool
    source: str
    prohibited: bool = (
        False  # prohibited in food animals (不得检出): a detection fails whatever the limit table
    )


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
    temporary: bool = False  # the limit is a temporary one (GB 2763 marks it *)

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
        self.marker_of: dict[int, int] = {}
        analytes = list(
            Analyte.objects.values_list("id", "name_zh", "name_en", "aliases", "kind", "cas", "marker_of_id")
        )
        for aid, name_zh, name_en, aliases, kind, cas, marker_of in analytes:
            self.analyte_name[aid] = name_zh
            self.analyte_kind[aid] = kind
            if marker_of:
                self.marker_of[aid] = marker_of
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
                "ban_scope",
            )
        )
        used = [r for r in rows if not (self.exclude_unverified and r[4] == Verification.UNVERIFIED)]
        superseded = {r[5] for r in used if r[5]}
        self.banned: dict[int, list[tuple[dt.date | None, str, bool, str]]] = {}
        # Prohibited in food animals (农业农村部公告第250号): held for veterinary judgements, never for crops.
        self.banned_animal: dict[int, list[tuple[dt.date | None, str, bool, str]]] = {}
        for _id, aid, announcement, effective, verification, _sup, source_row, scope in used:
            if _id in superseded:
                continue
            target = self.banned_animal if scope == FOOD_ANIMALS else self.banned
            target.setdefault(aid, []).append(
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

        # Veterinary drug limits keyed (analyte, species, tissue): a judgement looks up the species and its groups.
        self.vet_limits: dict[tuple[int, str, str], list[_VetLimit]] = {}
        self.vet_component_of: dict[int, set[int]] = {}
        vet_rows = VetDrugLimit.objects.values_list(
            "edition_id",
            "analyte_id",
            "species",
            "tissue",
            "limit_mg_kg",
            "limit_published",
            "unit_published",
            "basis",
            "components",
            "marker",
            "source_file",
            "source_row",
        )
        for eid, aid, species, tissue, limit, published, unit, basis, comps, marker, sfile, srow in vet_rows:
            components = tuple(self.analyte_ids[n] for n in _split(comps) if n in self.analyte_ids)
            for component in components:
                if component != aid:
                    self.vet_component_of.setdefault(component, set()).add(aid)
            source = f"{sfile}:{srow}" if sfile and srow else sfile
            self.vet_limits.setdefault((aid, species, tissue), []).append(
                _VetLimit(eid, limit, published, unit, basis, components, marker, source)
            )
            self.analyte_families.setdefault(aid, set()).add(self.editions[eid].family)

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
        if (
            self.banned_animal
            and self.cat_kind.get(food_id) != "plant"
            and self.analyte_kind.get(analyte_id) != AnalyteKind.PESTICIDE
        ):
            # A food of animal origin judged without species and tissue: the list of compounds prohibited in food
            # animals holds for drugs and compounds (a marker residue stands for its parent drug); a pesticide
            # (克百威, 林丹) keeps its GB 2763 limit here, and is judged "不得检出" when species and tissue are given.
            for aid in (analyte_id, self.marker_of.get(analyte_id)):
                for effective, announcement, unverified, source_row in (
                    self.banned_animal.get(aid, ()) if aid else ()
                ):
                    if effective is None or effective <= on_date:
                        detail = _("%(what)s: prohibited in food animals (%(source)s)") % {
                            "what": analyte,
                            "source": announcement,
                        }
                        return _Ban(BANNED, announcement, detail, unverified, source_row, True)
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
                rule,
                row.limit,
                edition,
                detail,
                pass_tpl,
                fail_tpl,
                params,
                ban,
                row.source,
                row.basis,
                row.temporary,
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
