"""Certificate numbers: a row-locked sequence per district and year."""

from nongan.registry.models import Producer

from .. import qrsign
from ..models import NumberSequence


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
