"""The bans and scope restrictions up to 2026 (data/banned_restricted_2026.csv), merged with the older lists.

Merging never makes a banned substance allowed: every row of the older lists stays. A 2026 row with the same
substance and announcement as an older row is already listed (skipped). A 2026 full ban with an ISO date that is
already in force records that it *supersedes* the older full-ban row of the same substance under another (or no)
announcement (硫丹: 2019-03-26 by 公告第2552号 instead of the older list's 2019-01-01); the older row is kept and
comes back if the newer one is set aside (an unverified row when ``STANDARDS_EXCLUDE_UNVERIFIED`` is on).
A scope restriction never supersedes anything (克百威 on vegetables stays until its full ban of 2026-06-01 and
after). Each row keeps how far it was verified; dates given only as text are kept as written, left without a
date (the row applies on every date) and reported, never guessed.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from nongan.core import audit

from .. import engine
from ..choices import AnalyteKind, Verification
from ..models import BannedSubstance, RestrictedUse, ScopeMapping
from ..tables import RowError, TableRejected
from .common import _analyte_index, _food_index, _get_or_create_analyte, _touch

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SCOPE_RE = re.compile(r"禁止在(.+?)上使用")
PARTIAL_SCOPE = "部分范围禁止"


@dataclass
class ListsReport:
    banned_created: int = 0
    restricted_created: int = 0
    already_listed: list[str] = field(default_factory=list)
    superseding: list[str] = field(default_factory=list)
    text_dates: list[tuple[int, str, str]] = field(default_factory=list)  # (row, substance, text)
    no_date: list[tuple[int, str]] = field(default_factory=list)
    unverified: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "created": self.banned_created + self.restricted_created,
            "banned_created": self.banned_created,
            "restricted_created": self.restricted_created,
            "already_listed": len(self.already_listed),
            "superseding": len(self.superseding),
            "text_dates": len(self.text_dates),
            "no_date": len(self.no_date),
            "unverified": self.unverified,
        }

    def lines(self) -> list[str]:
        out = [
            f"date given as text, row {r} {name}: {text} (kept as written; no date)"
            for r, name, text in self.text_dates
        ]
        out += [f"no date, row {r} {name} (applies on every date)" for r, name in self.no_date]
        out += [f"supersedes an older row: {s}" for s in self.superseding]
        return out


def scope_names(restriction: str) -> list[str]:
    """ "禁止在蔬菜、瓜果、茶叶、菌类和中草药材上使用" → [蔬菜, 瓜果, 茶叶, 菌类, 中草药材]."""
    m = SCOPE_RE.search(restriction)
    if not m:
        return []
    text = m.group(1)
    return [n.strip() for n in re.split(r"[、和]", text) if n.strip()]


@transaction.atomic
def lists_2026_load(*, actor=None, path: Path) -> ListsReport:
    report = ListsReport()
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    source_file = Path(path).name
    analytes = _analyte_index()
    foods = _food_index()
    mappings = set(ScopeMapping.objects.values_list("name", flat=True))
    today = timezone.localdate()
    banned = {
        (b.analyte.name_zh, b.announcement): b for b in BannedSubstance.objects.select_related("analyte")
    }
    restricted = {
        (r.analyte.name_zh, r.announcement): r for r in RestrictedUse.objects.select_related("analyte")
    }
    problems = []
    for rownum, row in enumerate(rows, start=2):
        name = row["substance"].strip()
        date_text = row["effective_date"].strip()
        effective: dt.date | None = None
        effective_text = ""
        if ISO_DATE.match(date_text):
            effective = dt.date.fromisoformat(date_text)
        elif date_text:
            effective_text = date_text[:128]
            report.text_dates.append((rownum, name, date_text))
        else:
            report.no_date.append((rownum, name))
        verification = row["verified"].strip()
        if verification not in Verification.values:
            problems.append(f"row {rownum}: verification “{verification}” is not secondary or unverified")
            continue
        report.unverified += verification == Verification.UNVERIFIED
        announcement = row["legal_basis"].strip()[:128]
        analyte, _new = _get_or_create_analyte(actor, analytes, name, "", AnalyteKind.PESTICIDE)
        common = {
            "analyte": analyte,
            "announcement": announcement,
            "effective_from": effective,
            "effective_text": effective_text,
            "verification": verification,
            "source": row["source_note"].strip()[:500],
            "source_row": f"{source_file}:{rownum}",
        }
        key = (analyte.name_zh, announcement)
        if row["scope"].strip() == PARTIAL_SCOPE:
            names = scope_names(row["restriction"])
            unknown = [n for n in names if n not in foods and n not in mappings]
            if not names or unknown:
                problems.append(
                    f"row {rownum}: scope “{row['restriction']}” has no food or mapping {unknown}"
                )
                continue
            if key in restricted:
                report.already_listed.append(f"{name} ({announcement})")
                continue
            obj = RestrictedUse.objects.create(banned_on=";".join(names), **common)
            restricted[key] = obj
            report.restricted_created += 1
        else:
            if key in banned:
                report.already_listed.append(f"{name} ({announcement})")
                continue
            older = None
            if effective is not None and effective <= today:
                older = next(
                    (
                        b
                        for (n, _a), b in banned.items()
                        if n == analyte.name_zh and b.supersedes_id is None and b.source_row == ""
                    ),
                    None,
                )
            obj = BannedSubstance.objects.create(
                ban_scope=row["restriction"].strip()[:255], supersedes=older, **common
            )
            if older is not None:
                report.superseding.append(
                    f"{name}: {announcement} {effective} over {older.announcement or '—'} {older.effective_from or '—'}"
                )
            banned[key] = obj
            report.banned_created += 1
        audit.record_create(actor, obj, reason="standards load: banned and restricted lists 2026")
    if problems:
        raise TableRejected([RowError(0, "", p) for p in problems])
    if report.banned_created or report.restricted_created:
        _touch()
        engine.invalidate_on_commit()
    return report
