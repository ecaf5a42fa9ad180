"""Certificate numbers: a row-locked sequence per district and year."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import qrsign
from ..models import NumberSequence

if TYPE_CHECKING:
    from nongan.registry.models import Producer


def _district_code(producer: Producer) -> str:
    return producer.region.code[:6]


def allocate_numbers(district: str, year: int, count: int) -> list[str]:
    """``count`` new certificate numbers (locks the district/year sequence row)."""
    NumberSequence.objects.get_or_create(district=district, year=year)
    seq = NumberSequence.objects.select_for_update().get(district=district, year=year)
    first = seq.last + 1
    seq.last += count
    seq.save(update_fields=["last"])
    return [qrsign.make_number(district, year, first + i) for i in range(count)]
