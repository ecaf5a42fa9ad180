"""Reads of the standards.

The standards are national reference data, the same for every jurisdiction: they carry no region or producer,
so they are not filtered through ``scoped``. Every signed-in, active account may read them; anonymous users see
nothing. Only administrators (``can_manage``) change them.

Public interface: who may read or manage (``may_read``, ``may_manage``), editions
(``editions``, ``current_edition_ids``, ``current_full_editions``), ``limits``, ``analytes``,
``search_analytes``, ``banned``, ``restricted``, ``scope_mappings``, ``substance_status`` and
``limit_coverage`` (which food × analyte pairs can be judged over a period, before sampling). The
judgement of a result is a service (``nongan.standards.services.judge``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from nongan.core.scoping import can_manage

from . import engine
from .choices import (
    COVERED,
    SPECIES_FOOD_KINDS,
    SPECIES_TISSUES,
    AnalyteKind,
    Coverage,
    EditionKind,
    Rule,
    Species,
    Tissue,
)
from .engine.vet import resolve_vet
from .models import (
    Analyte,
    BannedSubstance,
    Edition,
    MaxResidueLimit,
    RestrictedUse,
    ScopeMapping,
    VetDrugLimit,
)


def may_read(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def may_manage(user) -> bool:
    return bool(user is not None and user.is_active and can_manage(user))


def _visible(user, qs: QuerySet) -> QuerySet:
    return qs if may_read(user) else qs.none()


def count_of(model, related: str):
    """The number of rows of ``model``'s reverse relation ``related`` (``limits``, ``vet_limits``, ``bans`` …) as
    a correlated sub-query: several counts on one list do not multiply each other's rows as joins would."""
    rel = model._meta.get_field(related)
    key = rel.field.name
    rows = rel.related_model.objects.filter(**{key: OuterRef("pk")}).order_by().values(key)
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0)


def limit_count(model):
    """Pesticide limits (GB 2763) and veterinary drug limits (GB 31650) of an edition or an analyte, together."""
    return count_of(model, "limits") + count_of(model, "vet_limits")


def editions(user) -> QuerySet:
    return _visible(
        user,
        Edition.objects.select_related("amends")
        .annotate(limit_count=limit_count(Edition))
        .order_by("family", "in_force", "code"),
    )


def current_edition_ids(on_date: dt.date | None = None) -> set[int]:
    """Editions in force today (the current full edition of each family and the amendments to it)."""
    day = on_date or timezone.localdate()
    return {eid for ids in engine.get_index().active(day).values() for eid in ids}


def current_full_editions(on_date: dt.date | None = None) -> dict[str, Edition]:
    """family → the one current full edition."""
    ids = current_edition_ids(on_date)
    return {e.family: e for e in Edition.objects.filter(pk__in=ids, kind=EditionKind.FULL)}


def limits(user) -> QuerySet:
    return _visible(
        user, MaxResidueLimit.objects.select_related("edition", "edition__amends", "analyte", "food")
    )


def vet_limits(user) -> QuerySet:
    """The veterinary drug limits (GB 31650): national reference data, read by every signed-in account."""
    return _visible(user, VetDrugLimit.objects.select_related("edition", "analyte"))


def analytes(user) -> QuerySet:
    return _visible(user, Analyte.objects.all())


def banned(user) -> QuerySet:
    return _visible(user, BannedSubstance.objects.select_related("analyte"))


def restricted(user) -> QuerySet:
    return _visible(user, RestrictedUse.objects.select_related("analyte"))


def scope_mappings(user) -> QuerySet:
    return _visible(user, ScopeMapping.objects.prefetch_related("categories"))


def search_analytes(user, text: str) -> QuerySet:
    text = (text or "").strip()
    qs = analytes(user)
    if text:
        qs = qs.filter(Q(name_zh__icontains=text) | Q(name_en__icontains=text) | Q(aliases__icontains=text))
    return qs


def substance_status(analyte_name: str, food: str, on_date: dt.date | None = None) -> str | None:
    """ "banned" (banned outright), "restricted" (banned on this food) or None — the gate other capabilities
    use before a certificate is issued for a batch that used this active ingredient. The ingredient is matched
    through the analyte's other names and CAS number, and a product name ("毒死蜱乳油", "chlorpyrifos 40% EC")
    through the analyte name it contains (``engine.resolve_analyte``)."""
    from .choices import Rule
    from .engine import _today, get_index, resolve_analyte

    index = get_index()
    aid = resolve_analyte(index, analyte_name)
    if aid is None:
        return None
    on = on_date or _today()
    if any(effective is None or effective <= on for effective, *_rest in index.banned.get(aid, [])):
        return "banned"
    fid = index.food_ids.get((food or "").strip())
    if fid is None:
        return None
    ban = index.ban_for(fid, aid, on)
    if ban is not None and ban.rule == Rule.RESTRICTED_SCOPE:
        return "restricted"
    return None


# Worst first: a pair's coverage over a period is its worst day's.
_COVERAGE_RANK = {
    Coverage.UNKNOWN: 0,
    Coverage.NONE: 1,
    Coverage.NOT_LOADED: 2,
    Coverage.BANNED: 3,
    Coverage.TEMPORARY: 4,
    Coverage.LIMIT: 5,
}


@dataclass(frozen=True)
class PairCoverage:
    """Whether one (food, analyte) pair can be judged over a period: ``status`` (a ``Coverage``) is the worst
    of the period's days, ``on_date`` that day, ``limit``/``edition``/``detail`` what holds on it; ``changes``
    when the answer is not the same over the whole period (an edition comes into force within it); ``periods``
    then says what holds from when."""

    food: str
    analyte: str
    status: str
    limit: Decimal | None
    edition: str
    detail: str
    on_date: dt.date
    changes: bool = False
    # (from date, status, limit, edition) for each stretch of the period with the same answer
    periods: tuple = ()

    @property
    def covered(self) -> bool:
        return self.status in COVERED

    @property
    def status_label(self) -> str:
        return Coverage(self.status).label

    @property
    def limit_text(self) -> str:
        """ "0.02*" (a temporary limit marked as GB 2763 marks it), "" without a limit."""
        if self.limit is None:
            return ""
        return engine.fmt(self.limit) + ("*" if self.status == Coverage.TEMPORARY else "")

    @property
    def period_rows(self) -> list[dict]:
        return [
            {
                "start": d,
                "status": st,
                "label": Coverage(st).label,
                "limit": lim,
                "limit_text": ""
                if lim is None
                else engine.fmt(lim) + ("*" if st == Coverage.TEMPORARY else ""),
                "edition": ed,
            }
            for d, st, lim, ed in self.periods
        ]


@dataclass(frozen=True)
class _VetCoverage:
    """What a veterinary drug's limits say about a food of animal origin on a day (as a resolution reads)."""

    limit: Decimal | None
    edition: str
    detail: str


def _food_species(index, food_id: int) -> list[str]:
    """The species a product can come from: those named in its name (猪肉 → 猪, 鸡蛋 → 鸡, 南美白对虾 → 虾), else
    every species whose foods are of its kind (a livestock product: 牛, 羊, 猪, 兔 …)."""
    kind, name = index.cat_kind.get(food_id), index.cat_name.get(food_id, "")
    fitting = [sp for sp, kinds in SPECIES_FOOD_KINDS.items() if kind in kinds]
    named = [sp for sp in fitting if sp in _SPECIES_WORDS and _SPECIES_WORDS[sp] in name]
    return named or fitting


# The one-character word of a species as product names use it (the labels are longer for some).
_SPECIES_WORDS = {
    Species.PIG: "猪",
    Species.CATTLE: "牛",
    Species.SHEEP: "羊",
    Species.CHICKEN: "鸡",
    Species.DUCK: "鸭",
    Species.RABBIT: "兔",
    Species.FISH: "鱼",
    Species.SHRIMP: "虾",
}


def _vet_coverage_on(index, food_id: int, analyte_id: int, day: dt.date) -> tuple[str, object] | None:
    """A veterinary drug on a food of animal origin: covered when a GB 31650 limit in force holds for a species
    the product comes from, in a tissue of the product (蛋 for eggs, 奶 for milk, the others for meat and fish);
    the strictest such limit is shown. ``None`` when no GB 31650 edition is loaded at all (the pesticide answer
    stands)."""
    kind = index.cat_kind.get(food_id)
    found, not_loaded, any_edition, last = [], False, False, None
    for species in _food_species(index, food_id):
        for tissue in SPECIES_TISSUES[species]:
            if (tissue in _PRODUCT_TISSUES) != (kind in ("eggs", "milk")) or (
                kind in _KIND_TISSUE and tissue != _KIND_TISSUE[kind]
            ):
                continue
            res = resolve_vet(index, analyte_id, species, tissue, day)
            any_edition = any_edition or res.kind != Rule.NO_EDITION
            if res.row is not None:
                found.append(res)
            not_loaded = not_loaded or res.kind == Rule.LIMIT_NOT_LOADED
            last = res
    if found:
        best = min(found, key=lambda r: r.row.limit)
        detail = "；".join(dict.fromkeys(r.detail for r in found[:3]))
        return Coverage.LIMIT, _VetCoverage(best.row.limit, best.edition, detail)  # GB 31650 has no * limits
    if not any_edition:
        return None
    status = Coverage.NOT_LOADED if not_loaded else Coverage.NONE
    return status, _VetCoverage(None, last.edition, last.detail)


_PRODUCT_TISSUES = frozenset({Tissue.EGGS, Tissue.MILK})
_KIND_TISSUE = {"eggs": Tissue.EGGS, "milk": Tissue.MILK}


def _coverage_on(index, food_id: int, analyte_id: int, day: dt.date) -> tuple[str, object]:
    if index.analyte_kind.get(analyte_id) == AnalyteKind.VET_DRUG and index.cat_kind.get(food_id) not in (
        None,
        "plant",
    ):
        res = index.resolve(food_id, analyte_id, day)
        if res.ban is None or not res.ban.prohibited:
            vet = _vet_coverage_on(index, food_id, analyte_id, day)
            if vet is not None:
                return vet
    res = index.resolve(food_id, analyte_id, day)
    if res.limit is not None or res.kind == Rule.FAT_CONTENT_NEEDED:
        return (Coverage.TEMPORARY if res.temporary else Coverage.LIMIT), res
    if res.ban is not None and (res.kind == Rule.NO_LIMIT or res.ban.prohibited):
        # no limit but a ban; or prohibited in food animals (公告第250号, on a food of animal origin): any detection fails
        return Coverage.BANNED, res
    if res.kind == Rule.LIMIT_NOT_LOADED:
        return Coverage.NOT_LOADED, res
    return Coverage.NONE, res


def limit_coverage(foods, analyte_names, start: dt.date, end: dt.date) -> list[PairCoverage]:
    """For every food (product-tree nodes) × analyte (names, other names or CAS numbers as written), whether a
    limit is in force from ``start`` to ``end`` (both included), only a temporary one (*), none but a ban (a
    detection fails), a limit not loaded (an excerpt), or none. Checked on ``start`` and on every day within the
    period an edition comes into force. With no analyte names, the analytes the standards hold a limit for on
    any of the foods or their groups. Pure reads of the in-memory judgement index; rows food by food in the
    order given, analytes in the order given (or by name)."""
    index = engine.get_index()
    days = sorted({start} | {e.in_force for e in index.editions.values() if start < e.in_force <= end})
    foods = list(foods)
    names = [n.strip() for n in analyte_names or () if n and n.strip()]
    if names:
        wanted = [(n, engine.resolve_analyte(index, n)) for n in names]
    else:
        nodes = {node for f in foods for node in index.chain.get(f.pk, ())}
        ids = {aid for aid, node in index.limits if node in nodes}
        wanted = sorted(((index.analyte_name[a], a) for a in ids), key=lambda x: x[0])
    out = []
    for food in foods:
        for name, aid in wanted:
            if aid is None or food.pk not in index.chain:
                detail = (_("%(analyte)s is not a known analyte") % {"analyte": name}) if aid is None else ""
                out.append(PairCoverage(food.name, name, Coverage.UNKNOWN, None, "", detail, start))
                continue
            seen = [(_coverage_on(index, food.pk, aid, day), day) for day in days]
            (status, res), day = min(seen, key=lambda x: _COVERAGE_RANK[x[0][0]])
            periods: list[tuple] = []
            for (st, r), d in seen:
                if not periods or periods[-1][1:] != (st, r.limit, r.edition):
                    periods.append((d, st, r.limit, r.edition))
            out.append(
                PairCoverage(
                    food.name,
                    index.analyte_name[aid],
                    status,
                    res.limit,
                    res.edition,
                    res.detail,
                    day,
                    len(periods) > 1,
                    tuple(periods),
                )
            )
    return out
