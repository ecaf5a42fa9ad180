"""Editions of the standards: one by hand, and the editions import."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from nongan.core import audit, ledger

from ..choices import EditionKind
from ..models import Edition
from ..tables import RowError, Table, TableRejected, parse_date_text
from .common import _touch, family_of, normalise_code

EDITION_RE = re.compile(r"(?:GB|NY)(?:/T)?\s*[\d.]+-\d{4}")


def edition_create(
    *,
    actor,
    code: str,
    kind: str,
    in_force,
    issued=None,
    amends: Edition | None = None,
    supersedes_text: str = "",
    scope: str = "",
    source: str = "",
) -> Edition:
    """Create one edition by hand (the same checks as the editions import)."""
    row = {
        "standard": code or "",
        "kind": kind or "",
        "in_force": in_force.isoformat() if hasattr(in_force, "isoformat") else (in_force or ""),
        "issued": issued.isoformat() if hasattr(issued, "isoformat") else (issued or ""),
        "amends": amends.code if amends else "",
        "supersedes": supersedes_text or "",
        "scope": scope or "",
        "source": source or "",
    }
    table = Table(rows=[(0, row)], headers={})
    try:
        editions_import(actor=actor, table=table)
    except TableRejected as exc:
        fields = {
            "standard": "code",
            "in_force": "in_force",
            "issued": "issued",
            "kind": "kind",
            "amends": "amends",
        }
        raise ValidationError({fields.get(e.column, "code"): e.message for e in exc.row_errors}) from None
    return Edition.objects.get(code=normalise_code(code))


def _edition_kind(text: str) -> str | None:
    value = (text or "").strip().lower()
    if value.startswith("amendment") or "修改" in value or value == EditionKind.AMENDMENT:
        return EditionKind.AMENDMENT
    if value.startswith("full") or value in ("标准", "全文", "完整版") or value == EditionKind.FULL:
        return EditionKind.FULL
    return None


@transaction.atomic
def editions_import(*, actor, table: Table) -> dict[str, int]:
    """Create editions; one that exists identically is skipped, one that exists with other data is refused."""
    errors: list[RowError] = []
    existing = {e.code: e for e in Edition.objects.all()}
    planned: dict[str, dict] = {}
    col = table.column
    for rownum, row in table.rows:
        code = normalise_code(row.get("standard", ""))
        if not code:
            errors.append(RowError(rownum, col("standard"), _("Enter the standard, e.g. GB 2763-2021.")))
            continue
        if not EDITION_RE.fullmatch(code):
            errors.append(
                RowError(
                    rownum,
                    col("standard"),
                    _("“%(code)s” is not a standard number such as GB 2763-2021.") % {"code": code},
                )
            )
            continue
        kind = _edition_kind(row.get("kind", ""))
        if kind is None:
            errors.append(
                RowError(
                    rownum,
                    col("kind"),
                    _("Unknown kind “%(kind)s”: write full edition or amendment.")
                    % {"kind": row.get("kind", "")},
                )
            )
        in_force = parse_date_text(row.get("in_force", ""))
        if in_force is None:
            errors.append(
                RowError(
                    rownum,
                    col("in_force"),
                    _("“%(value)s” is not a date; write it as 2026-03-01.")
                    % {"value": row.get("in_force", "")},
                )
            )
        issued = None
        if row.get("issued", "").strip():
            issued = parse_date_text(row["issued"])
            if issued is None:
                errors.append(
                    RowError(
                        rownum,
                        col("issued"),
                        _("“%(value)s” is not a date; write it as 2026-02-12.") % {"value": row["issued"]},
                    )
                )
            elif in_force and issued > in_force:
                errors.append(
                    RowError(rownum, col("issued"), _("The issue date is after the in-force date."))
                )
        family = (row.get("family") or "").strip() or family_of(code)
        amends_code = normalise_code(row.get("amends", ""))
        if not amends_code and kind == EditionKind.AMENDMENT:
            found = EDITION_RE.search(row.get("kind", ""))
            amends_code = normalise_code(found.group(0)) if found else ""
        if kind == EditionKind.AMENDMENT:
            if not amends_code:
                errors.append(
                    RowError(
                        rownum,
                        col("kind"),
                        _(
                            "Say which edition this amendment amends, e.g. "
                            "“amendment (adds to GB 2763-2021)”."
                        ),
                    )
                )
            elif amends_code not in existing and amends_code not in planned:
                errors.append(
                    RowError(
                        rownum,
                        col("kind"),
                        _("The amended edition %(code)s is neither loaded nor above this row.")
                        % {"code": amends_code},
                    )
                )
            else:
                target = planned.get(amends_code) or {
                    "family": existing[amends_code].family,
                    "kind": existing[amends_code].kind,
                }
                if target["family"] != family or target["kind"] != EditionKind.FULL:
                    errors.append(
                        RowError(
                            rownum,
                            col("kind"),
                            _("An amendment must amend a full edition of the same standard."),
                        )
                    )
        else:
            amends_code = ""
        values = {
            "code": code,
            "family": family,
            "kind": kind,
            "kind_text": (row.get("kind") or "").strip()[:255],
            "amends_code": amends_code,
            "supersedes_text": (row.get("supersedes") or "").strip()[:255],
            "issued": issued,
            "in_force": in_force,
            "scope": (row.get("scope") or "").strip()[:255],
            "source": (row.get("source") or "").strip()[:500],
        }
        if code in planned:
            errors.append(
                RowError(rownum, col("standard"), _("%(code)s appears twice in the file.") % {"code": code})
            )
            continue
        if code in existing:
            old = existing[code]
            same = (
                old.kind == kind
                and old.in_force == in_force
                and (issued is None or old.issued == issued)
                and (old.amends.code if old.amends_id else "") == amends_code
            )
            if not same:
                errors.append(
                    RowError(
                        rownum,
                        col("standard"),
                        _(
                            "%(code)s is already loaded with other data; an edition is never changed. Import a new "
                            "edition under its own number."
                        )
                        % {"code": code},
                    )
                )
            planned[code] = {"family": old.family, "kind": old.kind, "skip": True}
            continue
        planned[code] = {**values, "skip": False}
    if errors:
        raise TableRejected(errors)

    created = skipped = 0
    for code, values in planned.items():
        if values.get("skip"):
            skipped += 1
            continue
        amends = existing.get(values["amends_code"]) if values["amends_code"] else None
        edition = Edition.objects.create(
            code=code,
            family=values["family"],
            kind=values["kind"],
            kind_text=values["kind_text"],
            amends=amends,
            supersedes_text=values["supersedes_text"],
            issued=values["issued"],
            in_force=values["in_force"],
            scope=values["scope"],
            source=values["source"],
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        existing[code] = edition
        superseded = [
            existing[c]
            for c in (normalise_code(s) for s in re.split(r"[;；,，]", values["supersedes_text"]))
            if c in existing
        ]
        if superseded:
            edition.supersedes.set(superseded)
        audit.record_create(actor, edition, reason="standards import")
        created += 1
    if created:
        _touch()
    return {"created": created, "skipped": skipped}


PARTIAL_KIND = "standards.edition_partial"


def partial_mark_is_deliberate(edition: Edition) -> bool:
    """Whether the edition's partial mark was set on purpose — by a district administrator, or by the import of an
    official table — and so stands on the ledger. The shipped loaders then leave the mark as it is: a reload must
    not undo a decision, and a change without a ledger entry would read as an edit behind the application."""
    return ledger.has_entry(kind=PARTIAL_KIND, ref=edition.code)


def ledger_partial(edition: Edition, *, actor, reason: str) -> None:
    """The ledger entry of a change of the edition's partial mark (with the edition as it now stands): whether a
    gap reads "limit not loaded" or "no limit" decides verdicts, so the change is evidence."""
    ledger.append(
        kind=PARTIAL_KIND,
        ref=edition.code,
        payload={"edition": edition.code, "partial": edition.partial, "reason": reason},
        actor=actor,
        region=getattr(actor, "jurisdiction", None),
        records=[edition],
    )


@transaction.atomic
def edition_mark_partial(*, actor, edition: Edition, partial: bool, reason: str) -> Edition:
    """Mark an edition loaded in part (a pair it does not hold is "limit not loaded") or complete (such a pair is
    "no limit"): district administrators only, with a reason; audited, and the standards revision bumped so the
    judgement index rebuilds."""
    from .. import selectors

    if not selectors.may_manage(actor):
        raise ValidationError(
            _("Only a district administrator may change whether an edition is loaded in part.")
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if edition.partial == bool(partial):
        return edition
    before = audit.snapshot(edition)
    edition.partial = bool(partial)
    edition.save(update_fields=["partial"])
    audit.record_update(actor, edition, before, reason=reason)
    ledger_partial(edition, actor=actor, reason=reason)
    _touch()
    return edition
