"""Which editions are in force on a date: the rule alone, over plain edition records.

Per standard family: the latest full edition whose in-force date has come, plus the amendments to it whose own
in-force dates have come, newest first. It needs no database and no index, so both the judgement engine (over
its in-memory index) and ``Edition.is_in_force`` use it without importing each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .choices import EditionKind

# The columns of Edition an EditionInfo is made of, in order: Edition.objects.values_list(*EDITION_FIELDS).
EDITION_FIELDS = ("id", "code", "family", "kind", "amends_id", "in_force")


@dataclass(frozen=True)
class EditionInfo:
    id: int
    code: str
    family: str
    kind: str
    amends_id: int | None
    in_force: dt.date


def active_editions(
    editions: Iterable[EditionInfo], on_date: dt.date, families: Iterable[str] | None = None
) -> dict[str, tuple[int, ...]]:
    """family → edition ids in force on the date, amendments (newest first) before their base.

    ``families`` (sorted) may be given when the caller already has them; by default every family present."""
    editions = list(editions)
    if families is None:
        families = sorted({e.family for e in editions})
    result: dict[str, tuple[int, ...]] = {}
    for family in families:
        fulls = [
            e for e in editions if e.family == family and e.kind == EditionKind.FULL and e.in_force <= on_date
        ]
        if not fulls:
            continue
        base = max(fulls, key=lambda e: (e.in_force, e.id))
        amendments = sorted(
            (
                e
                for e in editions
                if e.kind == EditionKind.AMENDMENT and e.amends_id == base.id and e.in_force <= on_date
            ),
            key=lambda e: (e.in_force, e.id),
            reverse=True,
        )
        result[family] = tuple([a.id for a in amendments] + [base.id])
    return result
