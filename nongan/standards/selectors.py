"""Reads of the standards.

The standards are national reference data, the same for every jurisdiction: they carry no region or producer,
so they are not filtered through ``scoped``. Every signed-in, active account may read them; anonymous users see
nothing. Only administrators (``can_manage``) change them.

Public interface: who may read or manage (``may_read``, ``may_manage``), editions
(``editions``, ``current_edition_ids``, ``current_full_editions``), ``limits``, ``analytes``,
``search_analytes``, ``banned``, ``restricted``, ``scope_mappings`` and ``substance_status``. The
judgement of a result is a service (``nongan.standards.services.judge``)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from nongan.core.scoping import can_manage

from . import engine
from .choices import EditionKind
from .models import Analyte, BannedSubstance, Edition, MaxResidueLimit, RestrictedUse, ScopeMapping


def may_read(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def may_manage(user) -> bool:
    return bool(user is not None and user.is_active and can_manage(user))


def _visible(user, qs: QuerySet) -> QuerySet:
    return qs if may_read(user) else qs.none()


def editions(user) -> QuerySet:
    return _visible(
        user,
        Edition.objects.select_related("amends")
        .annotate(limit_count=Count("limits"))
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
