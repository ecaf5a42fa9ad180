"""The banned list and the list of pesticides banned on some crops (restricted use)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from nongan.core import audit

from .. import engine
from ..choices import AnalyteKind
from ..models import BannedSubstance, RestrictedUse, ScopeMapping
from ..tables import RowError, Table, TableRejected, parse_date_text
from .common import (
    _analyte_index,
    _find_analyte,
    _food_index,
    _get_or_create_analyte,
    _scope_resolvable,
    _touch,
)


def _list_import(*, actor, table: Table, model, fields: list[str], scope_check: bool) -> dict[str, int]:
    errors: list[RowError] = []
    col = table.column
    analytes = _analyte_index()
    foods = _food_index()
    mappings = set(ScopeMapping.objects.values_list("name", flat=True))
    existing = {(o.analyte.name_zh, o.announcement): o for o in model.objects.select_related("analyte")}
    planned: list[dict] = []
    seen: dict[tuple, int] = {}
    skipped = 0
    for rownum, row in table.rows:
        name = (row.get("analyte") or "").strip()
        if not name:
            errors.append(RowError(rownum, col("analyte"), _("Enter the substance.")))
            continue
        effective = None
        if (row.get("effective_from") or "").strip():
            effective = parse_date_text(row["effective_from"])
            if effective is None:
                errors.append(
                    RowError(
                        rownum,
                        col("effective_from"),
                        _("“%(value)s” is not a date; write it as 2019-01-01.")
                        % {"value": row["effective_from"]},
                    )
                )
        kind = (row.get("kind") or "").strip() or AnalyteKind.PESTICIDE
        if kind not in AnalyteKind.values:
            labels = {str(label): value for value, label in AnalyteKind.choices}
            kind = labels.get(kind, kind)
            if kind not in AnalyteKind.values:
                errors.append(
                    RowError(
                        rownum,
                        col("kind"),
                        _("Unknown kind “%(kind)s”: pesticide, vet_drug or prohibited.")
                        % {"kind": row.get("kind")},
                    )
                )
        values = {f: (row.get(f) or "").strip()[: 255 if f != "source" else 500] for f in fields}
        values["effective_from"] = effective
        if scope_check:
            names = engine._split(values["banned_on"])
            if not names:
                errors.append(
                    RowError(rownum, col("banned_on"), _("Enter the crops or groups it is banned on."))
                )
            for scope in names:
                if not _scope_resolvable(scope, foods, mappings):
                    errors.append(
                        RowError(
                            rownum,
                            col("banned_on"),
                            _(
                                "“%(name)s” is neither a food or group of the product classification nor a scope mapping."
                            )
                            % {"name": scope},
                        )
                    )
        analyte = _find_analyte(analytes, name)
        key = (analyte.name_zh if analyte else name, values.get("announcement", ""))
        if key in seen:
            errors.append(
                RowError(
                    rownum,
                    col("analyte"),
                    _("%(name)s is already on row %(row)d.") % {"name": name, "row": seen[key]},
                )
            )
            continue
        seen[key] = rownum
        old = existing.get(key)
        if old is not None:
            if any(getattr(old, f) != v for f, v in values.items() if f != "source"):
                errors.append(
                    RowError(
                        rownum,
                        col("analyte"),
                        _(
                            "%(name)s (%(announcement)s) is already listed with other data; a listed entry is never "
                            "changed."
                        )
                        % {"name": name, "announcement": values.get("announcement", "")},
                    )
                )
            skipped += 1
            continue
        planned.append(
            {"name": name, "name_en": (row.get("analyte_en") or "").strip(), "kind": kind, "values": values}
        )
    if errors:
        raise TableRejected(errors)
    created = 0
    for p in planned:
        analyte, _new = _get_or_create_analyte(actor, analytes, p["name"], p["name_en"], p["kind"])
        obj = model.objects.create(analyte=analyte, **p["values"])
        audit.record_create(actor, obj, reason="standards import")
        created += 1
    if created:
        _touch()
    return {"created": created, "skipped": skipped}


@transaction.atomic
def banned_import(*, actor, table: Table) -> dict[str, int]:
    """Add substances to the banned list (name, English name, scope of the ban, announcement, effective date)."""
    return _list_import(
        actor=actor,
        table=table,
        model=BannedSubstance,
        fields=["ban_scope", "announcement", "source"],
        scope_check=False,
    )


@transaction.atomic
def restricted_import(*, actor, table: Table) -> dict[str, int]:
    """Add pesticides banned on some crops; every scope name must be a tree node, another name of one, or a
    scope mapping."""
    return _list_import(
        actor=actor,
        table=table,
        model=RestrictedUse,
        fields=["banned_on", "announcement", "source"],
        scope_check=True,
    )
